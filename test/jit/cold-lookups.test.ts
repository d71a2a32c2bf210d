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
import { DEFAULT_LIMITS, formRegion } from '../../translator/emit/region.js';

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

  it('calls between regions on two pages stay in the dispatcher, not in lookups of the runtime', () => {
    // mov ecx, 1000; L: call F (the next page); loop L; hlt; ... F: inc eax; ret. Once both regions are
    // compiled, each CALL and RET leaves one region for the other through the Wasm dispatcher: the
    // runtime's own lookup (a hit there means the dispatcher missed what was registered) finds little.
    const code = [0xb9, 0xe8, 0x03, 0, 0, 0xe8, 0xf6, 0x0f, 0, 0, 0xe2, 0xf9, HLT];
    while (code.length < 4096) code.push(NOP);
    code.push(INC_EAX, 0xc3);
    const { eax, jit } = runToHalt(code);
    expect(eax).toBe(1000);
    expect(jit.stats.compiles).toBe(2);
    expect(jit.stats.regionEntries).toBeGreaterThan(1500);
    expect(jit.stats.hits).toBeLessThan(50);
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

describe('regions grow only into code that has run (JitStrategy.regions)', () => {
  // mov ecx, 100; xor eax, eax; L: cmp ecx, 40; jae H; add eax, 1000; H: inc eax; loop L; hlt
  // The ADD runs only once ECX is below 40: after the loop at L has been compiled (its 21st arrival).
  const COLD_LATE = [0xb9, 100, 0, 0, 0, 0x31, 0xc0, 0x83, 0xf9, 40, 0x73, 0x05, 0x05, 0xe8, 0x03, 0, 0, INC_EAX, 0xe2, 0xf3, HLT];
  const RESULT = 100 + 39 * 1000;
  // mov ecx, 100; xor eax, eax; L: cmp ecx, 40; jb OUT; inc eax; loop L; hlt; OUT: add eax, 1000; hlt
  // The ADD at OUT runs once, when ECX reaches 39, and leads out of the loop.
  const COLD_EXIT = [0xb9, 100, 0, 0, 0, 0x31, 0xc0, 0x83, 0xf9, 40, 0x72, 0x04, INC_EAX, 0xe2, 0xf8, HLT, 0x05, 0xe8, 0x03, 0, 0, HLT];
  const EXIT_RESULT = 61 + 1000;

  it('a cold path that leads out stays out of the region', () => {
    const { eax, jit } = runToHalt(COLD_EXIT);
    expect(eax).toBe(EXIT_RESULT);
    // cmp, jb, inc, loop: the ADD had not run when the loop was compiled, and it is on no cycle.
    expect(jit.stats.compiles).toBe(1);
    expect(jit.stats.guestInstructionsTranslated).toBe(4);
    const all = runToHalt(COLD_EXIT, { ...HOT, regions: 'reachable' });
    expect(all.eax).toBe(EXIT_RESULT);
    expect(all.jit.stats.guestInstructionsTranslated).toBe(5);
  });

  it("a loop's branch not taken yet joins the loop's region (it would leave and come back on every iteration)", () => {
    const { eax, jit } = runToHalt(COLD_LATE);
    expect(eax).toBe(RESULT);
    // Formed at H (the JAE's target, hot first: the first pass falls into L): inc, loop, cmp, jae and the
    // ADD, on the cycle through L though it had not run.
    expect(jit.stats.compiles).toBe(1);
    expect(jit.stats.guestInstructionsTranslated).toBe(5);
  });

  it('a region compiled before anything ran (threshold 0) takes every reachable block', () => {
    const { eax, jit } = runToHalt(COLD_LATE, { ...HOT, threshold: 0 });
    expect(eax).toBe(RESULT);
    // The entry's region (mov, xor, then the loop with the ADD) and nothing else: the HLT ends it.
    expect(jit.stats.compiles).toBe(1);
    expect(jit.stats.guestInstructionsTranslated).toBe(7);
  });

  it('formation: a return point joins only once it has run; a block cut for length is followed regardless', () => {
    const base = 0x1000;
    const at = (bytes: readonly number[]) => (eip: number): number => (eip >= base && eip - base < bytes.length ? bytes[eip - base]! : -1);
    // call (off the page); nop; hlt: the NOP is where the callee returns.
    const call = [0xe8, 0x10, 0, 0, 0, NOP, HLT];
    const cold = formRegion(at(call), base, true, DEFAULT_LIMITS, () => false, null, null, () => false)!;
    expect([...cold.blocks.keys()]).toEqual([base]);
    expect(cold.returnPoints).toEqual([]);
    const warm = formRegion(at(call), base, true, DEFAULT_LIMITS, () => false, null, null, (e) => e === base + 5)!;
    expect([...warm.blocks.keys()]).toEqual([base, base + 5]);
    expect(warm.returnPoints).toEqual([base + 5]);
    // Five INCs in blocks of at most two: nothing transfers control, so all of them join.
    const cut = formRegion(at([...Array<number>(5).fill(INC_EAX), HLT]), base, true, { ...DEFAULT_LIMITS, maxBlockInstructions: 2 },
      () => false, null, null, () => false)!;
    expect(cut.instructionCount).toBe(5);
    expect(cut.blocks.size).toBe(3);
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
