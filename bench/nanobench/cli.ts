/**
 * `npm run bench -- --suite nanobench [options]` (bench/cli.ts hands its
 * arguments over), or directly:
 *
 *   node scripts/run.mjs bench/nanobench/cli.ts [--quick] [--json FILE] [--strategy trap,inline]
 *       [--paging nested,shadow] [--workload syscall,...] [--tier T] [--runs N] [--target S] [--qemu]
 *
 * Prints the table of bench/nanobench/harness.ts; exits 1 if a row failed.
 */
import { fileURLToPath } from 'node:url';
import { loadavg } from 'node:os';
import { PAGING_POLICY_NAMES, type PagingPolicyName } from '../../runtime/mmu.js';
import { TIERS } from '../../src/machine.js';
import { DEFAULT_TIER, formatNanobenchTable, runNanobench, type NanobenchOptions } from './harness.js';
import { SENSITIVE_STRATEGY_NAMES, type SensitiveStrategyName } from './strategies.js';
import { NANO_WORKLOAD_NAMES, type NanoWorkloadName } from './workloads.js';
import { optionValue, parseCommandLine, UsageError } from '../usage.js';
// binaryen.js before anything runs: the strategies this tool may run build modules with it.
import '../../translator/emit/binaryen-ready.js';

export const NANOBENCH_USAGE = `usage: npm run bench -- --suite nanobench [options]

  --quick            shorter runs (0.2 s of operations) and 3 pairs: noisier figures
  --json FILE        also write the rows as JSON
  --strategy LIST    sensitive-instruction strategies (${SENSITIVE_STRATEGY_NAMES.join(', ')}); default: all that exist
  --paging LIST      paging policies (${PAGING_POLICY_NAMES.join(', ')}); default: all
  --workload LIST    workloads (${NANO_WORKLOAD_NAMES.join(', ')}); default: all
  --tier T           the JIT tier whose flavour each strategy runs (default ${DEFAULT_TIER})
  --runs N           timed (empty, op) pairs per row (default 5, --quick 3)
  --target S         seconds of operations an op run should add to the empty run
                     (default 1, --quick 0.2)
  --qemu             add a QEMU TCG row per workload, measured the same way
  -h, --help         this text
`;


function list<T extends string>(value: string, known: readonly T[], what: string): T[] {
  return value.split(',').map((v) => {
    if (!(known as readonly string[]).includes(v)) throw new UsageError(`unknown ${what} '${v}' (known: ${known.join(', ')})`);
    return v as T;
  });
}

/** Parse the nanobench options; null for --help. */
export function parseNanobenchArgs(argv: readonly string[]): NanobenchOptions | null {
  const options: NanobenchOptions = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = (): string => optionValue(argv, ++i, arg);
    switch (arg) {
      case '-h': case '--help': return null;
      case '--quick': options.quick = true; break;
      case '--qemu': options.qemu = true; break;
      case '--json': options.json = value(); break;
      case '--strategy': options.strategies = list<SensitiveStrategyName>(value(), SENSITIVE_STRATEGY_NAMES, 'strategy'); break;
      case '--paging': options.paging = list<PagingPolicyName>(value(), PAGING_POLICY_NAMES, 'paging policy'); break;
      case '--workload': options.workloads = list<NanoWorkloadName>(value(), NANO_WORKLOAD_NAMES, 'workload'); break;
      case '--tier': {
        const t = value();
        if (t === 'interpreter' || !TIERS.includes(t)) throw new UsageError(`--tier needs a JIT tier (${TIERS.filter((x) => x !== 'interpreter').join(', ')}), got '${t}'`);
        options.tier = t;
        break;
      }
      case '--runs': {
        const v = value();
        const n = Number(v);
        if (!Number.isInteger(n) || n < 1 || n > 100) throw new UsageError(`--runs needs a whole number from 1 to 100, got '${v}'`);
        options.runs = n;
        break;
      }
      case '--target': {
        const v = value();
        const s = Number(v);
        if (!(s > 0 && s <= 60)) throw new UsageError(`--target needs seconds above 0 (at most 60), got '${v}'`);
        options.targetSeconds = s;
        break;
      }
      default: throw new UsageError(`unknown argument '${arg}'`);
    }
  }
  return options;
}

/** The nanobench suite's command line; returns the exit status. */
export async function nanobenchMain(argv: readonly string[]): Promise<number> {
  const options = parseCommandLine(parseNanobenchArgs, argv, NANOBENCH_USAGE);
  if (typeof options === 'number') return options;
  const load = loadavg().map((x) => x.toFixed(2)).join(' ');
  const rows = await runNanobench(options);
  process.stdout.write(`\nsuite nanobench${options.quick ? ' (quick)' : ''}: tier ${options.tier ?? DEFAULT_TIER}; load average ${load} at the start (other work skews every figure)\n\n`);
  process.stdout.write(formatNanobenchTable(rows) + '\n');
  if (options.json) process.stdout.write(`\nwrote ${options.json}\n`);
  return rows.some((r) => r.error !== undefined) ? 1 : 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  // exit() rather than exitCode: a stray handle (a compile worker) must not keep the process alive.
  nanobenchMain(process.argv.slice(2)).then((s) => process.exit(s), (e: unknown) => { console.error(e); process.exit(1); });
}
