/**
 * Regions that take in their callees' pages (JitStrategy.calleePages,
 * region.ts CalleePages): a call to a function on another page, and its
 * RET, stay inside the caller's region. The callee's code must still be
 * what runs at its linear address: the region checks at run time that the
 * callee's page maps the frame its bytes came from, and a write to those
 * bytes drops the region (the SMC guests run under the callee
 * configurations of harness.ts TIER_CONFIGS as well).
 *
 *   npx vitest run test/jit/callee-pages.test.ts
 */
import { describe, expect, it } from 'vitest';
import type { JitStrategy } from '../../runtime/jit/jit.js';
import { DEFAULT_LIMITS, formRegion } from '../../translator/emit/region.js';
import { CALLEE_PAGES, fold, GuestRun, guestImage, HOT_THRESHOLD, range1, RESULTS, TIER_CONFIGS, type TierConfig } from './harness.js';

const hot = (calleePages: number): TierConfig => ({
  label: `jit-hot callees=${calleePages}`,
  strategy: { name: `test-hot-callees-${calleePages}`, threshold: HOT_THRESHOLD, optimize: 0, smc: 'subpage', calleePages } satisfies JitStrategy,
});

function run(name: string, config: TierConfig): GuestRun {
  const r = new GuestRun(guestImage(name), config);
  r.runToHalt();
  return r;
}

describe('callee pages', () => {
  it('a loop calling functions on three other pages (one calling a fourth) keeps its calls inside the region', () => {
    const N = 400;
    const want = fold(range1(N).map((i) => 3 * i + 2 * (i + 1) + (i * (i + 1)) / 2));
    const own = run('callee-pages', hot(0));
    const callees = run('callee-pages', hot(CALLEE_PAGES));
    const interp = run('callee-pages', TIER_CONFIGS[0]!);
    for (const r of [own, callees, interp]) expect(r.results(1)).toEqual([want]);
    expect(callees.registers()).toEqual(interp.registers());
    expect(own.jit!.stats.calleePages).toBe(0);
    // The caller's region took in f1, f2, f3 and g: four pages (more regions may take in some of them too).
    expect(callees.jit!.stats.calleePages).toBeGreaterThanOrEqual(4);
    // Without callee pages each compiled iteration enters regions seven times (the loop's, and after
    // each of three calls and four returns but one); with them, the loop runs in one region.
    expect(own.jit!.stats.regionEntries).toBeGreaterThan(5 * (N - 2 * HOT_THRESHOLD));
    expect(callees.jit!.stats.regionEntries).toBeLessThan(N / 4);
  });

  it('a callee page remapped onto another frame (a new PTE and INVLPG) runs the new frame\'s code', () => {
    const N = 64;
    const values = range1(N).map((i) => (i <= N / 2 ? 1 : 2));
    const want = [values.reduce((a, b) => a + b, 0), fold(values)];
    for (const config of [hot(CALLEE_PAGES), ...TIER_CONFIGS]) {
      const r = run('callee-remap', config);
      expect(r.results(2), config.label).toEqual(want);
    }
    // The caller's region did take in the callee's page before the remap.
    expect(run('callee-remap', hot(CALLEE_PAGES)).jit!.stats.calleePages).toBeGreaterThan(0);
  });

  it('the SMC guest that writes code on another page takes that page into the caller\'s region, and sees each write', () => {
    const r = run('smc-other-page', hot(CALLEE_PAGES));
    expect(r.jit!.stats.calleePages).toBeGreaterThan(0);
    expect(r.jit!.stats.invalidations).toBeGreaterThan(0);
    expect(r.registers()).toEqual(run('smc-other-page', TIER_CONFIGS[0]!).registers());
    expect(r.results(1)).toEqual([fold(range1(64).map((i) => 5 * i))]);
  });

  it('formation: a callee page joins only through a CALL to code that has run, up to the limit, and a block stays on one page', () => {
    // Entry page 0x1000: call 0x2000; call 0x3000; jmp 0x4000. Each target page: inc eax; ret (0x4000: hlt).
    const base = 0x1000;
    const bytes = new Map<number, number>();
    const put = (at: number, code: number[]): void => code.forEach((b, k) => bytes.set(at + k, b));
    const rel = (from: number, to: number): number[] => { const d = (to - from) >>> 0; return [d & 0xff, (d >>> 8) & 0xff, (d >>> 16) & 0xff, d >>> 24]; };
    put(base, [0xe8, ...rel(base + 5, 0x2000), 0xe8, ...rel(base + 10, 0x3000), 0xe9, ...rel(base + 15, 0x4000)]);
    put(0x2000, [0x40, 0xc3]);
    put(0x3000, [0x40, 0xc3]);
    put(0x4000, [0xf4]);
    const form = (ran: ReadonlySet<number>, limit: number): { pages: number[]; region: ReturnType<typeof formRegion> } => {
      const pages: number[] = [];
      const admitted = new Set<number>();
      const region = formRegion((e) => (e >>> 12 === 1 ? bytes.get(e) ?? 0x90 : -1), base, true, DEFAULT_LIMITS, () => false, null, null, () => true, {
        page: (e) => e >>> 12,
        admit: (e) => {
          if (admitted.has(e >>> 12)) return true;
          if (!ran.has(e) || admitted.size >= limit) return false;
          admitted.add(e >>> 12);
          pages.push(e >>> 12);
          return true;
        },
        read: (e) => (admitted.has(e >>> 12) ? bytes.get(e) ?? 0x90 : -1),
        executed: (e) => ran.has(e),
      });
      return { pages, region };
    };
    const all = form(new Set([0x2000, 0x3000, 0x4000]), 4);
    expect(all.pages).toEqual([2, 3]); // the JMP's page stays out: only CALLs take pages in
    expect([...all.region!.callees.keys()]).toEqual([2, 3]);
    expect(all.region!.callees.get(2)).toEqual({ start: 0, end: 2 });
    expect([...all.region!.blocks.keys()].sort()).toEqual([base, base + 5, base + 10, 0x2000, 0x3000].sort());
    expect(form(new Set([0x3000]), 4).pages).toEqual([3]); // 0x2000 has not run
    expect(form(new Set([0x2000, 0x3000]), 1).pages).toEqual([2]);
    // The entry page's extent covers its own bytes only.
    expect([all.region!.byteStart, all.region!.byteEnd]).toEqual([0, 15]);

    // A callee running off the end of its page: its block ends at the page's end, the next page stays out.
    put(base + 15, [0xe8, ...rel(base + 20, 0x5ffe), 0xf4]);
    put(0x5ffe, [0x40, 0x40]);
    put(0x6000, [0xc3]);
    bytes.set(base + 10, 0xe8); // the JMP becomes a CALL of 0x4000: hlt
    const split = form(new Set([0x2000, 0x3000, 0x4000, 0x5ffe, 0x6000]), 8);
    expect(split.pages).toEqual([2, 3, 4, 5]);
    const tail = split.region!.blocks.get(0x5ffe)!;
    expect(tail.insns.length).toBe(2);
    expect(tail.successors).toEqual([0x6000]);
    expect(split.region!.blocks.has(0x6000)).toBe(false);
    expect(split.region!.callees.get(5)).toEqual({ start: 0xffe, end: 0x1000 });
  });
});
