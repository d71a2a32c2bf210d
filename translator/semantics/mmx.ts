/**
 * Semantics of the MMX family (translator/table/fpu.ts): one call of the
 * x87 unit's helper 'mmx.<name>' per instruction (runtime/fpu/mmx.ts says
 * why MMX is not written over the backend's i32 primitives).
 */
import type { Sem } from './backend.js';
import { OPCODE_TABLE } from '../table/index.js';

export const MMX_SEMANTICS: Record<string, Sem> = Object.fromEntries(
  [...new Set(OPCODE_TABLE.filter((r) => r.group === 'mmx').map((r) => r.sem))].map((name) => {
    const helper = `mmx.${name}`;
    const sem: Sem = (b, i) => b.helper(helper, i);
    return [name, sem];
  }),
);
