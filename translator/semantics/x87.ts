/**
 * Semantics of the x87 family (translator/table/fpu.ts). x87 arithmetic is
 * not expressible in the backend's i32 primitives at any sensible cost, so
 * an x87 instruction is a call of the x87 unit's runtime helper of the same
 * name (runtime/fpu): the reference tier calls it directly, translated code
 * through its helper import. The helper does everything, the #NM and #MF
 * gates included.
 *
 * The data movement that makes up most x87 code (compiled C keeps doubles
 * in memory: FLD m64fp, FSTP m64fp, FXCH, FST(P)/FLD ST(i), FLDZ, FLD1,
 * FCHS/FABS, FNSTSW AX) has an inline path on the unit's state words
 * (Backend.fpuWord, fpuReg): for ordinary values (zeros and finite normals
 * in range), with no #NM, no pending exception and no stack fault, it does
 * exactly what the helper would, bit for bit (the pointers, C1 and PE
 * included); anything else (a NaN, a denormal, an empty or full register,
 * an exception to deliver, a 16-bit address size) takes the helper, which
 * starts the instruction over. The inline path reads memory before it
 * decides, so such an instruction reads its operand twice.
 */
import { type Backend, FpuPart, FpuWord, type Sem } from './backend.js';
import { OPCODE_TABLE } from '../table/index.js';
import { type Instruction, type MemOperand, Seg } from '../table/types.js';
import { effectiveAddress } from './operands.js';

/** Status word bits the inline paths touch (runtime/fpu/state.ts Sw). */
const SW_PE = 0x20, SW_ES = 0x80, SW_C1 = 0x200, SW_TOP = 0x3800, SW_B = 0x8000;
const EXCEPTIONS = 0x3f;
/** The significand's integer bit (J) in its high half. */
const J = 0x80000000 | 0;
/** Biased exponent of the extended format minus the double format's. */
const EXTENDED_MINUS_DOUBLE = 16383 - 1023;

const opcodeLow = new WeakMap<object, number>();

/** FOP of an instruction (what FSTENV and FXSAVE store): the low 3 bits of the escape byte, then the ModRM byte. */
export function x87Opcode(i: Instruction): number {
  let low = opcodeLow.get(i.row);
  if (low === undefined) {
    low = parseInt(i.row.opcode.slice(0, 2), 16) & 7;
    opcodeLow.set(i.row, low);
  }
  return (low << 8) | (i.modrm & 0xff);
}

/** The x87 state an inline path works on, read once at its start. */
interface Unit<V> {
  readonly top: V;
  readonly empty: V;
  readonly sw: V;
  readonly cw: V;
}

/** Physical register number of ST(k) as a value: (TOP + k) mod 8. */
function phys<V>(b: Backend<V>, u: Unit<V>, k: number): V {
  return k === 0 ? u.top : b.and(b.add(u.top, b.k(k)), b.k(7));
}

/** 1 when physical register p is empty. */
function isEmpty<V>(b: Backend<V>, u: Unit<V>, p: V): V {
  return b.and(b.shrU(u.empty, p), b.k(1));
}

/**
 * Run `inline` when the instruction may take its inline path (no #NM; for
 * a waiting instruction no pending unmasked exception), else the helper.
 */
function gated<V>(b: Backend<V>, i: Instruction, waits: boolean, inline: (u: Unit<V>) => void): void {
  const helper = (): void => b.helper(`x87.${i.row.sem}`, i);
  b.if_(b.x87Usable(), () => {
    const cw = b.fpuWord(FpuWord.Cw), sw = b.fpuWord(FpuWord.Sw);
    const unit: Unit<V> = { top: b.fpuWord(FpuWord.Top), empty: b.fpuWord(FpuWord.Empty), sw, cw };
    if (!waits) return inline(unit);
    const pending = b.and(b.and(sw, b.not(cw)), b.k(EXCEPTIONS));
    b.if_(b.eqz(pending), () => inline(unit), helper);
  }, helper);
}

/** Run `then` when `ok`, else the helper (which starts the instruction over). */
function orHelper<V>(b: Backend<V>, i: Instruction, ok: V, then: () => void): void {
  b.if_(ok, then, () => b.helper(`x87.${i.row.sem}`, i));
}

