/**
 * The gates of the x87 inline paths in translated code
 * (translator/semantics/x87.ts): CR0.TS makes the next x87 instruction
 * #NM, FNSTSW included; a pending unmasked exception makes the next
 * waiting one #MF. The guest test/jit/guests/x87-gates.S runs them in
 * loops, so that the instructions run from translated code; every tier
 * must fault where the reference interpreter does, with the same state.
 *
 *   npx vitest run test/jit/x87-gates.test.ts
 */
import { describe, expect, it } from 'vitest';
import { ExitReason } from '../../runtime/exit-reason.js';
import { GuestRun, guestImage, TIER_CONFIGS, type TierConfig } from './harness.js';

const TIMEOUT = 180_000;
const SCENARIO = 0x70100;
const INTERPRETER = TIER_CONFIGS[0]!;

function runToFault(config: TierConfig, scenario: number) {
  const r = new GuestRun(guestImage('x87-gates'), config);
  r.machine.mem.write32(SCENARIO, scenario);
  const exit = r.runToExit(5_000_000);
  expect(exit.reason, `${config.label}: a fault`).toBe(ExitReason.ExceptionOrNmi);
  const f = r.machine.cpu.fpu;
  return {
    vector: exit.fault!.vector, eip: r.machine.cpu.eip >>> 0, regs: r.registers(),
    fpu: [...f.words], out: [0, 4, 8, 12].map((k) => r.read32(0x70300 + k)),
  };
}

describe('x87 inline paths: the gates in translated code', () => {
  const cases = [
    { n: 0, name: 'CR0.TS: #NM at the next FLD', vector: 7 },
    { n: 1, name: 'a pending unmasked exception: #MF at the next FLD', vector: 16 },
    { n: 2, name: 'CR0.TS: #NM at FNSTSW AX', vector: 7 },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const reference = runToFault(INTERPRETER, c.n);
      expect(reference.vector).toBe(c.vector);
      expect(reference.regs[1]).toBe(c.n === 2 ? 4 : 3); // ECX: the pass after the gate closed (FNSTSW: the same pass)
      for (const config of TIER_CONFIGS.slice(1)) expect(runToFault(config, c.n), config.label).toEqual(reference);
    }, TIMEOUT);
  }
});
