/**
 * The vCPU run loop, KVM_RUN's counterpart: VM entry (event injection from
 * the VMCS entry fields), the events recognised between instructions
 * (interrupt-window exits, external interrupts: SDM vol. 3C, 25.2-25.3 and
 * 26.6), a time slice of the execution tier (interpreter or JIT), and the
 * exits the tier comes back with: guest exceptions (checked against the
 * exception bitmap, else delivered through the IDT/IVT), HLT, triple
 * faults, and the exits the embedder takes, which run() returns.
 *
 * The embedder completes a returned instruction exit before the next
 * run(), as KVM user space does: IN data in `exit.io.data` (IN/INS; an
 * OUT/OUTS exit completes by itself), or skipInstruction() after emulating
 * it, or completeByDefault() to let the default VMM do it. With none of
 * these the instruction runs again and exits again, as under VT-x.
 *
 * With a virtual clock (`clock`), its due timers fire at every boundary
 * the loop sees, and HLT with IF = 1 and nothing pending idles until the
 * next timer deadline: with `idle` 'skip', guest time jumps there at once
 * (clock.idle(): deterministic runs, and no host time is wasted) and the
 * loop goes on; with 'return', run() returns the HLT exit and the owner
 * waits in host time (the machine sleeps until the deadline) before the
 * next run(). HLT with IF = 0, or with no timer armed, always returns.
 *
 * Interrupts are recognised at instruction boundaries this loop sees:
 * while one is waiting and blocked (IF = 0, or blocking by STI/MOV SS),
 * the loop runs one instruction at a time so that the first open boundary
 * delivers it; otherwise between time slices. Departures: a fault raised
 * while an event is being delivered is handled by event delivery (double
 * fault rules) and never checked against the exception bitmap (no
 * IDT-vectoring exits); no NMIs, no monitor trap flag.
 */
import type { Instruction } from '../translator/table/types.js';
import { Flag } from '../translator/semantics/backend.js';
import { VmExitSignal } from './concrete-backend.js';
import type { CpuState } from './cpu.js';
import { CR0_PE, StateSlot } from './cpu.js';
import { GuestFault, hasErrorCode, Vector, VECTOR_NAMES } from './exceptions.js';
import { ExitReason } from './exit-reason.js';
import { BUDGET_EXHAUSTED, type Interpreter, type VmExit } from './interpreter.js';
import { DEBUG_QUALIFICATION_BITS, debugStatusOf, debugStepping, recordDebugStatus } from './system/debug.js';
import { deliverEvent } from './system/events.js';
import { setTaskSwitchHook } from './system/tasks.js';
import { EventKind, type GuestEvent } from './system/event-types.js';
import { type DefaultVmm, isTakenExit } from './vmm.js';
import type { InterruptController } from './devices/irq.js';
import type { VirtualClock } from './devices/clock.js';
import type { IoAccess } from './vmx/qualification.js';
import { ExitStats } from './vmx/stats.js';
import { TaskSwitchExits } from './vmx/task-switch.js';
import { decodeInterruption, ExitControl, type ExitInfo, exitInfo, interruptionInfo, PinControl, ProcControl, type Vmcs } from './vmx/vmcs.js';

/** The INTR pin and interrupt-acknowledge cycle the PC's PIC or local APIC offers (runtime/devices/irq.ts). */
export type { InterruptController };

/** What a tier offers the vCPU: run up to `budget` instructions, return the exit. */
export interface ExecutionTier {
  run(budget: number): VmExit | { reason: typeof BUDGET_EXHAUSTED };
  /** Instructions retired since creation. */
  readonly retired: number;
  /**
   * End the running run() early, at the next point where the tier tests
   * its budget (a device raised INTR during the slice). A tier without it
   * runs its slices to the end, so the vCPU keeps them short.
   */
  endSliceEarly?(): void;
}

/** An I/O exit as the embedder sees it (KVM's kvm_run.io). */
export interface IoExit extends IoAccess {
  /** OUT/OUTS: the value written (absent when an OUTS source is unreadable). IN/INS: the embedder puts the value read here before the next run(). */
  data?: number;
}

