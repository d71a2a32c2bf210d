/**
 * Conversions between the stack format and the memory formats: single and
 * double reals, 16/32/64-bit integers, 18-digit packed BCD (SDM vol. 1,
 * 4.2, 4.7, 4.8.3.7, and the FLD/FST/FILD/FIST/FISTTP/FBLD/FBSTP pages).
 */
import { classify, DOUBLE, Env, exponentOf, type F80, type Format, J_BIT, Kind, round, roundShift, SINGLE, BIAS, bitLength } from './float80.js';
import { Rc, Sw } from './state.js';

/** An exact integer as a stack value (FILD, FBLD, the integer operand of FIADD…): +0 for 0. */
export function fromInteger(n: bigint): F80 {
  if (n === 0n) return { sign: 0, exp: 0, sig: 0n };
  const sign = n < 0n ? 1 : 0;
  const m = n < 0n ? -n : n;
  const len = bitLength(m);
  return { sign, exp: BIAS + len - 1, sig: m << BigInt(64 - len) };
}

/**
 * A single or double real (as a BigInt of its bits) to the stack format:
 * exact; an SNaN raises IE (masked: quieted; unmasked: null), a denormal
 * is marked in env.sourceDenormal for the operation to raise DE.
 */
export function fromReal(env: Env, bits: bigint, fmt: Format): F80 | null {
  const fracBits = fmt.bits - 1;
  const expBits = fmt === SINGLE ? 8 : 11;
  const sign = Number(bits >> BigInt(fracBits + expBits)) & 1;
  const e = Number(bits >> BigInt(fracBits)) & ((1 << expBits) - 1);
  const frac = bits & ((1n << BigInt(fracBits)) - 1n);
  const align = BigInt(63 - fracBits);
  if (e === (1 << expBits) - 1) {
    if (frac === 0n) return { sign, exp: 0x7fff, sig: J_BIT };
    // An SNaN stays signalling here (the operation picks NaNs by kind, then quiets).
    const quietBit = 1n << BigInt(fracBits - 1);
    if ((frac & quietBit) === 0n && !env.raise(Sw.IE)) return null;
    return { sign, exp: 0x7fff, sig: J_BIT | (frac << align) };
  }
  if (e === 0) {
    if (frac === 0n) return { sign, exp: 0, sig: 0n };
    env.sourceDenormal = true;
    const len = bitLength(frac);
    return { sign, exp: BIAS - fmt.bias + 1 - (fracBits - len + 1), sig: frac << BigInt(64 - len) };
  }
  return { sign, exp: e - fmt.bias + BIAS, sig: J_BIT | (frac << align) };
}

/** The QNaN indefinite of a memory real format, as bits. */
function realIndefinite(fmt: Format): bigint {
  return fmt === SINGLE ? 0xffc00000n : fmt === DOUBLE ? 0xfff8000000000000n : 0n;
}

/**
 * A stack value to a single or double real (FST m32fp/m64fp): rounded to
 * the format (PC does not apply). Null when an unmasked exception leaves
 * memory unwritten (IE, and OE/UE, whose bias-adjusted results only exist
 * for register destinations).
 */
export function toReal(env: Env, v: F80, fmt: Format): bigint | null {
  const k = classify(v);
  const fracBits = fmt.bits - 1;
  const expBits = fmt === SINGLE ? 8 : 11;
  const signBit = BigInt(v.sign) << BigInt(fracBits + expBits);
  const maxExp = BigInt((1 << expBits) - 1) << BigInt(fracBits);
  switch (k) {
    case Kind.Unsupported:
      return env.raise(Sw.IE) ? realIndefinite(fmt) : null;
    case Kind.SNaN: case Kind.QNaN:
      if (k === Kind.SNaN && !env.raise(Sw.IE)) return null;
      return signBit | maxExp | (((v.sig | 0x4000000000000000n) >> BigInt(63 - fracBits)) & ((1n << BigInt(fracBits)) - 1n));
    case Kind.Infinity:
      return signBit | maxExp;
    case Kind.Zero:
      return signBit;
    default: {
      const r = round(env, v.sign, v.sig, exponentOf(v), false, fmt, fmt.bits);
      if (r.adjusted) {
        // Unmasked overflow or underflow into memory: nothing is stored, so nothing is inexact either.
        env.flags &= ~Sw.PE;
        env.roundedUp = false;
        return null;
      }
      return signBit | (BigInt(r.exp) << BigInt(fracBits)) | (r.sig & ((1n << BigInt(fracBits)) - 1n));
    }
  }
}

