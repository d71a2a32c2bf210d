/**
 * The TLB entry format, shared by the MMU that fills entries, the paging
 * policies that drop them, and translated code that reads them inline
 * (translator/emit/emit-backend.ts, translator/emit/support.ts).
 *
 * One i32 per 4 KiB linear page: (frame ^ pageAddress) | flags, so a hit
 * gives the physical address as (entry & ~0xFFF) ^ linear. The flags in
 * bits 0-6 deny: an access hits only when (entry & mask) === TLB_VALID for
 * its access mask (tlbMask). Bits 7-8 are the runtime's bookkeeping and
 * never part of a mask. An empty entry is 0. Frames above 4 GiB (PAE's
 * 36-bit physical addresses) are never RAM, so their entries carry
 * TLB_NOT_RAM and the truncated frame bits are never used.
 */

export const enum Access { Read = 0, Write = 1, Fetch = 2 }

export const TLB_VALID = 1;
/** Writes at CPL 3 take the slow path (read-only page, or not yet dirty). */
export const TLB_NO_WRITE_USER = 2;
/** Accesses at CPL 3 are not allowed. */
export const TLB_NO_USER = 4;
/** Writes at CPL 0-2 take the slow path (read-only with CR0.WP, or not yet dirty). */
export const TLB_NO_WRITE_SUPER = 8;
/**
 * The physical page is watched: it holds translated or decoded code, or
 * (shadow paging) paging structures that shadow entries were derived from.
 * Writes take the slow path, where physical memory notices them.
 */
export const TLB_CODE = 16;
/** Execute-disable (PAE's XD with EFER.NXE, or the harness's per-page bitmap). */
export const TLB_NO_EXEC = 32;
/** Not RAM (MMIO or beyond, including every address above 4 GiB): every access takes the slow path. */
export const TLB_NOT_RAM = 64;
/** Bookkeeping: translated through a global page (G with CR4.PGE), so it survives CR3 loads (SDM vol. 3, 4.10.2.4). */
export const TLB_GLOBAL = 128;
/** Bookkeeping: one 4 KiB piece of a 4 MiB or 2 MiB page; INVLPG of any address in the page drops every piece. */
export const TLB_LARGE = 256;

/** The deny mask of an access: it hits when (entry & mask) === TLB_VALID. */
export function tlbMask(access: Access, user: boolean): number {
  let m = TLB_VALID | TLB_NOT_RAM | (user ? TLB_NO_USER : 0);
  if (access === Access.Write) m |= TLB_CODE | (user ? TLB_NO_WRITE_USER : TLB_NO_WRITE_SUPER);
  if (access === Access.Fetch) m |= TLB_NO_EXEC;
  return m;
}

/** The physical page number an entry for linear page `page` maps (low 20 bits: frames above 4 GiB wrap). */
export function entryFrame(entry: number, page: number): number {
  return ((entry ^ (page << 12)) >>> 12) & 0xfffff;
}
