/**
 * Semantics of integer arithmetic and logic (ADD…CMP, TEST, NOT, NEG,
 * INC, DEC), multiply and divide, the BCD adjusts, the accumulator
 * conversions and the flag instructions; SDM vol. 2.
 *
 * ADD/ADC and SUB/SBB/CMP/NEG share one lazy flag operation each: the
 * carry-out formulas of flags.ts hold with a carry or borrow in.
 * Flags the manual leaves undefined get a deterministic value: MUL/IMUL
 * set SF ZF PF from the low half and clear AF; DIV/IDIV leave all flags
 * unchanged; DAA DAS AAA AAS AAD compute them as the ADD or SUB of their
 * adjustment would, AAM as a logic operation on its result (CF AF OF = 0).
 */
import type { Backend, Sem } from './backend.js';
import { ARITH_FLAGS, Flag, FlagOp } from './backend.js';
import { parity } from './flags.js';
import { Vector } from '../../runtime/exceptions.js';
import { type Instruction, type Operand, Reg, type Size } from '../table/types.js';
import { read, rmw, sizeOf } from './operands.js';

/** Register number of AH (size 1). */
const AH = 4;

function operand(i: Instruction, n: number): Operand {
  return i.operands[n]!;
}

/**
 * A two-operand ALU operation `dest = op(dest, src)` with its lazy flags.
 * `writeBack` false for CMP and TEST, which only set flags.
 */
function binary(
  flagOp: FlagOp,
  writeBack: boolean,
  compute: <V>(b: Backend<V>, a: V, s: V) => V,
): Sem {
  return (b, i) => {
    const dst = operand(i, 0);
    const size = sizeOf(dst);
    const d = writeBack ? rmw(b, dst) : { value: read(b, dst), set: () => {} };
    const s = read(b, operand(i, 1));
    const res = compute(b, d.value, s);
    d.set(res);
    b.flagsOp(flagOp, size, res, d.value, s);
  };
}

const add = binary(FlagOp.Add, true, (b, a, s) => b.add(a, s));
const adc = binary(FlagOp.Add, true, (b, a, s) => b.add(b.add(a, s), b.flag(Flag.CF)));
const sub = binary(FlagOp.Sub, true, (b, a, s) => b.sub(a, s));
const sbb = binary(FlagOp.Sub, true, (b, a, s) => b.sub(b.sub(a, s), b.flag(Flag.CF)));
const cmp = binary(FlagOp.Sub, false, (b, a, s) => b.sub(a, s));
const and = binary(FlagOp.Logic, true, (b, a, s) => b.and(a, s));
const or = binary(FlagOp.Logic, true, (b, a, s) => b.or(a, s));
const xor = binary(FlagOp.Logic, true, (b, a, s) => b.xor(a, s));
const test = binary(FlagOp.Logic, false, (b, a, s) => b.and(a, s));

const not: Sem = (b, i) => {
  const d = rmw(b, operand(i, 0));
  d.set(b.not(d.value));
};

/** NEG is 0 - dest: CF = (dest != 0) falls out of the borrow formula. */
const neg: Sem = (b, i) => {
  const dst = operand(i, 0);
  const d = rmw(b, dst);
  const zero = b.k(0);
  const res = b.sub(zero, d.value);
  d.set(res);
  b.flagsOp(FlagOp.Sub, sizeOf(dst), res, zero, d.value);
};

function incdec(op: FlagOp.Inc | FlagOp.Dec): Sem {
  return (b, i) => {
    const dst = operand(i, 0);
    const d = rmw(b, dst);
    const one = b.k(1);
    const res = op === FlagOp.Inc ? b.add(d.value, one) : b.sub(d.value, one);
    d.set(res);
    b.flagsOp(op, sizeOf(dst), res, d.value, one);
  };
}

/**
 * Flags after a multiply: CF = OF = `overflow` (the upper half is
 * significant); SF ZF PF (undefined) from the low half `low` of `size`
 * bytes; AF (undefined) cleared.
 */
