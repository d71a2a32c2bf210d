/**
 * Bench results: the JSON record (one row per workload and strategy), the
 * table printed for people with its legend, and the summary against the
 * project's targets. Translation and run time are kept apart (STYLE.md
 * lesson 9): `mips` counts everything a fresh machine does, `steadyMips`
 * leaves out the time spent compiling.
 */
import type { JitStats } from '../runtime/jit/jit.js';
import type { GuestTiming } from './guest.js';
import type { NativeResult } from './native.js';
import type { Corpus, Workload } from './workloads.js';

export interface BenchResult {
  workload: string;
  /** The part of the corpus the workload belongs to (the targets are set on the integer one). */
  corpus: Corpus;
  strategy: string;
  /** Calls of workload_main in one guest run (chosen per workload and strategy by calibration). */
  calls: number;
  /** Guest instructions retired per second of guest run time, translation included, in millions. */
  mips: number;
  /** Guest instructions retired per second of run time without compilation (seconds − compileMs), in millions. */
  steadyMips: number;
  /**
   * Guest seconds per workload_main call / native seconds per call: how
   * many times slower than the host CPU doing the same work (equal to
   * native MIPS / MIPS, both counted in guest instructions).
   */
  ratioToNative: number;
  /** The same without compilation: (run ms / 1000 / calls) / native seconds. */
  steadyRatioToNative: number;
  /** Reference strategy's MIPS / this strategy's MIPS (1 for the reference; below 1 is faster). */
  ratioToReference: number;
  /** Reference strategy's MIPS / this strategy's steady MIPS (the reference compiles nothing: its steady MIPS is its MIPS). */
  steadyRatioToReference: number;
  /** Seconds of the median guest run (all calls), translation included, in the bench's time base (meta.timeBase). */
  seconds: number;
  /** Wall-clock seconds of that run. */
  wallSeconds: number;
  /** Milliseconds of that run spent compiling on its own thread (jit.stats.compileMs; 0 on the interpreter; a worker's compile time is in jit.workerCompileMs). */
  compileMs: number;
  /** seconds × 1000 − compileMs. */
  runMs: number;
  /** Instructions retired by one guest run, all calls (REP iterations count one each, as the tiers retire them). */
  instructions: number;
  /** Median native seconds of one workload_main call, in the bench's time base. */
  nativeSeconds: number;
  /** Median native wall-clock seconds of one call. */
  nativeWallSeconds: number;
  /** Native instructions per second in millions: (instructions / calls) / nativeSeconds / 1e6. */
  nativeMips: number;
  /** wasmBytes / guestInstructionsTranslated (null on the interpreter, or if nothing was translated). */
  wasmBytesPerInstruction: number | null;
  /** hits / (hits + misses) of the runtime's translation lookups (null on the interpreter). */
  hitRate: number | null;
  /** The JIT's counters for the median run, as the engine reports them (null on the interpreter). */
  jit: JitStats | null;
  /** Seconds of every timed run. */
  runs: number[];
  /** Calibration runs (call count, seconds); the last one is a warm-up. */
  calibration: { repeat: number; seconds: number }[];
  /** One-call runs that warmed the measuring process up. */
  primeRuns: number;
}

export interface BenchReport {
  results: BenchResult[];
  meta: {
    suite: string;
    /** Seconds a timed run should last outside compilation (calibrate() in bench/guest.ts). */
    targetSeconds: number;
    /** Whether each workload and strategy ran in a process of its own. */
    isolated: boolean;
    /** Seconds of one-call runs that warmed each measuring process up. */
    primeSeconds: number;
    warmupRuns: number;
    timedRuns: number;
    referenceStrategy: string;
    /** What the seconds measure: the running thread's CPU time (guest and native), or wall-clock time where the host does not report it. */
    timeBase: 'thread-cpu' | 'wall';
    /** os.loadavg() at the start and the end: other work on the host skews every figure. */
    loadAverage: { start: number[]; end: number[] };
    /** Wall-clock seconds of the whole bench. */
    elapsedSeconds: number;
    node: string;
    date: string;
  };
}

