/**
 * Semantics of data movement, exchange, the stack and string instructions
 * (SDM vol. 2).
 *
 * Routines do their memory accesses (the ones that can fault) before any
 * register or flag write, so a fault leaves the state precise. The
 * exceptions follow the differential oracle's CPU (an AMD part), which the
 * manual does not contradict: PUSHA and ENTER store slot by slot (a fault
 * part-way leaves the slots already written, ESP unchanged) and POPA
 * writes each register as it pops it. REP string instructions execute one
 * iteration per execution and jump back to themselves while iterations
 * remain: interrupts and page faults then fall between iterations, as on
 * the CPU. PUSHF/POPF and the segment-register forms are sensitive in the
 * VMM's eyes; what is written here is their user-mode architectural
 * behaviour.
 */
import type { Backend, Sem } from './backend.js';
import { Flag, FlagOp } from './backend.js';
import { type Instruction, type MemOperand, type Operand, Reg, Seg, type Size } from '../table/types.js';
import { Vector } from '../../runtime/exceptions.js';
import {
  effectiveAddress, pop, push, read, rmw, setStackPointer, sizeOf, stackOffset, stackPointer, write,
} from './operands.js';

function operand(i: Instruction, n: number): Operand {
  const op = i.operands[n];
  if (op === undefined) throw new Error(`${i.row.mnemonic}: missing operand ${n}`);
  return op;
}

function memOperand(i: Instruction, n: number): MemOperand {
  const op = operand(i, n);
  if (op.kind !== 'mem') throw new Error(`${i.row.mnemonic}: operand ${n} must be memory`);
  return op;
}

// ---------------------------------------------------------------- moves

const mov: Sem = (b, i) => write(b, operand(i, 0), read(b, operand(i, 1)));

const movzx: Sem = (b, i) => write(b, operand(i, 0), read(b, operand(i, 1)));

const movsx: Sem = (b, i) => {
  const src = operand(i, 1);
  write(b, operand(i, 0), b.sx(read(b, src), sizeOf(src)));
};

/** LEA: the offset computed with the address size, truncated to the operand size by the write. */
const lea: Sem = (b, i) => write(b, operand(i, 0), effectiveAddress(b, memOperand(i, 1)));

/** XLAT: AL = [seg:(E)BX + AL], DS unless overridden. */
const xlat: Sem = (b, i) => {
  const seg = i.segOverride >= 0 ? (i.segOverride as Seg) : Seg.DS;
  const offset = b.zx(b.add(b.reg(Reg.EBX, 4), b.reg(Reg.EAX, 1)), i.adsize);
  b.setReg(Reg.EAX, 1, b.load(seg, offset, 1));
};

/** MOV Ev, Sreg: a 32-bit register gets the zero-extended selector; memory always gets 16 bits. */
const movFromSeg: Sem = (b, i) => {
  const dst = operand(i, 0);
  const selector = read(b, operand(i, 1));
  if (dst.kind === 'mem') b.store(dst.seg, effectiveAddress(b, dst), 2, selector);
  else write(b, dst, selector);
};

// ---------------------------------------------------------------- exchange

/** XCHG: the register operand is the second one; a memory destination is read and written before it. */
const xchg: Sem = (b, i) => {
  const dst = rmw(b, operand(i, 0));
  const src = operand(i, 1);
  const other = read(b, src);
  dst.set(other);
  write(b, src, dst.value);
};

/**
 * XADD: TEMP = SRC + DEST; SRC = DEST; DEST = TEMP. With a register
 * destination the order of the writes decides `xadd eax, eax` (DEST last);
 * with memory the store goes first so that a fault leaves SRC intact.
 */
const xadd: Sem = (b, i) => {
  const d = operand(i, 0);
  const s = operand(i, 1);
  const size = sizeOf(d);
  const dst = rmw(b, d);
  const src = read(b, s);
  const sum = b.add(dst.value, src);
  if (d.kind === 'mem') {
    dst.set(sum);
    write(b, s, dst.value);
  } else {
    write(b, s, dst.value);
    dst.set(sum);
  }
  b.flagsOp(FlagOp.Add, size, sum, dst.value, src);
};

/**
 * CMPXCHG: flags of CMP accumulator, DEST. Equal: DEST = SRC. Not equal:
 * accumulator = DEST, and DEST is written back with its own value (so a
 * read-only page faults either way). The accumulator is written before
 * DEST so that `cmpxchg eax, r` ends with DEST's new value.
 */
