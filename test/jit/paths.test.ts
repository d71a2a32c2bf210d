/**
 * The translated code's less common paths, in every JIT configuration of
 * the SMC tests (each SMC policy, compiled at once and only when hot) and
 * with tiny, uneven time slices, against the reference interpreter and
 * against values computed here from the guests' definitions:
 *
 * - jit-paths.S: accesses that miss the TLB inside loops (the loop leaves
 *   with JitExit.Slow and the interpreter carries on), dwords across page
 *   ends, REP MOVS/STOS in bulk (forward overlap, DF = 1, page-crossing
 *   elements, non-uniform STOSD), CF kept by INC/DEC across the blocks of
 *   a loop, recursive calls (RET within the region), an x87 loop (runtime
 *   helpers called from translated code), LOOP with a memory operand.
 * - jit-faults.S: a fault in the N-th iteration of a loop (a load and a
 *   store hitting page faults, #DE, a REP MOVSD running into an absent
 *   page): every tier must report the same fault, EIP, registers and flags
 *   (lazy flags pending at the faulting instruction).
 *
 *   npx vitest run test/jit/paths.test.ts
 */
import { describe, expect, it } from 'vitest';
import { ExitReason } from '../../runtime/exit-reason.js';
import { fold, GuestRun, guestImage, RESULTS, TIER_CONFIGS, type TierConfig } from './harness.js';

const TIMEOUT = 180_000;
const INTERPRETER = TIER_CONFIGS[0]!;
/** Uneven slice sizes: budget tests fail inside most loops, and bulk string runs stop short. */
const TINY = [5, 1, 97, 3, 600, 17, 2000, 2];

/** Little-endian dword of `bytes` at k. */
function le32(bytes: Uint8Array, k: number): number {
  return (bytes[k]! | (bytes[k + 1]! << 8) | (bytes[k + 2]! << 16) | (bytes[k + 3]! << 24)) >>> 0;
}

/** The results jit-paths.S must leave, from its definitions. */
function expectedPaths(): number[] {
  const LEN = 12300;
  const buf = new Uint8Array(LEN + 3);
  for (let i = 0; i < LEN; i++) buf[i] = (3 + 7 * i) & 0xff;
  let sum = 0;
  for (let k = 0; k < LEN - 3; k++) sum = (sum + le32(buf, k)) >>> 0;

  const over = new Uint8Array(400);
  for (let k = 0; k < 64; k++) over[k] = k + 1;
  for (let k = 1; k <= 300; k++) over[k] = over[k - 1]!; // element by element, forward
  const overFold = fold(over);

  const stos = new Uint8Array(8400);
  const view = new DataView(stos.buffer);
  for (let k = 0; k < 1500; k++) view.setUint32(4 * k, 0x11223344, true);
  for (let k = 0; k < 700; k++) view.setUint16(6000 + 2 * k, 0x5555, true);
  stos.fill(0x66, 7400, 8399);
  const stosFold = fold(Array.from({ length: 2099 }, (_, k) => le32(stos, 4 * k)));

  const ELEMS = 3000;
  const back = Array.from({ length: ELEMS }, (_, k) => Math.imul(k, 0x9e3779b9) >>> 0);
  const overlapFold = fold(new Array<number>(ELEMS).fill(0x12345678));

  const fib = (n: number): number => (n < 2 ? n : fib(n - 1) + fib(n - 2));
  let h = 0;
  for (let k = 1; k <= 20; k++) h += 1 / k;
  let loopSum = 0;
  for (let i = 0, e = 0; i < 5000; i++, e = (e + 1) % ELEMS) loopSum = (loopSum + back[e]!) >>> 0;
  return [sum, overFold, stosFold, fold(back), overlapFold, 99, fib(18), Math.trunc(h * 1000), loopSum];
}

/** Every configuration: the interpreter, each SMC policy at both thresholds. */
const CONFIGS = TIER_CONFIGS;

describe('JIT paths: loops through TLB misses, bulk strings, kept CF, calls, x87', () => {
  const expected = expectedPaths();
  for (const config of CONFIGS) {
    it(`${config.label}`, () => {
      const r = new GuestRun(guestImage('jit-paths'), config);
      r.runToHalt();
      expect(r.results(expected.length).map((v) => v >>> 0)).toEqual(expected);
      if (config.strategy) expect(r.jit!.stats.compiles).toBeGreaterThan(0);
    }, TIMEOUT);
  }
  it('the same final state in tiny slices as in the interpreter', () => {
    const reference = new GuestRun(guestImage('jit-paths'), INTERPRETER);
    reference.runToHalt();
    for (const config of CONFIGS.slice(1, 3)) {
      const r = new GuestRun(guestImage('jit-paths'), config);
      r.runToHalt(50_000_000, TINY);
      expect(r.results(expected.length), config.label).toEqual(expected);
      expect(r.registers(), config.label).toEqual(reference.registers());
      expect(r.retired, config.label).toBe(reference.retired);
    }
  }, TIMEOUT);
  it('loops that miss the TLB leave through the slow exit and come back', () => {
    const r = new GuestRun(guestImage('jit-paths'), CONFIGS[1]!);
    r.runToHalt();
    expect(r.jit!.stats.slowExits).toBeGreaterThan(0);
  }, TIMEOUT);
});

/** The state a run that ends in a fault reports. */
interface FaultState {
  readonly vector: number;
  readonly errorCode: number;
  readonly cr2: number;
  readonly eip: number;
  readonly eflags: number;
  readonly regs: readonly number[];
  readonly retired: number;
}

const SCENARIO = 0x70100;

function runToFault(config: TierConfig, scenario: number, slices: readonly number[] | null): FaultState {
  const r = new GuestRun(guestImage('jit-faults'), config);
  r.machine.mem.write32(SCENARIO, scenario);
  const exit = r.runToExit(5_000_000, slices ?? undefined);
  expect(exit.reason, `${config.label}: a fault`).toBe(ExitReason.ExceptionOrNmi);
  const f = exit.fault!;
  const cpu = r.machine.cpu;
  return {
    vector: f.vector, errorCode: f.errorCode, cr2: f.vector === 14 ? f.cr2 >>> 0 : 0,
    eip: cpu.eip >>> 0, eflags: r.machine.interpreter.backend.eflags() >>> 0, regs: r.registers(), retired: r.retired,
  };
}

describe('JIT faults in the middle of loops', () => {
  const scenarios = [
    { n: 0, name: 'a load loop reaching an absent page', vector: 14, errorCode: 0, cr2: 0x300000 },
    { n: 1, name: 'a store loop reaching a read-only page', vector: 14, errorCode: 3, cr2: 0x302000 },
    { n: 2, name: 'a divide loop reaching a zero divisor', vector: 0, errorCode: 0, cr2: 0 },
    { n: 3, name: 'REP MOVSD reaching an absent page', vector: 14, errorCode: 2, cr2: 0x300000 },
    { n: 4, name: 'an x87 store, the last of four x87 instructions in a row, reaching an absent page', vector: 14, errorCode: 2, cr2: 0x300000 },
  ];
  for (const s of scenarios) {
    it(s.name, () => {
      const reference = runToFault(INTERPRETER, s.n, null);
      expect({ vector: reference.vector, errorCode: reference.errorCode, cr2: reference.cr2 }).toEqual({ vector: s.vector, errorCode: s.errorCode, cr2: s.cr2 });
      for (const config of CONFIGS.slice(1)) expect(runToFault(config, s.n, null), config.label).toEqual(reference);
      expect(runToFault(CONFIGS[1]!, s.n, TINY), 'tiny slices').toEqual(reference);
    }, TIMEOUT);
  }
});

