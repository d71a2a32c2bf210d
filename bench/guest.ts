/**
 * Timing a workload inside wasmvisor. Our own loop rather than tinybench:
 * each run must hand back its retired count, checksum and JIT statistics
 * (tinybench's task functions return nothing we can read), every run needs
 * a fresh machine (so each strategy's translation cost is paid, and
 * counted, in every run), and machine construction and image loading must
 * stay outside the timed part (RunResult.seconds covers only the run loop).
 *
 * Each workload and strategy is timed in a process of its own
 * (bench/measure.ts): in a shared process V8's type feedback from the
 * other strategies and workloads slows the interpreter by a third, and
 * whichever strategy came first would pay binaryen's warm-up. In that
 * process, one-call runs first warm V8 up (binaryen's compile time falls
 * about fivefold over the first few runs).
 *
 * One call of a workload retires only a few million instructions, which a
 * JIT finishes before it is warm (binaryen, module compilation, V8's
 * baseline tier before TurboFan). So a run calls the workload `repeat`
 * times, chosen per workload and strategy by calibration: start with one
 * call and scale the count up until a run, compilation left out, lasts at
 * least half the target and its cost per call has stopped falling.
 * The last calibration run doubles as the warm-up (V8's own JIT warms the
 * engine's JavaScript on it); the timed runs follow with the same count,
 * and the median one is reported.
 *
 * Time is the running thread's CPU time where the host reports it
 * (bench/cpu-time.ts), compile times included (the JIT's compile clock is
 * set to it), so that other work on a shared host does not skew the
 * figures; wall-clock seconds are kept beside it.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createMachine } from '../src/machine.js';
import { loadFlat } from '../src/loaders/flat.js';
import { type JitStats, useCompileClock } from '../runtime/jit/jit.js';
import { THREAD_CPU_AVAILABLE, threadCpuSeconds } from './cpu-time.js';
import { JIT_STRATEGIES } from '../runtime/jit/strategies.js';
import type { Strategy } from './strategies.js';
import { MAX_REPEAT, withRepeat } from './workloads.js';

/** One guest run: a fresh machine, `repeat` calls of the workload. */
export interface GuestRun {
  repeat: number;
  /** The fold of the per-call checksums (see entry.S). */
  checksum: number;
  instructions: number;
  /** Seconds of the run loop, translation included, in the bench's time base (see timeBase). */
  seconds: number;
  /** Wall-clock seconds of the run loop (the same as `seconds` when the time base is wall-clock). */
  wallSeconds: number;
  /**
   * Milliseconds of `seconds` spent compiling on the run's own thread:
   * jit.stats.compileMs (a worker's compile time, jit.workerCompileMs, is
   * off the run's critical path).
   */
  compileMs: number;
  /** The JIT's counters for this run (null on the interpreter). */
  jit: JitStats | null;
}

export interface TimingPlan {
  /** Seconds of one-call runs (at least PRIME_MIN_RUNS of them) that warm the process up before calibration; 0: none. */
  primeSeconds: number;
  /** Seconds a timed run should last outside compilation (see calibrate()). */
  targetSeconds: number;
  /** Warm-up runs after calibration (whose last run is a warm-up already). */
  warmup: number;
  /** Timed runs; 0 reports the accepted calibration run instead (a smoke test's shortcut: it is not warmed up). */
  runs: number;
  /** A fixed call count instead of calibrating. */
  repeat?: number;
}

export interface GuestTiming {
  /** One-call runs made to warm the process up. */
  primeRuns: number;
  repeat: number;
  checksum: number;
  instructions: number;
  /** The median timed run (the lower middle one for an even count); its seconds are the median. */
  median: GuestRun;
  /** Seconds of every timed run, in order. */
  runs: number[];
  /** What the seconds measure. */
  timeBase: 'thread-cpu' | 'wall';
  /** Calibration runs: call count and seconds. */
  calibration: { repeat: number; seconds: number }[];
}

