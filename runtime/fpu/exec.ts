/**
 * What every x87 and MMX routine shares: the device-not-available and
 * pending-exception gates, stack register access with the stack-fault
 * responses, the last-instruction pointers, and memory operands of every
 * x87 width (read in 4-byte pieces through the concrete backend, so each
 * keeps its segment and paging checks; written only after a write probe
 * of the whole operand, so a fault leaves memory and the FPU untouched).
 *
 * CR0.NE = 0 (the PC's legacy FERR#/IRQ 13 path) is not modelled here:
 * a pending exception then sets `FpuState.ferr` for the interrupt
 * controller model (system issue) and the instruction proceeds, as with
 * IGNNE# asserted.
 */
import type { ConcreteBackend } from '../concrete-backend.js';
import { CR0_EM, CR0_MP, CR0_NE, CR0_TS } from '../cpu.js';
import { Vector } from '../exceptions.js';
import { Access } from '../mmu.js';
import type { Instruction, MemOperand, Seg } from '../../translator/table/types.js';
import { effectiveAddress } from '../../translator/semantics/operands.js';
import { x87Opcode } from '../../translator/semantics/x87.js';
import type { Env, F80 } from './float80.js';
import { INDEFINITE } from './float80.js';
import { type FpuState, Sw } from './state.js';

export type Routine = (b: ConcreteBackend, i: Instruction) => void;

/** Signal a pending unmasked exception: #MF with CR0.NE, else FERR#. */
function signalPending(b: ConcreteBackend, f: FpuState): void {
  if (b.cpu.cr0 & CR0_NE) b.raise(Vector.MF);
  f.ferr = true;
}

/**
 * Entry of an x87 instruction: #NM when CR0.EM or CR0.TS is set, then, for
 * the waiting forms (all but FNINIT, FNCLEX, FNSTCW, FNSTSW, FNSTENV,
 * FNSAVE), #MF for a pending exception.
 */
export function enterX87(b: ConcreteBackend, waits = true): FpuState {
  if (b.cpu.cr0 & (CR0_EM | CR0_TS)) b.raise(Vector.NM);
  const f = b.cpu.fpu;
  if (waits && f.pending) signalPending(b, f);
  return f;
}

/** FWAIT: #NM only when CR0.MP and CR0.TS are both set; then #MF for a pending exception. */
export function enterWait(b: ConcreteBackend): FpuState {
  if ((b.cpu.cr0 & (CR0_MP | CR0_TS)) === (CR0_MP | CR0_TS)) b.raise(Vector.NM);
  const f = b.cpu.fpu;
  if (f.pending) signalPending(b, f);
  return f;
}

/** FXSAVE/FXRSTOR: #NM on CR0.EM or CR0.TS; they do not wait. */
export function enterFxsr(b: ConcreteBackend): FpuState {
  return enterX87(b, false);
}

/** MMX: #UD when CR0.EM is set, #NM on CR0.TS, #MF for a pending x87 exception. */
export function enterMmx(b: ConcreteBackend): FpuState {
  const cr0 = b.cpu.cr0;
  if (cr0 & CR0_EM) b.raise(Vector.UD);
  if (cr0 & CR0_TS) b.raise(Vector.NM);
  const f = b.cpu.fpu;
  if (f.pending) signalPending(b, f);
  return f;
}

// ---------------------------------------------------------------------------
// Stack registers
// ---------------------------------------------------------------------------

export function st(f: FpuState, i: number): F80 {
  const p = (f.top + i) & 7;
  const se = f.sexp[p]!;
  return { sign: se >> 15, exp: se & 0x7fff, sig: f.sig[p]! };
}

/** Write ST(i) and tag it valid. */
export function setSt(f: FpuState, i: number, v: F80): void {
  const p = (f.top + i) & 7;
  f.sexp[p] = (v.sign << 15) | v.exp;
  f.sig[p] = v.sig;
  f.empty &= ~(1 << p);
}

export function pop(f: FpuState): void {
  f.empty |= 1 << f.top;
  f.top = (f.top + 1) & 7;
}

