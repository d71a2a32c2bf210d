/**
 * Bench results: the JSON record (one row per workload and strategy) and
 * the table printed for people.
 */

export interface BenchResult {
  workload: string;
  strategy: string;
  /** Guest instructions retired per second of guest run time, in millions. */
  mips: number;
  /** Native MIPS / guest MIPS: how many times slower than the host CPU running the same code. */
  ratioToNative: number;
  /** Reference strategy's MIPS / this strategy's MIPS (1 for the reference; below 1 is faster). */
  ratioToReference: number;
  /** Median guest seconds of one run. */
  seconds: number;
  /** Instructions retired by one guest run (REP iterations count one each, as the tiers retire them). */
  instructions: number;
  /** Median native seconds of one workload_main call. */
  nativeSeconds: number;
}

export interface BenchReport {
  results: BenchResult[];
  meta: {
    suite: string;
    warmupRuns: number;
    timedRuns: number;
    node: string;
    date: string;
  };
}

function fmt(x: number, digits: number): string {
  return x.toFixed(digits);
}

/** A plain-text table; columns right-aligned except the names. */
export function formatTable(results: readonly BenchResult[]): string {
  const header = ['workload', 'strategy', 'instructions', 'guest s', 'guest MIPS', 'native s', 'native MIPS', '×native (slower)', '×reference'];
  const rows = results.map((r) => [
    r.workload,
    r.strategy,
    String(r.instructions),
    fmt(r.seconds, 3),
    fmt(r.mips, 2),
    r.nativeSeconds.toExponential(2),
    fmt(r.instructions / r.nativeSeconds / 1e6, 0),
    fmt(r.ratioToNative, 0),
    fmt(r.ratioToReference, 2),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}
