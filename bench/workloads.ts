/**
 * The benchmark corpus: our own guest programs in bench/workloads/*.S. Each
 * defines `workload_main`, which does a fixed amount of work and returns a
 * checksum in EAX. The same source is linked twice: after entry.S into a
 * flat guest image (calls it a patched-in number of times, folds the
 * checksums, halts), and with native/driver.c into a 32-bit host program,
 * so the work can be timed natively too.
 */
import { join } from 'node:path';
import { buildFlatGuest, GUEST_BUILD_DIR, PROJECT_ROOT } from '../src/toolchain.js';

/** Which part of the corpus a workload belongs to: the project's targets are set on the integer one. */
export type Corpus = 'integer' | 'x87' | 'control';

export interface Workload {
  readonly name: string;
  readonly description: string;
  readonly corpus: Corpus;
}

export const WORKLOADS: readonly Workload[] = [
  { name: 'sieve', description: 'primes below 160000, sieve of Eratosthenes', corpus: 'integer' },
  { name: 'crc32', description: 'bitwise CRC-32 of 48 KiB', corpus: 'integer' },
  { name: 'sort', description: 'quicksort of 12000 pseudo-random dwords', corpus: 'integer' },
  { name: 'memcpy', description: 'REP MOVSD and a byte loop over 32 KiB, 4 rounds', corpus: 'integer' },
  { name: 'md5', description: 'MD5 of 48 KiB', corpus: 'integer' },
  { name: 'calls', description: 'CALL/RET between 33 pages: 256 cross-page calls per round, 400 rounds', corpus: 'control' },
  { name: 'mandel', description: 'Mandelbrot escape counts, 96x64 points, x87 under double precision control', corpus: 'x87' },
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

/** The bytes entry.S puts just before its `repeat_count` word. */
const REPEAT_MAGIC = new TextEncoder().encode('WVREPEAT');

/** Most calls one guest run may make (a sanity bound, not a tuning knob). */
export const MAX_REPEAT = 1_000_000;

/**
 * A copy of a workload image whose entry stub calls `workload_main`
 * `repeat` times. Fails if the image does not hold exactly one count word
 * (an image not built from entry.S).
 */
export function withRepeat(image: Uint8Array, repeat: number): Uint8Array {
  if (!Number.isInteger(repeat) || repeat < 1 || repeat > MAX_REPEAT) throw new Error(`repeat count must be a whole number from 1 to ${MAX_REPEAT}, got ${repeat}`);
  const at = findAll(image, REPEAT_MAGIC);
  if (at.length !== 1) throw new Error(`workload image has ${at.length} repeat-count markers, expected one (is it linked with bench/workloads/entry.S?)`);
  const out = image.slice();
  new DataView(out.buffer, out.byteOffset, out.byteLength).setUint32(at[0]! + REPEAT_MAGIC.length, repeat, true);
  return out;
}

/** What entry.S returns after `repeat` calls that each returned `checksum`: fold = rol(fold, 5) ^ checksum, from 0. */
export function foldChecksums(checksum: number, repeat: number): number {
  let fold = 0;
  for (let i = 0; i < repeat; i++) fold = (((fold << 5) | (fold >>> 27)) ^ checksum) >>> 0;
  return fold;
}

function findAll(haystack: Uint8Array, needle: Uint8Array): number[] {
  const hits: number[] = [];
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let k = 0; k < needle.length; k++) if (haystack[i + k] !== needle[k]) continue outer;
    hits.push(i);
  }
  return hits;
}
