/**
 * Debug exceptions (#DB, SDM vol. 3, 17.2.3 and 17.3): the DR6 status
 * bits a #DB reports, and the exception that carries them from where the
 * condition is detected to where the event is delivered or exits.
 *
 * DR6 is written when the #DB is delivered, not when it is raised: a #DB
 * that causes a VM exit leaves DR6 alone and reports the same bits in the
 * exit qualification instead (vol. 3C, 27.1 and table 27-1).
 */
import { Flag } from '../../translator/semantics/backend.js';
import type { CpuState } from '../cpu.js';
import { GuestFault, Vector } from '../exceptions.js';

/** DR6.B0-B3: breakpoint condition n was met. */
export const DR6_B0_B3 = 0xf;
/** DR6.BD: an access to a debug register while DR7.GD was set. */
export const DR6_BD = 1 << 13;
/** DR6.BS: the single-step trap of EFLAGS.TF. */
export const DR6_BS = 1 << 14;
/** DR6.BT: the T flag of the TSS of a task switched to. */
export const DR6_BT = 1 << 15;

/** The bits of a #DB exit qualification (table 27-1): B0-B3, BD, BS; BT has no place there. */
export const DEBUG_QUALIFICATION_BITS = DR6_B0_B3 | DR6_BD | DR6_BS;

/**
 * A #DB raised by a debug condition (a hardware exception, not INT1):
 * `status` holds the DR6 bits it sets. The state is as the CPU reports
 * it: for a trap (single step, task-switch T flag) EIP is already the next
 * instruction's, for a fault (general detect) the interpreter puts it back
 * on the instruction.
 */
export class DebugException extends GuestFault {
  constructor(readonly status: number) {
    super(Vector.DB);
  }
}

/** The DR6 bits a fault sets when it is delivered (0 for anything but a DebugException). */
export function debugStatusOf(f: GuestFault): number {
  return f instanceof DebugException ? f.status : 0;
}

/**
 * Delivery of a #DB sets its status bits in DR6; the others keep their
 * values (vol. 3, 17.2.3: the processor never clears DR6).
 */
export function recordDebugStatus(cpu: CpuState, f: GuestFault): void {
  if (f instanceof DebugException) cpu.dr[6] = cpu.dr[6]! | f.status;
}

/** DR7's enable bits L0, G0 … L3, G3 (bits 7:0); L0-L3 are the even ones. */
export const DR7_ENABLES = 0xff;
export const DR7_LOCAL_ENABLES = 0x55;

/**
 * Instruction breakpoints that are enabled (vol. 3, 17.2.4): breakpoint n
 * with Ln or Gn set and R/Wn = 00 (execution); one bit per breakpoint.
 */
export function codeBreakpoints(dr7: number): number {
  let mask = 0;
  for (let n = 0; n < 4; n++) {
    if ((dr7 >>> (2 * n)) & 3 && ((dr7 >>> (16 + 4 * n)) & 3) === 0) mask |= 1 << n;
  }
  return mask;
}

/**
 * The DR6 bits of the instruction breakpoints that `linear` (the first
 * byte of the next instruction) hits; 0 for none. Execution breakpoints
 * have length 1 (LENn = 00; other lengths are undefined for them and are
 * taken as 1 here).
 */
export function codeBreakpointHits(cpu: CpuState, linear: number): number {
  const enabled = codeBreakpoints(cpu.dr[7]!);
  let hits = 0;
  for (let n = 0; n < 4; n++) if (enabled & (1 << n) && cpu.dr[n]! >>> 0 === linear) hits |= 1 << n;
  return hits;
}

/**
 * Whether instructions must run one at a time through the interpreter,
 * which alone checks for debug conditions: TF is set (a single-step trap
 * follows each instruction) or an instruction breakpoint is enabled.
 */
export function debugStepping(cpu: CpuState): boolean {
  return (cpu.flags & Flag.TF) !== 0 || ((cpu.dr[7]! & DR7_ENABLES) !== 0 && codeBreakpoints(cpu.dr[7]!) !== 0);
}
