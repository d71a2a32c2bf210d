/**
 * Exact addition, subtraction, multiplication and division of two normal
 * 80-bit values without BigInt: the operands' significands as 16-bit
 * digits, the exact sum or product as a 128-bit integer of eight digits
 * (a quotient as its 67 leading bits and whether a remainder is left),
 * then the one rounding of float80.ts (PC, RC, PE, C1) redone on the
 * digits.
 *
 * It covers the common case only: normal operands (J set, exponent 1 to
 * 0x7FFE) and a result that is normal too; anything else (zeros,
 * specials, an exact zero difference, overflow, underflow) returns null
 * and the BigInt routine of arith.ts does the operation. Results are the
 * same bits either way (test/fpu/limbs.test.ts compares them).
 */
import { type Env } from './float80.js';
import { Rc, Sw } from './state.js';

/** The exact value as 128 bits: P[0] is the least significant 16-bit digit. */
const P = new Float64Array(8);
/** Scratch digits of the smaller addend, and the product's column sums. */
const S = new Float64Array(8);
const C = new Float64Array(8);
/** 2^k for k = 0..63, exactly. */
const POW = Float64Array.from({ length: 64 }, (_, k) => 2 ** k);

/** Result of a limb operation: the stack value's fields (sign, biased exponent, significand halves). */
export interface LimbResult {
  sign: number;
  exp: number;
  hi: number;
  lo: number;
}

const result: LimbResult = { sign: 0, exp: 0, hi: 0, lo: 0 };

function digitsOf(hi: number, lo: number, out: Float64Array, at: number): void {
  out[at] = lo & 0xffff;
  out[at + 1] = lo >>> 16;
  out[at + 2] = hi & 0xffff;
  out[at + 3] = hi >>> 16;
}

/** Bit k (0..127) of P. */
function bit(k: number): number {
  return (P[k >> 4]! >>> (k & 15)) & 1;
}

/** Any bit of P below position k (k may be ≤ 0: none). */
function anyBelow(k: number): boolean {
  if (k <= 0) return false;
  const full = k >> 4;
  for (let d = 0; d < full; d++) if (P[d] !== 0) return true;
  return (k & 15) !== 0 && (P[full]! & ((1 << (k & 15)) - 1)) !== 0;
}

/** Digit j of P (0 outside 0..7). */
function digit(j: number): number {
  return j >= 0 && j < 8 ? P[j]! : 0;
}

/** The 32 bits of P from position k up (bits below 0 read as 0). */
function word(k: number): number {
  const q = k >> 4, r = k & 15;
  const x = digit(q) + digit(q + 1) * 65536 + digit(q + 2) * 4294967296; // 48 bits, exact
  return Math.floor(x / POW[r]!) % 4294967296;
}

/**
 * Round P × 2^scale (plus `sticky` below P's last bit) to `prec` bits by
 * env's RC; null if the result is not a normal value.
 */
function roundDigits(env: Env, sign: number, scale: number, sticky: boolean, prec: number): LimbResult | null {
  let top = 7;
  while (top >= 0 && P[top] === 0) top--;
  if (top < 0) return null;
  const L = top * 16 + 31 - Math.clz32(P[top]!); // leading bit
  const E = scale + L; // unbiased exponent of the leading bit
  if (E < -16382 + 1 || E > 16383 - 1) return null; // leave the range edges to the BigInt path
  const r = L - prec; // the round bit
  const roundBit = r >= 0 ? bit(r) : 0;
  const rest = sticky || anyBelow(r);
  const inexact = roundBit !== 0 || rest;
  let hi = word(L - 31), lo = word(L - 63);
  // Clear the bits below the precision within the 64-bit window.
  const drop = 64 - prec;
  if (drop >= 32) { hi -= hi % POW[drop - 32]!; lo = 0; } else if (drop > 0) { lo -= lo % POW[drop]!; }
  const lsb = drop >= 32 ? Math.floor(hi / POW[drop - 32]!) % 2 : Math.floor(lo / POW[drop]!) % 2;
  const rc = env.rc;
  const up = rc === Rc.Nearest ? roundBit !== 0 && (rest || lsb !== 0) : rc === Rc.Zero ? false : inexact && (rc === Rc.Up) === (sign === 0);
  let exp = E + 16383;
  if (up) {
    // Add one unit in the last kept place.
    if (drop >= 32) hi += POW[drop - 32]!;
    else {
      lo += POW[drop]!;
      if (lo >= 4294967296) { lo -= 4294967296; hi++; }
    }
    if (hi >= 4294967296) { hi = 0x80000000; lo = 0; exp++; }
  }
  if (exp > 0x7ffe) return null;
  if (inexact) { env.flags |= Sw.PE; env.roundedUp = up; }
  result.sign = sign;
  result.exp = exp;
  result.hi = hi;
  result.lo = lo;
  return result;
}

