/**
 * The bench workloads as guest regression tests: each must halt with the
 * checksum that an independent model of the same algorithm gives (computed
 * once, in Python, from the workloads' definitions; the bench also checks
 * them against the native run on every invocation).
 */
import { describe, expect, it } from 'vitest';
import { createMachine } from '../../src/machine.js';
import { loadFlat, readImageFile } from '../../src/loaders/flat.js';
import { buildWorkloadGuest, WORKLOADS } from '../../bench/workloads.js';

const EXPECTED: Readonly<Record<string, number>> = {
  sieve: 2065729202, // (14683 primes, rotated 16) xor their sum
  crc32: 4195491379,
  sort: 2086375468,
  memcpy: 3225403392,
  md5: 3481137422, // XOR of the four words of hashlib.md5 over the same bytes
  calls: 3186482935, // 400 rounds of 8 passes over k = 0..31 of eax = rol(eax + k + 1, 5)
  mandel: 3379709520, // the same loop in Python floats (under PC 53 and round-to-nearest the x87 computes IEEE doubles)
};

describe('bench workloads in the guest', () => {
  for (const w of WORKLOADS) {
    it(`${w.name}: ${w.description}`, () => {
      const m = createMachine({ memoryMiB: 16 });
      loadFlat(m, readImageFile(buildWorkloadGuest(w.name)), w.name);
      const r = m.run({ maxInstructions: 50_000_000 });
      expect(r.message).toBe('guest halted');
      expect(m.cpu.regs[0]! >>> 0).toBe(EXPECTED[w.name]);
    }, 30_000);
  }
});
