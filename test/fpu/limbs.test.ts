/**
 * The limb path (runtime/fpu/limbs.ts) against the BigInt soft-float
 * (arith.ts) on random normal operands under every precision and rounding
 * control: the same result bits, the same PE, the same rounding direction,
 * whenever the limb path answers.
 */
import { describe, expect, it } from 'vitest';
import { add, div, mul } from '../../runtime/fpu/arith.js';
import { Env, type F80 } from '../../runtime/fpu/float80.js';
import { limbAdd, limbDiv, limbMul } from '../../runtime/fpu/limbs.js';
import { Rng } from '../diff/generate.js';

function operand(rng: Rng): F80 {
  const J = 0x80000000;
  let hi = (rng.u32() | J) >>> 0, lo = rng.u32();
  switch (rng.int(5)) {
    case 0: lo = 0; break; // short significands: exact sums, ties
    case 1: lo = (lo & 0xfffff800) >>> 0; break;
    case 2: hi = J; lo = rng.int(4); break;
    default: break;
  }
  const exp = rng.chance(0.1) ? rng.pick([1, 2, 0x7ffe, 0x7ffd, 64, 0x7fc0]) : 0x3fff + rng.int(200) - 100;
  return { sign: rng.int(2), exp, sig: (BigInt(hi) << 32n) | BigInt(lo) };
}

describe('limb arithmetic', () => {
  it('agrees with the BigInt soft-float bit for bit', () => {
    const rng = new Rng(99);
    let answered = 0;
    for (let n = 0; n < 60000; n++) {
      const a = operand(rng);
      const near = { ...a, sign: rng.int(2), exp: Math.min(0x7ffe, Math.max(1, a.exp + rng.int(3) - 1)) };
      const b = rng.chance(0.2) ? near : operand(rng); // close operands: cancellations
      const cw = 0x3f | 0x40 | (rng.pick([0, 2, 3, 1]) << 8) | (rng.int(4) << 10);
      const op = rng.int(4); // add, subtract, multiply, divide
      const e1 = new Env(cw), e2 = new Env(cw);
      const hiA = Number(a.sig >> 32n), loA = Number(a.sig & 0xffffffffn), hiB = Number(b.sig >> 32n), loB = Number(b.sig & 0xffffffffn);
      const limb = op === 3 ? limbDiv(e1, a.sign, a.exp, hiA, loA, b.sign, b.exp, hiB, loB)
        : op === 2 ? limbMul(e1, a.sign, a.exp, hiA, loA, b.sign, b.exp, hiB, loB)
          : limbAdd(e1, a.sign, a.exp, hiA, loA, b.sign ^ op, b.exp, hiB, loB);
      if (!limb) continue;
      answered++;
      const ref = op === 3 ? div(e2, a, b)! : op === 2 ? mul(e2, a, b)! : add(e2, a, b, op === 1)!;
      const got = { sign: limb.sign, exp: limb.exp, sig: (BigInt(limb.hi) << 32n) | BigInt(limb.lo) };
      expect([n, got]).toEqual([n, ref]);
      expect([n, e1.flags, e1.flags ? e1.roundedUp : false]).toEqual([n, e2.flags, e2.flags ? e2.roundedUp : false]);
    }
    expect(answered).toBeGreaterThan(50000);
  });

  it('divides as the BigInt soft-float does: exact quotients, ties, every precision and rounding', () => {
    const rng = new Rng(7);
    let answered = 0, exactQuotients = 0;
    for (let n = 0; n < 40000; n++) {
      let a = operand(rng);
      const b = operand(rng);
      if (rng.chance(0.25)) {
        // A dividend that is b times a short integer: the quotient is exact, or a tie at a precision's edge.
        const k = BigInt(1 + rng.int(1 << 12)) | 1n;
        let sig = b.sig * k;
        let shift = 0n;
        while (sig >> 64n) { sig >>= 1n; shift++; }
        while (!(sig >> 63n)) { sig <<= 1n; shift--; }
        if (((b.sig * k) & ((1n << (shift > 0n ? shift : 0n)) - 1n)) === 0n) a = { sign: a.sign, exp: a.exp, sig };
      }
      const cw = 0x3f | 0x40 | (rng.pick([0, 2, 3, 1]) << 8) | (rng.int(4) << 10);
      const e1 = new Env(cw), e2 = new Env(cw);
      const hiA = Number(a.sig >> 32n), loA = Number(a.sig & 0xffffffffn), hiB = Number(b.sig >> 32n), loB = Number(b.sig & 0xffffffffn);
      const limb = limbDiv(e1, a.sign, a.exp, hiA, loA, b.sign, b.exp, hiB, loB);
      if (!limb) continue;
      answered++;
      if (!e1.flags) exactQuotients++;
      const ref = div(e2, a, b)!;
      const got = { sign: limb.sign, exp: limb.exp, sig: (BigInt(limb.hi) << 32n) | BigInt(limb.lo) };
      expect([n, got]).toEqual([n, ref]);
      expect([n, e1.flags, e1.flags ? e1.roundedUp : false]).toEqual([n, e2.flags, e2.flags ? e2.roundedUp : false]);
    }
    expect(answered).toBeGreaterThan(35000);
    expect(exactQuotients).toBeGreaterThan(1000);
  });
});
