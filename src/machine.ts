/**
 * A minimal PC built from a config: RAM, one vCPU run by an execution tier
 * under the default VMM core (runtime/vcpu.ts, runtime/vmm.ts), a 16550A
 * UART on COM1 and QEMU's isa-debug-exit. `run()` plays the part of
 * QEMU's vCPU thread around KVM_RUN: it calls Vcpu.run() in time slices
 * and turns the exits it returns (HLT with nothing to wake it, a triple
 * fault, a debug-exit write, an exit the embedder took or nobody handles)
 * into an exit status.
 *
 * Guest exceptions are delivered through the IDT (or real-mode IVT); one
 * that cannot be delivered ends the run as a triple fault. There is no
 * interrupt controller on this machine yet, so HLT with interrupts enabled
 * would wait forever: it ends the run as a failure.
 */
import { JitTier } from '../runtime/jit/jit.js';
import { WorkerCompileService } from './compile-service.js';
import { JIT_STRATEGIES } from '../runtime/jit/strategies.js';
import { Interpreter, BUDGET_EXHAUSTED } from '../runtime/interpreter.js';
import { CpuState } from '../runtime/cpu.js';
import { CpuModelError, parseCpuModel, type CpuModel } from '../runtime/cpu-model.js';
import type { FpuStrategy } from '../runtime/fpu/state.js';
import { PhysicalMemory } from '../runtime/memory.js';
import { DefaultVmm } from '../runtime/vmm.js';
import { IoBus } from '../runtime/io-bus.js';
import { ExitReason } from '../runtime/exit-reason.js';
import { VmExitSignal } from '../runtime/concrete-backend.js';
import { VECTOR_NAMES, hasErrorCode } from '../runtime/exceptions.js';
import { Access, PAGING_POLICY_NAMES, type PagingPolicyName, pagingFeaturesOf } from '../runtime/mmu.js';
import { type ExecutionTier, Vcpu, type VcpuExit } from '../runtime/vcpu.js';
import { Seg } from '../translator/table/types.js';
import { Uart16550, type SerialSink } from '../runtime/devices/uart16550.js';
import { DebugExit, DEBUG_EXIT_IOBASE, DEBUG_EXIT_IOSIZE } from '../runtime/devices/debug-exit.js';
import { ConfigError } from './errors.js';
import { exitReasonName } from './exit-names.js';

export type { ExecutionTier } from '../runtime/vcpu.js';

/** COM1's base port and its eight registers. */
export const COM1_BASE = 0x3f8;

/** Smallest RAM that holds a flat image at 1 MiB with room above it. */
export const MIN_MEMORY_MIB = 2;
/** Largest RAM: guest RAM sits below the 3 GiB PCI hole. */
export const MAX_MEMORY_MIB = 3072;

/**
 * Exit statuses of `run()`. 0 and the odd numbers follow QEMU (a normal
 * stop; isa-debug-exit's (v << 1) | 1); our own failures are even so they
 * never collide with a debug-exit status. 2 is kept for the CLI's usage errors.
 */
export const enum RunStatus {
  Halted = 0,
  /** An exception exit the embedder took (the exception bitmap) and left unanswered. */
  GuestFault = 4,
  UnhandledExit = 6,
  HaltedForever = 8,
  InstructionLimit = 10,
  /** A triple fault: the vCPU entered the shutdown state. */
  TripleFault = 12,
}

/** The execution tier a machine runs its vCPU with: the reference interpreter or a JIT strategy. */
export type TierName = string;
export const TIERS: readonly TierName[] = ['interpreter', ...Object.keys(JIT_STRATEGIES)];

