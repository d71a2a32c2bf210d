/**
 * Native oracle: runs single x86 instructions on the host CPU (CPL 3, 32-bit
 * or 16-bit code segment) in the environment described by `layout.ts`, and
 * reports the state at the first exception.
 *
 * One long-lived child process (`native/oracle.c`, built on demand into
 * `native/build/`) talks a binary record protocol over stdin/stdout; `run()`
 * calls are pipelined and answered in order.
 *
 * Host requirements: x86_64 Linux, gcc, vm.mmap_min_addr <= 4096.
 */
import { spawn, execFile, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, statSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { PROJECT_ROOT } from '../../src/project-root.js';
import { promisify } from 'node:util';
import { DEFAULT_CODE_OFFSET, INITIAL_FCW, MAX_CODE_LENGTH, MEM_BASE, MEM_SIZE, X87_REGS_SIZE, type X87Result, type X87State } from './layout.js';

export interface OracleCase {
  mode: 16 | 32;
  /** Instruction bytes (1..32 bytes). */
  code: Uint8Array;
  /** Linear address of the first byte; default 0x1800. Must keep the code inside 0x1000..0x2FFF. */
  codeOffset?: number;
  /** EAX ECX EDX EBX ESP EBP ESI EDI (hardware order). */
  regs: Uint32Array | number[];
  /** Only CF PF AF ZF SF DF OF ID are honoured (see layout.ts EFLAGS_CASE_MASK). */
  eflags: number;
  memSeed: number;
  /** Initial x87/MMX state; absent: the init state (layout.initialX87()). */
  x87?: X87State;
  /** Bytes (at most 32) written over the seed's memory image before the case runs; inside MEM_BASE..MEM_END. */
  memPatch?: { address: number; bytes: Uint8Array };
}

/** How a case ended up. Anything but 'ok' means the instruction did not run. */
export type OracleStatus = 'ok' | 'refused' | 'invalid' | 'entry-failed';

export interface OracleResult {
  /** 8 GPRs, unsigned 32-bit, hardware order. */
  regs: number[];
  /** EIP at the event: a fault's own instruction address, or the next one for a trap (INT3, INTO, INT n...). */
  eip: number;
  /**
   * EFLAGS as the kernel reports it (unsigned). Note: for fault-class
   * exceptions the CPU pushes RF=1 (bit 16); IF (bit 9) is always 1.
   */
  eflags: number;
  /** Exception vector (trapno), -1 for a timeout, -2 if the case was not run (see `status`). */
  vector: number;
  /** Error code from the signal context (0 if none). */
  errorCode: number;
  /** Faulting linear address for #PF, else 0. */
  cr2: number;
  /** Every byte in 0x4000..0x9FFF whose final value differs from its initial value, ascending. */
  memWrites: Array<[address: number, value: number]>;
  /** Segment selectors at the event, hardware order ES CS SS DS FS GS. */
  sregs: number[];
  status: OracleStatus;
  /** x87/MMX state at the event (absent when the case did not run). */
  x87?: X87Result;
  /** Human-readable reason when status !== 'ok'. */
  error?: string;
}

export interface DescriptorProbe {
  selector: number;
  /** LAR succeeded (ZF=1) and its result, masked to the defined bits 0x00F0FF00. */
  larValid: boolean;
  lar: number;
  /** LSL succeeded and its result. */
  lslValid: boolean;
  lsl: number;
}

export interface OracleInfo {
  protocolVersion: number;
  /** Nothing but the guest pages is mapped below 4 GiB in the oracle process. */
  lowMemoryClean: boolean;
  fsgsbase: boolean;
  xsave: boolean;
  /** Guest pages are mlock()ed, so their PTEs are always present (stable #PF error codes). */
  pagesLocked: boolean;
  /** Low 32 bits of XCR0 (XSAVE features reset to init state before each case). */
  xcr0: number;
  /** GDT selectors (RPL 3) for which LAR or LSL succeeds at CPL 3, plus LDT 0x07 and 0x0F. */
  descriptors: DescriptorProbe[];
}

// ---------------------------------------------------------------------------
// Protocol constants (must match native/oracle.c)
// ---------------------------------------------------------------------------

const MAGIC_HELLO = 0x4c43524f; // "ORCL"
const MAGIC_CASE = 0x45534143; // "CASE"
const MAGIC_FILL = 0x4c4c4946; // "FILL"
const MAGIC_RSLT = 0x544c5352; // "RSLT"
const PROTOCOL_VERSION = 2;
const CASE_SIZE = 212;
const RESULT_HEADER = 172;
/** Offsets of the x87 block in a case record and in a result record. */
const CASE_X87 = 84;
/** Offset of the memory patch in a case record: u32 address, u8 length, 3 pad, 32 bytes. */
const CASE_PATCH = 172;
export const MAX_MEM_PATCH = 32;
const RESULT_X87 = 76;
const STATUS_NAMES: OracleStatus[] = ['ok', 'refused', 'invalid', 'entry-failed'];
const STATUS_ERRORS: Record<OracleStatus, string | undefined> = {
  ok: undefined,
  refused: 'refused: code contains a system-call opcode (CD 80, 0F 34, 0F 05 or 0F 07)',
  invalid: 'invalid case: mode must be 16|32, code 1..32 bytes inside 0x1000..0x2FFF, memPatch ≤ 32 bytes inside 0x4000..0x9FFF',
  'entry-failed': 'host fault while entering the guest (harness bug)',
};

// ---------------------------------------------------------------------------
// Build
// ---------------------------------------------------------------------------

const HERE = join(PROJECT_ROOT, 'test', 'oracle');
export const NATIVE_DIR = join(HERE, 'native');
export const BUILD_DIR = join(NATIVE_DIR, 'build');
export const BINARY_PATH = join(BUILD_DIR, 'oracle');
const SOURCES = ['oracle.c', 'entry.S'].map((f) => join(NATIVE_DIR, f));
const CFLAGS = ['-O2', '-fPIE', '-pie', '-fno-stack-protector', '-Wall', '-Wextra'];

const execFileP = promisify(execFile);

function mtime(path: string): number {
  return statSync(path).mtimeMs;
}

/** Compile the native oracle if the binary is missing or older than a source file. Returns its path. */
export async function buildNativeOracle(force = false): Promise<string> {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(`native oracle needs an x86_64 Linux host (this is ${process.platform}/${process.arch})`);
  }
  if (!force && existsSync(BINARY_PATH)) {
    const built = mtime(BINARY_PATH);
    if (SOURCES.every((s) => mtime(s) <= built)) return BINARY_PATH;
  }
  mkdirSync(BUILD_DIR, { recursive: true });
  // Build to a private name and rename: concurrent test workers may race here.
  const tmp = `${BINARY_PATH}.tmp-${process.pid}-${Date.now()}`;
  const cc = process.env['CC'] ?? 'gcc';
  try {
    await execFileP(cc, [...CFLAGS, '-o', tmp, ...SOURCES], { cwd: NATIVE_DIR });
    renameSync(tmp, BINARY_PATH);
  } catch (e) {
    rmSync(tmp, { force: true });
    const err = e as { stderr?: string; message: string };
    throw new Error(`building the native oracle failed: ${err.stderr || err.message}`);
  }
  return BINARY_PATH;
}

