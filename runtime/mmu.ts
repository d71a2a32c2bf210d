/**
 * Linear-to-physical translation: a 2-level page walk (4 KiB pages and,
 * with CR4.PSE, 4 MiB pages) that sets accessed and dirty bits and raises
 * #PF with the SDM's error code, behind a TLB that lives in the host area
 * of the guest's Wasm memory, where translated code tests it inline.
 * PAE, NX, PGE and the shadow/nested policies arrive with the system
 * issue; this walk is the "nested" policy's miss path.
 *
 * TLB entry, one i32 per linear page: (frame ^ pageAddress) | flags, so a
 * hit gives the physical address as (entry & ~0xFFF) ^ linear. The flags
 * deny: an access hits only when (entry & mask) === TLB_VALID for its
 * access mask (tlbMask below). An empty entry is 0.
 */
import { CR0_WP, CR4_PSE, type CpuState } from './cpu.js';
import { GuestFault, PF_FETCH, PF_PRESENT, PF_USER, PF_WRITE, Vector } from './exceptions.js';
import type { PhysicalMemory } from './memory.js';

export const enum Access { Read = 0, Write = 1, Fetch = 2 }

export const TLB_VALID = 1;
/** Writes at CPL 3 take the slow path (read-only page, or not yet dirty). */
export const TLB_NO_WRITE_USER = 2;
/** Accesses at CPL 3 are not allowed. */
export const TLB_NO_USER = 4;
/** Writes at CPL 0-2 take the slow path (read-only with CR0.WP, or not yet dirty). */
export const TLB_NO_WRITE_SUPER = 8;
/** The physical page holds translated or decoded code: writes go through the slow path to invalidate. */
export const TLB_CODE = 16;
/** Execute-disable. */
export const TLB_NO_EXEC = 32;
/** Not RAM (MMIO or beyond): every access takes the slow path. */
export const TLB_NOT_RAM = 64;

/** The deny mask of an access: it hits when (entry & mask) === TLB_VALID. */
export function tlbMask(access: Access, user: boolean): number {
  let m = TLB_VALID | TLB_NOT_RAM | (user ? TLB_NO_USER : 0);
  if (access === Access.Write) m |= TLB_CODE | (user ? TLB_NO_WRITE_USER : TLB_NO_WRITE_SUPER);
  if (access === Access.Fetch) m |= TLB_NO_EXEC;
  return m;
}

const PTE_P = 1;
const PTE_W = 2;
const PTE_U = 4;
const PTE_A = 0x20;
const PTE_D = 0x40;
const PDE_PS = 0x80;

export class Mmu {
  private readonly tlb: Int32Array;
  private readonly filled: number[] = [];

  /**
   * Execute-disable (EFER.NXE with PAE's XD bit): until PAE lands with the
   * system issue, XD is given per linear page by this bitmap. With it set,
   * every fetch fault reports the I/D bit, as the SDM's error code does.
   */
  executeDisable: Uint8Array | null = null;

  constructor(private readonly cpu: CpuState, private readonly mem: PhysicalMemory) {
    this.tlb = mem.tlb;
    this.flush();
  }

  flush(): void {
    const tlb = this.tlb;
    if (this.filled.length > 4096) tlb.fill(0);
    else for (const p of this.filled) tlb[p] = 0;
    this.filled.length = 0;
  }

  invalidate(linear: number): void {
    this.tlb[linear >>> 12] = 0;
  }

  /** INVLPG: drop the translation of one linear page. */
  invlpg(linear: number): void {
    this.invalidate(linear);
  }

  /** MOV to CR3 (or a task switch) loaded a new page-directory base. */
  cr3Loaded(): void {
    this.flush();
  }

  /** CR0.PG/WP/PE or CR4.PSE/PAE/PGE changed: every cached translation may be stale. */
  pagingModeChanged(): void {
    this.flush();
  }

  /** Translate a linear address for an access by the current CPL (or as supervisor if `supervisor`). */
  translate(linear: number, access: Access, supervisor = false): number {
    const user = !supervisor && this.cpu.cpl === 3;
    const e = this.tlb[linear >>> 12]!;
    // Physical memory itself notices writes to code pages here, so TLB_CODE need not send them slow.
    if ((e & tlbMask(access, user) & ~TLB_CODE) === TLB_VALID) return ((e & ~0xfff) ^ linear) >>> 0;
    return this.fill(linear, access, user);
  }

