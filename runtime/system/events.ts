/**
 * Event delivery: exceptions, external interrupts, NMIs and software
 * interrupts through the real-mode IVT or the protected-mode IDT (SDM vol.
 * 3, chapter 6, and vol. 2, INT n/INTO/INT3/INT1 "Operation"), including
 * the privilege change out of virtual-8086 mode (vol. 3, 20.3) and task
 * gates (chapter 7), and the double-fault rules for a fault raised while
 * an event is being delivered (vol. 3, 6.15, table 6-5).
 *
 * The EFLAGS image of a fault-class exception has RF = 1, so that the
 * restarted instruction does not hit its instruction breakpoint again
 * (vol. 3, 17.3.1.1); every other event pushes RF as it is (0 but right
 * after an IRET that loaded 1). Departures from the manual: the image a
 * task gate saves in the old TSS keeps RF as it is, and so does a #DB
 * fault of general detection; CR4.VME and PVI are not implemented (CPUID
 * does not report VME).
 */
import { Seg } from '../../translator/table/types.js';
import { Flag } from '../../translator/semantics/backend.js';
import { VmExitSignal } from '../concrete-backend.js';
import { CR0_PE } from '../cpu.js';
import { GuestFault, hasErrorCode, Vector } from '../exceptions.js';
import { ExitReason } from '../exit-reason.js';
import type { SystemContext } from './context.js';
import { type Descriptor, descDpl, descIsCode, descIsCodeOrData, descPresent, descType, gateOffset, gateSelector, segmentCacheOf, SysType } from './descriptors.js';
import { EventKind, type GuestEvent } from './event-types.js';
import { readLinear } from './linear.js';
import {
  checkRoom, currentIopl, currentStack, descriptorOrFault, idtError, innerStackDescriptor, isConforming, loadCodeSegment,
  pushFrame, tssStack,
} from './privilege.js';
import { isNullSelector, loadNullSegment, markAccessed, selectorErrorCode as selectorError } from './segments.js';
import { NewTaskFault, switchTask, TaskSource, type TaskSwitchCause, taskGateTarget } from './tasks.js';

/** Exception classes for double-fault detection (SDM vol. 3, table 6-4). */
export const enum EventClass { Benign = 0, Contributory = 1, PageFault = 2, DoubleFault = 3 }

/** The class of an event: INT n, INTR, NMI and the benign exceptions are all benign. */
export function eventClass(event: GuestEvent): EventClass {
  if (event.kind !== EventKind.HardwareException) return EventClass.Benign;
  switch (event.vector) {
    case Vector.DE: case Vector.TS: case Vector.NP: case Vector.SS: case Vector.GP: return EventClass.Contributory;
    case Vector.PF: return EventClass.PageFault;
    case Vector.DF: return EventClass.DoubleFault;
    default: return EventClass.Benign;
  }
}

/** What a fault raised while delivering an event becomes (SDM vol. 3, table 6-5). */
export const enum Nested { Serial = 0, DoubleFault = 1, TripleFault = 2 }

export function nestedOutcome(first: EventClass, second: EventClass): Nested {
  if (second === EventClass.Benign) return Nested.Serial;
  switch (first) {
    case EventClass.Benign: return Nested.Serial;
    case EventClass.Contributory: return second === EventClass.Contributory ? Nested.DoubleFault : Nested.Serial;
    case EventClass.PageFault: return Nested.DoubleFault;
    case EventClass.DoubleFault: return Nested.TripleFault;
  }
}

/**
 * Fault-class exceptions (SDM vol. 3, table 6-1): the saved EIP is the
 * faulting instruction's, so the instruction is restarted. #DB is a fault
 * or a trap by cause; #DF and #MC are aborts.
 */
export function isFaultClass(vector: number): boolean {
  return vector === 0 || (vector >= 5 && vector <= 7) || (vector >= 10 && vector <= 14) || vector === 16 || vector === 17 || vector === 19 || vector === 20;
}

/** Trap-class exceptions: INT3 (#BP) and INTO (#OF) report the next instruction. */
export function isTrapClass(vector: number): boolean {
  return vector === Vector.BP || vector === Vector.OF;
}

