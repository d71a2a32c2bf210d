/**
 * Known answers for the x87 unit's exact soft-float (runtime/fpu): rounding
 * under every precision and rounding control, the masked and unmasked
 * responses of overflow and underflow, special operands, conversions, the
 * constants and the transcendental model. The differential harness checks
 * all of this against the host; these pin the rules down where a reader
 * can see them.
 */
import { describe, expect, it } from 'vitest';
import { add, div, mul, sqrt } from '../../runtime/fpu/arith.js';
import { fromReal, toBcd, toInteger, toReal, fromBcd, fromInteger } from '../../runtime/fpu/convert.js';
import { DOUBLE, Env, type F80, INDEFINITE, J_BIT, SINGLE } from '../../runtime/fpu/float80.js';
import { PI } from '../../runtime/fpu/constants.js';
import { sinCosModel } from '../../runtime/fpu/transcendental.js';
import { roundModel } from '../../runtime/fpu/ops-transcendental.js';
import { Sw } from '../../runtime/fpu/state.js';

/** A control word: all masked, PC and RC as given (PC 3 = 64 bits, 2 = 53, 0 = 24). */
const cw = (pc = 3, rc = 0, masks = 0x3f): number => masks | (pc << 8) | (rc << 10) | 0x40;

/** An F80 from a JS number (exactly: doubles fit). */
function f(x: number): F80 {
  if (x === 0) return { sign: Object.is(x, -0) ? 1 : 0, exp: 0, sig: 0n };
  const dv = new DataView(new ArrayBuffer(8));
  dv.setFloat64(0, x);
  const bits = dv.getBigUint64(0);
  const e = Number((bits >> 52n) & 0x7ffn);
  return { sign: x < 0 ? 1 : 0, exp: e - 1023 + 16383, sig: J_BIT | ((bits & ((1n << 52n) - 1n)) << 11n) };
}

/** Back to a number (for normal results). */
function n(v: F80): number {
  return (v.sign ? -1 : 1) * Number(v.sig) * 2 ** (v.exp - 16383 - 63);
}

describe('rounding', () => {
  it('rounds to nearest even at 64, 53 and 24 bits', () => {
    // 1 + 2^-64 is halfway between 1 and 1 + 2^-63 at 64 bits: ties to even (1).
    const one = f(1);
    const half64: F80 = { sign: 0, exp: 16383 - 64, sig: J_BIT };
    let env = new Env(cw(3));
    expect(add(env, one, half64, false)).toEqual(one);
    expect(env.flags & Sw.PE).toBe(Sw.PE);
    expect(env.roundedUp).toBe(false);
    // 1 + 3·2^-65: above the half, rounds up, C1.
    env = new Env(cw(3));
    const r = add(env, one, { sign: 0, exp: 16383 - 64, sig: 0xc000000000000000n }, false)!;
    expect(r.sig).toBe(J_BIT + 1n);
    expect(env.roundedUp).toBe(true);
    // PC 53 and 24: 1 + 2^-30 survives 53 bits, not 24.
    expect(n(add(new Env(cw(2)), one, f(2 ** -30), false)!)).toBe(1 + 2 ** -30);
    expect(n(add(new Env(cw(0)), one, f(2 ** -30), false)!)).toBe(1);
  });

  it('honours every rounding control', () => {
    const third = (rc: number): F80 => div(new Env(cw(2, rc)), f(1), f(3))!;
    const down = n(third(1)), up = n(third(2)), zero = n(third(3)), near = n(third(0));
    expect(up - down).toBe(2 ** -54);
    expect(zero).toBe(down);
    expect(near).toBe(1 / 3); // the double nearest 1/3
    const negUp = div(new Env(cw(2, 2)), f(-1), f(3))!;
    expect(n(negUp)).toBe(-down); // toward +∞ is toward zero for a negative quotient
  });

  it('gives an exact zero sum +0, or −0 when rounding down', () => {
    expect(add(new Env(cw()), f(1), f(1), true)).toEqual({ sign: 0, exp: 0, sig: 0n });
    expect(add(new Env(cw(3, 1)), f(1), f(1), true)).toEqual({ sign: 1, exp: 0, sig: 0n });
  });

  it('denormalizes tiny results on the precision control grid', () => {
    // 2^-16400 × 1.5 at PC 64 keeps its bits; at PC 24 only the top 24 bits of the significand field.
    const tiny: F80 = { sign: 0, exp: 1, sig: 0xc000000000000001n }; // 1.5·2^-16382 (+ a low bit)
    const quarter = f(0.25);
    let env = new Env(cw(3));
    const r64 = mul(env, tiny, quarter)!;
    expect(r64.exp).toBe(0);
    expect(env.flags & (Sw.UE | Sw.PE)).toBe(Sw.UE | Sw.PE);
    env = new Env(cw(0));
    const r24 = mul(env, tiny, quarter)!;
    expect(r24.sig & 0xffffffffffn).toBe(0n);
  });

  it('answers overflow by RC when masked, and bias-adjusts when unmasked', () => {
    const big: F80 = { sign: 0, exp: 0x7ffe, sig: J_BIT };
    expect(mul(new Env(cw(3, 0)), big, f(2))).toEqual({ sign: 0, exp: 0x7fff, sig: J_BIT });
    expect(mul(new Env(cw(3, 3)), big, f(2))).toEqual({ sign: 0, exp: 0x7ffe, sig: 0xffffffffffffffffn });
    expect(mul(new Env(cw(2, 3)), big, f(2))).toEqual({ sign: 0, exp: 0x7ffe, sig: 0xfffffffffffff800n });
    const env = new Env(cw(3, 0, 0x37)); // OE unmasked
    const r = mul(env, big, f(2))!;
    expect(r.exp).toBe(0x7fff - 24576);
    expect(env.flags & Sw.OE).toBe(Sw.OE);
  });
});

