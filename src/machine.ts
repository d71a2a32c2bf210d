/**
 * A PC built from a config: RAM, one vCPU run by an execution tier under
 * the default VMM core (runtime/vcpu.ts, runtime/vmm.ts), the legacy
 * chipset (runtime/devices/chipset.ts: 8259A pair, 8254 PIT, RTC/CMOS,
 * 16550A COM1, 8042, ports 0x61/0x80/0x92, local APIC and I/O APIC on the
 * MMIO bus) on a virtual clock, QEMU's isa-debug-exit and, when asked,
 * debugcon. `run()` plays the part of QEMU's vCPU thread around KVM_RUN:
 * it calls Vcpu.run() in time slices and turns the exits it returns (HLT
 * for good, a triple fault, a reset, a debug-exit write, an exit the
 * embedder took or nobody handles) into an exit status.
 *
 * Guest time is derived from retired instructions (`clock:
 * 'instructions'`, the default: the same guest sees the same interrupts at
 * the same instructions on every run), or follows the host's clock
 * ('paced': instructions at a rate retuned to the host, for interactive
 * runs; 'host': the host's clock itself). HLT with IF = 1 waits for the
 * next timer: runAsync() sleeps until it when time follows the host,
 * otherwise guest time jumps to it. HLT with IF = 0 (or with no timer
 * armed) is the end of the run: halted for good.
 *
 * PCI bus 0 (runtime/devices/pci.ts: i440FX host bridge, PIIX3 with its
 * PIRQ router and reset control register at 0xCF9) carries the virtio
 * devices the config asks for: virtio-blk disks (INTA# on PIRQB, IRQ 10),
 * virtio-net NICs (IRQ 11) and virtio consoles (IRQ 5), each at the next
 * free slot in that order, as the pci engineer's fixed routing documents.
 * Work arriving from the host (frames from a net backend, console input)
 * is handed to the devices between time slices (`poll()`); a vCPU halted
 * in host time waits for its next timer but wakes early when a frame
 * arrives, so run networked guests with runAsync() (sockets only progress
 * while the event loop runs).
 *
 * A reset (8042 pulse, port 0x92, PIIX3 0xCF9) or a triple fault ends the run under
 * `noReboot` (the default, as QEMU's -no-reboot); otherwise the machine
 * resets CPU and devices, runs the boot function the loader left
 * (setBoot(): reload the kernel, as QEMU's linuxboot ROM does on every
 * reset), and goes on.
 */
import { JitTier } from '../runtime/jit/jit.js';
import { WorkerCompileService } from './compile-service.js';
import { JIT_STRATEGIES } from '../runtime/jit/strategies.js';
import { Interpreter, BUDGET_EXHAUSTED } from '../runtime/interpreter.js';
import { CpuState } from '../runtime/cpu.js';
import { CpuModelError, Feature, parseCpuModel, type CpuModel } from '../runtime/cpu-model.js';
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
import type { SerialSink, Uart16550 } from '../runtime/devices/uart16550.js';
import { DebugExit, DEBUG_EXIT_IOBASE, DEBUG_EXIT_IOSIZE } from '../runtime/devices/debug-exit.js';
import { DebugCon, DEBUGCON_PORT } from '../runtime/devices/debugcon.js';
import { createPcChipset, type PcChipset } from '../runtime/devices/chipset.js';
import { HostTimeSource, InstructionTimeSource, type TimeSource, VirtualClock } from '../runtime/devices/clock.js';
import { MmioBus, type MmioDevice } from '../runtime/mmio-bus.js';
import { createPciBus, type PciBus } from '../runtime/devices/pci.js';
import { addVirtioBlk, type VirtioBlk, type VirtioBlkOptions } from '../runtime/devices/virtio/blk.js';
import { addVirtioNet, type VirtioNet, type VirtioNetOptions } from '../runtime/devices/virtio/net.js';
import { addVirtioConsole, type VirtioConsole, type VirtioConsoleOptions } from '../runtime/devices/virtio/console.js';
import { ConfigError } from './errors.js';
import { exitReasonName } from './exit-names.js';

export type { ExecutionTier } from '../runtime/vcpu.js';

/** COM1's base port and its eight registers. */
export const COM1_BASE = 0x3f8;

/**
 * Guest time counted in retired instructions at a rate retuned to follow
 * the host's clock (QEMU's -icount shift=auto): between retunes every
 * instruction takes the same guest time, so a guest timing a loop against
 * a timer (Linux's TSC and delay-loop calibration against the PIT) sees no
 * host jitter (compiles, garbage collection, other processes), yet guest
 * time keeps up with the wall clock. The rate is the host nanoseconds each
 * instruction took over the last window, nudged so that a gap between
 * guest and host time closes over about a second, and changes at most 2x
 * per window (a guest's measurement across a retune stays within the
 * tolerances it checks).
 */
