/**
 * The mathematical model of the transcendental instructions: exact inputs
 * in, values with P bits of relative precision out, for the caller to
 * round once (so results are correctly rounded to the model; the manual
 * only promises 1 ulp, and the host sometimes is 1 ulp off).
 *
 * The model follows the manual where it departs from exact mathematics:
 * FSIN, FCOS, FSINCOS and FPTAN reduce their argument modulo π/2 with the
 * 66-bit approximation of π the x87 uses (SDM vol. 1, 8.3.10), exactly,
 * and then evaluate the true function of the reduced argument. (So
 * FSIN(π rounded to 64 bits) is −2^−64, as on the hardware.) FPATAN and
 * the constants it returns use π itself.
 */
import { bitLength, exponentOf, type F80 } from './float80.js';
import { atan, atanh, expm1, ln2At, lnRatio, piAt, sinCos } from './bigmath.js';

/** A model value (−1)^sign × m × 2^e; `exact` when no bits are lost below m. */
export interface ModelValue {
  readonly sign: number;
  readonly m: bigint;
  readonly e: number;
  readonly exact: boolean;
}

/** Default relative precision of model values, in bits beyond the 64 of the result. */
export const MODEL_BITS = 192;

/** The x87's π for argument reduction: 66 bits, 0x3.243F6A8885A308D3. */
export const PI66 = 0x3243f6a8885a308d3n; // × 2^−64

function fixed(v: bigint, F: number, exact = false): ModelValue {
  return { sign: v < 0n ? 1 : 0, m: v < 0n ? -v : v, e: -F, exact };
}

/** Leading-bit exponent of a finite nonzero value. */
function lead(v: F80): number {
  return exponentOf(v) + bitLength(v.sig) - 1;
}

/** x × 2^F as a BigInt (exact when F is large enough), with x's sign. */
function toFixed(v: F80, F: number): bigint {
  const s = exponentOf(v) + F;
  const m = s >= 0 ? v.sig << BigInt(s) : v.sig >> BigInt(-s);
  return v.sign ? -m : m;
}

/** sin(x) and cos(x), x finite, nonzero, |x| < 2^63, with the 66-bit π reduction. */
export function sinCosModel(x: F80, P = MODEL_BITS): { sin: ModelValue; cos: ModelValue; tan: ModelValue } {
  if (lead(x) < -40) {
    // |x| < 2^-40: sin x = x(1 − x²/6…) and tan x = x(1 + x²/3…) lie within 2^-8 of x's last bit
    // shifted by 8, below and above it; cos x = 1 − x²/2… lies just below 1.
    const shift = 72 - bitLength(x.sig); // normalised to 72 bits (denormals too)
    const m = x.sig << BigInt(shift), e = exponentOf(x) - shift;
    return {
      sin: { sign: x.sign, m: m - 1n, e, exact: false },
      cos: { sign: 0, m: (1n << 72n) - 1n, e: -72, exact: false },
      tan: { sign: x.sign, m, e, exact: false },
    };
  }
  const F = P + 72 + Math.max(0, -lead(x));
  const X = toFixed(x, F);
  const half = PI66 << BigInt(F - 65); // π66 / 2, exact at F bits
  let k = X / half;
  let r = X - k * half;
  const quarter = half >> 1n;
  if (r > quarter) { r -= half; k++; } else if (r < -quarter) { r += half; k--; }
  const [s, c] = sinCos(r, F);
  const q = Number(((k % 4n) + 4n) % 4n);
  const sin = [s, c, -s, -c][q]!, cos = [c, -s, -c, s][q]!;
  return { sin: fixed(sin, F), cos: fixed(cos, F), tan: fixed((sin << BigInt(F)) / cos, F) };
}

/** atan2(y, x) for finite nonzero x and y: atan(|y|/|x|), π − that for x < 0, with y's sign. */
export function atan2Model(y: F80, x: F80, P = MODEL_BITS): ModelValue {
  const d = lead(y) - lead(x);
  const F = P + 72 + Math.max(0, -d);
  let theta: bigint;
  if (d < -40 && !x.sign) {
    // t = |y|/|x| < 2^-40: when the quotient is exact, atan t = t(1 − t²/3…) lies just below it.
    const shift = 73 + bitLength(x.sig) - bitLength(y.sig); // a quotient of at least 72 bits
    const n = y.sig << BigInt(shift);
    if (n % x.sig === 0n) return { sign: y.sign, m: n / x.sig - 1n, e: exponentOf(y) - exponentOf(x) - shift, exact: false };
  }
  if (d <= 0 && (d < 0 || compareMagnitude(y, x) <= 0)) {
    // t = |y|/|x| ≤ 1
    const shift = exponentOf(y) - exponentOf(x) + F;
    const t = shift >= 0 ? (y.sig << BigInt(shift)) / x.sig : y.sig / (x.sig << BigInt(-shift));
    theta = atan(t, F);
  } else {
    const shift = exponentOf(x) - exponentOf(y) + F;
    const t = shift >= 0 ? (x.sig << BigInt(shift)) / y.sig : x.sig / (y.sig << BigInt(-shift));
    theta = (piAt(F) >> 1n) - atan(t, F);
  }
  if (x.sign) theta = piAt(F) - theta;
  return fixed(y.sign ? -theta : theta, F);
}

