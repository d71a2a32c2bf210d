import { describe, expect, it } from 'vitest';
import { createMachine } from '../../src/machine.js';
import { loadFlat, readImageFile } from '../../src/loaders/flat.js';
import { ensureDemoGuest } from '../../src/toolchain.js';

const EXPECTED = `wasmvisor demo guest: hello from 32-bit protected mode
cpu vendor: GenuineIntel
first 20 primes: 2 3 5 7 11 13 17 19 23 29 31 37 41 43 47 53 59 61 67 71
12! = 479001600
crc32("The quick brown fox jumps over the lazy dog") = 414fa339
bye
`;

describe('demo guest', () => {
  it('prints its results on COM1 and halts', () => {
    const chunks: Buffer[] = [];
    const m = createMachine({ memoryMiB: 16, serial: (b) => chunks.push(Buffer.from(b)) });
    loadFlat(m, readImageFile(ensureDemoGuest()));
    const r = m.run({ maxInstructions: 10_000_000 });
    expect(Buffer.concat(chunks).toString('latin1')).toBe(EXPECTED);
    expect(r.message).toBe('guest halted');
    expect(r.status).toBe(0);
    expect(m.exitCounts().get('CPUID')).toBe(1);
  });
});
