/**
 * What far transfers, event delivery and task switches share (SDM vol. 3,
 * chapters 5 and 6): IDT error codes, descriptor-type tests, stack
 * frames pushed and popped with the processor's own limit checks, code-
 * and stack-segment loads for a privilege change, and the EFLAGS bits each
 * privilege level may change.
 *
 * A frame is limit-checked and its pages translated before any byte of it
 * is written, and registers change only after that: a fault while pushing
 * leaves the CPU state as it was, as the processor's does.
 */
import { type Instruction, Reg, Seg } from '../../translator/table/types.js';
import { Flag } from '../../translator/semantics/backend.js';
import type { ConcreteBackend } from '../concrete-backend.js';
import { CR0_PE, type CpuState, type SegmentCache } from '../cpu.js';
import { GuestFault, Vector } from '../exceptions.js';
import type { PhysicalMemory } from '../memory.js';
import { Access, type Mmu } from '../mmu.js';
import type { SystemContext } from './context.js';
import { type Descriptor, descDpl, descIsCode, descIsCodeOrData, descPresent, readDescriptor, segmentCacheOf } from './descriptors.js';
import { readLinear, writeLinear } from './linear.js';
import { isNullSelector, selectorErrorCode as selectorError } from './segments.js';

/** An error code naming an IDT entry: IDT bit (1) set, EXT in bit 0. */
export const idtError = (vector: number, ext = false): number => ((vector & 0xff) << 3) | 2 | (ext ? 1 : 0);

/** Code descriptor with the conforming bit (type bit 2). */
export const isConforming = (d: Descriptor): boolean => descIsCode(d) && (d.hi & 0x400) !== 0;

/** A writable data segment (the only kind SS may hold). */
export const isWritableData = (d: Descriptor): boolean => descIsCodeOrData(d) && !descIsCode(d) && (d.hi & 0x200) !== 0;

/** What DS, ES, FS, GS may hold: data, or readable code. */
export const isReadable = (d: Descriptor): boolean => descIsCodeOrData(d) && (!descIsCode(d) || (d.hi & 0x200) !== 0);

/** EFLAGS bits that exist on this CPU (no VME/PVI extensions: VIF and VIP are plain bits). */
export const EFLAGS_VALID = 0x3f7fd5;

/** The selector-less cache a segment register holds after a null load (protected mode): any use is #GP(0). */
export function nullSegment(selector = 0): SegmentCache {
  return { selector: selector & 0xffff, base: 0, limit: 0, access: 0, big: false, unusable: true };
}

/** An offset range inside a segment's limit (SDM vol. 3, 5.3): expand-down data segments hold (limit, top]. */
export function withinLimit(seg: SegmentCache, offset: number, size: number): boolean {
  const off = offset >>> 0;
  const expandDown = (seg.access & 0x1c) === 0x14;
  if (expandDown) return off > seg.limit && off + size - 1 <= (seg.big ? 0xffffffff : 0xffff);
  return off + size - 1 <= seg.limit;
}

/** A stack: the SS cache that addresses it and a stack pointer (ESP, or SP in its low half when SS.B = 0). */
export interface StackRef {
  readonly seg: SegmentCache;
  readonly esp: number;
}

/** Offset of the stack pointer moved by `delta` bytes, wrapped at the stack's address size. */
export function stackOffsetBy(seg: SegmentCache, esp: number, delta: number): number {
  return seg.big ? (esp + delta) >>> 0 : (esp + delta) & 0xffff;
}

/** The ESP value after moving it by `delta`: a 16-bit stack changes only SP. */
export function espAfter(seg: SegmentCache, esp: number, delta: number): number {
  return seg.big ? (esp + delta) | 0 : (esp & ~0xffff) | ((esp + delta) & 0xffff);
}

