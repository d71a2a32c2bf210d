/**
 * Self-modifying code, in every tier: each guest of test/jit/guests/ runs on
 * the reference interpreter and on the Wasm JIT under every SMC policy
 * ('page', 'subpage', 'verify'), with regions compiled before their first
 * run (threshold 0) and only once hot (threshold 20). Every run must give
 * the result a real CPU gives (the expected values are computed here from
 * the guests' definitions, not taken from a tier) and end in the same
 * register state as the interpreter.
 *
 *   npx vitest run test/jit/smc.test.ts
 */
import { describe, expect, it } from 'vitest';
import { fold, GuestRun, guestImage, hex, range1, RESULTS, TIER_CONFIGS, type TierConfig } from './harness.js';

/** Iterations of every guest loop (the guests' N). */
const N = 64;
const TIMEOUT = 120_000;

interface Scenario {
  readonly name: string;
  readonly guest: string;
  /** Run the guest to completion (default: to its HLT). */
  readonly run?: (r: GuestRun) => void;
  /** Result dwords the guest leaves at RESULTS, by name. */
  readonly results: readonly string[];
  /** Expected result dwords (may depend on addresses the guest reports). */
  readonly expected: (r: GuestRun) => readonly number[];
  /** Checks on the JIT's statistics, for the JIT configurations. */
  readonly stats?: (r: GuestRun) => void;
}

/** Bytes the host writes over dma_fn in (d): mov $0x2000, %eax; sub %ecx, %eax; ret. */
const DMA_CODE = new Uint8Array([0xb8, 0x00, 0x20, 0x00, 0x00, 0x29, 0xc8, 0xc3]);
/** Where the paging guests map their alias area. */
const ALIAS = 0x400000;

const invalidated = (r: GuestRun): void => {
  expect(r.jit!.stats.invalidations, 'translations invalidated').toBeGreaterThan(0);
};

const SCENARIOS: readonly Scenario[] = [
  {
    name: '(a) a write to the next instruction in the same block',
    guest: 'smc-same-block',
    results: ['next imm32', 'next opcode', 'REP MOVSB over the next instruction', 'an instruction that already ran',
      'x87 store over the next imm32', 'x87 store over a later x87 instruction of its run'],
    expected: () => [
      fold(range1(N).map((i) => 2 * i)),
      fold(range1(N).map((i) => (i & 1 ? i - 1 : i + 1))),
      fold(range1(N).map((i) => 3 * i)),
      fold(range1(N).map((i) => (i === 1 ? 0x100 : i - 1))),
      fold(range1(N).map((i) => 5 * i)),
      fold(range1(N).map((i) => 11 * i)),
    ],
    stats: invalidated,
  },
  {
    name: '(b) a write to code on another page, which then runs',
    guest: 'smc-other-page',
    results: ['new imm32', 'new opcode', 'unwritten neighbour', 'store straddling into the page'],
    expected: () => [
      fold(range1(N).map((i) => 5 * i)),
      fold(range1(N).map((i) => (i & 1 ? 7 - i : 7 + i) >>> 0)),
      fold(range1(N).map((i) => 11 * i)),
      fold(range1(N).map((i) => 0xdeadbe00 + i)),
    ],
    stats: invalidated,
  },
  {
    name: '(c) a write through a second virtual page mapping the same frame',
    guest: 'smc-alias',
    results: ['written via alias, run via identity', 'written via identity, run via alias'],
    expected: () => [fold(range1(N).map((i) => 9 * i)), fold(range1(N).map((i) => 13 * i))],
    stats: invalidated,
  },
  {
    name: '(c2) one frame of code run through two virtual pages sees its own EIP in each',
    guest: 'smc-alias-eip',
    results: ['EIP through the identity map', 'EIP through the alias', 'where_am_i'],
    expected: (r) => {
      const where = r.read32(RESULTS + 8);
      return [fold(range1(N).map(() => where)), fold(range1(N).map(() => ALIAS + (where & 0xfff))), where];
    },
  },
  {
    name: '(d) a device (DMA) write of new code between two runs',
    guest: 'smc-dma',
    run: (r) => {
      r.runToHalt();
      r.machine.mem.load(r.read32(RESULTS + 8), DMA_CODE);
      r.wake();
      r.runToHalt();
    },
    results: ['before the write', 'after the write', 'dma_fn address', 'unwritten neighbour'],
    expected: (r) => [
      fold(range1(N).map((i) => 0x1000 + i)),
      fold(range1(N).map((i) => 0x2000 - i)),
      r.read32(RESULTS + 8),
      fold([...range1(N), ...range1(N)].map((i) => 17 * i)),
    ],
    stats: invalidated,
  },
  {
    name: '(e) a guest JIT loop that generates and calls new code',
    guest: 'smc-guest-jit',
    results: ['buffer on its own page', "buffer on the generator's page"],
    expected: () => [fold(range1(N).map((i) => i * i + 7)), fold(range1(N).map((i) => i * i + 7))],
    stats: invalidated,
  },
  {
    name: '(f) an instruction straddling two pages: a write to its bytes on the second, then that page remapped',
    guest: 'smc-straddle',
    results: ['as loaded', 'second frame written', 'second page remapped'],
    expected: () => [0x11223344, 0x55663344, 0x77883344].map((imm) => fold(range1(N).map((i) => (i + imm) >>> 0))),
    // The 'verify' policy saves one page of bytes per translation: it leaves straddling instructions to the interpreter.
    stats: (r) => {
      if (r.config.strategy!.smc !== 'verify') invalidated(r);
    },
  },
];