/** Why run() returned. */
export interface VcpuExit {
  readonly reason: ExitReason | typeof BUDGET_EXHAUSTED;
  /**
   * The VMCS exit information, for a VM exit the embedder takes (and for
   * triple faults). Absent for returns that are not VM exits: the vCPU
   * halted with nothing to wake it, the budget ran out, a device ended the
   * slice, or an operation is not virtualised.
   */
  readonly info?: ExitInfo;
  readonly io?: IoExit;
  /** RDMSR/WRMSR: the MSR index (ECX). */
  readonly msr?: number;
  /** An exception exit: the exception. */
  readonly fault?: GuestFault;
  readonly detail?: unknown;
}

/** An event for people: '#GP(0010)', 'INT 80h', 'external interrupt 32'. */
function describeEvent(e: GuestEvent): string {
  switch (e.kind) {
    case EventKind.External: return `external interrupt ${e.vector}`;
    case EventKind.Nmi: return 'NMI';
    case EventKind.SoftwareInterrupt: return `INT ${e.vector.toString(16)}h`;
    default: {
      const name = VECTOR_NAMES[e.vector] ?? `vector ${e.vector}`;
      return e.errorCode !== undefined ? `${name}(${e.errorCode.toString(16).padStart(4, '0')})` : name;
    }
  }
}

/** Idle steps (HLT woken by nothing but a timer) one run() takes before returning. */
const IDLE_STEPS_PER_RUN = 1000;

/** A slice longer than the JIT's 32-bit budget slot can hold. */
const MAX_SLICE = 0x3fffffff;

/** An exit run() returned that the embedder may complete. */
interface PendingExit {
  readonly exit: VcpuExit;
  /** The instruction of an instruction exit. */
  readonly insn?: Instruction;
  readonly eip: number;
  how: 'skip' | 'default' | null;
}

export class Vcpu {
  readonly cpu: CpuState;
  readonly vmcs: Vmcs;
  readonly stats: ExitStats;
  /** The external-interrupt source; null: nothing ever interrupts. */
  interrupts: InterruptController | null = null;
  /**
   * With an interrupt controller, the longest run of instructions between
   * two looks at INTR: the interrupt latency, in instructions, of what
   * the loop cannot see coming. Slices are shorter where it can: with a
   * clock that instructions move, a slice ends where the next timer is
   * due; with a tier that can end a slice early (ExecutionTier.endSliceEarly),
   * a device accessed during the slice that raised INTR or armed an
   * earlier timer ends it (see deviceAccessed()).
   */
  interruptPollInstructions = 10_000;
  /**
   * Instructions the vCPU stepped one by one because an event waited for
   * blocking by STI or MOV SS to end (see waiting()): a statistic.
   */
  windowSteps = 0;
  /** Guest time, whose due timers fire at each boundary; null: no timers. */
  clock: VirtualClock | null = null;
  /** What HLT with IF = 1 and a timer armed does: jump guest time to the deadline ('skip') or return the HLT exit ('return'). */
  idle: 'skip' | 'return' = 'skip';
  /** The shutdown state a triple fault leaves: run() returns TripleFault until reset(). */
  shutdown = false;
  private pending: PendingExit | null = null;
  private readonly taskSwitches: TaskSwitchExits;
  /**
   * An external interrupt the default VMM took on an external-interrupt
   * exit, delivered when the guest can take it: its vector if the exit
   * acknowledged it, else null (acknowledged at delivery).
   */
  private held: { readonly vector: number | null } | null = null;
  /** The reason and host time of the last exit returned, for the handling time of the next run(). */
  private returnedAt: { reason: number; t: number } | null = null;
  /**
   * While the tier runs a slice it can end early: the guest time (ns) of
   * the timer deadline the slice was sized to (Infinity: none), and whether
   * INTR was up when it began. Null otherwise, and once the slice is ended.
   */
  private slice: { deadline: number; intr: boolean; ended: boolean } | null = null;

  constructor(readonly vmm: DefaultVmm, public tier: ExecutionTier) {
    this.cpu = vmm.ctx.cpu;
    this.vmcs = vmm.vmcs;
    this.stats = vmm.stats;
    // VT-x: every task switch exits (25.4.2); the default VMM's handling performs it.
    this.taskSwitches = new TaskSwitchExits(vmm.vmcs, vmm.stats, vmm.userExits);
    setTaskSwitchHook(vmm.ctx, this.taskSwitches.hook);
  }

