/**
 * The inline rewriting strategy for the cheap sensitive instructions
 * (JitStrategy.sensitive 'inline': runtime/jit/strategies.ts jit-inline,
 * jit-eager-inline). Every result must equal the interpreter's (the
 * reference) and the trap strategy's; what differs is who does the work:
 * translated code instead of exits, counted apart in the JIT's stats.
 *
 * - guests of test/jit/guests (built with the system guests' lib.S):
 *   inline-ops (CLI/STI/PUSHF/POPF/IN/OUT at CPL 0, at CPL 3 with IOPL 3
 *   and IOPL 0, POPF setting TF) and inline-sti-hlt (`sti; hlt` with the
 *   timer's interrupt pending, time slices ending right after STI);
 * - the system guests with v8086 mode and privilege checks, in the eager
 *   inline tier (every first run translated);
 * - small flat programs: the blocking by STI recorded at a slice end, IN
 *   and OUT to an owned port with and without the embedder taking I/O
 *   exits, isa-debug-exit from an inline OUT.
 *
 *   npx vitest run test/jit/inline.test.ts
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DebugCon, DebugConBuffer, DEBUGCON_PORT } from '../../runtime/devices/debugcon.js';
import { ExitReason } from '../../runtime/exit-reason.js';
import { BUDGET_EXHAUSTED } from '../../runtime/interpreter.js';
import { createMachine, type Machine } from '../../src/machine.js';
import { loadFlat } from '../../src/loaders/flat.js';
import { loadMultiboot } from '../../src/loaders/multiboot.js';
import { systemLinkedGuest } from './harness.js';
import { guestByName } from '../system/catalog.js';
import { readExpected, runWasmvisor } from '../system/runner.js';

const TIERS = ['interpreter', 'jit-hot', 'jit-inline', 'jit-eager-inline'] as const;

const buildGuest = (name: string): string => systemLinkedGuest(name, 'jit-inline');

interface GuestRun {
  readonly lines: string[];
  readonly end: string;
  readonly machine: Machine;
}

/** Run a guest of test/jit/guests in `tier`; `setup` may adjust the machine first. */
function runGuest(name: string, tier: string, setup?: (m: Machine) => void): GuestRun {
  const machine = createMachine({ memoryMiB: 32, tier, cpu: 'pentium3' });
  const out = new DebugConBuffer();
  machine.io.register(DEBUGCON_PORT, 1, new DebugCon(out.sink));
  loadMultiboot(machine, new Uint8Array(readFileSync(buildGuest(name))), { cmdline: name }, name);
  setup?.(machine);
  const result = machine.run({ maxInstructions: 50_000_000 });
  machine.close();
  return { lines: out.text().split('\n').filter((l) => l !== ''), end: result.message, machine };
}

function exits(m: Machine, reason: ExitReason): number {
  return m.vmm.exitCounts.get(reason) ?? 0;
}

