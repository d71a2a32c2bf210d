/**
 * Far transfers, software interrupts, IRET, SYSENTER/SYSEXIT: the
 * "Operation" sections of JMP, CALL, RET, INT n/INT1, IRET, SYSENTER and
 * SYSEXIT in SDM vol. 2, for real-address, 16/32-bit protected and
 * virtual-8086 mode. Gates and privilege changes follow vol. 3, 5.8;
 * task switches are in tasks.ts, interrupt delivery in events.ts.
 *
 * A task switch's faults after its commit point belong to the new task:
 * they are delivered here, with the new task's CS:EIP, instead of being
 * reported against the instruction that switched.
 */
import { type Instruction, Reg, Seg } from '../../translator/table/types.js';
import { Flag } from '../../translator/semantics/backend.js';
import { effectiveAddress } from '../../translator/semantics/operands.js';
import { CR0_PE, type SegmentCache } from '../cpu.js';
import { GuestFault, Vector } from '../exceptions.js';
import type { SystemContext, SystemOps } from './context.js';
import { type Descriptor, descDpl, descIsCode, descIsCodeOrData, descPresent, descType, gateOffset, gateParamCount, gateSelector, segmentCacheOf, SysType } from './descriptors.js';
import { EventKind } from './event-types.js';
import { deliverEvent, deliverEventOnce, eventOfFault } from './events.js';
import {
  checkRoom, currentIopl, currentStack, descriptorOrFault, EFLAGS_VALID, espAfter, innerStackDescriptor, iretFlagMask,
  isConforming, loadCodeSegment, outerStackDescriptor, peekFrame, pushFrame, tssStack,
} from './privilege.js';
import {
  isNullSelector, loadRealModeSegment, loadV86Segment, markAccessed, nullifyOuterDataSegments, selectorErrorCode as selectorError,
} from './segments.js';
import { backLinkTarget, isAvailableTss, NewTaskFault, switchTask, TaskSource, taskGateTarget } from './tasks.js';

/** The far pointer operand: ptr16:16/32 in the instruction, or m16:16/32 (offset first, then the selector). */
function farPointer(ctx: SystemContext, i: Instruction): { selector: number; offset: number } {
  const op = i.operands[0]!;
  if (op.kind === 'far') return { selector: op.selector & 0xffff, offset: op.offset >>> 0 };
  if (op.kind !== 'mem') throw new Error(`${i.row.mnemonic}: expected a far pointer`);
  const b = ctx.b;
  const ea = effectiveAddress(b, op);
  const offset = b.load(op.seg, ea, i.opsize);
  const selector = b.load(op.seg, (ea + i.opsize) >>> 0, 2);
  return { selector, offset: i.opsize === 2 ? offset & 0xffff : offset >>> 0 };
}

/** Protected mode proper (PE = 1, VM = 0): descriptors are used. */
function usesDescriptors(ctx: SystemContext): boolean {
  return ctx.cpu.mode.protectedMode;
}

/** CS in real-address mode (selector and base; the cached attributes stay) and in virtual-8086 mode (the fixed v86 cache). */
function loadParagraphCs(ctx: SystemContext, selector: number, eip: number): void {
  const cpu = ctx.cpu;
  if (cpu.mode.v86) loadV86Segment(cpu, Seg.CS, selector);
  else loadRealModeSegment(cpu, Seg.CS, selector);
  cpu.eip = eip;
  ctx.b.jumped = true;
  cpu.refreshMode();
}

/** Run a task switch; a fault after its commit point is delivered in the new task. */
function withTaskSwitch(ctx: SystemContext, run: () => void): void {
  try {
    run();
  } catch (e) {
    if (!(e instanceof NewTaskFault)) throw e;
    deliverEvent(ctx, eventOfFault(e.fault));
  }
}

/** The new task's EIP must lie within its CS (JMP, CALL, IRET through a task switch). */
function checkNewTaskEip(ctx: SystemContext): void {
  if (ctx.cpu.eip > ctx.cpu.segs[Seg.CS]!.limit) throw new GuestFault(Vector.GP, 0);
}

/** A TSS named directly by JMP/CALL: in the GDT, DPL ≥ max(CPL, RPL), available, present. */
function directTss(ctx: SystemContext, selector: number, d: Descriptor): void {
  const dpl = descDpl(d);
  if (selector & 4 || dpl < ctx.cpu.cpl || dpl < (selector & 3) || !isAvailableTss(d)) throw new GuestFault(Vector.GP, selectorError(selector));
  if (!descPresent(d)) throw new GuestFault(Vector.NP, selectorError(selector));
}

