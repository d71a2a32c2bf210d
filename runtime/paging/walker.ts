/**
 * The guest page walk: 32-bit paging (4 KiB pages, and 4 MiB pages with
 * CR4.PSE, PSE-36 frames above 4 GiB) and PAE paging (PDPTE registers, 4 KiB
 * and 2 MiB pages, XD with EFER.NXE), as SDM vol. 3, 4.3 and 4.4 define
 * them, with the access rights of 4.6, the #PF error code of 4.7 and the
 * accessed and dirty flags of 4.8. Both paging policies fill the TLB from
 * this walk; it also reports which paging-structure entries it used, which
 * the shadow policy write-protects.
 *
 * Accessed flags of non-leaf entries are set as the walk passes them, before
 * the leaf is checked (so a fault further down still leaves them set, as on
 * the processor); the leaf's accessed and dirty flags only when the access
 * is allowed.
 */
import { CR0_WP, CR4_PAE, CR4_PGE, CR4_PSE, type CpuState } from '../cpu.js';
import { GuestFault, PF_FETCH, PF_PRESENT, PF_RSVD, PF_USER, PF_WRITE, Vector } from '../exceptions.js';
import type { PhysicalMemory } from '../memory.js';
import { EFER_NXE, type PagingFeatures, PTE_A, PTE_D, PTE_G, PTE_P, PTE_PS, PTE_U, PTE_W, type ReservedBits, reservedBits } from './entries.js';
import { Access, TLB_GLOBAL, TLB_LARGE, TLB_NO_EXEC, TLB_NO_USER, TLB_NO_WRITE_SUPER, TLB_NO_WRITE_USER } from './tlb-entry.js';

const TWO_32 = 2 ** 32;

/** What a successful walk found. One object, reused by every walk. */
export interface WalkResult {
  /** Physical address of the 4 KiB frame (up to MAXPHYADDR bits, so possibly above 4 GiB). */
  frame: number;
  /** TLB deny and bookkeeping flags (no TLB_VALID, TLB_CODE or TLB_NOT_RAM: the MMU adds those). */
  flags: number;
  /** Physical addresses of the paging-structure entries the translation came from (PDE, then PTE). */
  readonly sources: number[];
  /** How many of `sources` this walk filled. */
  sourceCount: number;
}

export class PageWalker {
  /**
   * The four PDPTE registers of PAE paging (SDM vol. 3, 4.4.1), low and high
   * dwords: loaded from memory when CR3 is loaded, not re-read by walks.
   */
  readonly pdpte = new Int32Array(8);
  /** False until loadPdptes() ran for the current CR3 and mode (then a walk loads them itself). */
  pdptesLoaded = false;
  private reserved: ReservedBits;
  private readonly result: WalkResult = { frame: 0, flags: 0, sources: [0, 0], sourceCount: 0 };

  constructor(private readonly cpu: CpuState, private readonly mem: PhysicalMemory, features: PagingFeatures) {
    this.reserved = reservedBits(features);
  }

  /** Walk as a CPU with `features` does (the caller drops every translation made under the old ones). */
  setFeatures(features: PagingFeatures): void {
    this.reserved = reservedBits(features);
    this.pdptesLoaded = false;
  }

  /** PAE paging is in use (CR0.PG with CR4.PAE). */
  get pae(): boolean {
    return this.cpu.paging && (this.cpu.cr4 & CR4_PAE) !== 0;
  }

  /**
   * Load the PDPTE registers from the 32-byte-aligned table CR3 points to
   * (SDM vol. 3, 4.4.1): if a present PDPTE sets a reserved bit, #GP(0) and
   * the registers keep their old values.
   */
  loadPdptes(cr3: number): void {
    const base = (cr3 & ~0x1f) >>> 0;
    const r = this.reserved;
    const v = new Int32Array(8);
    for (let k = 0; k < 4; k++) {
      const lo = this.mem.read32(base + 8 * k);
      const hi = this.mem.read32(base + 8 * k + 4);
      if ((lo & PTE_P) && ((lo & r.pdpteLow) || (hi & r.pdpteHigh))) throw new GuestFault(Vector.GP, 0);
      v[2 * k] = lo;
      v[2 * k + 1] = hi;
    }
    this.pdpte.set(v);
    this.pdptesLoaded = true;
  }