describe('special operands', () => {
  it('returns the indefinite for invalid operations when IE is masked, nothing when unmasked', () => {
    const inf: F80 = { sign: 0, exp: 0x7fff, sig: J_BIT };
    expect(add(new Env(cw()), inf, inf, true)).toEqual(INDEFINITE);
    expect(mul(new Env(cw()), inf, f(0))).toEqual(INDEFINITE);
    expect(sqrt(new Env(cw()), f(-1))).toEqual(INDEFINITE);
    expect(div(new Env(cw(3, 0, 0x3e)), f(0), f(0))).toBeNull();
  });

  it('divides by zero with ZE and raises no DE for a denormal dividend then', () => {
    const env = new Env(cw());
    const r = div(env, { sign: 0, exp: 0, sig: 5n }, f(-0))!;
    expect(r).toEqual({ sign: 1, exp: 0x7fff, sig: J_BIT });
    expect(env.flags).toBe(Sw.ZE);
  });

  it('propagates NaNs: a QNaN over an SNaN, else the larger significand, quieted', () => {
    const q: F80 = { sign: 1, exp: 0x7fff, sig: 0xc000000000000001n };
    const s: F80 = { sign: 0, exp: 0x7fff, sig: 0xa000000000000000n };
    expect(add(new Env(cw()), s, q, false)).toEqual(q);
    const s2: F80 = { sign: 0, exp: 0x7fff, sig: 0x8000000000000005n };
    const env = new Env(cw());
    expect(mul(env, s, s2)).toEqual({ sign: 0, exp: 0x7fff, sig: 0xe000000000000000n });
    expect(env.flags & Sw.IE).toBe(Sw.IE);
    expect(add(new Env(cw()), { sign: 0, exp: 0x3fff, sig: 1n }, f(1), false)).toEqual(INDEFINITE); // unnormal
  });
});

describe('conversions', () => {
  it('loads singles and doubles exactly, SNaNs staying signalling for the operation to pick', () => {
    expect(n(fromReal(new Env(cw()), 0x3fc00000n, SINGLE)!)).toBe(1.5);
    const env = new Env(cw());
    const d = fromReal(env, 1n, DOUBLE)!; // the smallest double denormal
    expect(env.sourceDenormal).toBe(true);
    expect(d.exp).toBe(16383 - 1074);
    expect(fromReal(new Env(cw()), 0x7f800001n, SINGLE)!.sig).toBe(J_BIT | (1n << 40n));
  });

  it('stores to single and double with the format range, whatever PC', () => {
    const env = new Env(cw(2));
    expect(toReal(env, f(1 / 3), SINGLE)).toBe(0x3eaaaaabn);
    expect(env.flags & Sw.PE).toBe(Sw.PE);
    expect(toReal(new Env(cw()), f(1e300), SINGLE)).toBe(0x7f800000n);
    expect(toReal(new Env(cw(3, 0, 0x37)), f(1e300), SINGLE)).toBeNull(); // unmasked overflow: nothing stored
  });

  it('rounds to integers by RC, with the indefinite when out of range', () => {
    expect(toInteger(new Env(cw(3, 0)), f(2.5), 16)).toBe(2n);
    expect(toInteger(new Env(cw(3, 0)), f(-3.5), 16)).toBe(-4n);
    expect(toInteger(new Env(cw(3, 1)), f(-0.5), 32)).toBe(-1n);
    expect(toInteger(new Env(cw(3, 0)), f(2.9), 16, true)).toBe(2n); // FISTTP truncates
    expect(toInteger(new Env(cw()), f(32767.5), 16)).toBe(-32768n); // rounds to 32768: invalid
    expect(toInteger(new Env(cw()), f(-32768), 16)).toBe(-32768n);
  });

  it('converts packed BCD both ways', () => {
    const bcd = toBcd(new Env(cw()), f(-1234567890123))!;
    expect(Array.from(bcd)).toEqual([0x23, 0x01, 0x89, 0x67, 0x45, 0x23, 0x01, 0, 0, 0x80]);
    expect(n(fromBcd(bcd))).toBe(-1234567890123);
    expect(Array.from(toBcd(new Env(cw()), f(1e18))!)).toEqual([0, 0, 0, 0, 0, 0, 0, 0xc0, 0xff, 0xff]);
    expect(fromInteger(0n)).toEqual({ sign: 0, exp: 0, sig: 0n });
  });
});

describe('constants and transcendentals', () => {
  it('knows π to 256 bits', () => {
    expect(PI.toString(16).slice(0, 33)).toBe('3243f6a8885a308d313198a2e03707344');
  });

  it('reduces trigonometric arguments with the 66-bit π: FSIN(π rounded) is −2^−64', () => {
    const pi64: F80 = { sign: 0, exp: 0x4000, sig: 0xc90fdaa22168c235n };
    const s = roundModel(new Env(cw()), sinCosModel(pi64).sin);
    expect(s).toEqual({ sign: 1, exp: 16383 - 64, sig: J_BIT });
  });

  it('rounds sines of tiny arguments just below the argument', () => {
    const x: F80 = { sign: 0, exp: 16383 - 100, sig: 0xc000000000000000n };
    expect(roundModel(new Env(cw(3, 0)), sinCosModel(x).sin)).toEqual(x);
    expect(roundModel(new Env(cw(3, 3)), sinCosModel(x).sin).sig).toBe(0xbfffffffffffffffn);
  });
});
