/**
 * Linear-to-physical translation for an i686 with PAE: 32-bit paging (4 KiB
 * pages, 4 MiB pages with CR4.PSE), PAE paging (PDPTE registers, 4 KiB and
 * 2 MiB pages, XD with EFER.NXE), global pages (CR4.PGE), CR0.WP, accessed
 * and dirty flags and every #PF error code (runtime/paging/walker.ts),
 * behind a TLB that lives in the host area of the guest's Wasm memory,
 * where translated code tests it inline (runtime/paging/tlb-entry.ts gives
 * the entry format).
 *
 * A paging policy decides how the TLB is kept coherent with the guest's
 * tables (runtime/paging/policy.ts): 'nested' behaves like the processor's
 * TLB (flush on CR3 load, INVLPG), 'shadow' write-protects the guest's
 * paging structures and keeps the shadows of recent address spaces. The
 * policy is chosen per machine (MmuOptions.policy or setPolicy()); each
 * keeps counters for the exit statistics.
 *
 * Hooks for the instructions that change paging state (their writers call
 * them after committing the new value):
 *  - MOV to CR3 and task switches: cr3Loaded(). In PAE mode it first
 *    reloads the PDPTE registers and raises #GP(0) if a present PDPTE sets
 *    a reserved bit (SDM vol. 3, 4.4.1), before anything else changes, so
 *    the writer can put the old CR3 back (runtime/system/control-ops.ts).
 *    loadPdptes(cr3) does the same check and load alone, for a writer that
 *    wants to check before committing.
 *  - MOV to CR0/CR4 changing PG, WP, PE, PSE, PAE or PGE, and WRMSR changing
 *    EFER.NXE: pagingModeChanged() (which loads the PDPTEs, with the same
 *    #GP(0), when the new mode is PAE paging).
 *  - INVLPG: invlpg(linear).
 * A paging-mode change the hooks were not told of is still noticed on the
 * next TLB miss.
 *
 * Physical addresses are numbers that can exceed 32 bits under PAE (up to
 * MAXPHYADDR); all of those lie beyond RAM.
 */
import { CR0_PE, CR0_PG, CR0_WP, CR4_PAE, CR4_PGE, CR4_PSE, type CpuState } from './cpu.js';
import { GuestFault, PF_FETCH, PF_PRESENT, PF_USER, Vector } from './exceptions.js';
import type { PhysicalMemory } from './memory.js';
import { EFER_NXE, I686_PAGING, type PagingFeatures } from './paging/entries.js';
import { NestedPolicy } from './paging/nested.js';
import type { PagingContext, PagingCounters, PagingPolicy, PagingPolicyName } from './paging/policy.js';
import { ShadowPolicy } from './paging/shadow.js';
import { Access, TLB_CODE, TLB_NO_EXEC, TLB_NOT_RAM, TLB_VALID, tlbMask } from './paging/tlb-entry.js';
import { Tlb } from './paging/tlb.js';
import { PageWalker } from './paging/walker.js';

export {
  Access, TLB_CODE, TLB_GLOBAL, TLB_LARGE, TLB_NO_EXEC, TLB_NO_USER, TLB_NO_WRITE_SUPER, TLB_NO_WRITE_USER,
  TLB_NOT_RAM, TLB_VALID, tlbMask,
} from './paging/tlb-entry.js';
export type { PagingCounters, PagingPolicyName } from './paging/policy.js';
export { PAGING_POLICY_NAMES } from './paging/policy.js';
export { I686_PAGING, type PagingFeatures, pagingFeaturesOf } from './paging/entries.js';

export interface MmuOptions {
  /** How the TLB is kept coherent with the guest's page tables (default 'nested'). */
  readonly policy?: PagingPolicyName;
  /** MAXPHYADDR, PSE-36 and PAT of the modelled CPU (default: the engine's i686, I686_PAGING). */
  readonly features?: PagingFeatures;
  /** Shadow policy: how many address spaces' shadows are kept across CR3 switches (default 8). */
  readonly shadowSpaces?: number;
}

/** The CR0, CR4 and EFER bits that change how linear addresses translate. */
function pagingModeBits(cpu: CpuState): number {
  // Disjoint bit positions: PE 0, PSE 4, PAE 5, PGE 7, NXE 11, WP 16, PG 31.
  return ((cpu.cr0 & (CR0_PG | CR0_WP | CR0_PE)) | (cpu.cr4 & (CR4_PSE | CR4_PAE | CR4_PGE)) | (cpu.efer & EFER_NXE)) >>> 0;
}

