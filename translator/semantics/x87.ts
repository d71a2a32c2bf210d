/** Semantics of the x87 family (see translator/table/fpu.ts). */
import type { Sem } from './backend.js';

export const X87_SEMANTICS: Record<string, Sem> = {};
