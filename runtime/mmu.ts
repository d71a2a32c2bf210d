/**
 * Linear-to-physical translation for the reference tier: a 2-level page
 * walk (4 KiB pages and, with CR4.PSE, 4 MiB pages) that sets accessed and
 * dirty bits and raises #PF with the SDM's error code, behind a software
 * TLB. PAE, NX, PGE and the shadow/nested policies arrive with the system
 * issue; this walk is the "nested" policy's miss path.
 */
import { CR0_WP, CR4_PSE, type CpuState } from './cpu.js';
import { GuestFault, PF_FETCH, PF_PRESENT, PF_USER, PF_WRITE, Vector } from './exceptions.js';
import type { PhysicalMemory } from './memory.js';

export const enum Access { Read = 0, Write = 1, Fetch = 2 }

const PTE_P = 1;
const PTE_W = 2;
const PTE_U = 4;
const PTE_A = 0x20;
const PTE_D = 0x40;
const PDE_PS = 0x80;

/** TLB entry bits, kept below the frame address. */
const TLB_VALID = 1;
const TLB_WRITABLE = 2;
const TLB_USER = 4;
const TLB_DIRTY = 8;

export class Mmu {
  /** Per linear page: frame | TLB_* bits, 0 when empty. */
  private readonly tlb = new Int32Array(1 << 20);
  private readonly filled: number[] = [];

  /**
   * Execute-disable (EFER.NXE with PAE's XD bit): until PAE lands with the
   * system issue, XD is given per linear page by this bitmap. With it set,
   * every fetch fault reports the I/D bit, as the SDM's error code does.
   */
  executeDisable: Uint8Array | null = null;

  constructor(private readonly cpu: CpuState, private readonly mem: PhysicalMemory) {}

  flush(): void {
    for (const p of this.filled) this.tlb[p] = 0;
    this.filled.length = 0;
  }

  invalidate(linear: number): void {
    this.tlb[linear >>> 12] = 0;
  }

  /** Translate a linear address for an access by the current CPL (or as supervisor if `supervisor`). */
  translate(linear: number, access: Access, supervisor = false): number {
    if (!this.cpu.paging) return linear >>> 0;
    const page = linear >>> 12;
    const user = !supervisor && this.cpu.cpl === 3;
    if (access === Access.Fetch && this.executeDisable) return this.fetchWithXd(linear, user);
    const e = this.tlb[page]!;
    if (e & TLB_VALID) {
      const ok = (!user || (e & TLB_USER)) &&
        (access !== Access.Write || ((e & TLB_DIRTY) && ((e & TLB_WRITABLE) || (!user && !(this.cpu.cr0 & CR0_WP)))));
      if (ok) return ((e & ~0xfff) | (linear & 0xfff)) >>> 0;
    }
    return this.walk(linear, access, user);
  }

  private fetchWithXd(linear: number, user: boolean): number {
    const err = PF_FETCH | (user ? PF_USER : 0);
    let pa: number;
    try {
      pa = this.walk(linear, Access.Fetch, user);
    } catch (e) {
      if (e instanceof GuestFault) this.fault(linear, e.errorCode | PF_FETCH);
      throw e;
    }
    if (this.executeDisable![linear >>> 12]) this.fault(linear, err | PF_PRESENT);
    return pa;
  }

  private walk(linear: number, access: Access, user: boolean): number {
    const write = access === Access.Write;
    const mem = this.mem;
    const pdeAddr = ((this.cpu.cr3 & ~0xfff) + ((linear >>> 22) << 2)) >>> 0;
    const pde = mem.read32(pdeAddr);
    const err = (write ? PF_WRITE : 0) | (user ? PF_USER : 0);
    if (!(pde & PTE_P)) this.fault(linear, err);
    let frame: number;
    let flags: number;
    let pteAddr = -1;
    let pte = 0;
    if ((pde & PDE_PS) && (this.cpu.cr4 & CR4_PSE)) {
      flags = pde;
      frame = ((pde & 0xffc00000) | (linear & 0x003ff000)) >>> 0;
    } else {
      pteAddr = ((pde & ~0xfff) + (((linear >>> 12) & 0x3ff) << 2)) >>> 0;
      pte = mem.read32(pteAddr);
      if (!(pte & PTE_P)) this.fault(linear, err);
      flags = pde & pte;
      frame = (pte & ~0xfff) >>> 0;
    }
    const writable = (flags & PTE_W) !== 0;
    if (user && !(flags & PTE_U)) this.fault(linear, err | PF_PRESENT);
    if (write && !writable && (user || (this.cpu.cr0 & CR0_WP))) this.fault(linear, err | PF_PRESENT);
    // Accessed and dirty bits, as the walk of a real CPU sets them.
    if (!(pde & PTE_A)) mem.write32(pdeAddr, pde | PTE_A);
    if (pteAddr >= 0) {
      const want = pte | PTE_A | (write ? PTE_D : 0);
      if (want !== pte) mem.write32(pteAddr, want);
    } else if (write && !(pde & PTE_D)) {
      mem.write32(pdeAddr, pde | PTE_A | PTE_D);
    }
    const dirty = write || (pteAddr >= 0 ? (pte & PTE_D) !== 0 : (pde & PTE_D) !== 0);
    const page = linear >>> 12;
    if (!this.tlb[page]) this.filled.push(page);
    this.tlb[page] = frame | TLB_VALID | (writable ? TLB_WRITABLE : 0) | ((flags & PTE_U) ? TLB_USER : 0) | (dirty ? TLB_DIRTY : 0);
    return (frame | (linear & 0xfff)) >>> 0;
  }

  private fault(linear: number, errorCode: number): never {
    this.cpu.cr2 = linear >>> 0;
    throw new GuestFault(Vector.PF, errorCode, linear >>> 0);
  }
}