/** FIP, FCS and FOP (and FDP, FDS for a memory operand) of a non-control instruction (runtime/fpu/exec.ts recordPointers). */
function recordPointers<V>(b: Backend<V>, i: Instruction, mem?: { seg: Seg; ea: V }): void {
  b.setFpuWord(FpuWord.Fip, b.k(i.eip));
  b.setFpuWord(FpuWord.Fcs, b.sreg(Seg.CS));
  b.setFpuWord(FpuWord.Fop, b.k(x87Opcode(i)));
  if (mem) {
    b.setFpuWord(FpuWord.Fdp, mem.ea);
    b.setFpuWord(FpuWord.Fds, b.sreg(mem.seg));
  }
}

function copyRegister<V>(b: Backend<V>, from: V, to: V): void {
  b.setFpuReg(to, FpuPart.SigLo, b.fpuReg(from, FpuPart.SigLo));
  b.setFpuReg(to, FpuPart.SigHi, b.fpuReg(from, FpuPart.SigHi));
  b.setFpuReg(to, FpuPart.SignExp, b.fpuReg(from, FpuPart.SignExp));
}

/** Push: R(p) (TOP - 1) is tagged valid and becomes ST(0); C1 = 0. */
function pushed<V>(b: Backend<V>, u: Unit<V>, p: V): void {
  b.setFpuWord(FpuWord.Empty, b.and(u.empty, b.not(b.shl(b.k(1), p))));
  b.setFpuWord(FpuWord.Top, p);
  b.setFpuWord(FpuWord.Sw, b.and(u.sw, b.k(~SW_C1)));
}

/** The operand of a memory form the inline paths take (32-bit address size), or null. */
function memOperand(i: Instruction): MemOperand | null {
  const op = i.operands[0];
  return op && op.kind === 'mem' && op.adsize === 4 ? op : null;
}

/** FLD m64fp, FLD ST(i): push a copy (the other FLD and FILD forms: the helper). */
const fld: Sem = (b, i) => {
  const op = i.operands[0]!;
  const spec = i.row.operands[0];
  const mem = memOperand(i);
  if (op.kind === 'st') {
    return gated(b, i, true, (u) => {
      const dst = phys(b, u, 7), src = phys(b, u, op.index);
      orHelper(b, i, b.and(isEmpty(b, u, dst), b.eqz(isEmpty(b, u, src))), () => {
        copyRegister(b, src, dst);
        pushed(b, u, dst);
        recordPointers(b, i);
      });
    });
  }
  if (spec !== 'm64fp' || !mem) return b.helper(`x87.${i.row.sem}`, i);
  gated(b, i, true, (u) => {
    const ea = effectiveAddress(b, mem);
    const { lo, hi } = b.load64(mem.seg, ea);
    const dst = phys(b, u, 7);
    const e = b.and(b.shrU(hi, b.k(20)), b.k(0x7ff));
    const zero = b.eqz(b.or(b.and(hi, b.k(0x7fffffff)), lo));
    // A zero or a normal double (not a denormal, an infinity or a NaN), into an empty register.
    const ordinary = b.or(zero, b.ltU(b.sub(e, b.k(1)), b.k(0x7fe)));
    orHelper(b, i, b.and(isEmpty(b, u, dst), ordinary), () => {
      const sign = b.shl(b.shrU(hi, b.k(31)), b.k(15));
      b.setFpuReg(dst, FpuPart.SignExp, b.or(sign, b.select(zero, b.k(0), b.add(e, b.k(EXTENDED_MINUS_DOUBLE)))));
      b.setFpuReg(dst, FpuPart.SigHi, b.select(zero, b.k(0), b.or(b.k(J), b.or(b.shl(b.and(hi, b.k(0xfffff)), b.k(11)), b.shrU(lo, b.k(21))))));
      b.setFpuReg(dst, FpuPart.SigLo, b.shl(lo, b.k(11)));
      pushed(b, u, dst);
      recordPointers(b, i, { seg: mem.seg, ea });
    });
  });
};