// ---------------------------------------------------------------------------
// Encoding / decoding
// ---------------------------------------------------------------------------

function encodeCase(view: DataView, bytes: Uint8Array, off: number, c: OracleCase): void {
  const code = c.code;
  const len = code.length;
  view.setUint32(off, MAGIC_CASE, true);
  bytes[off + 4] = c.mode === 16 || c.mode === 32 ? c.mode : 0;
  // An out-of-range length is sent as 0: the native side reports 'invalid'.
  bytes[off + 5] = len >= 1 && len <= MAX_CODE_LENGTH ? len : 0;
  bytes[off + 6] = 0;
  bytes[off + 7] = 0;
  const codeOffset = c.codeOffset ?? DEFAULT_CODE_OFFSET;
  view.setUint32(off + 8, Number.isInteger(codeOffset) && codeOffset >= 0 ? codeOffset >>> 0 : 0, true);
  const regs = c.regs;
  for (let i = 0; i < 8; i++) view.setUint32(off + 12 + 4 * i, regs[i]! >>> 0, true);
  view.setUint32(off + 44, c.eflags >>> 0, true);
  view.setUint32(off + 48, c.memSeed >>> 0, true);
  bytes.fill(0, off + 52, off + CASE_SIZE);
  if (len <= MAX_CODE_LENGTH) bytes.set(code, off + 52);
  const x = off + CASE_X87;
  const f = c.x87;
  view.setUint16(x, f ? f.fcw : INITIAL_FCW, true);
  view.setUint16(x + 2, f ? f.fsw : 0, true);
  bytes[x + 4] = f ? f.ftw & 0xff : 0;
  if (f) bytes.set(f.regs.subarray(0, X87_REGS_SIZE), x + 8);
  const patch = c.memPatch;
  if (patch && patch.bytes.length) {
    view.setUint32(off + CASE_PATCH, patch.address >>> 0, true);
    // An oversized patch is sent as length 255: the native side reports 'invalid'.
    bytes[off + CASE_PATCH + 4] = patch.bytes.length <= MAX_MEM_PATCH ? patch.bytes.length : 255;
    if (patch.bytes.length <= MAX_MEM_PATCH) bytes.set(patch.bytes, off + CASE_PATCH + 8);
  }
}

