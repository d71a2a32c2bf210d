/**
 * The Linux bench's results: one row per engine (wasmvisor once per
 * strategy), the ratios measured in the same run (boot time against QEMU
 * TCG's, workload time against the native run's), the targets
 * (boot faster than QEMU TCG; the workload within 3x of native) and the
 * table printed for people.
 */
import type { EngineKind } from './engines.js';
import type { PhaseName } from './workload.js';

/** The targets. */
export const LINUX_TARGETS = { bootRatioToQemu: 1, workloadRatioToNative: 3 } as const;

/** One timed run of one engine. */
export interface LinuxRunSample {
  /** Null for the native run, which boots nothing. */
  bootSeconds: number | null;
  workloadSeconds: number;
  phaseSeconds: Partial<Record<PhaseName, number>>;
}

export interface LinuxBenchRow {
  engine: string;
  kind: EngineKind;
  strategy?: string;
  /** ok: measured; unavailable: not installed or cannot run here (reason); failed: it ran and broke (reason). */
  status: 'ok' | 'unavailable' | 'failed';
  reason?: string;
  /** Medians over the successful runs; null when there is none (or, for boot, for the native run). */
  bootSeconds: number | null;
  workloadSeconds: number | null;
  phaseSeconds: Partial<Record<PhaseName, number>>;
  /** bootSeconds / QEMU's; below 1 is faster. Null without both figures. */
  bootRatioToQemu: number | null;
  /** workloadSeconds / native's. Null without both figures. */
  workloadRatioToNative: number | null;
  /** Boot faster than QEMU TCG (null: no figure, or the QEMU row itself). */
  bootTargetMet: boolean | null;
  /** Workload within 3x of native (null: no figure, or the native row itself). */
  workloadTargetMet: boolean | null;
  /** The workload printed what the native run printed (null: not compared). */
  outputMatchesNative: boolean | null;
  /** Every successful run, in order. */
  runs: LinuxRunSample[];
  version?: string;
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Medians of the samples' figures (boot null when the samples have none). */
export function summarise(runs: readonly LinuxRunSample[]): Pick<LinuxBenchRow, 'bootSeconds' | 'workloadSeconds' | 'phaseSeconds'> {
  if (runs.length === 0) return { bootSeconds: null, workloadSeconds: null, phaseSeconds: {} };
  const boots = runs.map((r) => r.bootSeconds).filter((b): b is number => b !== null);
  const phaseSeconds: Partial<Record<PhaseName, number>> = {};
  for (const p of Object.keys(runs[0]!.phaseSeconds) as PhaseName[]) phaseSeconds[p] = median(runs.map((r) => r.phaseSeconds[p] ?? NaN));
  return { bootSeconds: boots.length ? median(boots) : null, workloadSeconds: median(runs.map((r) => r.workloadSeconds)), phaseSeconds };
}

/** The rows with their ratios and targets filled in from the QEMU and native rows among them. */
export function withRatios(rows: readonly LinuxBenchRow[]): LinuxBenchRow[] {
  const qemuBoot = rows.find((r) => r.kind === 'qemu' && r.bootSeconds !== null)?.bootSeconds ?? null;
  const nativeWork = rows.find((r) => r.kind === 'native' && r.workloadSeconds !== null)?.workloadSeconds ?? null;
  return rows.map((r) => {
    const bootRatioToQemu = r.bootSeconds !== null && qemuBoot !== null ? r.bootSeconds / qemuBoot : null;
    const workloadRatioToNative = r.workloadSeconds !== null && nativeWork !== null ? r.workloadSeconds / nativeWork : null;
    return {
      ...r,
      bootRatioToQemu,
      workloadRatioToNative,
      bootTargetMet: r.kind === 'qemu' || bootRatioToQemu === null ? null : bootRatioToQemu < LINUX_TARGETS.bootRatioToQemu,
      workloadTargetMet: r.kind === 'native' || workloadRatioToNative === null ? null : workloadRatioToNative <= LINUX_TARGETS.workloadRatioToNative,
    };
  });
}

/** Whether two workload outputs agree (line for line). */
export function sameOutput(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((line, i) => line.trim() === b[i]!.trim());
}

const secs = (x: number | null | undefined, digits = 2): string => (x === null || x === undefined || Number.isNaN(x) ? '-' : x.toFixed(digits));
const times = (x: number | null): string => (x === null ? '-' : `${x.toFixed(2)}x`);
const met = (x: boolean | null): string => (x === null ? '-' : x ? 'met' : 'not met');

export const LINUX_LEGEND = `\
boot s: wall-clock seconds from starting the engine's process to the guest's ready banner (printed by /init once its modules are loaded, where the shell would start)
workload s: seconds between the workload's first and last marker lines on the console (int, mem, fp: each phase's share); native: the same script run on the host by the guest's own i386 busybox
boot xQEMU: boot s / QEMU TCG's (target: below 1); workload xnative: workload s / native's (target: at most ${LINUX_TARGETS.workloadRatioToNative}); medians over the runs`;

/** The table for people. */
export function formatLinuxTable(rows: readonly LinuxBenchRow[], phases: readonly PhaseName[]): string {
  const header = ['engine', 'boot s', 'workload s', ...phases.map((p) => `${p} s`), 'boot xQEMU', 'workload xnative', 'boot < QEMU', `workload <= ${LINUX_TARGETS.workloadRatioToNative}x native`, 'note'];
  const body = rows.map((r) => {
    const note = r.status === 'ok' ? (r.outputMatchesNative === false ? 'OUTPUT DIFFERS FROM NATIVE' : '') : `${r.status === 'unavailable' ? 'not run' : 'FAILED'}: ${r.reason ?? ''}`;
    return [
      r.engine,
      r.kind === 'native' ? '-' : secs(r.bootSeconds),
      secs(r.workloadSeconds),
      ...phases.map((p) => secs(r.phaseSeconds[p])),
      times(r.bootRatioToQemu),
      times(r.workloadRatioToNative),
      met(r.bootTargetMet),
      met(r.workloadTargetMet),
      note,
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => (i === 0 || i === cells.length - 1 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  return [line(header), ...body.map(line)].join('\n');
}
