/**
 * Named tiering strategies (STYLE.md lesson 7: a policy is a named object,
 * not flags scattered through the code). The bench and the differential
 * harness compare them; the CLI selects one with --strategy. They run
 * under the vCPU, whose time slices are "about" a size: their budget is
 * 'approximate' (see JitStrategy.budget).
 */
import { type JitStrategy, strategyNeedsBinaryen } from './jit.js';
import { loadBinaryen } from '../../translator/emit/binaryen-lib.js';

export const JIT_STRATEGIES: Readonly<Record<string, JitStrategy>> = {
  /** Compile every region before its first run, binaryen optimiser off. */
  'jit-eager': { name: 'jit-eager', threshold: 0, optimize: 0, smc: 'subpage', budget: 'approximate' },
  /** Interpret an entry until it has run 20 times, then compile it (optimiser off). */
  'jit-hot': { name: 'jit-hot', threshold: 20, optimize: 0, smc: 'subpage', budget: 'approximate' },
  /** As jit-hot, each region taking in every block reachable on its page, not only those that have run. */
  'jit-hot-reachable': { name: 'jit-hot-reachable', threshold: 20, optimize: 0, smc: 'subpage', budget: 'approximate', regions: 'reachable' },
  /** As jit-hot, invalidating whole pages on a write to translated code. */
  'jit-hot-page': { name: 'jit-hot-page', threshold: 20, optimize: 0, smc: 'page', budget: 'approximate' },
  /** As jit-hot, checking a translation's guest bytes when it is entered instead of invalidating on writes. */
  'jit-hot-verify': { name: 'jit-hot-verify', threshold: 20, optimize: 0, smc: 'verify', budget: 'approximate' },
  /** As jit-hot, compiling on a worker thread while the interpreter goes on (Node front ends). */
  'jit-hot-async': { name: 'jit-hot-async', threshold: 20, optimize: 0, smc: 'subpage', async: true, budget: 'approximate' },
  /**
   * As jit-hot, and a region entered 64 times is compiled again with
   * binaryen -O2 (V8 makes faster code of it), on the spot.
   */
  'jit-tiered': { name: 'jit-tiered', threshold: 20, optimize: 0, smc: 'subpage', budget: 'approximate', tierUp: { entries: 64, optimize: 2 } },
  /** As jit-tiered, the -O2 compilation on a worker thread (first compilations stay on the spot). */
  'jit-tiered-async': {
    name: 'jit-tiered-async', threshold: 20, optimize: 0, smc: 'subpage', budget: 'approximate', tierUp: { entries: 64, optimize: 2 }, async: true, asyncTierUpOnly: true,
  },
  /**
   * As jit-hot, translating the cheap sensitive instructions inline
   * (CLI/STI, PUSHF/POPF, IN/OUT to the VMM core's devices: see
   * JitStrategy.sensitive) instead of trapping on each.
   */
  'jit-inline': { name: 'jit-inline', threshold: 20, optimize: 0, smc: 'subpage', budget: 'approximate', sensitive: 'inline' },
  /**
   * As jit-inline, regions taking in the pages of up to 32 callees that
   * have run (JitStrategy.calleePages). The calls bench (a loop calling 32
   * functions, each on a page of its own) runs at 3.2-3.4x native instead
   * of jit-inline's 23x (npm run bench -- --suite calls). On Debian's boot
   * every caller's region copies its callees: twice the guest code is
   * compiled, and the Linux bench (npm run bench -- --suite linux --runs 3
   * --strategy jit-inline,jit-inline-callees, medians) measured boot 45.0 s
   * and workload 21.4 s against jit-inline's 27.3 s and 19.4 s, though
   * regions were entered about half as often. Not the default.
   */
  'jit-inline-callees': { name: 'jit-inline-callees', threshold: 20, optimize: 0, smc: 'subpage', budget: 'approximate', sensitive: 'inline', calleePages: 32 },
  /** As jit-inline, compiling on a worker thread while the interpreter goes on (Node front ends). */
  'jit-inline-async': { name: 'jit-inline-async', threshold: 20, optimize: 0, smc: 'subpage', budget: 'approximate', sensitive: 'inline', async: true },
  /** As jit-eager, with inline sensitive instructions. */
  'jit-eager-inline': { name: 'jit-eager-inline', threshold: 0, optimize: 0, smc: 'subpage', budget: 'approximate', sensitive: 'inline' },
  /** As jit-hot, its modules built through binaryen.js rather than written by the baseline encoder (the same bytes, slower to make). */
  'jit-hot-binaryen': { name: 'jit-hot-binaryen', threshold: 20, optimize: 0, smc: 'subpage', budget: 'approximate', encoder: 'binaryen' },
  /** As jit-hot, with binaryen -O2 on every compiled region. */
  'jit-hot-O2': { name: 'jit-hot-O2', threshold: 20, optimize: 2, smc: 'subpage', budget: 'approximate' },
};

/**
 * Load binaryen.js if the strategy (by name) builds modules with it: a
 * front end awaits this before it makes a machine with the strategy (the
 * default strategies do not load it: translator/emit/binaryen-lib.ts).
 */
export async function prepareStrategy(name: string): Promise<void> {
  const s = JIT_STRATEGIES[name];
  if (s && strategyNeedsBinaryen(s)) await loadBinaryen();
}