/** What `seconds` measure: the running thread's CPU time where the host reports it, else the wall clock. */
export const TIME_BASE: 'thread-cpu' | 'wall' = THREAD_CPU_AVAILABLE ? 'thread-cpu' : 'wall';

// Compile times in the same time base as the runs they are part of.
if (THREAD_CPU_AVAILABLE) useCompileClock(() => threadCpuSeconds() * 1000);

/** A guest that needs more than this per call is broken, not slow. */
const MAX_INSTRUCTIONS_PER_CALL = 500_000_000;
/** Calibration: a per-call cost that fell by less than this between two runs has settled. */
const SETTLED_FALL = 0.15;
/** Calibration: runs stop growing before they would last this many times the target. */
const MAX_TARGET_FACTOR = 2.5;
/** Bounds on the warm-up's one-call runs. */
const PRIME_MIN_RUNS = 3;
const PRIME_MAX_RUNS = 30;

/**
 * One run on a fresh machine. An asynchronous JIT strategy compiles on a
 * worker whose results arrive through the event loop, so it runs with
 * runAsync() (which yields between time slices); the others with run(),
 * which never yields (a yield per slice would cost them a few per cent).
 */
export async function runOnce(image: Uint8Array, name: string, strategy: Strategy, repeat: number): Promise<GuestRun> {
  const asyncJit = JIT_STRATEGIES[strategy.tier]?.async === true;
  const machine = createMachine({ memoryMiB: 16, tier: strategy.tier, fpu: strategy.fpu ?? 'exact' });
  try {
    loadFlat(machine, withRepeat(image, repeat), name);
    const options = { maxInstructions: MAX_INSTRUCTIONS_PER_CALL * repeat };
    const cpuBefore = threadCpuSeconds();
    const r = asyncJit ? await machine.runAsync(options) : machine.run(options);
    const cpu = threadCpuSeconds() - cpuBefore;
    if (r.outcome.kind !== 'halted') throw new Error(`workload ${name} under ${strategy.name} (${repeat} calls) did not halt cleanly: ${r.message}`);
    const jit = machine.jit ? { ...machine.jit.stats } : null;
    return {
      repeat,
      checksum: machine.cpu.regs[0]! >>> 0,
      instructions: r.retired,
      seconds: TIME_BASE === 'thread-cpu' ? cpu : r.seconds,
      wallSeconds: r.seconds,
      compileMs: jit ? jit.compileMs : 0,
      jit,
    };
  } finally {
    machine.close();
  }
}

/** Seconds of a run outside compilation on the run's own thread (the whole run on the interpreter). */
export function runSeconds(r: GuestRun): number {
  return r.seconds - r.compileMs / 1000;
}

/**
 * Find a call count at which the JIT has settled: a run that lasts at
 * least half of `targetSeconds` outside compilation on the run's thread,
 * and whose cost per call is within SETTLED_FALL of the previous
 * calibration run's (a slow compiler, or an asynchronous one that the run
 * spends waiting for, must not stand in for a long run). While a run is
 * too short, the count is scaled by target / run seconds; while the cost
 * per call is still falling, it is doubled (quadrupled if the cost more
 * than halved), but never past a count whose run would last more than
 * MAX_TARGET_FACTOR × the target. Returns every run made; the last one
 * has the chosen count.
 */
async function calibrate(image: Uint8Array, name: string, strategy: Strategy, targetSeconds: number): Promise<GuestRun[]> {
  const made: GuestRun[] = [];
  const perCall = (r: GuestRun): number => runSeconds(r) / r.repeat;
  let repeat = 1;
  for (;;) {
    const r = await runOnce(image, name, strategy, repeat);
    const previous = made[made.length - 1];
    made.push(r);
    const seconds = runSeconds(r);
    let next: number;
    if (seconds < targetSeconds / 2) {
      next = Math.max(repeat * 2, Math.round(repeat * targetSeconds / Math.max(seconds, targetSeconds / 1000)));
    } else {
      const fall = previous ? 1 - perCall(r) / perCall(previous) : 0.5;
      if (fall < SETTLED_FALL) return made;
      next = repeat * (fall > 0.5 ? 4 : 2);
    }
    // The longest count whose run stays within the cap, predicted from the marginal cost per call
    // between the last two runs when there is one (fixed costs, such as a compile worker's
    // start-up, then drop out), else in proportion (an overestimate).
    const before = previous ? runSeconds(previous) : 0;
    const marginal = previous && repeat > previous.repeat && seconds > before ? (seconds - before) / (repeat - previous.repeat) : perCall(r);
    const longest = repeat + Math.floor((targetSeconds * MAX_TARGET_FACTOR - seconds) / Math.max(marginal, 1e-9));
    next = Math.min(next, MAX_REPEAT, longest);
    if (next <= repeat) return made;
    repeat = next;
  }
}

