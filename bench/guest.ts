/**
 * Timing a workload inside wasmvisor. Our own loop rather than tinybench:
 * one guest run takes about a second on the reference tier, so a handful
 * of runs is all we can afford, each run must hand back its retired count
 * and checksum (tinybench's task functions return nothing we can read),
 * and machine construction and image loading must stay outside the timed
 * part (RunResult.seconds covers only the run loop). Warm-up runs are
 * discarded (V8's own JIT warms up on them); the median of the rest is
 * reported.
 */
import { createMachine } from '../src/machine.js';
import { loadFlat, readImageFile } from '../src/loaders/flat.js';
import type { Strategy } from './strategies.js';

export interface GuestTiming {
  checksum: number;
  instructions: number;
  /** Median seconds of the timed runs. */
  seconds: number;
  runs: number[];
}

/** A guest that needs more than this is broken, not slow. */
const MAX_INSTRUCTIONS = 500_000_000;

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

function runOnce(image: Uint8Array, name: string, strategy: Strategy): { checksum: number; instructions: number; seconds: number } {
  const machine = createMachine({ memoryMiB: 16, tier: strategy.tier });
  loadFlat(machine, image, name);
  const r = machine.run({ maxInstructions: MAX_INSTRUCTIONS });
  if (r.outcome.kind !== 'halted') throw new Error(`workload ${name} under ${strategy.name} did not halt cleanly: ${r.message}`);
  return { checksum: machine.cpu.regs[0]! >>> 0, instructions: r.retired, seconds: r.seconds };
}

export function timeGuest(imagePath: string, name: string, strategy: Strategy, warmup: number, runs: number): GuestTiming {
  const image = readImageFile(imagePath);
  for (let i = 0; i < warmup; i++) runOnce(image, name, strategy);
  const results = Array.from({ length: runs }, () => runOnce(image, name, strategy));
  const first = results[0]!;
  for (const r of results) {
    if (r.checksum !== first.checksum || r.instructions !== first.instructions) {
      throw new Error(`workload ${name} under ${strategy.name} is not deterministic: checksum ${first.checksum.toString(16)}/${r.checksum.toString(16)}, instructions ${first.instructions}/${r.instructions}`);
    }
  }
  const seconds = results.map((r) => r.seconds);
  return { checksum: first.checksum, instructions: first.instructions, seconds: median(seconds), runs: seconds };
}