  private get interp(): Interpreter {
    return this.vmm.ctx.interp;
  }

  /** Exit reasons the embedder handles itself (run() returns them). */
  get userExits(): Set<ExitReason> {
    return this.vmm.userExits;
  }

  /** Take these exit reasons: run() returns them instead of the default VMM handling them. */
  takeExits(...reasons: ExitReason[]): void {
    for (const r of reasons) this.vmm.userExits.add(r);
  }

  /** Step over the instruction of the last exit (the embedder emulated it): EIP += the exit instruction length. */
  skipInstruction(): void {
    const p = this.pending;
    if (!p?.insn) throw new Error('skipInstruction(): the last exit was not an instruction exit');
    const cpu = this.cpu;
    cpu.eip = cpu.mode.code32 ? (p.eip + p.insn.length) >>> 0 : (p.eip + p.insn.length) & 0xffff;
    this.interp.retired++;
    // The instruction counts as executed: blocking by STI or MOV SS before it is over (as KVM's skip clears the shadow).
    cpu.interruptShadow = 0;
    p.how = 'skip';
  }

  /** Let the default VMM handle the last exit on the next run() (emulate its instruction, or deliver its exception). */
  completeByDefault(): void {
    if (!this.pending) throw new Error('completeByDefault(): no exit to complete');
    this.pending.how = 'default';
  }

  /** Back to the power-up state (CPU, MSRs), out of the shutdown state; the VMCS controls are kept. */
  reset(): void {
    this.cpu.reset();
    this.vmm.msrs.reset();
    this.shutdown = false;
    this.pending = null;
    this.held = null;
    this.vmm.clearCompletion();
    this.vmcs.entryInterruptionInfo = 0;
  }

  /**
   * Run until an exit the caller must see, or until about `budget`
   * instructions have retired ({ reason: BUDGET_EXHAUSTED }).
   */
  run(budget = Infinity): VcpuExit {
    const interp = this.interp;
    const cpu = this.cpu;
    const start = interp.retired;
    if (this.returnedAt) {
      this.stats.addTime(this.returnedAt.reason, ExitStats.now() - this.returnedAt.t);
      this.returnedAt = null;
    }
    // Blocking by STI/MOV SS in the guest state on entry lasts for the next instruction (26.6.1).
    if (cpu.interruptShadow && interp.retired > this.vmm.shadowSetAt + 1) this.vmm.shadowSetAt = interp.retired - 1;
    if (this.pending) {
      const done = this.completePending();
      if (done) return this.returned(done);
    }
    let idled = 0;
    for (;;) {
      if (this.shutdown) return this.returned({ reason: ExitReason.TripleFault, info: exitInfo(ExitReason.TripleFault) });
      this.clock?.poll();
      const atBoundary = this.entryAndEvents();
      if (atBoundary) return this.returned(atBoundary);
      if (cpu.halted) {
        // Each idle step moves guest time to a timer; a timer whose interrupt stays masked
        // could be re-armed forever, so a run of them hands control back now and then.
        if (this.idle === 'skip' && this.interruptFlag() && this.clock && this.clock.nextDeadline() !== Infinity) {
          if (++idled > IDLE_STEPS_PER_RUN) return { reason: BUDGET_EXHAUSTED };
          this.clock.idle();
          continue;
        }
        return { reason: ExitReason.Hlt };
      }
      const left = budget - (interp.retired - start);
      if (left <= 0) return { reason: BUDGET_EXHAUSTED };
      this.vmm.committedCr2 = cpu.cr2;
      let exit: VmExit | { reason: typeof BUDGET_EXHAUSTED };
      let ended = false;
      let slice = Math.min(left, MAX_SLICE, this.interrupts ? this.interruptPollInstructions : MAX_SLICE);
      const waiting = this.waiting();
      if (waiting && cpu.interruptShadow !== 0) {
        // The event is taken at the boundary after this instruction (if IF is 1 then).
        this.windowSteps++;
        exit = interp.run(1);
      } else {
        // With IF = 0 the tier runs, and returns at the first instruction that sets IF
        // (StateSlot.IntrWaiting): the boundary after it is where the event is taken.
        cpu.state[StateSlot.IntrWaiting] = waiting && !this.interruptFlag() ? 1 : 0;
        const clock = this.clock;
        const toDeadline = this.interrupts && clock ? clock.instructionsToNextDeadline() : null;
        if (toDeadline !== null) slice = Math.max(1, Math.min(slice, toDeadline));
        // Translated code checks for no debug condition: while TF is 1 or an instruction breakpoint is enabled, the interpreter runs.
        const tier = debugStepping(cpu) ? null : this.tier === interp ? null : this.tier;
        if (this.interrupts && (!tier || tier.endSliceEarly)) this.slice = { deadline: clock ? clock.nextDeadline() : Infinity, intr: this.interrupts.pending(), ended: false };
        try {
          exit = tier ? tier.run(slice) : this.interpret(slice);
        } finally {
          ended = this.slice?.ended ?? false;
          this.slice = null;
          cpu.state[StateSlot.IntrWaiting] = 0;
        }
      }
      this.expireShadow();
      const out = this.afterTier(exit);
      if (out) return this.returned(out);
      // A tier with an approximate budget (JitStrategy.budget) stops short of the last slice at a budget
      // test: that is "about" the budget. Another slice of the few instructions left could not reach the
      // next test, so the tier would interpret them and leave the next run() in the middle of a block.
      if (exit.reason === BUDGET_EXHAUSTED && slice === left && !ended && interp.retired - start < budget) return { reason: BUDGET_EXHAUSTED };
    }
  }

