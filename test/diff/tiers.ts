/**
 * Execution tiers the differential harness can run a case in. Every tier
 * runs the same cases and must agree with the CPU (and so with each other).
 */
import type { OracleCase, OracleResult } from '../oracle/native.js';
import { ReferenceRunner } from './reference.js';

export interface TierRunner {
  run(c: OracleCase): OracleResult;
}

export const TIERS: Readonly<Record<string, () => TierRunner>> = {
  reference: () => new ReferenceRunner(),
  /** Wasm JIT, every region compiled before it runs, binaryen optimiser off. */
  jit: () => new ReferenceRunner({ name: 'jit', threshold: 0, optimize: 0, smc: 'subpage' }),
  /** Wasm JIT with binaryen -O2. */
  'jit-O2': () => new ReferenceRunner({ name: 'jit-O2', threshold: 0, optimize: 2, smc: 'page' }),
  /** Wasm JIT, every region compiled before it runs, the cheap sensitive instructions translated inline. */
  'jit-inline': () => new ReferenceRunner({ name: 'jit-inline', threshold: 0, optimize: 0, smc: 'subpage', sensitive: 'inline' }),
};