  /**
   * Translate `linear` for `access` (user: a CPL 3 access that is not an
   * implicit supervisor access), setting accessed and dirty flags, or throw
   * #PF. `reportFetch` sets the I/D bit on fetch faults even without PAE and
   * NXE (the differential harness's execute-disable bitmap).
   */
  walk(linear: number, access: Access, user: boolean, reportFetch: boolean): WalkResult {
    const cpu = this.cpu;
    const pae = (cpu.cr4 & CR4_PAE) !== 0;
    const nxe = pae && (cpu.efer & EFER_NXE) !== 0;
    const fetch = access === Access.Fetch;
    const write = access === Access.Write;
    // I/D is reported only where XD exists (PAE with NXE; SDM vol. 3, 4.7).
    const err = (write ? PF_WRITE : 0) | (user ? PF_USER : 0) | (fetch && (nxe || reportFetch) ? PF_FETCH : 0);
    const res = this.result;
    res.sourceCount = 0;
    let rights: number; // R/W and U/S of every level ANDed
    let xd = false;
    let leaf: number;
    let leafAddr: number;
    let large: boolean;
    if (pae) {
      [rights, xd, leaf, leafAddr, large] = this.walkPae(linear, err, nxe);
    } else {
      [rights, leaf, leafAddr, large] = this.walk32(linear, err);
    }
    const wp = (cpu.cr0 & CR0_WP) !== 0;
    const writable = (rights & PTE_W) !== 0;
    if (user && !(rights & PTE_U)) this.fault(linear, err | PF_PRESENT);
    if (write && !writable && (user || wp)) this.fault(linear, err | PF_PRESENT);
    if (fetch && xd) this.fault(linear, err | PF_PRESENT);
    const want = leaf | PTE_A | (write ? PTE_D : 0);
    if (want !== leaf) this.mem.writeWalk32(leafAddr, want);
    const dirty = (want & PTE_D) !== 0;
    let flags = 0;
    if (!(rights & PTE_U)) flags |= TLB_NO_USER;
    // A page not yet dirty sends its first write to the slow path, which walks again and sets D.
    if (!writable || !dirty) flags |= TLB_NO_WRITE_USER;
    if ((!writable && wp) || !dirty) flags |= TLB_NO_WRITE_SUPER;
    if (xd) flags |= TLB_NO_EXEC;
    if ((leaf & PTE_G) && (cpu.cr4 & CR4_PGE)) flags |= TLB_GLOBAL;
    if (large) flags |= TLB_LARGE;
    res.flags = flags;
    return res;
  }

  /** 32-bit paging (SDM vol. 3, 4.3): [rights, leaf entry, its address, large page]. */
  private walk32(linear: number, err: number): [number, number, number, boolean] {
    const mem = this.mem;
    const res = this.result;
    const pse = (this.cpu.cr4 & CR4_PSE) !== 0;
    const r = this.reserved;
    const pdeAddr = ((this.cpu.cr3 & 0xfffff000) >>> 0) + ((linear >>> 22) << 2);
    const pde = mem.read32(pdeAddr);
    if (!(pde & PTE_P)) this.fault(linear, err);
    res.sources[res.sourceCount++] = pdeAddr;
    if ((pde & PTE_PS) && pse) {
      if (pde & r.pde4M) this.fault(linear, err | PF_PRESENT | PF_RSVD);
      // PSE-36: PDE bits 20:13 give physical bits 39:32 (up to MAXPHYADDR).
      res.frame = ((pde >>> 13) & r.pse36High) * TWO_32 + ((pde & 0xffc00000) >>> 0) + (linear & 0x3ff000);
      return [pde, pde, pdeAddr, true];
    }
    if (!(pde & PTE_A)) mem.writeWalk32(pdeAddr, pde | PTE_A);
    const pteAddr = ((pde & 0xfffff000) >>> 0) + (((linear >>> 12) & 0x3ff) << 2);
    const pte = mem.read32(pteAddr);
    if (!(pte & PTE_P)) this.fault(linear, err);
    // With CR4.PSE = 0, 32-bit paging has no reserved bits (4.3).
    if (pse && (pte & r.pte32)) this.fault(linear, err | PF_PRESENT | PF_RSVD);
    res.sources[res.sourceCount++] = pteAddr;
    res.frame = (pte & 0xfffff000) >>> 0;
    return [pde & pte, pte, pteAddr, false];
  }

