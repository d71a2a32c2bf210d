/**
 * Named tiering strategies (STYLE.md lesson 7: a policy is a named object,
 * not flags scattered through the code). The bench and the differential
 * harness compare them; the CLI selects one with --strategy.
 */
import type { JitStrategy } from './jit.js';

export const JIT_STRATEGIES: Readonly<Record<string, JitStrategy>> = {
  /** Compile every region before its first run, binaryen optimiser off. */
  'jit-eager': { name: 'jit-eager', threshold: 0, optimize: 0, smc: 'subpage' },
  /** Interpret an entry until it has run 20 times, then compile it (optimiser off). */
  'jit-hot': { name: 'jit-hot', threshold: 20, optimize: 0, smc: 'subpage' },
  /** As jit-hot, invalidating whole pages on a write to translated code. */
  'jit-hot-page': { name: 'jit-hot-page', threshold: 20, optimize: 0, smc: 'page' },
  /** As jit-hot, checking a translation's guest bytes when it is entered instead of invalidating on writes. */
  'jit-hot-verify': { name: 'jit-hot-verify', threshold: 20, optimize: 0, smc: 'verify' },
  /** As jit-hot, compiling on a worker thread while the interpreter goes on (Node front ends). */
  'jit-hot-async': { name: 'jit-hot-async', threshold: 20, optimize: 0, smc: 'subpage', async: true },
  /** As jit-hot, with binaryen -O2 on every compiled region. */
  'jit-hot-O2': { name: 'jit-hot-O2', threshold: 20, optimize: 2, smc: 'subpage' },
};
