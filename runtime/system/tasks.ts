/**
 * Hardware task switching (SDM vol. 3, 7.3; vol. 2, JMP/CALL "TASK-GATE"
 * and "TASK-STATE-SEGMENT", IRET "TASK-RETURN", INT n "TASK-GATE"): 32-
 * and 16-bit TSSs, busy bits, NT and the previous-task link, CR0.TS, the
 * whole register state, LDTR and CR3.
 *
 * Everything up to the commit point (the new TSS is read, the old one is
 * written) can fault and leave the CPU as it was; the checks of the new
 * task's LDT and segments come after it and raise their faults in the new
 * task's context, which NewTaskFault carries to the caller.
 *
 * Every switch is announced to the context's task-switch hook first
 * (setTaskSwitchHook), where VT-x takes its task-switch VM exit
 * (runtime/vmx/task-switch.ts). A switch clears DR7's local breakpoint
 * enables, and a new task with the T flag gets a #DB trap with DR6.BT.
 *
 * Where the manual is silent: a 16-bit TSS loads the low halves of the
 * general registers (the upper halves keep their values) and FLAGS with
 * the upper EFLAGS bits cleared; CR3 is loaded from a 32-bit TSS only
 * while paging is on.
 */
import { type Instruction, Seg } from '../../translator/table/types.js';
import { Flag } from '../../translator/semantics/backend.js';
import { CR0_TS, type SegmentCache } from '../cpu.js';
import { GuestFault, Vector } from '../exceptions.js';
import { Access } from '../mmu.js';
import type { SystemContext } from './context.js';
import {
  type Descriptor, descAccess, descBase, descDpl, descIsCode, descIsCodeOrData, descLimit, descPresent, descType,
  readDescriptor, segmentCacheOf, SysType, writeDescriptorHigh,
} from './descriptors.js';
import { DebugException, DR6_BT, DR7_LOCAL_ENABLES, recordDebugStatus } from './debug.js';
import type { GuestEvent } from './event-types.js';
import { readLinear, writeLinear } from './linear.js';
import { EFLAGS_VALID, isConforming, isReadable, isWritableData, nullSegment } from './privilege.js';
import { isNullSelector, loadV86Segment, markAccessed, selectorErrorCode as selectorError } from './segments.js';

/** What started a task switch: it decides busy bits, NT and the back link (vol. 3, 7.3 steps 6-11). */
export const enum TaskSource { Jmp = 0, Call = 1, Iret = 2, Interrupt = 3 }

/**
 * What caused a task switch, for the VM exit it causes: the instruction
 * (JMP, CALL, IRET), or the event delivered through a task gate in the IDT
 * (with the length of the INT n, INT3, INTO or INT1 that raised a software
 * event).
 */
export type TaskSwitchCause =
  | { readonly insn: Instruction }
  | { readonly event: GuestEvent; readonly instructionLength?: number };

/** A task switch about to happen: the new TSS's selector, what started it, and what caused it. */
export interface TaskSwitchRequest {
  readonly selector: number;
  readonly source: TaskSource;
  readonly cause: TaskSwitchCause;
}

/**
 * Told of every task switch once the checks of its source (gate, TSS
 * descriptor type, DPL, presence) have passed and before anything of the
 * switch itself is checked or written: where VT-x takes its task-switch VM
 * exit (vol. 3C, 25.4.2). It may record the exit and return, and the
 * switch goes on (the default VMM's handling), or throw to end the
 * instruction with the exit (the state is untouched).
 */
export type TaskSwitchHook = (request: TaskSwitchRequest) => void;

/** The hook of each vCPU's context (runtime/vmx/task-switch.ts installs the VMX one). */
const taskSwitchHooks = new WeakMap<SystemContext, TaskSwitchHook>();

/** Install (or with null, remove) the task-switch hook of a context. */
export function setTaskSwitchHook(ctx: SystemContext, hook: TaskSwitchHook | null): void {
  if (hook) taskSwitchHooks.set(ctx, hook);
  else taskSwitchHooks.delete(ctx);
}

/**
 * A fault raised after a task switch committed: it belongs to the new
 * task (its CS:EIP is the one to report), so it must be delivered, not
 * reported against the instruction that switched.
 */
export class NewTaskFault extends Error {
  constructor(readonly fault: GuestFault) {
    super(`${fault.message} in the new task`);
  }
}

const BUSY = 0x200;

/** An available (not busy) 16- or 32-bit TSS descriptor. */
export function isAvailableTss(d: Descriptor): boolean {
  return !descIsCodeOrData(d) && (descType(d) === SysType.Tss16Available || descType(d) === SysType.Tss32Available);
}

