/**
 * The bench's ratios (bench/report.ts benchResult): ×native compares the
 * time of the same work, one workload_main call, in one time base; the
 * guest's instruction count (REP iterations one each) cancels out.
 *
 *   npx vitest run test/jit/bench-report.test.ts
 */
import { describe, expect, it } from 'vitest';
import { benchResult } from '../../bench/report.js';
import type { GuestRun, GuestTiming } from '../../bench/guest.js';
import type { NativeResult } from '../../bench/native.js';
import type { Workload } from '../../bench/workloads.js';

const WORKLOAD: Workload = { name: 'memcpy', description: 'test', corpus: 'integer' };

function timing(instructions: number, seconds: number, calls: number, compileMs: number, timeBase: 'thread-cpu' | 'wall'): GuestTiming {
  const run: GuestRun = { repeat: calls, checksum: 0, instructions, seconds, wallSeconds: seconds * 1.5, compileMs, jit: null };
  return { primeRuns: 0, repeat: calls, checksum: 0, instructions, median: run, runs: [seconds], timeBase, calibration: [] };
}

const NATIVE: NativeResult = { checksum: 0, seconds: 0.002, cpuSeconds: 0.001, callsPerSample: 1, samples: 1 };

describe('bench ratios', () => {
  it('×native is guest seconds per call over native seconds per call, whatever the instruction count', () => {
    // 10 calls in 0.05 s of CPU time: 5 ms a call against native's 1 ms of CPU: 5×.
    const few = benchResult(WORKLOAD, 'jit', timing(1e6, 0.05, 10, 0, 'thread-cpu'), NATIVE, NaN);
    const many = benchResult(WORKLOAD, 'jit', timing(9e6, 0.05, 10, 0, 'thread-cpu'), NATIVE, NaN);
    expect(few.ratioToNative).toBeCloseTo(5, 10);
    expect(many.ratioToNative).toBeCloseTo(5, 10);
    // Native MIPS counts the guest's instructions over native time, so MIPS ratios agree with time ratios.
    expect(many.nativeMips / many.mips).toBeCloseTo(many.ratioToNative, 10);
  });

  it('compares in one time base: CPU time with the native CPU time, wall time with native wall time', () => {
    expect(benchResult(WORKLOAD, 'jit', timing(1e6, 0.05, 10, 0, 'wall'), NATIVE, NaN).ratioToNative).toBeCloseTo(2.5, 10);
  });

  it('the steady ratio leaves compilation out; the ratio to the reference is of MIPS', () => {
    const r = benchResult(WORKLOAD, 'jit', timing(1e6, 0.05, 10, 20, 'thread-cpu'), NATIVE, 10);
    expect(r.steadyRatioToNative).toBeCloseTo(3, 10);
    expect(r.mips).toBeCloseTo(20, 10);
    expect(r.ratioToReference).toBeCloseTo(0.5, 10);
  });
});