/**
 * A stack value to a signed integer of `bits` bits (FIST, FISTP; FISTTP
 * with `truncate`), rounded by RC. Out of range, NaN, infinity and
 * unsupported raise IE: masked, the integer indefinite (the most negative
 * value); null when unmasked.
 */
export function toInteger(env: Env, v: F80, bits: number, truncate = false): bigint | null {
  const indefinite = -(1n << BigInt(bits - 1));
  const k = classify(v);
  if (k === Kind.Zero) return 0n;
  if (k !== Kind.Normal && k !== Kind.Denormal) return env.raise(Sw.IE) ? indefinite : null;
  const e = exponentOf(v);
  if (e + 64 > bits + 1) return env.raise(Sw.IE) ? indefinite : null; // |v| ≥ 2^bits
  const r = roundShift(v.sig, -e, false, truncate ? Rc.Zero : env.rc, v.sign);
  const limit = 1n << BigInt(bits - 1);
  if (v.sign ? r.q > limit : r.q >= limit) return env.raise(Sw.IE) ? indefinite : null;
  if (r.inexact) { env.flags |= Sw.PE; env.roundedUp = r.up; }
  return v.sign ? -r.q : r.q;
}

const TEN18 = 1000000000000000000n;

/** Packed BCD (10 bytes, little-endian: 18 digits, then the sign byte) to an integer. Invalid digits count at face value. */
export function bcdToInteger(bytes: Uint8Array): { value: bigint; negative: boolean } {
  let n = 0n;
  for (let k = 8; k >= 0; k--) {
    const b = bytes[k]!;
    n = n * 100n + BigInt((b >> 4) * 10 + (b & 15));
  }
  return { value: n, negative: (bytes[9]! & 0x80) !== 0 };
}

/** FBLD: exact (−0 for a negative zero). */
export function fromBcd(bytes: Uint8Array): F80 {
  const { value, negative } = bcdToInteger(bytes);
  const v = fromInteger(value);
  return negative ? { sign: 1, exp: v.exp, sig: v.sig } : v;
}

/** The packed BCD indefinite (FFFF C000 0000 0000 0000). */
export const BCD_INDEFINITE = Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0xc0, 0xff, 0xff);

/** FBSTP: rounded by RC to an integer of at most 18 digits; IE (masked: the BCD indefinite) otherwise. */
export function toBcd(env: Env, v: F80): Uint8Array | null {
  const k = classify(v);
  let q = 0n;
  if (k !== Kind.Zero) {
    if (k !== Kind.Normal && k !== Kind.Denormal) return env.raise(Sw.IE) ? BCD_INDEFINITE : null;
    const e = exponentOf(v);
    if (e > 0) return env.raise(Sw.IE) ? BCD_INDEFINITE : null;
    const r = roundShift(v.sig, -e, false, env.rc, v.sign);
    if (r.q >= TEN18) return env.raise(Sw.IE) ? BCD_INDEFINITE : null;
    if (r.inexact) { env.flags |= Sw.PE; env.roundedUp = r.up; }
    q = r.q;
  }
  const out = new Uint8Array(10);
  for (let k2 = 0; k2 < 9; k2++) {
    const two = Number(q % 100n);
    q /= 100n;
    out[k2] = (Math.floor(two / 10) << 4) | (two % 10);
  }
  out[9] = v.sign ? 0x80 : 0;
  return out;
}