/** A task gate named by JMP/CALL: DPL ≥ max(CPL, RPL), present; then the TSS it names. */
function taskGateTss(ctx: SystemContext, selector: number, gate: Descriptor): { selector: number; descriptor: Descriptor } {
  const dpl = descDpl(gate);
  if (dpl < ctx.cpu.cpl || dpl < (selector & 3)) throw new GuestFault(Vector.GP, selectorError(selector));
  if (!descPresent(gate)) throw new GuestFault(Vector.NP, selectorError(selector));
  return taskGateTarget(ctx, gateSelector(gate), false);
}

/**
 * The code segment a call gate names (vol. 2, CALL/JMP "CALL-GATE"): the
 * gate's DPL ≥ max(CPL, RPL) and presence, then a non-null code segment
 * with DPL ≤ CPL (for JMP, exactly CPL unless conforming), present.
 */
function callGateTarget(ctx: SystemContext, selector: number, gate: Descriptor, forJmp: boolean): { selector: number; code: Descriptor; offset: number; gate32: boolean } {
  const cpl = ctx.cpu.cpl;
  const dpl = descDpl(gate);
  if (dpl < cpl || dpl < (selector & 3)) throw new GuestFault(Vector.GP, selectorError(selector));
  if (!descPresent(gate)) throw new GuestFault(Vector.NP, selectorError(selector));
  const target = gateSelector(gate);
  if (isNullSelector(target)) throw new GuestFault(Vector.GP, 0);
  const code = descriptorOrFault(ctx, target, Vector.GP);
  const codeDpl = descDpl(code);
  if (!descIsCode(code) || codeDpl > cpl || (forJmp && !isConforming(code) && codeDpl !== cpl)) throw new GuestFault(Vector.GP, selectorError(target));
  if (!descPresent(code)) throw new GuestFault(Vector.NP, selectorError(target));
  const gate32 = descType(gate) === SysType.CallGate32;
  return { selector: target, code, offset: gate32 ? gateOffset(gate) : gateOffset(gate) & 0xffff, gate32 };
}

/** A code segment named directly: conforming needs DPL ≤ CPL; non-conforming RPL ≤ CPL and DPL = CPL; then present. */
function checkDirectCode(ctx: SystemContext, selector: number, d: Descriptor): void {
  const cpl = ctx.cpu.cpl;
  const ok = isConforming(d) ? descDpl(d) <= cpl : (selector & 3) <= cpl && descDpl(d) === cpl;
  if (!ok) throw new GuestFault(Vector.GP, selectorError(selector));
  if (!descPresent(d)) throw new GuestFault(Vector.NP, selectorError(selector));
}

/**
 * Load CS:EIP at the current CPL from a checked code descriptor, after the
 * EIP limit check; `commit` (the pushes or pops of the instruction) runs
 * after every check, just before CS changes.
 */
function farJumpTo(ctx: SystemContext, selector: number, d: Descriptor, eip: number, commit?: () => void): void {
  if (eip > segmentCacheOf(selector, d).limit) throw new GuestFault(Vector.GP, 0);
  const loaded = markAccessed(ctx, selector, d);
  commit?.();
  loadCodeSegment(ctx, selector, loaded, ctx.cpu.cpl);
  ctx.cpu.eip = eip;
  ctx.b.jumped = true;
  ctx.cpu.refreshMode();
}

const jmpFar = (ctx: SystemContext, i: Instruction): void => {
  const { selector, offset } = farPointer(ctx, i);
  if (!usesDescriptors(ctx)) {
    if (offset > ctx.cpu.segs[Seg.CS]!.limit) throw new GuestFault(Vector.GP, 0);
    loadParagraphCs(ctx, selector, offset);
    return;
  }
  if (isNullSelector(selector)) throw new GuestFault(Vector.GP, 0);
  const d = descriptorOrFault(ctx, selector, Vector.GP);
  if (descIsCode(d)) {
    checkDirectCode(ctx, selector, d);
    farJumpTo(ctx, selector, d, offset);
    return;
  }
  const type = descIsCodeOrData(d) ? -1 : descType(d);
  if (type === SysType.CallGate16 || type === SysType.CallGate32) {
    const gate = callGateTarget(ctx, selector, d, true);
    farJumpTo(ctx, gate.selector, gate.code, gate.offset);
  } else {
    farTaskTransfer(ctx, i, selector, d, type, TaskSource.Jmp);
  }
};

