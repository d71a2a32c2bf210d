/**
 * `npm run bench -- [--suite S] [--strategy LIST] [--runs N] [--target S] [--repeat N] [--json FILE]`
 *
 * Runs each workload of the suite natively and under each strategy,
 * checks that every run returns the native checksum (and fails loudly if
 * not), and prints guest MIPS with and without translation time, native
 * MIPS, the ratios, the JIT's code size and cache hit rate, and a summary
 * against the project's targets.
 */
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { readImageFile } from '../src/loaders/flat.js';
import { buildWorkloadGuest, foldChecksums, MAX_REPEAT, WORKLOADS, type Workload } from './workloads.js';
import { runNative } from './native.js';
import { TIME_BASE, timeGuest, timeGuestIsolated, type GuestTiming, type TimingPlan } from './guest.js';
import { REFERENCE_STRATEGY, STRATEGIES, type Strategy } from './strategies.js';
import { benchResult, formatSummary, formatTable, LEGEND, type BenchReport, type BenchResult } from './report.js';
import { nanobenchMain } from './nanobench/cli.js';
import { linuxBenchMain } from './linux/cli.js';
import { optionValue, parseCommandLine, UsageError } from './usage.js';
// binaryen.js before anything runs: the strategies this tool may run build modules with it.
import '../translator/emit/binaryen-ready.js';

interface Suite {
  readonly workloads: readonly Workload[];
  /** Seconds a timed guest run should last outside compilation (see calibrate() in bench/guest.ts). */
  readonly targetSeconds: number;
  /** Warm-up runs besides the last calibration run. */
  readonly warmup: number;
  /** Seconds of one-call runs that warm each measuring process up before calibration (bench/guest.ts). */
  readonly primeSeconds: number;
  /** Each workload and strategy in a process of its own (see bench/guest.ts); off, all share this one (faster, skewed). */
  readonly isolate: boolean;
  readonly runs: number;
  /** Native: minimum seconds per batch, and batches. */
  readonly nativeBatch: number;
  readonly nativeSamples: number;
}

const SUITES: Readonly<Record<string, Suite>> = {
  default: { workloads: WORKLOADS, isolate: true, primeSeconds: 1, targetSeconds: 1, warmup: 0, runs: 3, nativeBatch: 0.05, nativeSamples: 11 },
  quick: { workloads: WORKLOADS, isolate: false, primeSeconds: 0, targetSeconds: 0.1, warmup: 0, runs: 0, nativeBatch: 0.01, nativeSamples: 3 },
};

const USAGE = `usage: npm run bench -- [options]

  --suite S         default (every workload and strategy in a process of its own;
                    1 s of one-call runs to warm up, runs calibrated to last
                    0.5-2.5 s outside compilation with a settled cost per call
                    (the accepted one is a warm-up), 3 timed: about 8 minutes),
                    quick (every workload, all in this process, no warm-up, runs
                    of 0.05-0.1 s, the accepted calibration run reported: a smoke
                    test under a minute; its figures are skewed by cold code and
                    shared V8 feedback),
                    or a workload name (${WORKLOADS.map((w) => w.name).join(', ')}) with the default settings,
                    or nanobench (the virtualisation nanobenchmarks: ns per operation per
                    rewriting strategy and paging policy; its own options follow --suite
                    nanobench: see bench/nanobench/README.md),
                    or linux (Debian's Linux booted and a busybox workload run in wasmvisor,
                    QEMU TCG and v86 side by side, against the workload run natively; its
                    own options follow --suite linux: --suite linux --help lists them)
  --strategy LIST   comma-separated strategies (${STRATEGIES.map((s) => s.name).join(', ')}); default: all
  --runs N          timed guest runs per workload and strategy (median reported)
  --target S        seconds a timed run should last outside compilation (calibration
                    accepts from half of it, up to 2.5 times it while the JIT settles)
  --repeat N        workload calls per guest run for every strategy, instead of calibrating
  --json FILE       also write the results as JSON
  -h, --help        this text
`;


interface Options {
  suiteName: string;
  suite: Suite;
  strategies: Strategy[];
  repeat?: number;
  json?: string;
}

