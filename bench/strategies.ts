/**
 * Execution strategies the bench compares. The reference strategy is the
 * one the others are measured against (ratioToReference); today there is
 * only the interpreter, and the JIT adds its tiers here.
 */
import type { TierName } from '../src/machine.js';
import { JIT_STRATEGIES } from '../runtime/jit/strategies.js';

export interface Strategy {
  readonly name: string;
  readonly tier: TierName;
  readonly reference?: true;
}

export const STRATEGIES: readonly Strategy[] = [
  { name: 'interpreter', tier: 'interpreter', reference: true },
  ...Object.keys(JIT_STRATEGIES).map((name): Strategy => ({ name, tier: name })),
];

export const REFERENCE_STRATEGY = STRATEGIES.find((s) => s.reference)!;