function encodeFill(view: DataView, bytes: Uint8Array, off: number, seed: number): void {
  bytes.fill(0, off, off + CASE_SIZE);
  view.setUint32(off, MAGIC_FILL, true);
  view.setUint32(off + 48, seed >>> 0, true);
}

interface Pending {
  kind: 'case' | 'fill';
  count: number;
  results: unknown[];
  resolve: (v: unknown[]) => void;
  reject: (e: Error) => void;
}

/** A growable byte queue for the child's stdout. */
class ByteQueue {
  buf = new Uint8Array(1 << 20);
  view = new DataView(this.buf.buffer);
  start = 0;
  end = 0;
  get length(): number {
    return this.end - this.start;
  }
  push(chunk: Uint8Array): void {
    const need = this.end - this.start + chunk.length;
    if (this.end + chunk.length > this.buf.length) {
      if (need <= this.buf.length / 2) {
        this.buf.copyWithin(0, this.start, this.end);
      } else {
        let cap = this.buf.length;
        while (cap < need * 2) cap *= 2;
        const nb = new Uint8Array(cap);
        nb.set(this.buf.subarray(this.start, this.end));
        this.buf = nb;
        this.view = new DataView(nb.buffer);
      }
      this.end -= this.start;
      this.start = 0;
    }
    this.buf.set(chunk, this.end);
    this.end += chunk.length;
  }
}

// ---------------------------------------------------------------------------
// The oracle
// ---------------------------------------------------------------------------

export interface StartOptions {
  /** Use this binary instead of building/locating the default one. */
  binary?: string;
  /**
   * How long a case may run before it is abandoned with vector -1 (default
   * 50 ms). The child counts ITIMER_REAL ticks of timeoutMs/5 that arrive
   * while guest code is running, so the cut-off is 0.8x..1x of this (more if
   * the host is overloaded; never less).
   */
  timeoutMs?: number;
}

export class NativeOracle {
  readonly info: OracleInfo;
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly queue: ByteQueue;
  private readonly pending: Pending[] = [];
  private stderr = '';
  private dead: Error | undefined;
  private exited: Promise<void>;

  private constructor(child: ChildProcessWithoutNullStreams, info: OracleInfo, queue: ByteQueue, stderrSoFar: string) {
    this.child = child;
    this.info = info;
    this.queue = queue;
    this.stderr = stderrSoFar;
    child.stdout.on('data', (chunk: Buffer) => {
      this.queue.push(chunk);
      try {
        this.drain();
      } catch (e) {
        this.fail(e as Error);
        child.kill('SIGKILL');
      }
    });
    child.stderr.on('data', (chunk: Buffer) => {
      this.stderr = (this.stderr + chunk.toString('utf8')).slice(-4000);
    });
    this.exited = new Promise((resolve) => {
      child.on('exit', (code, signal) => {
        this.fail(
          new Error(
            `native oracle exited (code ${code}, signal ${signal})${this.stderr ? `: ${this.stderr.trim()}` : ''}`,
          ),
        );
        resolve();
      });
    });
    child.stdin.on('error', (e) => this.fail(e));
    this.setRef(false);
  }

  /** Keep Node's event loop alive only while results are outstanding. */
  private setRef(on: boolean): void {
    for (const h of [this.child, this.child.stdin, this.child.stdout, this.child.stderr] as Array<{
      ref?: () => unknown;
      unref?: () => unknown;
    }>) {
      if (on) h.ref?.();
      else h.unref?.();
    }
  }