/** Push: TOP moves down and the new ST(0) gets the value. */
export function push(f: FpuState, v: F80): void {
  f.top = (f.top - 1) & 7;
  setSt(f, 0, v);
}

/** Set the condition codes in `mask` to the bits of `value`. */
export function setCc(f: FpuState, mask: number, value: number): void {
  f.sw = (f.sw & ~mask) | (value & mask);
}

/** Fold an operation's exceptions into the status word; C1 = rounded up (the arithmetic instructions' rule). */
export function finish(f: FpuState, env: Env): void {
  f.sw = (f.sw | env.flags) & ~Sw.C1 | (env.roundedUp && (env.flags & Sw.PE) ? Sw.C1 : 0);
}

/**
 * Stack underflow (a source register is empty): IE and SF with C1 = 0.
 * Returns the masked response (the indefinite) or null when IE is unmasked.
 */
export function underflow(f: FpuState): F80 | null {
  f.sw = (f.sw | Sw.IE | Sw.SF) & ~Sw.C1;
  return f.cw & Sw.IE ? INDEFINITE : null;
}

/** Stack overflow (the register a push would fill is not empty): IE and SF with C1 = 1. */
export function overflow(f: FpuState): F80 | null {
  f.sw |= Sw.IE | Sw.SF | Sw.C1;
  return f.cw & Sw.IE ? INDEFINITE : null;
}

/** Push a value, or handle stack overflow (masked: the indefinite is pushed; unmasked: nothing). */
export function pushChecked(f: FpuState, v: F80): void {
  if (!f.isEmpty(7)) {
    const r = overflow(f);
    if (r) push(f, r);
    return;
  }
  push(f, v);
}

// ---------------------------------------------------------------------------
// The last instruction and data pointers
// ---------------------------------------------------------------------------

/** Record FIP, FCS and FOP (and FDP, FDS for a memory operand) of a non-control instruction. */
export function recordPointers(b: ConcreteBackend, i: Instruction, f: FpuState, mem?: MemRef): void {
  f.fip = i.eip;
  f.fcs = b.cpu.segs[1]!.selector;
  f.fop = x87Opcode(i);
  if (mem) {
    f.fdp = mem.ea;
    f.fds = b.cpu.segs[mem.seg]!.selector;
  }
}

// ---------------------------------------------------------------------------
// Memory operands
// ---------------------------------------------------------------------------

export interface MemRef {
  readonly seg: Seg;
  /** Offset within the segment (wrapped to the address size). */
  readonly ea: number;
  /** The address-size mask: the offsets of an operand's parts wrap with it. */
  readonly wrap: number;
}

export function memRef(b: ConcreteBackend, op: MemOperand): MemRef {
  const ea = effectiveAddress(b, op);
  return op.adsize === 2 ? { seg: op.seg, ea: ea & 0xffff, wrap: 0xffff } : { seg: op.seg, ea: ea >>> 0, wrap: 0xffffffff };
}

/** Offset of byte `k` of an operand (wrapped at the address size). */
function at(m: MemRef, k: number): number {
  return ((m.ea + k) & m.wrap) | 0;
}

/** Page-walk every page of one access [k, k + len) (segment checks first; a fault reports the first byte it cannot reach). */
function probeAccess(b: ConcreteBackend, m: MemRef, k: number, len: number, write: boolean): void {
  const lin = b.linear(m.seg, at(m, k), len, write);
  const access = write ? Access.Write : Access.Read;
  for (let p = lin >>> 12; p <= ((lin + len - 1) >>> 12); p++) b.mmu.translate(p === lin >>> 12 ? lin : (p << 12) >>> 0, access);
}

/**
 * The access order of the multi-part images (environment, FSAVE, FXSAVE),
 * as the host faults on them: their first `first` bytes (none for
 * FXSAVE/FXRSTOR), then their last byte, then the rest in 4-byte parts,
 * each part with its own segment and page checks and its offset wrapped at
 * the address size (so FXRSTOR at 0xFFF0 with 16-bit addressing faults at
 * 0x01EF, and an image crossing into a page it cannot use faults at its end).
 */
