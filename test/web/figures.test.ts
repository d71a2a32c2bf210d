/** The page's figures (src/browser/page/rates.ts, chart.ts): counters to rates, and the charts' scale. */
import { describe, expect, it } from 'vitest';
import { assignColors, busiestReasons, bytes, compact, RateHistory } from '../../src/browser/page/rates.js';
import { niceCeiling } from '../../src/browser/page/chart.js';
import type { StatsSample } from '../../src/browser/protocol.js';

const sample = (t: number, retired: number, exits: Record<string, number>, translations: number | null = null): StatsSample => ({
  t,
  retired,
  exits,
  cache: translations === null ? null : { translations, modules: 1, wasmBytes: 4096 },
  compiles: 0,
});

describe('RateHistory', () => {
  it('turns cumulative counters into MIPS and exits per second over each interval', () => {
    const h = new RateHistory();
    expect(h.add(sample(1000, 0, {}))).toBeNull();
    const p = h.add(sample(1500, 5_000_000, { IO_INSTRUCTION: 1000, CPUID: 1 }, 12))!;
    expect(p.t).toBe(0.5);
    expect(p.mips).toBe(10);
    expect(p.exitsPerSecond).toEqual({ IO_INSTRUCTION: 2000, CPUID: 2 });
    expect(p.exitsTotalPerSecond).toBe(2002);
    expect(p.translations).toBe(12);
    expect(p.wasmBytes).toBe(4096);
    const q = h.add(sample(2500, 5_000_000, { IO_INSTRUCTION: 1000, CPUID: 1 }))!;
    expect(q).toMatchObject({ t: 1.5, mips: 0, exitsTotalPerSecond: 0, translations: null });
    expect(h.add(sample(2500, 6_000_000, {}))).toBeNull(); // no time has passed
    expect(h.points.length).toBe(2);
    expect(h.latest).toBe(q);
    h.clear();
    expect(h.points.length).toBe(0);
    expect(h.add(sample(9000, 0, {}))).toBeNull();
  });

  it('keeps at most its capacity, dropping the oldest', () => {
    const h = new RateHistory(3);
    for (let k = 0; k <= 5; k++) h.add(sample(k * 1000, k * 1_000_000, {}));
    expect(h.points.map((p) => p.t)).toEqual([3, 4, 5]);
  });
});

describe('busiestReasons', () => {
  it('ranks reasons by their exits in the window and leaves out idle ones', () => {
    const h = new RateHistory();
    h.add(sample(0, 0, { HLT: 0, CPUID: 0, IO_INSTRUCTION: 0, CR_ACCESS: 0 }));
    h.add(sample(1000, 0, { HLT: 0, CPUID: 5, IO_INSTRUCTION: 900, CR_ACCESS: 5 }));
    h.add(sample(2000, 0, { HLT: 0, CPUID: 5, IO_INSTRUCTION: 1000, CR_ACCESS: 50 }));
    expect(busiestReasons(h.points, 5)).toEqual(['IO_INSTRUCTION', 'CR_ACCESS', 'CPUID']);
    expect(busiestReasons(h.points, 1)).toEqual(['IO_INSTRUCTION']);
  });
});

describe('assignColors', () => {
  it('gives the lines shown different colours, and a line the colour it had while that one is free', () => {
    const palette = ['a', 'b', 'c'];
    const memory = new Map<string, string>();
    expect([...assignColors(['IO', 'HLT'], memory, palette)]).toEqual([['IO', 'a'], ['HLT', 'b']]);
    expect([...assignColors(['CPUID', 'HLT', 'IO'], memory, palette)]).toEqual([['HLT', 'b'], ['IO', 'a'], ['CPUID', 'c']]);
    // RDTSC is new and the palette is full: it takes the colour of a line no longer shown, not a shown one's.
    const shown = assignColors(['RDTSC', 'IO', 'CPUID'], memory, palette);
    expect(new Set(shown.values()).size).toBe(3);
    expect(shown.get('IO')).toBe('a');
    expect(shown.get('CPUID')).toBe('c');
    expect(shown.get('RDTSC')).toBe('b');
  });
});

describe('scales and labels', () => {
  it('rounds the axis up to 1, 2 or 5 times a power of ten', () => {
    expect([0, -3, 0.7, 1, 1.01, 2, 3, 5.5, 10, 12, 99, 101, 2.3e6].map(niceCeiling)).toEqual([1, 1, 1, 1, 2, 2, 5, 10, 10, 20, 100, 200, 5e6]);
    expect(niceCeiling(0.012)).toBeCloseTo(0.02, 12);
  });

  it('writes counts short', () => {
    expect([0, 7, 0.25, 42, 950, 1234, 56_789, 4_560_000, 7.8e9].map(compact)).toEqual(['0', '7', '0.25', '42', '950', '1.23k', '56.8k', '4.56M', '7.80G']);
    expect([0, 1023, 39_882, 7_130_000].map(bytes)).toEqual(['0 B', '1023 B', '39 KiB', '6.8 MiB']);
  });
});