/** a × b for normal a and b (sign, biased exponent, significand halves). */
export function limbMul(env: Env, sa: number, ea: number, ahi: number, alo: number, sb: number, eb: number, bhi: number, blo: number): LimbResult | null {
  const a0 = alo & 0xffff, a1 = alo >>> 16, a2 = ahi & 0xffff, a3 = ahi >>> 16;
  const b0 = blo & 0xffff, b1 = blo >>> 16, b2 = bhi & 0xffff, b3 = bhi >>> 16;
  // Column sums (each below 2^34), then carries.
  C[0] = a0 * b0;
  C[1] = a0 * b1 + a1 * b0;
  C[2] = a0 * b2 + a1 * b1 + a2 * b0;
  C[3] = a0 * b3 + a1 * b2 + a2 * b1 + a3 * b0;
  C[4] = a1 * b3 + a2 * b2 + a3 * b1;
  C[5] = a2 * b3 + a3 * b2;
  C[6] = a3 * b3;
  C[7] = 0;
  let carry = 0;
  for (let k = 0; k < 8; k++) {
    const v = C[k]! + carry;
    carry = Math.floor(v / 65536);
    P[k] = v - carry * 65536;
  }
  // value = A·B × 2^(ea − bias − 63 + eb − bias − 63)
  return roundDigits(env, sa ^ sb, ea + eb - 2 * 16383 - 126, false, env.precision);
}

/** a + b (sb already flipped for a subtraction) for normal a and b. */
export function limbAdd(env: Env, sa: number, ea: number, ahi: number, alo: number, sb: number, eb: number, bhi: number, blo: number): LimbResult | null {
  // Order by magnitude: the larger one first (so a difference is not negative).
  if (eb > ea || (eb === ea && (bhi > ahi || (bhi === ahi && blo > alo)))) {
    let t = sa; sa = sb; sb = t;
    t = ea; ea = eb; eb = t;
    t = ahi; ahi = bhi; bhi = t;
    t = alo; alo = blo; blo = t;
  }
  const d = ea - eb;
  const subtract = sa !== sb;
  // The larger significand in digits 3..6 (bits 48..111: room for the carry), the smaller
  // shifted right by d under it.
  P.fill(0);
  digitsOf(ahi, alo, P, 3);
  let tail = false;
  S.fill(0);
  if (d < 112) {
    // Place the smaller one's digits at bit (48 − d) + 16j; what falls below bit 0 is the tail.
    const shift = 48 - d;
    for (let j = 0; j < 4; j++) {
      const v = j === 0 ? blo & 0xffff : j === 1 ? blo >>> 16 : j === 2 ? bhi & 0xffff : bhi >>> 16;
      if (v === 0) continue;
      const pos = 16 * j + shift;
      const q = pos >> 4, r = pos & 15;
      const low = (v << r) & 0xffff, high = v >>> (16 - r);
      if (q >= 0) S[q] += low; else if (low) tail = true;
      if (r !== 0) { if (q + 1 >= 0) S[q + 1] += high; else if (high) tail = true; }
    }
  } else {
    tail = true;
  }
  // P ± S, and for a difference with a tail one more unit off (the exact value lies in between).
  let carry = subtract && tail ? -1 : 0;
  for (let k = 0; k < 8; k++) {
    let v = P[k]! + (subtract ? -S[k]! : S[k]!) + carry;
    carry = 0;
    if (v < 0) { v += 65536; carry = -1; } else if (v >= 65536) { v -= 65536; carry = 1; }
    P[k] = v;
  }
  // value = P × 2^(ea − bias − 63 − 48)
  return roundDigits(env, sa, ea - 16383 - 111, tail, env.precision);
}

