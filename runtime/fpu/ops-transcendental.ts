/**
 * The transcendental instructions: FSIN, FCOS, FSINCOS, FPTAN, FPATAN,
 * F2XM1, FYL2X, FYL2XP1 (SDM vol. 2, each page's table of special
 * operands). Finite operands go through the model (transcendental.ts) and
 * one rounding to 64 bits by RC (precision control does not apply).
 */
import { checkOperand, checkOperands, denormal, invalid } from './arith.js';
import {
  classify, Env, type F80, isNaN, J_BIT, Kind, roundExtended,
} from './float80.js';
import { enterX87, finish, overflow, pop, push, recordPointers, type Routine, setCc, setSt, st, underflow } from './exec.js';
import { unary } from './ops-misc.js';
import { atan2Model, exp2m1Model, type ModelValue, piMultiple, sinCosModel, ylog2xModel, ylog2xp1Model } from './transcendental.js';
import { Sw } from './state.js';

const ONE: F80 = { sign: 0, exp: 0x3fff, sig: J_BIT };
const ZERO = (sign: number): F80 => ({ sign, exp: 0, sig: 0n });
const INF = (sign: number): F80 => ({ sign, exp: 0x7fff, sig: J_BIT });

/** Round a model value to 64 bits (PE unless exact; C1 = rounded up). */
export function roundModel(env: Env, v: ModelValue): F80 {
  return roundExtended(env, v.sign, v.m, v.e, !v.exact, 64);
}

/** Arguments of FSIN, FCOS, FSINCOS, FPTAN beyond ±2^63 are left alone with C2 = 1. */
function outOfRange(v: F80): boolean {
  const k = classify(v);
  return (k === Kind.Normal || k === Kind.Denormal) && v.exp >= 0x3fff + 63;
}

type Trig = 'sin' | 'cos' | 'sincos' | 'tan';

/**
 * The trigonometric instructions. FSIN/FCOS replace ST(0); FSINCOS replaces
 * it with the sine and pushes the cosine; FPTAN replaces it with the tangent
 * and pushes 1. C2 = 1 (and nothing else) for an argument out of range.
 */
function trig(kind: Trig): Routine {
  const pushes = kind === 'sincos' || kind === 'tan';
  return (b, i) => {
    const f = enterX87(b);
    f.sw &= ~Sw.C1;
    const x = st(f, 0);
    // Stack faults come first, then the range check; C2 = 1 only for an argument out of range.
    if (f.isEmpty(0) || (pushes && !f.isEmpty(7))) {
      f.sw &= ~Sw.C2;
      const r = f.isEmpty(0) ? underflow(f) : overflow(f);
      if (r) { setSt(f, 0, r); if (pushes) push(f, r); }
      recordPointers(b, i, f);
      return;
    }
    if (outOfRange(x)) {
      setCc(f, Sw.C2, Sw.C2);
      recordPointers(b, i, f);
      return;
    }
    f.sw &= ~Sw.C2;
    const env = new Env(f.cw);
    const k = classify(x);
    let first: F80 | null, second: F80 | null = null; // first replaces ST(0), second is pushed
    const early = checkOperand(env, x, k);
    if (early !== undefined) {
      first = early;
      second = early;
    } else if (k === Kind.Infinity) {
      first = second = invalid(env);
    } else if (k === Kind.Zero) {
      first = kind === 'cos' ? ONE : x;
      second = ONE;
    } else {
      const m = sinCosModel(x);
      switch (kind) {
        case 'sin': first = roundModel(env, m.sin); break;
        case 'cos': first = roundModel(env, m.cos); break;
        case 'tan': first = roundModel(env, m.tan); second = ONE; break;
        case 'sincos': {
          // C1 tells how the sine was rounded (the cosine's rounding is not reported).
          first = roundModel(env, m.sin);
          const up = env.roundedUp;
          second = roundModel(env, m.cos);
          env.roundedUp = up;
          break;
        }
      }
    }
    finish(f, env);
    if (first && (!pushes || second)) {
      setSt(f, 0, first);
      if (pushes) push(f, second!);
    }
    recordPointers(b, i, f);
  };
}

/** An operation on ST(1) and ST(0) whose result replaces ST(1), then a pop (FPATAN, FYL2X, FYL2XP1). */
function popping(op: (env: Env, y: F80, x: F80) => F80 | null): Routine {
  return (b, i) => {
    const f = enterX87(b);
    f.sw &= ~Sw.C1;
    if (f.isEmpty(0) || f.isEmpty(1)) {
      const r = underflow(f);
      if (r) { setSt(f, 1, r); pop(f); }
      recordPointers(b, i, f);
      return;
    }
    const env = new Env(f.cw);
    const r = op(env, st(f, 1), st(f, 0));
    finish(f, env);
    if (r) { setSt(f, 1, r); pop(f); }
    recordPointers(b, i, f);
  };
}

/** NaN and unsupported operands of a two-operand transcendental (ST(0) is the first operand). */
function nanOperands(env: Env, x: F80, kx: Kind, y: F80, ky: Kind): F80 | null | undefined {
  if (kx === Kind.Unsupported || ky === Kind.Unsupported || isNaN(kx) || isNaN(ky)) return checkOperands(env, x, kx, y, ky);
  return undefined;
}