  /**
   * A device was accessed (a port or MMIO): the machine's buses call this.
   * During a slice the tier can end early, if the access raised INTR or
   * armed a timer due before the deadline the slice was sized to, the
   * slice ends at the tier's next budget test, and the loop sees the
   * interrupt (or steps to the boundary where it can be taken) or sizes
   * the next slice to the new deadline, as it would have with short slices.
   */
  deviceAccessed(): void {
    const s = this.slice;
    if (s === null || s.ended) return;
    const raised = !s.intr && this.interrupts!.pending();
    if (raised || (this.clock !== null && this.clock.nextDeadline() < s.deadline)) {
      s.ended = true;
      this.tier.endSliceEarly?.();
    }
  }

  /** The interpreter as the tier, stepped here so that deviceAccessed() can end its slice after any instruction. */
  private interpret(slice: number): VmExit | { reason: typeof BUDGET_EXHAUSTED } {
    const interp = this.interp;
    const s = this.slice;
    const st = this.cpu.state;
    for (let n = 0; n < slice; n++) {
      const exit = interp.stepExit();
      if (exit) return exit;
      if (s?.ended) break;
      // An event waits for the IF this instruction set.
      if (st[StateSlot.IntrWaiting] && this.interruptFlag()) break;
    }
    return { reason: BUDGET_EXHAUSTED };
  }

  private returned(exit: VcpuExit): VcpuExit {
    if (exit.info && exit.reason !== BUDGET_EXHAUSTED) this.returnedAt = { reason: exit.reason, t: ExitStats.now() };
    return exit;
  }

  /** IF, from the materialised flags (IF is never held lazily). */
  private interruptFlag(): boolean {
    return (this.cpu.flags & Flag.IF) !== 0;
  }

  /** Blocking by STI or MOV SS is over once the instruction after the one that set it has retired. */
  private expireShadow(): void {
    if (this.cpu.interruptShadow && this.interp.retired > this.vmm.shadowSetAt + 1) this.cpu.interruptShadow = 0;
  }

  /**
   * Does an event wait for IF = 1 and the end of blocking (a held or
   * pending interrupt, an interrupt-window exit)? Then blocking by STI or
   * MOV SS is stepped through one instruction at a time, and a tier run
   * with IF = 0 returns where IF becomes 1 (StateSlot.IntrWaiting): before
   * that, a Linux boot stepped every instruction of its interrupts-off code
   * (3.5 M of them) through this loop whenever the timer's interrupt was
   * pending.
   */
  private waiting(): boolean {
    return this.held !== null || this.vmcs.has(ProcControl.InterruptWindowExiting) || (this.interrupts?.pending() ?? false);
  }