/** Paced time's fastest guest: 2 GIPS (0.5 ns per instruction). */
const MIN_PACED_RATE = 0.5;
/**
 * Paced time's slowest guest: 20 MIPS (50 ns per instruction). While the
 * host is slower than that (compiling, descheduled), guest time falls
 * behind the wall clock instead: a periodic timer must never pass more
 * than one period between two looks at the interrupt pins (the vCPU's
 * 10000-instruction interrupt poll is then at most 0.5 ms), or the guest
 * loses ticks, and Linux's clocksource watchdog sees the TSC run ahead of
 * jiffies and marks it unstable.
 */
const MAX_PACED_RATE = 50;

export class PacedTimeSource implements TimeSource {
  /** Guest ns per instruction now. */
  rate: number;
  private base = 0;
  private baseRetired = 0;
  private readonly origin = performance.now();
  private lastHost = 0;
  private lastRetired = 0;

  constructor(private readonly retired: () => number, initialRate = 10) {
    this.rate = initialRate;
  }

  now(): number {
    return Math.floor(this.base + (this.retired() - this.baseRetired) * this.rate);
  }

  skip(ns: number): void {
    this.base += Math.max(0, Math.ceil(ns));
  }

  /** Host nanoseconds since creation. */
  hostNow(): number {
    return (performance.now() - this.origin) * 1e6;
  }

  /** Re-aim the rate (at a slice boundary); does nothing until a window of 50 ms has passed. */
  retune(): void {
    const host = this.hostNow();
    const window = host - this.lastHost;
    if (window < 50e6) return;
    const retired = this.retired();
    const n = retired - this.lastRetired;
    const guest = this.now();
    this.base = guest;
    this.baseRetired = retired;
    this.lastHost = host;
    this.lastRetired = retired;
    if (n <= 0) return;
    const gap = Math.max(-0.5, Math.min(0.5, (host - guest) / 1e9));
    const target = (window / n) * (1 + gap);
    const bounded = Math.min(this.rate * 2, Math.max(this.rate / 2, target));
    this.rate = Math.max(MIN_PACED_RATE, Math.min(MAX_PACED_RATE, bounded));
  }
}

/** The TSC's frequency: 2 GHz of guest time (2 cycles per instruction under instruction time, as before the clock). */
export const TSC_HZ = 2_000_000_000;

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
  /** The guest reset the machine (8042, port 0x92) under noReboot. */
  Reset = 14,
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
  /**
   * Where guest time comes from: the host's monotonic clock ('host'),
   * retired instructions at a fixed rate ('instructions', the default:
   * reproducible runs), or retired instructions at a rate that follows the
   * host's clock ('paced': PacedTimeSource, for interactive runs).
   */
  clock?: 'host' | 'instructions' | 'paced';
  /** Guest nanoseconds per retired instruction under instruction time (default 1: a 1000-MIPS guest). */
  nsPerInstruction?: number;
  /** End the run on a reset or triple fault (default true, as QEMU's -no-reboot); false resets and reboots. */
  noReboot?: boolean;
  /** QEMU's isa-debug-exit: its port range, or false for none (default: 0xF4, 4 ports). */
  debugExit?: { iobase: number; iosize: number } | false;
  /** Where debugcon's output goes (port 0xE9); absent: no debugcon. */
  debugcon?: SerialSink;
  /** The RTC's time at power-on, ms since the Unix epoch (default: the host's time). */
  rtcTime?: number;
  /** virtio-blk disks on the PCI bus (QEMU's -drive if=virtio); the caller owns and closes their backends. */
  virtioBlk?: readonly VirtioBlkOptions[];
  /** virtio-net NICs (QEMU's -device virtio-net-pci); the caller owns and closes their backends. */
  virtioNet?: readonly VirtioNetOptions[];
  /** virtio consoles (QEMU's virtio-serial-pci with a virtconsole on port 0): /dev/hvc0, hvc1, ... */
  virtioConsole?: readonly VirtioConsoleOptions[];
}

export interface RunOptions {
  /** Stop with `RunStatus.InstructionLimit` after about this many instructions (tests, benchmarks). */
  maxInstructions?: number;
  /**
   * Under paced time, a vCPU halted until a timer that the host's clock has
   * not reached yet ends the run (outcome 'instruction-limit', cpu.halted
   * set) instead of letting guest time jump to the timer: for a caller
   * with an event loop of its own that waits idleWait() ms and runs again
   * (the browser's VM worker). Default false.
   */
  returnWhenIdle?: boolean;
}