/**
 * The event a thrown GuestFault stands for, with its error code when its
 * vector has one. INT3 and INTO (trap-class #BP and #OF raised by their
 * instructions) are software exceptions: their gate's DPL is checked.
 * INT1 (a trap-class #DB raised by its instruction) is a privileged
 * software exception; the #DBs of debug conditions (DebugException) are
 * hardware exceptions.
 */
export function eventOfFault(fault: GuestFault): GuestEvent {
  if (fault.trap && isTrapClass(fault.vector)) return { vector: fault.vector, kind: EventKind.SoftwareException };
  if (fault.trap && fault.vector === Vector.DB) return { vector: Vector.DB, kind: EventKind.PrivilegedSoftwareException };
  return hasErrorCode(fault.vector)
    ? { vector: fault.vector, kind: EventKind.HardwareException, errorCode: fault.errorCode }
    : { vector: fault.vector, kind: EventKind.HardwareException };
}

const DOUBLE_FAULT: GuestEvent = { vector: Vector.DF, kind: EventKind.HardwareException, errorCode: 0 };

/** Software events: they come from an instruction, and ctx.cpu.eip is already past it. */
function isSoftware(kind: EventKind): boolean {
  return kind === EventKind.SoftwareInterrupt || kind === EventKind.SoftwareException || kind === EventKind.PrivilegedSoftwareException;
}

/**
 * Deliver an event (the caller has set ctx.cpu.eip to the return address:
 * the faulting instruction for a fault, the next one for a trap or a
 * software interrupt). A fault raised during delivery is delivered in its
 * place or becomes #DF as table 6-5 says; one raised while delivering #DF
 * is a triple fault, which ends the run with that VM exit.
 *
 * `instructionLength` is the length of the instruction that raised a
 * software event (INT n, INT3, INTO, INT1: VT-x's VM-entry instruction
 * length): a fault during its delivery reports that instruction. It
 * defaults to the prefix-less encodings (2 for INT n, 1 for the others).
 *
 * `injected`: the event is VM entry's event injection, which pushes RF as
 * it is whatever the event's type (vol. 3C, 26.5.1.1); a fault raised
 * while delivering it is a fault like any other.
 */
export function deliverEvent(ctx: SystemContext, event: GuestEvent, instructionLength?: number, injected = false): void {
  const cpu = ctx.cpu;
  cpu.halted = false;
  // Event delivery ends blocking by STI and by MOV SS (vol. 3, 6.8.3).
  cpu.interruptShadow = 0;
  let faultEip = cpu.eip;
  if (isSoftware(event.kind)) {
    const back = instructionLength ?? (event.kind === EventKind.SoftwareInterrupt ? 2 : 1);
    faultEip = cpu.mode.code32 ? (faultEip - back) >>> 0 : (faultEip - back) & 0xffff;
  }
  let current = event;
  for (;;) {
    try {
      if (current === event) deliverEventOnce(ctx, current, instructionLength, injected);
      else deliverEventOnce(ctx, current);
      return;
    } catch (e) {
      let fault: GuestFault;
      if (e instanceof NewTaskFault) {
        // Raised in the new task's context, after the switch committed: it reports the new task's EIP.
        fault = e.fault;
        faultEip = cpu.eip;
      } else if (e instanceof GuestFault) {
        fault = e;
      } else {
        throw e;
      }
      const second = eventOfFault(fault);
      const outcome = nestedOutcome(eventClass(current), eventClass(second));
      if (outcome === Nested.TripleFault) throw new VmExitSignal({ reason: ExitReason.TripleFault, detail: `${fault.message} while delivering #DF` });
      cpu.eip = faultEip;
      current = outcome === Nested.DoubleFault ? DOUBLE_FAULT : second;
    }
  }
}

/**
 * Deliver one event; a fault raised on the way is thrown (GuestFault, or
 * NewTaskFault once a task switch has committed) and the state is as it
 * was before, except after a committed task switch. INT n uses this
 * directly, so that a fault is reported as the instruction's own.
 */
export function deliverEventOnce(ctx: SystemContext, event: GuestEvent, instructionLength?: number, injected = false): void {
  const cpu = ctx.cpu;
  cpu.halted = false;
  if (!(cpu.cr0 & CR0_PE)) deliverReal(ctx, event.vector);
  else deliverProtected(ctx, event, instructionLength, injected);
  ctx.b.jumped = true;
  cpu.refreshMode();
}

