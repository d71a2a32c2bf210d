/**
 * MMX (SDM vol. 1, chapter 9; vol. 2 instruction pages): the original
 * instruction set on MM0-MM7, which are the significands of the x87
 * physical registers R0-R7.
 *
 * Why helpers and not the backend's i32 primitives: the MMX registers are
 * part of the x87 unit's state, which the Backend interface does not
 * expose (adding accessors would change every tier's interface for one
 * family); every MMX instruction also has x87 side effects (TOP = 0, all
 * tags valid, the written register's exponent all ones) and the x87 gates
 * (#UD on CR0.EM, #NM on CR0.TS, #MF for a pending x87 exception). Lane
 * arithmetic with saturation is a few typed-array operations here. A JIT
 * that wants MMX inline can still emit it from these same lane rules.
 */
import type { ConcreteBackend } from '../concrete-backend.js';
import type { Instruction, MemOperand } from '../../translator/table/types.js';
import { enterMmx, memRef, type Routine } from './exec.js';
import type { FpuState } from './state.js';

/** A 64-bit lane register with every lane view. */
class Lanes {
  readonly buf = new ArrayBuffer(8);
  readonly u8 = new Uint8Array(this.buf);
  readonly i8 = new Int8Array(this.buf);
  readonly u16 = new Uint16Array(this.buf);
  readonly i16 = new Int16Array(this.buf);
  readonly u32 = new Uint32Array(this.buf);
  readonly i32 = new Int32Array(this.buf);

  /** The 64-bit value as a shift count (saturated to 64: any count above 63 clears every lane). */
  count(): number {
    return this.u32[1] !== 0 || this.u32[0]! > 64 ? 64 : this.u32[0]!;
  }
}

// Scratch operands (not state: every routine fills them before use).
const D = new Lanes(), S = new Lanes(), R = new Lanes();

function loadMm(f: FpuState, reg: number, into: Lanes): void {
  into.u32[0] = f.sig32[2 * reg]!;
  into.u32[1] = f.sig32[2 * reg + 1]!;
}

/** The x87 side of every MMX instruction: TOP = 0, every register tagged valid. */
function mmxState(f: FpuState): void {
  f.top = 0;
  f.empty = 0;
}

/** Write MMn: the significand, and an exponent of all ones (sign set) as the manual says. */
function storeMm(f: FpuState, reg: number, from: Lanes): void {
  f.sig32[2 * reg] = from.u32[0]!;
  f.sig32[2 * reg + 1] = from.u32[1]!;
  f.sexp[reg] = 0xffff;
}

/** Read the source operand (Qq, Qd, Nq, Ed, Ib) into S. */
function readSource(b: ConcreteBackend, i: Instruction, f: FpuState): void {
  const op = i.operands[1]!;
  switch (op.kind) {
    case 'mm': loadMm(f, op.reg, S); return;
    case 'reg': S.u32[0] = b.reg(op.reg, 4); S.u32[1] = 0; return;
    case 'imm': S.u32[0] = op.value; S.u32[1] = 0; return;
    case 'mem': {
      const m = memRef(b, op);
      b.linear(m.seg, m.ea, op.size, false); // segment checks of the whole operand before any page walk
      S.u32[0] = b.load(m.seg, m.ea, 4);
      S.u32[1] = op.size === 8 ? b.load(m.seg, (m.ea + 4) | 0, 4) : 0;
      return;
    }
    default: throw new Error(`MMX source operand ${op.kind}`);
  }
}

/** A lane operation: R from D (the destination's value) and S. */
type LaneOp = () => void;

function binary(op: LaneOp): Routine {
  return (b, i) => {
    const f = enterMmx(b);
    const dst = (i.operands[0] as { reg: number }).reg;
    readSource(b, i, f);
    loadMm(f, dst, D);
    op();
    mmxState(f);
    storeMm(f, dst, R);
  };
}

const sat = (v: number, lo: number, hi: number): number => (v < lo ? lo : v > hi ? hi : v);

function lanewise(n: number, view: (l: Lanes) => Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array, fn: (a: number, c: number) => number): LaneOp {
  return () => {
    const a = view(D), c = view(S), r = view(R);
    for (let k = 0; k < n; k++) r[k] = fn(a[k]!, c[k]!);
  };
}

