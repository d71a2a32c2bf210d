/**
 * Runs the bare-metal system test guests of test/system/guests/: builds
 * each (lib.S + NAME.S, linked by link.ld into a multiboot ELF, or a flat
 * a.out-kludge image) into guests/build/system/, runs it in wasmvisor (any
 * tier, either paging policy) or in qemu-system-i386, and turns the run
 * into a transcript: the guest's debug-console lines followed by one line
 * saying how the run ended ("== exit 0", "== shutdown", ...). Transcripts
 * are what the tests compare, with each other and with NAME.expected.
 *
 *   node scripts/run.mjs test/system/runner.ts [--qemu] [--tier T] [--paging P] [--update] [NAME...]
 *
 * prints the transcripts (wasmvisor's by default, QEMU's with --qemu);
 * --update writes NAME.expected from QEMU's transcript with the reviewed
 * differences of QEMU_DIFFERENCES (catalog.ts) applied (see README.md).
 */
import { execFile, execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { createMachine, type RunResult, TIERS } from '../../src/machine.js';
import type { PagingPolicyName } from '../../runtime/mmu.js';
import { loadMultiboot } from '../../src/loaders/multiboot.js';
import { buildLinkedGuest, GUEST_BUILD_DIR, isStale, PROJECT_ROOT } from '../../src/toolchain.js';
import { DebugCon, DebugConBuffer, DEBUGCON_PORT } from '../../runtime/devices/debugcon.js';
import { ExitReason } from '../../runtime/exit-reason.js';

export const GUEST_DIR = join(PROJECT_ROOT, 'test', 'system', 'guests');
export const BUILD_DIR = join(GUEST_BUILD_DIR, 'system');
const LIB_SOURCE = join(GUEST_DIR, 'lib.S');
const LIB_INCLUDE = join(GUEST_DIR, 'lib.inc');
const LINKER_SCRIPT = join(GUEST_DIR, 'link.ld');

/** Guest RAM, for wasmvisor and QEMU alike (QEMU's -m 32). */
export const MEMORY_MIB = 32;

/**
 * The CPU the guests run on, in QEMU's -cpu syntax, which wasmvisor's
 * machine takes too: a Pentium III (a P6 with PSE, PAE, PGE, SEP, PSE-36,
 * PAT) with the execute-disable bit added, so PAE's XD can be checked.
 */
export const GUEST_CPU = 'pentium3,+nx';

/** The tiers every guest runs in. */
export const GUEST_TIERS = ['interpreter', 'jit-eager', 'jit-hot', 'jit-inline'] as const;
export type PagingPolicy = PagingPolicyName;
export const PAGING_POLICIES: readonly PagingPolicy[] = ['shadow', 'nested'];

export interface GuestModule {
  /** A file in test/system/guests/. */
  readonly file: string;
  /** What follows the file name in the module's string. */
  readonly args: string;
}

export interface GuestSpec {
  /** test/system/guests/NAME.S */
  readonly name: string;
  /** The source when it is not NAME.S (variants of one source). */
  readonly source?: string;
  /** 'aout': a flat image with the multiboot a.out kludge (lib.S built with AOUT_KLUDGE). */
  readonly format?: 'elf' | 'aout';
  /** The kernel command line after the kernel's file name (QEMU's -append). */
  readonly append?: string;
  readonly modules?: readonly GuestModule[];
  /** One line on what the guest checks (README and test names). */
  readonly about: string;
  /**
   * Why QEMU cannot run this guest, when it cannot: its transcript is then
   * not compared, and NAME.expected is written by hand from the SDM.
   */
  readonly qemu?: string;
}

/** How a run ended, as the last line of a transcript says it. */
export type RunEnd = string;

export interface Transcript {
  /** Debug-console lines (a last partial line included). */
  readonly lines: readonly string[];
  readonly end: RunEnd;
}

/** The transcript as text: lines, then "== end". */
export function transcriptText(t: Transcript): string {
  return [...t.lines, `== ${t.end}`].join('\n') + '\n';
}

/** Parse the text of an .expected file. */
export function parseTranscript(text: string): Transcript {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const last = lines.pop();
  if (last === undefined || !last.startsWith('== ')) throw new Error('a transcript ends with a line "== <how the run ended>"');
  return { lines, end: last.slice(3) };
}

function splitLines(output: string): string[] {
  const lines = output.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** The image file name of a guest (also the first word of its command line, as QEMU passes it). */
export function imageName(spec: GuestSpec): string {
  return `${spec.name}.${spec.format === 'aout' ? 'bin' : 'elf'}`;
}

/**
 * Build the guest if stale, and put copies of its modules next to it (QEMU
 * runs there and names them as wasmvisor does); returns the image's path.
 */
export function buildGuest(spec: GuestSpec): string {
  const out = join(BUILD_DIR, imageName(spec));
  buildLinkedGuest([LIB_SOURCE, join(GUEST_DIR, spec.source ?? `${spec.name}.S`)], out, {
    linkerScript: LINKER_SCRIPT,
    format: spec.format === 'aout' ? 'binary' : 'elf',
    defsyms: spec.format === 'aout' ? { AOUT_KLUDGE: 1 } : {},
    dependencies: [LIB_INCLUDE],
  });
  for (const m of spec.modules ?? []) {
    const copy = join(BUILD_DIR, m.file);
    if (isStale(copy, [join(GUEST_DIR, m.file)])) copyFileSync(join(GUEST_DIR, m.file), copy);
  }
  return out;
}

/** The kernel command line as QEMU builds it: the file name, a space, -append's text. */
function kernelCmdline(spec: GuestSpec): string {
  return `${imageName(spec)} ${spec.append ?? ''}`;
}

// --- wasmvisor ----------------------------------------------------------------

/** Instructions after which a run counts as hung (the biggest guest retires under 30 000). */
export const MAX_INSTRUCTIONS = 2_000_000;

/** The end line of a wasmvisor run. */
export function wasmvisorEnd(r: RunResult): RunEnd {
  const o = r.outcome;
  if (o.kind === 'debug-exit') return `exit ${o.value >>> 1}`;
  // A triple fault is a shutdown (SDM vol. 3, 6.15, interrupt 8); QEMU with -no-reboot exits on it.
  if (o.kind === 'triple-fault' || (o.kind === 'unhandled-exit' && o.reason === ExitReason.TripleFault)) return 'shutdown';
  return `wasmvisor: ${r.message}`;
}

export interface WasmvisorRun {
  readonly transcript: Transcript;
  readonly result: RunResult;
}

/** Run a guest in wasmvisor. */
export async function runWasmvisor(spec: GuestSpec, tier: string, paging: PagingPolicy): Promise<WasmvisorRun> {
  const path = buildGuest(spec);
  const machine = createMachine({ memoryMiB: MEMORY_MIB, tier, paging, cpu: GUEST_CPU });
  try {
    const out = new DebugConBuffer();
    machine.io.register(DEBUGCON_PORT, 1, new DebugCon(out.sink));
    const modules = (spec.modules ?? []).map((m) => ({
      data: new Uint8Array(readFileSync(join(GUEST_DIR, m.file))),
      cmdline: `${m.file} ${m.args}`.trimEnd(),
    }));
    loadMultiboot(machine, new Uint8Array(readFileSync(path)), { cmdline: kernelCmdline(spec), modules: spec.modules ? modules : undefined }, imageName(spec));
    const result = tier.endsWith('-async') ? await machine.runAsync({ maxInstructions: MAX_INSTRUCTIONS }) : machine.run({ maxInstructions: MAX_INSTRUCTIONS });
    return { transcript: { lines: splitLines(out.text()), end: wasmvisorEnd(result) }, result };
  } finally {
    machine.close();
  }
}

// --- QEMU ----------------------------------------------------------------------

export const QEMU = 'qemu-system-i386';

/** The version of qemu-system-i386 here ("7.2.22"), or null when it cannot be run. */
export function qemuVersion(): string | null {
  try {
    const out = execFileSync(QEMU, ['--version'], { stdio: ['ignore', 'pipe', 'ignore'] }).toString();
    return /version (\d+\.\d+(\.\d+)?)/.exec(out)?.[1] ?? 'unknown';
  } catch {
    return null;
  }
}

/** Seconds after which a QEMU run counts as hung. */
const QEMU_TIMEOUT_S = 20;

/**
 * Run a guest in QEMU (TCG): its multiboot loader, a PC with the guest's
 * RAM, debugcon on port E9h written to a file, isa-debug-exit on F4h, and
 * -no-reboot so a triple fault (a shutdown, then a reset) ends QEMU with
 * status 0. QEMU runs in the build folder so that file names, which its
 * loader puts first in command lines, are the plain names wasmvisor uses.
 */
export async function runQemu(spec: GuestSpec): Promise<Transcript> {
  const path = buildGuest(spec);
  const work = mkdtempSync(join(tmpdir(), 'wasmvisor-qemu-'));
  const out = join(work, 'debugcon.txt');
  const args = [
    '-kernel', basename(path),
    '-append', spec.append ?? '',
    '-m', String(MEMORY_MIB),
    '-cpu', GUEST_CPU,
    '-nographic', '-no-reboot', '-nic', 'none', '-monitor', 'none', '-serial', 'none',
    '-device', 'isa-debug-exit,iobase=0xf4,iosize=0x04',
    '-debugcon', `file:${out}`,
  ];
  if (spec.modules?.length) args.push('-initrd', spec.modules.map((m) => `${m.file} ${m.args}`.trimEnd()).join(','));
  let end: RunEnd;
  try {
    await promisify(execFile)(QEMU, args, { cwd: BUILD_DIR, timeout: QEMU_TIMEOUT_S * 1000, killSignal: 'SIGKILL' });
    end = 'shutdown';
  } catch (e) {
    const err = e as { code?: number | string; killed?: boolean; stderr?: string };
    if (err.killed) end = `qemu: no exit after ${QEMU_TIMEOUT_S} s`;
    else if (typeof err.code === 'number' && err.code & 1) end = `exit ${err.code >>> 1}`;
    else end = `qemu: status ${String(err.code)} ${err.stderr ?? ''}`.trim();
  }
  const text = existsSync(out) ? readFileSync(out, 'latin1') : '';
  rmSync(work, { recursive: true, force: true });
  return { lines: splitLines(text), end };
}

// --- Expected output and QEMU's known differences --------------------------------

/** The reviewed expected transcript of a guest (test/system/guests/NAME.expected). */
export function expectedPath(spec: GuestSpec): string {
  return join(GUEST_DIR, `${spec.name}.expected`);
}

export function readExpected(spec: GuestSpec): Transcript {
  return parseTranscript(readFileSync(expectedPath(spec), 'utf8'));
}

/** A line-by-line comparison; `allowed(i, actual, expected)` may excuse a differing line. */
export interface Mismatch {
  /** 1-based line number (the end line counts as the line after the last output line). */
  readonly line: number;
  readonly actual: string | undefined;
  readonly expected: string | undefined;
}

/** Lines of a transcript, the end line included. */
export function transcriptLines(t: Transcript): string[] {
  return [...t.lines, `== ${t.end}`];
}

/** The first line where `actual` and `expected` differ (and no allowance excuses it), or null. */
export function firstMismatch(actual: Transcript, expected: Transcript, allowed: (actual: string, expected: string) => boolean = () => false): Mismatch | null {
  const a = transcriptLines(actual);
  const e = transcriptLines(expected);
  for (let i = 0; i < Math.max(a.length, e.length); i++) {
    if (a[i] === e[i]) continue;
    if (a[i] !== undefined && e[i] !== undefined && allowed(a[i]!, e[i]!)) continue;
    return { line: i + 1, actual: a[i], expected: e[i] };
  }
  return null;
}

/** "line 7: got '...', expected '...'" */
export function describeMismatch(m: Mismatch): string {
  const show = (s: string | undefined): string => (s === undefined ? '(nothing)' : JSON.stringify(s));
  return `line ${m.line}: got ${show(m.actual)}, expected ${show(m.expected)}`;
}

// --- Command line ------------------------------------------------------------------

async function main(argv: readonly string[]): Promise<number> {
  const { GUESTS, correctQemuLines, guestByName } = await import('./catalog.js');
  let qemu = false;
  let update = false;
  let tier = 'interpreter';
  let paging: PagingPolicy = 'nested';
  const names: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--qemu') qemu = true;
    else if (a === '--update') update = true;
    else if (a === '--tier') tier = argv[++i] ?? '';
    else if (a === '--paging') paging = argv[++i] as PagingPolicy;
    else if (a.startsWith('-')) {
      console.error(`unknown option ${a}`);
      return 2;
    } else names.push(a);
  }
  if (!TIERS.includes(tier)) {
    console.error(`unknown tier '${tier}' (known: ${TIERS.join(', ')})`);
    return 2;
  }
  if (!PAGING_POLICIES.includes(paging)) {
    console.error(`unknown paging policy '${paging}' (known: ${PAGING_POLICIES.join(', ')})`);
    return 2;
  }
  const specs = names.length ? names.map((n) => guestByName(n) ?? n) : GUESTS;
  let status = 0;
  for (const spec of specs) {
    if (typeof spec === 'string') {
      console.error(`no guest '${spec}' (known: ${GUESTS.map((g) => g.name).join(', ')})`);
      status = 2;
      continue;
    }
    if (update) {
      if (spec.qemu) {
        console.log(`${spec.name}: not run in QEMU (${spec.qemu}); its expected file is kept`);
        continue;
      }
      const t = await runQemu(spec);
      const text = transcriptText({ lines: correctQemuLines(spec.name, t.lines), end: t.end });
      writeFileSync(expectedPath(spec), text);
      console.log(`wrote ${expectedPath(spec)}`);
      continue;
    }
    const t = qemu ? await runQemu(spec) : (await runWasmvisor(spec, tier, paging)).transcript;
    process.stdout.write(`--- ${spec.name}\n${transcriptText(t)}`);
  }
  return status;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main(process.argv.slice(2)).then((s) => { process.exitCode = s; }, (e: unknown) => { console.error(e); process.exitCode = 1; });
}
