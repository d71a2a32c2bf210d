/** The registry of semantic routines, by the names the opcode table uses. */
import type { Sem } from './backend.js';
import { ARITH_SEMANTICS } from './arith.js';
import { SHIFT_SEMANTICS } from './shift.js';
import { CONTROL_SEMANTICS } from './control.js';
import { DATA_SEMANTICS } from './data.js';
import { SYSTEM_SEMANTICS } from './system.js';
import { X87_SEMANTICS } from './x87.js';
import { MMX_SEMANTICS } from './mmx.js';

export const SEMANTICS: Readonly<Record<string, Sem>> = {
  ...SYSTEM_SEMANTICS,
  ...ARITH_SEMANTICS,
  ...SHIFT_SEMANTICS,
  ...CONTROL_SEMANTICS,
  ...DATA_SEMANTICS,
  ...X87_SEMANTICS,
  ...MMX_SEMANTICS,
};
