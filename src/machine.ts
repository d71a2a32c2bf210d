/**
 * A minimal PC built from a config: RAM, one vCPU run by an execution tier,
 * the default VMM core, a 16550A UART on COM1 and QEMU's isa-debug-exit.
 * `run()` plays the part of QEMU's vCPU thread around KVM_RUN: it calls the
 * tier in time slices and turns the exits the VMM core hands back (HLT with
 * nothing to wake it, a debug-exit write, a guest fault, an exit nobody
 * handles) into an exit status.
 *
 * There is no interrupt delivery yet, so a guest fault ends the run (where
 * a PC would deliver it, and triple-fault if it could not), and HLT with
 * interrupts enabled would wait forever: it ends the run as a failure.
 */
import { JitTier } from '../runtime/jit/jit.js';
import { WorkerCompileService } from './compile-service.js';
import { JIT_STRATEGIES } from '../runtime/jit/strategies.js';
import { Interpreter, BUDGET_EXHAUSTED, type VmExit } from '../runtime/interpreter.js';
import { CpuState } from '../runtime/cpu.js';
import type { FpuStrategy } from '../runtime/fpu/state.js';
import { PhysicalMemory } from '../runtime/memory.js';
import { DefaultVmm } from '../runtime/vmm.js';
import { IoBus } from '../runtime/io-bus.js';
import { CPU_MODELS, type CpuModel } from '../runtime/cpu-model.js';
import { ExitReason } from '../runtime/exit-reason.js';
import { VmExitSignal } from '../runtime/concrete-backend.js';
import { VECTOR_NAMES, hasErrorCode } from '../runtime/exceptions.js';
import { Access } from '../runtime/mmu.js';
import { Seg } from '../translator/table/types.js';
import { Uart16550, type SerialSink } from '../runtime/devices/uart16550.js';
import { DebugExit, DEBUG_EXIT_IOBASE, DEBUG_EXIT_IOSIZE } from '../runtime/devices/debug-exit.js';
import { ConfigError } from './errors.js';
import { exitReasonName } from './exit-names.js';

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
  GuestFault = 4,
  UnhandledExit = 6,
  HaltedForever = 8,
  InstructionLimit = 10,
}

/** The execution tier a machine runs its vCPU with: the reference interpreter or a JIT strategy. */
export type TierName = string;
export const TIERS: readonly TierName[] = ['interpreter', ...Object.keys(JIT_STRATEGIES)];

/** What a tier offers the machine: KVM_RUN, more or less. */
export interface ExecutionTier {
  run(budget: number): VmExit | { reason: typeof BUDGET_EXHAUSTED };
  /** Instructions retired since creation. */
  readonly retired: number;
}

export interface MachineConfig {
  /** RAM size in MiB. */
  memoryMiB: number;
  /** CPU model name (CPUID); only 'i686' exists. */
  cpu?: string;
  /** Where COM1's output goes; dropped when absent. */
  serial?: SerialSink;
  tier?: TierName;
  /** How the x87 unit computes: 'exact' (default, bit for bit) or 'fast' (host f64 where it applies; runtime/fpu/fast.ts). */
  fpu?: FpuStrategy;
  /** Instructions per time slice between device flushes and limit checks. */
  sliceInstructions?: number;
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

/** Thrown through the tier by the debug-exit device to end the slice at once. */
interface DebugExitRequest {
  readonly debugExit: number;
}

export class Machine {
  readonly cpu: CpuState;
  readonly mem: PhysicalMemory;
  readonly io = new IoBus();
  readonly vmm: DefaultVmm;
  readonly tier: ExecutionTier;
  /** The JIT tier, when the machine runs one. */
  readonly jit: JitTier | null;
  /** Where an asynchronous JIT strategy compiles. */
  private readonly service: WorkerCompileService | null;
  readonly interpreter: Interpreter;
  readonly uart: Uart16550;
  readonly model: CpuModel;
  private readonly slice: number;

