/**
 * Out-of-line runtime routines that instruction semantics call through
 * `Backend.helper(name, insn)`: one implementation for every tier (the
 * reference tier calls them directly, translated code through an import).
 * They act on the architectural state through the concrete backend, so
 * memory accesses keep their segment and paging checks and faults.
 */
import type { Instruction } from '../translator/table/types.js';
import type { ConcreteBackend } from './concrete-backend.js';

export type HelperRoutine = (b: ConcreteBackend, insn: Instruction) => void;

/** The registry, filled by the units that own the routines. */
export const HELPERS: Record<string, HelperRoutine> = {};

/** Register routines under their names (each name once). */
export function registerHelpers(routines: Record<string, HelperRoutine>): void {
  for (const [name, r] of Object.entries(routines)) {
    if (HELPERS[name]) throw new Error(`runtime helper '${name}' registered twice`);
    HELPERS[name] = r;
  }
}