/**
 * The task-switching ends of far JMP and CALL (vol. 3, 7.3): through a task
 * gate, or straight to a TSS descriptor; any other system descriptor is
 * #GP(selector).
 */
function farTaskTransfer(ctx: SystemContext, i: Instruction, selector: number, d: Descriptor, type: number, source: TaskSource): void {
  let target: { selector: number; descriptor: Descriptor };
  if (type === SysType.TaskGate) {
    target = taskGateTss(ctx, selector, d);
  } else if (type === SysType.Tss16Available || type === SysType.Tss32Available || type === SysType.Tss16Busy || type === SysType.Tss32Busy) {
    directTss(ctx, selector, d);
    target = { selector, descriptor: d };
  } else {
    throw new GuestFault(Vector.GP, selectorError(selector));
  }
  withTaskSwitch(ctx, () => switchTask(ctx, target.selector, target.descriptor, source, false, i.nextEip, { insn: i }, () => checkNewTaskEip(ctx)));
}

const callFar = (ctx: SystemContext, i: Instruction): void => {
  const cpu = ctx.cpu;
  const { selector, offset } = farPointer(ctx, i);
  const size = i.opsize;
  const oldCs = cpu.segs[Seg.CS]!.selector;
  const stack = currentStack(ctx);
  if (!usesDescriptors(ctx)) {
    checkRoom(stack, 2 * size, 0);
    if (offset > cpu.segs[Seg.CS]!.limit) throw new GuestFault(Vector.GP, 0);
    cpu.regs[Reg.ESP] = pushFrame(ctx, stack, [oldCs, i.nextEip], size, 0, cpu.cpl < 3);
    loadParagraphCs(ctx, selector, offset);
    return;
  }
  if (isNullSelector(selector)) throw new GuestFault(Vector.GP, 0);
  const d = descriptorOrFault(ctx, selector, Vector.GP);
  if (descIsCode(d)) {
    checkDirectCode(ctx, selector, d);
    checkRoom(stack, 2 * size, 0);
    farJumpTo(ctx, selector, d, offset, () => { cpu.regs[Reg.ESP] = pushFrame(ctx, stack, [oldCs, i.nextEip], size, 0, cpu.cpl < 3); });
    return;
  }
  const type = descIsCodeOrData(d) ? -1 : descType(d);
  if (type === SysType.CallGate16 || type === SysType.CallGate32) {
    callThroughGate(ctx, i, callGateTarget(ctx, selector, d, false), gateParamCount(d));
  } else {
    farTaskTransfer(ctx, i, selector, d, type, TaskSource.Call);
  }
};

/**
 * CALL through a call gate (vol. 2, CALL "MORE-PRIVILEGE" and
 * "SAME-PRIVILEGE"): to a more privileged non-conforming segment the
 * stack switches to the TSS's, and the caller's SS:ESP, `params`
 * parameters of the gate's size and CS:EIP are pushed there.
 */
function callThroughGate(ctx: SystemContext, i: Instruction, gate: ReturnType<typeof callGateTarget>, params: number): void {
  const cpu = ctx.cpu;
  const size = gate.gate32 ? 4 : 2;
  const cpl = cpu.cpl;
  const dpl = descDpl(gate.code);
  const oldCs = cpu.segs[Seg.CS]!.selector;
  const oldStack = currentStack(ctx);
  const codeLimit = segmentCacheOf(gate.selector, gate.code).limit;
  if (isConforming(gate.code) || dpl === cpl) {
    checkRoom(oldStack, 2 * size, 0);
    farJumpTo(ctx, gate.selector, gate.code, gate.offset, () => { cpu.regs[Reg.ESP] = pushFrame(ctx, oldStack, [oldCs, i.nextEip], size, 0, cpl < 3); });
    return;
  }
  const { ss, esp } = tssStack(ctx, dpl, false);
  const stackDesc = innerStackDescriptor(ctx, ss, dpl, false);
  const newStack = { seg: segmentCacheOf(ss, stackDesc), esp };
  checkRoom(newStack, (4 + params) * size, selectorError(ss));
  if (gate.offset > codeLimit) throw new GuestFault(Vector.GP, 0);
  // The parameters are read from the caller's stack at its privilege, and keep their order on the new one.
  const copied = params ? peekFrame(ctx, oldStack, params, size).reverse() : [];
  const values = [cpu.segs[Seg.SS]!.selector, oldStack.esp, ...copied, oldCs, i.nextEip];
  const newEsp = pushFrame(ctx, newStack, values, size, selectorError(ss), dpl < 3);
  const ssLoaded = markAccessed(ctx, ss, stackDesc);
  const codeLoaded = markAccessed(ctx, gate.selector, gate.code);
  cpu.setSeg(Seg.SS, segmentCacheOf(ss, ssLoaded));
  cpu.regs[Reg.ESP] = newEsp;
  loadCodeSegment(ctx, gate.selector, codeLoaded, dpl);
  cpu.eip = gate.offset;
  ctx.b.jumped = true;
  cpu.refreshMode();
}

