/**
 * The exact 80-bit soft-float core: value classes, the exception context,
 * and the one rounding routine every exact result goes through (SDM vol. 1,
 * 4.8 and 4.9; 8.1.5 precision control; 8.5 x87 exception conditions).
 *
 * Values are unpacked as { sign, exp, sig }: the biased 15-bit exponent and
 * the 64-bit significand with its explicit integer bit (J, bit 63). Exact
 * intermediate values are (-1)^sign × m × 2^e with m a BigInt of any width,
 * plus a sticky bit for bits already dropped; `round` turns them into a
 * destination format under the control word's RC and PC, detecting
 * tininess after rounding with unbounded exponent, as the manual says.
 */
import { Rc, Sw } from './state.js';

/** An unpacked x87 value. */
export interface F80 {
  readonly sign: number;
  /** Biased exponent, 0..0x7FFF (bias 16383). */
  readonly exp: number;
  /** Significand, explicit integer bit at bit 63. */
  readonly sig: bigint;
}

export const enum Kind { Zero, Denormal, Normal, Infinity, QNaN, SNaN, Unsupported }

export const BIAS = 16383;
export const J_BIT = 0x8000000000000000n;
export const QUIET_BIT = 0x4000000000000000n;
export const SIG_MASK = 0xffffffffffffffffn;
/** Exponent adjustment of unmasked overflow/underflow results delivered to the stack (SDM vol. 1, 8.5.4/8.5.5). */
export const BIAS_ADJUST = 24576;

/** The real indefinite (the QNaN every masked invalid operation without a NaN operand produces). */
export const INDEFINITE: F80 = { sign: 1, exp: 0x7fff, sig: 0xc000000000000000n };

/**
 * Class of a value. Pseudo-denormals (exponent 0, J set) are Denormal;
 * unnormals, pseudo-infinities and pseudo-NaNs (exponent nonzero, J clear)
 * are Unsupported: the 387 and later raise IE on them.
 */
export function classify(v: F80): Kind {
  if (v.exp === 0) return v.sig === 0n ? Kind.Zero : Kind.Denormal;
  if (v.sig < J_BIT) return Kind.Unsupported;
  if (v.exp !== 0x7fff) return Kind.Normal;
  if (v.sig === J_BIT) return Kind.Infinity;
  return (v.sig & QUIET_BIT) !== 0n ? Kind.QNaN : Kind.SNaN;
}

export function isNaN(k: Kind): boolean {
  return k === Kind.QNaN || k === Kind.SNaN;
}

export function negate(v: F80): F80 {
  return { sign: v.sign ^ 1, exp: v.exp, sig: v.sig };
}

export function withSign(v: F80, sign: number): F80 {
  return { sign, exp: v.exp, sig: v.sig };
}

export function quiet(v: F80): F80 {
  return { sign: v.sign, exp: v.exp, sig: v.sig | QUIET_BIT };
}

/** Number of bits of a positive BigInt. */
export function bitLength(x: bigint): number {
  let n = 0;
  while (x >= 0x10000000000000000n) { x >>= 64n; n += 64; }
  const hi = Number(x >> 32n);
  return hi !== 0 ? n + 64 - Math.clz32(hi) : n + 32 - Math.clz32(Number(x));
}

/**
 * The exception context of one operation: the flags it raises (FSW bits
 * 0-6), the rounding indication for C1, and the control word it runs under.
 */
export class Env {
  flags = 0;
  /** The result was rounded up in magnitude (C1 after an inexact result). */
  roundedUp = false;
  /**
   * A single or double real memory operand was a denormal: it converts to a
   * normal stack value, but the operation still raises DE for it, after the
   * NaN checks (a QNaN operand takes precedence, as on the host).
   */
  sourceDenormal = false;
  constructor(readonly cw: number) {}

  get rc(): Rc {
    return ((this.cw >> 10) & 3) as Rc;
  }

  /** Significand bits of precision control: 24, 53 or 64 (the reserved 01 acts as 64, as on the host). */
  get precision(): number {
    const pc = (this.cw >> 8) & 3;
    return pc === 0 ? 24 : pc === 2 ? 53 : 64;
  }

  masked(flag: number): boolean {
    return (this.cw & flag) !== 0;
  }

  /** Raise an exception flag; true when it is masked (the operation delivers its default result). */
  raise(flag: number): boolean {
    this.flags |= flag;
    return (this.cw & flag) !== 0;
  }
}

/** A destination format: significand bits (integer bit included) and exponent range. */
export interface Format {
  readonly bits: number;
  /** Unbiased exponent of the smallest normal. */
  readonly emin: number;
  readonly emax: number;
  readonly bias: number;
}

export const EXTENDED: Format = { bits: 64, emin: -16382, emax: 16383, bias: 16383 };
export const DOUBLE: Format = { bits: 53, emin: -1022, emax: 1023, bias: 1023 };
export const SINGLE: Format = { bits: 24, emin: -126, emax: 127, bias: 127 };

/** A rounded result in a format: sig is `fmt.bits` wide (integer bit at bits-1 for normals). */
export interface Rounded {
  readonly sign: number;
  readonly exp: number;
  readonly sig: bigint;
  /** The result is the bias-adjusted value of an unmasked overflow or underflow. */
  readonly adjusted?: true;
}

