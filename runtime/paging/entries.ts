/**
 * Paging-structure entry bits and the reserved bits of each entry kind
 * (SDM vol. 3, 4.3 for 32-bit paging, 4.4 for PAE paging), for the
 * physical-address width and paging features of the CPU model.
 *
 * Only the bits the walk checks are named here; PWT/PCD/PAT select memory
 * types, which an emulator without caches has no use for.
 */

export const PTE_P = 1;
export const PTE_W = 2;
export const PTE_U = 4;
export const PTE_A = 0x20;
export const PTE_D = 0x40;
/** PS in a PDE (or PAT in a PTE that maps a 4 KiB page). */
export const PTE_PS = 0x80;
export const PTE_G = 0x100;

/** IA32_EFER.NXE (bit 11): PAE's bit 63 is XD rather than reserved. */
export const EFER_NXE = 1 << 11;

/** What the modelled CPU supports (CPUID.1:EDX PSE-36 and PAT; MAXPHYADDR). */
export interface PagingFeatures {
  /** MAXPHYADDR: 32 to 40 bits (36 on P6-class processors with PAE). */
  readonly maxPhysAddr: number;
  /** PSE-36: 4 MiB pages of 32-bit paging reach physical bits above 31 (PDE bits 20:13). */
  readonly pse36: boolean;
  /** PAT: PTE bit 7 and large-page PDE bit 12 select a PAT entry; otherwise they are reserved. */
  readonly pat: boolean;
}

/**
 * What CPUID.1:EDX bits say about paging (SDM vol. 3, 4.1.4): MAXPHYADDR is
 * 36 with PAE (bit 6) or PSE-36 (bit 17) when CPUID has no leaf 80000008H
 * (the PSE-36 processors address 36 bits; QEMU and runtime/msr.ts's
 * reserved MSR bits use the same rule), 32 without; PAT is bit 16.
 */
export function pagingFeaturesOf(cpuidEdx: number): PagingFeatures {
  return { maxPhysAddr: cpuidEdx & ((1 << 6) | (1 << 17)) ? 36 : 32, pat: (cpuidEdx & (1 << 16)) !== 0, pse36: (cpuidEdx & (1 << 17)) !== 0 };
}

/** The engine's i686 with PAE, PAT and PSE-36 (runtime/cpu-model.ts reports the same). */
export const I686_PAGING: PagingFeatures = { maxPhysAddr: 36, pse36: true, pat: true };

/**
 * Reserved-bit masks, each for one dword of one entry kind. A present entry
 * with any of them set is a reserved-bit violation: #PF with RSVD for PDEs
 * and PTEs (4.7), #GP(0) for PAE PDPTEs when they are loaded (4.4.1).
 */
export interface ReservedBits {
  /** 32-bit paging with CR4.PSE = 1: low dword of a PDE that maps a 4 MiB page. */
  readonly pde4M: number;
  /** 32-bit paging with CR4.PSE = 1: a PTE (bit 7 without PAT). With CR4.PSE = 0 nothing is reserved. */
  readonly pte32: number;
  /** Bits M-32 and up of a 4 MiB page's frame, taken from PDE bits 20:13 (PSE-36). */
  readonly pse36High: number;
  /** PAE: high dword of a PDPTE (bits 63:M). */
  readonly pdpteHigh: number;
  /** PAE: low dword of a PDPTE (bits 2:1 and 8:5). */
  readonly pdpteLow: number;
  /** PAE: high dword of a PDE or PTE with EFER.NXE = 1 (bits 62:M). */
  readonly paeHighNx: number;
  /** PAE: high dword of a PDE or PTE with EFER.NXE = 0 (bits 63:M). */
  readonly paeHigh: number;
  /** PAE: low dword of a PDE that maps a 2 MiB page (bits 20:13, and 12 without PAT). */
  readonly pde2M: number;
  /** PAE: low dword of a PTE (bit 7 without PAT). */
  readonly paePte: number;
  /** Physical-address bits 35:32 (up to M-1) as they sit in a PAE entry's high dword. */
  readonly paeAddressHigh: number;
}

export function reservedBits(f: PagingFeatures): ReservedBits {
  const m = Math.min(Math.max(f.maxPhysAddr, 32), 40);
  const above = m - 32; // physical-address bits above bit 31
  // 32-bit paging, 4 MiB page (table 4-4): bits (M-20):13 address, 21:(M-19) reserved; without PSE-36 M is 32.
  const m36 = f.pse36 ? m : 32;
  const pde4M = ((((1 << (22 - (m36 - 19))) - 1) << (m36 - 19)) | (f.pat ? 0 : 0x1000)) >>> 0;
  const highFrom = (from: number, top: number): number => (((2 ** (top - from + 1)) - 1) * 2 ** from) >>> 0;
  return {
    pde4M,
    pte32: f.pat ? 0 : PTE_PS,
    pse36High: f.pse36 ? (1 << (m36 - 32)) - 1 : 0,
    pdpteHigh: highFrom(above, 31),
    pdpteLow: 0x1e6,
    paeHighNx: highFrom(above, 30),
    paeHigh: highFrom(above, 31),
    pde2M: 0x1fe000 | (f.pat ? 0 : 0x1000),
    paePte: f.pat ? 0 : PTE_PS,
    paeAddressHigh: (1 << above) - 1,
  };
}
