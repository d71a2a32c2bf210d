/**
 * The TLB array's bookkeeping (runtime/paging/tlb.ts): a flush of the
 * non-global entries (a CR3 load under CR4.PGE) visits only the pages
 * given non-global entries and leaves every global one, also for pages
 * whose entry changed kind; a full flush drops both kinds; forEach and
 * watchWhere see every live entry once.
 *
 *   npx vitest run test/runtime/tlb.test.ts
 */
import { describe, expect, it } from 'vitest';
import { Tlb } from '../../runtime/paging/tlb.js';
import { TLB_CODE, TLB_GLOBAL, TLB_VALID } from '../../runtime/paging/tlb-entry.js';

const RAM_PAGES = 1024;

function fresh(): { tlb: Tlb; e: Int32Array } {
  const e = new Int32Array(1 << 20);
  return { tlb: new Tlb(e, RAM_PAGES), e };
}

describe('Tlb', () => {
  it('flushNonGlobal keeps global entries and drops the others, whatever kind a page had before', () => {
    const { tlb, e } = fresh();
    tlb.set(0xc0000, 0x1000, TLB_VALID | TLB_GLOBAL); // global
    tlb.set(0x08048, 0x2000, TLB_VALID); // user
    tlb.set(0x08049, 0x3000, TLB_VALID | TLB_GLOBAL); // global, then non-global: must go
    tlb.set(0x08049, 0x3000, TLB_VALID);
    tlb.set(0xc0001, 0x4000, TLB_VALID); // non-global, then global: must stay
    tlb.set(0xc0001, 0x4000, TLB_VALID | TLB_GLOBAL);
    tlb.flushNonGlobal();
    expect(e[0xc0000]).not.toBe(0);
    expect(e[0x08048]).toBe(0);
    expect(e[0x08049]).toBe(0);
    expect(e[0xc0001]).not.toBe(0);
    const seen: number[] = [];
    tlb.forEach((p) => seen.push(p));
    expect(seen.sort()).toEqual([0xc0000, 0xc0001]);
    // A second flush, and entries made after it, behave the same.
    tlb.set(0x08048, 0x2000, TLB_VALID);
    tlb.flushNonGlobal();
    expect(e[0x08048]).toBe(0);
    expect(e[0xc0000]).not.toBe(0);
    expect(e[0xc0001]).not.toBe(0);
  });

  it('flushAll drops both kinds; forEach visits a page in both lists once', () => {
    const { tlb, e } = fresh();
    tlb.set(5, 0x5000, TLB_VALID);
    tlb.set(5, 0x5000, TLB_VALID | TLB_GLOBAL);
    tlb.set(6, 0x6000, TLB_VALID | TLB_GLOBAL);
    const seen: number[] = [];
    tlb.forEach((p) => seen.push(p));
    expect(seen.sort()).toEqual([5, 6]);
    tlb.flushAll();
    expect(e[5]).toBe(0);
    expect(e[6]).toBe(0);
    expect(tlb.size).toBe(0);
    tlb.forEach(() => { throw new Error('nothing is live'); });
  });

  it('watchWhere marks global and non-global entries of watched frames', () => {
    const { tlb, e } = fresh();
    tlb.set(7, 0x7000, TLB_VALID);
    tlb.set(8, 0x7000, TLB_VALID | TLB_GLOBAL);
    tlb.set(9, 0x9000, TLB_VALID | TLB_GLOBAL);
    tlb.watchWhere((f) => f === 7);
    expect(e[7]! & TLB_CODE).toBe(TLB_CODE);
    expect(e[8]! & TLB_CODE).toBe(TLB_CODE);
    expect(e[9]! & TLB_CODE).toBe(0);
  });
});
