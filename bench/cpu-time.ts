/**
 * CPU time of the calling thread, for timings that other work on the host
 * does not skew. A run's wall-clock time includes every moment the thread
 * waited for a core; its CPU time is the work itself (V8's background
 * compiler and collector threads are left out: they run beside the guest,
 * not in its way). The native baseline measures the same way
 * (CLOCK_THREAD_CPUTIME_ID in native/driver.c), so the ratios compare like
 * with like. Linux only (/proc/thread-self/schedstat: nanoseconds on a
 * CPU); elsewhere the bench falls back to wall-clock time.
 */
import { readFileSync } from 'node:fs';

const SCHEDSTAT = '/proc/thread-self/schedstat';

function read(): number | null {
  try {
    const ns = Number(readFileSync(SCHEDSTAT, 'utf8').split(' ')[0]);
    return Number.isFinite(ns) ? ns / 1e9 : null;
  } catch {
    return null;
  }
}

/** Whether this host reports per-thread CPU time. */
export const THREAD_CPU_AVAILABLE = read() !== null;

/** Seconds of CPU time the calling thread has used (NaN where the host does not report it). */
export function threadCpuSeconds(): number {
  return read() ?? NaN;
}
