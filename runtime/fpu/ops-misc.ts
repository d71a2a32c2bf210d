/**
 * The other x87 arithmetic on the stack top: FSQRT, FRNDINT, FSCALE,
 * FXTRACT, FPREM, FPREM1 (SDM vol. 2, each instruction's page).
 */
import { checkOperand, checkOperands, denormal, invalid, sqrt } from './arith.js';
import { fromInteger } from './convert.js';
import {
  bitLength, BIAS, classify, Env, exponentOf, type F80, isNaN, J_BIT, Kind, roundExtended, roundShift,
} from './float80.js';
import { enterX87, finish, overflow, push, recordPointers, type Routine, setCc, setSt, st, underflow } from './exec.js';
import { Rc, Sw } from './state.js';

/** An operation on ST(0) alone, the result replacing it. */
export function unary(op: (env: Env, v: F80) => F80 | null): Routine {
  return (b, i) => {
    const f = enterX87(b);
    f.sw &= ~Sw.C1;
    if (f.isEmpty(0)) {
      const r = underflow(f);
      if (r) setSt(f, 0, r);
    } else {
      const env = new Env(f.cw);
      const r = op(env, st(f, 0));
      finish(f, env);
      if (r) setSt(f, 0, r);
    }
    recordPointers(b, i, f);
  };
}

/** An operation on ST(0) and ST(1), the result replacing ST(0). */
export function binaryTop(op: (env: Env, a: F80, c: F80) => F80 | null): Routine {
  return (b, i) => {
    const f = enterX87(b);
    f.sw &= ~Sw.C1;
    if (f.isEmpty(0) || f.isEmpty(1)) {
      const r = underflow(f);
      if (r) setSt(f, 0, r);
    } else {
      const env = new Env(f.cw);
      const r = op(env, st(f, 0), st(f, 1));
      finish(f, env);
      if (r) setSt(f, 0, r);
    }
    recordPointers(b, i, f);
  };
}

/** FRNDINT: round to an integer by RC (PC does not apply). */
export function roundToInteger(env: Env, v: F80, rc: Rc = env.rc): F80 | null {
  const k = classify(v);
  const early = checkOperand(env, v, k);
  if (early !== undefined) return early;
  if (k === Kind.Zero || k === Kind.Infinity) return v;
  const e = exponentOf(v);
  if (e >= 0) return v;
  const r = roundShift(v.sig, -e, false, rc, v.sign);
  if (r.inexact) { env.flags |= Sw.PE; env.roundedUp = r.up; }
  if (r.q === 0n) return { sign: v.sign, exp: 0, sig: 0n };
  const n = fromInteger(r.q);
  return { sign: v.sign, exp: n.exp, sig: n.sig };
}

/** FSCALE: ST(0) × 2^trunc(ST(1)), rounded to 64 bits. */
function scale(env: Env, a: F80, s: F80): F80 | null {
  const ka = classify(a), ks = classify(s);
  const early = checkOperands(env, a, ka, s, ks);
  if (early !== undefined) return early;
  if (ka === Kind.Infinity && ks === Kind.Infinity && s.sign) return invalid(env);
  if (ka === Kind.Zero && ks === Kind.Infinity && !s.sign) return invalid(env);
  if (!denormal(env, ka, ks)) return null;
  if (ka === Kind.Infinity || ka === Kind.Zero) return a;
  if (ks === Kind.Infinity) return s.sign ? { sign: a.sign, exp: 0, sig: 0n } : { sign: a.sign, exp: 0x7fff, sig: J_BIT };
  let n = 0;
  if (ks !== Kind.Zero) {
    const e = exponentOf(s);
    const t = e >= 0 ? 1 << 30 : Number(s.sig >> BigInt(Math.min(-e, 64)));
    n = Math.min(t, 1 << 20) * (s.sign ? -1 : 1);
  }
  return roundExtended(env, a.sign, a.sig, exponentOf(a) + n, false, 64);
}

