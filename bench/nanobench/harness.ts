/**
 * The nanobenchmark harness: each workload of bench/nanobench/workloads.ts
 * under each sensitive-instruction strategy that exists (trap, inline) and
 * each paging policy (nested, shadow), in the JIT tier (jit-hot unless
 * told otherwise), with QEMU TCG as an optional baseline.
 *
 * How ns/op is measured: the guest runs N iterations of its loop with the
 * operation ("op" run) and N iterations of the same loop without it
 * ("empty" run), each on a fresh machine; ns/op = (op seconds − empty
 * seconds) / N, in host CPU time (user + system) of this process during
 * the run loop: machine construction, loading and the JIT's compilation
 * excluded (compilation is reported apart, per run); guest start-up and
 * setup are in both runs and cancel out. CPU time rather than
 * wall-clock because the machines this runs on are shared (another
 * process's time slice would land in whichever run it interrupted); the
 * wall-clock figure is kept beside it. Not the guest's RDTSC: wasmvisor's
 * TSC is virtual and does not follow host time. N is calibrated so that
 * an op run lasts about the target beyond the empty run (and well beyond
 * the empty run's own time; the last calibration pair is the warm-up);
 * then `runs` (empty, op) pairs are timed, and the median of the pairs'
 * ns/op is reported with their range.
 */
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { PAGING_POLICY_NAMES, type PagingCounters, type PagingPolicyName } from '../../runtime/mmu.js';
import type { JitStats } from '../../runtime/jit/jit.js';
import { PAPER_CITATION, PAPER_CPU_GHZ, PAPER_CYCLES, havePaperCycles, paperCyclesToNs, type PaperCycles } from './paper.js';
import { runNanoQemu, runNanoWasmvisor, type LoopMode, type WasmvisorNanoRun } from './run.js';
import { resolveStrategy, SENSITIVE_STRATEGY_NAMES, type ResolvedStrategy, type SensitiveStrategyName } from './strategies.js';
import { NANO_WORKLOADS, type NanoWorkload, type NanoWorkloadName } from './workloads.js';

/** The tier the issue asks for: the JIT, compiling hot code (runtime/jit/strategies.ts). */
export const DEFAULT_TIER = 'jit-hot';
/** The QEMU baseline's row strategy. */
export const QEMU_STRATEGY = 'qemu-tcg';

export interface NanobenchOptions {
  /** Also write the rows (and how they were measured) to this JSON file. */
  json?: string;
  /** Sensitive-instruction strategies to measure (default: all); ones no JIT strategy implements are skipped. */
  strategies?: readonly SensitiveStrategyName[];
  /** Paging policies (default: all). */
  paging?: readonly PagingPolicyName[];
  /** Workloads (default: all, in the paper's order). */
  workloads?: readonly NanoWorkloadName[];
  /** A smoke test: short runs, few pairs (figures noisy). */
  quick?: boolean;
  /** The JIT tier whose flavour every strategy runs (default jit-hot). */
  tier?: string;
  /** Timed (empty, op) pairs per row (default 5, quick 3). */
  runs?: number;
  /** Seconds the operations of an op run should take beyond the empty run (default 1, quick 0.2). */
  targetSeconds?: number;
  /** Add a QEMU TCG row per workload, measured the same way (QEMU's start-up cancels out). */
  qemu?: boolean;
  /** Progress lines (default: stderr). */
  log?: (line: string) => void;
}

