/**
 * Reuse of TLB lookups within a block of translated code (tlbAccess in
 * translator/emit/emit-backend.ts): a later access near an earlier one
 * tests at run time whether it lies in the earlier one's page, and takes
 * the earlier entry only when that lookup allowed the access. The guest
 * test/jit/guests/tlb-reuse.S runs, in loops (where the reuse applies),
 * the cases where the earlier lookup must not answer:
 * - a second load in the next page, which is not present: #PF at the
 *   second instruction, and one that straddles into it;
 * - a store after a load of a read-only page: #PF (write);
 * - a runtime store (an x87 helper) rewriting the PTE between two loads
 *   of the page, under both paging policies;
 * - a store into the running block's page after a load of it (SMC).
 * Every tier must end like the reference interpreter (and as the SDM
 * says, where the outcome is fixed).
 *
 *   npx vitest run test/jit/tlb-reuse.test.ts
 */
import { describe, expect, it } from 'vitest';
import { ExitReason } from '../../runtime/exit-reason.js';
import type { PagingPolicyName } from '../../runtime/mmu.js';
import { fold, GuestRun, guestImage, RESULTS, TIER_CONFIGS, type TierConfig } from './harness.js';

const TIMEOUT = 180_000;
const SCENARIO = 0x70100;
const N = 64;
const INTERPRETER = TIER_CONFIGS[0]!;
const POLICIES: readonly PagingPolicyName[] = ['nested', 'shadow'];

function start(config: TierConfig, scenario: number, policy: PagingPolicyName): GuestRun {
  const r = new GuestRun(guestImage('tlb-reuse'), config);
  r.machine.interpreter.mmu.setPolicy(policy);
  r.machine.mem.write32(SCENARIO, scenario);
  return r;
}

interface FaultState {
  readonly vector: number;
  readonly errorCode: number;
  readonly cr2: number;
  readonly eip: number;
  readonly regs: number[];
  readonly retired: number;
}

function runToFault(config: TierConfig, scenario: number, policy: PagingPolicyName): FaultState {
  const r = start(config, scenario, policy);
  const exit = r.runToExit(5_000_000);
  expect(exit.reason, `${config.label}: a fault`).toBe(ExitReason.ExceptionOrNmi);
  const f = exit.fault!;
  return { vector: f.vector, errorCode: f.errorCode, cr2: f.cr2 >>> 0, eip: r.machine.cpu.eip >>> 0, regs: r.registers(), retired: r.retired };
}

function runToResult(config: TierConfig, scenario: number, policy: PagingPolicyName): { result: number; regs: number[] } {
  const r = start(config, scenario, policy);
  r.runToHalt();
  return { result: r.read32(RESULTS), regs: r.registers() };
}

const ABSENT = 0x300000;
const READONLY = 0x302000;

describe('TLB lookups reused within a block', () => {
  const faults = [
    { n: 0, name: 'a load in the next page, not present: #PF at the second load', errorCode: 0, cr2: ABSENT, esi: ABSENT - 8 },
    { n: 1, name: 'a load straddling into the next page, not present: #PF at the second load', errorCode: 0, cr2: ABSENT, esi: ABSENT - 8 },
    { n: 2, name: 'a store after a load of a read-only page: #PF (write) at the store', errorCode: 3, cr2: READONLY, edi: READONLY },
  ];
  for (const policy of POLICIES) {
    for (const s of faults) {
      it(`${s.name} (${policy})`, () => {
        const reference = runToFault(INTERPRETER, s.n, policy);
        expect({ vector: reference.vector, errorCode: reference.errorCode, cr2: reference.cr2 }).toEqual({ vector: 14, errorCode: s.errorCode, cr2: s.cr2 });
        if (s.esi !== undefined) expect(reference.regs[6]).toBe(s.esi);
        if (s.edi !== undefined) expect(reference.regs[7]).toBe(s.edi);
        for (const config of TIER_CONFIGS.slice(1)) expect(runToFault(config, s.n, policy), config.label).toEqual(reference);
      }, TIMEOUT);
    }

    it(`a runtime store rewriting the PTE between two loads of the page (${policy})`, () => {
      const reference = runToResult(INTERPRETER, 3, policy);
      if (policy === 'shadow') {
        // Shadow paging drops the translation when the PTE is written: each second load sees the new frame.
        const A = 0x11111111, B = 0x22222222;
        const seen: number[] = [];
        let cur = A;
        for (let c = N; c >= 1; c--) {
          seen.push(cur);
          cur = c & 1 ? B : A;
          seen.push(cur);
        }
        expect(reference.result).toBe(fold(seen));
      }
      for (const config of TIER_CONFIGS.slice(1)) expect(runToResult(config, 3, policy), config.label).toEqual(reference);
    }, TIMEOUT);

    it(`a store into the running block's page after a load of it (${policy})`, () => {
      const seen: number[] = [];
      for (let c = N; c >= 1; c--) seen.push(c === N ? 0x12345678 : 3 * (c + 1), 3 * c);
      const reference = runToResult(INTERPRETER, 4, policy);
      expect(reference.result).toBe(fold(seen));
      for (const config of TIER_CONFIGS.slice(1)) expect(runToResult(config, 4, policy), config.label).toEqual(reference);
    }, TIMEOUT);
  }
});
