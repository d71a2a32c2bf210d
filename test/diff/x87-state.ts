/**
 * x87/MMX parts of differential cases: the initial FPU state of a case
 * (control word over every PC/RC and mask setting, status word, tags,
 * eight 80-bit registers of interesting values: ±0, denormals,
 * pseudo-denormals, unnormals, pseudo-infinities and pseudo-NaNs,
 * infinities, QNaNs and SNaNs, the indefinite, values at the edges of the
 * single, double and extended ranges, integers and halves, short
 * significands that make ties), interesting memory operands placed with
 * the case's memory patch, and the transfer of that state into and out of
 * the emulator's FpuState.
 */
import type { Form } from './forms.js';
import type { Rng } from './generate.js';
import { initialX87, MEM_BASE, MEM_END, X87_REGS_SIZE, type X87Result, type X87State } from '../oracle/layout.js';
import { MAX_MEM_PATCH } from '../oracle/native.js';
import type { FpuState } from '../../runtime/fpu/state.js';

const J = 0x8000000000000000n;

/** A random 64-bit BigInt. */
function u64(rng: Rng): bigint {
  return (BigInt(rng.u32()) << 32n) | BigInt(rng.u32());
}

/** A significand: random, or with only a few high bits set (exact results, ties), or all ones. */
function significand(rng: Rng): bigint {
  switch (rng.int(8)) {
    case 0: return J | (u64(rng) >> BigInt(1 + rng.pick([23, 40, 52, 60, 62]))) << BigInt(rng.pick([0, 11, 40]));
    case 1: return J | (u64(rng) & ~((1n << BigInt(rng.pick([11, 40, 10, 39, 12, 41]))) - 1n)) | (rng.chance(0.5) ? 1n << BigInt(rng.pick([10, 39, 0])) : 0n);
    case 2: return rng.chance(0.5) ? J : 0xffffffffffffffffn;
    case 3: return J | (BigInt(rng.u32() & 0xff) << 55n);
    // Exactly halfway between two doubles (or singles): round-to-nearest's ties, both parities.
    case 4: {
      const half = BigInt(rng.pick([10, 39]));
      return J | (u64(rng) & ~((2n << half) - 1n)) | (1n << half);
    }
    default: return J | u64(rng);
  }
}

/** An interesting 80-bit value as [sign/exponent word, significand]. */
export function interestingF80(rng: Rng): [number, bigint] {
  const sign = rng.chance(0.5) ? 0x8000 : 0;
  const r = rng.int(100);
  if (r < 4) return [sign, 0n]; // zero
  if (r < 8) return [sign, u64(rng) >> BigInt(1 + rng.int(63))]; // denormal
  if (r < 9) return [sign, J | u64(rng)]; // pseudo-denormal
  if (r < 11) return [sign | (1 + rng.int(0x7ffe)), u64(rng) >> 1n]; // unnormal
  if (r < 12) return [sign | 0x7fff, rng.chance(0.3) ? 0n : u64(rng) >> 1n]; // pseudo-infinity / pseudo-NaN
  if (r < 16) return [sign | 0x7fff, J]; // infinity
  if (r < 19) return [sign | 0x7fff, J | (1n << 62n) | (rng.chance(0.3) ? 0n : u64(rng) >> 2n)]; // QNaN (indefinite among them)
  if (r < 22) return [sign | 0x7fff, J | ((u64(rng) >> 2n) || 1n)]; // SNaN
  if (r < 27) return [sign | rng.pick([1, 2, 3, 64, 0x7ffe, 0x7ffd, 0x7fe0]) , significand(rng)]; // extended range edges
  if (r < 35) {
    // Around the single and double ranges (FST m32fp/m64fp: overflow, denormal results).
    const edge = rng.pick([0x3fff + 127, 0x3fff - 126, 0x3fff - 149, 0x3fff + 1023, 0x3fff - 1022, 0x3fff - 1074, 0x3fff + 128, 0x3fff + 1024]);
    return [sign | (edge + rng.int(5) - 2), significand(rng)];
  }
  if (r < 47) {
    // Integers and halves (FIST, FRNDINT, FBSTP), around the integer formats' limits too.
    const bits = rng.pick([1, 2, 3, 8, 15, 16, 31, 32, 59, 60, 63, 64, rng.int(64) + 1]);
    const e = 0x3fff + bits - 1;
    const sig = rng.chance(0.5) ? J | (u64(rng) & ~((1n << BigInt(Math.max(0, 64 - bits))) - 1n)) : significand(rng);
    return [sign | (e + rng.pick([0, 0, 0, -1, 1])), sig];
  }
  if (r < 55) return [sign | (0x3fff + rng.int(3) - 1), significand(rng)]; // about 1 (transcendentals' ranges)
  return [sign | (0x3fff + rng.int(140) - 70), significand(rng)];
}