/** A busy 16- or 32-bit TSS descriptor. */
export function isBusyTss(d: Descriptor): boolean {
  return !descIsCodeOrData(d) && (descType(d) === SysType.Tss16Busy || descType(d) === SysType.Tss32Busy);
}

/**
 * The TSS a task gate names (vol. 2, CALL/JMP/INT n "TASK-GATE"): in the
 * GDT, an available TSS, present. Faults are #GP(TSS selector | EXT) and
 * #NP(TSS selector | EXT).
 */
export function taskGateTarget(ctx: SystemContext, selector: number, ext: boolean): { selector: number; descriptor: Descriptor } {
  const d = selector & 4 ? null : readDescriptor(ctx, selector);
  if (!d || !isAvailableTss(d)) throw new GuestFault(Vector.GP, selectorError(selector, ext));
  if (!descPresent(d)) throw new GuestFault(Vector.NP, selectorError(selector, ext));
  return { selector, descriptor: d };
}

/**
 * The task IRET returns to when NT = 1 (vol. 2, IRET "TASK-RETURN"): the
 * previous-task link of the current TSS, which must name a busy TSS in
 * the GDT (#TS(selector)), present (#NP(selector)).
 */
export function backLinkTarget(ctx: SystemContext): { selector: number; descriptor: Descriptor } {
  const selector = readLinear(ctx, ctx.cpu.tr.base, 2);
  const d = selector & 4 ? null : readDescriptor(ctx, selector);
  if (!d || !isBusyTss(d)) throw new GuestFault(Vector.TS, selectorError(selector));
  if (!descPresent(d)) throw new GuestFault(Vector.NP, selectorError(selector));
  return { selector, descriptor: d };
}

/** A task's dynamic state as a TSS holds it. Segment selectors are in Seg order, which is the TSS's order. */
interface TaskImage {
  eip: number;
  eflags: number;
  regs: number[];
  segs: number[];
  ldt: number;
  cr3: number;
  trap: boolean;
}

/** Byte offsets of the fields of a 32-bit and a 16-bit TSS (vol. 3, figures 7-2 and 7-11). */
const TSS32 = { eip: 0x20, eflags: 0x24, regs: 0x28, segs: 0x48, ldt: 0x60, cr3: 0x1c, trap: 0x64, minLimit: 0x67 } as const;
const TSS16 = { eip: 0x0e, eflags: 0x10, regs: 0x12, segs: 0x22, ldt: 0x2a, minLimit: 0x2b } as const;

function readImage(ctx: SystemContext, base: number, is32: boolean): TaskImage {
  const rd = (off: number, size: 2 | 4): number => readLinear(ctx, base + off, size);
  if (is32) {
    return {
      eip: rd(TSS32.eip, 4) >>> 0,
      eflags: rd(TSS32.eflags, 4),
      regs: [0, 1, 2, 3, 4, 5, 6, 7].map((r) => rd(TSS32.regs + 4 * r, 4)),
      segs: [0, 1, 2, 3, 4, 5].map((s) => rd(TSS32.segs + 4 * s, 2)),
      ldt: rd(TSS32.ldt, 2),
      cr3: rd(TSS32.cr3, 4),
      trap: (rd(TSS32.trap, 2) & 1) !== 0,
    };
  }
  return {
    eip: rd(TSS16.eip, 2),
    eflags: rd(TSS16.eflags, 2),
    regs: [0, 1, 2, 3, 4, 5, 6, 7].map((r) => rd(TSS16.regs + 2 * r, 2)),
    segs: [0, 1, 2, 3].map((s) => rd(TSS16.segs + 2 * s, 2)).concat([0, 0]),
    ldt: rd(TSS16.ldt, 2),
    cr3: 0,
    trap: false,
  };
}

/** Translate a range of linear addresses for supervisor writes, so that the writes after it cannot fault. */
function probeWrites(ctx: SystemContext, linear: number, bytes: number): void {
  for (let page = linear >>> 12; page <= (linear + bytes - 1) >>> 12; page++) {
    ctx.mmu.translate(page === linear >>> 12 ? linear >>> 0 : (page << 12) >>> 0, Access.Write, true);
  }
}

/** The dynamic fields of a TSS, EIP to the last segment selector: what a task switch writes. */
function dynamicFields(tr: SegmentCache): { layout: typeof TSS32 | typeof TSS16; size: 2 | 4; segCount: number; bytes: number } {
  const is32 = (tr.access & 8) !== 0;
  const layout = is32 ? TSS32 : TSS16;
  const size = is32 ? 4 : 2;
  const segCount = is32 ? 6 : 4;
  return { layout, size, segCount, bytes: layout.segs + size * segCount - layout.eip };
}

