/**
 * One run of a nanobenchmark guest: in wasmvisor (a fresh machine of the
 * given tier and paging policy) or in qemu-system-i386 (TCG), with the
 * loop count and mode on the multiboot command line, and the guest's
 * report read back from the debug console and checked.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { createMachine, type RunResult } from '../../src/machine.js';
import { loadMultiboot } from '../../src/loaders/multiboot.js';
import { DebugCon, DebugConBuffer, DEBUGCON_PORT } from '../../runtime/devices/debugcon.js';
import { Port80, PORT80 } from '../../runtime/devices/port80.js';
import type { PagingCounters, PagingPolicyName } from '../../runtime/mmu.js';
import type { JitStats } from '../../runtime/jit/jit.js';
import { buildNanoGuest, nanoImageName, type NanoWorkload } from './workloads.js';

/** Guest RAM: the guests use the low 4 MiB and FEC00000h; 32 MiB as the system guests have. */
export const NANO_MEMORY_MIB = 32;
/** A P6 with the local APIC bit, PSE and SEP, for wasmvisor and QEMU alike. */
export const NANO_CPU = 'pentium3';
/** Instructions per loop iteration a run may take (the longest, pgfault's, is under 20) before it counts as hung. */
const INSTRUCTIONS_PER_ITERATION = 200;
/** Instructions for start-up, setup and the report. */
const FIXED_INSTRUCTIONS = 5_000_000;

export type LoopMode = 'op' | 'empty';

/** What the guest printed, parsed (see bench/nanobench/guests/nano.S). */
export interface NanoReport {
  readonly workload: string;
  readonly iterations: number;
  readonly mode: LoopMode;
  /** "info ..." lines of the workload's setup, without the "info ". */
  readonly info: readonly string[];
  /** Operations the guest counted. */
  readonly ops: number;
  /** "ok", or the failure text after "check FAILED: ". */
  readonly check: string;
}

/** The guest's command line after the image name. */
export function nanoCmdline(iterations: number, mode: LoopMode): string {
  return mode === 'empty' ? `n=${iterations} empty` : `n=${iterations}`;
}

/** Parse the debug-console text of a run; throws when it is not a complete report. */
export function parseNanoReport(text: string): NanoReport {
  const lines = text.split('\n').filter((l) => l !== '');
  const fail = (why: string): never => {
    throw new Error(`nanobenchmark report: ${why}; the guest printed:\n${text}`);
  };
  const name = /^nanobench (\S+)$/.exec(lines[0] ?? '')?.[1] ?? fail('no "nanobench NAME" line first');
  const head = /^n ([0-9a-f]{8}) op ([01])$/.exec(lines[1] ?? '') ?? fail('no "n COUNT op 0|1" line second');
  let i = 2;
  const info: string[] = [];
  while (lines[i]?.startsWith('info ')) info.push(lines[i++]!.slice(5));
  const ops = /^ops ([0-9a-f]{8})$/.exec(lines[i++] ?? '')?.[1] ?? fail('no "ops COUNT" line after the setup');
  const checkLine = lines[i++] ?? fail('no check line');
  const check = checkLine === 'check ok' ? 'ok' : checkLine.startsWith('check FAILED: ') ? checkLine.slice(14) : fail(`"${checkLine}" is no check line`);
  if (i !== lines.length) fail(`${lines.length - i} line(s) after the check line`);
  return { workload: name, iterations: parseInt(head[1]!, 16), mode: head[2] === '1' ? 'op' : 'empty', info, ops: parseInt(ops, 16), check };
}

/**
 * Throw unless `r` is the report of a correct run: the workload and count
 * asked for, every iteration's operation counted (none in the empty loop),
 * and the workload's own check passed.
 */
export function checkNanoReport(r: NanoReport, w: NanoWorkload, iterations: number, mode: LoopMode): void {
  const what = `${w.name}, ${mode} loop of ${iterations}`;
  if (r.workload !== w.name) throw new Error(`${what}: the guest says it is '${r.workload}'`);
  if (r.iterations !== iterations % 2 ** 32 || r.mode !== mode) throw new Error(`${what}: the guest ran a ${r.mode} loop of ${r.iterations}`);
  const expected = mode === 'op' ? iterations : 0;
  if (r.ops !== expected) throw new Error(`${what}: the guest counted ${r.ops} operations, expected ${expected}`);
  if (r.check !== 'ok') throw new Error(`${what}: the guest's check failed: ${r.check}`);
}

export interface WasmvisorNanoRun {
  readonly report: NanoReport;
  /**
   * Host CPU seconds (user + system) of this process during the run loop,
   * machine construction, loading and the JIT's compilation excluded: the
   * figure the harness uses (CPU time does not count the time other
   * processes had the CPU; compilation is a one-off cost that the op run
   * pays for more code than the empty run, and is reported apart).
   */
  readonly seconds: number;
  /** Wall-clock seconds of the same run loop, compilation excluded too. */
  readonly wallSeconds: number;
  /** Milliseconds the JIT spent compiling during the run (0 on the interpreter or with asynchronous compilation). */
  readonly compileMs: number;
  /** The JIT's counters for the run (null on the interpreter). */
  readonly jit: Readonly<JitStats> | null;
  readonly retired: number;
  /** VM exits of the run by reason name. */
  readonly exits: ReadonlyMap<string, number>;
  /** The paging policy's counters at the end of the run. */
  readonly paging: Readonly<PagingCounters> | null;
}