/** Round m (≥ 0) right by `shift` bits under rc; `sticky` stands for nonzero bits already below m. */
export function roundShift(m: bigint, shift: number, sticky: boolean, rc: Rc, sign: number): { q: bigint; inexact: boolean; up: boolean } {
  let q: bigint, half: boolean, rest: boolean;
  if (shift > 0) {
    const s = BigInt(shift);
    q = m >> s;
    const rem = m & ((1n << s) - 1n);
    const halfBit = 1n << (s - 1n);
    half = rem >= halfBit;
    rest = (rem & (halfBit - 1n)) !== 0n || sticky;
  } else {
    q = shift < 0 ? m << BigInt(-shift) : m;
    half = false;
    rest = sticky;
  }
  const inexact = half || rest;
  let up: boolean;
  switch (rc) {
    case Rc.Nearest: up = half && (rest || (q & 1n) !== 0n); break;
    case Rc.Zero: up = false; break;
    case Rc.Up: up = inexact && sign === 0; break;
    default: up = inexact && sign !== 0; break;
  }
  return { q: up ? q + 1n : q, inexact, up };
}

/**
 * Round (-1)^sign × m × 2^e (m > 0; sticky: the exact value has nonzero
 * bits below m's last) to `prec` significant bits in format `fmt`, raising
 * PE, UE and OE and setting C1's rounded-up indication in `env`.
 */
export function round(env: Env, sign: number, m: bigint, e: number, sticky: boolean, fmt: Format, prec: number): Rounded {
  const len = bitLength(m);
  const exact = e + len - 1; // exponent of the leading bit
  const rc = env.rc;
  let { q, inexact, up } = roundShift(m, len - prec, sticky, rc, sign);
  let E = exact;
  if (q >> BigInt(prec) !== 0n) { q >>= 1n; E++; }
  const widen = BigInt(fmt.bits - prec);
  if (E >= fmt.emin) {
    if (E > fmt.emax) return overflow(env, sign, q << widen, E, fmt, prec, inexact, up);
    if (inexact) { env.flags |= Sw.PE; env.roundedUp = up; }
    return { sign, exp: E + fmt.bias, sig: q << widen };
  }
  // Tiny after rounding with unbounded exponent.
  if (!env.masked(Sw.UE)) {
    env.flags |= Sw.UE;
    if (E + fmt.bias + BIAS_ADJUST > 0) {
      if (inexact) { env.flags |= Sw.PE; env.roundedUp = up; }
      return { sign, exp: E + fmt.bias + BIAS_ADJUST, sig: q << widen, adjusted: true };
    }
    // Too small even for the bias adjustment (only FSCALE gets here): a zero, inexact, whatever RC.
    env.flags |= Sw.PE;
    env.roundedUp = false;
    return { sign, exp: 0, sig: 0n };
  }
  // Masked: denormalize from the exact value. The grid is the precision's at the smallest
  // exponent: with PC < 64 a denormal keeps only the top PC bits of its significand field.
  const lsb = fmt.emin - prec + 1;
  const d = roundShift(m, lsb - e, sticky, rc, sign);
  if (d.inexact) { env.flags |= Sw.UE | Sw.PE; env.roundedUp = d.up; }
  const sig = d.q << BigInt(lsb - (fmt.emin - fmt.bits + 1));
  if (sig >> BigInt(fmt.bits - 1) !== 0n) return { sign, exp: 1, sig };
  return { sign, exp: 0, sig };
}

function overflow(env: Env, sign: number, sig: bigint, E: number, fmt: Format, prec: number, inexact: boolean, up: boolean): Rounded {
  env.flags |= Sw.OE;
  if (!env.masked(Sw.OE)) {
    if (E + fmt.bias - BIAS_ADJUST < 2 * fmt.bias + 1) {
      if (inexact) { env.flags |= Sw.PE; env.roundedUp = up; }
      return { sign, exp: E + fmt.bias - BIAS_ADJUST, sig, adjusted: true };
    }
    // Too large even for the bias adjustment (only FSCALE gets here): an infinity, inexact, whatever RC.
    env.flags |= Sw.PE;
    env.roundedUp = true;
    return { sign, exp: 2 * fmt.bias + 1, sig: 1n << BigInt(fmt.bits - 1) };
  }
  env.flags |= Sw.PE;
  const rc = env.rc;
  const toInfinity = rc === Rc.Nearest || (rc === Rc.Up && sign === 0) || (rc === Rc.Down && sign !== 0);
  env.roundedUp = toInfinity;
  if (toInfinity) return { sign, exp: 2 * fmt.bias + 1, sig: 1n << BigInt(fmt.bits - 1) };
  return { sign, exp: fmt.emax + fmt.bias, sig: ((1n << BigInt(prec)) - 1n) << BigInt(fmt.bits - prec) };
}

/** Round an exact value to the stack format under PC (the arithmetic instructions). */
export function roundExtended(env: Env, sign: number, m: bigint, e: number, sticky: boolean, prec = env.precision): F80 {
  if (m === 0n) return { sign, exp: 0, sig: 0n };
  const r = round(env, sign, m, e, sticky, EXTENDED, prec);
  return { sign: r.sign, exp: r.exp, sig: r.sig };
}

/** The exact value of a finite value: m × 2^e (denormals and pseudo-denormals have exponent 1 - bias). */
export function exponentOf(v: F80): number {
  return (v.exp === 0 ? 1 : v.exp) - BIAS - 63;
}

/**
 * The quiet NaN an operation with NaN operands returns (SDM vol. 1,
 * table 4-7): a QNaN over an SNaN, else the larger significand (the
 * sign breaks a tie in favour of the positive one); SNaNs are quieted.
 */
export function pickNaN(a: F80, ka: Kind, b: F80, kb: Kind): F80 {
  if (!isNaN(kb)) return quiet(a);
  if (!isNaN(ka)) return quiet(b);
  if (ka === Kind.QNaN && kb === Kind.SNaN) return a;
  if (kb === Kind.QNaN && ka === Kind.SNaN) return b;
  if (a.sig !== b.sig) return quiet(a.sig > b.sig ? a : b);
  return quiet(a.sign <= b.sign ? a : b);
}