/** The immediate operand of RET imm16 (bytes of parameters to release), else 0. */
function releaseCount(i: Instruction): number {
  const op = i.operands[0];
  return op?.kind === 'imm' ? op.value & 0xffff : 0;
}

/**
 * The return code segment of RET far and IRET to protected mode (vol. 2,
 * RET "PROTECTED-MODE"): non-null, a code segment, RPL ≥ CPL; conforming
 * needs DPL ≤ RPL, non-conforming DPL = RPL; then present.
 */
function returnCodeSegment(ctx: SystemContext, selector: number): Descriptor {
  if (isNullSelector(selector)) throw new GuestFault(Vector.GP, 0);
  const d = descriptorOrFault(ctx, selector, Vector.GP);
  const rpl = selector & 3;
  if (!descIsCode(d) || rpl < ctx.cpu.cpl || (isConforming(d) ? descDpl(d) > rpl : descDpl(d) !== rpl)) throw new GuestFault(Vector.GP, selectorError(selector));
  if (!descPresent(d)) throw new GuestFault(Vector.NP, selectorError(selector));
  return d;
}

/** Load SS:ESP popped by a return to an outer level: a 16-bit SS keeps ESP's upper half (vol. 2, RET; the processor's own treatment of SP). */
function loadOuterStack(ctx: SystemContext, ss: number, d: Descriptor, esp: number, release: number): void {
  const cpu = ctx.cpu;
  const seg = segmentCacheOf(ss, markAccessed(ctx, ss, d));
  cpu.setSeg(Seg.SS, seg);
  cpu.regs[Reg.ESP] = seg.big ? (esp + release) | 0 : (cpu.regs[Reg.ESP]! & ~0xffff) | ((esp + release) & 0xffff);
}

const retFar = (ctx: SystemContext, i: Instruction): void => {
  const cpu = ctx.cpu;
  const size = i.opsize;
  const release = releaseCount(i);
  const stack = currentStack(ctx);
  const [rawEip, rawCs] = peekFrame(ctx, stack, 2, size);
  const eip = size === 2 ? rawEip! & 0xffff : rawEip! >>> 0;
  const selector = rawCs! & 0xffff;
  if (!usesDescriptors(ctx)) {
    if (eip > cpu.segs[Seg.CS]!.limit) throw new GuestFault(Vector.GP, 0);
    cpu.regs[Reg.ESP] = espAfter(stack.seg, stack.esp, 2 * size + release);
    loadParagraphCs(ctx, selector, eip);
    return;
  }
  const code = returnCodeSegment(ctx, selector);
  const rpl = selector & 3;
  const limit = segmentCacheOf(selector, code).limit;
  if (rpl === cpu.cpl) {
    farJumpTo(ctx, selector, code, eip, () => { cpu.regs[Reg.ESP] = espAfter(stack.seg, stack.esp, 2 * size + release); });
    return;
  }
  // To an outer level: SS:ESP follow the return address and the released parameters.
  const [rawEsp, rawSs] = peekFrame(ctx, stack, 2, size, 2 * size + release);
  const ss = rawSs! & 0xffff;
  const stackDesc = outerStackDescriptor(ctx, ss, rpl);
  if (eip > limit) throw new GuestFault(Vector.GP, 0);
  loadCodeSegment(ctx, selector, markAccessed(ctx, selector, code), rpl);
  loadOuterStack(ctx, ss, stackDesc, size === 2 ? rawEsp! & 0xffff : rawEsp!, release);
  nullifyOuterDataSegments(cpu);
  cpu.eip = eip;
  ctx.b.jumped = true;
  cpu.refreshMode();
};