/**
 * One result from a guest timing and the native baseline of the same
 * workload. Every ratio to native compares the time of the same work, one
 * workload_main call, in the timing's time base: the native program counts
 * no instructions, so "native MIPS" is the guest's count over native time
 * (a REP instruction, which the guest retires once per iteration, counts
 * the same on both sides).
 */
export function benchResult(w: Workload, strategy: string, g: GuestTiming, native: NativeResult, referenceMips: number): BenchResult {
  const run = g.median;
  const mips = g.instructions / run.seconds / 1e6;
  const compileMs = run.compileMs;
  const runMs = run.seconds * 1000 - compileMs;
  const steadyMips = g.instructions / runMs / 1e3;
  const nativeSeconds = g.timeBase === 'thread-cpu' ? native.cpuSeconds : native.seconds;
  const jit = run.jit;
  return {
    workload: w.name,
    corpus: w.corpus,
    strategy,
    calls: g.repeat,
    mips,
    steadyMips,
    ratioToNative: run.seconds / g.repeat / nativeSeconds,
    steadyRatioToNative: runMs / 1000 / g.repeat / nativeSeconds,
    ratioToReference: referenceMips / mips,
    steadyRatioToReference: referenceMips / steadyMips,
    seconds: run.seconds,
    wallSeconds: run.wallSeconds,
    compileMs,
    runMs,
    instructions: g.instructions,
    nativeSeconds,
    nativeWallSeconds: native.seconds,
    nativeMips: g.instructions / g.repeat / nativeSeconds / 1e6,
    wasmBytesPerInstruction: jit && jit.guestInstructionsTranslated > 0 ? jit.wasmBytes / jit.guestInstructionsTranslated : null,
    hitRate: jit && jit.hits + jit.misses > 0 ? jit.hits / (jit.hits + jit.misses) : null,
    jit,
    runs: g.runs,
    calibration: g.calibration,
    primeRuns: g.primeRuns,
  };
}

/** Column definitions, printed above the table. */
export const LEGEND = `\
calls        workload_main calls per guest run (calibrated per workload and strategy until the cost per call settles; MIPS is per retired instruction, so counts may differ)
instructions guest instructions retired by one run (all calls; a REP instruction retires once per iteration)
guest s      seconds of the median run, translation included          compile ms   time compiling on the run's thread (jit.stats.compileMs; a worker's compiling is off the critical path)
run ms       guest s × 1000 − compile ms                               MIPS         instructions / guest s / 1e6
steady MIPS  instructions / run ms / 1e3 (excludes compilation)        native s     median native seconds of one call
native MIPS  (instructions / calls) / native s / 1e6: the native run counts nothing, so this is the guest's count over native time
×native      (guest s / calls) / native s: times slower than the host CPU doing the same work (= native MIPS / MIPS)
×nat steady  (run ms / 1000 / calls) / native s
×reference   reference MIPS / MIPS (below 1 is faster)                 ×ref steady  reference MIPS / steady MIPS
B/instr      Wasm bytes per guest instruction translated (wasmBytes / guestInstructionsTranslated)
hit rate     hits / (hits + misses) of the runtime's translation lookups (lookups done inside the Wasm dispatcher are not counted by the engine)`;

function fixed(x: number | null, digits: number): string {
  return x === null || !Number.isFinite(x) ? '-' : x.toFixed(digits);
}

/** Three significant digits (whole numbers from 100): ratios run from 0.003 to 30000. */
function ratio(x: number): string {
  if (!Number.isFinite(x)) return '-';
  return x >= 100 ? x.toFixed(0) : x.toPrecision(3);
}