/** FXTRACT: ST(0) becomes its exponent, then its significand (exponent 0) is pushed. */
const fxtract: Routine = (b, i) => {
  const f = enterX87(b);
  f.sw &= ~Sw.C1;
  if (f.isEmpty(0)) {
    // Underflow wins over overflow: the indefinite is pushed whatever ST(7) holds.
    const r = underflow(f);
    if (r) { setSt(f, 0, r); push(f, r); }
    recordPointers(b, i, f);
    return;
  }
  if (!f.isEmpty(7)) {
    const r = overflow(f);
    if (r) { setSt(f, 0, r); push(f, r); }
    recordPointers(b, i, f);
    return;
  }
  const env = new Env(f.cw);
  const v = st(f, 0);
  const k = classify(v);
  let exponent: F80 | null, significand: F80 | null;
  const early = checkOperand(env, v, k);
  if (early !== undefined) {
    exponent = significand = early;
  } else if (k === Kind.Zero) {
    exponent = env.raise(Sw.ZE) ? { sign: 1, exp: 0x7fff, sig: J_BIT } : null;
    significand = v;
  } else if (k === Kind.Infinity) {
    exponent = { sign: 0, exp: 0x7fff, sig: J_BIT };
    significand = v;
  } else {
    const len = bitLength(v.sig);
    exponent = fromInteger(BigInt(exponentOf(v) + len - 1));
    significand = { sign: v.sign, exp: BIAS, sig: v.sig << BigInt(64 - len) };
  }
  finish(f, env);
  if (exponent && significand) {
    setSt(f, 0, exponent);
    push(f, significand);
  }
  recordPointers(b, i, f);
};

/**
 * Beyond an exponent difference D of 63, FPREM/FPREM1 reduce partially
 * (C2 = 1) by multiples of ST(1) × 2^(D − N), N being the implementation's
 * choice between 32 and 63: the host takes the N that makes D − N a
 * multiple of 32 (the exponent drops in steps of 32 bits).
 */
function partialN(d: number): number {
  return 32 + ((d - 32) & 31);
}

/** FPREM (truncating quotient) and FPREM1 (IEEE: nearest-even quotient). */
function fprem(ieee: boolean): Routine {
  return (b, i) => {
    const f = enterX87(b);
    f.sw &= ~Sw.C1;
    if (f.isEmpty(0) || f.isEmpty(1)) {
      const r = underflow(f);
      f.sw &= ~Sw.C2;
      if (r) setSt(f, 0, r);
      recordPointers(b, i, f);
      return;
    }
    const env = new Env(f.cw);
    const x = st(f, 0), y = st(f, 1);
    const kx = classify(x), ky = classify(y);
    let result: F80 | null;
    // Special operands leave C0 and C3 alone and clear C1 and C2 (as the host does).
    let cc = f.sw & (Sw.C0 | Sw.C3);
    if (kx === Kind.Unsupported || ky === Kind.Unsupported || isNaN(kx) || isNaN(ky)) {
      result = checkOperands(env, x, kx, y, ky) ?? null;
    } else if (kx === Kind.Infinity || ky === Kind.Zero) {
      result = invalid(env);
    } else if (!denormal(env, kx, ky)) {
      result = null;
    } else if (kx === Kind.Zero || ky === Kind.Infinity) {
      // Quotient 0, remainder x (a pseudo-denormal comes back in its normal form, exponent 1).
      result = kx === Kind.Denormal && x.sig >= J_BIT ? { sign: x.sign, exp: 1, sig: x.sig } : x;
      cc = 0;
    } else {
      const ex = exponentOf(x) + bitLength(x.sig) - 1, ey = exponentOf(y) + bitLength(y.sig) - 1;
      const d = ex - ey;
      // Exact: x = mx·2^ax, y = my·2^ay; align both on the smaller exponent.
      const ax = exponentOf(x), ay = exponentOf(y);
      let shiftY = 0;
      let partial = false;
      if (d >= 64) { partial = true; shiftY = d - partialN(d); }
      const base = Math.min(ax, ay + shiftY);
      const mx = x.sig << BigInt(ax - base), my = y.sig << BigInt(ay + shiftY - base);
      let q = mx / my;
      let r = mx - q * my;
      if (ieee && !partial) {
        const twice = r * 2n;
        if (twice > my || (twice === my && (q & 1n) === 1n)) { q += 1n; r -= my; }
      }
      if (d < 0 && !ieee) { q = 0n; r = mx; }
      const sign = r < 0n ? x.sign ^ 1 : x.sign;
      const mag = r < 0n ? -r : r;
      result = mag === 0n ? { sign: x.sign, exp: 0, sig: 0n } : roundExtended(env, sign, mag, base, false, 64);
      if (partial) cc = Sw.C2;
      else cc = ((q & 4n) ? Sw.C0 : 0) | ((q & 2n) ? Sw.C3 : 0) | ((q & 1n) ? Sw.C1 : 0);
    }
    f.sw |= env.flags;
    setCc(f, Sw.C0 | Sw.C1 | Sw.C2 | Sw.C3, cc);
    if (result) setSt(f, 0, result);
    recordPointers(b, i, f);
  };
}

export const MISC_ROUTINES: Record<string, Routine> = {
  fsqrt: unary(sqrt),
  frndint: unary((env, v) => roundToInteger(env, v)),
  fscale: binaryTop(scale),
  fxtract,
  fprem: fprem(false),
  fprem1: fprem(true),
};