export interface MachineConfig {
  /** RAM size in MiB. */
  memoryMiB: number;
  /** CPU model (CPUID), as `-cpu` takes it: a name ('i686', 'pentium', 'pentium2', 'pentium3') and optional ,+feature / ,-feature. */
  cpu?: string;
  /** Where COM1's output goes; dropped when absent. */
  serial?: SerialSink;
  tier?: TierName;
  /** How the x87 unit computes: 'exact' (default, bit for bit) or 'fast' (host f64 where it applies; runtime/fpu/fast.ts). */
  fpu?: FpuStrategy;
  /** Instructions per time slice between device flushes and limit checks. */
  sliceInstructions?: number;
  /** How the MMU keeps its TLB coherent with the guest's page tables (runtime/paging): 'nested' (default) or 'shadow'. */
  paging?: PagingPolicyName;
}

export interface RunOptions {
  /** Stop with `RunStatus.InstructionLimit` after about this many instructions (tests, benchmarks). */
  maxInstructions?: number;
}

/** Why the run ended. */
export type RunOutcome =
  | { kind: 'halted' }
  | { kind: 'debug-exit'; value: number }
  | { kind: 'fault'; vector: number; errorCode: number; cr2: number; eip: number; bytes: number[] }
  | { kind: 'triple-fault'; detail: string; eip: number; bytes: number[] }
  | { kind: 'halted-forever'; eip: number }
  | { kind: 'unhandled-exit'; reason: number; detail: string; eip: number }
  | { kind: 'instruction-limit' };

export interface RunResult {
  status: number;
  /** Instructions retired during this run. */
  retired: number;
  /** Wall-clock seconds spent in the run loop. */
  seconds: number;
  outcome: RunOutcome;
  /** One line for people: why the run ended. */
  message: string;
}

/** VM exits of one reason, for people (`--stats`, machine.exitStats()). */
export interface ExitStatRow {
  readonly reason: number;
  /** The SDM's name (as Linux spells it). */
  readonly name: string;
  readonly count: number;
  /** Host milliseconds spent handling them. */
  readonly ms: number;
}

/** Thrown through the tier by the debug-exit device to end the slice at once. */
interface DebugExitRequest {
  readonly debugExit: number;
}

export class Machine {
  readonly cpu: CpuState;
  readonly mem: PhysicalMemory;
  readonly io = new IoBus();
  readonly vmm: DefaultVmm;
  readonly vcpu: Vcpu;
  /** The JIT tier, when the machine runs one. */
  jit: JitTier | null;
  /** Where an asynchronous JIT strategy compiles. */
  private service: WorkerCompileService | null;
  readonly interpreter: Interpreter;
  readonly uart: Uart16550;
  readonly model: CpuModel;
  private readonly slice: number;

  constructor(config: MachineConfig) {
    const mib = config.memoryMiB;
    if (!Number.isInteger(mib) || mib < MIN_MEMORY_MIB || mib > MAX_MEMORY_MIB) {
      throw new ConfigError(`memory size must be a whole number of MiB from ${MIN_MEMORY_MIB} to ${MAX_MEMORY_MIB}, got ${mib}`);
    }
    try {
      this.model = parseCpuModel(config.cpu ?? 'i686');
    } catch (e) {
      if (e instanceof CpuModelError) throw new ConfigError(e.message);
      throw e;
    }
    const tier = config.tier ?? 'interpreter';
    if (!TIERS.includes(tier)) throw new ConfigError(`unknown execution tier '${tier}' (known: ${TIERS.join(', ')})`);
    if (config.paging !== undefined && !PAGING_POLICY_NAMES.includes(config.paging)) {
      throw new ConfigError(`unknown paging policy '${config.paging}' (known: ${PAGING_POLICY_NAMES.join(', ')})`);
    }
    this.slice = config.sliceInstructions ?? 200_000;

    this.mem = new PhysicalMemory(mib * 1024 * 1024);
    this.cpu = CpuState.in(this.mem);
    this.vmm = new DefaultVmm(this.io, this.model);
    this.interpreter = new Interpreter(this.cpu, this.mem, this.vmm);
    this.vmm.attach(this.interpreter);
    // The page walk follows what CPUID reports (MAXPHYADDR, PAT, PSE-36).
    this.interpreter.mmu.setFeatures(pagingFeaturesOf(this.model.features));
    if (config.paging) this.interpreter.mmu.setPolicy(config.paging);
    const strategy = JIT_STRATEGIES[tier];
    this.service = strategy?.async ? new WorkerCompileService() : null;
    this.jit = tier === 'interpreter' ? null : new JitTier(this.interpreter, strategy!, this.service);
    this.vcpu = new Vcpu(this.vmm, this.jit ?? this.interpreter);
    this.cpu.reset();
    this.cpu.fpu.strategy = config.fpu ?? 'exact';

    const sink = config.serial ?? (() => {});
    this.uart = new Uart16550(COM1_BASE, sink);
    this.io.register(COM1_BASE, 8, this.uart);
    this.io.register(DEBUG_EXIT_IOBASE, DEBUG_EXIT_IOSIZE, new DebugExit((status) => {
      const request: DebugExitRequest = { debugExit: status };
      throw new VmExitSignal({ reason: ExitReason.IoInstruction, detail: request });
    }));
  }