function compareMagnitude(a: F80, b: F80): number {
  const ea = exponentOf(a), eb = exponentOf(b);
  const base = Math.min(ea, eb);
  const ma = a.sig << BigInt(ea - base), mb = b.sig << BigInt(eb - base);
  return ma === mb ? 0 : ma > mb ? 1 : -1;
}

/** 2^x − 1 for finite nonzero x (the manual defines −1 ≤ x ≤ 1; beyond, the same formula). */
export function exp2m1Model(x: F80, P = MODEL_BITS): ModelValue {
  const E = lead(x);
  if (E >= 0) {
    // |x| ≥ 1: 2^n · 2^f − 1 with n the integer part (only in the manual's undefined range, or x = ±1).
    if (E >= 15) return x.sign ? { sign: 1, m: (1n << 400n) - 1n, e: -400, exact: false } : { sign: 0, m: 1n, e: 32768, exact: false };
    const F = P + 72;
    const X = toFixed(x, F);
    const n = X >> BigInt(F); // floor
    const frac = X - (n << BigInt(F));
    const one = 1n << BigInt(F);
    const p = expm1((frac * ln2At(F)) >> BigInt(F), F) + one; // 2^f, 1 ≤ p < 2
    const big = n >= 0n ? p << n : p >> -n;
    return fixed(big - one, F);
  }
  const F = P + 72 + Math.max(0, -E);
  const z = (toFixed(x, F) * ln2At(F)) >> BigInt(F);
  return fixed(expm1(z, F), F);
}

/**
 * log2(m × 2^e) for m > 0, as an integer part I and a fraction L
 * (|L| ≤ 1/2) whose sum has full relative precision; exact for powers of 2.
 */
function log2Parts(sig: bigint, exp: number, F: number): { I: bigint; L: bigint; exact: boolean } {
  // Normalise to m in [2^63, 2^64).
  const len = bitLength(sig);
  const m = len <= 64 ? sig << BigInt(64 - len) : sig >> BigInt(len - 64);
  const lost = len > 64 && (sig & ((1n << BigInt(len - 64)) - 1n)) !== 0n;
  const e = exp + (len - 64);
  // m / 2^63 in [1, 2): keep the ratio near 1 (below √2 against 2^63, else against 2^64).
  const useHigh = m >= 0xb504f333f9de6484n;
  const den = useHigh ? 1n << 64n : 1n << 63n;
  const I = BigInt(e + (useHigh ? 64 : 63));
  if (m === 1n << 63n && !lost) return { I, L: 0n, exact: true };
  const L = (lnRatio(m, den, F) << BigInt(F)) / ln2At(F);
  return { I, L, exact: false };
}

/** y × (I + L) as a model value. */
function timesLog(y: F80, I: bigint, L: bigint, F: number, exact: boolean): ModelValue {
  const v = (I << BigInt(F)) + L;
  return { sign: y.sign ^ (v < 0n ? 1 : 0), m: y.sig * (v < 0n ? -v : v), e: exponentOf(y) - F, exact };
}

/** y × log2(x) for finite nonzero y and finite x > 0 (FYL2X). */
export function ylog2xModel(y: F80, x: F80, P = MODEL_BITS): ModelValue {
  const F = P + 72;
  const { I, L, exact } = log2Parts(x.sig, exponentOf(x), F);
  return timesLog(y, I, L, F, exact);
}

/**
 * y × log2(1 + x) for finite nonzero y and finite nonzero x > −1 (FYL2XP1).
 * In the manual's range (|x| < 1 − √2/2): ln(1 + x) = 2 atanh(x / (2 + x)),
 * with no loss for small x; beyond, log2 of the exact sum 1 + x.
 */
export function ylog2xp1Model(y: F80, x: F80, P = MODEL_BITS): ModelValue {
  if (lead(x) >= -2) {
    const F = P + 72;
    const ex = exponentOf(x);
    const base = Math.min(ex, 0);
    const one = 1n << BigInt(-base);
    const mx = x.sig << BigInt(ex - base);
    const sum = x.sign ? one - mx : one + mx;
    const { I, L, exact } = log2Parts(sum, base, F);
    return timesLog(y, I, L, F, exact);
  }
  const F = P + 72 + Math.max(0, -lead(x));
  const X = toFixed(x, F);
  const two = 2n << BigInt(F);
  const u = (X << BigInt(F)) / (two + X);
  const ln = 2n * atanh(u, F);
  const l2 = (ln << BigInt(F)) / ln2At(F);
  return timesLog(y, 0n, l2, F, false);
}

/** π/2, π/4, 3π/4 and π at F bits (FPATAN's special results). */
export function piMultiple(num: bigint, den: bigint, F = MODEL_BITS + 72): ModelValue {
  return fixed((piAt(F) * num) / den, F);
}
