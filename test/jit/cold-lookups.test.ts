/**
 * What the JIT pays for cold code: it looks translations up and counts
 * hotness only where a translator block can start (after a control
 * transfer, a sensitive or REP string instruction, a page crossing, the
 * start of a run, where translated code returned), not at every
 * interpreted instruction; and its maps are keyed by (page, in-page key),
 * small integers (runtime/jit/page-keys.ts).
 *
 *   npx vitest run test/jit/cold-lookups.test.ts
 */
import { describe, expect, it } from 'vitest';
import { JitTier, type JitStrategy } from '../../runtime/jit/jit.js';
import { inPageKey, inPageOfKey, PageKeyMap, pageOfKey, wholeKey } from '../../runtime/jit/page-keys.js';
import { createMachine } from '../../src/machine.js';
import { loadFlat } from '../../src/loaders/flat.js';
import { ExitReason } from '../../runtime/exit-reason.js';
import { BUDGET_EXHAUSTED } from '../../runtime/interpreter.js';

const HOT: JitStrategy = { name: 'test-hot', threshold: 20, optimize: 0, smc: 'subpage' };

/** Run raw 32-bit code (loaded at 1 MiB, flat protected mode) to its HLT; returns EAX and the JIT. */
function runToHalt(code: readonly number[], strategy: JitStrategy = HOT, slice = 10_000): { eax: number; jit: JitTier } {
  const machine = createMachine({ memoryMiB: 4, tier: 'interpreter' });
  const jit = new JitTier(machine.interpreter, strategy);
  loadFlat(machine, Uint8Array.from(code));
  machine.cpu.regs[0] = 0;
  for (let n = 0; n < 10_000; n++) {
    const exit = jit.run(slice);
    if (exit.reason === BUDGET_EXHAUSTED) continue;
    expect(exit.reason).toBe(ExitReason.Hlt);
    return { eax: machine.cpu.regs[0]! >>> 0, jit };
  }
  throw new Error('the code did not halt');
}

const INC_EAX = 0x40;
const HLT = 0xf4;
const NOP = 0x90;

describe('cold code: lookups at block starts only', () => {
  it('straight-line code runs once with one lookup, not one per instruction', () => {
    const n = 300;
    const { eax, jit } = runToHalt([...Array<number>(n).fill(INC_EAX), HLT]);
    expect(eax).toBe(n);
    expect(jit.stats.interpretedSteps).toBe(n + 1);
    // The run starts at a block start (one lookup); nothing after it transfers control.
    expect(jit.stats.misses).toBeLessThanOrEqual(2);
    expect(jit.stats.dispatches).toBeLessThanOrEqual(2);
  });

  it('straight-line code split across slices is not looked up where a slice resumes it', () => {
    const n = 300;
    const { eax, jit } = runToHalt([...Array<number>(n).fill(INC_EAX), HLT], HOT, 7);
    expect(eax).toBe(n);
    expect(jit.stats.misses).toBeLessThanOrEqual(2);
  });

  it('a loop is still found and compiled at its header (the target of its jump back)', () => {
    // mov ecx, 1000; L: inc eax; inc eax; loop L; hlt
    const { eax, jit } = runToHalt([0xb9, 0xe8, 0x03, 0, 0, INC_EAX, INC_EAX, 0xe2, 0xfc, HLT]);
    expect(eax).toBe(2000);
    expect(jit.stats.compiles).toBe(1);
    expect(jit.stats.interpretedSteps).toBeLessThan(100);
  });

  it('a loop through an instruction that straddles a page boundary compiles on both pages, the instruction included', () => {
    // mov ecx, ROUNDS; jmp L; (filler); L: BEFORE x inc eax; add eax, 1 (its last byte on the next page);
    // AFTER x inc eax; loop L; hlt. The straddling ADD ends the first page's region (translated with the
    // byte of the next page), and the code after it, on the second page, is a block start.
    const before = 30, after = 40, rounds = 1000;
    const loopStart = 4096 - 2 - before;
    const rel = loopStart - 10;
    const code = [0xb9, rounds & 0xff, rounds >> 8, 0, 0, 0xe9, rel & 0xff, rel >> 8, 0, 0];
    while (code.length < loopStart) code.push(NOP);
    for (let k = 0; k < before; k++) code.push(INC_EAX);
    expect(code.length).toBe(4094);
    code.push(0x83, 0xc0, 0x01);
    for (let k = 0; k < after; k++) code.push(INC_EAX);
    const back = loopStart - (code.length + 2);
    code.push(0xe2, back & 0xff, HLT);
    const { eax, jit } = runToHalt(code);
    expect(eax).toBe(rounds * (before + 1 + after));
    expect(jit.stats.compiles).toBeGreaterThanOrEqual(2);
    // About 20 iterations interpreted before both pages compile (1,700 steps), then none: interpreting the
    // ADD in every iteration would be ROUNDS steps more, the second page's code over 40 000.
    expect(jit.stats.interpretedSteps).toBeLessThan(20 * (before + 1 + after) + rounds / 2);
    expect(jit.stats.slowExits).toBe(0);
  });
});

describe('PageKeyMap', () => {
  it('keys by page and in-page key, and drops pages whole or by a test', () => {
    const m = new PageKeyMap<string>();
    const pa = 0x1234567;
    const bits = 0xabc;
    const key = wholeKey(pa >>> 12, inPageKey(pa, bits));
    expect(key).toBe(pa * 4096 + bits);
    expect(pageOfKey(key)).toBe(pa >>> 12);
    expect(inPageOfKey(key)).toBe(((pa & 0xfff) << 12) | bits);
    m.set(1, 5, 'a');
    m.set(1, 6, 'b');
    m.set(1, 5, 'c');
    m.set(2, 5, 'd');
    expect(m.size).toBe(3);
    expect(m.get(1, 5)).toBe('c');
    expect(m.has(2, 5)).toBe(true);
    expect(m.has(2, 6)).toBe(false);
    m.deleteWhere(1, (k) => k === 6);
    expect(m.size).toBe(2);
    expect(m.get(1, 6)).toBeUndefined();
    m.deletePage(1);
    expect(m.size).toBe(1);
    expect(m.page(1)).toBeUndefined();
    m.delete(2, 5);
    m.delete(2, 5);
    expect(m.size).toBe(0);
    expect(m.page(2)).toBeUndefined();
  });
});