  /** The slow path: walk (or identity-map without paging), check, and refill the entry. */
  fill(linear: number, access: Access, user: boolean): number {
    let frame: number;
    let flags: number;
    if (!this.cpu.paging) {
      frame = (linear & ~0xfff) >>> 0;
      flags = TLB_VALID;
    } else {
      [frame, flags] = this.walk(linear, access, user);
    }
    if (access === Access.Fetch && this.executeDisable?.[linear >>> 12]) {
      this.pageFault(linear, PF_FETCH | PF_PRESENT | (user ? PF_USER : 0));
    }
    if (this.executeDisable?.[linear >>> 12]) flags |= TLB_NO_EXEC;
    if (frame >= this.mem.size) flags |= TLB_NOT_RAM;
    else if (this.mem.codePages[frame >>> 12]) flags |= TLB_CODE;
    const page = linear >>> 12;
    if (!this.tlb[page]) this.filled.push(page);
    this.tlb[page] = ((frame ^ (linear & ~0xfff)) & ~0xfff) | flags;
    return (frame | (linear & 0xfff)) >>> 0;
  }

  /** Drop TLB entries that map a physical page which now holds code (so writes to it go slow). */
  codePageAdded(): void {
    this.flush();
  }

  private walk(linear: number, access: Access, user: boolean): [number, number] {
    const write = access === Access.Write;
    const mem = this.mem;
    const pdeAddr = ((this.cpu.cr3 & ~0xfff) + ((linear >>> 22) << 2)) >>> 0;
    const pde = mem.read32(pdeAddr);
    const err = (write ? PF_WRITE : 0) | (user ? PF_USER : 0) | (access === Access.Fetch && this.executeDisable ? PF_FETCH : 0);
    if (!(pde & PTE_P)) this.pageFault(linear, err);
    let frame: number;
    let rights: number;
    let pteAddr = -1;
    let pte = 0;
    if ((pde & PDE_PS) && (this.cpu.cr4 & CR4_PSE)) {
      rights = pde;
      frame = ((pde & 0xffc00000) | (linear & 0x003ff000)) >>> 0;
    } else {
      pteAddr = ((pde & ~0xfff) + (((linear >>> 12) & 0x3ff) << 2)) >>> 0;
      pte = mem.read32(pteAddr);
      if (!(pte & PTE_P)) this.pageFault(linear, err);
      rights = pde & pte;
      frame = (pte & ~0xfff) >>> 0;
    }
    const writable = (rights & PTE_W) !== 0;
    const wp = (this.cpu.cr0 & CR0_WP) !== 0;
    if (user && !(rights & PTE_U)) this.pageFault(linear, err | PF_PRESENT);
    if (write && !writable && (user || wp)) this.pageFault(linear, err | PF_PRESENT);
    // Accessed and dirty bits, as the walk of a real CPU sets them.
    if (!(pde & PTE_A)) mem.write32(pdeAddr, pde | PTE_A);
    let dirty: boolean;
    if (pteAddr >= 0) {
      const want = pte | PTE_A | (write ? PTE_D : 0);
      if (want !== pte) mem.write32(pteAddr, want);
      dirty = (want & PTE_D) !== 0;
    } else {
      if (write && !(pde & PTE_D)) mem.write32(pdeAddr, pde | PTE_A | PTE_D);
      dirty = write || (pde & PTE_D) !== 0;
    }
    let flags = TLB_VALID;
    if (!(rights & PTE_U)) flags |= TLB_NO_USER;
    if (!writable || !dirty) flags |= TLB_NO_WRITE_USER;
    if ((!writable && wp) || !dirty) flags |= TLB_NO_WRITE_SUPER;
    return [frame, flags];
  }

  private pageFault(linear: number, errorCode: number): never {
    this.cpu.cr2 = linear >>> 0;
    throw new GuestFault(Vector.PF, errorCode, linear >>> 0);
  }
}
