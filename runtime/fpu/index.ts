/**
 * The x87 FPU and MMX unit: its state (one `FpuState` per vCPU, in
 * `CpuState.fpu`) and the runtime helpers that execute x87 and MMX
 * instructions, registered here under 'x87.<semantic>' and
 * 'mmx.<semantic>' (translator/semantics/x87.ts and mmx.ts call them).
 *
 * Importing this module (runtime/cpu.ts does) registers the helpers.
 */
import { registerHelpers, type HelperRoutine } from '../helpers.js';
import { BASIC_ROUTINES } from './ops-basic.js';
import { CONTROL_ROUTINES } from './ops-control.js';
import { MISC_ROUTINES } from './ops-misc.js';
import { MMX_ROUTINES } from './mmx.js';
import { TRANSCENDENTAL_ROUTINES } from './ops-transcendental.js';
import { f64Arithmetic, f64Sqrt, fastCompare, fastExchange, fastLoad, fastStore, limbArithmetic } from './fast.js';

export { FPU_BLOCK_BYTES, FpuState, type FpuStrategy } from './state.js';

function prefixed(prefix: string, routines: Record<string, HelperRoutine>): Record<string, HelperRoutine> {
  return Object.fromEntries(Object.entries(routines).map(([name, r]) => [`${prefix}.${name}`, r]));
}

/** The exact routines (the soft-float), by semantic name. */
const EXACT: Readonly<Record<string, HelperRoutine>> = {
  ...BASIC_ROUTINES, ...MISC_ROUTINES, ...TRANSCENDENTAL_ROUTINES, ...CONTROL_ROUTINES,
};

/**
 * Every x87 routine, by semantic name: the exact ones behind the shortcuts
 * and the fast strategy's f64 paths (fast.ts), which hand anything they do
 * not cover back to them.
 */
export const X87_ROUTINES: Readonly<Record<string, HelperRoutine>> = {
  ...EXACT,
  fld: fastLoad(EXACT.fld!),
  fst: fastStore(false, EXACT.fst!),
  fstp: fastStore(true, EXACT.fstp!),
  fxch: fastExchange(EXACT.fxch!),
  fcom: fastCompare(0, false, EXACT.fcom!),
  fcomp: fastCompare(1, false, EXACT.fcomp!),
  fcompp: fastCompare(2, false, EXACT.fcompp!),
  fucom: fastCompare(0, false, EXACT.fucom!),
  fucomp: fastCompare(1, false, EXACT.fucomp!),
  fucompp: fastCompare(2, false, EXACT.fucompp!),
  fcomi: fastCompare(0, true, EXACT.fcomi!),
  fcomip: fastCompare(1, true, EXACT.fcomip!),
  fucomi: fastCompare(0, true, EXACT.fucomi!),
  fucomip: fastCompare(1, true, EXACT.fucomip!),
  ...Object.fromEntries((['add', 'sub', 'subr', 'mul', 'div', 'divr'] as const).flatMap((op) => [
    [`f${op}`, f64Arithmetic(op, false, limbArithmetic(op, false, EXACT[`f${op}`]!))],
    [`f${op}p`, f64Arithmetic(op, true, limbArithmetic(op, true, EXACT[`f${op}p`]!))],
  ])),
  fsqrt: f64Sqrt(EXACT.fsqrt!),
};

registerHelpers(prefixed('x87', X87_ROUTINES));
registerHelpers(prefixed('mmx', MMX_ROUTINES));