/** After a store: pop when the form pops. */
function popIf<V>(b: Backend<V>, u: Unit<V>, pop: boolean): void {
  if (!pop) return;
  b.setFpuWord(FpuWord.Empty, b.or(u.empty, b.shl(b.k(1), u.top)));
  b.setFpuWord(FpuWord.Top, phys(b, u, 1));
}

/**
 * FST/FSTP m64fp of a finite normal value whose rounded result is a
 * normal double (RC rounding of the 64-bit significand to 53 bits, PE and
 * C1 as the unit sets them), FST/FSTP ST(i): a copy. Other forms: the helper.
 */
function fst(pop: boolean): Sem {
  return (b, i) => {
    const op = i.operands[0]!;
    const spec = i.row.operands[0];
    const mem = memOperand(i);
    if (op.kind === 'st') {
      return gated(b, i, true, (u) => {
        orHelper(b, i, b.eqz(isEmpty(b, u, u.top)), () => {
          const dst = phys(b, u, op.index);
          copyRegister(b, u.top, dst);
          const empty = b.and(u.empty, b.not(b.shl(b.k(1), dst)));
          b.setFpuWord(FpuWord.Empty, empty);
          b.setFpuWord(FpuWord.Sw, b.and(u.sw, b.k(~SW_C1)));
          popIf(b, { ...u, empty }, pop);
          recordPointers(b, i);
        });
      });
    }
    if (spec !== 'm64fp' || !mem) return b.helper(`x87.${i.row.sem}`, i);
    gated(b, i, true, (u) => {
      const se = b.fpuReg(u.top, FpuPart.SignExp);
      const hi = b.fpuReg(u.top, FpuPart.SigHi), lo = b.fpuReg(u.top, FpuPart.SigLo);
      const exp = b.and(se, b.k(0x7fff)), sign = b.shrU(se, b.k(15));
      // The 53-bit significand m = mHi:mLo (bits 63..11), then the round bit (10) and the sticky bits (9..0).
      const mLo = b.or(b.shl(hi, b.k(21)), b.shrU(lo, b.k(11))), mHi = b.shrU(hi, b.k(11));
      const round = b.and(b.shrU(lo, b.k(10)), b.k(1)), sticky = b.ne(b.and(lo, b.k(0x3ff)), b.k(0));
      const inexact = b.or(round, sticky);
      const rc = b.and(b.shrU(u.cw, b.k(10)), b.k(3));
      // Nearest: up when above half, or at half with m odd; up (2) / down (1): away from zero when inexact
      // and the sign is the direction's; zero (3): never.
      const nearest = b.and(round, b.or(sticky, b.and(mLo, b.k(1))));
      const directed = b.and(inexact, b.eq(b.eq(rc, b.k(2)), b.eqz(sign)));
      const up = b.select(b.eqz(rc), nearest, b.select(b.eq(rc, b.k(3)), b.k(0), directed));
      const lo2 = b.add(mLo, up);
      const hi2 = b.add(mHi, b.and(up, b.eqz(lo2)));
      // m rounded up to 2^53: the exponent goes up by one and the fraction is 0 (lo2 and hi2's low 20 bits already are).
      const carry = b.eq(hi2, b.k(0x200000));
      const biased = b.add(b.sub(exp, b.k(EXTENDED_MINUS_DOUBLE)), carry);
      // Valid, J set (not a zero, a denormal or an unsupported encoding), and a normal double once
      // rounded (the unit's rule: runtime/fpu/fast.ts fastStore), which rules out infinities and NaNs.
      const ok = b.and(b.and(b.eqz(isEmpty(b, u, u.top)), b.ltS(hi, b.k(0))), b.ltU(b.sub(biased, b.k(1)), b.k(0x7fe)));
      orHelper(b, i, ok, () => {
        const ea = effectiveAddress(b, mem);
        const top = b.or(b.shl(sign, b.k(31)), b.or(b.shl(biased, b.k(20)), b.and(hi2, b.k(0xfffff))));
        b.store64(mem.seg, ea, lo2, top);
        b.setFpuWord(FpuWord.Sw, b.or(b.and(u.sw, b.k(~SW_C1)), b.or(b.shl(inexact, b.k(5)), b.shl(up, b.k(9)))));
        popIf(b, u, pop);
        recordPointers(b, i, { seg: mem.seg, ea });
      });
    });
  };
}

