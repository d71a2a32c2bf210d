/**
 * An interrupt that is pending while IF = 0 (runtime/vcpu.ts waiting(),
 * StateSlot.IntrWaiting): the vCPU runs the tier as usual instead of
 * stepping each instruction, and the tier returns where IF becomes 1, so
 * the interrupt is still taken exactly there: after the instruction that
 * STI's blocking covers, right after POPF. Every tier runs guest
 * irq-window (test/jit/guests/irq-window.S) and must agree with the
 * interpreter, which takes each of the 80 interrupts where expected.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DebugCon, DebugConBuffer, DEBUGCON_PORT } from '../../runtime/devices/debugcon.js';
import { createMachine } from '../../src/machine.js';
import { loadMultiboot } from '../../src/loaders/multiboot.js';
import { systemLinkedGuest } from './harness.js';

const TIERS = ['interpreter', 'jit-hot', 'jit-inline', 'jit-eager-inline'] as const;
/** Rounds of the guest, each an STI window and a POPF window with the interrupt pending. */
const ROUNDS = 40;

function run(tier: string): { lines: string[]; end: string; windowSteps: number; retired: number } {
  const machine = createMachine({ memoryMiB: 32, tier, cpu: 'pentium3' });
  const out = new DebugConBuffer();
  machine.io.register(DEBUGCON_PORT, 1, new DebugCon(out.sink));
  loadMultiboot(machine, new Uint8Array(readFileSync(systemLinkedGuest('irq-window', 'jit-inline'))), { cmdline: 'irq-window' }, 'irq-window');
  const result = machine.run({ maxInstructions: 50_000_000 });
  machine.close();
  return { lines: out.text().split('\n').filter((l) => l !== ''), end: result.message, windowSteps: machine.vcpu.windowSteps, retired: result.retired };
}

describe('an interrupt pending while IF = 0', () => {
  const reference = run('interpreter');

  it('the interpreter takes each one where IF becomes 1', () => {
    expect(reference.lines).toEqual([`ticks ${(ROUNDS * 2).toString(16).padStart(8, '0')} wrong 00000000`]);
  });

  for (const tier of TIERS.slice(1)) {
    it(`${tier}: the same, without stepping the interrupts-off code one instruction at a time`, () => {
      const r = run(tier);
      expect(r.lines).toEqual(reference.lines);
      expect(r.end).toBe(reference.end);
      // Each round's two loops of 300 iterations run with the interrupt pending: stepped, they would be
      // some 2,000 window steps a round. Only the instruction after each STI is stepped.
      expect(r.retired).toBeGreaterThan(ROUNDS * 2 * 900);
      expect(r.windowSteps).toBeLessThanOrEqual(ROUNDS * 2);
    });
  }
});