const cmpxchg: Sem = (b, i) => {
  const d = operand(i, 0);
  const size = sizeOf(d);
  const dst = rmw(b, d);
  const src = read(b, operand(i, 1));
  const acc = b.reg(Reg.EAX, size);
  const equal = b.eq(acc, dst.value);
  const newDest = b.select(equal, src, dst.value);
  if (d.kind === 'mem') {
    dst.set(newDest);
    b.setReg(Reg.EAX, size, b.select(equal, acc, dst.value));
  } else {
    b.setReg(Reg.EAX, size, b.select(equal, acc, dst.value));
    dst.set(newDest);
  }
  b.flagsOp(FlagOp.Sub, size, b.sub(acc, dst.value), acc, dst.value);
};

/**
 * CMPXCHG8B: EDX:EAX against m64; ZF only. The quadword is always written
 * (back); the CPU checks it for writing before reading it (a not-present
 * page reports a write, a CS override #GP).
 */
const cmpxchg8b: Sem = (b, i) => {
  const m = memOperand(i, 0);
  const ea = effectiveAddress(b, m);
  const eaHigh = b.add(ea, b.k(4));
  b.probeWrite(m.seg, ea, 8);
  const lo = b.load(m.seg, ea, 4);
  const hi = b.load(m.seg, eaHigh, 4);
  const eax = b.reg(Reg.EAX, 4);
  const edx = b.reg(Reg.EDX, 4);
  const equal = b.and(b.eq(lo, eax), b.eq(hi, edx));
  b.store(m.seg, ea, 4, b.select(equal, b.reg(Reg.EBX, 4), lo));
  b.store(m.seg, eaHigh, 4, b.select(equal, b.reg(Reg.ECX, 4), hi));
  b.setReg(Reg.EAX, 4, b.select(equal, eax, lo));
  b.setReg(Reg.EDX, 4, b.select(equal, edx, hi));
  b.setFlag(Flag.ZF, equal);
};

// ---------------------------------------------------------------- stack

/** PUSH: the operand (ESP itself, or memory addressed through ESP) is read before the decrement. */
const pushSem: Sem = (b, i) => push(b, read(b, operand(i, 0)), i.opsize);

/**
 * POP: a register destination is written after ESP moves (so POP ESP loads
 * the popped value). A memory destination's address is computed with the
 * incremented ESP (SDM), but ESP is committed only after the store, so a
 * faulting store leaves it unchanged.
 */
const popSem: Sem = (b, i) => {
  const dst = operand(i, 0);
  if (dst.kind !== 'mem') {
    write(b, dst, pop(b, i.opsize));
    return;
  }
  const value = b.load(Seg.SS, stackPointer(b), i.opsize);
  const newSp = stackOffset(b, i.opsize);
  let ea = effectiveAddress(b, dst);
  if (dst.base === Reg.ESP) {
    // Only 32-bit addressing can use ESP as a base: the address moves by the change of the full ESP.
    const oldEsp = b.reg(Reg.ESP, 4);
    const newEsp = b.mode.stack32 ? newSp : b.or(b.and(oldEsp, b.k(0xffff0000)), newSp);
    ea = b.add(ea, b.sub(newEsp, oldEsp));
  }
  b.store(dst.seg, ea, i.opsize, value);
  setStackPointer(b, newSp);
};

/** PUSH Sreg: with a 32-bit operand size the selector is pushed zero-extended (as the differential oracle's CPU does). */
const pushSeg: Sem = (b, i) => push(b, read(b, operand(i, 0)), i.opsize);

const PUSHA_ORDER = [Reg.EAX, Reg.ECX, Reg.EDX, Reg.EBX, Reg.ESP, Reg.EBP, Reg.ESI, Reg.EDI] as const;

/**
 * PUSHA/PUSHAD: eight pushes in order, the ESP slot holding the original
 * value. The stores are sequential (a fault part-way leaves the slots
 * already written, as the oracle's CPU does); ESP moves only at the end.
 */
const pusha: Sem = (b, i) => {
  const size = i.opsize;
  PUSHA_ORDER.forEach((r, n) => {
    b.store(Seg.SS, stackOffset(b, -(n + 1) * size), size, b.reg(r, size));
  });
  setStackPointer(b, stackOffset(b, -8 * size));
};

/**
 * POPA/POPAD: EDI, ESI, EBP, (ESP slot read but discarded), EBX, EDX, ECX,
 * EAX, each register written as soon as its slot is read: a fault part-way
 * leaves the registers already popped changed but ESP unchanged (what the
 * oracle's CPU does).
 */
const popa: Sem = (b, i) => {
  const size = i.opsize;
  const sp = stackPointer(b);
  for (let n = 7; n >= 0; n--) {
    const r = PUSHA_ORDER[n]!;
    const at = b.add(sp, b.k((7 - n) * size));
    const v = b.load(Seg.SS, b.mode.stack32 ? at : b.zx(at, 2), size);
    if (r !== Reg.ESP) b.setReg(r, size, v);
  }
  setStackPointer(b, stackOffset(b, 8 * size));
};

