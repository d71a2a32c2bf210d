/**
 * Paging policies: the strategy that fills and keeps the TLB coherent with
 * the guest's page tables. The MMU (runtime/mmu.ts) owns the walk and the
 * TLB format; a policy decides what a CR3 load, an INVLPG, a paging-mode
 * change and a guest write to a paging structure do to the TLB, and counts
 * what it did for the exit statistics.
 *
 * - 'nested' (runtime/paging/nested.ts): like EPT, the guest's tables are
 *   not write-protected; the TLB behaves as the processor's does (SDM vol.
 *   3, 4.10.4): flushed on CR3 loads except for global entries, INVLPG drops
 *   one page, a miss walks the guest tables.
 * - 'shadow' (runtime/paging/shadow.ts): the TLB is a shadow page table kept
 *   coherent by write-protecting the guest's paging structures; shadows of
 *   recent address spaces survive CR3 switches.
 */
import type { CpuState } from '../cpu.js';
import type { PhysicalMemory } from '../memory.js';
import type { Tlb } from './tlb.js';
import type { PageWalker, WalkResult } from './walker.js';

export type PagingPolicyName = 'shadow' | 'nested';

export const PAGING_POLICY_NAMES: readonly PagingPolicyName[] = ['nested', 'shadow'];

/** What a policy did, for the exit statistics (all counts since the policy was created). */
export interface PagingCounters {
  /** Guest page walks (TLB misses with paging on), faulting ones included. */
  walks: number;
  /** TLB entries written by misses (with paging on or off). */
  fills: number;
  /** #PF raised by walks. */
  pageFaults: number;
  /** Whole-TLB flushes: paging-mode changes, flush(), and (nested) CR3 loads. */
  flushes: number;
  cr3Loads: number;
  invlpgs: number;
  /** Paging-mode changes (CR0.PG/WP, CR4.PSE/PAE/PGE, EFER.NXE). */
  modeChanges: number;
  /** Entries that survived a CR3 load because they were global (nested). */
  globalsKept: number;
  /** Guest writes to write-protected paging structures (each is a VM exit under shadow paging). */
  pageTableWrites: number;
  /** Shadow entries dropped because an entry they were derived from was written. */
  shadowDrops: number;
  /** CR3 loads that switched to a kept shadow instead of starting an empty one. */
  shadowRestores: number;
  /** Entries put back into the TLB by those restores (each a walk saved). */
  shadowEntriesRestored: number;
  /** Shadows started empty (first use of a CR3 value, or its shadow was evicted or invalid). */
  shadowsCreated: number;
  /** Shadows dropped to keep at most the configured number. */
  shadowEvictions: number;
  /** Global entries copied into the shadow of the CR3 switched to. */
  globalsCarried: number;
  /** Physical pages write-protected now (a gauge, not a count). */
  protectedPages: number;
}

export function newCounters(): PagingCounters {
  return {
    walks: 0, fills: 0, pageFaults: 0, flushes: 0, cr3Loads: 0, invlpgs: 0, modeChanges: 0, globalsKept: 0,
    pageTableWrites: 0, shadowDrops: 0, shadowRestores: 0, shadowEntriesRestored: 0, shadowsCreated: 0,
    shadowEvictions: 0, globalsCarried: 0, protectedPages: 0,
  };
}

/** What a policy works on: the vCPU, guest memory, the TLB and the walker (its PDPTE registers). */
export interface PagingContext {
  readonly cpu: CpuState;
  readonly mem: PhysicalMemory;
  readonly tlb: Tlb;
  readonly walker: PageWalker;
}

export interface PagingPolicy {
  readonly name: PagingPolicyName;
  readonly counters: PagingCounters;
  /** Before a walk (paging on, PDPTE registers loaded): bring the policy's state in line with CR3. */
  prepareFill(): void;
  /** A walk for linear page `page` succeeded; called before its TLB entry is written. */
  recordFill(page: number, walk: WalkResult): void;
  /** CR3 was loaded (MOV to CR3 or a task switch); PAE PDPTE registers are already reloaded. */
  cr3Loaded(): void;
  /** INVLPG of linear page `page`. */
  invlpg(page: number): void;
  /** A walk for linear page `page` raised #PF: its entry goes, as the processor's does (SDM vol. 3, 4.10.4.2). */
  faulted(page: number): void;
  /** Drop every translation and everything derived from the guest's tables (mode change, flush, policy switch). */
  dropAll(): void;
  /** A guest write of `len` bytes at `pa` reached a page this policy write-protected. */
  pageTableWritten(pa: number, len: number): void;
}

/** Linear pages per large page: 4 MiB pages in 32-bit paging, 2 MiB pages in PAE paging. */
export function largePagePages(walker: PageWalker): number {
  return walker.pae ? 512 : 1024;
}