/** A control word: mostly every exception masked, precision and rounding of every kind. */
function controlWord(rng: Rng): number {
  const pc = rng.pick([3, 3, 2, 2, 0, 1]);
  const rc = rng.int(4);
  const masks = rng.chance(0.8) ? 0x3f : rng.chance(0.5) ? rng.u32() & 0x3f : 0x3f & ~(1 << rng.int(6));
  return masks | (pc << 8) | (rc << 10) | (rng.chance(0.1) ? 0x1000 : 0) | 0x40;
}

/** An MMX value: lanes at the saturation edges, a small shift count, or random bits. */
function mmxValue(rng: Rng): bigint {
  switch (rng.int(4)) {
    case 0: return BigInt(rng.pick([0, 1, 7, 8, 15, 16, 17, 31, 32, 33, 63, 64, 65, rng.int(80)]));
    case 1: {
      let v = 0n;
      for (let k = 0; k < 4; k++) v = (v << 16n) | BigInt(rng.pick([0, 1, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0x8001, 0xffff, 0xff80, 0x007f, rng.u32() & 0xffff]));
      return v;
    }
    default: return u64(rng);
  }
}

/** The initial x87 state of a case (MMX forms: register values chosen for MMX). */
export function generateX87(rng: Rng, form?: Form): X87State {
  const x = initialX87();
  x.fcw = controlWord(rng);
  const top = rng.int(8);
  // Exception flags: mostly none or masked ones; sometimes a pending unmasked one (#MF at the next waiting instruction).
  let flags = rng.chance(0.6) ? 0 : rng.u32() & 0x7f & x.fcw;
  if (rng.chance(0.03)) flags |= rng.u32() & 0x3f;
  x.fsw = (flags | (rng.u32() & 0x4700)) | (top << 11);
  // Tags: a full stack, an empty one, the first k registers in use, or each at random.
  let used = 0;
  switch (rng.int(5)) {
    case 0: used = 0xff; break;
    case 1: used = rng.chance(0.5) ? 0 : 0xff; break;
    case 2: { const k = rng.int(9); for (let s = 0; s < k; s++) used |= 1 << ((top + s) & 7); break; }
    default: for (let p = 0; p < 8; p++) if (rng.chance(0.85)) used |= 1 << p;
  }
  x.ftw = used;
  const view = new DataView(x.regs.buffer, x.regs.byteOffset, X87_REGS_SIZE);
  for (let p = 0; p < 8; p++) {
    let [se, sig] = interestingF80(rng);
    if (p > 0 && rng.chance(0.1)) {
      // A copy (or negation) of another register: equal operands for compares, exact cancellations.
      const q = rng.int(p);
      sig = view.getBigUint64(q * 10, true);
      se = view.getUint16(q * 10 + 8, true) ^ (rng.chance(0.3) ? 0x8000 : 0);
    }
    if (form?.row.group === 'mmx' && rng.chance(0.6)) sig = mmxValue(rng);
    view.setBigUint64(p * 10, sig, true);
    view.setUint16(p * 10 + 8, se, true);
  }
  return x;
}

/** Where the trailing FNSTENV stores the environment (the stack page). */
export const TRAILER_ENV = 0x9e00;

/**
 * Bytes to append to a quarter of the x87/MMX cases: FNSTENV [TRAILER_ENV].
 * The oracle sees FOP, FIP and FDP only while an exception is pending, so
 * the pointers an instruction leaves are compared through the image this
 * stores. (Not after the transcendentals: their overlay may accept a C1
 * that differs, which the image would store.)
 */
