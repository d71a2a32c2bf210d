/**
 * The one overlay of what the Intel manual leaves undefined (SDM vol. 2,
 * each instruction's "Flags Affected"; vol. 1, appendix A). The
 * differential harness masks exactly these bits and nothing else; the
 * opcode table stays free of test-only facts (STYLE.md lesson 1).
 */
import type { Instruction } from '../../translator/table/types.js';
import type { OracleCase } from '../oracle/native.js';
import type { X87Result } from '../oracle/layout.js';
import { Env, type F80, roundExtended } from '../../runtime/fpu/float80.js';
import {
  atan2Model, exp2m1Model, type ModelValue, sinCosModel, ylog2xModel, ylog2xp1Model,
} from '../../runtime/fpu/transcendental.js';
import { Flag } from '../../translator/semantics/backend.js';

/** EFLAGS bits the harness compares at all: the status flags and DF. */
export const COMPARED_FLAGS = Flag.CF | Flag.PF | Flag.AF | Flag.ZF | Flag.SF | Flag.DF | Flag.OF;

const O = Flag.OF, S = Flag.SF, Z = Flag.ZF, A = Flag.AF, P = Flag.PF, C = Flag.CF;

/** What the manual leaves undefined after one execution of `i`, given the initial state. */
export interface UndefinedParts {
  /** EFLAGS bits whose value is undefined. */
  flags: number;
  /** Registers (index, byte mask of the 32-bit value) whose result is undefined. */
  regs: Array<[reg: number, mask: number]>;
}

/** Shift/rotate count as the instruction sees it (before the mod-9/17 reduction of RCL/RCR). */
function shiftCount(i: Instruction, regs: ArrayLike<number>): number {
  const src = i.operands[i.operands.length - 1]!;
  if (src.kind === 'imm') return src.value & 0x1f;
  return regs[1]! & 0x1f; // CL
}

export function undefinedParts(i: Instruction, regs: ArrayLike<number>): UndefinedParts {
  const none: UndefinedParts = { flags: 0, regs: [] };
  switch (i.row.sem) {
    case 'and': case 'or': case 'xor': case 'test':
      return { flags: A, regs: [] };
    case 'mul': case 'imul1': case 'imul2': case 'imul3':
      return { flags: S | Z | A | P, regs: [] };
    case 'div': case 'idiv':
      return { flags: O | S | Z | A | P | C, regs: [] };
    case 'daa': case 'das':
      return { flags: O, regs: [] };
    case 'aaa': case 'aas':
      return { flags: O | S | Z | P, regs: [] };
    case 'aam': case 'aad':
      return { flags: O | A | C, regs: [] };
    case 'bt': case 'bts': case 'btr': case 'btc':
      return { flags: O | S | A | P, regs: [] };
    case 'bsf': case 'bsr':
      // ZF is defined; the destination is undefined when the source is 0 (handled by the caller's mask below).
      return { flags: O | S | A | P | C, regs: [] };
    case 'shl': case 'shr': case 'sar': {
      const n = shiftCount(i, regs);
      if (n === 0) return none;
      return { flags: A | (n === 1 ? 0 : O), regs: [] };
    }
    case 'rol': case 'ror': case 'rcl': case 'rcr': {
      const n = shiftCount(i, regs);
      if (n === 0) return none;
      return { flags: n === 1 ? 0 : O, regs: [] };
    }
    case 'shld': case 'shrd': {
      const n = shiftCount(i, regs);
      if (n === 0) return none;
      const size = i.opsize * 8;
      // Count larger than the operand size: result and flags undefined.
      if (n > size) {
        const dst = i.operands[0]!;
        return { flags: O | S | Z | A | P | C, regs: dst.kind === 'reg' ? [[dst.reg, 0xffff]] : [] };
      }
      return { flags: A | (n === 1 ? 0 : O), regs: [] };
    }
    case 'bswap':
      // BSWAP with a 16-bit operand: the result is undefined.
      if (i.opsize === 2) {
        const r = i.operands[0]!;
        return { flags: 0, regs: r.kind === 'reg' ? [[r.reg, 0xffff]] : [] };
      }
      return none;
    default:
      return none;
  }
}

/** Memory written by an instruction whose memory result is undefined (16-bit SHLD/SHRD with count > 16). */
export function memoryUndefined(i: Instruction, regs: ArrayLike<number>): boolean {
  if (i.row.sem !== 'shld' && i.row.sem !== 'shrd') return false;
  return shiftCount(i, regs) > i.opsize * 8 && i.operands[0]!.kind === 'mem';
}

// ---------------------------------------------------------------------------
// x87
// ---------------------------------------------------------------------------

/** What the manual leaves undefined in the x87 state after `i`. */
export interface X87Undefined {
  /** Status word bits whose value is undefined. */
  fsw: number;
  /** Physical registers (bit p = R(p)) whose value is not compared bit for bit. */
  regs: number;
  /** Why, when something is masked (printed with a mismatch). */
  note: string;
}

const NOTHING: X87Undefined = { fsw: 0, regs: 0, note: '' };

export function x87Undefined(i: Instruction, c: OracleCase, cpu: X87Result, ours: X87Result): X87Undefined {
  if (TRANSCENDENTAL.has(i.row.sem)) return transcendentalAccuracy(i.row.sem, c, cpu, ours);
  return NOTHING;
}

/**
 * Transcendental results (SDM vol. 1, 8.3.10): the manual promises an error
 * below 1 ulp when rounding to nearest and below 1.5 ulps in the directed
 * modes, relative to its model of each function (for FSIN, FCOS, FSINCOS
 * and FPTAN: the 66-bit π in the argument reduction). Ours are correctly
 * rounded to that model; the host's are not always (about 1 in 50 is 1 ulp
 * off). So where a result register differs, it is accepted when ours is the
 * model value correctly rounded (recomputed here at twice the precision)
 * and the host's is within the manual's bound of it; C1 (which way the
 * result was rounded) is then masked too. Everything else is compared.
 */
