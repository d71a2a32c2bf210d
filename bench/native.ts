/**
 * The native baseline: each workload linked with native/driver.c by
 * `gcc -m32 -O2 -no-pie` (the sources use absolute addresses, as the guest
 * image at 1 MiB does) and run on the host CPU. The driver does its own
 * timing with clock_gettime (wall clock and thread CPU time), so no process
 * start-up or Node overhead is measured.
 *
 * The native program counts nothing: the bench compares times of the same
 * work (one workload_main call), and derives a "native MIPS" from the
 * guest's instruction count for that work, so REP iterations, which the
 * guest retires one by one, count the same on both sides.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { isStale, PROJECT_ROOT } from '../src/toolchain.js';
import { workloadSource } from './workloads.js';

const NATIVE_DIR = join(PROJECT_ROOT, 'bench', 'native');
export const NATIVE_BUILD_DIR = join(NATIVE_DIR, 'build');
const DRIVER = join(NATIVE_DIR, 'driver.c');

export interface NativeResult {
  checksum: number;
  /** Median wall-clock seconds of one workload_main call. */
  seconds: number;
  /** Median CPU seconds of the thread for one call (what the guest side measures where it can: bench/cpu-time.ts). */
  cpuSeconds: number;
  callsPerSample: number;
  samples: number;
}

/** Build (if stale) the native program of a workload; returns its path. */
export function buildNative(name: string): string {
  const out = join(NATIVE_BUILD_DIR, name);
  const src = workloadSource(name);
  if (!isStale(out, [src, DRIVER])) return out;
  try {
    mkdirSync(NATIVE_BUILD_DIR, { recursive: true });
    // -x assembler: the .S files are plain GNU as, not for the C preprocessor ('#' starts comments).
    execFileSync('gcc', ['-m32', '-O2', '-no-pie', '-Wl,-z,noexecstack', '-o', out, DRIVER, '-x', 'assembler', src], { stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stderr?: Buffer };
    if (err.code === 'ENOENT') throw new Error('gcc is not installed: the native baseline needs gcc with 32-bit support (gcc-multilib)');
    throw new Error(`native build of ${name} failed (needs gcc -m32, i.e. gcc-multilib):\n${err.stderr?.toString() ?? err.message}`);
  }
  return out;
}

/** Run the native program: batches of at least `minBatchSeconds`, median of `samples`. */
export function runNative(name: string, minBatchSeconds: number, samples: number): NativeResult {
  const exe = buildNative(name);
  const text = execFileSync(exe, [String(minBatchSeconds), String(samples)], { encoding: 'utf8' });
  const r = JSON.parse(text) as NativeResult;
  if (!(r.seconds > 0) || !(r.cpuSeconds > 0)) throw new Error(`native ${name} reported no time: ${text}`);
  return r;
}
