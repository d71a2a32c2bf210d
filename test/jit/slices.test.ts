/**
 * Time slices sized by what can happen (runtime/vcpu.ts): under
 * instruction time a slice lasts until the next timer deadline, and a
 * device access that raises INTR during a slice ends it early
 * (ExecutionTier.endSliceEarly), so long slices take every interrupt where
 * the interpreter takes it. slice-irq.S: an interrupt a port write raises
 * in a hot loop, and PIT ticks counted against loop iterations.
 *
 *   npx vitest run test/jit/slices.test.ts
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DebugCon, DebugConBuffer, DEBUGCON_PORT } from '../../runtime/devices/debugcon.js';
import { InstructionTimeSource, VirtualClock } from '../../runtime/devices/clock.js';
import { createMachine, type Machine } from '../../src/machine.js';
import { loadMultiboot } from '../../src/loaders/multiboot.js';
import { systemLinkedGuest } from './harness.js';

const TIERS = ['interpreter', 'jit-eager', 'jit-hot', 'jit-hot-O2'] as const;
/** The port of the test's device, and the IRQ it drives (slice-irq.S). */
const DEVICE_PORT = 0x81;
const DEVICE_IRQ = 5;

const buildGuest = (name: string): string => systemLinkedGuest(name, 'jit-slices');

interface Run {
  readonly lines: string[];
  readonly end: string;
  readonly machine: Machine;
}

function runGuest(tier: string): Run {
  const machine = createMachine({ memoryMiB: 8, tier });
  const out = new DebugConBuffer();
  machine.io.register(DEBUGCON_PORT, 1, new DebugCon(out.sink));
  machine.io.register(DEVICE_PORT, 1, { read: () => 0xff, write: (_port, _size, v) => machine.chipset.irq.setIrq(DEVICE_IRQ, (v & 1) !== 0) });
  loadMultiboot(machine, new Uint8Array(readFileSync(buildGuest('slice-irq'))), { cmdline: 'slice-irq' }, 'slice-irq');
  const result = machine.run({ maxInstructions: 20_000_000 });
  machine.close();
  return { lines: out.text().split('\n').filter((l) => l !== ''), end: result.message, machine };
}

describe('slice-irq guest: interrupts at the same instruction in every tier', () => {
  const runs = new Map(TIERS.map((t) => [t, runGuest(t)] as const));
  const reference = runs.get('interpreter')!;

  it('the interpreter takes the device interrupt right after the OUT that raised it, and counts the ticks', () => {
    expect(reference.lines).toHaveLength(2);
    expect(reference.lines[0]).toBe('device ebx 00000bb8 at raised 00000001');
    const ticks = reference.lines[1]!.split(' ').slice(1).map((h) => parseInt(h, 16));
    expect(ticks).toHaveLength(6);
    for (let k = 1; k < ticks.length; k++) expect(ticks[k]).toBeGreaterThan(ticks[k - 1]!);
  });

  for (const tier of TIERS.slice(1)) {
    it(`${tier}: the same instructions`, () => {
      const run = runs.get(tier)!;
      expect(run.lines).toEqual(reference.lines);
      expect(run.end).toBe(reference.end);
      // The loops ran translated, in slices far longer than the iterations between ticks.
      expect(run.machine.vcpu.interruptPollInstructions).toBeGreaterThan(100_000);
      expect(run.machine.jit!.stats.compiles).toBeGreaterThan(0);
    });
  }
});

describe('instructions to the next deadline', () => {
  it('counts the instructions that bring instruction time to a deadline, rounding as now() does', () => {
    let retired = 0;
    const source = new InstructionTimeSource(() => retired, 2.5);
    const clock = new VirtualClock(source);
    expect(clock.instructionsToNextDeadline()).toBe(Infinity);
    const timer = clock.timer(() => {});
    timer.arm(1001);
    // now() = floor(retired * 2.5): 1000 at 400, 1002 at 401.
    expect(clock.instructionsToNextDeadline()).toBe(401);
    retired = 400;
    expect(source.now()).toBe(1000);
    expect(clock.instructionsToNextDeadline()).toBe(1);
    retired = 401;
    expect(clock.instructionsToNextDeadline()).toBe(0);
    source.skip(500);
    timer.arm(2000);
    // 1502 now; 2000 at floor(n * 2.5) + 500 >= 2000: n = 600.
    expect(clock.instructionsToNextDeadline()).toBe(199);
  });

  it('is null for a clock that moves by itself', () => {
    const clock = new VirtualClock();
    clock.timer(() => {}).arm(5);
    expect(clock.instructionsToNextDeadline()).toBeNull();
  });
});