  /** Build the native binary if needed and spawn one long-lived child. */
  static async start(options: StartOptions = {}): Promise<NativeOracle> {
    const binary = options.binary ?? (await buildNativeOracle());
    const args: string[] = [];
    if (options.timeoutMs !== undefined) {
      const ms = Math.round(options.timeoutMs);
      if (!(ms >= 1 && ms <= 100_000)) throw new RangeError(`timeoutMs out of range: ${options.timeoutMs}`);
      args.push(`--timeout-ms=${ms}`);
    }
    const child = spawn(binary, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const queue = new ByteQueue();
    let stderr = '';
    const onErr = (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    };
    child.stderr.on('data', onErr);
    const info = await new Promise<OracleInfo>((resolve, reject) => {
      const onData = (chunk: Buffer) => {
        queue.push(chunk);
        if (queue.length < 20) return;
        const n = queue.view.getUint32(queue.start + 16, true);
        if (queue.length < 20 + 12 * n) return;
        cleanup();
        try {
          resolve(parseHello(queue));
        } catch (e) {
          child.kill('SIGKILL');
          reject(e);
        }
      };
      const onExit = (code: number | null, signal: string | null) => {
        cleanup();
        reject(new Error(`native oracle failed to start (code ${code}, signal ${signal}): ${stderr.trim()}`));
      };
      const onSpawnError = (e: Error) => {
        cleanup();
        reject(e);
      };
      const cleanup = () => {
        child.stdout.off('data', onData);
        child.off('exit', onExit);
        child.off('error', onSpawnError);
      };
      child.stdout.on('data', onData);
      child.on('exit', onExit);
      child.on('error', onSpawnError);
    });
    child.stderr.off('data', onErr);
    if (!info.lowMemoryClean) {
      child.kill('SIGKILL');
      throw new Error(`native oracle: something other than the guest pages is mapped below 4 GiB: ${stderr.trim()}`);
    }
    return new NativeOracle(child, info, queue, stderr);
  }

  /**
   * Run cases; results come back in the same order. Calls may overlap (they
   * are pipelined). The cases are encoded before this returns, so the caller
   * may reuse them immediately. Batches of up to ~1M cases are reasonable.
   */
  run(cases: readonly OracleCase[]): Promise<OracleResult[]> {
    if (cases.length === 0) return Promise.resolve([]);
    if (this.dead) return Promise.reject(this.dead);
    // Validate everything first: nothing may reach the wire for a rejected batch.
    for (let i = 0; i < cases.length; i++) {
      const c = cases[i]!;
      if (!c || !(c.code instanceof Uint8Array) || !c.regs || c.regs.length !== 8) {
        return Promise.reject(new TypeError(`OracleCase #${i}: code must be a Uint8Array and regs must have 8 entries`));
      }
    }
    const p = this.expect('case', cases.length);
    // Encode and write slice by slice: the first slices reach the child while
    // later ones are still being encoded. Writes are synchronous calls, so
    // overlapping run() calls keep their order on the wire.
    const SLICE = 4096;
    for (let first = 0; first < cases.length; first += SLICE) {
      const n = Math.min(SLICE, cases.length - first);
      const bytes = new Uint8Array(n * CASE_SIZE);
      const view = new DataView(bytes.buffer);
      for (let i = 0; i < n; i++) encodeCase(view, bytes, i * CASE_SIZE, cases[first + i]!);
      this.write(bytes);
    }
    return p as Promise<OracleResult[]>;
  }

  /** Convenience: a single case. */
  async runOne(c: OracleCase): Promise<OracleResult> {
    return (await this.run([c]))[0]!;
  }

  /**
   * The initial DATA+STACK image (MEM_SIZE bytes from MEM_BASE) as the native
   * generator produces it, for checking it against layout.ts fillMemory().
   */
  async nativeFill(seed: number): Promise<Uint8Array> {
    if (this.dead) throw this.dead;
    const bytes = new Uint8Array(CASE_SIZE);
    encodeFill(new DataView(bytes.buffer), bytes, 0, seed);
    const p = this.expect('fill', 1);
    this.write(bytes);
    const [image] = (await p) as Uint8Array[];
    return image!;
  }

  /** Stop the child. Pending runs are rejected. */
  async close(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.stdin.end();
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 2000);
      await this.exited;
      clearTimeout(timer);
    }
  }

  private expect(kind: Pending['kind'], count: number): Promise<unknown[]> {
    if (this.pending.length === 0) this.setRef(true);
    return new Promise<unknown[]>((resolve, reject) => {
      this.pending.push({ kind, count, results: [], resolve, reject });
    });
  }

  private write(bytes: Uint8Array): void {
    // Node queues whatever the pipe cannot take yet; ordering is preserved.
    this.child.stdin.write(bytes);
  }

  private fail(e: Error): void {
    if (!this.dead) this.dead = e;
    for (const p of this.pending.splice(0)) p.reject(this.dead);
  }

  private drain(): void {
    const q = this.queue;
    while (this.pending.length > 0) {
      const head = this.pending[0]!;
      if (head.kind === 'case') {
        if (q.length < RESULT_HEADER) return;
        const base = q.start;
        const magic = q.view.getUint32(base, true);
        if (magic !== MAGIC_RSLT) throw new Error(`native oracle protocol error: magic ${magic.toString(16)}`);
        const nWrites = q.view.getUint32(base + 72, true);
        const total = RESULT_HEADER + 3 * nWrites;
        if (q.length < total) return;
        head.results.push(parseResult(q.buf, q.view, base, nWrites));
        q.start += total;
      } else {
        const total = 8 + MEM_SIZE;
        if (q.length < total) return;
        const magic = q.view.getUint32(q.start, true);
        if (magic !== MAGIC_FILL) throw new Error(`native oracle protocol error: magic ${magic.toString(16)}`);
        head.results.push(q.buf.slice(q.start + 8, q.start + total));
        q.start += total;
      }
      if (head.results.length === head.count) {
        this.pending.shift();
        if (this.pending.length === 0) this.setRef(false);
        head.resolve(head.results);
      }
    }
  }
}