  /**
   * VM entry's event injection, then the events recognised at this
   * instruction boundary, in the SDM's priority: interrupt-window exits
   * before external interrupts (25.2, 26.6.5). Returns an exit for the
   * caller, or null to run.
   */
  private entryAndEvents(): VcpuExit | null {
    const vmcs = this.vmcs;
    const cpu = this.cpu;
    if (vmcs.entryInterruptionInfo & (1 << 31)) {
      const out = this.inject();
      if (out) return out;
    }
    const open = this.interruptFlag() && cpu.interruptShadow === 0;
    if (vmcs.has(ProcControl.InterruptWindowExiting) && open) {
      cpu.halted = false;
      const info = exitInfo(ExitReason.InterruptWindow);
      vmcs.recordExit(info);
      this.stats.count(ExitReason.InterruptWindow);
      if (this.userExits.has(ExitReason.InterruptWindow)) return { reason: ExitReason.InterruptWindow, info };
      // The window the control waited for is open: nothing else to do.
      vmcs.procControls &= ~ProcControl.InterruptWindowExiting;
    }
    const pic = this.interrupts;
    if (this.held === null && pic?.pending()) {
      if (vmcs.pinControls & PinControl.ExternalInterruptExiting) {
        // With external-interrupt exiting, IF does not block the exit (25.3); blocking by STI/MOV SS does.
        if (cpu.interruptShadow === 0) {
          cpu.halted = false;
          const ack = (vmcs.exitControls & ExitControl.AcknowledgeInterruptOnExit) !== 0;
          const vector = ack ? pic.acknowledge() & 0xff : -1;
          const info = exitInfo(ExitReason.ExternalInterrupt, { interruptionInfo: ack ? interruptionInfo(vector, EventKind.External, false) : 0 });
          vmcs.recordExit(info);
          this.stats.count(ExitReason.ExternalInterrupt);
          if (this.userExits.has(ExitReason.ExternalInterrupt)) {
            const out: VcpuExit = { reason: ExitReason.ExternalInterrupt, info };
            this.pending = { exit: out, eip: cpu.eip, how: null };
            return out;
          }
          // The default VMM handles it: deliver it when the guest can take it.
          this.held = { vector: ack ? vector : null };
        }
      } else if (open) {
        const out = this.deliver({ vector: pic.acknowledge() & 0xff, kind: EventKind.External });
        if (out) return out;
      }
    }
    if (this.held !== null && this.interruptFlag() && cpu.interruptShadow === 0) {
      const vector = this.held.vector ?? (pic ? pic.acknowledge() & 0xff : null);
      this.held = null;
      if (vector === null) return null;
      const t0 = ExitStats.now();
      const out = this.deliver({ vector, kind: EventKind.External });
      this.stats.addTime(ExitReason.ExternalInterrupt, ExitStats.now() - t0);
      if (out) return out;
    }
    return null;
  }

  /** Deliver the event of the VM-entry interruption-information field (26.5.1). */
  private inject(): VcpuExit | null {
    const vmcs = this.vmcs;
    const cpu = this.cpu;
    const word = vmcs.entryInterruptionInfo;
    const { vector, kind, errorCodeValid } = decodeInterruption(word);
    vmcs.entryInterruptionInfo &= ~(1 << 31);
    const valid = kind === EventKind.External || kind === EventKind.HardwareException || kind === EventKind.SoftwareInterrupt
      || kind === EventKind.PrivilegedSoftwareException || kind === EventKind.SoftwareException || (kind === EventKind.Nmi && vector === Vector.NMI);
    if (!valid || (kind === EventKind.HardwareException && vector > 31) || (errorCodeValid && kind !== EventKind.HardwareException)) {
      throw new Error(`invalid VM-entry interruption information ${(word >>> 0).toString(16)}h (type ${kind}, vector ${vector})`);
    }
    let length: number | undefined;
    if (kind === EventKind.SoftwareInterrupt || kind === EventKind.SoftwareException || kind === EventKind.PrivilegedSoftwareException) {
      // The return address is past the instruction that raised it: EIP + the VM-entry instruction length.
      length = vmcs.entryInstructionLength;
      cpu.eip = cpu.mode.code32 ? (cpu.eip + length) >>> 0 : (cpu.eip + length) & 0xffff;
    }
    const event: GuestEvent = errorCodeValid ? { vector, kind, errorCode: vmcs.entryExceptionErrorCode } : { vector, kind };
    return this.deliver(event, length, true);
  }