/**
 * Push `values` (in push order, each `size` bytes) on a stack. Every slot
 * is checked against the limit (#SS(errorCode)) and translated for writing
 * before the first is written. `supervisor` says whether the accesses are
 * made at CPL < 3 (the new privilege level, which need not be the current
 * one). Returns the new ESP.
 */
export function pushFrame(ctx: SystemContext, stack: StackRef, values: readonly number[], size: 2 | 4, errorCode: number, supervisor: boolean): number {
  const { seg, esp } = stack;
  const slots: number[] = [];
  for (let k = 0; k < values.length; k++) {
    const off = stackOffsetBy(seg, esp, -size * (k + 1));
    if (!withinLimit(seg, off, size)) throw new GuestFault(Vector.SS, errorCode);
    slots.push(off);
  }
  for (const off of slots) probeWrite(ctx, (seg.base + off) >>> 0, size, supervisor);
  for (let k = 0; k < values.length; k++) writeLinear(ctx, (seg.base + slots[k]!) >>> 0, size, values[k]!, supervisor);
  return espAfter(seg, esp, -size * values.length);
}

/** #SS(errorCode) unless `bytes` more bytes fit below the stack pointer (the "stack has room" checks of CALL and INT n). */
export function checkRoom(stack: StackRef, bytes: number, errorCode: number): void {
  if (!withinLimit(stack.seg, stackOffsetBy(stack.seg, stack.esp, -bytes), bytes)) throw new GuestFault(Vector.SS, errorCode);
}

/** Translate both ends of an access for writing, so that a later write cannot fault. */
function probeWrite(ctx: SystemContext, linear: number, size: number, supervisor: boolean): void {
  ctx.mmu.translate(linear, Access.Write, supervisor);
  const last = (linear + size - 1) >>> 0;
  if (last >>> 12 !== linear >>> 12) ctx.mmu.translate(last, Access.Write, supervisor);
}

/**
 * Read `count` slots of `size` bytes from the top of a stack, at `skip`
 * bytes above ESP, as the current privilege level. All slots are limit-
 * checked first (#SS(errorCode)).
 */
export function peekFrame(ctx: SystemContext, stack: StackRef, count: number, size: 2 | 4, skip = 0, errorCode = 0): number[] {
  const { seg, esp } = stack;
  const offs: number[] = [];
  for (let k = 0; k < count; k++) {
    const off = stackOffsetBy(seg, esp, skip + size * k);
    if (!withinLimit(seg, off, size)) throw new GuestFault(Vector.SS, errorCode);
    offs.push(off);
  }
  return offs.map((off) => readLinear(ctx, (seg.base + off) >>> 0, size, false));
}

/** The current stack. */
export function currentStack(ctx: SystemContext): StackRef {
  return { seg: ctx.cpu.segs[Seg.SS]!, esp: ctx.cpu.regs[4]! };
}

/** Load CS from a checked code descriptor with its RPL set to the new CPL. The caller refreshes the mode. */
export function loadCodeSegment(ctx: SystemContext, selector: number, d: Descriptor, cpl: number): void {
  ctx.cpu.setSeg(Seg.CS, segmentCacheOf((selector & ~3) | cpl, d));
  ctx.cpu.cpl = cpl;
}

/** Read the descriptor a non-null selector names, or raise `vector`(selector | EXT) when it lies past its table's limit. */
export function descriptorOrFault(ctx: SystemContext, selector: number, vector: number, ext = false): Descriptor {
  const d = readDescriptor(ctx, selector);
  if (!d) throw new GuestFault(vector, selectorError(selector, ext));
  return d;
}

/**
 * The stack segment for a transfer to an inner level (CALL through a gate,
 * interrupt or exception), named by the TSS: SDM vol. 2, CALL
 * "MORE-PRIVILEGE" and INT n "INTER-PRIVILEGE-LEVEL-INTERRUPT". Faults
 * are #TS(SS selector | EXT), or #SS(SS selector | EXT) when not present.
 */