  constructor(config: MachineConfig) {
    const mib = config.memoryMiB;
    if (!Number.isInteger(mib) || mib < MIN_MEMORY_MIB || mib > MAX_MEMORY_MIB) {
      throw new ConfigError(`memory size must be a whole number of MiB from ${MIN_MEMORY_MIB} to ${MAX_MEMORY_MIB}, got ${mib}`);
    }
    const cpuName = config.cpu ?? 'i686';
    const model = CPU_MODELS[cpuName];
    if (!model) throw new ConfigError(`unknown CPU model '${cpuName}' (known: ${Object.keys(CPU_MODELS).join(', ')})`);
    this.model = model;
    const tier = config.tier ?? 'interpreter';
    if (!TIERS.includes(tier)) throw new ConfigError(`unknown execution tier '${tier}' (known: ${TIERS.join(', ')})`);
    this.slice = config.sliceInstructions ?? 200_000;

    this.mem = new PhysicalMemory(mib * 1024 * 1024);
    this.cpu = CpuState.in(this.mem);
    this.vmm = new DefaultVmm(this.io, model);
    this.interpreter = new Interpreter(this.cpu, this.mem, this.vmm);
    this.vmm.attach(this.interpreter);
    const strategy = JIT_STRATEGIES[tier];
    this.service = strategy?.async ? new WorkerCompileService() : null;
    this.jit = tier === 'interpreter' ? null : new JitTier(this.interpreter, strategy!, this.service);
    this.tier = this.jit ?? this.interpreter;
    this.cpu.reset();
    this.cpu.fpu.strategy = config.fpu ?? 'exact';

    const sink = config.serial ?? (() => {});
    this.uart = new Uart16550(COM1_BASE, sink);
    this.io.register(COM1_BASE, 8, this.uart);
    this.io.register(DEBUG_EXIT_IOBASE, DEBUG_EXIT_IOSIZE, new DebugExit((status) => {
      const request: DebugExitRequest = { debugExit: status };
      throw new VmExitSignal({ reason: ExitReason.IoInstruction, detail: request } satisfies VmExit);
    }));
  }

  /** Exits the VMM core handled, by reason name (the `--stats` view). */
  exitCounts(): Map<string, number> {
    const out = new Map<string, number>();
    for (const [reason, n] of [...this.vmm.exitCounts].sort((a, b) => a[0] - b[0])) out.set(exitReasonName(reason), n);
    return out;
  }

  /** Run the vCPU until the guest stops, fails, or `maxInstructions` have retired. */
  run(options: RunOptions = {}): RunResult {
    const limit = options.maxInstructions ?? Infinity;
    const startRetired = this.tier.retired;
    const start = process.hrtime.bigint();
    let outcome: RunOutcome | undefined;
    try {
      while (outcome === undefined) outcome = this.slice1(limit - (this.tier.retired - startRetired));
    } finally {
      this.uart.flush();
    }
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    return { ...describe(outcome), retired: this.tier.retired - startRetired, seconds, outcome };
  }

  /**
   * As run(), but yielding to the event loop between time slices, so that
   * work finishing elsewhere (an asynchronous JIT's compilations) arrives.
   */
  async runAsync(options: RunOptions = {}): Promise<RunResult> {
    const limit = options.maxInstructions ?? Infinity;
    const startRetired = this.tier.retired;
    const start = process.hrtime.bigint();
    let outcome: RunOutcome | undefined;
    try {
      while (outcome === undefined) {
        outcome = this.slice1(limit - (this.tier.retired - startRetired));
        if (outcome === undefined) await new Promise<void>((resolve) => setImmediate(resolve));
      }
    } finally {
      this.uart.flush();
    }
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    return { ...describe(outcome), retired: this.tier.retired - startRetired, seconds, outcome };
  }

  /** One time slice of at most `left` instructions; the outcome when the run is over. */
  private slice1(left: number): RunOutcome | undefined {
    if (left <= 0) return { kind: 'instruction-limit' };
    const exit = this.tier.run(Math.min(this.slice, left));
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
    for (let i = 0; i < count; i++) {
      try {
        bytes.push(this.mem.read8(this.interpreter.mmu.translate((cs.base + eip + i) >>> 0, Access.Fetch, true)));
      } catch {
        break;
      }
    }
    return bytes;
  }

  /** Turn one tier exit into an outcome, or undefined to keep running. */
  private classify(exit: VmExit | { reason: typeof BUDGET_EXHAUSTED }): RunOutcome | undefined {
    if (exit.reason === BUDGET_EXHAUSTED) return undefined;
    const e = exit as VmExit;
    const eip = this.cpu.eip >>> 0;
    switch (e.reason) {
      case ExitReason.Hlt:
        // Nothing can raise an interrupt yet, so HLT with IF set never wakes.
        return (this.cpu.flags & 0x200) === 0 ? { kind: 'halted' } : { kind: 'halted-forever', eip };
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
    return { kind: 'unhandled-exit', reason: e.reason, detail: String(e.detail ?? ''), eip };
  }
}

const hex = (v: number, width = 8): string => (v >>> 0).toString(16).padStart(width, '0');

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
      const bytes = o.bytes.map((b) => b.toString(16).padStart(2, '0')).join(' ') || '(unreadable)';
      return { status: RunStatus.GuestFault, message: `guest fault ${name}${code}${cr2} at EIP=${hex(o.eip)}, bytes there: ${bytes}` };
    }
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
