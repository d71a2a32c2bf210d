/**
 * x87 control instructions: FLDCW, FNSTCW, FNSTSW, FNCLEX, FNINIT, FLDENV,
 * FNSTENV, FRSTOR, FNSAVE, FXSAVE, FXRSTOR, FFREE(P), FINCSTP, FDECSTP,
 * FNOP (and the 287 leftovers FNENI/FNDISI/FNSETPM), FWAIT. They do not
 * update the last-instruction pointers (SDM vol. 1, 8.1.8), except FNOP,
 * FFREE(P), FINCSTP and FDECSTP, which are non-control instructions there.
 *
 * Images (SDM vol. 1, figures 8-9 to 8-12; vol. 2, FXSAVE): the 14/28-byte
 * environment in its protected-mode or real-mode layout by CR0.PE/EFLAGS.VM
 * and the operand size, the 94/108-byte FSAVE image, the 512-byte FXSAVE
 * image. Departure where vendors differ: FXSAVE stores FOP, FIP, FCS, FDP
 * and FDS only while an exception is pending (ES = 1) and zeros otherwise,
 * as AMD processors do (the harness's host); Intel ones always store them.
 * XMM0-7 are stored as zeros and MXCSR as last loaded (the unit has no SSE).
 */
import type { ConcreteBackend } from '../concrete-backend.js';
import { Vector } from '../exceptions.js';
import type { Instruction, MemOperand } from '../../translator/table/types.js';
import {
  checkImage, enterFxsr, enterWait, enterX87, f80Of, type MemRef, memRef, pop, putF80, readBytes, recordPointers, type Routine, st,
  writeBytes,
} from './exec.js';
import { type FpuState, Sw } from './state.js';

/** MXCSR bits FXRSTOR accepts (the rest is reserved: #GP(0)); the host's MXCSR_MASK. */
export const MXCSR_MASK = 0x0002ffff;

function mem(i: Instruction): MemOperand {
  return i.operands[0] as MemOperand;
}

function put16(out: Uint8Array, at: number, v: number): void {
  out[at] = v & 0xff;
  out[at + 1] = (v >> 8) & 0xff;
}

function put32(out: Uint8Array, at: number, v: number): void {
  put16(out, at, v);
  put16(out, at + 2, v >>> 16);
}

function get16(bytes: Uint8Array, at: number): number {
  return bytes[at]! | (bytes[at + 1]! << 8);
}

function get32(bytes: Uint8Array, at: number): number {
  return (get16(bytes, at) | (get16(bytes, at + 2) << 16)) >>> 0;
}

// ---------------------------------------------------------------------------
// Control and status words
// ---------------------------------------------------------------------------

const fldcw: Routine = (b, i) => {
  const f = enterX87(b);
  const ref = memRef(b, mem(i));
  const v = b.load(ref.seg, ref.ea, 2);
  f.setControlWord(v);
  if (!f.pending) f.ferr = false; // FERR# follows ES (masking the exception drops it)
};

const fnstcw: Routine = (b, i) => {
  const f = enterX87(b, false);
  const ref = memRef(b, mem(i));
  b.store(ref.seg, ref.ea, 2, f.cw);
};

/** FNSTSW m2byte / FNSTSW AX. */
const fnstsw: Routine = (b, i) => {
  const f = enterX87(b, false);
  const op = i.operands[0]!;
  if (op.kind === 'reg') b.setReg(0, 2, f.statusWord());
  else {
    const ref = memRef(b, op as MemOperand);
    b.store(ref.seg, ref.ea, 2, f.statusWord());
  }
};

const fnclex: Routine = (b) => {
  const f = enterX87(b, false);
  f.sw &= ~(Sw.EXCEPTIONS | Sw.SF);
  f.ferr = false;
};

const fninit: Routine = (b) => {
  enterX87(b, false).init();
};

// ---------------------------------------------------------------------------
// The environment and FSAVE images
// ---------------------------------------------------------------------------

/** Real-address and virtual-8086 mode use the real-mode layout (linear pointers). */
function realLayout(b: ConcreteBackend): boolean {
  return !b.cpu.mode.protectedMode;
}