const TRANSCENDENTAL = new Set(['fsin', 'fcos', 'fsincos', 'fptan', 'fpatan', 'f2xm1', 'fyl2x', 'fyl2xp1']);

function readReg(regs: Uint8Array, p: number): F80 {
  const v = new DataView(regs.buffer, regs.byteOffset + p * 10, 10);
  const se = v.getUint16(8, true);
  return { sign: se >> 15, exp: se & 0x7fff, sig: v.getBigUint64(0, true) };
}

function transcendentalAccuracy(sem: string, c: OracleCase, cpu: X87Result, ours: X87Result): X87Undefined {
  const x = c.x87;
  if (!x || ((cpu.fsw ^ ours.fsw) & ~0x200) || cpu.ftw !== ours.ftw) return NOTHING;
  const top = (x.fsw >> 11) & 7;
  const st = (k: number): F80 => readReg(x.regs, (top + k) & 7);
  const finite = (v: F80): boolean => (v.exp !== 0x7fff && v.exp !== 0 && v.sig >= 0x8000000000000000n) || (v.exp === 0 && v.sig !== 0n);
  // The model values at high precision, with the physical register each lands in.
  const P = 400;
  let results: Array<[number, ModelValue]>;
  let unbounded = false;
  const a = st(0), b = st(1);
  switch (sem) {
    case 'fsin': case 'fcos': case 'fsincos': case 'fptan': {
      if (!finite(a) || a.exp >= 0x3fff + 63) return NOTHING;
      const m = sinCosModel(a, P);
      const r0 = top, r1 = (top + 7) & 7; // ST(0) before, and the pushed register
      results = sem === 'fsin' ? [[r0, m.sin]] : sem === 'fcos' ? [[r0, m.cos]] : sem === 'fptan' ? [[r0, m.tan]] : [[r0, m.sin], [r1, m.cos]];
      break;
    }
    case 'f2xm1':
      if (!finite(a) || a.exp >= 0x3fff) return NOTHING;
      results = [[top, exp2m1Model(a, P)]];
      break;
    case 'fpatan':
      if (!finite(a) || !finite(b)) return NOTHING;
      results = [[(top + 1) & 7, atan2Model(b, a, P)]];
      break;
    case 'fyl2x':
      if (!finite(a) || !finite(b) || a.sign) return NOTHING;
      results = [[(top + 1) & 7, ylog2xModel(b, a, P)]];
      break;
    default: // fyl2xp1
      if (!finite(a) || !finite(b) || (a.sign && a.exp >= 0x3fff)) return NOTHING;
      results = [[(top + 1) & 7, ylog2xp1Model(b, a, P)]];
      // The manual defines FYL2XP1 for |x| < 1 − √2/2 only; beyond, it promises no accuracy at all.
      if (Number(a.sig) * 2 ** ((a.exp || 1) - 16383 - 63) >= 1 - Math.SQRT2 / 2) unbounded = true;
  }
  const rc = (x.fcw >> 10) & 3;
  let regs = 0;
  for (const [p, v] of results) {
    const host = readReg(cpu.regs, p), mine = readReg(ours.regs, p);
    if (host.exp === mine.exp && host.sig === mine.sig && host.sign === mine.sign) continue;
    const env = new Env(x.fcw);
    const cr = roundExtended(env, v.sign, v.m, v.e, !v.exact, 64);
    if (cr.sign !== mine.sign || cr.exp !== mine.exp || cr.sig !== mine.sig) return NOTHING;
    if (!unbounded && !withinUlps(host, v, rc === 0 ? 2 : 3)) return NOTHING; // |host − exact| < 1 (2/2) or 1.5 (3/2) ulps
    regs |= 1 << p;
  }
  // Nothing but C1 may differ beyond the accepted registers.
  for (let p = 0; p < 8; p++) {
    if ((regs >> p) & 1) continue;
    const h = readReg(cpu.regs, p), o = readReg(ours.regs, p);
    if (h.exp !== o.exp || h.sig !== o.sig || h.sign !== o.sign) return NOTHING;
  }
  if ((cpu.fsw ^ ours.fsw) & 0x200 && !regs) {
    // The same result, rounded the other way: the host's value lay on the other side of it.
    regs = 0;
    const [p, v] = results[0]!;
    if (!unbounded && !withinUlps(readReg(cpu.regs, p), v, rc === 0 ? 2 : 3)) return NOTHING;
  }
  return {
    fsw: 0x200, regs,
    note: unbounded ? 'FYL2XP1 operand outside the manual\'s range: result undefined (ours correctly rounded)'
      : 'transcendental result within the SDM accuracy bound (SDM vol. 1, 8.3.10), ours correctly rounded',
  };
}

/** |h − v| < halfUlps/2 ulps of h (h finite, v a model value). */
function withinUlps(h: F80, v: ModelValue, halfUlps: number): boolean {
  if (h.exp === 0x7fff || h.sign !== v.sign || v.m === 0n) return false;
  const eh = (h.exp === 0 ? 1 : h.exp) - 16383 - 63; // h = h.sig × 2^eh, one ulp = 2^eh
  const base = Math.min(eh, v.e);
  const hv = h.sig << BigInt(eh - base), vv = v.m << BigInt(v.e - base);
  const diff = hv > vv ? hv - vv : vv - hv;
  return diff * 2n < BigInt(halfUlps) << BigInt(eh - base);
}
