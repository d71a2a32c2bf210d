/**
 * The bench workloads through the JIT, against the reference interpreter:
 * the same checksum, the same number of retired instructions and the same
 * final registers, with the machine's time slices and with tiny, uneven
 * ones. Tiny slices make the budget run out everywhere: at loop headers
 * (budget exits re-entered through a region's secondary entries), in the
 * middle of REP string instructions (bulk runs stop at the budget), and in
 * the interpreter's catching up with translated code after a slice ends
 * in the middle of a block.
 *
 *   npx vitest run test/jit/workloads.test.ts
 */
import { describe, expect, it } from 'vitest';
import { createMachine, type Machine } from '../../src/machine.js';
import { loadFlat, readImageFile } from '../../src/loaders/flat.js';
import { BUDGET_EXHAUSTED } from '../../runtime/interpreter.js';
import { ExitReason } from '../../runtime/exit-reason.js';
import { buildWorkloadGuest, WORKLOADS } from '../../bench/workloads.js';

interface Outcome {
  readonly eax: number;
  readonly retired: number;
  readonly regs: readonly number[];
  readonly compiles: number;
  /** Modules compiled again at the tier-up level. */
  readonly tieredUp: number;
  /** Pages besides their own that regions took in (jit-inline-callees). */
  readonly calleePages: number;
}

/** Run to HLT in slices of the given sizes (cycled): the tier's own run(), as the machine's loop calls it. */
function runSliced(m: Machine, slices: readonly number[]): void {
  let k = 0;
  for (let guard = 0; guard < 10_000_000; guard++) {
    const exit = m.tier.run(slices[k++ % slices.length]!);
    if (exit.reason === BUDGET_EXHAUSTED) continue;
    if (exit.reason === ExitReason.Hlt) return;
    throw new Error(`unexpected exit ${exit.reason} at ${m.cpu.eip.toString(16)}`);
  }
  throw new Error('no HLT');
}

function outcome(name: string, tier: string, slices: readonly number[] | null, sliceInstructions?: number): Outcome {
  const m = createMachine({ memoryMiB: 16, tier, sliceInstructions });
  try {
    loadFlat(m, readImageFile(buildWorkloadGuest(name)), name);
    if (slices) runSliced(m, slices);
    else expect(m.run({ maxInstructions: 100_000_000 }).message).toBe('guest halted');
    return {
      eax: m.cpu.regs[0]! >>> 0, retired: m.tier.retired, regs: [...m.cpu.regs].map((r) => r >>> 0),
      compiles: m.jit?.stats.compiles ?? 0, tieredUp: m.jit?.stats.tieredUp ?? 0, calleePages: m.jit?.stats.calleePages ?? 0,
    };
  } finally {
    m.close();
  }
}

/** Uneven slice sizes, small enough that budget tests fail inside most loops. */
const TINY = [7, 1, 33, 2, 129, 5, 64, 3, 1000, 11];

describe('bench workloads under the JIT agree with the interpreter', () => {
  for (const w of WORKLOADS) {
    const reference = (): Outcome => outcome(w.name, 'interpreter', null);
    it(`${w.name}: jit-eager, jit-hot, jit-hot-binaryen, jit-tiered and jit-inline-callees, machine slices`, () => {
      const ref = reference();
      for (const tier of ['jit-eager', 'jit-hot', 'jit-hot-binaryen', 'jit-tiered', 'jit-inline-callees']) {
        // A hot loop's module is entered at least once per time slice: with slices of 10000
        // instructions, enough to tier up within one call of the workload.
        const got = outcome(w.name, tier, null, tier === 'jit-tiered' ? 10_000 : undefined);
        expect(got.compiles, `${tier} compiled something`).toBeGreaterThan(0);
        if (tier === 'jit-tiered' && w.corpus === 'integer') expect(got.tieredUp, 'a module compiled again at -O2').toBeGreaterThan(0);
        // The calls workload's functions are each alone on a page: regions with callees take them in.
        if (tier === 'jit-inline-callees' && w.name === 'calls') expect(got.calleePages, 'callee pages taken in').toBeGreaterThanOrEqual(32);
        expect({ ...got, compiles: 0, tieredUp: 0, calleePages: 0 }, tier).toEqual({ ...ref, compiles: 0, tieredUp: 0, calleePages: 0 });
      }
    }, 120_000);
    it(`${w.name}: jit-eager and jit-inline-callees, tiny uneven slices`, () => {
      const ref = reference();
      for (const tier of ['jit-eager', 'jit-inline-callees']) {
        const got = outcome(w.name, tier, TINY);
        expect({ ...got, compiles: 0, calleePages: 0 }, tier).toEqual({ ...ref, compiles: 0, calleePages: 0 });
      }
    }, 300_000);
  }
});
