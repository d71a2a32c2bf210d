/**
 * The default VMM core: the hypercall flow of every sensitive instruction
 * with VT-x semantics. For each one it asks the VMCS whether the
 * instruction exits under the current controls (runtime/vmx/
 * instruction-exits.ts); if it does, the exit information is recorded and
 * either the embedder takes it (run() returns it, as KVM_RUN returns an
 * exit to user space) or this VMM emulates the instruction with its
 * architectural operation (runtime/system) and the guest resumes. If it
 * does not exit, the operation runs as VMX non-root operation runs it
 * (runtime/vmx/non-root.ts: CR read shadows, the TSC offset).
 *
 * The default controls are the ones a VMM like KVM sets to see what the
 * guest does (defaultControls): HLT, INVLPG, RDTSC, RDPMC, CR3, MOV DR,
 * descriptor-table and WBINVD exiting, unconditional I/O exiting, every
 * MSR access (no MSR bitmaps); no exception exits, no CR0/CR4 ownership.
 *
 * An operation no unit provides yet ends run() with its exit reason, as KVM
 * returns an exit it cannot handle.
 */
import type { Instruction } from '../translator/table/types.js';
import { type HypercallHandler, VmExitSignal } from './concrete-backend.js';
import type { CpuModel } from './cpu-model.js';
import { ExitReason } from './exit-reason.js';
import { IoBus } from './io-bus.js';
import type { Interpreter, VmExit } from './interpreter.js';
import { MSR_OPS, MsrFile, type MsrFileOptions } from './msr.js';
import type { SystemContext, SystemOps } from './system/context.js';
import { BASIC_OPS, rdtscFault } from './system/basic-ops.js';
import { SEGMENT_OPS } from './system/segment-ops.js';
import { TRANSFER_OPS } from './system/transfer-ops.js';
import { type InstructionExit, instructionExit } from './vmx/instruction-exits.js';
import { emulateAfterExit, offsetTsc, runNonRoot } from './vmx/non-root.js';
import { ExitStats } from './vmx/stats.js';
import { ProcControl, ProcControl2, Vmcs } from './vmx/vmcs.js';

/** Merge operation sets; a `sem` defined twice is a bug (one would silently win). */
function mergeOps(...sets: SystemOps[]): SystemOps {
  const all: Record<string, SystemOps[string]> = {};
  for (const set of sets) {
    for (const [sem, op] of Object.entries(set)) {
      if (all[sem]) throw new Error(`system operation '${sem}' is defined twice`);
      all[sem] = op;
    }
  }
  return all;
}

/** Every system operation, by the opcode table's `sem` name. */
export const SYSTEM_OPS: SystemOps = mergeOps(BASIC_OPS, SEGMENT_OPS, TRANSFER_OPS, MSR_OPS);

/** The default VMM's VM-execution controls (see the file comment). */
export function defaultControls(vmcs: Vmcs): void {
  vmcs.pinControls = 0;
  vmcs.procControls = ProcControl.HltExiting | ProcControl.InvlpgExiting | ProcControl.RdtscExiting | ProcControl.RdpmcExiting
    | ProcControl.Cr3LoadExiting | ProcControl.Cr3StoreExiting | ProcControl.MovDrExiting | ProcControl.UnconditionalIoExiting
    | ProcControl.ActivateSecondaryControls;
  vmcs.procControls2 = ProcControl2.DescriptorTableExiting | ProcControl2.WbinvdExiting;
  vmcs.exceptionBitmap = 0;
  vmcs.cr0GuestHostMask = vmcs.cr4GuestHostMask = 0;
}

/** CR4.DE */
const CR4_DE = 0x8;

/** Could an I/O breakpoint match (CR4.DE and a breakpoint enabled with R/W = 10b, vol. 3, 17.2.4)? */
function ioBreakpointsPossible(cr4: number, dr7: number): boolean {
  if (!(cr4 & CR4_DE)) return false;
  for (let n = 0; n < 4; n++) if ((dr7 >>> (2 * n)) & 3 && ((dr7 >>> (16 + 4 * n)) & 3) === 2) return true;
  return false;
}