/** Warm the process up: one-call runs for `seconds`, at least PRIME_MIN_RUNS. Returns how many. */
async function prime(image: Uint8Array, name: string, strategy: Strategy, seconds: number): Promise<number> {
  if (seconds <= 0) return 0;
  const started = performance.now();
  let runs = 0;
  while (runs < PRIME_MAX_RUNS && (runs < PRIME_MIN_RUNS || performance.now() - started < seconds * 1000)) {
    await runOnce(image, name, strategy, 1);
    runs++;
  }
  return runs;
}

/** Time a workload under a strategy in this process (bench/measure.ts calls it in a process of its own). */
export async function timeGuest(image: Uint8Array, name: string, strategy: Strategy, plan: TimingPlan): Promise<GuestTiming> {
  const primeRuns = await prime(image, name, strategy, plan.primeSeconds);
  const calibration = plan.repeat === undefined ? await calibrate(image, name, strategy, plan.targetSeconds) : [];
  const repeat = plan.repeat ?? calibration[calibration.length - 1]!.repeat;
  const accepted = calibration[calibration.length - 1];
  const warm: GuestRun[] = [];
  const results: GuestRun[] = [];
  if (accepted) (plan.runs === 0 ? results : warm).push(accepted);
  for (let i = 0; i < plan.warmup; i++) warm.push(await runOnce(image, name, strategy, repeat));
  while (results.length < Math.max(plan.runs, 1)) results.push(await runOnce(image, name, strategy, repeat));
  const first = results[0]!;
  for (const r of [...warm, ...results]) {
    if (r.checksum !== first.checksum || r.instructions !== first.instructions) {
      throw new Error(`workload ${name} under ${strategy.name} is not deterministic (${repeat} calls): checksum ${first.checksum.toString(16)}/${r.checksum.toString(16)}, instructions ${first.instructions}/${r.instructions}`);
    }
  }
  const bySeconds = [...results].sort((a, b) => a.seconds - b.seconds);
  return {
    primeRuns,
    repeat,
    checksum: first.checksum,
    instructions: first.instructions,
    median: bySeconds[(bySeconds.length - 1) >> 1]!,
    runs: results.map((r) => r.seconds),
    timeBase: TIME_BASE,
    calibration: calibration.map((r) => ({ repeat: r.repeat, seconds: r.seconds })),
  };
}

/** The compiled child entry next to this file (the CLIs run compiled JavaScript: scripts/run.mjs). */
const MEASURE_ENTRY = fileURLToPath(new URL('./measure.js', import.meta.url));

/** timeGuest in a fresh Node process (bench/measure.ts); its progress goes to our stderr. */
export function timeGuestIsolated(workload: string, strategy: Strategy, plan: TimingPlan): GuestTiming {
  let out: string;
  try {
    out = execFileSync(process.execPath, [MEASURE_ENTRY, workload, strategy.name, JSON.stringify(plan)], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      maxBuffer: 16 * 1024 * 1024,
    });
  } catch (e) {
    throw new Error(`measuring ${workload} under ${strategy.name} failed (its error is above): ${(e as Error).message.split('\n')[0]}`);
  }
  const last = out.trim().split('\n').pop() ?? '';
  return JSON.parse(last) as GuestTiming;
}