function parseHello(q: ByteQueue): OracleInfo {
  const v = q.view;
  const b = q.start;
  if (v.getUint32(b, true) !== MAGIC_HELLO) throw new Error('native oracle: bad hello');
  const version = v.getUint32(b + 4, true);
  if (version !== PROTOCOL_VERSION) throw new Error(`native oracle: protocol ${version}, expected ${PROTOCOL_VERSION}`);
  const flags = v.getUint32(b + 8, true);
  const n = v.getUint32(b + 16, true);
  const descriptors: DescriptorProbe[] = [];
  for (let i = 0; i < n; i++) {
    const o = b + 20 + 12 * i;
    const ok = v.getUint16(o + 2, true);
    descriptors.push({
      selector: v.getUint16(o, true),
      larValid: (ok & 1) !== 0,
      lar: (v.getUint32(o + 4, true) & 0x00f0ff00) >>> 0,
      lslValid: (ok & 2) !== 0,
      lsl: v.getUint32(o + 8, true) >>> 0,
    });
  }
  q.start += 20 + 12 * n;
  return {
    protocolVersion: version,
    lowMemoryClean: (flags & 1) !== 0,
    fsgsbase: (flags & 2) !== 0,
    xsave: (flags & 4) !== 0,
    pagesLocked: (flags & 8) !== 0,
    xcr0: v.getUint32(b + 12, true),
    descriptors,
  };
}

function parseResult(buf: Uint8Array, v: DataView, b: number, nWrites: number): OracleResult {
  const status = STATUS_NAMES[v.getUint32(b + 4, true)] ?? 'invalid';
  const regs = new Array<number>(8);
  for (let i = 0; i < 8; i++) regs[i] = v.getUint32(b + 8 + 4 * i, true);
  const sregs = new Array<number>(6);
  for (let i = 0; i < 6; i++) sregs[i] = v.getUint16(b + 60 + 2 * i, true);
  const memWrites = new Array<[number, number]>(nWrites);
  let o = b + RESULT_HEADER;
  for (let i = 0; i < nWrites; i++, o += 3) {
    memWrites[i] = [MEM_BASE + (buf[o]! | (buf[o + 1]! << 8)), buf[o + 2]!];
  }
  const result: OracleResult = {
    regs,
    eip: v.getUint32(b + 40, true),
    eflags: v.getUint32(b + 44, true),
    vector: v.getInt32(b + 48, true),
    errorCode: v.getUint32(b + 52, true),
    cr2: v.getUint32(b + 56, true),
    memWrites,
    sregs,
    status,
  };
  if (status === 'ok') {
    const x = b + RESULT_X87;
    result.x87 = {
      fcw: v.getUint16(x, true),
      fsw: v.getUint16(x + 2, true),
      ftw: v.getUint16(x + 4, true),
      fop: v.getUint16(x + 6, true),
      fip: v.getUint32(x + 8, true),
      fdp: v.getUint32(x + 12, true),
      regs: buf.slice(x + 16, x + 16 + X87_REGS_SIZE),
    };
  }
  const error = STATUS_ERRORS[status];
  if (error !== undefined) result.error = error;
  return result;
}