export interface Row {
  workload: NanoWorkloadName;
  /** `${sensitive}/${paging}` for wasmvisor rows (e.g. trap/shadow), 'qemu-tcg' for QEMU's. */
  strategy: string;
  sensitive: SensitiveStrategyName | null;
  paging: PagingPolicyName | null;
  /** The execution tier the machine ran ('qemu-tcg' for QEMU). */
  tier: string;
  /**
   * Median over the timed pairs of (op − empty) / N, in host nanoseconds of
   * CPU time (wall-clock for QEMU, whose CPU time Node cannot see); null when
   * the row failed.
   */
  nsPerOp: number | null;
  /** The same in wall-clock time (wasmvisor rows). */
  nsPerOpWall: number | null;
  /** The smallest and largest pair's ns/op. */
  nsPerOpMin: number | null;
  nsPerOpMax: number | null;
  /** Median op and empty runs, per iteration (ns). */
  opNsPerIteration: number | null;
  emptyNsPerIteration: number | null;
  /** N: loop iterations per run. */
  iterations: number;
  /** Timed pairs. */
  runs: number;
  /** VM exits the operation causes (op run minus empty run, per operation), in all and by reason. */
  exitsPerOp: number | null;
  exitsPerOpByReason: Record<string, number>;
  /** The paging policy's counters per operation (op run minus empty run). */
  pagingPerOp: Partial<Record<keyof PagingCounters, number>>;
  /**
   * The JIT's counters per operation (op run minus empty run): dispatches,
   * translation-cache hits and misses, instructions interpreted instead of
   * run as translated code.
   */
  jitPerOp: Partial<Record<keyof JitStats, number>>;
  /** Milliseconds the JIT compiled in the median pair's op run (left out of ns/op). */
  compileMs: number | null;
  /** The guest's "info" lines (e.g. whether the local APIC's TPR is live). */
  info: string[];
  /** The paper's published cycles (null counts: not filled in, see paper.ts). */
  paper: PaperCycles;
  /** Why the row has no figure. */
  error?: string;
}

export interface NanobenchReport {
  rows: Row[];
  meta: {
    tier: string;
    method: string;
    /** Strategies asked for that no tier implements. */
    unavailable: string[];
    paper: string;
    paperCpuGhz: number;
    targetSeconds: number;
    runs: number;
    loadAverage: { start: number[]; end: number[] };
    elapsedSeconds: number;
    node: string;
    date: string;
  };
}

/** Most loop iterations per run (a bound on calibration, not a tuning knob). */
export const MAX_ITERATIONS = 20_000_000;
const START_ITERATIONS = 1024;
/** Loop count of the warm-up runs. */
const PRIME_ITERATIONS = 20_000;
const QEMU_TARGET_SECONDS = 1;
/** Paging counters worth a column per operation. */
const PAGING_PER_OP: readonly (keyof PagingCounters)[] = ['walks', 'fills', 'pageFaults', 'invlpgs', 'pageTableWrites', 'shadowDrops', 'flushes'];
/** JIT counters worth a column per operation. */
const JIT_PER_OP: readonly (keyof JitStats)[] = ['dispatches', 'hits', 'misses', 'interpretedSteps', 'compiles', 'invalidations'];

/** One timed measurement: seconds of an op run and of an empty run of the same N. */
interface Pair<R> {
  readonly op: R;
  readonly empty: R;
}

/** The median of a list of numbers (the lower middle one for an even count). */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error('median of nothing');
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[(sorted.length - 1) >> 1]!;
}

/** ns per operation of one pair: the op run's extra time over the empty run, per iteration. */
export function nsPerOperation(opSeconds: number, emptySeconds: number, iterations: number): number {
  return ((opSeconds - emptySeconds) / iterations) * 1e9;
}

/**
 * The next loop count while calibrating, from the last pair: the op run's
 * time beyond the empty run (`marginal`) should reach `target` seconds and
 * at least twice the empty run's own time (start-up, setup, the loop), so
 * that the operations stand clear of the jitter of what both runs share.
 * Null when it reaches half of that (or the count is at MAX_ITERATIONS);
 * else the count scaled towards it (so more than doubled), at most a
 * hundredfold.
 */
export function nextIterations(iterations: number, marginal: number, emptySeconds: number, target: number): number | null {
  const want = Math.max(target, 2 * emptySeconds);
  if (marginal >= want / 2 || iterations >= MAX_ITERATIONS) return null;
  const scaled = Math.ceil(iterations * want / Math.max(marginal, want / 100));
  return Math.min(MAX_ITERATIONS, scaled);
}

/** Calibration: a per-operation cost within this fraction of the previous pair's has settled. */
const SETTLED = 0.25;
/** Calibration: pairs after which the last count is taken, settled or not. */
const MAX_CALIBRATION_PAIRS = 8;

/**
 * Find N whose operations take about `target` seconds beyond the empty
 * loop (see nextIterations) with a settled cost per operation: within
 * SETTLED of the previous pair's, so that one pair inflated by V8's
 * background work (tiering binaryen and our Wasm up) is not taken for the
 * operation's cost. The last calibration pair is the warm-up.
 */
