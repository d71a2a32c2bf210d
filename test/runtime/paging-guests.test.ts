/**
 * The paging guests of the SMC tests (test/jit/guests/smc-alias*.S: code
 * written through one virtual mapping of a frame and run through another)
 * under the shadow policy, in the interpreter and the JIT: page-table pages
 * and code pages are both watched through TLB_CODE, so shadow paging must
 * not disturb the JIT's self-modifying-code path. Expected values are the
 * guests' definitions (as in test/jit/smc.test.ts); each run must also end
 * in the same registers as under the nested policy.
 *
 *   npx vitest run test/runtime/paging-guests.test.ts
 */
import { describe, expect, it } from 'vitest';
import type { PagingPolicyName } from '../../runtime/mmu.js';
import { fold, GuestRun, guestImage, range1, RESULTS, TIER_CONFIGS } from '../jit/harness.js';

const N = 64;
const ALIAS = 0x400000;

const GUESTS: ReadonlyArray<{ name: string; expected: (r: GuestRun) => number[] }> = [
  { name: 'smc-alias', expected: () => [fold(range1(N).map((i) => 9 * i)), fold(range1(N).map((i) => 13 * i))] },
  {
    name: 'smc-alias-eip',
    expected: (r) => {
      const where = r.read32(RESULTS + 8);
      return [fold(range1(N).map(() => where)), fold(range1(N).map(() => ALIAS + (where & 0xfff))), where];
    },
  },
];

/** The interpreter, and the JIT under each SMC policy compiling before the first run. */
const TIERS = TIER_CONFIGS.filter((t) => t.strategy === null || t.strategy.threshold === 0);

function runGuest(name: string, tier: (typeof TIERS)[number], policy: PagingPolicyName): GuestRun {
  const r = new GuestRun(guestImage(name), tier);
  r.machine.interpreter.mmu.setPolicy(policy);
  r.runToHalt();
  return r;
}

describe.each(GUESTS)('$name under shadow paging', ({ name, expected }) => {
  for (const tier of TIERS) {
    it(tier.label, () => {
      const shadow = runGuest(name, tier, 'shadow');
      const want = expected(shadow);
      expect(shadow.results(want.length)).toEqual(want);
      expect(shadow.machine.interpreter.mmu.counters.walks).toBeGreaterThan(0);
      const nested = runGuest(name, tier, 'nested');
      expect(shadow.registers()).toEqual(nested.registers());
    }, 60_000);
  }
});