  /** The tier the vCPU runs. */
  get tier(): ExecutionTier {
    return this.vcpu.tier;
  }

  /**
   * Run the vCPU with this JIT tier from now on (a strategy built by the
   * caller, e.g. with a dump callback); `service` is released by close().
   */
  useJit(jit: JitTier, service: WorkerCompileService | null = null): void {
    this.service?.close();
    this.jit = jit;
    this.service = service;
    this.vcpu.tier = jit;
  }

  /** Exits by reason name, in the SDM's order (counts; exitStats() has the host time too). */
  exitCounts(): Map<string, number> {
    return new Map(this.exitStats().map((r) => [r.name, r.count]));
  }

  /** VM exits by reason: count and host time spent handling them (kvm_stat's view). */
  exitStats(): ExitStatRow[] {
    return this.vmm.stats.entries().map((e) => ({ reason: e.reason, name: exitReasonName(e.reason), count: e.count, ms: e.ms }));
  }

  /** Run the vCPU until the guest stops, fails, or `maxInstructions` have retired. */
  run(options: RunOptions = {}): RunResult {
    const limit = options.maxInstructions ?? Infinity;
    const startRetired = this.interpreter.retired;
    const start = process.hrtime.bigint();
    let outcome: RunOutcome | undefined;
    try {
      while (outcome === undefined) outcome = this.slice1(limit - (this.interpreter.retired - startRetired));
    } finally {
      this.uart.flush();
    }
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    return { ...describe(outcome), retired: this.interpreter.retired - startRetired, seconds, outcome };
  }

  /**
   * As run(), but yielding to the event loop between time slices, so that
   * work finishing elsewhere (an asynchronous JIT's compilations) arrives.
   */
  async runAsync(options: RunOptions = {}): Promise<RunResult> {
    const limit = options.maxInstructions ?? Infinity;
    const startRetired = this.interpreter.retired;
    const start = process.hrtime.bigint();
    let outcome: RunOutcome | undefined;
    try {
      while (outcome === undefined) {
        outcome = this.slice1(limit - (this.interpreter.retired - startRetired));
        if (outcome === undefined) await new Promise<void>((resolve) => setImmediate(resolve));
      }
    } finally {
      this.uart.flush();
    }
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    return { ...describe(outcome), retired: this.interpreter.retired - startRetired, seconds, outcome };
  }

  /** One time slice of at most `left` instructions; the outcome when the run is over. */
  private slice1(left: number): RunOutcome | undefined {
    if (left <= 0) return { kind: 'instruction-limit' };
    const exit = this.vcpu.run(Math.min(this.slice, left));
    this.uart.flush();
    return this.classify(exit);
  }

  /** Release what the machine holds outside itself (the compile worker). */
  close(): void {
    this.service?.close();
  }

