/**
 * The shadow paging policy (as VMware's and KVM's shadow MMUs do it): the
 * TLB array is the shadow page table of the current address space, and it
 * is kept coherent with the guest's tables instead of being flushed.
 *
 * - Every shadow entry remembers the paging-structure entries (PDE, PTE) its
 *   translation was derived from. The physical pages holding them are
 *   write-protected (PhysicalMemory.pageTablePages, and TLB_CODE in every
 *   TLB entry that maps them, so translated code's stores take the slow
 *   path); a guest write to one is trapped and drops exactly the shadow
 *   entries derived from the written entry, in every kept address space.
 * - A CR3 load keeps the shadow it switches away from and restores the one
 *   of the CR3 it switches to, if it is one of the last `maxSpaces` seen,
 *   without a walk. A reload of the current CR3 keeps everything: the
 *   shadow is coherent with memory, so nothing it holds is stale (the
 *   processor flushes instead; a flush is always allowed to be skipped
 *   when the entries agree with the tables, SDM vol. 3, 4.10.4.4).
 * - With CR4.PGE, global entries of the space switched away from are copied
 *   into the new one, as global TLB entries survive CR3 loads (4.10.2.4);
 *   INVLPG drops them from every kept space.
 * - PAE PDPTEs are registers loaded on a CR3 load (4.4.1), not entries a
 *   walk reads, so they are not write-protected: a kept shadow is restored
 *   only if the PDPTE registers it was built under equal the reloaded ones.
 *
 * Departure from the processor: writes that bypass PhysicalMemory (direct
 * views of the Wasm memory) are not seen; whoever makes them must call
 * Mmu.flush().
 */
import { CR4_PGE } from '../cpu.js';
import { type PagingContext, type PagingCounters, type PagingPolicy, largePagePages, newCounters } from './policy.js';
import { entryFrame, TLB_CODE, TLB_GLOBAL, TLB_LARGE, TLB_NOT_RAM } from './tlb-entry.js';
import type { WalkResult } from './walker.js';

/** Shadow entries are named by (address-space id, linear page) folded into one number. */
const PAGES = 1 << 20;

/** The shadow of one address space (one CR3 value). */
interface ShadowSpace {
  readonly id: number;
  /** CR3's table base (page directory, or PAE's 32-byte-aligned PDPT). */
  readonly key: number;
  /** PAE: the PDPTE registers its entries were derived under. */
  readonly pdptes: Int32Array | null;
  /** Linear page → physical addresses of the paging-structure entries its translation came from. */
  readonly sources: Map<number, number[]>;
  /** While kept (not current): linear page → TLB entry. Null while current (the TLB holds them). */
  saved: Map<number, number> | null;
  /** While kept: whether any saved entry is a piece of a global large page (INVLPG then scans the page). */
  globalLarge: boolean;
}

export class ShadowPolicy implements PagingPolicy {
  readonly name = 'shadow' as const;
  readonly counters: PagingCounters = newCounters();
  /** Kept and current shadows by key, least recently current first. */
  private readonly spaces = new Map<number, ShadowSpace>();
  private readonly byId = new Map<number, ShadowSpace>();
  private active: ShadowSpace | null = null;
  private nextId = 1;
  /** Paging-structure entry address → shadow entries (id * 2^20 + page) derived from it. */
  private readonly watchers = new Map<number, Set<number>>();
  /** Physical page → how many (entry address, shadow entry) pairs lie in it. */
  private readonly frameRefs = new Map<number, number>();

  constructor(private readonly ctx: PagingContext, readonly maxSpaces = 8) {
    if (!Number.isInteger(maxSpaces) || maxSpaces < 1) throw new RangeError(`shadow paging keeps at least one address space, not ${maxSpaces}`);
  }

  /** Address spaces whose shadow is kept (the current one included). */
  get keptSpaces(): number {
    return this.spaces.size;
  }

  /** Entries of the paging structures now watched (for tests and statistics). */
  get watchedEntries(): number {
    return this.watchers.size;
  }

  prepareFill(): void {
    const key = this.keyOf();
    if (this.active?.key !== key) this.switchTo(key);
  }

  recordFill(page: number, walk: WalkResult): void {
    const space = this.active!;
    // A refill (a first write setting D, a rights upgrade) replaces what the page was derived from.
    this.unregister(space, page);
    const size = this.ctx.mem.size;
    const sources: number[] = [];
    for (let k = 0; k < walk.sourceCount; k++) {
      const a = walk.sources[k]!;
      // Entries outside RAM cannot be written (writes there are dropped), so there is nothing to watch.
      if (a < size) sources.push(a);
    }
    this.register(space, page, sources);
  }