/** Save the current task's dynamic state into its TSS (vol. 3, 7.3 step 8); its pages have been probed. */
function saveImage(ctx: SystemContext, tr: SegmentCache, eip: number, eflags: number): void {
  const cpu = ctx.cpu;
  const { layout, size, segCount } = dynamicFields(tr);
  const segStride = size;
  const wr = (off: number, sz: 2 | 4, v: number): void => writeLinear(ctx, tr.base + off, sz, v);
  wr(layout.eip, size, eip);
  wr(layout.eflags, size, eflags);
  for (let r = 0; r < 8; r++) wr(layout.regs + size * r, size, cpu.regs[r]!);
  for (let s = 0; s < segCount; s++) wr(layout.segs + segStride * s, 2, cpu.segs[s]!.selector);
}

/**
 * Switch to the task whose TSS descriptor `descriptor` (already checked
 * for type, busy bit and presence by the caller, as each source checks
 * them differently) the GDT selector `selector` names. `returnEip` is
 * saved as the old task's EIP; `ext` sets EXT in the error codes of
 * faults the switch raises. `inNewTask` runs once the new task's segments
 * are loaded (the error-code push and EIP check of its caller); its
 * faults, too, belong to the new task. On return CS:EIP is the new
 * task's, CR0.TS is set and the mode is refreshed.
 */
export function switchTask(
  ctx: SystemContext, selector: number, descriptor: Descriptor, source: TaskSource, ext: boolean, returnEip: number,
  cause: TaskSwitchCause, inNewTask?: () => void,
): void {
  taskSwitchHooks.get(ctx)?.({ selector, source, cause });
  const cpu = ctx.cpu;
  const is32 = (descType(descriptor) & 8) !== 0;
  const layout = is32 ? TSS32 : TSS16;
  const base = descBase(descriptor);
  const limit = descLimit(descriptor);
  if (limit < layout.minLimit) throw new GuestFault(Vector.TS, selectorError(selector, ext));

  // Before the commit point: read all of the new task's state, make sure the
  // old TSS and the new back link can be written, then write.
  const image = readImage(ctx, base, is32);
  const nests = source === TaskSource.Call || source === TaskSource.Interrupt;
  if (nests) probeWrites(ctx, base, 2);
  const oldTr = cpu.tr;
  const old = dynamicFields(oldTr);
  probeWrites(ctx, oldTr.base + old.layout.eip, old.bytes);
  let oldFlags = ctx.b.eflags();
  if (source === TaskSource.Iret) oldFlags &= ~Flag.NT;
  if (source === TaskSource.Jmp || source === TaskSource.Iret) {
    const oldDescriptor = readDescriptor(ctx, oldTr.selector);
    if (oldDescriptor) writeDescriptorHigh(ctx, oldTr.selector, oldDescriptor.hi & ~BUSY);
  }
  saveImage(ctx, oldTr, returnEip, oldFlags);
  if (nests) writeLinear(ctx, base, 2, oldTr.selector);
  if (source !== TaskSource.Iret) writeDescriptorHigh(ctx, selector, descriptor.hi | BUSY);

  // The commit point: the new task's state is loaded; what follows faults in its context.
  cpu.tr = { selector, base, limit, access: descAccess(descriptor) | (BUSY >> 8), big: false, unusable: false };
  cpu.cr0 |= CR0_TS;
  // The local breakpoint enables belong to the old task (vol. 3, 17.2.4).
  cpu.dr[7] = cpu.dr[7]! & ~DR7_LOCAL_ENABLES;
  let eflags = is32 ? image.eflags : image.eflags & 0xffff;
  if (nests) eflags |= Flag.NT;
  ctx.b.setEflags(eflags, EFLAGS_VALID);
  for (let r = 0; r < 8; r++) cpu.regs[r] = is32 ? image.regs[r]! : (cpu.regs[r]! & ~0xffff) | image.regs[r]!;
  cpu.eip = image.eip;
  ctx.b.jumped = true;
  if (is32 && cpu.paging) {
    cpu.cr3 = image.cr3;
    ctx.mmu.cr3Loaded();
  }
  const v86 = (eflags & Flag.VM) !== 0;
  for (let s = 0; s < 6; s++) {
    if (v86) loadV86Segment(cpu, s, image.segs[s]!);
    else cpu.setSeg(s, nullSegment(image.segs[s]!));
  }
  cpu.ldtr = nullSegment(image.ldt);
  cpu.cpl = v86 ? 3 : image.segs[Seg.CS]! & 3;
  cpu.refreshMode();
  // Virtual-8086 segment registers are complete as loaded above.
  const loaded = new Set<Seg>(v86 ? [Seg.ES, Seg.CS, Seg.SS, Seg.DS, Seg.FS, Seg.GS] : []);
  try {
    loadTaskSegments(ctx, image, v86, ext, loaded);
    cpu.refreshMode();
  } catch (e) {
    if (!(e instanceof GuestFault)) throw e;
    completeWithoutChecks(ctx, image, loaded);
    cpu.refreshMode();
    throw new NewTaskFault(e);
  }
  try {
    inNewTask?.();
  } catch (e) {
    if (e instanceof GuestFault) throw new NewTaskFault(e);
    throw e;
  }
  cpu.refreshMode();
  // The T flag of a 32-bit TSS: a debug trap before the new task's first instruction (vol. 3, 17.3.1.5).
  // It is delivered where the switch happened (never checked against the exception bitmap), so DR6.BT is set here.
  if (image.trap) {
    const trap = new DebugException(DR6_BT);
    recordDebugStatus(cpu, trap);
    throw new NewTaskFault(trap);
  }
}

