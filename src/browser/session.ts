/**
 * A machine for a front end that owns no thread of its own to block: the
 * browser's VM worker (src/browser/vm-worker.ts) runs the guest in short
 * bursts between the messages it answers. Builds the machine from
 * MachineOptions (src/machine.ts does the PC; this adds nothing to it),
 * loads the guest from bytes, runs for a given wall-clock time, feeds
 * keystrokes to COM1 and samples the counters the page draws.
 *
 * Browser-safe: no Node API. Runs in Node too (its unit tests do).
 */
import { createMachine, type Machine, type RunResult } from '../machine.js';
import { ConfigError } from '../errors.js';
import { JitTier, type CompileService } from '../../runtime/jit/jit.js';
import { JIT_STRATEGIES } from '../../runtime/jit/strategies.js';
import type { PagingPolicyName } from '../../runtime/mmu.js';
import { loadGuest } from './guest-loader.js';
import type { GuestImages, LoadedFormat, MachineOptions, StatsSample } from './protocol.js';

export interface SessionHooks {
  /** Bytes the guest wrote to COM1 (a copy the callee may keep). */
  serial(bytes: Uint8Array): void;
  /** Makes the compile service of an asynchronous JIT strategy; without it such strategies are refused. */
  compileService?: () => CompileService;
}

/** Time slices are sized to take about this long, so that a burst ends close to its deadline. */
const SLICE_MS = 4;
const MIN_SLICE = 1_000;
const MAX_SLICE = 4_000_000;
/**
 * Instructions between two keystrokes handed to the UART. The machine's
 * UART has no line clock yet, so a byte lands in the receiver at once, and
 * one the guest has not read is overrun by the next (one byte without
 * FIFOs, sixteen with them), as on the chip; so keystrokes go in one at a
 * time, each with time for the guest to take it (a polling loop needs
 * tens of instructions, the 8250 driver's interrupt handler a few hundred).
 */
const INSTRUCTIONS_PER_KEYSTROKE = 2_000;

export class VmSession {
  readonly machine: Machine;
  readonly format: LoadedFormat;
  /** How the guest was loaded, for people. */
  readonly detail: string;
  private readonly service: CompileService | null = null;
  private readonly keystrokes: number[] = [];
  private slice = 20_000;
  private result: RunResult | null = null;

  constructor(guest: GuestImages, options: MachineOptions, hooks: SessionHooks) {
    const strategy = JIT_STRATEGIES[options.tier];
    const compilesAsync = strategy?.async === true;
    if (compilesAsync && !hooks.compileService) throw new ConfigError(`the '${options.tier}' strategy compiles on a worker, and this front end has none to give it`);
    if (options.fpu !== 'exact' && options.fpu !== 'fast') throw new ConfigError(`unknown x87 strategy '${String(options.fpu)}' (known: exact, fast)`);
    // An asynchronous strategy's compile service is the front end's (a Web Worker here, not
    // the Node worker MachineConfig would make), so the machine starts on the interpreter
    // and gets its JIT tier before anything runs, as the CLI's --dump-wasm does.
    this.machine = createMachine({
      memoryMiB: options.memoryMiB,
      cpu: options.cpu,
      tier: compilesAsync ? 'interpreter' : options.tier,
      paging: options.paging as PagingPolicyName, // the machine checks the name
      fpu: options.fpu,
      // A person is watching: guest time follows the host's clock (as the CLI's default, QEMU's
      // -icount shift=auto), so the guest's timeouts and clock mean what they say.
      clock: 'paced',
      serial: (bytes) => hooks.serial(bytes.slice()),
    });
    try {
      if (compilesAsync) {
        this.service = hooks.compileService!();
        this.machine.useJit(new JitTier(this.machine.interpreter, strategy!, this.service));
      }
      const loaded = loadGuest(this.machine, guest);
      this.format = loaded.format;
      this.detail = loaded.detail;
    } catch (e) {
      this.dispose();
      throw e;
    }
  }

  /** How the run ended, once the guest has stopped; null while it can run. */
  get ended(): RunResult | null {
    return this.result;
  }

  /**
   * Run the guest for about `ms` milliseconds of host time, or until it
   * idles (see idleMs). Returns the run's result when the guest stops
   * (halt, debug exit, fault…), else null. COM1's output reaches the
   * serial hook as the machine flushes it.
   */
  runFor(ms: number): RunResult | null {
    if (this.result) return this.result;
    const start = performance.now();
    for (;;) {
      const key = this.keystrokes.shift();
      if (key !== undefined) this.machine.uart.receive([key]);
      const budget = key !== undefined ? Math.min(this.slice, INSTRUCTIONS_PER_KEYSTROKE) : this.slice;
      const t0 = performance.now();
      // Paced time: a guest that halts until a timer ends the run, and the caller waits in host time.
      const r = this.machine.run({ maxInstructions: budget, returnWhenIdle: true });
      const now = performance.now();
      if (r.outcome.kind !== 'instruction-limit') {
        this.result = r;
        return r;
      }
      const idle = this.idleMs > 0;
      if (key === undefined && !idle && r.retired > 0) this.resize(r.retired, now - t0);
      // Keystrokes still waiting are input the guest has not seen: its UART interrupt wakes it.
      if (now - start >= ms || (idle && this.keystrokes.length === 0)) return null;
    }
  }

  /**
   * Host milliseconds until the guest has anything to do: while it is
   * halted (HLT with interrupts on, as an idle kernel is) until a timer
   * that the host's clock has not reached, the time to that timer (at
   * most 50); else 0. Typed keys wake it sooner (type()).
   */
  get idleMs(): number {
    return this.result ? 0 : this.machine.idleWait();
  }

  /** Keystrokes for COM1, handed to the UART one at a time as the guest runs. */
  type(bytes: Uint8Array): void {
    for (const b of bytes) this.keystrokes.push(b);
  }

  /** Keystrokes not yet handed to the UART. */
  get typeAhead(): number {
    return this.keystrokes.length;
  }

  /** The cumulative counters now. */
  sample(): StatsSample {
    const exits: Record<string, number> = {};
    for (const row of this.machine.exitStats()) exits[row.name] = row.count;
    const jit = this.machine.jit;
    return {
      t: performance.now(),
      retired: this.machine.interpreter.retired,
      exits,
      cache: jit ? jit.cacheSize() : null,
      compiles: jit?.stats.compiles ?? 0,
    };
  }

  /** Release the machine and the compile worker. */
  dispose(): void {
    this.machine?.close();
    this.service?.close();
  }

  /** Aim the next slices at SLICE_MS from the speed of the last one (smoothed: JIT warm-up and exits make it jumpy). */
  private resize(retired: number, ms: number): void {
    const perMs = retired / Math.max(ms, 0.05);
    const target = Math.min(MAX_SLICE, Math.max(MIN_SLICE, Math.round(perMs * SLICE_MS)));
    this.slice = Math.round((this.slice * 3 + target) / 4);
  }
}
