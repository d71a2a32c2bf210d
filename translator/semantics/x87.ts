/**
 * Semantics of the x87 family (translator/table/fpu.ts). x87 arithmetic is
 * not expressible in the backend's i32 primitives at any sensible cost, so
 * every x87 instruction is one call of the x87 unit's runtime helper of the
 * same name (runtime/fpu): the reference tier calls it directly, translated
 * code through its helper import. The helper does everything, the #NM and
 * #MF gates included.
 */
import type { Sem } from './backend.js';
import { OPCODE_TABLE } from '../table/index.js';

/** One semantic routine per x87 semantic name of the table: a call of helper 'x87.<name>'. */
export const X87_SEMANTICS: Record<string, Sem> = Object.fromEntries(
  [...new Set(OPCODE_TABLE.filter((r) => r.group === 'x87').map((r) => r.sem))].map((name) => {
    const helper = `x87.${name}`;
    const sem: Sem = (b, i) => b.helper(helper, i);
    return [name, sem];
  }),
);