function table(header: readonly string[], rows: readonly string[][], leftColumns: number): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => (i < leftColumns ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** A plain-text table; columns right-aligned except the names. */
export function formatTable(results: readonly BenchResult[]): string {
  const header = ['workload', 'strategy', 'calls', 'instructions', 'guest s', 'compile ms', 'run ms', 'MIPS', 'steady MIPS', 'native s', 'native MIPS', '×native', '×nat steady', '×reference', '×ref steady', 'B/instr', 'hit rate'];
  const rows = results.map((r) => [
    r.workload,
    r.strategy,
    String(r.calls),
    String(r.instructions),
    fixed(r.seconds, 3),
    fixed(r.compileMs, 0),
    fixed(r.runMs, 0),
    fixed(r.mips, 1),
    fixed(r.steadyMips, 1),
    r.nativeSeconds.toExponential(2),
    fixed(r.nativeMips, 0),
    ratio(r.ratioToNative),
    ratio(r.steadyRatioToNative),
    ratio(r.ratioToReference),
    ratio(r.steadyRatioToReference),
    fixed(r.wasmBytesPerInstruction, 1),
    r.hitRate === null ? '-' : `${(r.hitRate * 100).toFixed(2)}%`,
  ]);
  return table(header, rows, 2);
}

const geomean = (xs: readonly number[]): number => Math.exp(xs.reduce((s, x) => s + Math.log(x), 0) / xs.length);

/** The project's targets for the best strategy on this integer corpus. */
export const TARGETS = { speedupOverReference: 20, ratioToNative: 3 } as const;

/** Per strategy, geometric means over the given results' workloads (strategies missing a workload are left out: no fair mean). */
function means(results: readonly BenchResult[]): { strategy: string; speedup: number; steadySpeedup: number; native: number; steadyNative: number }[] {
  const workloads = new Set(results.map((r) => r.workload));
  const rows = [];
  for (const s of new Set(results.map((r) => r.strategy))) {
    const mine = results.filter((r) => r.strategy === s);
    if (mine.length !== workloads.size) continue;
    rows.push({
      strategy: s,
      speedup: geomean(mine.map((r) => 1 / r.ratioToReference)),
      steadySpeedup: geomean(mine.map((r) => 1 / r.steadyRatioToReference)),
      native: geomean(mine.map((r) => r.ratioToNative)),
      steadyNative: geomean(mine.map((r) => r.steadyRatioToNative)),
    });
  }
  return rows;
}

/**
 * Per part of the corpus, per strategy, the geometric means over its
 * workloads of the speed-up over the reference and of ×native, with and
 * without compilation; then, on the integer corpus, which strategy is best
 * and whether it meets the project's targets.
 */
export function formatSummary(results: readonly BenchResult[], referenceStrategy: string): string {
  const out: string[] = [`speed-up = this MIPS / ${referenceStrategy} MIPS (1 / ×reference); geometric means over each part of the corpus`];
  for (const corpus of new Set(results.map((r) => r.corpus))) {
    const mine = results.filter((r) => r.corpus === corpus);
    const workloads = [...new Set(mine.map((r) => r.workload))];
    const rows = means(mine);
    const header = ['strategy', 'speed-up over reference', 'steady speed-up', '×native', '×native steady'];
    out.push(
      '',
      `${corpus} corpus (${workloads.join(', ')}):`,
      table(header, rows.map((r) => [r.strategy, ratio(r.speedup), ratio(r.steadySpeedup), ratio(r.native), ratio(r.steadyNative)]), 1),
    );
    const jits = rows.filter((r) => r.strategy !== referenceStrategy);
    if (corpus === 'integer' && jits.length > 0) {
      const best = jits.reduce((a, b) => (b.speedup > a.speedup ? b : a));
      const verdict = (ok: boolean): string => (ok ? 'met' : 'NOT met');
      out.push(
        '',
        `best strategy on the integer corpus: ${best.strategy}: ${ratio(best.speedup)}× the reference (target ≥ ${TARGETS.speedupOverReference}×: ${verdict(best.speedup >= TARGETS.speedupOverReference)}), ` +
          `${ratio(best.native)}× slower than native (target ≤ ${TARGETS.ratioToNative}×: ${verdict(best.native <= TARGETS.ratioToNative)}); ` +
          `without compilation ${ratio(best.steadySpeedup)}× and ${ratio(best.steadyNative)}×`,
      );
    }
  }
  return out.join('\n');
}