const iret = (ctx: SystemContext, i: Instruction): void => {
  const cpu = ctx.cpu;
  const size = i.opsize;
  const stack = currentStack(ctx);
  if (!(cpu.cr0 & CR0_PE)) {
    // Real-address mode: every flag may change except VM, VIF and VIP.
    const [rawEip, rawCs, rawFlags] = peekFrame(ctx, stack, 3, size);
    const eip = size === 2 ? rawEip! & 0xffff : rawEip! >>> 0;
    if (eip > cpu.segs[Seg.CS]!.limit) throw new GuestFault(Vector.GP, 0);
    ctx.b.setEflags(rawFlags!, size === 4 ? 0x257fd5 : 0xffff);
    cpu.regs[Reg.ESP] = espAfter(stack.seg, stack.esp, 3 * size);
    loadParagraphCs(ctx, rawCs!, eip);
    return;
  }
  if (cpu.mode.v86) {
    // Without VME, IRET in virtual-8086 mode needs IOPL 3; it never changes VM, IOPL, VIF or VIP.
    if (currentIopl(ctx) < 3) throw new GuestFault(Vector.GP, 0);
    const [rawEip, rawCs, rawFlags] = peekFrame(ctx, stack, 3, size);
    const eip = size === 2 ? rawEip! & 0xffff : rawEip! >>> 0;
    if (eip > cpu.segs[Seg.CS]!.limit) throw new GuestFault(Vector.GP, 0);
    ctx.b.setEflags(rawFlags!, size === 4 ? EFLAGS_VALID & ~(Flag.VM | Flag.IOPL | Flag.VIF | Flag.VIP) : 0xffff & ~Flag.IOPL);
    cpu.regs[Reg.ESP] = espAfter(stack.seg, stack.esp, 3 * size);
    loadParagraphCs(ctx, rawCs!, eip);
    return;
  }
  if (ctx.b.eflags() & Flag.NT) {
    const back = backLinkTarget(ctx);
    withTaskSwitch(ctx, () => switchTask(ctx, back.selector, back.descriptor, TaskSource.Iret, false, i.nextEip, { insn: i }, () => checkNewTaskEip(ctx)));
    return;
  }
  const [rawEip, rawCs, rawFlags] = peekFrame(ctx, stack, 3, size);
  const eip = size === 2 ? rawEip! & 0xffff : rawEip! >>> 0;
  const flags = size === 2 ? rawFlags! & 0xffff : rawFlags!;
  if (flags & Flag.VM && cpu.cpl === 0) {
    returnToV86(ctx, stack, eip, rawCs! & 0xffff, flags);
    return;
  }
  const selector = rawCs! & 0xffff;
  const code = returnCodeSegment(ctx, selector);
  const rpl = selector & 3;
  const limit = segmentCacheOf(selector, code).limit;
  const mask = iretFlagMask(cpu.cpl, currentIopl(ctx), size);
  if (rpl === cpu.cpl) {
    farJumpTo(ctx, selector, code, eip, () => {
      cpu.regs[Reg.ESP] = espAfter(stack.seg, stack.esp, 3 * size);
      ctx.b.setEflags(flags, mask);
    });
    return;
  }
  const [rawEsp, rawSs] = peekFrame(ctx, stack, 2, size, 3 * size);
  const ss = rawSs! & 0xffff;
  const stackDesc = outerStackDescriptor(ctx, ss, rpl);
  if (eip > limit) throw new GuestFault(Vector.GP, 0);
  ctx.b.setEflags(flags, mask);
  loadCodeSegment(ctx, selector, markAccessed(ctx, selector, code), rpl);
  loadOuterStack(ctx, ss, stackDesc, size === 2 ? rawEsp! & 0xffff : rawEsp!, 0);
  nullifyOuterDataSegments(cpu);
  cpu.eip = eip;
  ctx.b.jumped = true;
  cpu.refreshMode();
};

/**
 * IRETD at CPL 0 with VM set in the popped EFLAGS (vol. 2, IRET
 * "RETURN-TO-VIRTUAL-8086-MODE"): pop ESP, SS, ES, DS, FS, GS too, load
 * every segment register as virtual-8086 mode defines it, CPL 3.
 */