/** Run a scenario's guest in one tier (each pair once: the accounting tests reuse the run). */
const runs = new Map<string, GuestRun>();
function execute(s: Scenario, config: TierConfig): GuestRun {
  const key = `${s.name} / ${config.label}`;
  let r = runs.get(key);
  if (!r) {
    r = new GuestRun(guestImage(s.guest), config);
    (s.run ?? ((g: GuestRun) => g.runToHalt()))(r);
    runs.set(key, r);
  }
  return r;
}

/** The final state to compare across tiers: registers, EIP, and the result dwords. */
function finalState(r: GuestRun, s: Scenario): Record<string, string> {
  const names = ['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi'];
  const out: Record<string, string> = {};
  r.registers().forEach((v, k) => { out[names[k]!] = hex(v); });
  out.eip = hex(r.machine.cpu.eip);
  r.results(s.results.length).forEach((v, k) => { out[s.results[k]!] = hex(v); });
  return out;
}

const interpreterRun = (s: Scenario): GuestRun => execute(s, TIER_CONFIGS[0]!);

for (const s of SCENARIOS) {
  describe(s.name, () => {
    for (const config of TIER_CONFIGS) {
      it(config.label, () => {
        const r = execute(s, config);
        const got = r.results(s.results.length);
        const want = s.expected(r);
        const named = (v: readonly number[]): Record<string, string> => Object.fromEntries(s.results.map((n, k) => [n, hex(v[k]!)]));
        expect(named(got)).toEqual(named(want));
        if (!config.strategy) return;
        expect(finalState(r, s)).toEqual(finalState(interpreterRun(s), s));
        expect(r.jit!.stats.compiles, 'regions compiled').toBeGreaterThan(0);
        s.stats?.(r);
      }, TIMEOUT);
    }
  });
}

describe('(b) policies: the sub-page policy keeps translations the write does not overlap', () => {
  it('drops fewer translations than the page policy', () => {
    const s = SCENARIOS[1]!;
    const runs = ['page', 'subpage'].map((smc) => execute(s, TIER_CONFIGS.find((c) => c.strategy?.smc === smc && c.strategy.threshold === 0)!));
    const [page, subpage] = runs.map((r) => r.jit!.stats);
    expect(subpage!.invalidations).toBeLessThan(page!.invalidations);
    expect(subpage!.compiles).toBeLessThan(page!.compiles);
  }, TIMEOUT);
});

/**
 * Translated code must retire exactly the instructions the interpreter
 * retires (the budget, the instruction limit and the virtual TSC count
 * them), including when a write to the running region ends it early.
 */
describe('instruction accounting matches the interpreter', () => {
  // The smallest case: one block whose second instruction writes INC EAX over a NOP ahead of it.
  //   100000  31 c0                  xor  eax, eax
  //   100002  c6 05 0a 00 10 00 40   mov  byte [0x10000a], 0x40
  //   100009  90 90 90               nop; nop (becomes inc eax); nop
  //   10000c  fa f4                  cli; hlt
  // 7 instructions retire, and EAX ends as 1.
  const image = new Uint8Array([0x31, 0xc0, 0xc6, 0x05, 0x0a, 0x00, 0x10, 0x00, 0x40, 0x90, 0x90, 0x90, 0xfa, 0xf4]);
  for (const config of TIER_CONFIGS) {
    it(`a store into the running block: ${config.label}`, () => {
      const r = new GuestRun(image, config);
      r.runToHalt();
      expect(r.registers()[0]).toBe(1);
      expect(r.retired).toBe(7);
    }, TIMEOUT);
  }

  for (const s of SCENARIOS) {
    for (const config of TIER_CONFIGS.filter((c) => c.strategy)) {
      it(`${s.name.slice(0, s.name.indexOf(')') + 1)} ${config.label}`, () => {
        expect(execute(s, config).retired).toBe(interpreterRun(s).retired);
      }, TIMEOUT);
    }
  }
});