/**
 * Real-address mode (vol. 2, INT n "REAL-ADDRESS-MODE"; vol. 3, 20.1.4):
 * a 4-byte IVT entry at IDTR.base + 4 × vector; push FLAGS, CS, IP; clear
 * IF, TF and AC. No error code is pushed in real mode.
 */
function deliverReal(ctx: SystemContext, vector: number): void {
  const cpu = ctx.cpu;
  const at = vector * 4;
  if (at + 3 > cpu.idtrLimit) throw new GuestFault(Vector.GP, 0);
  const entry = readLinear(ctx, cpu.idtrBase + at, 4);
  const cs = cpu.segs[Seg.CS]!;
  cpu.regs[4] = pushFrame(ctx, currentStack(ctx), [ctx.b.eflags(), cs.selector, cpu.eip], 2, 0, true);
  ctx.b.setEflags(0, Flag.IF | Flag.TF | Flag.AC);
  const selector = entry >>> 16;
  cpu.setSeg(Seg.CS, { ...cs, selector, base: selector << 4 });
  cpu.eip = entry & 0xffff;
}

/** Interrupt, trap and task gates, 16- and 32-bit (vol. 3, table 3-2). */
function isIdtGate(gate: Descriptor): boolean {
  if (descIsCodeOrData(gate)) return false;
  const t = descType(gate);
  return t === SysType.TaskGate || t === SysType.InterruptGate16 || t === SysType.TrapGate16 || t === SysType.InterruptGate32 || t === SysType.TrapGate32;
}