/** TLB arrays an MMU has filled (so a later MMU on the same memory clears it first). */
const tlbsInUse = new WeakSet<Int32Array>();

export class Mmu {
  /**
   * Execute-disable without PAE, per linear page: the differential harness
   * (test/diff, test/oracle) models its host's XD this way. With it set,
   * fetch faults report the I/D bit, as the SDM's error code does with XD.
   */
  executeDisable: Uint8Array | null = null;

  private readonly tlb: Tlb;
  private readonly walker: PageWalker;
  private readonly ctx: PagingContext;
  private policy: PagingPolicy;
  private readonly policies = new Map<PagingPolicyName, PagingPolicy>();
  private readonly shadowSpaces: number;
  /** pagingModeBits() when the TLB was last emptied for a mode change. */
  private modeBits: number;

  constructor(private readonly cpu: CpuState, private readonly mem: PhysicalMemory, options: MmuOptions = {}) {
    // Another MMU may have used this memory's TLB: start from an empty one (a fresh memory is zeroed).
    if (tlbsInUse.has(mem.tlb)) mem.tlb.fill(0);
    tlbsInUse.add(mem.tlb);
    this.tlb = new Tlb(mem.tlb, mem.size >>> 12);
    this.walker = new PageWalker(cpu, mem, options.features ?? I686_PAGING);
    this.ctx = { cpu, mem, tlb: this.tlb, walker: this.walker };
    this.shadowSpaces = options.shadowSpaces ?? 8;
    this.policy = this.policyNamed(options.policy ?? 'nested');
    this.modeBits = pagingModeBits(cpu);
    mem.onPageTableWrite = (pa, len) => this.policy.pageTableWritten(pa, len);
  }

  /** The policy filling the TLB. */
  get policyName(): PagingPolicyName {
    return this.policy.name;
  }

  /** The current policy's counters (live). */
  get counters(): Readonly<PagingCounters> {
    return this.policy.counters;
  }

  /** The counters of a policy this MMU has used, or null. */
  countersOf(name: PagingPolicyName): Readonly<PagingCounters> | null {
    return this.policies.get(name)?.counters ?? null;
  }

  /** Switch policy: every translation is dropped, and the new policy starts from the guest's tables. */
  setPolicy(name: PagingPolicyName): void {
    if (name === this.policy.name) return;
    this.policy.dropAll();
    this.policy = this.policyNamed(name);
  }

  /** Walk as a CPU with these paging features does (CPUID's PAE, PAT, PSE-36). Drops every translation. */
  setFeatures(features: PagingFeatures): void {
    this.walker.setFeatures(features);
    this.flush();
  }

  private policyNamed(name: PagingPolicyName): PagingPolicy {
    let p = this.policies.get(name);
    if (!p) {
      p = name === 'shadow' ? new ShadowPolicy(this.ctx, this.shadowSpaces) : new NestedPolicy(this.ctx);
      this.policies.set(name, p);
    }
    return p;
  }

  /**
   * Drop every translation and everything derived from the guest's tables
   * (for callers that changed paging state or page tables behind the MMU's
   * back: direct writes to CR0/CR3/CR4, or to memory through raw views).
   * PAE PDPTE registers are reloaded by the next walk.
   */
  flush(): void {
    this.policy.dropAll();
    this.walker.pdptesLoaded = false;
    this.modeBits = pagingModeBits(this.cpu);
  }

  /** Drop the translation of the page holding `linear` (as INVLPG does). */
  invalidate(linear: number): void {
    this.policy.invlpg(linear >>> 12);
  }

  /** INVLPG: drop the translation of one linear page (all of it, for a 4 MiB or 2 MiB page), global or not. */
  invlpg(linear: number): void {
    this.policy.invlpg(linear >>> 12);
  }

  /**
   * Load the PAE PDPTE registers from the table at `cr3` (SDM vol. 3,
   * 4.4.1). A present PDPTE with a reserved bit set raises #GP(0) and loads
   * nothing: the writer of CR3 (or of CR0/CR4 entering PAE paging) calls
   * this before committing the new value, so the faulting instruction
   * changes nothing.
   */
  loadPdptes(cr3: number = this.cpu.cr3): void {
    this.walker.loadPdptes(cr3 >>> 0);
  }