/** The environment image (14 bytes with a 16-bit operand size, else 28). */
function envImage(b: ConcreteBackend, f: FpuState, small: boolean): Uint8Array {
  const out = new Uint8Array(small ? 14 : 28);
  if (!small) out.fill(0xff); // the unused upper halves read as ones
  const w = small ? 2 : 4;
  put16(out, 0, f.cw);
  put16(out, w, f.statusWord());
  put16(out, 2 * w, f.tagWord());
  if (realLayout(b)) {
    const ip = ((f.fcs << 4) + f.fip) >>> 0, dp = ((f.fds << 4) + f.fdp) >>> 0;
    if (small) {
      put16(out, 6, ip); put16(out, 8, ((ip >>> 4) & 0xf000) | f.fop);
      put16(out, 10, dp); put16(out, 12, (dp >>> 4) & 0xf000);
    } else {
      put16(out, 12, ip); put32(out, 16, ((ip >>> 4) & 0x0ffff000) | f.fop);
      put16(out, 20, dp); put32(out, 24, (dp >>> 4) & 0x0ffff000);
    }
  } else if (small) {
    put16(out, 6, f.fip); put16(out, 8, f.fcs); put16(out, 10, f.fdp); put16(out, 12, f.fds);
  } else {
    put32(out, 12, f.fip); put32(out, 16, (f.fcs & 0xffff) | (f.fop << 16)); put32(out, 20, f.fdp); put16(out, 24, f.fds);
  }
  return out;
}

function loadEnvImage(b: ConcreteBackend, f: FpuState, bytes: Uint8Array, small: boolean): void {
  const w = small ? 2 : 4;
  f.setControlWord(get16(bytes, 0));
  f.setStatusWord(get16(bytes, w));
  f.setTagWord(get16(bytes, 2 * w));
  if (realLayout(b)) {
    if (small) {
      f.fip = get16(bytes, 6) | ((get16(bytes, 8) & 0xf000) << 4); f.fop = get16(bytes, 8) & 0x7ff;
      f.fdp = get16(bytes, 10) | ((get16(bytes, 12) & 0xf000) << 4);
    } else {
      f.fip = (get16(bytes, 12) | ((get32(bytes, 16) & 0x0ffff000) << 4)) >>> 0; f.fop = get32(bytes, 16) & 0x7ff;
      f.fdp = (get16(bytes, 20) | ((get32(bytes, 24) & 0x0ffff000) << 4)) >>> 0;
    }
    f.fcs = f.fds = 0;
  } else if (small) {
    f.fip = get16(bytes, 6); f.fcs = get16(bytes, 8); f.fdp = get16(bytes, 10); f.fds = get16(bytes, 12);
  } else {
    f.fip = get32(bytes, 12); f.fcs = get16(bytes, 16); f.fop = get16(bytes, 18) & 0x7ff;
    f.fdp = get32(bytes, 20); f.fds = get16(bytes, 24);
  }
  if (!f.pending) f.ferr = false;
}

function envRef(b: ConcreteBackend, i: Instruction): { ref: MemRef; small: boolean } {
  return { ref: memRef(b, mem(i)), small: i.opsize === 2 };
}

const fldenv: Routine = (b, i) => {
  const f = enterX87(b);
  const { ref, small } = envRef(b, i);
  checkImage(b, ref, small ? 14 : 28, small ? 2 : 4, false);
  loadEnvImage(b, f, readBytes(b, ref, small ? 14 : 28), small);
};

/** FNSTENV: store the environment, then mask every exception. */
const fnstenv: Routine = (b, i) => {
  const f = enterX87(b, false);
  const { ref, small } = envRef(b, i);
  checkImage(b, ref, small ? 14 : 28, small ? 2 : 4, true);
  writeBytes(b, ref, envImage(b, f, small));
  f.cw |= Sw.EXCEPTIONS;
};

const frstor: Routine = (b, i) => {
  const f = enterX87(b);
  const { ref, small } = envRef(b, i);
  const envSize = small ? 14 : 28;
  checkImage(b, ref, envSize + 80, small ? 2 : 4, false);
  const bytes = readBytes(b, ref, envSize + 80);
  loadEnvImage(b, f, bytes, small);
  for (let k = 0; k < 8; k++) {
    const v = f80Of(bytes, envSize + 10 * k);
    const p = f.phys(k);
    f.sexp[p] = (v.sign << 15) | v.exp;
    f.sig[p] = v.sig;
  }
};

/** FNSAVE: the environment and ST(0)..ST(7), then FNINIT. */
const fnsave: Routine = (b, i) => {
  const f = enterX87(b, false);
  const { ref, small } = envRef(b, i);
  const env = envImage(b, f, small);
  const out = new Uint8Array(env.length + 80);
  out.set(env);
  for (let k = 0; k < 8; k++) putF80(out, env.length + 10 * k, st(f, k));
  checkImage(b, ref, out.length, small ? 2 : 4, true);
  writeBytes(b, ref, out);
  f.init();
};