async function calibrate<R extends { seconds: number }>(run: (n: number, mode: LoopMode) => Promise<R>, target: number, start: number): Promise<{ iterations: number; warm: Pair<R> }> {
  let n = start;
  let previousPerOp: number | null = null;
  for (let pairs = 1; ; pairs++) {
    const empty = await run(n, 'empty');
    const op = await run(n, 'op');
    const marginal = op.seconds - empty.seconds;
    const perOp = marginal / n;
    let next = nextIterations(n, marginal, empty.seconds, target);
    const settled = previousPerOp !== null && Math.abs(perOp - previousPerOp) <= SETTLED * Math.abs(previousPerOp);
    // Long enough but not settled: measure the same count again.
    if (next === null && !settled) next = n;
    if (next === null || pairs >= MAX_CALIBRATION_PAIRS) return { iterations: n, warm: { op, empty } };
    previousPerOp = perOp;
    n = next;
  }
}

async function timePairs<R extends { seconds: number }>(run: (n: number, mode: LoopMode) => Promise<R>, n: number, runs: number): Promise<Pair<R>[]> {
  const pairs: Pair<R>[] = [];
  for (let i = 0; i < runs; i++) {
    const empty = await run(n, 'empty');
    const op = await run(n, 'op');
    pairs.push({ op, empty });
  }
  return pairs;
}

function timing<R extends { seconds: number; wallSeconds?: number }>(pairs: readonly Pair<R>[], n: number): Pick<Row, 'nsPerOp' | 'nsPerOpWall' | 'nsPerOpMin' | 'nsPerOpMax' | 'opNsPerIteration' | 'emptyNsPerIteration'> {
  const perPair = pairs.map((p) => nsPerOperation(p.op.seconds, p.empty.seconds, n));
  const wall = pairs.every((p) => p.op.wallSeconds !== undefined && p.empty.wallSeconds !== undefined)
    ? median(pairs.map((p) => nsPerOperation(p.op.wallSeconds!, p.empty.wallSeconds!, n)))
    : null;
  return {
    nsPerOp: median(perPair),
    nsPerOpWall: wall,
    nsPerOpMin: Math.min(...perPair),
    nsPerOpMax: Math.max(...perPair),
    opNsPerIteration: median(pairs.map((p) => (p.op.seconds / n) * 1e9)),
    emptyNsPerIteration: median(pairs.map((p) => (p.empty.seconds / n) * 1e9)),
  };
}

/** Exits and paging counters per operation: what the op run did beyond the empty run. */
function countsPerOp(op: WasmvisorNanoRun, empty: WasmvisorNanoRun, n: number): Pick<Row, 'exitsPerOp' | 'exitsPerOpByReason' | 'pagingPerOp' | 'jitPerOp' | 'compileMs'> {
  const byReason: Record<string, number> = {};
  let total = 0;
  for (const name of new Set([...op.exits.keys(), ...empty.exits.keys()])) {
    const extra = (op.exits.get(name) ?? 0) - (empty.exits.get(name) ?? 0);
    total += extra;
    if (extra !== 0) byReason[name] = extra / n;
  }
  const pagingPerOp: Partial<Record<keyof PagingCounters, number>> = {};
  if (op.paging && empty.paging) for (const k of PAGING_PER_OP) pagingPerOp[k] = (op.paging[k] - empty.paging[k]) / n;
  const jitPerOp: Partial<Record<keyof JitStats, number>> = {};
  if (op.jit && empty.jit) for (const k of JIT_PER_OP) jitPerOp[k] = (op.jit[k] - empty.jit[k]) / n;
  return { exitsPerOp: total / n, exitsPerOpByReason: byReason, pagingPerOp, jitPerOp, compileMs: op.compileMs };
}

function failedRow(w: NanoWorkload, strategy: string, sensitive: SensitiveStrategyName | null, paging: PagingPolicyName | null, tier: string, error: string): Row {
  return {
    workload: w.name, strategy, sensitive, paging, tier, nsPerOp: null, nsPerOpWall: null, nsPerOpMin: null, nsPerOpMax: null,
    opNsPerIteration: null, emptyNsPerIteration: null, iterations: 0, runs: 0, exitsPerOp: null, exitsPerOpByReason: {},
    pagingPerOp: {}, jitPerOp: {}, compileMs: null, info: [], paper: PAPER_CYCLES[w.name], error,
  };
}