/** Flags POPF may write at any privilege: CF PF AF ZF SF TF DF OF NT, plus AC and ID (32-bit). */
const POPF_BASE = Flag.CF | Flag.PF | Flag.AF | Flag.ZF | Flag.SF | Flag.TF | Flag.DF | Flag.OF | Flag.NT | Flag.AC | Flag.ID;

/** v8086 mode without VME: PUSHF/POPF need IOPL 3, else #GP(0). */
function v86Check<V>(b: Backend<V>): void {
  if (!b.mode.v86) return;
  b.if_(b.ne(b.and(b.eflags(), b.k(Flag.IOPL)), b.k(Flag.IOPL)), () => b.raise(Vector.GP, 0));
}

/** PUSHF/PUSHFD: EFLAGS with VM and RF cleared (the low 16 bits with a 16-bit operand size). */
const pushf: Sem = (b, i) => {
  v86Check(b);
  push(b, b.and(b.eflags(), b.k(~(Flag.VM | Flag.RF))), i.opsize);
};

/**
 * POPF/POPFD: IOPL changes only at CPL 0, IF only when CPL <= IOPL; VM,
 * VIP, VIF and the reserved bits never change; RF is cleared by POPFD;
 * with a 16-bit operand size only the low 16 bits change.
 */
const popf: Sem = (b, i) => {
  v86Check(b);
  const cpl = b.mode.v86 ? 3 : b.mode.cpl;
  let mask = POPF_BASE | (cpl === 0 ? Flag.IOPL : 0);
  if (i.opsize === 4) mask |= Flag.RF;
  else mask &= 0xffff;
  const value = b.and(pop(b, i.opsize), b.k(~Flag.RF));
  if (cpl === 0) {
    b.setEflags(value, mask | Flag.IF);
    return;
  }
  const iopl = b.shrU(b.and(b.eflags(), b.k(Flag.IOPL)), b.k(12));
  b.if_(b.leU(b.k(cpl), iopl), () => b.setEflags(value, mask | Flag.IF), () => b.setEflags(value, mask));
};

/**
 * ENTER imm16, imm8: push (E)BP, copy level-1 frame pointers from the old
 * frame, push the frame pointer, then check the final stack pointer for a
 * write and allocate imm16 bytes. Like the oracle's CPU, the pushes are
 * sequential (a fault part-way leaves the slots already written), but
 * ESP and EBP change only at the end. With a 16-bit stack the frame
 * pointer keeps ESP's upper half.
 */
function enter<V>(b: Backend<V>, i: Instruction): void {
  const alloc = operand(i, 0);
  const lvl = operand(i, 1);
  const allocSize = alloc.kind === 'imm' ? alloc.value : 0;
  const level = (lvl.kind === 'imm' ? lvl.value : 0) & 31;
  const size = i.opsize;
  const stackSize: Size = b.mode.stack32 ? 4 : 2;

  const sp = stackOffset(b, -size);
  b.store(Seg.SS, sp, size, b.reg(Reg.EBP, size));
  const frameTemp = b.mode.stack32 ? sp : b.or(b.and(b.reg(Reg.ESP, 4), b.k(0xffff0000)), sp);
  const pushes = level === 0 ? 1 : level + 1;
  for (let n = 1; n < level; n++) {
    const from = b.zx(b.sub(b.reg(Reg.EBP, 4), b.k(n * size)), stackSize);
    b.store(Seg.SS, stackOffset(b, -(n + 1) * size), size, b.load(Seg.SS, from, size));
  }
  if (level > 0) b.store(Seg.SS, stackOffset(b, -pushes * size), size, frameTemp);
  const finalSp = stackOffset(b, -pushes * size - allocSize);
  b.probeWrite(Seg.SS, finalSp, size);
  setStackPointer(b, finalSp);
  b.setReg(Reg.EBP, size, frameTemp);
}

/** LEAVE: (E)SP = (E)BP by stack size, then pop (E)BP; the pop's read comes first. */
const leave: Sem = (b, i) => {
  const stackSize: Size = b.mode.stack32 ? 4 : 2;
  const sp = b.reg(Reg.EBP, stackSize);
  const value = b.load(Seg.SS, sp, i.opsize);
  setStackPointer(b, b.zx(b.add(sp, b.k(i.opsize)), stackSize));
  b.setReg(Reg.EBP, i.opsize, value);
};

// ---------------------------------------------------------------- strings

/** +size or -size by DF: size - 2*size*DF. */
function stringStep<V>(b: Backend<V>, size: Size): V {
  return b.sub(b.k(size), b.shl(b.flag(Flag.DF), b.k(size === 1 ? 1 : size === 2 ? 2 : 3)));
}