  /** CR3 was loaded (MOV to CR3, task switch). In PAE mode the PDPTE registers are reloaded (#GP(0) if reserved). */
  cr3Loaded(): void {
    if (pagingModeBits(this.cpu) !== this.modeBits) {
      this.pagingModeChanged();
      return;
    }
    if (this.walker.pae) this.walker.loadPdptes(this.cpu.cr3 >>> 0);
    this.policy.cr3Loaded();
  }

  /** CR0.PG/WP/PE, CR4.PSE/PAE/PGE or EFER.NXE changed: every translation goes (global ones too, 4.10.4.1). */
  pagingModeChanged(): void {
    this.policy.counters.modeChanges++;
    this.policy.dropAll();
    this.modeBits = pagingModeBits(this.cpu);
    this.walker.pdptesLoaded = false;
    if (this.walker.pae) this.walker.loadPdptes(this.cpu.cr3 >>> 0);
  }

  /** Translate a linear address for an access by the current CPL (or as supervisor if `supervisor`). */
  translate(linear: number, access: Access, supervisor = false): number {
    const user = !supervisor && this.cpu.cpl === 3;
    const e = this.mem.tlb[linear >>> 12]!;
    // Physical memory itself notices writes to watched pages here, so TLB_CODE need not send them slow.
    if ((e & tlbMask(access, user) & ~TLB_CODE) === TLB_VALID) return ((e & ~0xfff) ^ linear) >>> 0;
    return this.fill(linear, access, user);
  }

  /** The slow path: walk (or identity-map without paging), check, and refill the entry. */
  fill(linear: number, access: Access, user: boolean): number {
    const cpu = this.cpu;
    const page = linear >>> 12;
    let frame: number;
    let flags: number;
    if (!cpu.paging) {
      frame = (linear & ~0xfff) >>> 0;
      flags = 0;
    } else {
      // A writer that changed the mode without saying so still gets no stale translation from a miss.
      if (pagingModeBits(cpu) !== this.modeBits) this.pagingModeChanged();
      if (this.walker.pae && !this.walker.pdptesLoaded) this.walker.loadPdptes(cpu.cr3 >>> 0);
      const policy = this.policy;
      policy.prepareFill();
      policy.counters.walks++;
      try {
        const w = this.walker.walk(linear, access, user, this.executeDisable !== null);
        frame = w.frame;
        flags = w.flags;
        if (access === Access.Fetch && this.executeDisable?.[page]) this.pageFault(linear, PF_FETCH | PF_PRESENT | (user ? PF_USER : 0));
        policy.recordFill(page, w);
      } catch (e) {
        if (e instanceof GuestFault) {
          policy.counters.pageFaults++;
          // A #PF invalidates the TLB entries of the faulting address (SDM vol. 3, 4.10.4.2): an
          // entry kept for reads must not outlive a walk that found the page gone.
          policy.faulted(page);
        }
        throw e;
      }
    }
    if (this.executeDisable?.[page]) {
      if (access === Access.Fetch) this.pageFault(linear, PF_FETCH | PF_PRESENT | (user ? PF_USER : 0));
      flags |= TLB_NO_EXEC;
    }
    const mem = this.mem;
    if (frame >= mem.size) flags |= TLB_NOT_RAM;
    else if (mem.codePages[frame / 4096] || mem.pageTablePages[frame / 4096]) flags |= TLB_CODE;
    this.tlb.set(page, frame, flags | TLB_VALID);
    this.policy.counters.fills++;
    return frame + (linear & 0xfff);
  }

  /**
   * Physical page `frame` now holds code: the entries that map it get
   * TLB_CODE, so translated code's writes to it go slow. Without `frame`,
   * every entry is checked against PhysicalMemory.codePages.
   */
  codePageAdded(frame?: number): void {
    if (frame !== undefined) this.tlb.watchFrame(frame);
    else this.tlb.watchWhere((f) => this.mem.codePages[f] !== 0);
  }

  private pageFault(linear: number, errorCode: number): never {
    this.cpu.cr2 = linear >>> 0;
    throw new GuestFault(Vector.PF, errorCode, linear >>> 0);
  }
}
