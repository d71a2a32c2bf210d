/**
 * The rewriting strategies for cheap sensitive instructions that the
 * nanobenchmarks compare (Adams & Agesen's software-VMM versus
 * hardware-VMM question, in our terms):
 *
 * - trap: translated code ends a block before every sensitive instruction
 *   (CLI/STI, PUSHF/POPF, I/O, TPR writes, ...) and the runtime executes it
 *   as a VM exit. This is what the JIT does today.
 * - inline: translated into code that acts on the virtual CPU, leaving
 *   translated code only when the VMM must act.
 *
 * A strategy is only measured where it exists. The JIT selects inline
 * rewriting per named JIT strategy: the convention this harness expects
 * is a `sensitive: 'trap' | 'inline'` field on JitStrategy (absent means
 * 'trap'), so inline rows appear as soon as runtime/jit/strategies.ts has
 * an entry with `sensitive: 'inline'`; nothing here needs to change.
 */
import { JIT_STRATEGIES } from '../../runtime/jit/strategies.js';
import type { JitStrategy } from '../../runtime/jit/jit.js';

export type SensitiveStrategyName = 'trap' | 'inline';
export const SENSITIVE_STRATEGY_NAMES: readonly SensitiveStrategyName[] = ['trap', 'inline'];

/** Which rewriting a JIT strategy uses ('trap' unless it says otherwise). */
export function sensitiveStrategyOf(s: JitStrategy): SensitiveStrategyName {
  const declared = (s as JitStrategy & { readonly sensitive?: unknown }).sensitive;
  return declared === 'inline' ? 'inline' : 'trap';
}

/** A sensitive-instruction strategy resolved to the execution tier that implements it. */
export interface ResolvedStrategy {
  readonly name: SensitiveStrategyName;
  /** The tier (a JIT strategy name) the machine runs. */
  readonly tier: string;
}

/**
 * The tier that runs `preferredTier`'s kind of JIT with `strategy`'s
 * rewriting: `preferredTier` itself when it uses that rewriting, else the
 * JIT strategy that does with the same threshold, optimisation and SMC
 * policy, else any that does; null when no JIT strategy implements it.
 */
export function resolveStrategy(strategy: SensitiveStrategyName, preferredTier: string, strategies: Readonly<Record<string, JitStrategy>> = JIT_STRATEGIES): ResolvedStrategy | null {
  const preferred = strategies[preferredTier];
  if (preferred && sensitiveStrategyOf(preferred) === strategy) return { name: strategy, tier: preferredTier };
  const candidates = Object.values(strategies).filter((s) => sensitiveStrategyOf(s) === strategy && !s.async);
  const alike = preferred && candidates.find((s) => s.threshold === preferred.threshold && s.optimize === preferred.optimize && s.smc === preferred.smc);
  const chosen = alike ?? candidates[0];
  return chosen ? { name: strategy, tier: chosen.name } : null;
}
