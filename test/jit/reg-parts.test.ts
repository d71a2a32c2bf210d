/**
 * Byte and word register parts read back after a write in the same block
 * (EmitBackend's known register parts): the guest test/jit/guests/reg-parts.S
 * writes AL, AH, AX, CL, BL, BH and reads them back in loops, including
 * after writes that must make a known part stale (a whole-register write,
 * a REP MOVSB whose bulk path writes ECX, an overlapping part, a shift by
 * CL that writes AL on one path only). Every tier must leave the values
 * computed here and the reference interpreter's final registers.
 *
 *   npx vitest run test/jit/reg-parts.test.ts
 */
import { describe, expect, it } from 'vitest';
import { GuestRun, guestImage, TIER_CONFIGS } from './harness.js';

const TIMEOUT = 120_000;
const ROUNDS = 300;
const INTERPRETER = TIER_CONFIGS[0]!;

const fold = (s: number, v: number): number => (Math.imul(s, 3) + v) >>> 0;

/** What reg-parts.S must leave at RESULTS, from its comments. */
function expected(): number[] {
  const data = (k: number): number => (k * 5 + 1) & 0xff;
  // 1.
  let s = 0;
  let eax = 0x12345678;
  for (let b = 0; b < ROUNDS; b++) {
    const al = (data(b) + 1) & 0xff;
    eax = ((eax & ~0xff) | al) >>> 0;
    s = fold(s, eax & 0xffff);
    s = fold(s, eax);
  }
  const r1 = s;
  // 2.
  s = 0;
  eax = 0xdeadbeef;
  for (let b = 0; b < ROUNDS; b++) {
    eax = ((eax & ~0xffff) | (data(b) << 8) | (b & 0xff)) >>> 0;
    s = fold(s, eax & 0xffff);
    eax = ((eax & ~0xffff) | ((b + 0x1234) & 0xffff)) >>> 0;
    s = fold(s, eax & 0xff);
    s = fold(s, (eax >>> 8) & 0xff);
    s = fold(s, eax);
  }
  const r2 = s;
  // 3. After REP MOVSB of 40 bytes: ECX = 0 (so CL = 0), EDI = DST + 40.
  let p = 0;
  for (let b = 0; b < ROUNDS; b++) p = (Math.imul(p, 3) + 0 + 0 + 0x202000 + 40) >>> 0;
  const r3 = p;
  // 4.
  s = 0;
  for (let b = 0; b < ROUNDS; b++) s = fold(s, (0x100 + 3 * b) & 0xff);
  const r4 = s;
  // 5.
  s = 0;
  for (let b = 0; b < ROUNDS; b++) s = fold(s, (data(b) << (b & 1)) & 0xff);
  const r5 = s;
  // 6.
  s = 0;
  for (let c = 0; c < ROUNDS; c++) {
    const ebx = ((c & ~0xffff) | (data(c) << 8) | ((c + 3) & 0xff)) >>> 0;
    s = fold(s, ebx & 0xffff);
    s = fold(s, ebx);
  }
  return [r1, r2, r3, r4, r5, s];
}

describe('register parts read back after a write', () => {
  const want = expected();
  const reference = new GuestRun(guestImage('reg-parts'), INTERPRETER);
  reference.runToHalt();
  for (const config of TIER_CONFIGS) {
    it(config.label, () => {
      const r = new GuestRun(guestImage('reg-parts'), config);
      r.runToHalt();
      expect(r.results(want.length).map((v) => v >>> 0)).toEqual(want);
      expect(r.registers()).toEqual(reference.registers());
      if (config.strategy) expect(r.jit!.stats.compiles).toBeGreaterThan(0);
    }, TIMEOUT);
  }
});