  /** Deliver an event through the IDT/IVT (`injected`: by VM entry); a triple fault becomes the TripleFault exit. */
  private deliver(event: GuestEvent, instructionLength?: number, injected = false): VcpuExit | null {
    try {
      deliverEvent(this.vmm.ctx, event, instructionLength, injected);
      return null;
    } catch (e) {
      if (e instanceof VmExitSignal && (e.exit as VmExit).reason === ExitReason.TripleFault) {
        return this.tripleFault(`delivering ${describeEvent(event)}: ${String((e.exit as VmExit).detail ?? 'shutdown')}`);
      }
      throw e;
    }
  }

  private tripleFault(detail: unknown): VcpuExit {
    this.shutdown = true;
    this.cpu.halted = false;
    const info = exitInfo(ExitReason.TripleFault);
    this.vmcs.recordExit(info);
    this.stats.count(ExitReason.TripleFault);
    return { reason: ExitReason.TripleFault, info, detail };
  }

  /** What the tier came back with: null to keep running, or the exit for the caller. */
  private afterTier(exit: VmExit | { reason: typeof BUDGET_EXHAUSTED }): VcpuExit | null {
    if (exit.reason === BUDGET_EXHAUSTED) return null;
    const e = exit as VmExit;
    if (isTakenExit(e.detail)) {
      const taken = e.detail.taken;
      const io: IoExit | undefined = taken.io ? { ...taken.io } : undefined;
      if (io && !io.input) io.data = this.outputData(e.detail.insn, io);
      const out: VcpuExit = { reason: taken.reason, info: taken, io, msr: taken.msr };
      this.pending = { exit: out, insn: e.detail.insn, eip: this.cpu.eip, how: null };
      return out;
    }
    switch (e.reason) {
      case ExitReason.ExceptionOrNmi:
        return this.exception(e.fault!);
      case ExitReason.Hlt:
        return null; // halted: the next boundary decides whether anything wakes it
      case ExitReason.TripleFault:
        return this.tripleFault(e.detail);
    }
    return { reason: e.reason, detail: e.detail };
  }

  /** The value an OUT or OUTS exit writes (an unreadable OUTS source faults when the instruction runs, not here). */
  private outputData(insn: Instruction, io: IoAccess): number | undefined {
    const b = this.vmm.ctx.b;
    const src = insn.operands[1]!;
    const cr2 = this.cpu.cr2;
    try {
      if (src.kind === 'reg') return b.reg(src.reg, src.size);
      if (src.kind === 'mem') {
        const cx = insn.adsize;
        if (io.rep && b.reg(1, cx) === 0) return undefined;
        return b.load(src.seg, b.reg(6, cx), io.size);
      }
    } catch (e) {
      if (e instanceof GuestFault) return undefined;
      throw e;
    } finally {
      this.cpu.cr2 = cr2;
    }
    return undefined;
  }