/** Measure one workload under one strategy and paging policy in wasmvisor. */
async function measureWasmvisor(w: NanoWorkload, s: ResolvedStrategy, paging: PagingPolicyName, target: number, runs: number): Promise<Row> {
  const run = (n: number, mode: LoopMode): Promise<WasmvisorNanoRun> => runNanoWasmvisor(w, n, mode, { tier: s.tier, paging });
  const { iterations, warm } = await calibrate(run, target, START_ITERATIONS);
  const pairs = await timePairs(run, iterations, runs);
  // Exit and paging counts do not depend on timing: any pair's will do.
  const last = pairs[pairs.length - 1]!;
  return {
    workload: w.name,
    strategy: `${s.name}/${paging}`,
    sensitive: s.name,
    paging,
    tier: s.tier,
    ...timing(pairs, iterations),
    iterations,
    runs,
    ...countsPerOp(last.op, last.empty, iterations),
    info: [...warm.op.report.info],
    paper: PAPER_CYCLES[w.name],
  };
}

async function measureQemu(w: NanoWorkload, runs: number): Promise<Row> {
  const run = (n: number, mode: LoopMode) => runNanoQemu(w, n, mode);
  // QEMU's start-up (~0.1 s) is in both runs; the op run must be long beside its jitter.
  const { iterations, warm } = await calibrate(run, QEMU_TARGET_SECONDS, 4096);
  const pairs = await timePairs(run, iterations, runs);
  return {
    workload: w.name, strategy: QEMU_STRATEGY, sensitive: null, paging: null, tier: QEMU_STRATEGY,
    ...timing(pairs, iterations), iterations, runs, exitsPerOp: null, exitsPerOpByReason: {}, pagingPerOp: {}, jitPerOp: {}, compileMs: null,
    info: [...warm.op.report.info], paper: PAPER_CYCLES[w.name],
  };
}

/**
 * Run the nanobenchmarks and return one row per workload, strategy and
 * paging policy (and per workload for QEMU when asked); rows that failed
 * carry `error` and no figure. Writes `options.json` when given.
 */
export async function runNanobench(options: NanobenchOptions = {}): Promise<Row[]> {
  const log = options.log ?? ((line: string) => process.stderr.write(line + '\n'));
  const quick = options.quick === true;
  const tier = options.tier ?? DEFAULT_TIER;
  const target = options.targetSeconds ?? (quick ? 0.2 : 1);
  const runs = options.runs ?? (quick ? 3 : 5);
  const policies = options.paging ?? PAGING_POLICY_NAMES;
  const workloads = options.workloads ? NANO_WORKLOADS.filter((w) => options.workloads!.includes(w.name)) : NANO_WORKLOADS;
  const unavailable: string[] = [];
  const strategies: ResolvedStrategy[] = [];
  for (const name of options.strategies ?? SENSITIVE_STRATEGY_NAMES) {
    const s = resolveStrategy(name, tier);
    if (s) strategies.push(s);
    else unavailable.push(`${name}: no JIT strategy implements it yet (runtime/jit/strategies.ts), so it has no rows`);
  }
  const started = performance.now();
  const loadAtStart = loadavg();
  const rows: Row[] = [];
  // Warm the process up: the first machines of a process pay for V8
  // compiling binaryen and our own code (much of it on background threads,
  // whose CPU time no run could leave out).
  const primer = strategies[0];
  if (primer) {
    log('warming up: one run of each workload');
    for (const w of workloads) {
      for (const mode of ['op', 'empty'] as const) {
        await runNanoWasmvisor(w, PRIME_ITERATIONS, mode, { tier: primer.tier, paging: policies[0] ?? 'nested' }).catch(() => undefined);
      }
    }
  }
  for (const w of workloads) {
    for (const s of strategies) {
      for (const paging of policies) {
        const label = `${w.name} ${s.name}/${paging} (${s.tier})`;
        try {
          const row = await measureWasmvisor(w, s, paging, target, runs);
          log(`${label}: ${row.nsPerOp!.toFixed(1)} ns/op (${row.nsPerOpMin!.toFixed(1)}..${row.nsPerOpMax!.toFixed(1)}), n=${row.iterations}, ${row.exitsPerOp!.toFixed(2)} exits/op`);
          rows.push(row);
        } catch (e) {
          const msg = (e as Error).message;
          log(`${label}: FAILED: ${msg}`);
          rows.push(failedRow(w, `${s.name}/${paging}`, s.name, paging, s.tier, msg));
        }
      }
    }
    if (options.qemu) {
      try {
        const row = await measureQemu(w, runs);
        log(`${w.name} ${QEMU_STRATEGY}: ${row.nsPerOp!.toFixed(1)} ns/op, n=${row.iterations}`);
        rows.push(row);
      } catch (e) {
        const msg = (e as Error).message;
        log(`${w.name} ${QEMU_STRATEGY}: FAILED: ${msg}`);
        rows.push(failedRow(w, QEMU_STRATEGY, null, null, QEMU_STRATEGY, msg));
      }
    }
  }
  if (options.json) {
    const report: NanobenchReport = {
      rows,
      meta: {
        tier,
        method: 'nsPerOp = median over timed pairs of (op run - empty-loop run) / N in host CPU seconds of the run loop (nsPerOpWall: the same in wall-clock; QEMU rows: wall-clock of the process), each run on a fresh machine; N calibrated so the op run exceeds the empty run by about targetSeconds; the last calibration pair is the warm-up',
        unavailable,
        paper: PAPER_CITATION,
        paperCpuGhz: PAPER_CPU_GHZ,
        targetSeconds: target,
        runs,
        loadAverage: { start: loadAtStart, end: loadavg() },
        elapsedSeconds: (performance.now() - started) / 1000,
        node: process.version,
        date: new Date().toISOString(),
      },
    };
    writeFileSync(options.json, JSON.stringify(report, null, 2) + '\n');
  }
  for (const u of unavailable) log(u);
  return rows;
}