/** Protected mode, including from virtual-8086 mode (vol. 2, INT n "PROTECTED-MODE"). */
function deliverProtected(ctx: SystemContext, event: GuestEvent, instructionLength: number | undefined, injected: boolean): void {
  const cpu = ctx.cpu;
  const { vector, kind } = event;
  const v86 = cpu.mode.v86;
  const cpl = v86 ? 3 : cpu.cpl;
  // INT n, INT3 and INTO are checked against the gate's DPL and report EXT = 0; other events are external.
  const software = kind === EventKind.SoftwareInterrupt || kind === EventKind.SoftwareException;
  const ext = !software;
  // INT n in virtual-8086 mode with IOPL < 3 goes to the virtual-8086 monitor (vol. 3, 20.3.3, no VME).
  if (v86 && kind === EventKind.SoftwareInterrupt && currentIopl(ctx) < 3) throw new GuestFault(Vector.GP, 0);

  const at = vector * 8;
  if (at + 7 > cpu.idtrLimit) throw new GuestFault(Vector.GP, idtError(vector, ext));
  const gate: Descriptor = { lo: readLinear(ctx, cpu.idtrBase + at, 4), hi: readLinear(ctx, cpu.idtrBase + at + 4, 4) };
  if (!isIdtGate(gate)) throw new GuestFault(Vector.GP, idtError(vector, ext));
  if (software && descDpl(gate) < cpl) throw new GuestFault(Vector.GP, idtError(vector, false));
  if (!descPresent(gate)) throw new GuestFault(Vector.NP, idtError(vector, ext));
  const errorCode = event.kind === EventKind.HardwareException ? event.errorCode : undefined;
  if (descType(gate) === SysType.TaskGate) {
    deliverThroughTaskGate(ctx, gate, errorCode, ext, { event, instructionLength });
    return;
  }

  const selector = gateSelector(gate);
  if (isNullSelector(selector)) throw new GuestFault(Vector.GP, ext ? 1 : 0);
  const code = descriptorOrFault(ctx, selector, Vector.GP, ext);
  if (!descIsCode(code) || descDpl(code) > cpl) throw new GuestFault(Vector.GP, selectorError(selector, ext));
  if (!descPresent(code)) throw new GuestFault(Vector.NP, selectorError(selector, ext));
  const gate32 = descType(gate) >= SysType.InterruptGate32;
  const size = gate32 ? 4 : 2;
  const target = gate32 ? gateOffset(gate) : gateOffset(gate) & 0xffff;
  const dpl = descDpl(code);
  const inner = !isConforming(code) && dpl < cpl;
  // From virtual-8086 mode only a ring-0, non-conforming handler is reachable.
  if (v86 && (!inner || dpl !== 0)) throw new GuestFault(Vector.GP, selectorError(selector, ext));

  const faultClass = !injected && kind === EventKind.HardwareException && isFaultClass(vector);
  const oldFlags = ctx.b.eflags() | (faultClass ? Flag.RF : 0);
  const cs = cpu.segs[Seg.CS]!;
  const frame = [oldFlags, cs.selector, cpu.eip];
  if (errorCode !== undefined) frame.push(errorCode);
  const codeLimit = segmentCacheOf(selector, code).limit;

  if (inner) {
    const { ss, esp } = tssStack(ctx, dpl, ext);
    const stackDesc = innerStackDescriptor(ctx, ss, dpl, ext);
    const stackSeg = segmentCacheOf(ss, stackDesc);
    const segs = cpu.segs;
    const outer = v86
      ? [segs[Seg.GS]!.selector, segs[Seg.FS]!.selector, segs[Seg.DS]!.selector, segs[Seg.ES]!.selector, segs[Seg.SS]!.selector, cpu.regs[4]!]
      : [segs[Seg.SS]!.selector, cpu.regs[4]!];
    const values = [...outer, ...frame];
    const ssError = selectorError(ss, ext);
    checkRoom({ seg: stackSeg, esp }, values.length * size, ssError);
    if (target > codeLimit) throw new GuestFault(Vector.GP, ext ? 1 : 0);
    const newEsp = pushFrame(ctx, { seg: stackSeg, esp }, values, size, ssError, dpl < 3);
    const ssLoaded = markAccessed(ctx, ss, stackDesc);
    const codeLoaded = markAccessed(ctx, selector, code);
    if (v86) for (const s of [Seg.GS, Seg.FS, Seg.DS, Seg.ES]) loadNullSegment(cpu, s, 0);
    cpu.setSeg(Seg.SS, segmentCacheOf(ss, ssLoaded));
    cpu.regs[4] = newEsp;
    loadCodeSegment(ctx, selector, codeLoaded, dpl);
  } else {
    const stack = currentStack(ctx);
    checkRoom(stack, frame.length * size, ext ? 1 : 0);
    if (target > codeLimit) throw new GuestFault(Vector.GP, ext ? 1 : 0);
    const newEsp = pushFrame(ctx, stack, frame, size, ext ? 1 : 0, cpl < 3);
    const codeLoaded = markAccessed(ctx, selector, code);
    cpu.regs[4] = newEsp;
    loadCodeSegment(ctx, selector, codeLoaded, cpl);
  }
  // Interrupt gates also clear IF; both kinds clear TF, NT, RF and VM (vol. 3, 6.12.1.3).
  const interruptGate = descType(gate) === SysType.InterruptGate16 || descType(gate) === SysType.InterruptGate32;
  ctx.b.setEflags(0, Flag.TF | Flag.NT | Flag.RF | Flag.VM | (interruptGate ? Flag.IF : 0));
  cpu.eip = target;
}

/**
 * A task gate in the IDT (vol. 2, INT n "TASK-GATE"): switch to the task
 * with nesting, then, in the new task's context, push the error code and
 * check EIP against the new CS limit.
 */
function deliverThroughTaskGate(ctx: SystemContext, gate: Descriptor, errorCode: number | undefined, ext: boolean, cause: TaskSwitchCause): void {
  const cpu = ctx.cpu;
  const { selector, descriptor } = taskGateTarget(ctx, gateSelector(gate), ext);
  switchTask(ctx, selector, descriptor, TaskSource.Interrupt, ext, cpu.eip, cause, () => {
    if (errorCode !== undefined) {
      const size = cpu.tr.access & 8 ? 4 : 2;
      cpu.regs[4] = pushFrame(ctx, currentStack(ctx), [errorCode], size, ext ? 1 : 0, cpu.cpl < 3);
    }
    if (cpu.eip > cpu.segs[Seg.CS]!.limit) throw new GuestFault(Vector.GP, ext ? 1 : 0);
  });
}
