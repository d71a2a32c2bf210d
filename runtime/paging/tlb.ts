/**
 * The TLB array (one i32 per linear page, in the host area of the guest's
 * Wasm memory; runtime/paging/tlb-entry.ts gives the format) and the
 * bookkeeping around it that translated code never sees: which entries are
 * occupied (so a flush touches only those; global and other entries in
 * lists of their own, so that a CR3 load under CR4.PGE touches only the
 * non-global ones), and which linear pages map each
 * physical frame (a reverse map, so the entries that map a frame can be
 * marked when the frame starts to hold code or paging structures).
 */
import { entryFrame, TLB_CODE, TLB_GLOBAL, TLB_LARGE, TLB_NOT_RAM } from './tlb-entry.js';

/** Above this many occupied entries, a flush clears the whole array (4 MiB) rather than entry by entry. */
const CLEAR_ALL_ABOVE = 8192;

interface FrameMappings {
  /** Linear pages that were given this frame; some may since map another frame or nothing (checked on use). */
  pages: number[];
  /** Length at which the list is compacted (doubles, so compaction is amortised O(1) per fill). */
  compactAt: number;
}

/** Tlb.listed bits: the page is in `occupied`, in `globals`. */
const IN_OCCUPIED = 1;
const IN_GLOBALS = 2;

export class Tlb {
  /** Per linear page, the lists it is in (IN_OCCUPIED, IN_GLOBALS). */
  private readonly listed: Uint8Array;
  /**
   * Pages given a non-global entry, and pages given a global one (TLB_GLOBAL),
   * since the last flush of their list. A page whose entry changed kind is
   * in both; an entry may since have been dropped (0).
   */
  private occupied: number[] = [];
  private globals: number[] = [];
  private readonly byFrame = new Map<number, FrameMappings>();
  /**
   * 2 MiB units (linear page >>> 9) where an entry with TLB_LARGE was written
   * since the last full flush: INVLPG looks for pieces only where there may be some.
   */
  private largeUnits = new Set<number>();

  constructor(readonly entries: Int32Array, private readonly ramPages: number) {
    this.listed = new Uint8Array(entries.length);
  }

  /** Entries in use (an upper bound: dropped entries stay counted until the next flush). */
  get size(): number {
    return this.occupied.length + this.globals.length;
  }

  /** Write the entry for linear page `page`: physical frame address `frame` (may be above 4 GiB) and flags. */
  set(page: number, frame: number, flags: number): void {
    this.setEntry(page, (((frame ^ (page << 12)) & ~0xfff) | flags), (frame / 4096) | 0);
  }

  /** Write a complete entry value (a saved shadow entry); `frame` is its physical page number. */
  setEntry(page: number, value: number, frame: number): void {
    const old = this.entries[page]!;
    this.entries[page] = value;
    const list = value & TLB_GLOBAL ? IN_GLOBALS : IN_OCCUPIED;
    if (!(this.listed[page]! & list)) {
      this.listed[page] = this.listed[page]! | list;
      (list === IN_GLOBALS ? this.globals : this.occupied).push(page);
    }
    if (value & TLB_LARGE) this.largeUnits.add(page >>> 9);
    if (value & TLB_NOT_RAM || frame >= this.ramPages) return;
    if (old !== 0 && entryFrame(old, page) === frame) return;
    let m = this.byFrame.get(frame);
    if (!m) this.byFrame.set(frame, (m = { pages: [], compactAt: 16 }));
    m.pages.push(page);
    if (m.pages.length >= m.compactAt) {
      m.pages = [...new Set(m.pages.filter((p) => this.maps(p, frame)))];
      m.compactAt = Math.max(16, 2 * m.pages.length);
    }
  }

  drop(page: number): void {
    this.entries[page] = 0;
  }

  /** Drop every entry. */
  flushAll(): void {
    const e = this.entries;
    if (this.size > CLEAR_ALL_ABOVE) {
      e.fill(0);
      this.listed.fill(0);
    } else {
      for (const p of this.occupied) { e[p] = 0; this.listed[p] = 0; }
      for (const p of this.globals) { e[p] = 0; this.listed[p] = 0; }
    }
    this.occupied = [];
    this.globals = [];
    this.byFrame.clear();
    this.largeUnits.clear();
  }

  /**
   * Drop every entry but the global ones (a CR3 load with CR4.PGE): only
   * the pages given non-global entries are visited (a Linux guest's
   * kernel mappings, thousands of global entries, stay untouched at each
   * of its context switches). A page listed here whose entry is global now
   * is in the global list too (setEntry) and keeps it. Large-page units
   * stay as they are (a superset, as they may be).
   */
  flushNonGlobal(): void {
    const e = this.entries;
    const listed = this.listed;
    for (const p of this.occupied) {
      if (!(e[p]! & TLB_GLOBAL)) e[p] = 0;
      listed[p] = listed[p]! & ~IN_OCCUPIED;
    }
    this.occupied = [];
  }

  /** Call `f` for every live entry. */
  forEach(f: (page: number, entry: number) => void): void {
    const e = this.entries;
    for (const p of this.occupied) {
      const v = e[p]!;
      if (v !== 0) f(p, v);
    }
    // A page in both lists was visited above.
    for (const p of this.globals) {
      const v = e[p]!;
      if (v !== 0 && !(this.listed[p]! & IN_OCCUPIED)) f(p, v);
    }
  }

  /**
   * Call `f` for each piece of a large page in the large-page region around
   * `page` (`regionPages` = 1024 for 4 MiB pages, 512 for 2 MiB), so that
   * INVLPG drops the whole page as the processor's single TLB entry would be.
   */
  forEachLargePiece(page: number, regionPages: number, f: (page: number) => void): void {
    const e = this.entries;
    const first = page & ~(regionPages - 1);
    for (let unit = first >>> 9; unit < (first + regionPages) >>> 9; unit++) {
      if (!this.largeUnits.has(unit)) continue;
      for (let p = unit << 9; p < (unit + 1) << 9; p++) if (e[p]! & TLB_LARGE) f(p);
    }
  }

  /** Does the entry of `page` map physical page `frame`? */
  maps(page: number, frame: number): boolean {
    const v = this.entries[page]!;
    return v !== 0 && !(v & TLB_NOT_RAM) && entryFrame(v, page) === frame;
  }

  /** Set TLB_CODE in every entry that maps physical page `frame` (it now holds code or paging structures). */
  watchFrame(frame: number): void {
    const m = this.byFrame.get(frame);
    if (!m) return;
    for (const p of m.pages) if (this.maps(p, frame)) this.entries[p] = this.entries[p]! | TLB_CODE;
  }

  /** Clear TLB_CODE in every entry that maps `frame` (it no longer holds anything watched). */
  unwatchFrame(frame: number): void {
    const m = this.byFrame.get(frame);
    if (!m) return;
    for (const p of m.pages) if (this.maps(p, frame)) this.entries[p] = this.entries[p]! & ~TLB_CODE;
  }

  /** Set TLB_CODE in every live entry whose frame `watched` says is watched (when the caller did not say which frame). */
  watchWhere(watched: (frame: number) => boolean): void {
    this.forEach((p, v) => {
      if (v & (TLB_NOT_RAM | TLB_CODE)) return;
      const f = entryFrame(v, p);
      if (f < this.ramPages && watched(f)) this.entries[p] = v | TLB_CODE;
    });
  }
}
