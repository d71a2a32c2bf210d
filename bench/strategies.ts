/**
 * Execution strategies the bench compares. The reference strategy is the
 * one the others are measured against (ratioToReference); today there is
 * only the interpreter, and the JIT adds its tiers here.
 */
import type { TierName } from '../src/machine.js';
import { JIT_STRATEGIES } from '../runtime/jit/strategies.js';
import type { FpuStrategy } from '../runtime/fpu/state.js';

export interface Strategy {
  readonly name: string;
  readonly tier: TierName;
  /** The x87 unit's strategy (default exact). */
  readonly fpu?: FpuStrategy;
  readonly reference?: true;
}

export const STRATEGIES: readonly Strategy[] = [
  { name: 'interpreter', tier: 'interpreter', reference: true },
  /** The interpreter with the x87 unit's fast strategy (f64 arithmetic; see runtime/fpu/fast.ts). */
  { name: 'interpreter-fpu-fast', tier: 'interpreter', fpu: 'fast' },
  ...Object.keys(JIT_STRATEGIES).map((name): Strategy => ({ name, tier: name })),
];

export const REFERENCE_STRATEGY = STRATEGIES.find((s) => s.reference)!;
