/**
 * Semantics of the near control transfers, loops and the software events
 * that are not sensitive (INT3, INTO, UD2, BOUND); SDM vol. 2.
 *
 * Far transfers, INT n, IRET, SYSENTER/SYSEXIT and HLT are hypervisor calls
 * (semantics/system.ts). The CS-limit check of a branch target is made by
 * the backend's `jump`, so every routine calls `jump` before its last
 * register write; where the manual leaves the order of two faults open,
 * the routines follow the differential oracle's CPU.
 */
import type { Backend, Sem } from './backend.js';
import { Flag } from './backend.js';
import { type Instruction, type OpcodeRow, type Operand, Reg, Seg, type Size } from '../table/types.js';
import { Vector } from '../../runtime/exceptions.js';
import { branchTarget, effectiveAddress, read, setStackPointer, stackOffset, stackPointer } from './operands.js';

/** Condition code of a Jcc row: the low nibble of its opcode byte ('74 cb', '0F 84 cd'). */
const conditionOfRow = new WeakMap<OpcodeRow, number>();

function conditionCode(row: OpcodeRow): number {
  let cc = conditionOfRow.get(row);
  if (cc === undefined) {
    const tokens = row.opcode.split(/\s+/);
    cc = parseInt(tokens[0] === '0F' ? tokens[1]! : tokens[0]!, 16) & 0xf;
    conditionOfRow.set(row, cc);
  }
  return cc;
}

/** The branch target of a Jb/Jz (already resolved) or Ev (read, masked to the operand size) operand. */
function targetOf<V>(b: Backend<V>, i: Instruction, op: Operand): V {
  return op.kind === 'rel' ? b.k(op.target) : branchTarget(b, i, read(b, op));
}

/** The count register of LOOP/JCXZ and REP: CX or ECX by address size. */
function countSize(i: Instruction): Size {
  return i.adsize;
}

const jcc: Sem = (b, i) => {
  const target = targetOf(b, i, i.operands[0]!);
  b.if_(b.cond(conditionCode(i.row)), () => b.jump(target));
};

const jmp: Sem = (b, i) => {
  b.jump(targetOf(b, i, i.operands[0]!));
};

/**
 * CALL: the target (which may be read from memory or from ESP itself) is
 * fetched first; then, as on the oracle's CPU, a stack fault wins over the
 * CS-limit #GP of the target (checked inside `jump`), and neither leaves
 * anything written. Faults report the instruction's own EIP even after `jump`.
 */
const call: Sem = (b, i) => {
  const target = targetOf(b, i, i.operands[0]!);
  const sp = stackOffset(b, -i.opsize);
  b.probeWrite(Seg.SS, sp, i.opsize);
  b.jump(target);
  b.store(Seg.SS, sp, i.opsize, b.k(i.nextEip));
  setStackPointer(b, sp);
};

/**
 * RET / RET imm16: pop EIP (IP zero-extended with a 16-bit operand size),
 * then release imm16 bytes. ESP moves only after the target passed the CS
 * limit check.
 */
const ret: Sem = (b, i) => {
  const imm = i.operands[0];
  const release = imm?.kind === 'imm' ? imm.value : 0;
  const target = b.load(Seg.SS, stackPointer(b), i.opsize);
  b.jump(target);
  setStackPointer(b, stackOffset(b, i.opsize + release));
};

/** LOOP, LOOPE, LOOPNE: decrement the count (flags untouched), branch while it is not zero and `extra` holds. */
function loopWith(extra: (<V>(b: Backend<V>) => V) | undefined): Sem {
  return (b, i) => {
    const size = countSize(i);
    const count = b.zx(b.sub(b.reg(Reg.ECX, size), b.k(1)), size);
    const target = targetOf(b, i, i.operands[0]!);
    const taken = extra ? b.and(b.ne(count, b.k(0)), extra(b)) : b.ne(count, b.k(0));
    // The branch (and its CS-limit check) comes before the count is written, so a #GP leaves ECX intact.
    b.if_(taken, () => b.jump(target));
    b.setReg(Reg.ECX, size, count);
  };
}

const jcxz: Sem = (b, i) => {
  const target = targetOf(b, i, i.operands[0]!);
  b.if_(b.eqz(b.reg(Reg.ECX, countSize(i))), () => b.jump(target));
};

const int3: Sem = (b) => b.raiseTrap(Vector.BP);

const into: Sem = (b) => {
  b.if_(b.flag(Flag.OF), () => b.raiseTrap(Vector.OF));
};

const ud: Sem = (b) => b.raise(Vector.UD);

/** BOUND: both signed bounds are read before the comparison; #BR when index < lower or index > upper. */
const bound: Sem = (b, i) => {
  const index = i.operands[0]!;
  const pair = i.operands[1]!;
  if (pair.kind !== 'mem' || index.kind !== 'reg') throw new Error('BOUND needs Gv, Ma');
  const size = i.opsize;
  const ea = effectiveAddress(b, pair);
  const lower = b.sx(b.load(pair.seg, ea, size), size);
  const upper = b.sx(b.load(pair.seg, b.add(ea, b.k(size)), size), size);
  const value = b.sx(b.reg(index.reg, size), size);
  b.if_(b.or(b.ltS(value, lower), b.ltS(upper, value)), () => b.raise(Vector.BR));
};

export const CONTROL_SEMANTICS: Record<string, Sem> = {
  jcc,
  jmp,
  call,
  ret,
  loop: loopWith(undefined),
  loope: loopWith((b) => b.flag(Flag.ZF)),
  loopne: loopWith((b) => b.eqz(b.flag(Flag.ZF))),
  jcxz,
  int3,
  into,
  ud,
  bound,
};