function multiplyFlags<V>(b: Backend<V>, size: Size, low: V, overflow: V): void {
  const sf = b.and(b.shrU(low, b.k(size * 8 - 1)), b.k(1));
  const zf = b.eqz(b.zx(low, size));
  let w = b.or(b.mul(overflow, b.k(Flag.CF | Flag.OF)), b.shl(sf, b.k(7)));
  w = b.or(w, b.or(b.shl(zf, b.k(6)), b.shl(parity(b, low), b.k(2))));
  b.setEflags(w, ARITH_FLAGS);
}

/** MUL and one-operand IMUL: AX = AL * src, DX:AX = AX * src, EDX:EAX = EAX * src. */
function multiplyAccumulator(signed: boolean): Sem {
  return (b, i) => {
    const src = operand(i, 0);
    const size = sizeOf(src);
    const s = read(b, src);
    if (size === 4) {
      const p = b.mulWide(b.reg(Reg.EAX, 4), s, signed);
      const overflow = signed ? b.ne(p.hi, b.shrS(p.lo, b.k(31))) : b.ne(p.hi, b.k(0));
      b.setReg(Reg.EAX, 4, p.lo);
      b.setReg(Reg.EDX, 4, p.hi);
      multiplyFlags(b, 4, p.lo, overflow);
      return;
    }
    // 8x8 and 16x16 products fit exactly in 32 bits.
    const a = b.reg(Reg.EAX, size);
    const p = signed ? b.mul(b.sx(a, size), b.sx(s, size)) : b.mul(a, s);
    const overflow = signed ? b.ne(b.sx(p, size), p) : b.ne(b.shrU(p, b.k(size * 8)), b.k(0));
    if (size === 1) {
      b.setReg(Reg.EAX, 2, p);
    } else {
      b.setReg(Reg.EAX, 2, p);
      b.setReg(Reg.EDX, 2, b.shrU(p, b.k(16)));
    }
    multiplyFlags(b, size, p, overflow);
  };
}

/** IMUL r, r/m and IMUL r, r/m, imm: the truncated signed product. */
function imulTruncated<V>(b: Backend<V>, i: Instruction): void {
  const dst = operand(i, 0);
  const size = sizeOf(dst);
  const three = i.operands.length === 3;
  const x = read(b, three ? operand(i, 1) : dst);
  const y = read(b, three ? operand(i, 2) : operand(i, 1));
  let res: V;
  let overflow: V;
  if (size === 4) {
    const p = b.mulWide(x, y, true);
    res = p.lo;
    overflow = b.ne(p.hi, b.shrS(p.lo, b.k(31)));
  } else {
    // A 16x16 signed product fits exactly in 32 bits.
    res = b.mul(b.sx(x, size), b.sx(y, size));
    overflow = b.ne(b.sx(res, size), res);
  }
  if (dst.kind !== 'reg') throw new Error('IMUL destination must be a register');
  b.setReg(dst.reg, size, res);
  multiplyFlags(b, size, res, overflow);
}

/**
 * DIV and IDIV: dividend AX, DX:AX or EDX:EAX; quotient to AL/AX/EAX,
 * remainder to AH/DX/EDX. #DE (before any write) on a zero divisor or a
 * quotient out of range. Flags are undefined: left unchanged.
 */
function divide(signed: boolean): Sem {
  return (b, i) => {
    const src = operand(i, 0);
    const size = sizeOf(src);
    const divisor = read(b, src);
    const hi = size === 1 ? b.reg(AH, 1) : b.reg(Reg.EDX, size);
    const lo = b.reg(Reg.EAX, size);
    const d = b.divide(hi, lo, divisor, size, signed);
    b.if_(d.fault, () => b.raise(Vector.DE));
    if (size === 1) {
      b.setReg(Reg.EAX, 2, b.or(b.zx(d.q, 1), b.shl(b.zx(d.r, 1), b.k(8))));
    } else {
      b.setReg(Reg.EAX, size, d.q);
      b.setReg(Reg.EDX, size, d.r);
    }
  };
}