/** FXCH ST(i) of two valid registers: a swap. */
const fxch: Sem = (b, i) => {
  const op = i.operands[0]!;
  if (op.kind !== 'st') return b.helper(`x87.${i.row.sem}`, i);
  gated(b, i, true, (u) => {
    const other = phys(b, u, op.index);
    orHelper(b, i, b.and(b.eqz(isEmpty(b, u, u.top)), b.eqz(isEmpty(b, u, other))), () => {
      const parts = [FpuPart.SigLo, FpuPart.SigHi, FpuPart.SignExp];
      const mine = parts.map((p) => b.fpuReg(u.top, p));
      const theirs = parts.map((p) => b.fpuReg(other, p));
      parts.forEach((p, k) => { b.setFpuReg(u.top, p, theirs[k]!); b.setFpuReg(other, p, mine[k]!); });
      b.setFpuWord(FpuWord.Sw, b.and(u.sw, b.k(~SW_C1)));
      recordPointers(b, i);
    });
  });
};

/** FLD1 and FLDZ (exact in every rounding mode); the irrational constants: the helper. */
const fldconst: Sem = (b, i) => {
  const c = i.modrm & 0xff;
  if (c !== 0xe8 && c !== 0xee) return b.helper(`x87.${i.row.sem}`, i);
  const one = c === 0xe8;
  gated(b, i, true, (u) => {
    const dst = phys(b, u, 7);
    orHelper(b, i, isEmpty(b, u, dst), () => {
      b.setFpuReg(dst, FpuPart.SignExp, b.k(one ? 0x3fff : 0));
      b.setFpuReg(dst, FpuPart.SigHi, b.k(one ? J : 0));
      b.setFpuReg(dst, FpuPart.SigLo, b.k(0));
      pushed(b, u, dst);
      recordPointers(b, i);
    });
  });
};

/** FCHS, FABS of a valid register (any value: no exception but stack underflow). */
function signOp(abs: boolean): Sem {
  return (b, i) => gated(b, i, true, (u) => {
    orHelper(b, i, b.eqz(isEmpty(b, u, u.top)), () => {
      const se = b.fpuReg(u.top, FpuPart.SignExp);
      b.setFpuReg(u.top, FpuPart.SignExp, abs ? b.and(se, b.k(0x7fff)) : b.xor(se, b.k(0x8000)));
      b.setFpuWord(FpuWord.Sw, b.and(u.sw, b.k(~SW_C1)));
      recordPointers(b, i);
    });
  });
}

/** FNSTSW AX (no wait: only the #NM gate); FNSTSW m2byte: the helper. */
const fnstsw: Sem = (b, i) => {
  if (i.operands[0]!.kind !== 'reg') return b.helper(`x87.${i.row.sem}`, i);
  gated(b, i, false, (u) => {
    const pending = b.ne(b.and(b.and(u.sw, b.not(u.cw)), b.k(EXCEPTIONS)), b.k(0));
    const word = b.or(b.and(u.sw, b.k(~(SW_ES | SW_B | SW_TOP))), b.or(b.shl(u.top, b.k(11)), b.select(pending, b.k(SW_ES | SW_B), b.k(0))));
    b.setReg(0, 2, word);
  });
};

/** Semantic names with an inline path; every other x87 name is a helper call. */
const INLINE: Readonly<Record<string, Sem>> = {
  fld, fst: fst(false), fstp: fst(true), fxch, fldconst, fchs: signOp(false), fabs: signOp(true), fnstsw,
};

/** One semantic routine per x87 semantic name of the table: the inline ones above, else a call of helper 'x87.<name>'. */
export const X87_SEMANTICS: Record<string, Sem> = Object.fromEntries(
  [...new Set(OPCODE_TABLE.filter((r) => r.group === 'x87').map((r) => r.sem))].map((name) => {
    const helper = `x87.${name}`;
    const sem: Sem = INLINE[name] ?? ((b, i) => b.helper(helper, i));
    return [name, sem];
  }),
);
