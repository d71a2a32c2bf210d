/**
 * High-precision elementary functions for the transcendental instructions,
 * in BigInt fixed point: a value is an integer V standing for V × 2^-F,
 * with F chosen by the caller (at least 256 bits beyond the result's
 * leading bit, so the results round correctly to 64 bits). Series are
 * evaluated until their terms vanish at F bits.
 */
import { isqrt } from './arith.js';
import { FRAC, LN2, PI } from './constants.js';

/** A constant of constants.ts (256 fraction bits) at F fraction bits. */
export function at(c: bigint, F: number): bigint {
  return F >= FRAC ? c << BigInt(F - FRAC) : c >> BigInt(FRAC - F);
}

export const piAt = (F: number): bigint => at(PI, F);
export const ln2At = (F: number): bigint => at(LN2, F);

/** sin(r) and cos(r) for |r| ≤ π/4 (and a little more), by their Taylor series. */
export function sinCos(r: bigint, F: number): [bigint, bigint] {
  const f = BigInt(F);
  const r2 = (r * r) >> f;
  let term = r, s = r;
  for (let n = 2n; term !== 0n; n += 2n) { term = -((term * r2) >> f) / (n * (n + 1n)); s += term; }
  term = 1n << f;
  let c = term;
  for (let n = 1n; term !== 0n; n += 2n) { term = -((term * r2) >> f) / (n * (n + 1n)); c += term; }
  return [s, c];
}

/** atan(t) for 0 ≤ t ≤ 1: three argument halvings t / (1 + sqrt(1 + t²)), then the series. */
export function atan(t: bigint, F: number): bigint {
  const f = BigInt(F);
  const one = 1n << f;
  for (let k = 0; k < 3; k++) t = (t << f) / (one + isqrt(one * one + t * t));
  const t2 = (t * t) >> f;
  let power = t, sum = t;
  for (let n = 3n; power !== 0n; n += 2n) {
    power = -((power * t2) >> f);
    sum += power / n;
  }
  return sum * 8n;
}

/** e^z − 1 for |z| ≤ 1, by its series (no cancellation for small z). */
export function expm1(z: bigint, F: number): bigint {
  const f = BigInt(F);
  let term = z, sum = z;
  for (let n = 2n; term !== 0n; n++) { term = ((term * z) >> f) / n; sum += term; }
  return sum;
}

/** atanh(u) for |u| ≤ 1/3: u + u³/3 + u⁵/5 + … (ln((1 + u)/(1 − u)) / 2). */
export function atanh(u: bigint, F: number): bigint {
  if (u < 0n) return -atanh(-u, F);
  const f = BigInt(F);
  const u2 = (u * u) >> f;
  let power = u, sum = u;
  for (let n = 3n; power !== 0n; n += 2n) { power = (power * u2) >> f; sum += power / n; }
  return sum;
}

/**
 * ln(m) for a value given exactly as a ratio of BigInts m = num/den with
 * 1/2 ≤ m ≤ 2: 2·atanh((num − den)/(num + den)).
 */
export function lnRatio(num: bigint, den: bigint, F: number): bigint {
  const u = ((num - den) << BigInt(F)) / (num + den);
  return 2n * atanh(u, F);
}
