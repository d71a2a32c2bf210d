/**
 * Exact x87 arithmetic: FADD/FSUB/FMUL/FDIV (all operand forms reduce to
 * these), FSQRT, and the operand checks they share (SDM vol. 1, 4.8.3 and
 * table 4-7 for NaNs, 8.5.1-8.5.3 for the invalid, denormal and divide-by-
 * zero conditions). Each returns the result, or null when an unmasked
 * pre-computation exception leaves the destination unchanged.
 */
import {
  bitLength, classify, Env, exponentOf, type F80, INDEFINITE, isNaN, Kind, negate, pickNaN, quiet, roundExtended, withSign,
} from './float80.js';
import { Rc, Sw } from './state.js';

/** The masked invalid-operation response: the real indefinite (or null when IE is unmasked). */
export function invalid(env: Env): F80 | null {
  return env.raise(Sw.IE) ? INDEFINITE : null;
}

/**
 * The first checks of every two-operand operation: unsupported formats
 * (IE, the indefinite), then SNaNs (IE) and QNaN propagation. Returns a
 * final result, null (unmasked exception), or undefined to go on. The
 * denormal check (`denormal`) comes later, after each operation's own
 * invalid and divide-by-zero cases: those suppress DE on the host.
 */
export function checkOperands(env: Env, a: F80, ka: Kind, b: F80, kb: Kind): F80 | null | undefined {
  if (ka === Kind.Unsupported || kb === Kind.Unsupported) return invalid(env);
  if (isNaN(ka) || isNaN(kb)) {
    if ((ka === Kind.SNaN || kb === Kind.SNaN) && !env.raise(Sw.IE)) return null;
    return pickNaN(a, ka, b, kb);
  }
  return undefined;
}

/** DE for a denormal operand (or a denormal single/double memory operand); false when it is unmasked. */
export function denormal(env: Env, ka: Kind, kb: Kind = Kind.Normal): boolean {
  if (ka === Kind.Denormal || kb === Kind.Denormal || env.sourceDenormal) return env.raise(Sw.DE);
  return true;
}

/** One-operand version of checkOperands. */
export function checkOperand(env: Env, a: F80, ka: Kind): F80 | null | undefined {
  if (ka === Kind.Unsupported) return invalid(env);
  if (ka === Kind.SNaN) return env.raise(Sw.IE) ? quiet(a) : null;
  if (ka === Kind.QNaN) return a;
  if (ka === Kind.Denormal && !env.raise(Sw.DE)) return null;
  return undefined;
}

/** The sign of an exact zero sum: +0 unless both addends are -0, or rounding down (SDM vol. 1, 4.8.3.3). */
function zeroSumSign(env: Env, sa: number, sb: number): number {
  if (sa === sb) return sa;
  return env.rc === Rc.Down ? 1 : 0;
}

/** a + b (subtract: a - b) rounded to PC. */
export function add(env: Env, a: F80, b: F80, subtract: boolean): F80 | null {
  const ka = classify(a), kb = classify(b);
  const early = checkOperands(env, a, ka, b, kb);
  if (early !== undefined) return early;
  if (subtract) b = negate(b);
  if (ka === Kind.Infinity && kb === Kind.Infinity && a.sign !== b.sign) return invalid(env);
  if (!denormal(env, ka, kb)) return null;
  if (ka === Kind.Infinity || kb === Kind.Infinity) return ka === Kind.Infinity ? a : b;
  return addFinite(env, a, b, env.precision);
}

/** The exact sum of two finite values, rounded to `prec` bits. */
export function addFinite(env: Env, a: F80, b: F80, prec: number): F80 {
  if (a.sig === 0n && b.sig === 0n) return { sign: zeroSumSign(env, a.sign, b.sign), exp: 0, sig: 0n };
  if (b.sig === 0n) return roundExtended(env, a.sign, a.sig, exponentOf(a), false, prec);
  if (a.sig === 0n) return roundExtended(env, b.sign, b.sig, exponentOf(b), false, prec);
  let ea = exponentOf(a), eb = exponentOf(b);
  let big = a, small = b;
  if (ea < eb) { big = b; small = a; [ea, eb] = [eb, ea]; }
  const d = ea - eb;
  const same = big.sign === small.sign;
  if (d > 130) {
    // The smaller addend lies wholly below the rounding position: it only acts as a sticky bit.
    const m = (big.sig << 2n) + (same ? 0n : -1n);
    return roundExtended(env, big.sign, m, ea - 2, true, prec);
  }
  const mb = big.sig << BigInt(d);
  const sum = same ? mb + small.sig : mb - small.sig;
  if (sum === 0n) return { sign: zeroSumSign(env, a.sign, b.sign), exp: 0, sig: 0n };
  return sum > 0n ? roundExtended(env, big.sign, sum, eb, false, prec) : roundExtended(env, small.sign, -sum, eb, false, prec);
}

