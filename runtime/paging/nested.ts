/**
 * The nested (EPT-like) paging policy: the guest's page tables are used as
 * they are, never write-protected, and the TLB behaves as the processor's
 * does (SDM vol. 3, 4.10.4): a miss walks the guest tables; a CR3 load drops
 * every entry except global ones (when CR4.PGE); INVLPG drops the entries of
 * one page; a paging-mode change drops everything. A guest that changes a
 * paging-structure entry must invalidate, as on hardware.
 */
import { type PagingContext, type PagingCounters, type PagingPolicy, largePagePages, newCounters } from './policy.js';
import type { WalkResult } from './walker.js';
import { CR4_PGE } from '../cpu.js';

export class NestedPolicy implements PagingPolicy {
  readonly name = 'nested' as const;
  readonly counters: PagingCounters = newCounters();

  constructor(private readonly ctx: PagingContext) {}

  prepareFill(): void {}

  recordFill(_page: number, _walk: WalkResult): void {}

  cr3Loaded(): void {
    const { tlb, cpu } = this.ctx;
    this.counters.cr3Loads++;
    this.counters.flushes++;
    if (cpu.cr4 & CR4_PGE) {
      tlb.flushNonGlobal();
      this.counters.globalsKept += tlb.size;
    } else {
      tlb.flushAll();
    }
  }

  invlpg(page: number): void {
    const tlb = this.ctx.tlb;
    this.counters.invlpgs++;
    tlb.drop(page);
    // The processor holds a large page in one entry: every 4 KiB piece of it goes.
    tlb.forEachLargePiece(page, largePagePages(this.ctx.walker), (p) => tlb.drop(p));
  }

  faulted(page: number): void {
    this.ctx.tlb.drop(page);
  }

  dropAll(): void {
    this.counters.flushes++;
    this.ctx.tlb.flushAll();
  }

  pageTableWritten(): void {
    // Nothing is write-protected under this policy.
  }
}