export function innerStackDescriptor(ctx: SystemContext, ss: number, dpl: number, ext: boolean): Descriptor {
  if (isNullSelector(ss)) throw new GuestFault(Vector.TS, selectorError(ss, ext));
  const d = descriptorOrFault(ctx, ss, Vector.TS, ext);
  if ((ss & 3) !== dpl || descDpl(d) !== dpl || !isWritableData(d)) throw new GuestFault(Vector.TS, selectorError(ss, ext));
  if (!descPresent(d)) throw new GuestFault(Vector.SS, selectorError(ss, ext));
  return d;
}

/**
 * The stack segment popped by a return to an outer level (RET far, IRET):
 * SDM vol. 2, RET "RETURN-TO-OUTER-PRIVILEGE-LEVEL". `rpl` is the return
 * code segment selector's RPL. Faults are #GP(0) for null, #GP(SS
 * selector), or #SS(SS selector) when not present.
 */
export function outerStackDescriptor(ctx: SystemContext, ss: number, rpl: number): Descriptor {
  if (isNullSelector(ss)) throw new GuestFault(Vector.GP, 0);
  const d = descriptorOrFault(ctx, ss, Vector.GP);
  if ((ss & 3) !== rpl || descDpl(d) !== rpl || !isWritableData(d)) throw new GuestFault(Vector.GP, selectorError(ss));
  if (!descPresent(d)) throw new GuestFault(Vector.SS, selectorError(ss));
  return d;
}

/**
 * The inner stack of privilege level `dpl` from the current TSS (SDM vol.
 * 3, 7.2.1: SSn:ESPn in a 32-bit TSS, SSn:SPn in a 16-bit one); #TS(TSS
 * selector | EXT) when the slot lies past the TSS limit.
 */
export function tssStack(ctx: SystemContext, dpl: number, ext: boolean): { ss: number; esp: number } {
  const tr = ctx.cpu.tr;
  if (tr.access & 8) {
    const at = 8 * dpl + 4;
    if (at + 5 > tr.limit) throw new GuestFault(Vector.TS, selectorError(tr.selector, ext));
    return { esp: readLinear(ctx, tr.base + at, 4), ss: readLinear(ctx, tr.base + at + 4, 2) };
  }
  const at = 4 * dpl + 2;
  if (at + 3 > tr.limit) throw new GuestFault(Vector.TS, selectorError(tr.selector, ext));
  return { esp: readLinear(ctx, tr.base + at, 2), ss: readLinear(ctx, tr.base + at + 2, 2) };
}

/**
 * The EFLAGS bits IRET (and POPF) may change (SDM vol. 2, IRET and POPF):
 * the arithmetic flags, TF, DF, NT always; RF, AC, ID with a 32-bit
 * operand; IF only when CPL ≤ IOPL; IOPL, and with a 32-bit operand VIF
 * and VIP, only at CPL 0.
 */
export function iretFlagMask(cpl: number, iopl: number, opsize: 2 | 4): number {
  let mask = Flag.CF | Flag.PF | Flag.AF | Flag.ZF | Flag.SF | Flag.TF | Flag.DF | Flag.OF | Flag.NT;
  if (opsize === 4) mask |= Flag.RF | Flag.AC | Flag.ID;
  if (cpl <= iopl) mask |= Flag.IF;
  if (cpl === 0) mask |= Flag.IOPL | (opsize === 4 ? Flag.VIF | Flag.VIP : 0);
  return mask;
}

/** IOPL of the current EFLAGS. */
export function currentIopl(ctx: SystemContext): number {
  return (ctx.b.eflags() >>> 12) & 3;
}

/** Instructions that exist only in protected mode proper: #UD in virtual-8086 mode, before any privilege check (vol. 2, LLDT, LTR). */
const PROTECTED_MODE_ONLY: ReadonlySet<string> = new Set(['lldt', 'ltr']);