describe('inline-ops guest: every tier agrees with the interpreter', () => {
  const runs = new Map(TIERS.map((t) => [t, runGuest('inline-ops', t)] as const));
  const reference = runs.get('interpreter')!;

  it('the interpreter runs it as expected', () => {
    expect(reference.end).toMatch(/debug-exit|exit/);
    expect(reference.lines).toHaveLength(5);
    // 40 iterations of CLI, STI, IN, OUT, IN (DX) at CPL 3 with IOPL 0: 5 #GPs each.
    expect(reference.lines[3]).toMatch(/#GP 000000c8$/);
    // POPF setting TF: one #DB per iteration, each after the INC that follows POPF.
    expect(reference.lines[4]).toBe('popf tf: #DB 00000028 elsewhere 00000000 edi 00000028');
  });

  for (const tier of TIERS.slice(1)) {
    it(`${tier}: the same transcript`, () => {
      const run = runs.get(tier)!;
      expect(run.lines).toEqual(reference.lines);
      expect(run.end).toBe(reference.end);
    });
  }

  it('inline tiers run the sensitive instructions in translated code: counted apart, fewer exits', () => {
    const trap = runs.get('jit-hot')!.machine;
    for (const tier of ['jit-inline', 'jit-eager-inline'] as const) {
      const m = runs.get(tier)!.machine;
      const s = m.jit!.stats;
      // 658 under jit-inline with regions of every reachable block, 515 with only those that have run
      // (the default: code past a branch not yet taken is compiled 20 runs later, on its own).
      expect(s.inlineOps).toBeGreaterThan(500);
      expect(s.inlineIo).toBeGreaterThan(150);
      // CPL 3 with IOPL 0 (and the unclaimed port) left for the trap path.
      expect(s.inlineToVmm).toBeGreaterThanOrEqual(40);
      expect(exits(m, ExitReason.IoInstruction)).toBeLessThan(exits(trap, ExitReason.IoInstruction) - 150);
    }
    expect(trap.jit!.stats.inlineOps).toBe(0);
    expect(trap.jit!.stats.inlineToVmm).toBe(0);
  });
});

describe('sti; hlt with a pending timer interrupt', () => {
  // Slices of 6 instructions: the wait loop (INC, INC, IN, TEST, JZ) and STI are one path of translated
  // code, so a slice whose IN finds the interrupt pending ends right after STI, and the vCPU sees that
  // boundary (the interrupt turned up after the vCPU's last look, during the INCs).
  const slices = (m: Machine): void => { m.vcpu.interruptPollInstructions = 6; };
  const reference = runGuest('inline-sti-hlt', 'interpreter', slices);

  it('the interpreter delivers every tick after HLT', () => {
    expect(reference.lines).toEqual(['ticks 00000028 before hlt 00000000']);
  });

  for (const tier of TIERS.slice(1)) {
    it(`${tier}: no wake-up lost`, () => {
      const run = runGuest('inline-sti-hlt', tier, slices);
      expect(run.lines).toEqual(reference.lines);
      expect(run.end).toBe(reference.end);
      if (tier.endsWith('inline')) expect(run.machine.jit!.stats.inlineOps).toBeGreaterThan(40);
    });
  }
});

describe('system guests in the eager inline tier', () => {
  // v8086 mode (CLI/STI/PUSHF/POPF/IN at IOPL 0 and 3) and privilege (CPL 3, the I/O bitmap, POPF).
  for (const name of ['v86', 'privilege']) {
    it(`${name}: the reviewed transcript`, async () => {
      const spec = guestByName(name)!;
      const { transcript } = await runWasmvisor(spec, 'jit-eager-inline', 'nested');
      const expected = readExpected(spec);
      expect(transcript.lines).toEqual(expected.lines);
      expect(transcript.end).toBe(expected.end);
    });
  }
});

/** A machine in the flat loader's state (CPL 0, IF = 0) running `code` at 1 MiB. */
function flatMachine(tier: string, code: number[]): Machine {
  const m = createMachine({ memoryMiB: 4, tier });
  loadFlat(m, new Uint8Array(code));
  return m;
}

const STI = 0xfb, HLT = 0xf4, NOP = 0x90;
const MOV_AL = (v: number): number[] => [0xb0, v];
const OUT_IMM = (port: number): number[] => [0xe6, port];
const IN_IMM = (port: number): number[] => [0xe4, port];

describe('inline STI records the blocking by STI exactly', () => {
  for (const tier of ['interpreter', 'jit-hot', 'jit-eager-inline']) {
    it(`${tier}: a slice ending right after STI leaves the blocking set for the next instruction`, () => {
      const m = flatMachine(tier, [NOP, STI, HLT]);
      const exit = m.vcpu.run(2);
      expect(exit.reason).toBe(BUDGET_EXHAUSTED);
      expect(m.cpu.eip).toBe(0x100002);
      expect(m.cpu.flags & 0x200).toBe(0x200);
      expect(m.cpu.interruptShadow).toBe(1);
      // The VMM's record: the STI retired as the 2nd instruction, so the blocking lasts while retired === 2.
      expect(m.vmm.shadowSetAt).toBe(1);
      m.close();
    });
  }
});

describe('inline RDTSC', () => {
  // mov ecx, 60; xor esi, esi; xor edi, edi; L: rdtsc; add esi, eax; adc edi, edx; nop; loop L; hlt:
  // the sum of 60 readings of the TSC, which follows the instruction clock here, so every tier that
  // retires the same instructions reads the same values (an inline read with a stale retired count
  // would not).
  const code = [0xb9, 60, 0, 0, 0, 0x31, 0xf6, 0x31, 0xff, 0x0f, 0x31, 0x01, 0xc6, 0x11, 0xd7, NOP, 0xe2, 0xf7, HLT];
  const run = (tier: string, setup?: (m: Machine) => void) => {
    const m = flatMachine(tier, code);
    setup?.(m);
    const r = m.run({ maxInstructions: 10_000 });
    const out = { end: r.message, retired: r.retired, esi: m.cpu.regs[6]! >>> 0, edi: m.cpu.regs[7]! >>> 0 };
    const stats = { exits: exits(m, ExitReason.Rdtsc), inlineOps: m.jit?.stats.inlineOps ?? 0, vmm: m.jit?.stats.inlineToVmm ?? 0 };
    m.close();
    return { out, stats };
  };
  const reference = run('interpreter');

  it('the interpreter reads a TSC that moves (one exit per RDTSC)', () => {
    expect(reference.out.esi).not.toBe(0);
    expect(reference.stats.exits).toBe(60);
  });

  for (const tier of ['jit-hot', 'jit-inline', 'jit-eager-inline']) {
    it(`${tier}: the same readings`, () => {
      const r = run(tier);
      expect(r.out).toEqual(reference.out);
      if (tier === 'jit-hot') {
        expect(r.stats.exits).toBe(60);
      } else {
        // Inline from the first compilation on (at once for eager): no exit recorded for those.
        expect(r.stats.inlineOps).toBeGreaterThanOrEqual(tier === 'jit-inline' ? 30 : 60);
        expect(r.stats.exits).toBe(60 - r.stats.inlineOps);
      }
    });
  }

  it('RDTSC exits the embedder takes still reach it, one by one', () => {
    let taken = 0;
    const m = flatMachine('jit-eager-inline', code);
    m.vcpu.takeExits(ExitReason.Rdtsc);
    for (;;) {
      const exit = m.vcpu.run(10_000);
      if (exit.reason === ExitReason.Hlt) break;
      expect(exit.reason).toBe(ExitReason.Rdtsc);
      m.vcpu.completeByDefault();
      taken++;
      if (taken > 60) break;
    }
    expect(taken).toBe(60);
    expect(m.jit!.stats.inlineToVmm).toBe(60);
    m.close();
  });
});

describe('inline IN and OUT', () => {
  // OUT to the slave 8259A's mask register, IN it back; then HLT.
  const code = [...MOV_AL(0x5a), ...OUT_IMM(0xa1), ...MOV_AL(0), ...IN_IMM(0xa1), HLT];

  it('a port of the VMM core: done from translated code, no exit', () => {
    const m = flatMachine('jit-eager-inline', code);
    expect(m.vcpu.run(100).reason).toBe(ExitReason.Hlt);
    expect(m.cpu.regs[0]! & 0xff).toBe(0x5a);
    expect(m.jit!.stats.inlineIo).toBe(2);
    expect(exits(m, ExitReason.IoInstruction)).toBe(0);
    m.close();
  });

  it('the trap strategy exits for each', () => {
    const m = flatMachine('jit-eager', code);
    expect(m.vcpu.run(100).reason).toBe(ExitReason.Hlt);
    expect(m.cpu.regs[0]! & 0xff).toBe(0x5a);
    expect(exits(m, ExitReason.IoInstruction)).toBe(2);
    m.close();
  });

  it('a port the embedder takes (takeExits(IoInstruction)): run() still returns each exit', () => {
    const m = flatMachine('jit-eager-inline', code);
    m.vcpu.takeExits(ExitReason.IoInstruction);
    const out = m.vcpu.run(100);
    expect(out.reason).toBe(ExitReason.IoInstruction);
    expect(out.io).toMatchObject({ port: 0xa1, input: false, data: 0x5a });
    const inp = m.vcpu.run(100);
    expect(inp.reason).toBe(ExitReason.IoInstruction);
    expect(inp.io).toMatchObject({ port: 0xa1, input: true });
    inp.io!.data = 0x77;
    expect(m.vcpu.run(100).reason).toBe(ExitReason.Hlt);
    expect(m.cpu.regs[0]! & 0xff).toBe(0x77);
    expect(m.jit!.stats.inlineIo).toBe(0);
    expect(m.jit!.stats.inlineToVmm).toBe(2);
    m.close();
  });

  it('isa-debug-exit from an inline OUT ends the run as under the interpreter', () => {
    const exitCode = [NOP, ...MOV_AL(0x21), ...OUT_IMM(0xf4), HLT];
    const ends = ['interpreter', 'jit-eager', 'jit-eager-inline'].map((tier) => {
      const m = flatMachine(tier, exitCode);
      const r = m.run({ maxInstructions: 1000 });
      const end = { message: r.message, retired: r.retired, eip: m.cpu.eip, io: m.jit?.stats.inlineIo ?? 0 };
      m.close();
      return end;
    });
    expect(ends[0]!.message).toMatch(/67|0x43|debug/i);
    expect(ends.map(({ message, retired, eip }) => ({ message, retired, eip }))).toEqual(Array(3).fill({ message: ends[0]!.message, retired: ends[0]!.retired, eip: ends[0]!.eip }));
  });
});