function advance<V>(b: Backend<V>, i: Instruction, r: Reg, step: V): void {
  b.setReg(r, i.adsize, b.add(b.reg(r, i.adsize), step));
}

/**
 * Run one iteration of a string instruction. Without a REP prefix that is
 * the whole instruction. With one: nothing when the count is 0; otherwise
 * one element, the count decremented, and a jump back to this instruction
 * while the count is not 0 and (REPE/REPNE of CMPS/SCAS) the ZF condition holds.
 */
function stringOp(element: <V>(b: Backend<V>, i: Instruction, step: V) => void): Sem {
  return (b, i) => {
    if (i.rep === 0) {
      element(b, i, stringStep(b, elementSize(i)));
      return;
    }
    const count = b.reg(Reg.ECX, i.adsize);
    b.if_(b.ne(count, b.k(0)), () => {
      element(b, i, stringStep(b, elementSize(i)));
      const left = b.zx(b.sub(count, b.k(1)), i.adsize);
      b.setReg(Reg.ECX, i.adsize, left);
      let again = b.ne(left, b.k(0));
      if (i.row.rep === 'repcc') {
        const zf = b.flag(Flag.ZF);
        again = b.and(again, i.rep === 0xf3 ? zf : b.eqz(zf));
      }
      b.if_(again, () => b.jump(b.k(i.eip)));
    });
  };
}

function elementSize(i: Instruction): Size {
  const m = i.operands.find((op) => op.kind === 'mem');
  return m ? sizeOf(m) : i.opsize;
}

/** MOVS: [ES:(E)DI] = [seg:(E)SI]. */
const movs = stringOp((b, i, step) => {
  const dst = memOperand(i, 0);
  const src = memOperand(i, 1);
  const size = sizeOf(dst);
  const v = b.load(src.seg, effectiveAddress(b, src), size);
  b.store(dst.seg, effectiveAddress(b, dst), size, v);
  advance(b, i, Reg.ESI, step);
  advance(b, i, Reg.EDI, step);
});

/** CMPS: flags of [seg:(E)SI] - [ES:(E)DI]. */
const cmps = stringOp(<V>(b: Backend<V>, i: Instruction, step: V) => {
  const src1 = memOperand(i, 0);
  const src2 = memOperand(i, 1);
  const size = sizeOf(src1);
  // Which fault wins when both operands fault: the oracle's CPU (AMD)
  // accesses ES:(E)DI first, except for REPE CMPSB, which reads the source first.
  let x: V, y: V;
  if (i.rep === 0xf3 && size === 1) {
    x = b.load(src1.seg, effectiveAddress(b, src1), size);
    y = b.load(src2.seg, effectiveAddress(b, src2), size);
  } else {
    y = b.load(src2.seg, effectiveAddress(b, src2), size);
    x = b.load(src1.seg, effectiveAddress(b, src1), size);
  }
  advance(b, i, Reg.ESI, step);
  advance(b, i, Reg.EDI, step);
  b.flagsOp(FlagOp.Sub, size, b.sub(x, y), x, y);
});

/** STOS: [ES:(E)DI] = AL/AX/EAX. */
const stos = stringOp((b, i, step) => {
  const dst = memOperand(i, 0);
  const size = sizeOf(dst);
  b.store(dst.seg, effectiveAddress(b, dst), size, b.reg(Reg.EAX, size));
  advance(b, i, Reg.EDI, step);
});

/** LODS: AL/AX/EAX = [seg:(E)SI]. */
const lods = stringOp((b, i, step) => {
  const src = memOperand(i, 1);
  const size = sizeOf(src);
  const v = b.load(src.seg, effectiveAddress(b, src), size);
  b.setReg(Reg.EAX, size, v);
  advance(b, i, Reg.ESI, step);
});

/** SCAS: flags of AL/AX/EAX - [ES:(E)DI]. */
const scas = stringOp((b, i, step) => {
  const src = memOperand(i, 1);
  const size = sizeOf(src);
  const acc = b.reg(Reg.EAX, size);
  const y = b.load(src.seg, effectiveAddress(b, src), size);
  advance(b, i, Reg.EDI, step);
  b.flagsOp(FlagOp.Sub, size, b.sub(acc, y), acc, y);
});

/** NOP, PAUSE and the 0F 18-1F hint NOPs: no memory access even with a memory operand. */
const nop: Sem = () => {};

export const DATA_SEMANTICS: Record<string, Sem> = {
  mov,
  movzx,
  movsx,
  lea,
  xlat,
  movFromSeg,
  pushSeg,
  xchg,
  xadd,
  cmpxchg,
  cmpxchg8b,
  push: pushSem,
  pop: popSem,
  pusha,
  popa,
  pushf,
  popf,
  enter,
  leave,
  movs,
  cmps,
  stos,
  lods,
  scas,
  nop,
};
