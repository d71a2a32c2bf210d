/** Semantics of the mmx family (see translator/table/fpu.ts). */
import type { Sem } from './backend.js';

export const MMX_SEMANTICS: Record<string, Sem> = {};