/** Why the run ended. */
export type RunOutcome =
  | { kind: 'halted' }
  | { kind: 'debug-exit'; value: number }
  | { kind: 'fault'; vector: number; errorCode: number; cr2: number; eip: number; bytes: number[] }
  | { kind: 'triple-fault'; detail: string; eip: number; bytes: number[] }
  | { kind: 'reset'; source: string }
  | { kind: 'stopped'; reason: string }
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

/** Thrown through the tier by a reset line (8042, port 0x92) to end the slice at once. */
interface ResetRequest {
  readonly reset: string;
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
  readonly model: CpuModel;
  readonly clock: VirtualClock;
  readonly mmio = new MmioBus();
  readonly chipset: PcChipset;
  /** PCI bus 0 with the virtio devices on it. */
  readonly pci: PciBus;
  /** The virtio devices, in the order the config listed them. */
  readonly virtio: { readonly blk: readonly VirtioBlk[]; readonly net: readonly VirtioNet[]; readonly console: readonly VirtioConsole[] };
  /** Devices with work from the host to take between slices (net frames, console input). */
  private readonly polled: readonly (VirtioNet | VirtioConsole)[];
  /** Under paced time, when idleWait() last saw the vCPU halted (host ns) and the instructions retired then. */
  private idleSince: { host: number; retired: number } | null = null;
  /** Ends runAsync()'s wait for the host early (a frame arrived); null while not waiting. */
  private wake: (() => void) | null = null;
  /** End the run on a reset or triple fault instead of rebooting. */
  noReboot: boolean;
  /** Resets the machine went through (without noReboot). */
  resets = 0;
  private readonly slice: number;
  /** Guest time follows the host's (host or paced): HLT waits in host time. */
  private readonly hostTime: boolean;
  private readonly paced: PacedTimeSource | null;
  /** Puts the boot image back after a reset (set by the loader's caller). */
  private boot: (() => void) | null = null;
  /** What ended the last boot when the machine rebooted: the same end twice in a row is a loop, and stops the run. */
  private lastReboot: string | null = null;
  /** Instructions retired when the current boot began. */
  private bootRetired = 0;
  /** A stop the owner asked for (Ctrl-A X), taken between slices. */
  private stopRequest: string | null = null;
  /** Under instruction time, the instructions of a guest millisecond (at least 100); else null. */
  private readonly guestMillisecond: number | null;

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
    this.noReboot = config.noReboot ?? true;

    this.hostTime = config.clock === 'host' || config.clock === 'paced';
    const interp = this.interpreter;
    this.paced = config.clock === 'paced' ? new PacedTimeSource(() => interp.retired) : null;
    this.clock = new VirtualClock(this.paced ?? (config.clock === 'host' ? new HostTimeSource() : new InstructionTimeSource(() => interp.retired, config.nsPerInstruction ?? 1)));
    this.mem.mmio = this.mmio;
    const requestReset = (source: string): never => {
      const request: ResetRequest = { reset: source };
      throw new VmExitSignal({ reason: ExitReason.IoInstruction, detail: request });
    };
    this.chipset = createPcChipset({
      io: this.io,
      clock: this.clock,
      mmio: this.mmio,
      // The local APIC is there when the model reports one (CPUID.1:EDX.APIC; P6 has IA32_APIC_BASE).
      apic: this.model.apic && this.model.family >= 6,
      serial: [config.serial],
      memoryBytes: this.mem.size,
      rtcTime: config.rtcTime,
      onReset: () => requestReset('reset line (keyboard controller or port 92h)'),
    });
    this.vcpu.interrupts = this.chipset.interrupts;
    this.vcpu.clock = this.clock;
    this.vcpu.idle = this.hostTime ? 'return' : 'skip';
    const observed = (): void => this.vcpu.deviceAccessed();
    // The buses tell the vCPU of every device access: one during a time slice that raised INTR ends
    // the slice early, so slices can last until the next timer.
    this.io.accessed = observed;
    this.mmio.accessed = observed;
    this.guestMillisecond = config.clock === undefined || config.clock === 'instructions' ? Math.max(100, Math.floor(1e6 / (config.nsPerInstruction ?? 1))) : null;
    this.setInterruptPoll();
    if (this.chipset.lapic) this.vmm.msrs.attachApic(this.chipset.lapic);
    if (this.model.features & Feature.TSC) this.vmm.msrs.tsc.useClock(() => this.clock.now(), TSC_HZ, interp.retired);

