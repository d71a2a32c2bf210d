/**
 * The Linux bench's driver: the native baseline first, then rounds in
 * which every available engine boots the guest once and runs the
 * workload (round after round rather than engine after engine, so a slow
 * spell on the shared host spreads over all of them), then medians,
 * ratios and targets (bench/linux/report.ts).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { EXIT_STATUS_PREFIX, READY_BANNER } from '../../guests/linux/initramfs.js';
import { initramfsName, LINUX_GUEST_CACHE, vmlinuzName, type LinuxFlavour } from '../../guests/linux/paths.js';
import { ConsoleError, readConsole, type ConsoleTimes, type TimedLine } from './console.js';
import {
  engineLabel, engineUnavailable, engineVersion, guestCommand, nativeCommand, SEABIOS_BIOS, SEABIOS_VGA_BIOS,
  type Engine, type GuestEngineKind, type GuestSetup,
} from './engines.js';
import { prepareNativeBusybox } from './native.js';
import { summarise, sameOutput, withRatios, type LinuxBenchRow, type LinuxRunSample } from './report.js';
import { runProcess, type ProcessRun } from './run.js';
import { kernelCommandLine, workloadPhases, workloadScript, type Phase, type WorkloadSize } from './workload.js';

export interface LinuxBenchOptions {
  engines: readonly GuestEngineKind[];
  /** wasmvisor's strategies: a row each. */
  strategies: readonly string[];
  runs: number;
  /** Native runs (cheap; more of them steady the baseline). */
  nativeRuns: number;
  size: WorkloadSize;
  timeoutSeconds: number;
  memoryMiB: number;
  flavour: LinuxFlavour;
  seabiosDir: string;
  /** Progress for people (stderr). */
  log: (line: string) => void;
}

export interface LinuxBenchResult {
  rows: LinuxBenchRow[];
  phases: Phase[];
  cmdline: string;
  /** Lines naming what went wrong (failed runs, wrong output): the bench exits 1 when there is any. */
  failures: string[];
}

/** The guest printed everything the bench needs, or never will (the line after the workload, or a panic): end the process. */
const guestDone = (line: TimedLine): boolean => line.text.startsWith(EXIT_STATUS_PREFIX) || line.text.includes('Kernel panic - not syncing');

/** A run's times, or the reason it gave none. */
function timesOf(run: ProcessRun, phases: readonly Phase[], banner: string | undefined, timeoutSeconds: number): ConsoleTimes | string {
  try {
    return readConsole(run.lines, phases.map((p) => p.name), banner);
  } catch (e) {
    if (!(e instanceof ConsoleError)) throw e;
    const why = run.timedOut ? `timed out after ${timeoutSeconds} s` : run.stoppedByBench ? 'stopped' : `exited with ${run.signal ?? `status ${run.status}`}`;
    const err = run.stderr.trim().split('\n').slice(-2).join(' / ');
    const tail = run.lines.slice(-1).map((l) => l.text).join('');
    return `${e.message}; ${why}${err ? `; stderr: ${err}` : ''}${tail ? `; last console line: ${tail.slice(0, 120)}` : ''}`;
  }
}

const sample = (t: ConsoleTimes): LinuxRunSample => ({ bootSeconds: t.bootSeconds, workloadSeconds: t.workloadSeconds, phaseSeconds: t.phaseSeconds });

function emptyRow(engine: Engine, status: LinuxBenchRow['status'], reason?: string): LinuxBenchRow {
  return {
    engine: engine.label, kind: engine.kind, ...(engine.strategy ? { strategy: engine.strategy } : {}), status, ...(reason ? { reason } : {}),
    bootSeconds: null, workloadSeconds: null, phaseSeconds: {}, bootRatioToQemu: null, workloadRatioToNative: null,
    bootTargetMet: null, workloadTargetMet: null, outputMatchesNative: null, runs: [],
  };
}

const fmt = (t: ConsoleTimes): string => `${t.bootSeconds === null ? '' : `boot ${t.bootSeconds.toFixed(2)} s, `}workload ${t.workloadSeconds.toFixed(3)} s`;