  /**
   * A guest exception: a VM exit if the exception bitmap says so (25.2),
   * else delivery. INT3 and INTO are software exceptions, INT1 a
   * privileged one; their exit reports the instruction (EIP at it, length
   * 1: the unprefixed encodings).
   */
  private exception(f: GuestFault): VcpuExit | null {
    const cpu = this.cpu;
    const vmcs = this.vmcs;
    const kind = !f.trap ? EventKind.HardwareException : f.vector === Vector.DB ? EventKind.PrivilegedSoftwareException : EventKind.SoftwareException;
    const software = kind !== EventKind.HardwareException;
    const length = software ? 1 : 0;
    // An incurred exception ends blocking by STI and MOV SS (26.6.1).
    cpu.interruptShadow = 0;
    if (!vmcs.exceptionExits(f.vector, f.errorCode)) return this.deliverFault(f, kind, length);
    // A #PF that exits does not update CR2: its address (which the MMU put in CR2 as it raised
    // the fault, in every tier) is the qualification instead (27.1).
    const address = cpu.cr2 | 0;
    if (f.vector === Vector.PF) cpu.cr2 = this.vmm.committedCr2;
    if (software) cpu.eip = cpu.mode.code32 ? (cpu.eip - length) >>> 0 : (cpu.eip - length) & 0xffff;
    const errorCodeValid = !software && hasErrorCode(f.vector) && (cpu.cr0 & CR0_PE) !== 0;
    const info = exitInfo(ExitReason.ExceptionOrNmi, {
      // A #DB exit reports its DR6 bits here and leaves DR6 alone (27.1).
      qualification: f.vector === Vector.PF ? address : debugStatusOf(f) & DEBUG_QUALIFICATION_BITS,
      instructionLength: length,
      interruptionInfo: interruptionInfo(f.vector, kind, errorCodeValid),
      interruptionErrorCode: errorCodeValid ? f.errorCode : 0,
    });
    vmcs.recordExit(info);
    this.stats.count(ExitReason.ExceptionOrNmi);
    if (this.userExits.has(ExitReason.ExceptionOrNmi)) {
      const out: VcpuExit = { reason: ExitReason.ExceptionOrNmi, info, fault: f };
      this.pending = { exit: out, eip: cpu.eip, how: null };
      return out;
    }
    const t0 = ExitStats.now();
    try {
      return this.reflect(f, kind, length, info.qualification);
    } finally {
      this.stats.addTime(ExitReason.ExceptionOrNmi, ExitStats.now() - t0);
    }
  }

  /** The default VMM's answer to an exception exit: give the exception to the guest (CR2 for #PF, EIP past a software exception). */
  private reflect(f: GuestFault, kind: EventKind, length: number, qualification: number): VcpuExit | null {
    const cpu = this.cpu;
    if (f.vector === Vector.PF) cpu.cr2 = qualification;
    if (length) cpu.eip = cpu.mode.code32 ? (cpu.eip + length) >>> 0 : (cpu.eip + length) & 0xffff;
    return this.deliverFault(f, kind, length);
  }

  private deliverFault(f: GuestFault, kind: EventKind, length: number): VcpuExit | null {
    const withCode = kind === EventKind.HardwareException && hasErrorCode(f.vector);
    const event: GuestEvent = withCode ? { vector: f.vector, kind, errorCode: f.errorCode } : { vector: f.vector, kind };
    recordDebugStatus(this.cpu, f);
    return this.deliver(event, length || undefined);
  }

  /**
   * Finish the exit run() returned last, before anything else happens at
   * entry (as KVM completes user-space I/O first): a skipped instruction is
   * done; an I/O exit completes with the embedder's data; completeByDefault()
   * hands it to the default VMM; anything else runs again.
   */
  private completePending(): VcpuExit | null {
    const p = this.pending!;
    this.pending = null;
    if (p.how === 'skip') return null;
    const exit = p.exit;
    if (exit.reason === ExitReason.ExceptionOrNmi && exit.fault) {
      if (p.how !== 'default') return null;
      const f = exit.fault;
      const kind = decodeInterruption(exit.info!.interruptionInfo).kind;
      return this.reflect(f, kind, exit.info!.instructionLength, exit.info!.qualification);
    }
    if (exit.reason === ExitReason.ExternalInterrupt) {
      // Handed back, the interrupt is the default VMM's to deliver when the guest can take it.
      if (p.how === 'default') {
        const { valid, vector } = decodeInterruption(exit.info!.interruptionInfo);
        this.held = { vector: valid ? vector : null };
      }
      return null;
    }
    if (!p.insn || this.cpu.eip !== p.eip) return null;
    if (p.how === 'default') this.vmm.complete(p.insn, p.eip, { kind: 'emulate' });
    else if (exit.io) {
      if (exit.io.input && exit.io.data === undefined) {
        throw new Error(`IN from port ${exit.io.port.toString(16)}h: set exit.io.data (or call skipInstruction() or completeByDefault()) before run()`);
      }
      this.vmm.complete(p.insn, p.eip, { kind: 'io', data: exit.io.input ? exit.io.data! : 0 });
    } else {
      return null;
    }
    this.vmm.committedCr2 = this.cpu.cr2;
    this.taskSwitches.completing = exit.reason === ExitReason.TaskSwitch;
    const step = this.interp.stepExit();
    this.taskSwitches.completing = false;
    this.vmm.clearCompletion();
    this.expireShadow();
    return step ? this.afterTier(step) : null;
  }
}