    // After the chipset: the bus plays firmware and programs the ELCR for its PIRQ lines.
    this.pci = createPciBus(this.io, this.chipset.irq, {
      onReset: (hard) => requestReset(`PIIX3 reset control register (0xCF9, ${hard ? 'hard' : 'soft'} reset)`),
    });
    const blk = (config.virtioBlk ?? []).map((o) => addVirtioBlk(this.pci, this.mem, o).device);
    const net = (config.virtioNet ?? []).map((o) => addVirtioNet(this.pci, this.mem, o).device);
    const consoles = (config.virtioConsole ?? []).map((o) => addVirtioConsole(this.pci, this.mem, o).device);
    this.virtio = { blk, net, console: consoles };
    this.polled = [...net, ...consoles];
    for (const n of net) n.backend.inbox.onFrame = () => this.wake?.();

    const debugExit = config.debugExit ?? { iobase: DEBUG_EXIT_IOBASE, iosize: DEBUG_EXIT_IOSIZE };
    if (debugExit) {
      this.io.register(debugExit.iobase, debugExit.iosize, new DebugExit((status) => {
        const request: DebugExitRequest = { debugExit: status };
        throw new VmExitSignal({ reason: ExitReason.IoInstruction, detail: request });
      }));
    }
    if (config.debugcon) {
      const out = config.debugcon;
      this.io.register(DEBUGCON_PORT, 1, new DebugCon((byte) => out(new Uint8Array([byte]))));
    }
  }

  /** COM1. */
  get uart(): Uart16550 {
    return this.chipset.uarts[0]!;
  }

  /** End the run at the next slice boundary, with status 0 (the user quit). */
  requestStop(reason: string): void {
    this.stopRequest = reason;
  }

  /** What to run after a reset to boot again (a loader putting its image back and entering it). */
  setBoot(boot: (() => void) | null): void {
    this.boot = boot;
  }

  /**
   * A read-only region above RAM (a BIOS's high alias below 4 GiB): reads
   * return `bytes`, writes are ignored. Code can run from it: the
   * interpreter fetches through PhysicalMemory, which hands the access to
   * the MMIO bus (the JIT leaves frames beyond RAM to the interpreter).
   */
  mapRom(address: number, device: MmioDevice, size: number): void {
    if (address < this.mem.size) throw new ConfigError(`a ROM at ${hex(address)} would overlap RAM`);
    this.mmio.register(address, size, device);
  }

  /**
   * System reset: the CPU to its power-up state (vol. 3, 9.1.1), every
   * device to its own, then the boot function. RAM keeps its contents.
   */
  reset(): void {
    this.vcpu.reset();
    this.chipset.reset();
    // PCIRST#: after the chipset, whose reset clears the ELCR the bus's firmware step programs again.
    this.pci.reset();
    this.resets++;
    this.bootRetired = this.interpreter.retired;
    this.boot?.();
  }

  /**
   * The vCPU's interrupt latency bound (Vcpu.interruptPollInstructions).
   * Under instruction time a slice ends where the next timer is due, and
   * the interpreter or a tier that can end a slice early (a JIT) ends it
   * where a device access raised INTR; what is left is a device reached
   * from inside translated code, bounded by a guest millisecond. Another
   * tier: 10000 instructions, and at least every guest millisecond.
   */
  private setInterruptPoll(): void {
    if (this.guestMillisecond === null) return;
    const tier = this.vcpu.tier;
    const exact = tier === this.interpreter || tier.endSliceEarly !== undefined;
    this.vcpu.interruptPollInstructions = exact ? this.guestMillisecond : Math.min(10_000, this.guestMillisecond);
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
    this.setInterruptPoll();
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
      while (outcome === undefined) {
        outcome = this.slice1(limit - (this.interpreter.retired - startRetired));
        // Without the event loop to wait in, a halted vCPU under paced time jumps to its next timer.
        if (outcome === undefined && this.paced && this.cpu.halted) {
          if (options.returnWhenIdle && this.idleWait() > 0) outcome = { kind: 'instruction-limit' };
          else this.clock.idle();
        }
      }
    } finally {
      this.chipset.flush();
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
        if (outcome !== undefined) break;
        const wait = this.idleWait();
        await new Promise<void>((resolve) => {
          if (wait <= 0) {
            setImmediate(resolve);
            return;
          }
          const timer = setTimeout(() => {
            this.wake = null;
            resolve();
          }, wait);
          this.wake = () => {
            clearTimeout(timer);
            this.wake = null;
            resolve();
          };
        });
      }
    } finally {
      this.chipset.flush();
    }
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    return { ...describe(outcome), retired: this.interpreter.retired - startRetired, seconds, outcome };
  }

  /**
   * Host milliseconds to wait before the next slice: while the vCPU is
   * halted with IF = 1 in host time, until the next timer deadline (at
   * most 50 ms, so host input and compiled code still arrive); else 0.
   */
  idleWait(): number {
    if (!this.hostTime || !this.cpu.halted || (this.cpu.flags & 0x200) === 0 || this.chipset.interrupts.pending()) {
      this.idleSince = null;
      return 0;
    }
    const deadline = this.clock.nextDeadline();
    if (this.paced) {
      // Instructions move paced time and none retire while halted: guest time advances by the
      // host time waited (QEMU's -icount sleep=on), up to the deadline, whose timer the next
      // slice fires. Never faster, even when guest time has fallen behind the host's (a slow
      // boot): a guest waiting for a peer on the network must see the host time the reply takes
      // pass, not its timeouts expire at once.
      const host = this.paced.hostNow();
      const retired = this.interpreter.retired;
      if (this.idleSince !== null && this.idleSince.retired === retired) {
        this.paced.skip(Math.min(host - this.idleSince.host, deadline - this.clock.now()));
      }
      this.idleSince = { host, retired };
      const ns = deadline - this.clock.now();
      if (ns <= 0) {
        this.clock.idle();
        this.idleSince = null;
        return 0;
      }
      return Math.max(1, Math.min(50, Math.ceil(ns / 1e6)));
    }
    return Math.max(0, Math.min(50, Math.floor((deadline - this.clock.now()) / 1e6)));
  }

  /** One time slice of at most `left` instructions; the outcome when the run is over. */
  private slice1(left: number): RunOutcome | undefined {
    if (this.stopRequest !== null) return { kind: 'stopped', reason: this.stopRequest };
    if (left <= 0) return { kind: 'instruction-limit' };
    // Host work first (received frames, console input): its interrupt may be what wakes a halted vCPU.
    for (const d of this.polled) d.poll();
    const exit = this.vcpu.run(Math.min(this.slice, left));
    this.paced?.retune();
    this.chipset.flush();
    const outcome = this.classify(exit);
    if (outcome && !this.noReboot && (outcome.kind === 'reset' || outcome.kind === 'triple-fault')) {
      // A guest that ends its boot the same way twice in a row (same reason, same place, after
      // the same number of instructions) would reboot forever: stop with that outcome instead.
      const signature = `${JSON.stringify(outcome)} after ${this.interpreter.retired - this.bootRetired}`;
      if (signature === this.lastReboot) return outcome;
      this.lastReboot = signature;
      this.reset();
      return undefined;
    }
    return outcome;
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
      case ExitReason.Hlt: {
        if (e.info) break; // a HLT exit the embedder took and did not answer
        // With IF = 0 only an NMI or a reset could wake the CPU: the guest stopped (Linux's halt and poweroff without ACPI).
        if ((this.cpu.flags & 0x200) === 0) return { kind: 'halted' };
        // IF = 1: a timer will wake it (in host time the caller waits for it), unless none is armed.
        if (this.clock.nextDeadline() !== Infinity || this.chipset.interrupts.pending()) return undefined;
        // In host time a frame from the network can wake it too (runAsync() waits for one).
        if (this.hostTime && this.virtio.net.length > 0) return undefined;
        return { kind: 'halted-forever', eip };
      }
      case ExitReason.TripleFault:
        return { kind: 'triple-fault', detail: String(e.detail ?? 'shutdown'), eip, bytes: this.codeBytesAt(eip) };
      case ExitReason.ExceptionOrNmi: {
        const f = e.fault!;
        return { kind: 'fault', vector: f.vector, errorCode: f.errorCode, cr2: f.cr2, eip, bytes: this.codeBytesAt(eip) };
      }
      case ExitReason.IoInstruction: {
        const d = e.detail as Partial<DebugExitRequest & ResetRequest> | undefined;
        if (d && typeof d.debugExit === 'number') return { kind: 'debug-exit', value: d.debugExit };
        if (d && typeof d.reset === 'string') return { kind: 'reset', source: d.reset };
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
    case 'stopped':
      return { status: RunStatus.Halted, message: `stopped: ${o.reason}` };
    case 'reset':
      return { status: RunStatus.Reset, message: `guest reset the machine (${o.source})` };
    case 'halted-forever':
      return { status: RunStatus.HaltedForever, message: `guest halted with interrupts enabled at EIP=${hex(o.eip)}, but no timer is armed and no interrupt is pending, so it would wait forever` };
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