export async function runLinuxBench(opts: LinuxBenchOptions): Promise<LinuxBenchResult> {
  const kernel = join(LINUX_GUEST_CACHE, vmlinuzName(opts.flavour));
  const initrd = join(LINUX_GUEST_CACHE, initramfsName(opts.flavour));
  for (const f of [kernel, initrd]) if (!existsSync(f)) throw new Error(`${f} is missing: build the Linux guest first (npm run guest:linux)`);
  const phases = workloadPhases(opts.size);
  const script = workloadScript(phases);
  const cmdline = kernelCommandLine(script);
  const failures: string[] = [];

  // The native baseline, with the guest's own busybox.
  const native: Engine = { kind: 'native', label: engineLabel('native') };
  let nativeRow: LinuxBenchRow;
  let nativeOutput: string[] | null = null;
  try {
    const bb = prepareNativeBusybox(initrd);
    try {
      const runs: LinuxRunSample[] = [];
      for (let i = 0; i < opts.nativeRuns; i++) {
        const run = await runProcess(nativeCommand(bb.sh, bb.bin, bb.work, script), { timeoutSeconds: opts.timeoutSeconds, done: () => false });
        const t = timesOf(run, phases, undefined, opts.timeoutSeconds);
        if (typeof t === 'string') throw new Error(t);
        if (nativeOutput === null) nativeOutput = t.output;
        runs.push(sample(t));
      }
      nativeRow = { ...emptyRow(native, 'ok'), ...summarise(runs), runs };
      opts.log(`native: workload ${nativeRow.workloadSeconds!.toFixed(3)} s (median of ${runs.length}); output ${JSON.stringify(nativeOutput)}`);
    } finally {
      bb.dispose();
    }
  } catch (e) {
    nativeRow = emptyRow(native, 'unavailable', `the host cannot run the guest's i386 busybox: ${(e as Error).message}`);
    opts.log(`native: ${nativeRow.reason}`);
  }

  const setup: GuestSetup = {
    kernel, initrd, cmdline, memoryMiB: opts.memoryMiB,
    bios: join(opts.seabiosDir, SEABIOS_BIOS), vgaBios: join(opts.seabiosDir, SEABIOS_VGA_BIOS),
  };
  const engines: Engine[] = opts.engines.flatMap((kind): Engine[] => kind === 'wasmvisor'
    ? opts.strategies.map((s) => ({ kind, strategy: s, label: engineLabel(kind, s) }))
    : [{ kind, label: engineLabel(kind) }]);
  const state = new Map<Engine, { runs: LinuxRunSample[]; errors: string[]; outputs: string[][]; unavailable: string | null; version: string | null }>();
  for (const e of engines) {
    const kind = e.kind as GuestEngineKind;
    const unavailable = engineUnavailable(kind, setup);
    state.set(e, { runs: [], errors: [], outputs: [], unavailable, version: unavailable ? null : engineVersion(kind) });
    if (unavailable) opts.log(`${e.label}: not run: ${unavailable}`);
  }

  for (let round = 1; round <= opts.runs; round++) {
    for (const e of engines) {
      const s = state.get(e)!;
      if (s.unavailable) continue;
      opts.log(`${e.label}: run ${round}/${opts.runs} ...`);
      let t: ConsoleTimes | string;
      try {
        const run = await runProcess(guestCommand(e, setup), { timeoutSeconds: opts.timeoutSeconds, done: guestDone });
        t = timesOf(run, phases, READY_BANNER, opts.timeoutSeconds);
      } catch (err) {
        t = `cannot start: ${(err as Error).message}`;
      }
      if (typeof t === 'string') {
        s.errors.push(t);
        opts.log(`${e.label}: run ${round} FAILED: ${t}`);
        continue;
      }
      s.runs.push(sample(t));
      s.outputs.push(t.output);
      opts.log(`${e.label}: run ${round}: ${fmt(t)}`);
    }
  }

  const rows: LinuxBenchRow[] = [nativeRow];
  for (const e of engines) {
    const s = state.get(e)!;
    if (s.unavailable) {
      rows.push(emptyRow(e, 'unavailable', s.unavailable));
      continue;
    }
    const row: LinuxBenchRow = {
      ...emptyRow(e, s.runs.length > 0 && s.errors.length === 0 ? 'ok' : 'failed', s.errors.length ? `${s.errors.length} of ${opts.runs} run(s) failed: ${s.errors[0]}` : undefined),
      ...summarise(s.runs),
      runs: s.runs,
      ...(s.version ? { version: s.version } : {}),
    };
    if (nativeOutput !== null && s.outputs.length > 0) {
      row.outputMatchesNative = s.outputs.every((o) => sameOutput(o, nativeOutput!));
      if (!row.outputMatchesNative) failures.push(`${e.label}: the workload printed ${JSON.stringify(s.outputs.find((o) => !sameOutput(o, nativeOutput!)))}, natively ${JSON.stringify(nativeOutput)}`);
    }
    if (row.status === 'failed') failures.push(`${e.label}: ${row.reason}`);
    rows.push(row);
  }
  return { rows: withRatios(rows), phases, cmdline, failures };
}