/** 0/1: the low nibble of AL is above 9, or AF is set (the common test of the BCD adjusts). */
function lowNibbleNeedsAdjust<V>(b: Backend<V>, al: V): V {
  return b.or(b.ltU(b.k(9), b.and(al, b.k(0xf))), b.flag(Flag.AF));
}

/** Flags from an 8-bit result: SF ZF PF, with CF AF OF given as 0/1 values. */
function bcdFlags<V>(b: Backend<V>, res: V, cf: V, af: V, of: V): void {
  let w = b.or(cf, b.shl(af, b.k(4)));
  w = b.or(w, b.shl(of, b.k(11)));
  w = b.or(w, b.shl(b.and(b.shrU(res, b.k(7)), b.k(1)), b.k(7)));
  w = b.or(w, b.shl(b.eqz(b.zx(res, 1)), b.k(6)));
  w = b.or(w, b.shl(parity(b, res), b.k(2)));
  b.setEflags(w, ARITH_FLAGS);
}

/** Signed overflow (0/1) of the 8-bit addition a + s = res. */
function addOverflow8<V>(b: Backend<V>, a: V, s: V, res: V): V {
  return b.and(b.shrU(b.and(b.xor(a, res), b.xor(s, res)), b.k(7)), b.k(1));
}

/** Signed overflow (0/1) of the 8-bit subtraction a - s = res. */
function subOverflow8<V>(b: Backend<V>, a: V, s: V, res: V): V {
  return b.and(b.shrU(b.and(b.xor(a, s), b.xor(a, res)), b.k(7)), b.k(1));
}

/** DAA: decimal adjust AL after addition (SDM pseudocode; OF, undefined, as for AL + adjustment). */
const daa: Sem = (b) => {
  const al = b.reg(Reg.EAX, 1);
  const af = lowNibbleNeedsAdjust(b, al);
  const cf = b.or(b.ltU(b.k(0x99), al), b.flag(Flag.CF));
  const adjust = b.or(b.mul(af, b.k(0x06)), b.mul(cf, b.k(0x60)));
  const res = b.add(al, adjust);
  b.setReg(Reg.EAX, 1, res);
  bcdFlags(b, res, cf, af, addOverflow8(b, al, adjust, res));
};

/** DAS: decimal adjust AL after subtraction; CF also catches the borrow of AL - 6. */
const das: Sem = (b) => {
  const al = b.reg(Reg.EAX, 1);
  const af = lowNibbleNeedsAdjust(b, al);
  const high = b.or(b.ltU(b.k(0x99), al), b.flag(Flag.CF));
  const borrow = b.and(af, b.ltU(al, b.k(6)));
  const adjust = b.or(b.mul(af, b.k(0x06)), b.mul(high, b.k(0x60)));
  const res = b.sub(al, adjust);
  b.setReg(Reg.EAX, 1, res);
  bcdFlags(b, res, b.or(high, borrow), af, subOverflow8(b, al, adjust, res));
};

/**
 * AAA / AAS: AX = AX ± 106h when the low nibble needs adjusting, then AL
 * keeps its low nibble; CF = AF = the adjust condition. SF ZF PF OF
 * (undefined) as for the 8-bit AL ± 6 before the masking.
 */
function asciiAdjust(subtract: boolean): Sem {
  return (b) => {
    const ax = b.reg(Reg.EAX, 2);
    const al = b.zx(ax, 1);
    const adjust = lowNibbleNeedsAdjust(b, al);
    const delta = b.mul(adjust, b.k(0x106));
    const sum = subtract ? b.sub(ax, delta) : b.add(ax, delta);
    b.setReg(Reg.EAX, 2, b.and(sum, b.k(0xff0f)));
    const six = b.mul(adjust, b.k(6));
    const of = subtract ? subOverflow8(b, al, six, sum) : addOverflow8(b, al, six, sum);
    bcdFlags(b, sum, adjust, adjust, of);
  };
}