/**
 * After a fault past the commit point the processor "completes the task
 * switch without performing additional access and segment availability
 * checks" (vol. 3, 7.3): the segment registers not yet loaded get the
 * descriptors their selectors name, unchecked, so that the fault can be
 * delivered in the new task. Those that cannot be read stay unusable.
 */
function completeWithoutChecks(ctx: SystemContext, image: TaskImage, loaded: Set<Seg>): void {
  const cpu = ctx.cpu;
  for (const s of [Seg.CS, Seg.SS, Seg.DS, Seg.ES, Seg.FS, Seg.GS]) {
    const sel = image.segs[s]!;
    if (loaded.has(s) || isNullSelector(sel)) continue;
    try {
      const d = readDescriptor(ctx, sel);
      if (d && descIsCodeOrData(d)) cpu.setSeg(s, segmentCacheOf(sel, d));
    } catch (e) {
      if (!(e instanceof GuestFault)) throw e;
    }
  }
}

/** Load and qualify the new task's LDTR and segment registers (vol. 3, table 7-1, in the P6 family's order). */
function loadTaskSegments(ctx: SystemContext, image: TaskImage, v86: boolean, ext: boolean, loaded: Set<Seg>): void {
  const cpu = ctx.cpu;
  const ldt = image.ldt;
  if (!isNullSelector(ldt)) {
    const d = ldt & 4 ? null : readDescriptor(ctx, ldt);
    if (!d || descIsCodeOrData(d) || descType(d) !== SysType.Ldt || !descPresent(d)) throw new GuestFault(Vector.TS, selectorError(ldt, ext));
    cpu.ldtr = segmentCacheOf(ldt, d);
  }
  if (v86) return;

  const cs = image.segs[Seg.CS]!;
  const cpl = cs & 3;
  const code = isNullSelector(cs) ? null : readDescriptor(ctx, cs);
  if (!code || !descIsCode(code) || (isConforming(code) ? descDpl(code) > cpl : descDpl(code) !== cpl)) {
    throw new GuestFault(Vector.TS, selectorError(cs, ext));
  }
  const ss = image.segs[Seg.SS]!;
  const stack = isNullSelector(ss) ? null : readDescriptor(ctx, ss);
  if (!stack || !isWritableData(stack) || (ss & 3) !== cpl || descDpl(stack) !== cpl) throw new GuestFault(Vector.TS, selectorError(ss, ext));
  if (!descPresent(stack)) throw new GuestFault(Vector.SS, selectorError(ss, ext));
  if (!descPresent(code)) throw new GuestFault(Vector.NP, selectorError(cs, ext));
  cpu.setSeg(Seg.CS, segmentCacheOf(cs, markAccessed(ctx, cs, code)));
  cpu.setSeg(Seg.SS, segmentCacheOf(ss, markAccessed(ctx, ss, stack)));
  loaded.add(Seg.CS).add(Seg.SS);

  for (const s of [Seg.DS, Seg.ES, Seg.FS, Seg.GS]) {
    const sel = image.segs[s]!;
    loaded.add(s);
    if (isNullSelector(sel)) continue;
    const d = readDescriptor(ctx, sel);
    const dpl = d ? descDpl(d) : 0;
    if (!d || !isReadable(d) || (!isConforming(d) && ((sel & 3) > dpl || cpl > dpl))) throw new GuestFault(Vector.TS, selectorError(sel, ext));
    if (!descPresent(d)) throw new GuestFault(Vector.NP, selectorError(sel, ext));
    cpu.setSeg(s, segmentCacheOf(sel, markAccessed(ctx, sel, d)));
  }
}
