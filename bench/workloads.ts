/**
 * The benchmark corpus: our own guest programs in bench/workloads/*.S. Each
 * defines `workload_main`, which does a fixed amount of work and returns a
 * checksum in EAX. The same source is linked twice: after entry.S into a
 * flat guest image (calls it once, halts), and with native/driver.c into a
 * 32-bit host program, so the work can be timed natively too.
 */
import { join } from 'node:path';
import { buildFlatGuest, GUEST_BUILD_DIR, PROJECT_ROOT } from '../src/toolchain.js';

export interface Workload {
  readonly name: string;
  readonly description: string;
}

export const WORKLOADS: readonly Workload[] = [
  { name: 'sieve', description: 'primes below 160000, sieve of Eratosthenes' },
  { name: 'crc32', description: 'bitwise CRC-32 of 48 KiB' },
  { name: 'sort', description: 'quicksort of 12000 pseudo-random dwords' },
  { name: 'memcpy', description: 'REP MOVSD and a byte loop over 32 KiB, 4 rounds' },
  { name: 'md5', description: 'MD5 of 48 KiB' },
];

export const WORKLOAD_DIR = join(PROJECT_ROOT, 'bench', 'workloads');
const ENTRY_STUB = join(WORKLOAD_DIR, 'entry.S');

export function workloadSource(name: string): string {
  return join(WORKLOAD_DIR, `${name}.S`);
}

/** Build (if stale) the flat guest image of a workload; returns its path. */
export function buildWorkloadGuest(name: string): string {
  const out = join(GUEST_BUILD_DIR, 'bench', `${name}.bin`);
  buildFlatGuest([ENTRY_STUB, workloadSource(name)], out);
  return out;
}