export interface WasmvisorRunOptions {
  readonly tier: string;
  readonly paging: PagingPolicyName;
}

/**
 * Run a workload in wasmvisor on a fresh machine. The POST port is given
 * a device (runtime/devices/port80.ts) unless the machine already has
 * one, so that `in` reads a port of a device the VMM owns.
 */
export async function runNanoWasmvisor(w: NanoWorkload, iterations: number, mode: LoopMode, options: WasmvisorRunOptions): Promise<WasmvisorNanoRun> {
  const image = new Uint8Array(readFileSync(buildNanoGuest(w)));
  const machine = createMachine({ memoryMiB: NANO_MEMORY_MIB, tier: options.tier, paging: options.paging, cpu: NANO_CPU });
  try {
    const out = new DebugConBuffer();
    machine.io.register(DEBUGCON_PORT, 1, new DebugCon(out.sink));
    claimPostPort(machine.io);
    loadMultiboot(machine, image, { cmdline: `${nanoImageName(w)} ${nanoCmdline(iterations, mode)}` }, nanoImageName(w));
    const limit = { maxInstructions: FIXED_INSTRUCTIONS + iterations * INSTRUCTIONS_PER_ITERATION };
    const cpuBefore = process.cpuUsage();
    const result = options.tier.endsWith('-async') ? await machine.runAsync(limit) : machine.run(limit);
    const cpu = process.cpuUsage(cpuBefore);
    const jit = machine.jit ? { ...machine.jit.stats } : null;
    // An asynchronous JIT compiles on a worker: not this thread's time.
    const compileMs = jit && !options.tier.endsWith('-async') ? jit.compileMs : 0;
    ensureCleanExit(result, `${w.name} (${mode}, n=${iterations}) under ${options.tier}/${options.paging}`, out.text());
    const report = parseNanoReport(out.text());
    checkNanoReport(report, w, iterations, mode);
    return {
      report,
      seconds: (cpu.user + cpu.system) / 1e6 - compileMs / 1000,
      wallSeconds: result.seconds - compileMs / 1000,
      compileMs,
      jit,
      retired: result.retired,
      exits: machine.exitCounts(),
      paging: machine.interpreter.mmu.countersOf(options.paging),
    };
  } finally {
    machine.close();
  }
}

function claimPostPort(io: { register(first: number, count: number, dev: Port80): void }): void {
  try {
    io.register(PORT80, 1, new Port80());
  } catch (e) {
    // The machine's own chipset claims it already: its device is the one to measure.
    if (!(e instanceof Error && e.message.includes('claimed twice'))) throw e;
  }
}

function ensureCleanExit(r: RunResult, what: string, output: string): void {
  const o = r.outcome;
  if (o.kind === 'debug-exit' && o.value >>> 1 === 0) return;
  throw new Error(`${what} did not end through isa-debug-exit with 0: ${r.message}; the guest printed:\n${output}`);
}

// --- QEMU ------------------------------------------------------------------------

export const QEMU = 'qemu-system-i386';
/** Seconds after which a QEMU run counts as hung. */
const QEMU_TIMEOUT_S = 120;

export interface QemuNanoRun {
  readonly report: NanoReport;
  /**
   * Wall-clock seconds of the whole QEMU process (start-up included: the
   * harness subtracts an empty run's). Wall-clock, not CPU time: Node does
   * not report a child's CPU time, so QEMU's figures include the time
   * other processes had the CPU.
   */
  readonly seconds: number;
}

/**
 * Run a workload in QEMU (TCG) with the flags the system tests use:
 * multiboot loader, debugcon to a file, isa-debug-exit at F4h, no reboot.
 * QEMU exits with (v << 1) | 1 for a debug-exit write of v.
 */
export async function runNanoQemu(w: NanoWorkload, iterations: number, mode: LoopMode): Promise<QemuNanoRun> {
  const path = buildNanoGuest(w);
  const work = mkdtempSync(join(tmpdir(), 'wasmvisor-nano-'));
  const out = join(work, 'debugcon.txt');
  const args = [
    '-kernel', basename(path), '-append', nanoCmdline(iterations, mode),
    '-m', String(NANO_MEMORY_MIB), '-cpu', NANO_CPU,
    '-nographic', '-no-reboot', '-nic', 'none', '-monitor', 'none', '-serial', 'none',
    '-device', 'isa-debug-exit,iobase=0xf4,iosize=0x04', '-debugcon', `file:${out}`,
  ];
  const started = performance.now();
  let status: number | string | undefined;
  try {
    await promisify(execFile)(QEMU, args, { cwd: dirname(path), timeout: QEMU_TIMEOUT_S * 1000, killSignal: 'SIGKILL' });
    status = 0;
  } catch (e) {
    const err = e as { code?: number | string; killed?: boolean };
    status = err.killed ? `no exit after ${QEMU_TIMEOUT_S} s` : err.code;
  }
  const seconds = (performance.now() - started) / 1000;
  const text = existsSync(out) ? readFileSync(out, 'latin1') : '';
  rmSync(work, { recursive: true, force: true });
  if (status !== 1) throw new Error(`QEMU ran ${w.name} (${mode}, n=${iterations}) and ended with status ${String(status)}, not debug-exit 0; the guest printed:\n${text}`);
  const report = parseNanoReport(text);
  checkNanoReport(report, w, iterations, mode);
  return { report, seconds };
}