function parse(argv: readonly string[]): Options | null {
  let suiteName = 'default';
  let runs: number | undefined;
  let target: number | undefined;
  let repeat: number | undefined;
  let json: string | undefined;
  let strategies = [...STRATEGIES];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = (): string => optionValue(argv, ++i, arg);
    const whole = (max: number): number => {
      const v = value();
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1 || n > max) throw new UsageError(`${arg} needs a whole number from 1 to ${max}, got '${v}'`);
      return n;
    };
    switch (arg) {
      case '-h': case '--help': return null;
      case '--suite': suiteName = value(); break;
      case '--json': json = value(); break;
      case '--runs': runs = whole(1000); break;
      case '--repeat': repeat = whole(MAX_REPEAT); break;
      case '--target': {
        const v = value();
        target = Number(v);
        if (!(target > 0 && target <= 600)) throw new UsageError(`--target needs seconds above 0 (at most 600), got '${v}'`);
        break;
      }
      case '--strategy': {
        const names = value().split(',');
        strategies = names.map((n) => {
          const s = STRATEGIES.find((x) => x.name === n);
          if (!s) throw new UsageError(`unknown strategy '${n}' (known: ${STRATEGIES.map((x) => x.name).join(', ')})`);
          return s;
        });
        break;
      }
      default: throw new UsageError(`unknown argument '${arg}'`);
    }
  }
  let suite = SUITES[suiteName];
  if (!suite) {
    const w = WORKLOADS.find((x) => x.name === suiteName);
    if (!w) throw new UsageError(`unknown suite '${suiteName}' (known: ${[...Object.keys(SUITES), ...WORKLOADS.map((x) => x.name)].join(', ')})`);
    suite = { ...SUITES.default!, workloads: [w] };
  }
  if (runs !== undefined) suite = { ...suite, runs };
  if (target !== undefined) suite = { ...suite, targetSeconds: target };
  // Ratios to the reference need the reference measured in the same run.
  if (!strategies.includes(REFERENCE_STRATEGY)) strategies.unshift(REFERENCE_STRATEGY);
  return { suiteName, suite, strategies, repeat, json };
}