  cr3Loaded(): void {
    this.counters.cr3Loads++;
    // Without paging the TLB holds the identity map, which CR3 does not change.
    if (this.ctx.cpu.paging) this.switchTo(this.keyOf());
  }

  invlpg(page: number): void {
    const { tlb, walker } = this.ctx;
    this.counters.invlpgs++;
    const active = this.active;
    const region = largePagePages(walker);
    if (active) {
      this.dropCurrent(active, page);
      tlb.forEachLargePiece(page, region, (p) => this.dropCurrent(active, p));
    } else {
      tlb.drop(page);
    }
    // Kept shadows agree with their own tables; only global entries copied from elsewhere can be stale.
    for (const s of this.spaces.values()) {
      if (s === active || !s.saved) continue;
      this.dropSavedGlobal(s, page);
      if (!s.globalLarge) continue;
      const first = page & ~(region - 1);
      for (let p = first; p < first + region; p++) {
        const e = s.saved.get(p);
        if (e !== undefined && (e & TLB_LARGE)) this.dropSavedGlobal(s, p);
      }
    }
  }

  faulted(page: number): void {
    if (this.active) this.dropCurrent(this.active, page);
    else this.ctx.tlb.drop(page);
  }

  dropAll(): void {
    this.counters.flushes++;
    for (const s of [...this.spaces.values()]) this.destroy(s);
    this.active = null;
    this.ctx.tlb.flushAll();
    // Every registration went with its space; anything left would be a leak of write protection.
    for (const f of this.frameRefs.keys()) this.ctx.mem.pageTablePages[f] = 0;
    this.frameRefs.clear();
    this.watchers.clear();
    this.counters.protectedPages = 0;
  }

  pageTableWritten(pa: number, len: number): void {
    this.counters.pageTableWrites++;
    const size = this.ctx.walker.pae ? 8 : 4;
    const end = pa + len;
    for (let a = pa - (pa % size); a < end; a += size) {
      const refs = this.watchers.get(a);
      if (!refs) continue;
      for (const ref of [...refs]) this.dropRef(ref);
    }
  }

  /** The key of the current CR3 (its table base in the current paging mode). */
  private keyOf(): number {
    const cr3 = this.ctx.cpu.cr3;
    return (this.ctx.walker.pae ? cr3 & ~0x1f : cr3 & ~0xfff) >>> 0;
  }

  private pdptesNow(): Int32Array | null {
    const w = this.ctx.walker;
    return w.pae ? w.pdpte : null;
  }

  private static samePdptes(a: Int32Array | null, b: Int32Array | null): boolean {
    if (a === null || b === null) return a === b;
    for (let k = 0; k < 8; k++) if (a[k] !== b[k]) return false;
    return true;
  }

  /** Make the shadow of `key` current: keep the current one, then restore or start the new one. */
  private switchTo(key: number): void {
    const { tlb, cpu } = this.ctx;
    const pdptes = this.pdptesNow();
    const old = this.active;
    if (old && old.key === key && ShadowPolicy.samePdptes(old.pdptes, pdptes)) return;
    if (old) {
      const saved = new Map<number, number>();
      let globalLarge = false;
      tlb.forEach((p, e) => {
        saved.set(p, e);
        if ((e & (TLB_GLOBAL | TLB_LARGE)) === (TLB_GLOBAL | TLB_LARGE)) globalLarge = true;
      });
      old.saved = saved;
      old.globalLarge = globalLarge;
      tlb.flushAll();
      this.active = null;
    }
    let space = this.spaces.get(key);
    if (space && !ShadowPolicy.samePdptes(space.pdptes, pdptes)) {
      // The PDPTEs were rewritten while this shadow was kept: its entries may come through stale ones.
      this.destroy(space);
      space = undefined;
    }
    if (space) {
      this.spaces.delete(key);
      this.spaces.set(key, space);
      let n = 0;
      for (const [p, e] of space.saved!) {
        tlb.setEntry(p, this.rewatched(p, e), entryFrame(e, p));
        n++;
      }
      space.saved = null;
      this.counters.shadowRestores++;
      this.counters.shadowEntriesRestored += n;
    } else {
      space = { id: this.nextId++, key, pdptes: pdptes ? Int32Array.from(pdptes) : null, sources: new Map(), saved: null, globalLarge: false };
      this.spaces.set(key, space);
      this.byId.set(space.id, space);
      this.counters.shadowsCreated++;
    }
    this.active = space;
    if (old && old !== space && this.byId.has(old.id) && (cpu.cr4 & CR4_PGE)) this.carryGlobals(old, space);
    this.evict();
  }