  /** Read up to `count` code bytes at CS:EIP (fewer if they are not mapped). */
  codeBytesAt(eip: number, count = 16): number[] {
    const bytes: number[] = [];
    const cs = this.cpu.segs[Seg.CS]!;
    const cr2 = this.cpu.cr2;
    for (let i = 0; i < count; i++) {
      try {
        bytes.push(this.mem.read8(this.interpreter.mmu.translate((cs.base + eip + i) >>> 0, Access.Fetch, true)));
      } catch {
        break;
      }
    }
    // A failed translation is no guest event: the guest's CR2 stays as it was.
    this.cpu.cr2 = cr2;
    return bytes;
  }

  /** Turn one vCPU exit into an outcome, or undefined to keep running. */
  private classify(e: VcpuExit): RunOutcome | undefined {
    if (e.reason === BUDGET_EXHAUSTED) return undefined;
    const eip = this.cpu.eip >>> 0;
    switch (e.reason) {
      case ExitReason.Hlt:
        if (e.info) break; // a HLT exit the embedder took and did not answer
        // No device can raise an interrupt yet, so HLT with IF set never wakes.
        return (this.cpu.flags & 0x200) === 0 ? { kind: 'halted' } : { kind: 'halted-forever', eip };
      case ExitReason.TripleFault:
        return { kind: 'triple-fault', detail: String(e.detail ?? 'shutdown'), eip, bytes: this.codeBytesAt(eip) };
      case ExitReason.ExceptionOrNmi: {
        const f = e.fault!;
        return { kind: 'fault', vector: f.vector, errorCode: f.errorCode, cr2: f.cr2, eip, bytes: this.codeBytesAt(eip) };
      }
      case ExitReason.IoInstruction: {
        const d = e.detail as Partial<DebugExitRequest> | undefined;
        if (d && typeof d.debugExit === 'number') return { kind: 'debug-exit', value: d.debugExit };
        break;
      }
    }
    const detail = e.detail !== undefined ? String(e.detail) : e.info ? `an exit the embedder took (qualification ${hex(e.info.qualification)})` : '';
    return { kind: 'unhandled-exit', reason: e.reason, detail, eip };
  }
}

const hex = (v: number, width = 8): string => (v >>> 0).toString(16).padStart(width, '0');
const byteList = (bytes: number[]): string => bytes.map((b) => b.toString(16).padStart(2, '0')).join(' ') || '(unreadable)';

function describe(o: RunOutcome): { status: number; message: string } {
  switch (o.kind) {
    case 'halted':
      return { status: RunStatus.Halted, message: 'guest halted' };
    case 'debug-exit':
      return { status: o.value, message: `guest wrote the debug-exit port: status ${o.value}` };
    case 'fault': {
      const name = VECTOR_NAMES[o.vector] ?? `vector ${o.vector}`;
      const code = hasErrorCode(o.vector) ? ` error code ${hex(o.errorCode, 4)}` : '';
      const cr2 = o.vector === 14 ? ` CR2=${hex(o.cr2)}` : '';
      return { status: RunStatus.GuestFault, message: `guest fault ${name}${code}${cr2} at EIP=${hex(o.eip)}, bytes there: ${byteList(o.bytes)}` };
    }
    case 'triple-fault':
      return { status: RunStatus.TripleFault, message: `guest triple fault (shutdown) ${o.detail}, at EIP=${hex(o.eip)}, bytes there: ${byteList(o.bytes)}` };
    case 'halted-forever':
      return { status: RunStatus.HaltedForever, message: `guest halted with interrupts enabled at EIP=${hex(o.eip)}; no device can interrupt it yet, so it would wait forever` };
    case 'unhandled-exit':
      return { status: RunStatus.UnhandledExit, message: `VM exit ${exitReasonName(o.reason)} at EIP=${hex(o.eip)} that nothing handles${o.detail ? `: ${o.detail}` : ''}` };
    case 'instruction-limit':
      return { status: RunStatus.InstructionLimit, message: 'instruction limit reached' };
  }
}

/** Build a machine; see MachineConfig. Throws ConfigError for bad settings. */
export function createMachine(config: MachineConfig): Machine {
  return new Machine(config);
}