/** What the privilege pre-checks read: the CPU, EFLAGS through the backend, and the TSS through the MMU. */
export interface PrivilegeView {
  readonly cpu: CpuState;
  readonly backend: ConcreteBackend;
  readonly mmu: Mmu;
  readonly mem: PhysicalMemory;
}

/**
 * The checks the opcode table's `cpl0` and `iopl` attributes stand for,
 * made before the instruction runs (SDM vol. 2 for each instruction; vol.
 * 3, 20.2.7-20.2.8 for virtual-8086 mode, whose CPL is 3):
 * - cpl0: #GP(0) unless CPL = 0 (LLDT and LTR are #UD in virtual-8086 mode);
 * - CLI, STI: #GP(0) in protected and virtual-8086 mode when CPL > IOPL;
 * - IN, OUT, INS, OUTS: when CPL > IOPL or in virtual-8086 mode, the TSS
 *   I/O permission bitmap must clear every bit of the ports accessed
 *   (vol. 1, 19.5), else #GP(0).
 * Real-address mode checks nothing. PUSHF, POPF, INT n and IRET make
 * their virtual-8086 checks in their own routines.
 */
export function checkPrivilege(view: PrivilegeView, insn: Instruction): void {
  const { cpu, backend: b } = view;
  const row = insn.row;
  const v86 = cpu.mode.v86;
  const cpl = v86 ? 3 : cpu.cpl;
  if (row.cpl0 && cpl !== 0) throw new GuestFault(v86 && PROTECTED_MODE_ONLY.has(row.sem) ? Vector.UD : Vector.GP, 0);
  if (!row.iopl || !(cpu.cr0 & CR0_PE)) return;
  const iopl = (b.eflags() >>> 12) & 3;
  if (row.group !== 'io') {
    if (cpl > iopl) throw new GuestFault(Vector.GP, 0);
    return;
  }
  if (!v86 && cpl <= iopl) return;
  // Made even when a REP prefix's count is zero (as this host's CPU does: REP OUTSW with ECX = 0 at CPL 3 faults).
  const { port, size } = ioAccess(b, insn);
  if (!ioPermitted(view, port, size)) throw new GuestFault(Vector.GP, 0);
}

/** The port and width of an IN, OUT, INS or OUTS. */
function ioAccess(b: ConcreteBackend, insn: Instruction): { port: number; size: number } {
  const ops = insn.operands;
  let port = -1;
  let size = 1;
  for (const op of ops) {
    if (op.kind === 'imm') port = op.value & 0xff;
    else if (op.kind === 'reg' && op.reg === Reg.EDX && op.size === 2 && insn.row.operands.includes('DX')) port = b.reg(Reg.EDX, 2);
    if ((op.kind === 'reg' && op.reg === Reg.EAX) || op.kind === 'mem') size = op.size;
  }
  if (port < 0) port = b.reg(Reg.EDX, 2);
  return { port, size };
}

/**
 * The I/O permission bitmap of a 32-bit TSS (vol. 1, 19.5.2): its offset
 * is the word at 66H; the two bytes holding the port's bits must lie
 * within the TSS limit and every bit for the accessed ports must be clear.
 * A 16-bit TSS has no bitmap; neither has a TR that LTR never loaded (a
 * null selector: the reset state's TR names no TSS, so nothing is read).
 */
export function ioPermitted(view: PrivilegeView, port: number, size: number): boolean {
  const tr = view.cpu.tr;
  if (tr.unusable || isNullSelector(tr.selector) || !(tr.access & 8) || tr.limit < 0x67) return false;
  const read8 = (off: number): number => view.mem.read8(view.mmu.translate((tr.base + off) >>> 0, Access.Read, true));
  const mapBase = read8(0x66) | (read8(0x67) << 8);
  const at = mapBase + (port >>> 3);
  if (at + 1 > tr.limit) return false;
  const bits = read8(at) | (read8(at + 1) << 8);
  const mask = ((1 << size) - 1) << (port & 7);
  return (bits & mask) === 0;
}