const ALL1_8 = 0xff, ALL1_16 = 0xffff, ALL1_32 = -1;

function shift(view: 'u16' | 'i16' | 'u32' | 'i32', n: number, bits: number, kind: 'l' | 'rl' | 'ra'): LaneOp {
  return () => {
    const c = S.count();
    const a = D[view], r = R[view];
    for (let k = 0; k < n; k++) {
      const v = a[k]!;
      if (kind === 'ra') r[k] = c >= bits ? (v < 0 ? -1 : 0) : v >> c;
      else if (c >= bits) r[k] = 0;
      else r[k] = kind === 'l' ? v << c : v >>> c;
    }
  };
}

function shiftQ(left: boolean): LaneOp {
  return () => {
    const c = S.count();
    const lo = D.u32[0]!, hi = D.u32[1]!;
    if (c >= 64) { R.u32[0] = 0; R.u32[1] = 0; return; }
    if (c === 0) { R.u32[0] = lo; R.u32[1] = hi; return; }
    if (left) {
      if (c >= 32) { R.u32[1] = lo << (c - 32); R.u32[0] = 0; } else { R.u32[1] = (hi << c) | (lo >>> (32 - c)); R.u32[0] = lo << c; }
    } else if (c >= 32) { R.u32[0] = hi >>> (c - 32); R.u32[1] = 0; } else { R.u32[0] = (lo >>> c) | (hi << (32 - c)); R.u32[1] = hi >>> c; }
  };
}

/** PACKSSWB/PACKSSDW/PACKUSWB: the destination's lanes narrowed into the low half, the source's into the high half. */
function pack(from: 'i16' | 'i32', to: 'i8' | 'u8' | 'i16', n: number, lo: number, hi: number): LaneOp {
  return () => {
    const a = D[from], c = S[from], r = R[to];
    for (let k = 0; k < n; k++) { r[k] = sat(a[k]!, lo, hi); r[k + n] = sat(c[k]!, lo, hi); }
  };
}

/** PUNPCKLxx and PUNPCKHxx: interleave the low (or high) halves, destination lane first. */
function unpack(view: 'u8' | 'u16' | 'u32', n: number, high: boolean): LaneOp {
  return () => {
    const a = D[view], c = S[view], r = R[view];
    const base = high ? n : 0;
    for (let k = 0; k < n; k++) { r[2 * k] = a[base + k]!; r[2 * k + 1] = c[base + k]!; }
  };
}