export function x87Trailer(form: Form, rng: Rng, mode: 16 | 32): number[] {
  if (['fsin', 'fcos', 'fsincos', 'fptan', 'fpatan', 'f2xm1', 'fyl2x', 'fyl2xp1'].includes(form.row.sem) || !rng.chance(0.25)) return [];
  return mode === 32 ? [0xd9, 0x35, TRAILER_ENV & 0xff, TRAILER_ENV >> 8, 0, 0] : [0xd9, 0x36, TRAILER_ENV & 0xff, TRAILER_ENV >> 8];
}

/** Size in bytes of the form's memory operand (x87 and MMX operand types). */
function operandSize(form: Form): number {
  const sizes: Record<string, number> = {
    'm32fp': 4, 'm64fp': 8, 'm80fp': 10, 'm16int': 2, 'm32int': 4, 'm64int': 8, 'm80bcd': 10, 'm2byte': 2,
    'm14/28byte': form.opsize === 16 ? 14 : 28, 'm94/108byte': form.opsize === 16 ? 94 : 108, 'm512byte': 512,
    'Qq': 8, 'Qd': 4, 'Ed': 4,
  };
  for (const s of form.row.operands) if (sizes[s] !== undefined) return sizes[s]!;
  return 1;
}

/**
 * Where an x87/MMX memory operand should land, given the generator's
 * choice: FXSAVE/FXRSTOR mostly 16-byte aligned (else #GP), and some
 * operands moved to straddle a page boundary by a part of their size.
 */
export function x87Target(form: Form, rng: Rng, target: number): number {
  const size = operandSize(form);
  if (form.row.operands.includes('m512byte')) {
    if (rng.chance(0.85)) target = (rng.chance(0.5) ? 0x4000 + rng.int(0x5e0) * 16 : target & ~15) >>> 0;
    return target;
  }
  if (size > 2 && rng.chance(0.1)) {
    const edge = rng.pick([0x5000, 0x6000, 0x7000, 0x8000, 0x4000, 0xa000]);
    return edge - 1 - rng.int(size - 1);
  }
  return target;
}

/** An interesting memory operand of the form's type, as bytes (at most 32: the patch limit). */
function operandBytes(form: Form, rng: Rng): Uint8Array | undefined {
  const spec = form.row.operands.find((s) => s[0] === 'm');
  if (!spec) return undefined;
  const out = new Uint8Array(MAX_MEM_PATCH);
  const view = new DataView(out.buffer);
  const [se, sig] = interestingF80(rng);
  switch (spec) {
    case 'm32fp': view.setUint32(0, Number(realBits(rng, se, sig, 8, 23)), true); return out.subarray(0, 4);
    case 'm64fp': view.setBigUint64(0, BigInt(realBits(rng, se, sig, 11, 52)), true); return out.subarray(0, 8);
    case 'm80fp': view.setBigUint64(0, sig, true); view.setUint16(8, se, true); return out.subarray(0, 10);
    case 'm16int': case 'm32int': case 'm64int': {
      const n = spec === 'm16int' ? 2 : spec === 'm32int' ? 4 : 8;
      const v = rng.pick([0n, 1n, -1n, 1n << BigInt(8 * n - 1), (1n << BigInt(8 * n - 1)) - 1n, BigInt(rng.int(2000) - 1000), u64(rng)]);
      view.setBigUint64(0, BigInt.asUintN(64, v), true);
      return out.subarray(0, n);
    }
    case 'm80bcd': {
      for (let k = 0; k < 9; k++) out[k] = rng.chance(0.97) ? (rng.int(10) << 4) | rng.int(10) : rng.u32() & 0xff;
      if (rng.chance(0.2)) out.fill(0, rng.int(9), 9);
      out[9] = rng.chance(0.9) ? (rng.chance(0.5) ? 0x80 : 0) : rng.u32() & 0xff;
      return out.subarray(0, 10);
    }
    case 'm2byte': view.setUint16(0, rng.chance(0.8) ? controlWord(rng) : rng.u32() & 0xffff, true); return out.subarray(0, 2);
    case 'm14/28byte': case 'm94/108byte': {
      const small = form.opsize === 16;
      const x = generateX87(rng);
      let tags = 0;
      for (let p = 7; p >= 0; p--) tags = (tags << 2) | ((x.ftw >> p) & 1 ? rng.int(3) : 3);
      const w = small ? 2 : 4;
      for (let k = 0; k < (small ? 14 : 28); k++) out[k] = rng.u32() & 0xff;
      view.setUint16(0, x.fcw, true);
      view.setUint16(w, x.fsw, true);
      view.setUint16(2 * w, tags, true);
      return out.subarray(0, small ? 14 : 28);
    }
    case 'm512byte': {
      const x = generateX87(rng);
      for (let k = 0; k < 32; k++) out[k] = rng.u32() & 0xff;
      view.setUint16(0, x.fcw, true);
      view.setUint16(2, x.fsw, true);
      out[4] = x.ftw;
      view.setUint32(24, rng.chance(0.9) ? (0x1f80 & rng.u32()) | (rng.u32() & 0x3f) : rng.u32(), true);
      return out.subarray(0, 32);
    }
    default: return undefined;
  }
}