async function main(argv: readonly string[]): Promise<number> {
  // The virtualisation nanobenchmarks have their own harness and options (bench/nanobench/README.md).
  const at = argv.indexOf('--suite');
  if (at >= 0 && argv[at + 1] === 'nanobench') return nanobenchMain([...argv.slice(0, at), ...argv.slice(at + 2)]);
  // So has the Linux bench: wasmvisor, QEMU TCG and v86 booting Debian side by side (bench/linux/cli.ts).
  if (at >= 0 && argv[at + 1] === 'linux') return linuxBenchMain([...argv.slice(0, at), ...argv.slice(at + 2)]);
  const opts = parseCommandLine(parse, argv, USAGE);
  if (typeof opts === 'number') return opts;
  const { suite } = opts;
  const plan: TimingPlan = { primeSeconds: suite.primeSeconds, targetSeconds: suite.targetSeconds, warmup: suite.warmup, runs: suite.runs, repeat: opts.repeat };
  const results: BenchResult[] = [];
  const failures: string[] = [];
  const started = performance.now();
  const loadAtStart = loadavg();
  for (const w of suite.workloads) {
    const native = runNative(w.name, suite.nativeBatch, suite.nativeSamples);
    // Built here, not in the measuring processes, which only read it.
    const image = readImageFile(buildWorkloadGuest(w.name));
    let referenceMips = NaN;
    for (const strategy of opts.strategies) {
      process.stderr.write(`${w.name} / ${strategy.name} ...`);
      let g: GuestTiming;
      try {
        g = suite.isolate ? timeGuestIsolated(w.name, strategy, plan) : await timeGuest(image, w.name, strategy, plan);
      } catch (e) {
        const msg = (e as Error).message;
        process.stderr.write(` FAILED: ${msg}\n`);
        failures.push(msg);
        continue;
      }
      const expected = foldChecksums(native.checksum, g.repeat);
      if (g.checksum !== expected) {
        const msg = `CHECKSUM MISMATCH: ${w.name} under ${strategy.name} returned ${hex(g.checksum)} after ${g.repeat} call(s), native returned ${hex(native.checksum)} per call (${hex(expected)} folded)`;
        process.stderr.write(` ${msg}\n`);
        failures.push(msg);
        continue;
      }
      // The reference runs first (parse() puts it there): its ratio to itself is 1.
      if (strategy === REFERENCE_STRATEGY) referenceMips = g.instructions / g.median.seconds / 1e6;
      const result = benchResult(w, strategy.name, g, native, referenceMips);
      results.push(result);
      const { mips, steadyMips, compileMs } = result;
      const cal = g.calibration.map((c) => `${c.repeat}:${c.seconds.toFixed(2)}`).join(' ');
      process.stderr.write(` ${g.repeat} calls, ${mips.toFixed(1)} MIPS, steady ${steadyMips.toFixed(1)}, compile ${compileMs.toFixed(0)} ms (runs: ${g.runs.map((s) => s.toFixed(3)).join(', ')} s${cal ? `; calibration calls:s ${cal}` : ''})\n`);
    }
  }
  const elapsed = (performance.now() - started) / 1000;
  const loadAtEnd = loadavg();

  const timed = suite.runs > 0 || opts.repeat !== undefined ? `median of ${Math.max(suite.runs, 1)} guest run(s)` : 'the accepted calibration run';
  const how = opts.repeat === undefined
    ? `runs calibrated to last at least ${suite.targetSeconds / 2} s outside compilation, with a settled cost per call (${suite.runs > 0 ? 'the last calibration run is a warm-up' : 'no warm-up'}${suite.warmup ? `, then ${suite.warmup} more` : ''})`
    : `${opts.repeat} call(s) per run${suite.warmup ? `, ${suite.warmup} warm-up run(s)` : ', no warm-up'}`;
  const primed = suite.primeSeconds > 0 ? `after ${suite.primeSeconds} s of one-call runs warming the process up, ` : '';
  const where = suite.isolate ? 'each workload and strategy in a fresh process' : 'all in one process (figures skewed: cold code, shared V8 feedback)';
  process.stdout.write(`\nsuite ${opts.suiteName}: ${where}; ${primed}${timed}, each on a fresh machine; ${how}; native: median of ${suite.nativeSamples} batches; ${elapsed.toFixed(0)} s in all\n`);
  const load = (l: number[]): string => l.map((x) => x.toFixed(2)).join(' ');
  const base = TIME_BASE === 'thread-cpu'
    ? 'time is the running thread\'s CPU time, guest and native alike (other work on the host skews it far less than wall-clock time)'
    : 'time is wall-clock time (this host reports no per-thread CPU time: other work skews every figure)';
  process.stdout.write(`reference strategy: ${REFERENCE_STRATEGY.name}; host: ${cpus().length} CPUs, load average ${load(loadAtStart)} at the start, ${load(loadAtEnd)} at the end; ${base}\n\n${LEGEND}\n\n`);
  process.stdout.write(formatTable(results) + '\n\n');
  process.stdout.write(formatSummary(results, REFERENCE_STRATEGY.name) + '\n');
  if (opts.json) {
    const report: BenchReport = {
      results,
      meta: {
        suite: opts.suiteName,
        targetSeconds: suite.targetSeconds,
        isolated: suite.isolate,
        primeSeconds: suite.primeSeconds,
        warmupRuns: suite.warmup,
        timedRuns: suite.runs,
        referenceStrategy: REFERENCE_STRATEGY.name,
        timeBase: TIME_BASE,
        loadAverage: { start: loadAtStart, end: loadAtEnd },
        elapsedSeconds: elapsed,
        node: process.version,
        date: new Date().toISOString(),
      },
    };
    writeFileSync(opts.json, JSON.stringify(report, null, 2) + '\n');
    process.stdout.write(`\nwrote ${opts.json}\n`);
  }
  if (failures.length > 0) {
    process.stderr.write(`\nbench FAILED:\n${failures.map((f) => `  ${f}`).join('\n')}\n`);
    return 1;
  }
  return 0;
}

const hex = (v: number): string => `0x${(v >>> 0).toString(16).padStart(8, '0')}`;

// exit() rather than exitCode: a stray handle (a compile worker) must not keep the process alive.
process.exit(await main(process.argv.slice(2)));