export function checkImage(b: ConcreteBackend, m: MemRef, size: number, first: number, write: boolean): void {
  if (first) probeAccess(b, m, 0, first, write);
  probeAccess(b, m, size - 1, 1, write);
  for (let k = 0; k < size; k += 4) probeAccess(b, m, k, Math.min(4, size - k), write);
}

/**
 * The accesses of an operand of n bytes: one access up to 8 bytes (its
 * segment checks cover all of it before any page walk), an m80 operand as
 * 8 + 2 (significand, then sign and exponent), an image in 4-byte parts.
 */
function parts(n: number): Array<[number, number]> {
  if (n <= 8) return [[0, n]];
  if (n === 10) return [[0, 8], [8, 2]];
  const out: Array<[number, number]> = [];
  for (let k = 0; k < n; k += 4) out.push([k, Math.min(4, n - k)]);
  return out;
}

/** Read n bytes, access by access (images: after checkImage). */
export function readBytes(b: ConcreteBackend, m: MemRef, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (const [k0, len] of parts(n)) {
    b.linear(m.seg, at(m, k0), len, false);
    let k = k0;
    const end = k0 + len;
    for (; k + 4 <= end; k += 4) {
      const v = b.load(m.seg, at(m, k), 4);
      out[k] = v; out[k + 1] = v >> 8; out[k + 2] = v >> 16; out[k + 3] = v >> 24;
    }
    if (k + 2 <= end) {
      const v = b.load(m.seg, at(m, k), 2);
      out[k] = v; out[k + 1] = v >> 8;
      k += 2;
    }
    if (k < end) out[k] = b.load(m.seg, at(m, k), 1);
  }
  return out;
}

/** Write bytes: every access is probed for writing first, so a fault writes nothing. */
export function writeBytes(b: ConcreteBackend, m: MemRef, bytes: Uint8Array): void {
  const n = bytes.length;
  for (const [k, len] of parts(n)) probeAccess(b, m, k, len, true);
  for (const [k0, len] of parts(n)) {
    let k = k0;
    const end = k0 + len;
    for (; k + 4 <= end; k += 4) b.store(m.seg, at(m, k), 4, bytes[k]! | (bytes[k + 1]! << 8) | (bytes[k + 2]! << 16) | (bytes[k + 3]! << 24));
    if (k + 2 <= end) { b.store(m.seg, at(m, k), 2, bytes[k]! | (bytes[k + 1]! << 8)); k += 2; }
    if (k < end) b.store(m.seg, at(m, k), 1, bytes[k]!);
  }
}

/** Check the write permission of a store destination before computing what to store (the CPU faults on it first). */
export function probeStore(b: ConcreteBackend, m: MemRef, n: number): void {
  for (const [k, len] of parts(n)) probeAccess(b, m, k, len, true);
}

/** Little-endian bytes of a BigInt (n bytes). */
export function bytesOf(v: bigint, n: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = BigInt.asUintN(n * 8, v);
  for (let k = 0; k < n; k++) { out[k] = Number(x & 0xffn); x >>= 8n; }
  return out;
}

/** A little-endian byte string as an unsigned BigInt. */
export function bigOf(bytes: Uint8Array, at = 0, n = bytes.length - at): bigint {
  let x = 0n;
  for (let k = n - 1; k >= 0; k--) x = (x << 8n) | BigInt(bytes[at + k]!);
  return x;
}

/** An 80-bit value from 10 little-endian bytes. */
export function f80Of(bytes: Uint8Array, at = 0): F80 {
  const se = bytes[at + 8]! | (bytes[at + 9]! << 8);
  return { sign: se >> 15, exp: se & 0x7fff, sig: bigOf(bytes, at, 8) };
}

/** 10 little-endian bytes of an 80-bit value, into `out` at `at`. */
export function putF80(out: Uint8Array, at: number, v: F80): void {
  out.set(bytesOf(v.sig, 8), at);
  const se = (v.sign << 15) | v.exp;
  out[at + 8] = se & 0xff;
  out[at + 9] = se >> 8;
}