/** A single or double real: the interesting value's class, with the format's fields. */
function realBits(rng: Rng, se: number, sig: bigint, expBits: number, fracBits: number): number | bigint {
  const sign = BigInt(se >> 15);
  const maxExp = (1n << BigInt(expBits)) - 1n;
  const bias = (1 << (expBits - 1)) - 1;
  const frac = (sig >> BigInt(63 - fracBits)) & ((1n << BigInt(fracBits)) - 1n);
  const e80 = se & 0x7fff;
  let e: bigint;
  if (e80 === 0x7fff) e = maxExp;
  else if (e80 === 0 || rng.chance(0.1)) e = 0n;
  else e = BigInt(Math.min(Math.max(e80 - 0x3fff + bias, rng.chance(0.5) ? 1 : 0), Number(maxExp) - (rng.chance(0.9) ? 1 : 0)));
  const bits = (sign << BigInt(expBits + fracBits)) | (e << BigInt(fracBits)) | frac;
  return expBits === 8 ? Number(bits) : bits;
}

/** The memory patch of an x87/MMX case: an interesting operand at the target, if the target is in the data pages. */
export function x87Patch(form: Form, rng: Rng, target: number | null): { address: number; bytes: Uint8Array } | undefined {
  if (target === null || !rng.chance(0.75)) return undefined;
  const bytes = operandBytes(form, rng);
  if (!bytes) return undefined;
  if (target < MEM_BASE || target + bytes.length > MEM_END) return undefined;
  return { address: target, bytes };
}

/** Put a case's x87 state into the emulator (FOP, FIP, FDP and their selectors start at 0, as in the oracle). */
export function loadX87State(f: FpuState, x: X87State | undefined): void {
  const s = x ?? initialX87();
  f.setControlWord(s.fcw);
  f.setStatusWord(s.fsw);
  f.setAbridgedTagWord(s.ftw);
  const view = new DataView(s.regs.buffer, s.regs.byteOffset, X87_REGS_SIZE);
  for (let p = 0; p < 8; p++) {
    f.sig[p] = view.getBigUint64(p * 10, true);
    f.sexp[p] = view.getUint16(p * 10 + 8, true);
  }
  f.fip = f.fcs = f.fop = f.fdp = f.fds = 0;
  f.mxcsr = 0x1f80;
  f.ferr = false;
}

/** The emulator's x87 state as the oracle reports it. */
export function x87Result(f: FpuState): X87Result {
  const regs = new Uint8Array(X87_REGS_SIZE);
  const view = new DataView(regs.buffer);
  for (let p = 0; p < 8; p++) {
    view.setBigUint64(p * 10, f.sig[p]!, true);
    view.setUint16(p * 10 + 8, f.sexp[p]!, true);
  }
  return { fcw: f.cw, fsw: f.statusWord(), ftw: f.abridgedTagWord(), fop: f.fop, fip: f.fip, fdp: f.fdp, regs };
}