/** An instruction exit the embedder takes: thrown out of the tier, returned by Vcpu.run(). */
export interface TakenExit {
  readonly taken: InstructionExit;
  readonly insn: Instruction;
}

export function isTakenExit(detail: unknown): detail is TakenExit {
  return typeof detail === 'object' && detail !== null && 'taken' in detail && 'insn' in detail;
}

/**
 * How the instruction of an exit the embedder took is completed when the
 * guest resumes at it: by the default VMM's emulation, or (IN, INS, OUT,
 * OUTS) with the embedder standing in for the device.
 */
export type Completion =
  | { readonly kind: 'emulate' }
  | { readonly kind: 'io'; readonly data: number };

/** The I/O bus of a completed I/O exit: IN reads the embedder's data; OUT's data went to the embedder already. */
class CompletionBus extends IoBus {
  constructor(private readonly data: number) { super(); }
  override read(_port: number, size: 1 | 2 | 4): number {
    return size === 4 ? this.data | 0 : this.data & ((1 << (size * 8)) - 1);
  }
  override write(): void {}
}

export interface VmmOptions extends MsrFileOptions {}

export class DefaultVmm implements HypercallHandler {
  readonly vmcs = new Vmcs();
  readonly msrs: MsrFile;
  readonly stats = new ExitStats();
  /** Exit reasons the embedder handles: run() returns these instead of this VMM handling them. */
  readonly userExits = new Set<ExitReason>();
  /** What system operations see (built by attach()). */
  ctx!: SystemContext;
  /**
   * interp.retired before the instruction that set the current blocking by
   * STI or MOV SS retired: the blocking lasts until the instruction after it
   * retires, i.e. while interp.retired === shadowSetAt + 1.
   */
  shadowSetAt = -1;
  /** CR2 as the last completed instruction left it: a #PF that exits must not change CR2 (27.1). */
  committedCr2 = 0;
  /** The completion of an exit the embedder took, for the instruction at `eip` (set by the Vcpu). */
  private completion: { readonly eip: number; readonly insn: Instruction; readonly how: Completion } | null = null;

  constructor(readonly io: IoBus, readonly model: CpuModel, options: VmmOptions = {}) {
    this.msrs = new MsrFile(options);
    defaultControls(this.vmcs);
  }

  attach(interp: Interpreter): void {
    this.ctx = { cpu: interp.cpu, mem: interp.mem, mmu: interp.mmu, b: interp.backend, interp, io: this.io, model: this.model, msrs: this.msrs };
    this.committedCr2 = interp.cpu.cr2;
  }

  /**
   * The inline strategy's port access (runtime/jit InlineVmm): translated
   * code already checked CPL <= IOPL outside v8086 mode. The VMM need not
   * act when the embedder does not take I/O exits, no I/O breakpoint can
   * match (CR4.DE with an enabled R/W = 10b breakpoint in DR7), and a
   * device of the core's bus owns the port; then the device is accessed
   * directly, with no exit recorded (null otherwise: the trap path runs
   * the instruction). interp.retired is made exact for the access (the
   * devices' clocks count retired instructions).
   */
  inlineIo(port: number, size: 1 | 2 | 4, input: boolean, value: number, retired: number): number | null {
    const ctx = this.ctx;
    if (this.userExits.has(ExitReason.IoInstruction) || !this.io.owns(port) || ioBreakpointsPossible(ctx.cpu.cr4, ctx.cpu.dr[7]!)) return null;
    const interp = ctx.interp;
    const saved = interp.retired;
    interp.retired = retired;
    // The instruction runs: blocking by STI or MOV SS before it is over.
    this.endShadow(retired);
    try {
      if (input) return ctx.io.read(port, size);
      ctx.io.write(port, size, value);
      return 0;
    } finally {
      interp.retired = saved;
    }
  }

