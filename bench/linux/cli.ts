/**
 * `npm run bench -- --suite linux [options]` (bench/cli.ts hands its
 * arguments over), or directly:
 *
 *   node scripts/run.mjs bench/linux/cli.ts [--quick] [--runs N] [--engine wasmvisor,qemu,v86]
 *       [--strategy LIST] [--json FILE] [--timeout S] [--flavour 686|686-pae] [-m MIB] [--seabios DIR]
 *
 * Boots Debian's i686 Linux to its shell in wasmvisor, QEMU TCG and v86
 * side by side, runs a fixed busybox workload in each and natively, and
 * prints the table of bench/linux/report.ts. Exits 1 if an engine that
 * should run failed or printed a wrong result.
 */
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { LINUX_FLAVOURS, type LinuxFlavour } from '../../guests/linux/paths.js';
import { JIT_STRATEGIES } from '../../runtime/jit/strategies.js';
import { GUEST_ENGINES, SEABIOS_DIR, type GuestEngineKind } from './engines.js';
import { runLinuxBench, type LinuxBenchOptions } from './bench.js';
import { formatLinuxTable, LINUX_LEGEND, LINUX_TARGETS } from './report.js';
import { optionValue, parseCommandLine, UsageError } from '../usage.js';

const STRATEGY_NAMES = ['interpreter', ...Object.keys(JIT_STRATEGIES)];
const DEFAULT_STRATEGY = 'jit-inline';
const DEFAULT_RUNS = 3;
const DEFAULT_NATIVE_RUNS = 5;

export const LINUX_USAGE = `usage: npm run bench -- --suite linux [options]

Boots Debian's i686 kernel and the project's initramfs (npm run guest:linux)
in wasmvisor, QEMU TCG and v86 with the same command line and RAM, times
the boot to /init's ready banner and a fixed busybox workload (integer,
memory and floating-point phases, timed between marker lines on the
console), runs the same workload natively with the guest's own busybox,
and prints each engine's times, ratios and the targets (boot faster than
QEMU TCG; workload within ${LINUX_TARGETS.workloadRatioToNative}x native).

  --runs N          boots per engine (medians reported; default ${DEFAULT_RUNS})
  --quick           a quarter-size workload and 1 run (a smoke test)
  --engine LIST     guest engines (${GUEST_ENGINES.join(', ')}); default: all
  --strategy LIST   wasmvisor's execution strategies, a row each (${STRATEGY_NAMES.join(', ')}); default ${DEFAULT_STRATEGY}
  --json FILE       also write the rows as JSON
  --timeout S       seconds one boot and workload may take before it is killed (default 600)
  --flavour F       the kernel: ${LINUX_FLAVOURS.join(' or ')} (default 686)
  -m MIB            guest RAM in MiB (default 256)
  --seabios DIR     where Debian's seabios package put bios.bin and vgabios-stdvga.bin (for v86; default ${SEABIOS_DIR})
  -h, --help        this text
`;


export interface LinuxCliOptions extends Omit<LinuxBenchOptions, 'log'> {
  json?: string;
}

function list<T extends string>(value: string, known: readonly T[], what: string): T[] {
  return value.split(',').map((v) => {
    if (!(known as readonly string[]).includes(v)) throw new UsageError(`unknown ${what} '${v}' (known: ${known.join(', ')})`);
    return v as T;
  });
}