/** AAM imm8: AH = AL / imm8, AL = AL mod imm8; imm8 = 0 raises #DE. */
const aam: Sem = (b, i) => {
  const base = (operand(i, 0) as { value: number }).value & 0xff;
  if (base === 0) {
    b.raise(Vector.DE);
    return;
  }
  const d = b.divide(b.k(0), b.reg(Reg.EAX, 1), b.k(base), 1, false);
  b.setReg(Reg.EAX, 2, b.or(b.shl(d.q, b.k(8)), d.r));
  b.flagsOp(FlagOp.Logic, 1, d.r, d.r, d.r);
};

/** AAD imm8: AL = AL + AH * imm8, AH = 0; flags as for that 8-bit addition. */
const aad: Sem = (b, i) => {
  const base = (operand(i, 0) as { value: number }).value & 0xff;
  const al = b.reg(Reg.EAX, 1);
  const scaled = b.zx(b.mul(b.reg(AH, 1), b.k(base)), 1);
  const res = b.add(al, scaled);
  b.setReg(Reg.EAX, 2, b.zx(res, 1));
  b.flagsOp(FlagOp.Add, 1, res, al, scaled);
};

/** CBW / CWDE: sign-extend AL into AX, or AX into EAX. */
const cbw: Sem = (b, i) => {
  const half = i.opsize === 4 ? 2 : 1;
  b.setReg(Reg.EAX, i.opsize, b.sx(b.reg(Reg.EAX, half), half));
};

/** CWD / CDQ: DX or EDX = the sign of AX or EAX, replicated. */
const cwd: Sem = (b, i) => {
  const size = i.opsize;
  b.setReg(Reg.EDX, size, b.shrS(b.sx(b.reg(Reg.EAX, size), size), b.k(31)));
};

/** SALC (undocumented): AL = CF ? FFh : 00h. */
const salc: Sem = (b) => {
  b.setReg(Reg.EAX, 1, b.neg(b.flag(Flag.CF)));
};

const cmc: Sem = (b) => b.setFlag(Flag.CF, b.xor(b.flag(Flag.CF), b.k(1)));
const clc: Sem = (b) => b.setFlag(Flag.CF, b.k(0));
const stc: Sem = (b) => b.setFlag(Flag.CF, b.k(1));
const cld: Sem = (b) => b.setFlag(Flag.DF, b.k(0));
const std: Sem = (b) => b.setFlag(Flag.DF, b.k(1));

/** The EFLAGS bits that SAHF/LAHF move: SF ZF AF PF CF (AH bits 7 6 4 2 0). */
const AH_FLAGS = Flag.SF | Flag.ZF | Flag.AF | Flag.PF | Flag.CF;

const sahf: Sem = (b) => b.setEflags(b.reg(AH, 1), AH_FLAGS);
/** LAHF: bit 1 of EFLAGS always reads 1. */
const lahf: Sem = (b) => b.setReg(AH, 1, b.or(b.and(b.eflags(), b.k(AH_FLAGS)), b.k(2)));

export const ARITH_SEMANTICS: Record<string, Sem> = {
  add, or, adc, sbb, and, sub, xor, cmp, test, not, neg,
  mul: multiplyAccumulator(false),
  imul1: multiplyAccumulator(true),
  imul2: imulTruncated,
  imul3: imulTruncated,
  div: divide(false),
  idiv: divide(true),
  inc: incdec(FlagOp.Inc),
  dec: incdec(FlagOp.Dec),
  daa, das,
  aaa: asciiAdjust(false),
  aas: asciiAdjust(true),
  aam, aad, cbw, cwd, salc, cmc, clc, stc, cld, std, sahf, lahf,
};