  /** Copy `from`'s global entries into the current shadow `to`, where it has none of its own. */
  private carryGlobals(from: ShadowSpace, to: ShadowSpace): void {
    const tlb = this.ctx.tlb;
    for (const [p, e] of from.saved!) {
      if (!(e & TLB_GLOBAL) || tlb.entries[p] !== 0) continue;
      const sources = from.sources.get(p);
      if (!sources) continue;
      tlb.setEntry(p, this.rewatched(p, e), entryFrame(e, p));
      this.register(to, p, sources.slice());
      this.counters.globalsCarried++;
    }
  }

  /** A kept entry with TLB_CODE as it must be now (frames gain and lose code and paging structures while kept). */
  private rewatched(page: number, entry: number): number {
    if (entry & TLB_NOT_RAM) return entry;
    const f = entryFrame(entry, page);
    const mem = this.ctx.mem;
    return mem.codePages[f] || mem.pageTablePages[f] ? entry | TLB_CODE : entry & ~TLB_CODE;
  }

  /** Keep at most maxSpaces shadows: drop the least recently current ones. */
  private evict(): void {
    for (const s of this.spaces.values()) {
      if (this.spaces.size <= this.maxSpaces) return;
      if (s === this.active) continue;
      this.destroy(s);
      this.counters.shadowEvictions++;
    }
  }

  private destroy(space: ShadowSpace): void {
    for (const p of [...space.sources.keys()]) this.unregister(space, p);
    if (this.spaces.get(space.key) === space) this.spaces.delete(space.key);
    this.byId.delete(space.id);
    space.saved = null;
    if (this.active === space) this.active = null;
  }

  /** Drop the current shadow's entry for `page`. */
  private dropCurrent(space: ShadowSpace, page: number): void {
    this.ctx.tlb.drop(page);
    this.unregister(space, page);
  }

  private dropSavedGlobal(space: ShadowSpace, page: number): void {
    const e = space.saved!.get(page);
    if (e === undefined || !(e & TLB_GLOBAL)) return;
    space.saved!.delete(page);
    this.unregister(space, page);
  }

  private dropRef(ref: number): void {
    const id = Math.floor(ref / PAGES);
    const page = ref - id * PAGES;
    const space = this.byId.get(id);
    if (!space) return;
    if (space === this.active) this.ctx.tlb.drop(page);
    else space.saved?.delete(page);
    this.unregister(space, page);
    this.counters.shadowDrops++;
  }

  private register(space: ShadowSpace, page: number, sources: number[]): void {
    if (sources.length === 0) return;
    space.sources.set(page, sources);
    const ref = space.id * PAGES + page;
    const { mem, tlb } = this.ctx;
    for (const a of sources) {
      let refs = this.watchers.get(a);
      if (!refs) this.watchers.set(a, (refs = new Set()));
      refs.add(ref);
      const f = Math.floor(a / 4096);
      const n = this.frameRefs.get(f) ?? 0;
      this.frameRefs.set(f, n + 1);
      if (n === 0) {
        // The page now holds paging structures: writes to it, through any linear address, must be seen.
        mem.pageTablePages[f] = 1;
        tlb.watchFrame(f);
        this.counters.protectedPages++;
      }
    }
  }

  private unregister(space: ShadowSpace, page: number): void {
    const sources = space.sources.get(page);
    if (!sources) return;
    space.sources.delete(page);
    const ref = space.id * PAGES + page;
    const { mem, tlb } = this.ctx;
    for (const a of sources) {
      const refs = this.watchers.get(a);
      if (refs) {
        refs.delete(ref);
        if (refs.size === 0) this.watchers.delete(a);
      }
      const f = Math.floor(a / 4096);
      const n = this.frameRefs.get(f)! - 1;
      if (n > 0) {
        this.frameRefs.set(f, n);
        continue;
      }
      this.frameRefs.delete(f);
      mem.pageTablePages[f] = 0;
      if (!mem.codePages[f]) tlb.unwatchFrame(f);
      this.counters.protectedPages--;
    }
  }
}
