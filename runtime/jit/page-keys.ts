/**
 * Maps keyed by a translation's cache key, split in two small integers: the
 * physical page, then the key within the page (the entry's offset and the
 * mode bits). A whole key (physical address * 4096 + mode bits) needs up
 * to 44 bits: as a JS number it is a heap-allocated double, and a Map keyed
 * by doubles hashes and compares boxes; a lookup on the Linux boot cost
 * about 0.7 µs. The two halves are small integers (Smis), and the page
 * level also answers "nothing in this page" with one lookup.
 */

/** Mode bits take the low 12 bits of a key (JitTier's modeBits()). */
export const MODE_BITS = 4096;

/** The key within its page of a physical address and mode bits: offset << 12 | bits (below 2^24). */
export function inPageKey(pa: number, bits: number): number {
  return ((pa & 0xfff) << 12) | bits;
}

/** The whole cache key (the translation's identity): physical address * 4096 + mode bits. */
export function wholeKey(page: number, inPage: number): number {
  return page * 4096 * MODE_BITS + inPage;
}

/** The page of a whole key. */
export function pageOfKey(key: number): number {
  return Math.floor(key / (4096 * MODE_BITS));
}

/** The in-page part of a whole key. */
export function inPageOfKey(key: number): number {
  return key % (4096 * MODE_BITS);
}

/** A map from (page, in-page key) to values, with the pages that hold any. */
export class PageKeyMap<T> {
  private readonly pages = new Map<number, Map<number, T>>();
  private count = 0;

  /** Entries in all pages. */
  get size(): number {
    return this.count;
  }

  get(page: number, k: number): T | undefined {
    return this.pages.get(page)?.get(k);
  }

  has(page: number, k: number): boolean {
    return this.pages.get(page)?.has(k) ?? false;
  }

  set(page: number, k: number, v: T): void {
    let m = this.pages.get(page);
    if (!m) this.pages.set(page, (m = new Map()));
    const n = m.size;
    m.set(k, v);
    this.count += m.size - n;
  }

  delete(page: number, k: number): void {
    const m = this.pages.get(page);
    if (!m || !m.delete(k)) return;
    this.count--;
    if (m.size === 0) this.pages.delete(page);
  }

  /** The page's entries (by in-page key), or undefined when it has none. */
  page(page: number): ReadonlyMap<number, T> | undefined {
    return this.pages.get(page);
  }

  /** Drop every entry of a page. */
  deletePage(page: number): void {
    const m = this.pages.get(page);
    if (!m) return;
    this.count -= m.size;
    this.pages.delete(page);
  }

  /** Drop the page's entries whose in-page key passes `drop`. */
  deleteWhere(page: number, drop: (k: number, v: T) => boolean): void {
    const m = this.pages.get(page);
    if (!m) return;
    for (const [k, v] of m) {
      if (drop(k, v)) { m.delete(k); this.count--; }
    }
    if (m.size === 0) this.pages.delete(page);
  }
}
