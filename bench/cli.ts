/**
 * `npm run bench -- [--suite S] [--strategy NAME] [--runs N] [--json FILE]`
 *
 * Runs each workload of the suite natively and under each strategy,
 * checks that every run returns the native checksum (and fails loudly if
 * not), and prints guest MIPS, native MIPS and the ratios.
 */
import { writeFileSync } from 'node:fs';
import { buildWorkloadGuest, WORKLOADS, type Workload } from './workloads.js';
import { runNative } from './native.js';
import { timeGuest } from './guest.js';
import { REFERENCE_STRATEGY, STRATEGIES, type Strategy } from './strategies.js';
import { formatTable, type BenchReport, type BenchResult } from './report.js';

interface Suite {
  readonly workloads: readonly Workload[];
  readonly warmup: number;
  readonly runs: number;
  /** Native: minimum seconds per batch, and batches. */
  readonly nativeBatch: number;
  readonly nativeSamples: number;
}

const SUITES: Readonly<Record<string, Suite>> = {
  default: { workloads: WORKLOADS, warmup: 1, runs: 5, nativeBatch: 0.05, nativeSamples: 11 },
  quick: { workloads: WORKLOADS, warmup: 0, runs: 1, nativeBatch: 0.01, nativeSamples: 3 },
};

const USAGE = `usage: npm run bench -- [options]

  --suite S         default (every workload, 1 warm-up + 5 timed runs), quick
                    (every workload, one run: a smoke test), or a workload name
                    (${WORKLOADS.map((w) => w.name).join(', ')}) with the default settings
  --strategy LIST   comma-separated strategies (${STRATEGIES.map((s) => s.name).join(', ')}); default: all
  --runs N          timed guest runs per workload (median reported)
  --json FILE       also write the results as JSON
  -h, --help        this text
`;

class UsageError extends Error {}

interface Options {
  suiteName: string;
  suite: Suite;
  strategies: Strategy[];
  json?: string;
}

function parse(argv: readonly string[]): Options | null {
  let suiteName = 'default';
  let runs: number | undefined;
  let json: string | undefined;
  let strategies = [...STRATEGIES];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) throw new UsageError(`${arg} needs a value`);
      return v;
    };
    switch (arg) {
      case '-h': case '--help': return null;
      case '--suite': suiteName = value(); break;
      case '--json': json = value(); break;
      case '--runs': {
        const v = value();
        runs = Number(v);
        if (!Number.isInteger(runs) || runs < 1) throw new UsageError(`--runs needs a positive whole number, got '${v}'`);
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
  // Ratios to the reference need the reference measured in the same run.
  if (!strategies.includes(REFERENCE_STRATEGY)) strategies.unshift(REFERENCE_STRATEGY);
  return { suiteName, suite, strategies, json };
}

function main(argv: readonly string[]): number {
  let opts: Options | null;
  try {
    opts = parse(argv);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`bench: ${e.message}\n${USAGE}`);
    return 2;
  }
  if (!opts) {
    process.stdout.write(USAGE);
    return 0;
  }
  const { suite } = opts;
  const results: BenchResult[] = [];
  const failures: string[] = [];
  for (const w of suite.workloads) {
    const native = runNative(w.name, suite.nativeBatch, suite.nativeSamples);
    const image = buildWorkloadGuest(w.name);
    let referenceMips = NaN;
    for (const strategy of opts.strategies) {
      process.stderr.write(`${w.name} / ${strategy.name} ...`);
      const g = timeGuest(image, w.name, strategy, suite.warmup, suite.runs);
      if (g.checksum !== native.checksum) {
        const msg = `CHECKSUM MISMATCH: ${w.name} under ${strategy.name} returned ${hex(g.checksum)}, native returned ${hex(native.checksum)}`;
        process.stderr.write(` ${msg}\n`);
        failures.push(msg);
        continue;
      }
      const mips = g.instructions / g.seconds / 1e6;
      if (strategy === REFERENCE_STRATEGY) referenceMips = mips;
      const nativeMips = g.instructions / native.seconds / 1e6;
      results.push({
        workload: w.name,
        strategy: strategy.name,
        mips,
        ratioToNative: nativeMips / mips,
        ratioToReference: referenceMips / mips,
        seconds: g.seconds,
        instructions: g.instructions,
        nativeSeconds: native.seconds,
      });
      process.stderr.write(` ${mips.toFixed(2)} MIPS (runs: ${g.runs.map((s) => s.toFixed(3)).join(', ')} s)\n`);
    }
  }

  process.stdout.write(`\nsuite ${opts.suiteName}: median of ${suite.runs} guest run(s) after ${suite.warmup} warm-up; native: median of ${suite.nativeSamples} batches\n`);
  process.stdout.write('×native = native MIPS / guest MIPS (times slower than the host CPU); ×reference = reference MIPS / this MIPS\n\n');
  process.stdout.write(formatTable(results) + '\n');
  if (opts.json) {
    const report: BenchReport = {
      results,
      meta: { suite: opts.suiteName, warmupRuns: suite.warmup, timedRuns: suite.runs, node: process.version, date: new Date().toISOString() },
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

process.exitCode = main(process.argv.slice(2));