/** The divisor's 16-bit digits and the running remainder's (five: it stays below the divisor × 2^16). */
const DV = new Float64Array(4);
const R = new Float64Array(5);

/** R −= q × DV on the digits (R may go negative: its top digit then is). */
function subtractMultiple(q: number): void {
  let c = 0;
  for (let j = 0; j < 4; j++) {
    const v = R[j]! - q * DV[j]! + c; // above −2^33: exact
    c = Math.floor(v / 65536);
    R[j] = v - c * 65536;
  }
  R[4] = R[4]! + c;
}

/** R ≥ DV (R not negative). */
function remainderAtLeastDivisor(): boolean {
  if (R[4]! > 0) return true;
  for (let j = 3; j >= 0; j--) if (R[j] !== DV[j]) return R[j]! > DV[j]!;
  return true;
}

/**
 * One digit of a long division: floor(R / DV) for R < DV × 2^16, leaving
 * R mod DV in R. The estimate from the two values as doubles is off by at
 * most one (both carry 53 significant bits; the quotient has 16), and the
 * remainder's sign and size settle it.
 */
function quotientDigit(dv: number): number {
  const r = (((R[4]! * 65536 + R[3]!) * 65536 + R[2]!) * 65536 + R[1]!) * 65536 + R[0]!;
  let q = Math.min(65535, Math.floor(r / dv));
  subtractMultiple(q);
  while (R[4]! < 0) {
    q--;
    subtractMultiple(-1);
  }
  while (remainderAtLeastDivisor()) {
    q++;
    subtractMultiple(1);
  }
  return q;
}

/**
 * a / b for normal a and b. The quotient of the significands A and B
 * (64-bit integers with the top bit set, so A / B lies in (1/2, 2)) to 67
 * bits, Q = floor(A × 2^66 / B), by long division in 16-bit digits:
 * floor(4A / B) (2 to 7), then four digits, each from the remainder
 * times 2^16. Q has 66 or 67 bits, so the round bit of any precision lies
 * in it, and a remainder left over is the sticky bit.
 */
export function limbDiv(env: Env, sa: number, ea: number, ahi: number, alo: number, sb: number, eb: number, bhi: number, blo: number): LimbResult | null {
  digitsOf(bhi, blo, DV, 0);
  const dv = bhi * 4294967296 + blo;
  // R = 4A.
  R[0] = (alo & 0x3fff) * 4;
  R[1] = ((alo >>> 14) & 0xffff);
  R[2] = ((alo >>> 30) | ((ahi & 0x3fff) << 2)) >>> 0;
  R[3] = (ahi >>> 14) & 0xffff;
  R[4] = ahi >>> 30;
  P.fill(0);
  P[4] = quotientDigit(dv);
  for (let d = 3; d >= 0; d--) {
    // R × 2^16 (R < B < 2^64: its top digit is 0).
    R[4] = R[3]!; R[3] = R[2]!; R[2] = R[1]!; R[1] = R[0]!; R[0] = 0;
    P[d] = quotientDigit(dv);
  }
  const rest = R[0] !== 0 || R[1] !== 0 || R[2] !== 0 || R[3] !== 0;
  // value = (A / B) × 2^(ea − eb) = Q × 2^(ea − eb − 66), less than one unit of Q more.
  return roundDigits(env, sa ^ sb, ea - eb - 66, rest, env.precision);
}