function returnToV86(ctx: SystemContext, stack: ReturnType<typeof currentStack>, eip: number, cs: number, flags: number): void {
  const cpu = ctx.cpu;
  const [esp, ss, es, ds, fs, gs] = peekFrame(ctx, stack, 6, 4, 12);
  if (eip > 0xffff) throw new GuestFault(Vector.GP, 0);
  ctx.b.setEflags(flags, EFLAGS_VALID);
  const sel = [es!, cs, ss!, ds!, fs!, gs!];
  for (let s = 0; s < 6; s++) loadV86Segment(cpu, s, sel[s]!);
  cpu.regs[Reg.ESP] = esp!;
  cpu.cpl = 3;
  cpu.eip = eip;
  ctx.b.jumped = true;
  cpu.refreshMode();
}

/**
 * INT n. A fault on the way is the instruction's own (reported at its
 * EIP by the interpreter); only a fault in the new task after a task-gate
 * switch is delivered here.
 */
const int = (ctx: SystemContext, i: Instruction): void => {
  const op = i.operands[0]!;
  const vector = op.kind === 'imm' ? op.value & 0xff : 0;
  softwareEvent(ctx, i, vector, EventKind.SoftwareInterrupt);
};

/**
 * INT1 (ICEBP): #DB as a privileged software exception (no gate-DPL check,
 * EXT set in error codes), raised as a trap so that it takes the exception
 * path: the exception bitmap sees it (a VM exit with interruption type 5,
 * vol. 3C, 27.2.2), and the vCPU delivers it otherwise. It sets no DR6 bit.
 */
const int1 = (): void => {
  throw new GuestFault(Vector.DB, 0, 0, true);
};

function softwareEvent(ctx: SystemContext, i: Instruction, vector: number, kind: EventKind): void {
  ctx.cpu.eip = i.nextEip;
  try {
    deliverEventOnce(ctx, { vector, kind }, i.length);
  } catch (e) {
    if (!(e instanceof NewTaskFault)) throw e;
    deliverEvent(ctx, eventOfFault(e.fault));
  }
}

/** Flat 4-GiB code and stack caches of SYSENTER/SYSEXIT (vol. 2: base 0, limit FFFFFFFFH, 32-bit, accessed). */
function flatSegment(selector: number, code: boolean, dpl: number): SegmentCache {
  return { selector, base: 0, limit: 0xffffffff, access: (code ? 0x9b : 0x93) | (dpl << 5), big: true, unusable: false };
}

/** SYSENTER: to CPL 0 at SYSENTER_CS:SYSENTER_EIP with SS = SYSENTER_CS + 8; clears VM, IF and RF. */
const sysenter = (ctx: SystemContext): void => {
  const cpu = ctx.cpu;
  const cs = cpu.sysenterCs & 0xffff;
  if (!(cpu.cr0 & CR0_PE) || isNullSelector(cs)) throw new GuestFault(Vector.GP, 0);
  ctx.b.setEflags(0, Flag.VM | Flag.IF | Flag.RF);
  cpu.setSeg(Seg.CS, flatSegment(cs & 0xfffc, true, 0));
  cpu.setSeg(Seg.SS, flatSegment((cs + 8) & 0xfffc, false, 0));
  cpu.cpl = 0;
  cpu.regs[Reg.ESP] = cpu.sysenterEsp;
  cpu.eip = cpu.sysenterEip >>> 0;
  ctx.b.jumped = true;
  cpu.refreshMode();
};

/** SYSEXIT: to CPL 3 at SYSENTER_CS+16:EDX with SS = SYSENTER_CS + 24 and ESP = ECX. */
const sysexit = (ctx: SystemContext): void => {
  const cpu = ctx.cpu;
  const cs = cpu.sysenterCs & 0xffff;
  if (!(cpu.cr0 & CR0_PE) || cpu.mode.v86 || cpu.cpl !== 0 || isNullSelector(cs)) throw new GuestFault(Vector.GP, 0);
  cpu.setSeg(Seg.CS, flatSegment(((cs + 16) & 0xfffc) | 3, true, 3));
  cpu.setSeg(Seg.SS, flatSegment(((cs + 24) & 0xfffc) | 3, false, 3));
  cpu.cpl = 3;
  cpu.regs[Reg.ESP] = cpu.regs[Reg.ECX]!;
  cpu.eip = cpu.regs[Reg.EDX]! >>> 0;
  ctx.b.jumped = true;
  cpu.refreshMode();
};

export const TRANSFER_OPS: SystemOps = { jmpFar, callFar, retFar, iret, int, int1, sysenter, sysexit };
