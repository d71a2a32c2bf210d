/**
 * Accesses through FS and GS with a base and a 4 GiB limit, which
 * translated code makes itself (the base from the state block, then the
 * inline TLB: EmitBackend.inlineLinear, StateSlot.WholeSpace). The
 * guest test/jit/guests/segment-bases.S loops over loads and stores of
 * every width through two such bases, across pages, with x87 8-byte
 * accesses, reloading GS with another base as it goes; and, in three
 * more scenarios, runs offsets up to the limit, where the access whose
 * last byte passes 4 GiB is #GP(0), and past a 64 KiB GS's limit (in the
 * same translated code, which tests at run time that GS spans 4 GiB).
 * Every tier must end like the reference interpreter.
 *
 *   npx vitest run test/jit/segment-bases.test.ts
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ExitReason } from '../../runtime/exit-reason.js';
import { GuestRun, guestImage, RESULTS, TIER_CONFIGS, type TierConfig } from './harness.js';

const TIMEOUT = 180_000;
const SCENARIO = 0x70100;
const INTERPRETER = TIER_CONFIGS[0]!;

/** A digest of guest memory, which toEqual compares quickly. */
function digest(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function start(config: TierConfig, scenario: number): GuestRun {
  const r = new GuestRun(guestImage('segment-bases'), config);
  r.machine.mem.write32(SCENARIO, scenario);
  return r;
}

describe('FS and GS with a base', () => {
  it('loads and stores of every width, x87 ones included, across pages and GS reloads', () => {
    const run = (config: TierConfig) => {
      const r = start(config, 0);
      r.runToHalt();
      const fpu = r.machine.cpu.fpu;
      return { result: r.read32(RESULTS), regs: r.registers(), fpu: [...fpu.words], sig: [...fpu.sig].map(String), ram: digest(r.machine.mem.u8.subarray(0x200000, 0x302000)) };
    };
    const reference = run(INTERPRETER);
    expect(reference.result).not.toBe(0);
    for (const config of TIER_CONFIGS.slice(1)) expect(run(config), config.label).toEqual(reference);
  }, TIMEOUT);

  const faults = [
    { n: 1, name: 'a dword load at FS:FFFFFFFEh', ebx: 0xfffffffe },
    { n: 2, name: 'an x87 8-byte store at GS:FFFFFFFAh', ebx: 0xfffffffa },
    { n: 3, name: 'a byte load at GS:10000h once GS is a 64 KiB segment', ebx: 0x10000 },
  ];
  for (const s of faults) {
    it(`${s.name} passes the limit: #GP(0) at that instruction`, () => {
      const run = (config: TierConfig) => {
        const r = start(config, s.n);
        const exit = r.runToExit(5_000_000);
        expect(exit.reason, `${config.label}: a fault`).toBe(ExitReason.ExceptionOrNmi);
        const fpu = r.machine.cpu.fpu;
        return { vector: exit.fault!.vector, errorCode: exit.fault!.errorCode, eip: r.machine.cpu.eip >>> 0, regs: r.registers(), fpu: [...fpu.words], ram: digest(r.machine.mem.u8.subarray(0x300000, 0x302000)) };
      };
      const reference = run(INTERPRETER);
      expect({ vector: reference.vector, errorCode: reference.errorCode, ebx: reference.regs[3]! >>> 0 }).toEqual({ vector: 13, errorCode: 0, ebx: s.ebx });
      for (const config of TIER_CONFIGS.slice(1)) expect(run(config), config.label).toEqual(reference);
    }, TIMEOUT);
  }
});
