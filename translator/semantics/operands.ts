/**
 * Generic operand load and write-back, effective addresses and the stack:
 * an operation's routine only does the operation (STYLE.md lesson 3).
 */
import type { Backend } from './backend.js';
import { type Instruction, type MemOperand, type Operand, Reg, Seg, type Size } from '../table/types.js';

/** Offset of a memory operand within its segment (wrapped to the address size). */
export function effectiveAddress<V>(b: Backend<V>, m: MemOperand): V {
  let ea: V | undefined;
  if (m.base >= 0) ea = b.reg(m.base, 4);
  if (m.index >= 0) {
    const idx = m.scale ? b.shl(b.reg(m.index, 4), b.k(m.scale)) : b.reg(m.index, 4);
    ea = ea === undefined ? idx : b.add(ea, idx);
  }
  if (ea === undefined) return b.k(m.disp);
  if (m.disp !== 0) ea = b.add(ea, b.k(m.disp));
  return m.adsize === 2 ? b.zx(ea, 2) : ea;
}

/** Size in bytes of a register, memory or immediate operand. */
export function sizeOf(op: Operand): Size {
  switch (op.kind) {
    case 'reg': case 'imm': return op.size;
    case 'mem': return op.size as Size;
    default: return 2;
  }
}

/** Read an operand; memory operands read through their segment. */
export function read<V>(b: Backend<V>, op: Operand): V {
  switch (op.kind) {
    case 'reg': return b.reg(op.reg, op.size);
    case 'mem': return b.load(op.seg, effectiveAddress(b, op), op.size as Size);
    case 'imm': return b.k(op.value);
    case 'rel': return b.k(op.target);
    case 'sreg': return b.sreg(op.reg as Seg);
    default: throw new Error(`cannot read a ${op.kind} operand`);
  }
}

/** Write an operand, truncating to its size. */
export function write<V>(b: Backend<V>, op: Operand, v: V): void {
  switch (op.kind) {
    case 'reg': b.setReg(op.reg, op.size, v); return;
    case 'mem': b.store(op.seg, effectiveAddress(b, op), op.size as Size, v); return;
    default: throw new Error(`cannot write a ${op.kind} operand`);
  }
}

/**
 * A read-modify-write destination: the address is computed once, and the
 * read is done with write intent, as the CPU does: a fault on it reports a
 * write (the #PF error code has W set) even though nothing was written yet.
 */
export function rmw<V>(b: Backend<V>, op: Operand): { value: V; set(v: V): void } {
  if (op.kind === 'mem') {
    const ea = effectiveAddress(b, op);
    const size = op.size as Size;
    b.probeWrite(op.seg, ea, size);
    return { value: b.load(op.seg, ea, size), set: (v) => b.store(op.seg, ea, size, v) };
  }
  return { value: read(b, op), set: (v) => write(b, op, v) };
}

/** The stack pointer (ESP or SP by SS.B). */
export function stackPointer<V>(b: Backend<V>): V {
  return b.reg(Reg.ESP, b.mode.stack32 ? 4 : 2);
}

/** Write the stack pointer, preserving the high half of ESP on a 16-bit stack. */
export function setStackPointer<V>(b: Backend<V>, v: V): void {
  b.setReg(Reg.ESP, b.mode.stack32 ? 4 : 2, v);
}

/** Stack offset `delta` bytes from the current stack pointer, wrapped to the stack size. */
export function stackOffset<V>(b: Backend<V>, delta: number): V {
  const sp = b.add(stackPointer(b), b.k(delta));
  return b.mode.stack32 ? sp : b.zx(sp, 2);
}

/** PUSH: write below the stack pointer, then move it (a fault leaves ESP unchanged). */
export function push<V>(b: Backend<V>, v: V, size: Size): void {
  const sp = stackOffset(b, -size);
  b.store(Seg.SS, sp, size, v);
  setStackPointer(b, sp);
}

/** POP: read at the stack pointer, then move it. */
export function pop<V>(b: Backend<V>, size: Size): V {
  const v = b.load(Seg.SS, stackPointer(b), size);
  setStackPointer(b, stackOffset(b, size));
  return v;
}

/** Operand size in bytes as a Size. */
export function osize(i: Instruction): Size {
  return i.opsize;
}

/** Mask a branch target to the operand size (IP wraps at 64 KiB with a 16-bit operand size). */
export function branchTarget<V>(b: Backend<V>, i: Instruction, target: V): V {
  return i.opsize === 2 ? b.zx(target, 2) : target;
}