/** FPATAN: atan2(ST(1), ST(0)). */
function fpatan(env: Env, y: F80, x: F80): F80 | null {
  const ky = classify(y), kx = classify(x);
  const early = nanOperands(env, x, kx, y, ky);
  if (early !== undefined) return early;
  if (!denormal(env, kx, ky)) return null;
  const s = y.sign;
  const pi = (num: bigint, den: bigint): F80 => {
    const v = piMultiple(num, den);
    return roundModel(env, { sign: s, m: v.m, e: v.e, exact: false });
  };
  if (ky === Kind.Zero) return x.sign ? pi(1n, 1n) : ZERO(s);
  if (ky === Kind.Infinity) {
    if (kx === Kind.Infinity) return pi(x.sign ? 3n : 1n, 4n);
    return pi(1n, 2n);
  }
  if (kx === Kind.Zero) return pi(1n, 2n);
  if (kx === Kind.Infinity) return x.sign ? pi(1n, 1n) : ZERO(s);
  return roundModel(env, atan2Model(y, x));
}

/** F2XM1: 2^ST(0) − 1. */
function f2xm1(env: Env, x: F80): F80 | null {
  const k = classify(x);
  const early = checkOperand(env, x, k);
  if (early !== undefined) return early;
  if (k === Kind.Zero) return x;
  if (k === Kind.Infinity) return x.sign ? { sign: 1, exp: 0x3fff, sig: J_BIT } : x;
  if (x.exp >= 0x3fff) {
    // |x| ≥ 1. The manual leaves |x| > 1 undefined; the host returns x itself, inexact.
    if (x.exp === 0x3fff && x.sig === J_BIT) {
      // At 1 the host's value is not exact but just below 1 (RN gives 1, rounded up); at −1 it
      // gives −1/2 exactly but still reports it inexact.
      if (!x.sign) return roundModel(env, { sign: 0, m: (1n << 72n) - 1n, e: -72, exact: false });
      env.flags |= Sw.PE;
      env.roundedUp = false;
      return { sign: 1, exp: 0x3ffe, sig: J_BIT };
    }
    env.flags |= Sw.PE;
    env.roundedUp = false;
    return x;
  }
  return roundModel(env, exp2m1Model(x));
}

/** FYL2X: ST(1) × log2(ST(0)). */
function fyl2x(env: Env, y: F80, x: F80): F80 | null {
  const ky = classify(y), kx = classify(x);
  const early = nanOperands(env, x, kx, y, ky);
  if (early !== undefined) return early;
  if (x.sign && kx !== Kind.Zero) return invalid(env);
  if (kx === Kind.Zero) {
    if (ky === Kind.Zero) return invalid(env);
    if (ky === Kind.Infinity) return INF(y.sign ^ 1);
    return env.raise(Sw.ZE) ? INF(y.sign ^ 1) : null;
  }
  if (!denormal(env, kx, ky)) return null;
  const xIsOne = x.exp === 0x3fff && x.sig === J_BIT;
  if (kx === Kind.Infinity) {
    if (ky === Kind.Zero) return invalid(env);
    return INF(y.sign);
  }
  if (ky === Kind.Infinity) {
    if (xIsOne) return invalid(env);
    return INF(y.sign ^ (x.exp < 0x3fff ? 1 : 0));
  }
  if (ky === Kind.Zero || xIsOne) return ZERO(y.sign ^ (x.exp < 0x3fff ? 1 : 0));
  // Inexact even when exact (x a power of 2), as on the host.
  const r = roundModel(env, ylog2xModel(y, x));
  env.flags |= Sw.PE;
  return r;
}

/** FYL2XP1: ST(1) × log2(ST(0) + 1). */
function fyl2xp1(env: Env, y: F80, x: F80): F80 | null {
  const ky = classify(y), kx = classify(x);
  const early = nanOperands(env, x, kx, y, ky);
  if (early !== undefined) return early;
  if ((kx === Kind.Zero && ky === Kind.Infinity) || (kx === Kind.Infinity && x.sign)) return invalid(env);
  if (!denormal(env, kx, ky)) return null;
  if (kx === Kind.Zero) {
    return ZERO(y.sign ^ x.sign);
  }
  if (kx === Kind.Infinity) return ky === Kind.Zero ? invalid(env) : INF(y.sign);
  if (ky === Kind.Infinity) return INF(y.sign ^ x.sign);
  if (ky === Kind.Zero) return ZERO(y.sign ^ x.sign);
  // The manual defines |x| < 1 − √2/2; the host computes every x > −1 and returns x itself for x ≤ −1.
  env.flags |= Sw.PE;
  if (x.sign && x.exp >= 0x3fff) { env.roundedUp = false; return x; }
  return roundModel(env, ylog2xp1Model(y, x));
}

export const TRANSCENDENTAL_ROUTINES: Record<string, Routine> = {
  fsin: trig('sin'),
  fcos: trig('cos'),
  fsincos: trig('sincos'),
  fptan: trig('tan'),
  fpatan: popping(fpatan),
  f2xm1: unary(f2xm1),
  fyl2x: popping(fyl2x),
  fyl2xp1: popping(fyl2xp1),
};