/** Parse the Linux bench's options; null for --help. */
export function parseLinuxArgs(argv: readonly string[]): LinuxCliOptions | null {
  let runs: number | undefined;
  let quick = false;
  const o: LinuxCliOptions = {
    engines: [...GUEST_ENGINES], strategies: [DEFAULT_STRATEGY], runs: DEFAULT_RUNS, nativeRuns: DEFAULT_NATIVE_RUNS, size: 'full',
    timeoutSeconds: 600, memoryMiB: 256, flavour: '686', seabiosDir: SEABIOS_DIR,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = (): string => optionValue(argv, ++i, arg);
    const whole = (min: number, max: number): number => {
      const v = value();
      const n = Number(v);
      if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`${arg} needs a whole number from ${min} to ${max}, got '${v}'`);
      return n;
    };
    switch (arg) {
      case '-h': case '--help': return null;
      case '--runs': runs = whole(1, 100); break;
      case '--quick': quick = true; break;
      case '--engine': o.engines = list<GuestEngineKind>(value(), GUEST_ENGINES, 'engine'); break;
      case '--strategy': o.strategies = list(value(), STRATEGY_NAMES, 'strategy'); break;
      case '--json': o.json = value(); break;
      case '--timeout': o.timeoutSeconds = whole(1, 7200); break;
      case '--flavour': o.flavour = list<LinuxFlavour>(value(), LINUX_FLAVOURS, 'flavour')[0]!; break;
      case '-m': o.memoryMiB = whole(64, 3072); break;
      case '--seabios': o.seabiosDir = value(); break;
      default: throw new UsageError(`unknown argument '${arg}'`);
    }
  }
  if (quick) {
    o.size = 'quick';
    o.runs = 1;
    o.nativeRuns = 3;
  }
  if (runs !== undefined) o.runs = runs;
  return o;
}

export async function linuxBenchMain(argv: readonly string[]): Promise<number> {
  const opts = parseCommandLine(parseLinuxArgs, argv, LINUX_USAGE);
  if (typeof opts === 'number') return opts;
  const started = performance.now();
  const loadAtStart = loadavg();
  let result;
  try {
    result = await runLinuxBench({ ...opts, log: (line) => process.stderr.write(`linux: ${line}\n`) });
  } catch (e) {
    process.stderr.write(`bench: ${(e as Error).message}\n`);
    return 1;
  }
  const elapsed = (performance.now() - started) / 1000;
  const loadAtEnd = loadavg();
  const load = (l: number[]): string => l.map((x) => x.toFixed(2)).join(' ');
  const { rows, phases, failures } = result;
  process.stdout.write(`\nsuite linux: ${opts.size} workload, ${opts.runs} boot(s) per engine, ${opts.nativeRuns} native run(s); kernel ${opts.flavour}, ${opts.memoryMiB} MiB; ` +
    `${elapsed.toFixed(0)} s in all; host: ${cpus().length} CPUs, load average ${load(loadAtStart)} at the start, ${load(loadAtEnd)} at the end; all times wall-clock\n`);
  for (const p of phases) process.stdout.write(`  ${p.name}: ${p.what}\n`);
  const versions = rows.filter((r) => r.version).map((r) => `${r.engine}: ${r.version}`);
  if (versions.length) process.stdout.write(`  ${versions.join('; ')}\n`);
  process.stdout.write(`\n${LINUX_LEGEND}\n\n${formatLinuxTable(rows, phases.map((p) => p.name))}\n`);
  if (opts.json) {
    const meta = {
      suite: 'linux', size: opts.size, runs: opts.runs, nativeRuns: opts.nativeRuns, flavour: opts.flavour, memoryMiB: opts.memoryMiB,
      cmdline: result.cmdline, phases, targets: LINUX_TARGETS, timeBase: 'wall-clock', loadAverage: { start: loadAtStart, end: loadAtEnd },
      elapsedSeconds: elapsed, node: process.version, date: new Date().toISOString(),
    };
    writeFileSync(opts.json, JSON.stringify({ rows, meta }, null, 2) + '\n');
    process.stdout.write(`\nwrote ${opts.json}\n`);
  }
  if (failures.length > 0) {
    process.stderr.write(`\nbench FAILED:\n${failures.map((f) => `  ${f}`).join('\n')}\n`);
    return 1;
  }
  return 0;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) process.exit(await linuxBenchMain(process.argv.slice(2)));