  /** PAE paging (SDM vol. 3, 4.4): [rights, XD, leaf entry's low dword, its address, large page]. */
  private walkPae(linear: number, err: number, nxe: boolean): [number, boolean, number, number, boolean] {
    if (!this.pdptesLoaded) this.loadPdptes(this.cpu.cr3);
    const mem = this.mem;
    const res = this.result;
    const r = this.reserved;
    const highReserved = nxe ? r.paeHighNx : r.paeHigh;
    const i = linear >>> 30;
    const pdpteLo = this.pdpte[2 * i]!;
    const pdpteHi = this.pdpte[2 * i + 1]!;
    if (!(pdpteLo & PTE_P)) this.fault(linear, err);
    // PDPTEs have no R/W, U/S, XD or accessed flag in PAE paging; their reserved bits were checked when loaded.
    const pdeAddr = (pdpteHi & r.paeAddressHigh) * TWO_32 + ((pdpteLo & 0xfffff000) >>> 0) + ((linear >>> 21) & 0x1ff) * 8;
    const pdeLo = mem.read32(pdeAddr);
    const pdeHi = mem.read32(pdeAddr + 4);
    if (!(pdeLo & PTE_P)) this.fault(linear, err);
    if (pdeHi & highReserved) this.fault(linear, err | PF_PRESENT | PF_RSVD);
    res.sources[res.sourceCount++] = pdeAddr;
    if (pdeLo & PTE_PS) {
      if (pdeLo & r.pde2M) this.fault(linear, err | PF_PRESENT | PF_RSVD);
      res.frame = (pdeHi & r.paeAddressHigh) * TWO_32 + ((pdeLo & 0xffe00000) >>> 0) + (linear & 0x1ff000);
      return [pdeLo, nxe && pdeHi < 0, pdeLo, pdeAddr, true];
    }
    if (!(pdeLo & PTE_A)) mem.writeWalk32(pdeAddr, pdeLo | PTE_A);
    const pteAddr = (pdeHi & r.paeAddressHigh) * TWO_32 + ((pdeLo & 0xfffff000) >>> 0) + ((linear >>> 12) & 0x1ff) * 8;
    const pteLo = mem.read32(pteAddr);
    const pteHi = mem.read32(pteAddr + 4);
    if (!(pteLo & PTE_P)) this.fault(linear, err);
    if ((pteHi & highReserved) || (pteLo & r.paePte)) this.fault(linear, err | PF_PRESENT | PF_RSVD);
    res.sources[res.sourceCount++] = pteAddr;
    res.frame = (pteHi & r.paeAddressHigh) * TWO_32 + ((pteLo & 0xfffff000) >>> 0);
    return [pdeLo & pteLo, nxe && (pdeHi < 0 || pteHi < 0), pteLo, pteAddr, false];
  }

  private fault(linear: number, errorCode: number): never {
    this.cpu.cr2 = linear >>> 0;
    throw new GuestFault(Vector.PF, errorCode, linear >>> 0);
  }
}