// --- The table ------------------------------------------------------------------------

const fixed = (v: number | null, digits = 1): string => (v === null ? '-' : v.toFixed(digits));
const cycles = (v: number | null): string => (v === null ? '-' : String(v));
const asNs = (v: number | null): string => (v === null ? '-' : paperCyclesToNs(v).toFixed(1));

/**
 * The rows as a text table: our ns/op beside the paper's cycles (native,
 * software VMM, hardware VMM) and those cycles as ns on its 3.8 GHz CPU.
 */
export function formatNanobenchTable(rows: readonly Row[]): string {
  const header = ['workload', 'strategy', 'ns/op', 'min..max', 'exits/op', 'interp/op', 'N', 'paper cycles: native', 'sw VMM', 'hw VMM', `paper ns @${PAPER_CPU_GHZ} GHz: native`, 'sw VMM', 'hw VMM', 'notes'];
  const body = rows.map((r) => [
    r.workload,
    r.strategy,
    r.error ? 'FAILED' : fixed(r.nsPerOp),
    r.error ? '' : `${fixed(r.nsPerOpMin)}..${fixed(r.nsPerOpMax)}`,
    fixed(r.exitsPerOp, 2),
    fixed(r.jitPerOp.interpretedSteps ?? null, 2),
    r.iterations ? String(r.iterations) : '-',
    cycles(r.paper.native), cycles(r.paper.softwareVmm), cycles(r.paper.hardwareVmm),
    asNs(r.paper.native), asNs(r.paper.softwareVmm), asNs(r.paper.hardwareVmm),
    r.error ? r.error.split('\n')[0]! : r.info.join('; '),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => (i < 2 || i === cells.length - 1 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  const out = [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)];
  out.push('');
  out.push('ns/op: median over timed pairs of (run with N operations - run of the empty loop) / N, in host CPU time, JIT compilation left out (QEMU: wall-clock).');
  out.push('exits/op: VM exits the VMM counted beyond the empty loop\'s; interp/op: guest instructions the JIT tier interpreted instead of running translated code.');
  out.push(`paper: ${PAPER_CITATION}.`);
  if (!havePaperCycles()) out.push('paper columns are empty: the published cycle counts are not in bench/nanobench/paper.ts (see its header).');
  const stated = [...new Set(rows.map((r) => r.workload))].flatMap((w) => {
    const note = rows.find((r) => r.workload === w)!.paper.stated;
    return note ? [`  ${w}: ${note}`] : [];
  });
  if (stated.length > 0) out.push('paper, where its text gives a relation rather than a count (\'-\' above):', ...stated);
  return out.join('\n');
}