  /**
   * The inline strategy's RDTSC (runtime/jit InlineVmm), `retired`
   * instructions having retired before it: the TSC as the trap path would
   * give it (the virtual TSC, plus the VMCS TSC offset under "use TSC
   * offsetting", whether the instruction exits to this VMM or not), with
   * no exit recorded; null when the trap path must run it: the model has
   * no TSC (#UD), CR4.TSD at CPL > 0 (#GP), the embedder takes RDTSC
   * exits, or an exit the embedder took is being completed.
   */
  inlineRdtsc(retired: number): bigint | null {
    const ctx = this.ctx;
    if (rdtscFault(ctx) || this.completion) return null;
    if (this.vmcs.has(ProcControl.RdtscExiting) && this.userExits.has(ExitReason.Rdtsc)) return null;
    // interp.retired made exact for the read (a clock that counts retired instructions reads it).
    const interp = ctx.interp;
    const saved = interp.retired;
    interp.retired = retired;
    try {
      this.endShadow(retired);
      const tsc = this.msrs.tsc.read(retired);
      return this.vmcs.has(ProcControl.UseTscOffsetting) ? offsetTsc(this.vmcs, tsc) : tsc;
    } finally {
      interp.retired = saved;
    }
  }

  /** STI with IF = 0 retired in translated code after `retired` instructions: blocking by STI, as hypercall() records it. */
  inlineSti(retired: number): void {
    this.ctx.cpu.interruptShadow = 1;
    this.shadowSetAt = retired;
  }

  /** Exits by reason (counts; `stats` has the host time too). */
  get exitCounts(): Map<number, number> {
    return this.stats.countsByReason();
  }

  /** Complete the taken exit of `insn` (at EIP `eip`) the next time the guest executes it. */
  complete(insn: Instruction, eip: number, how: Completion): void {
    this.completion = { eip, insn, how };
  }

  /** Drop a completion the guest did not consume (its EIP was moved elsewhere). */
  clearCompletion(): boolean {
    const had = this.completion !== null;
    this.completion = null;
    return had;
  }

  hypercall(i: Instruction): void {
    const ctx = this.ctx;
    const cpu = ctx.cpu;
    const retired = ctx.interp.retired;
    const op = SYSTEM_OPS[i.row.sem];
    const completion = this.completion;
    if (completion && completion.eip === i.eip && completion.insn.row === i.row) {
      this.completion = null;
      this.endShadow(retired);
      this.finish(i, op, completion.how);
    } else {
      const exit = instructionExit(this.vmcs, ctx, i);
      if (exit) {
        this.vmcs.recordExit(exit);
        this.stats.count(exit.reason);
        if (this.userExits.has(exit.reason)) {
          const taken: TakenExit = { taken: exit, insn: i };
          throw new VmExitSignal({ reason: exit.reason, detail: taken } satisfies VmExit);
        }
        this.endShadow(retired);
        const t0 = ExitStats.now();
        try {
          emulateAfterExit(this.vmcs, ctx, i, this.require(i, op, exit.reason));
        } finally {
          this.stats.addTime(exit.reason, ExitStats.now() - t0);
        }
      } else {
        this.endShadow(retired);
        runNonRoot(this.vmcs, ctx, i, this.require(i, op, i.row.exit));
      }
    }
    if (cpu.interruptShadow) this.shadowSetAt = retired;
    this.committedCr2 = cpu.cr2;
  }

  /**
   * Blocking by STI or MOV SS ends as the instruction after the one that set
   * it runs (an exit before it runs leaves the blocking in the guest state).
   */
  private endShadow(retired: number): void {
    if (this.ctx.cpu.interruptShadow && this.shadowSetAt !== retired) this.ctx.cpu.interruptShadow = 0;
  }

  /** Finish an instruction whose exit the embedder took. */
  private finish(i: Instruction, op: SystemOps[string] | undefined, how: Completion): void {
    const ctx = this.ctx;
    if (how.kind === 'io') {
      this.require(i, op, ExitReason.IoInstruction)({ ...ctx, io: new CompletionBus(how.data) }, i);
      return;
    }
    emulateAfterExit(this.vmcs, ctx, i, this.require(i, op, i.row.exit));
  }

  private require(i: Instruction, op: SystemOps[string] | undefined, reason: ExitReason | undefined): SystemOps[string] {
    if (op) return op;
    throw new VmExitSignal({ reason: reason ?? ExitReason.EntryFailGuestState, detail: `${i.row.mnemonic} is not virtualised yet` } satisfies VmExit);
  }
}