/** a × b rounded to PC. */
export function mul(env: Env, a: F80, b: F80): F80 | null {
  const ka = classify(a), kb = classify(b);
  const early = checkOperands(env, a, ka, b, kb);
  if (early !== undefined) return early;
  const sign = a.sign ^ b.sign;
  const inf = ka === Kind.Infinity || kb === Kind.Infinity;
  if (inf && (ka === Kind.Zero || kb === Kind.Zero)) return invalid(env);
  if (!denormal(env, ka, kb)) return null;
  if (inf) return withSign(ka === Kind.Infinity ? a : b, sign);
  if (ka === Kind.Zero || kb === Kind.Zero) return { sign, exp: 0, sig: 0n };
  return roundExtended(env, sign, a.sig * b.sig, exponentOf(a) + exponentOf(b), false);
}

/** a / b rounded to PC. */
export function div(env: Env, a: F80, b: F80): F80 | null {
  const ka = classify(a), kb = classify(b);
  const early = checkOperands(env, a, ka, b, kb);
  if (early !== undefined) return early;
  const sign = a.sign ^ b.sign;
  if ((ka === Kind.Infinity && kb === Kind.Infinity) || (ka === Kind.Zero && kb === Kind.Zero)) return invalid(env);
  if (kb === Kind.Zero && ka !== Kind.Infinity) return env.raise(Sw.ZE) ? { sign, exp: 0x7fff, sig: 0x8000000000000000n } : null;
  if (!denormal(env, ka, kb)) return null;
  if (ka === Kind.Infinity) return withSign(a, sign);
  if (kb === Kind.Infinity || ka === Kind.Zero) return { sign, exp: 0, sig: 0n };
  const shift = Math.max(0, 66 + bitLength(b.sig) - bitLength(a.sig));
  const n = a.sig << BigInt(shift);
  const q = n / b.sig;
  return roundExtended(env, sign, q, exponentOf(a) - exponentOf(b) - shift, q * b.sig !== n);
}

/** floor(sqrt(n)) of a BigInt n ≥ 0. */
export function isqrt(n: bigint): bigint {
  if (n < 2n) return n;
  const len = bitLength(n);
  let shift = Math.max(0, len - 52);
  if (shift & 1) shift++;
  const est = BigInt(Math.floor(Math.sqrt(Number(n >> BigInt(shift))))) << BigInt(shift / 2);
  // Start above the root: Newton's iteration then decreases monotonically to it.
  let x = est + (est >> 20n) + 2n;
  for (;;) {
    const y = (x + n / x) >> 1n;
    if (y >= x) break;
    x = y;
  }
  while (x * x > n) x--;
  while ((x + 1n) * (x + 1n) <= n) x++;
  return x;
}

/** sqrt(a) rounded to PC. */
export function sqrt(env: Env, a: F80): F80 | null {
  const ka = classify(a);
  if (ka === Kind.Unsupported || isNaN(ka)) return checkOperand(env, a, ka)!;
  if (ka === Kind.Zero) return a;
  if (a.sign) return invalid(env);
  if (ka === Kind.Infinity) return a;
  if (ka === Kind.Denormal && !env.raise(Sw.DE)) return null;
  let m = a.sig, e = exponentOf(a);
  if (e & 1) { m <<= 1n; e--; }
  const k = Math.max(0, Math.ceil((134 - bitLength(m)) / 2));
  const n = m << BigInt(2 * k);
  const root = isqrt(n);
  return roundExtended(env, 0, root, (e - 2 * k) / 2, root * root !== n);
}
