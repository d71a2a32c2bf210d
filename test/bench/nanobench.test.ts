/**
 * The nanobenchmark guests (bench/nanobench/guests/): each one, with a
 * small loop count, runs to completion in QEMU (TCG, when installed) and
 * in wasmvisor (jit-hot under both paging policies, and the interpreter),
 * and reports through the debug console exactly the operations it was
 * asked for (none in the empty loop) with its own check passed. Where the
 * operation is a VM exit under the trap strategy (IN, INVLPG), the VMM's
 * exit counts must show one per operation.
 *
 *   npx vitest run test/bench/nanobench.test.ts
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { PAGING_POLICY_NAMES } from '../../runtime/mmu.js';
import { runNanoQemu, runNanoWasmvisor, QEMU } from '../../bench/nanobench/run.js';
import { buildNanoGuest, NANO_WORKLOADS, type NanoWorkloadName } from '../../bench/nanobench/workloads.js';

const OPS = 37; // past jit-hot's threshold of 20, so the loop runs interpreted and then translated
const EMPTY = 5;
const TIMEOUT_MS = 120_000;

function haveQemu(): boolean {
  try {
    execFileSync(QEMU, ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const HAVE_QEMU = haveQemu();
if (!HAVE_QEMU) console.warn('test/bench: qemu-system-i386 is not installed: the QEMU runs are skipped (scripts/setup.sh installs it)');

/** Exits one operation must cause under the trap strategy, by reason name. */
const EXITS_PER_OP: Partial<Record<NanoWorkloadName, Record<string, number>>> = {
  in: { IO_INSTRUCTION: 1 },
  pgfault: { INVLPG: 1 },
  ptemod: { INVLPG: 1 },
};

describe('nanobenchmark guests', () => {
  for (const w of NANO_WORKLOADS) {
    describe(`${w.name}: ${w.operation}`, () => {
      it('builds', () => {
        expect(buildNanoGuest(w)).toMatch(/\.elf$/);
      });

      it.skipIf(!HAVE_QEMU)('QEMU runs it and it counts its operations', async () => {
        const op = await runNanoQemu(w, OPS, 'op');
        expect(op.report.ops).toBe(OPS);
        const empty = await runNanoQemu(w, EMPTY, 'empty');
        expect(empty.report.ops).toBe(0);
        // QEMU's PC has a local APIC: the TPR loop writes a live register.
        if (w.name === 'cr8wr') expect(op.report.info).toContain('tpr live');
      }, TIMEOUT_MS);

      for (const [tier, policies] of [['jit-hot', PAGING_POLICY_NAMES], ['interpreter', ['nested'] as const]] as const) {
        for (const paging of policies) {
          it(`wasmvisor ${tier}, ${paging} paging: runs to completion and counts its operations`, async () => {
            // runNanoWasmvisor checks the report (count, mode, the guest's own check) and throws on any difference.
            const op = await runNanoWasmvisor(w, OPS, 'op', { tier, paging });
            const empty = await runNanoWasmvisor(w, EMPTY, 'empty', { tier, paging });
            expect(op.report.ops).toBe(OPS);
            expect(empty.report.ops).toBe(0);
            expect(op.report.check).toBe('ok');
            if (w.name === 'cr8wr') expect(['tpr live', 'tpr open-bus']).toContain(op.report.info.find((l) => l.startsWith('tpr ')));
            for (const [reason, perOp] of Object.entries(EXITS_PER_OP[w.name] ?? {})) {
              expect((op.exits.get(reason) ?? 0) - (empty.exits.get(reason) ?? 0), reason).toBe(perOp * OPS);
            }
          }, TIMEOUT_MS);
        }
      }
    });
  }
});
