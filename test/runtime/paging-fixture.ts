/**
 * A vCPU, guest memory and MMU with paging on, and writers for 32-bit and
 * PAE paging structures, for the paging tests (test/runtime/paging*.test.ts).
 * Entries are written through PhysicalMemory, the path a guest store takes
 * after translation, so shadow paging sees them as guest writes.
 */
import { CR0_ET, CR0_PE, CR0_PG, CR4_PAE, CpuState } from '../../runtime/cpu.js';
import { GuestFault } from '../../runtime/exceptions.js';
import { PhysicalMemory } from '../../runtime/memory.js';
import { Access, Mmu, type MmuOptions, type PagingPolicyName } from '../../runtime/mmu.js';

export const P = 1, W = 2, U = 4, A = 0x20, D = 0x40, PS = 0x80, G = 0x100;
/** PAE: XD is bit 63, bit 31 of the high dword. */
export const XD_HIGH = 0x80000000 | 0;
export const EFER_NXE = 1 << 11;

export interface Fixture {
  readonly mem: PhysicalMemory;
  readonly cpu: CpuState;
  readonly mmu: Mmu;
  /** Unsigned dword of physical memory. */
  read32(pa: number): number;
  /** Store a dword through PhysicalMemory (as a guest store after translation). */
  write32(pa: number, v: number): void;
  /** Store a 64-bit PAE entry (low dword first, as two 32-bit stores would). */
  write64(pa: number, lo: number, hi?: number): void;
  /** Translate at the current CPL (or as supervisor), or the fault raised. */
  tr(linear: number, access: Access, supervisor?: boolean): number | GuestFault;
  /** Load CR3 the way MOV to CR3 does: PDPTE check in PAE mode, commit, hook. */
  loadCr3(cr3: number): void;
}

export interface FixtureOptions extends Omit<MmuOptions, 'policy'> {
  ramMiB?: number;
  pae?: boolean;
  cr3?: number;
  /** Reuse this memory (zeroed first) instead of allocating one: randomized tests build thousands of fixtures. */
  mem?: PhysicalMemory;
}

export function fixture(policy: PagingPolicyName, options: FixtureOptions = {}): Fixture {
  const mem = options.mem ?? new PhysicalMemory((options.ramMiB ?? 16) << 20);
  if (options.mem) {
    mem.u8.fill(0);
    mem.codePages.fill(0);
    mem.pageTablePages.fill(0);
  }
  const cpu = CpuState.in(mem);
  cpu.reset();
  cpu.cr0 = CR0_PE | CR0_ET | CR0_PG;
  cpu.cr4 = options.pae ? CR4_PAE : 0;
  cpu.cr3 = options.cr3 ?? 0x10000;
  cpu.refreshMode();
  const mmu = new Mmu(cpu, mem, { ...options, policy });
  const f: Fixture = {
    mem, cpu, mmu,
    read32: (pa) => mem.read32(pa) >>> 0,
    write32: (pa, v) => mem.write32(pa, v | 0),
    write64: (pa, lo, hi = 0) => { mem.write32(pa, lo | 0); mem.write32(pa + 4, hi | 0); },
    tr: (linear, access, supervisor = false) => {
      try {
        return mmu.translate(linear >>> 0, access, supervisor);
      } catch (e) {
        if (e instanceof GuestFault) return e;
        throw e;
      }
    },
    loadCr3: (cr3) => {
      if (cpu.cr4 & CR4_PAE) mmu.loadPdptes(cr3);
      cpu.cr3 = cr3;
      mmu.cr3Loaded();
    },
  };
  return f;
}

/** The #PF error code of a translation that must fault (and the CR2 it reported must be `linear`). */
export function pfCode(f: Fixture, linear: number, access: Access, supervisor = false): number {
  const r = f.tr(linear, access, supervisor);
  if (!(r instanceof GuestFault)) throw new Error(`expected #PF at ${linear.toString(16)}, got PA ${r.toString(16)}`);
  if (r.vector !== 14) throw new Error(`expected #PF, got vector ${r.vector}`);
  if (r.cr2 !== linear >>> 0 || f.cpu.cr2 !== linear >>> 0) throw new Error(`CR2 ${r.cr2.toString(16)} for a fault at ${linear.toString(16)}`);
  return r.errorCode;
}

/** Deterministic PRNG (mulberry32) for the randomized scenarios. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