const MMX_LANE_OPS: Record<string, LaneOp> = {
  paddb: lanewise(8, (l) => l.u8, (a, c) => a + c),
  paddw: lanewise(4, (l) => l.u16, (a, c) => a + c),
  paddd: lanewise(2, (l) => l.u32, (a, c) => a + c),
  paddsb: lanewise(8, (l) => l.i8, (a, c) => sat(a + c, -128, 127)),
  paddsw: lanewise(4, (l) => l.i16, (a, c) => sat(a + c, -32768, 32767)),
  paddusb: lanewise(8, (l) => l.u8, (a, c) => sat(a + c, 0, 255)),
  paddusw: lanewise(4, (l) => l.u16, (a, c) => sat(a + c, 0, 65535)),
  psubb: lanewise(8, (l) => l.u8, (a, c) => a - c),
  psubw: lanewise(4, (l) => l.u16, (a, c) => a - c),
  psubd: lanewise(2, (l) => l.u32, (a, c) => a - c),
  psubsb: lanewise(8, (l) => l.i8, (a, c) => sat(a - c, -128, 127)),
  psubsw: lanewise(4, (l) => l.i16, (a, c) => sat(a - c, -32768, 32767)),
  psubusb: lanewise(8, (l) => l.u8, (a, c) => sat(a - c, 0, 255)),
  psubusw: lanewise(4, (l) => l.u16, (a, c) => sat(a - c, 0, 65535)),
  pcmpeqb: lanewise(8, (l) => l.u8, (a, c) => (a === c ? ALL1_8 : 0)),
  pcmpeqw: lanewise(4, (l) => l.u16, (a, c) => (a === c ? ALL1_16 : 0)),
  pcmpeqd: lanewise(2, (l) => l.i32, (a, c) => (a === c ? ALL1_32 : 0)),
  pcmpgtb: lanewise(8, (l) => l.i8, (a, c) => (a > c ? -1 : 0)),
  pcmpgtw: lanewise(4, (l) => l.i16, (a, c) => (a > c ? -1 : 0)),
  pcmpgtd: lanewise(2, (l) => l.i32, (a, c) => (a > c ? -1 : 0)),
  pmullw: lanewise(4, (l) => l.i16, (a, c) => Math.imul(a, c)),
  pmulhw: lanewise(4, (l) => l.i16, (a, c) => Math.imul(a, c) >> 16),
  pmaddwd: () => {
    for (let k = 0; k < 2; k++) R.i32[k] = (Math.imul(D.i16[2 * k]!, S.i16[2 * k]!) + Math.imul(D.i16[2 * k + 1]!, S.i16[2 * k + 1]!)) | 0;
  },
  pand: lanewise(2, (l) => l.u32, (a, c) => a & c),
  pandn: lanewise(2, (l) => l.u32, (a, c) => ~a & c),
  por: lanewise(2, (l) => l.u32, (a, c) => a | c),
  pxor: lanewise(2, (l) => l.u32, (a, c) => a ^ c),
  packsswb: pack('i16', 'i8', 4, -128, 127),
  packssdw: pack('i32', 'i16', 2, -32768, 32767),
  packuswb: pack('i16', 'u8', 4, 0, 255),
  punpcklbw: unpack('u8', 4, false),
  punpcklwd: unpack('u16', 2, false),
  punpckldq: unpack('u32', 1, false),
  punpckhbw: unpack('u8', 4, true),
  punpckhwd: unpack('u16', 2, true),
  punpckhdq: unpack('u32', 1, true),
  psrlw: shift('u16', 4, 16, 'rl'),
  psrld: shift('u32', 2, 32, 'rl'),
  psrlq: shiftQ(false),
  psraw: shift('i16', 4, 16, 'ra'),
  psrad: shift('i32', 2, 32, 'ra'),
  psllw: shift('u16', 4, 16, 'l'),
  pslld: shift('u32', 2, 32, 'l'),
  psllq: shiftQ(true),
};

/** The load direction of MOVD/MOVQ: the source (as the instruction sizes it) into MMX register `reg`. */
function moveIntoMm(b: Parameters<Routine>[0], i: Parameters<Routine>[1], f: ReturnType<typeof enterMmx>, reg: number): void {
  readSource(b, i, f);
  mmxState(f);
  storeMm(f, reg, S);
}

/** MOVD mm, r/m32 (zero-extended) and MOVD r/m32, mm (the low dword). */
const movd: Routine = (b, i) => {
  const f = enterMmx(b);
  const dst = i.operands[0]!;
  if (dst.kind === 'mm') return moveIntoMm(b, i, f, dst.reg);
  const src = (i.operands[1] as { reg: number }).reg;
  const v = f.sig32[2 * src]! | 0;
  if (dst.kind === 'reg') b.setReg(dst.reg, 4, v);
  else { const m = memRef(b, dst as MemOperand); b.store(m.seg, m.ea, 4, v); }
  mmxState(f);
};

/** MOVQ mm, mm/m64 and MOVQ mm/m64, mm. */
const movq: Routine = (b, i) => {
  const f = enterMmx(b);
  const dst = i.operands[0]!;
  if (dst.kind === 'mm') return moveIntoMm(b, i, f, dst.reg);
  const src = (i.operands[1] as { reg: number }).reg;
  const lo = f.sig32[2 * src]! | 0, hi = f.sig32[2 * src + 1]! | 0;
  const m = memRef(b, dst as MemOperand);
  b.probeWrite(m.seg, m.ea, 8);
  b.store(m.seg, m.ea, 4, lo);
  b.store(m.seg, (m.ea + 4) | 0, 4, hi);
  mmxState(f);
};

/** EMMS: every x87 register empty (and TOP = 0, as after any MMX instruction). */
const emms: Routine = (b) => {
  const f = enterMmx(b);
  f.top = 0;
  f.empty = 0xff;
};

export const MMX_ROUTINES: Record<string, Routine> = {
  ...Object.fromEntries(Object.entries(MMX_LANE_OPS).map(([name, op]) => [name, binary(op)])),
  movd, movq, emms,
};