// ---------------------------------------------------------------------------
// FXSAVE / FXRSTOR
// ---------------------------------------------------------------------------

/**
 * The 512-byte operand must be 16-byte aligned (linear address): #GP(0).
 * A first byte outside its segment faults before that (#SS for SS): the
 * host's order for FXRSTOR, taken for FXSAVE too.
 */
function fxRef(b: ConcreteBackend, i: Instruction, write: boolean): MemRef {
  const ref = memRef(b, mem(i));
  b.linear(ref.seg, ref.ea, 1, write);
  if ((b.cpu.segs[ref.seg]!.base + ref.ea) & 15) b.raise(Vector.GP, 0);
  return ref;
}

/** Bytes FXSAVE writes: the x87 and MXCSR header, ST0-7, XMM0-7 (bytes 288-511 are left alone). */
const FXSAVE_WRITTEN = 288;

const fxsave: Routine = (b, i) => {
  const f = enterFxsr(b);
  const ref = fxRef(b, i, true);
  const out = new Uint8Array(FXSAVE_WRITTEN);
  put16(out, 0, f.cw);
  put16(out, 2, f.statusWord());
  out[4] = f.abridgedTagWord();
  if (f.pending) {
    put16(out, 6, f.fop);
    put32(out, 8, f.fip);
    put16(out, 12, f.fcs);
    put32(out, 16, f.fdp);
    put16(out, 20, f.fds);
  }
  put32(out, 24, f.mxcsr);
  put32(out, 28, MXCSR_MASK);
  for (let k = 0; k < 8; k++) putF80(out, 32 + 16 * k, st(f, k));
  checkImage(b, ref, 512, 0, true);
  writeBytes(b, ref, out);
};

const fxrstor: Routine = (b, i) => {
  const f = enterFxsr(b);
  const ref = fxRef(b, i, false);
  checkImage(b, ref, 512, 0, false);
  const bytes = readBytes(b, ref, 512);
  const mxcsr = get32(bytes, 24);
  if (mxcsr & ~MXCSR_MASK) b.raise(Vector.GP, 0);
  f.setControlWord(get16(bytes, 0));
  f.setStatusWord(get16(bytes, 2));
  f.setAbridgedTagWord(bytes[4]!);
  f.fop = get16(bytes, 6) & 0x7ff;
  f.fip = get32(bytes, 8);
  f.fcs = get16(bytes, 12);
  f.fdp = get32(bytes, 16);
  f.fds = get16(bytes, 20);
  f.mxcsr = mxcsr;
  for (let k = 0; k < 8; k++) {
    const v = f80Of(bytes, 32 + 16 * k);
    const p = f.phys(k);
    f.sexp[p] = (v.sign << 15) | v.exp;
    f.sig[p] = v.sig;
  }
  if (!f.pending) f.ferr = false;
};

// ---------------------------------------------------------------------------
// Stack housekeeping
// ---------------------------------------------------------------------------

/** FFREE: tag ST(i) empty (C1 cleared, as on the host; the manual leaves C0-C3 undefined). */
const ffree: Routine = (b, i) => {
  const f = enterX87(b);
  f.empty |= 1 << f.phys((i.operands[0] as { index: number }).index);
  f.sw &= ~Sw.C1;
  recordPointers(b, i, f);
};

/** FFREEP: free ST(i), then pop. */
const ffreep: Routine = (b, i) => {
  const f = enterX87(b);
  f.empty |= 1 << f.phys((i.operands[0] as { index: number }).index);
  f.sw &= ~Sw.C1;
  pop(f);
  recordPointers(b, i, f);
};

function moveTop(delta: number): Routine {
  return (b, i) => {
    const f = enterX87(b);
    f.top = (f.top + delta) & 7;
    f.sw &= ~Sw.C1;
    recordPointers(b, i, f);
  };
}

const fnop: Routine = (b, i) => {
  recordPointers(b, i, enterX87(b));
};

/** FNENI, FNDISI, FNSETPM: the 8087/287's interrupt and protected-mode controls, no-wait no-ops since the 387. */
const fnnop: Routine = (b) => {
  enterX87(b, false);
};

const fwait: Routine = (b) => {
  enterWait(b);
};

export const CONTROL_ROUTINES: Record<string, Routine> = {
  fldcw, fnstcw, fnstsw, fnclex, fninit, fldenv, fnstenv, frstor, fnsave, fxsave, fxrstor,
  ffree, ffreep, fincstp: moveTop(1), fdecstp: moveTop(-1), fnop, fnnop, fwait,
};
