/**
 * The reference tier: decode, check the table's privilege attributes, and
 * evaluate the instruction's semantics through the concrete backend, one
 * instruction at a time. Decoded instructions are cached by physical
 * address and mode, and dropped when their page is written.
 *
 * Guest faults end `run()` with an exception exit (VT-x basic exit reason
 * 0); delivering them through the IDT is the VMM's decision (system issue).
 */
import { decode } from '../translator/decoder.js';
import { SEMANTICS } from '../translator/semantics/index.js';
import type { Sem } from '../translator/semantics/backend.js';
import { type Instruction, isFault, Seg } from '../translator/table/types.js';
import { ConcreteBackend, type HypercallHandler, VmExitSignal } from './concrete-backend.js';
import type { CpuState } from './cpu.js';
import { GuestFault, Vector } from './exceptions.js';
import { ExitReason } from './exit-reason.js';
import type { PhysicalMemory } from './memory.js';
import { Access, Mmu } from './mmu.js';
import { checkPrivilege } from './system/privilege.js';

/** Why run() returned: a VM exit, numbered as in the SDM. */
export interface VmExit {
  readonly reason: ExitReason;
  /** For ExceptionOrNmi: the fault, with the EIP it reports. */
  readonly fault?: GuestFault;
  /** Free-form detail (the instruction, the port, …). */
  readonly detail?: unknown;
}

/** Exit of run() when its instruction budget is used up (not an SDM exit: the caller's time slice). */
export const BUDGET_EXHAUSTED = -1;

interface CachedInsn {
  insn: Instruction;
  sem: Sem;
}

export class Interpreter {
  readonly backend: ConcreteBackend;
  readonly mmu: Mmu;
  /** Instructions retired since creation (the virtual TSC source). */
  retired = 0;
  private readonly cache = new Map<number, CachedInsn>();
  private readonly cacheByPage = new Map<number, number[]>();

  constructor(readonly cpu: CpuState, readonly mem: PhysicalMemory, vmm: HypercallHandler) {
    this.mmu = new Mmu(cpu, mem);
    this.backend = new ConcreteBackend(cpu, mem, this.mmu, vmm);
    mem.onWrite = (pa, len) => this.codeWritten(pa, len);
  }

  /**
   * Other holders of translated code (the JIT): told of every write to a
   * code page, they drop what overlaps and say whether they still hold
   * code in that page.
   */
  readonly codeHolders: Array<(pa: number, len: number) => boolean> = [];

  /** A write hit a page that holds code: drop the decodes it overlaps (self-modifying code, DMA, loaders). */
  private codeWritten(pa: number, len: number): void {
    const page = pa >>> 12;
    let stillHolds = false;
    const keys = this.cacheByPage.get(page);
    if (keys) {
      const kept: number[] = [];
      for (const k of keys) {
        const e = this.cache.get(k);
        if (!e) continue;
        const start = Math.floor(k / 2);
        // An instruction that starts on another page and runs into this one overlaps any write here.
        const overlaps = start >>> 12 !== page || (start < pa + len && pa < start + e.insn.length);
        if (overlaps) this.cache.delete(k);
        else kept.push(k);
      }
      if (kept.length) { this.cacheByPage.set(page, kept); stillHolds = true; } else this.cacheByPage.delete(page);
    }
    for (const holder of this.codeHolders) if (holder(pa, len)) stillHolds = true;
    if (!stillHolds) this.mem.codePages[page] = 0;
  }

  /** Forget all decoded instructions. */
  flush(): void {
    this.cache.clear();
    this.cacheByPage.clear();
  }

  private fetchDecode(): CachedInsn {
    const cpu = this.cpu;
    const cs = cpu.segs[Seg.CS]!;
    const eip = cpu.eip;
    if (eip > cs.limit) throw new GuestFault(Vector.GP, 0);
    const lin = (cs.base + eip) >>> 0;
    const pa = this.mmu.translate(lin, Access.Fetch);
    const code32 = cpu.mode.code32;
    // Physical address and operand-size mode key the cache (one bit is enough: 2^32 * 2 fits in a double).
    const key = pa * 2 + (code32 ? 1 : 0);
    const hit = this.cache.get(key);
    if (hit && hit.insn.eip === eip) return hit;
    let page1 = -1;
    const limit = cs.limit;
    const result = decode((i) => {
      const off = eip + i;
      if (off > limit) throw new GuestFault(Vector.GP, 0);
      const l = (lin + i) >>> 0;
      if ((l & 0xfff) === (lin & 0xfff) + i) return this.mem.read8(pa + i);
      const p = this.mmu.translate(l, Access.Fetch);
      page1 = p >>> 12;
      return this.mem.read8(p);
    }, eip, code32);
    if (isFault(result)) throw new GuestFault(result.fault, 0);
    const entry = { insn: result, sem: SEMANTICS[result.row.sem]! };
    if (!entry.sem) throw new Error(`no semantics for ${result.row.mnemonic} (${result.row.sem})`);
    this.remember(key, pa >>> 12, entry);
    if (page1 >= 0) this.remember(key, page1, entry);
    return entry;
  }

  private remember(key: number, page: number, entry: CachedInsn): void {
    this.cache.set(key, entry);
    let list = this.cacheByPage.get(page);
    if (!list) this.cacheByPage.set(page, (list = []));
    list.push(key);
    if (!this.mem.codePages[page]) {
      this.mem.codePages[page] = 1;
      this.mmu.codePageAdded();
    }
  }

  /** Execute one instruction; a guest fault propagates as GuestFault (state as the CPU reports it). */
  step(): void {
    const { insn, sem } = this.fetchDecode();
    const row = insn.row;
    const cpu = this.cpu;
    if (row.cpl0 || row.iopl) checkPrivilege(this, insn);
    const b = this.backend;
    b.begin(insn);
    try {
      sem(b, insn);
    } catch (e) {
      // A fault reports the faulting instruction's EIP (even if the routine already set a
      // branch target); a trap reports the next instruction's.
      if (e instanceof GuestFault) cpu.eip = e.trap ? insn.nextEip : insn.eip;
      throw e;
    }
    if (!b.jumped) cpu.eip = insn.nextEip;
    this.retired++;
  }

  /**
   * Run until a VM exit or until `budget` instructions have retired.
   * Returns the exit; `BUDGET_EXHAUSTED` as reason when the budget ran out.
   */
  run(budget: number): VmExit | { reason: typeof BUDGET_EXHAUSTED } {
    for (let n = 0; n < budget; n++) {
      const exit = this.stepExit();
      if (exit) return exit;
    }
    return { reason: BUDGET_EXHAUSTED };
  }

  /** One instruction; returns the VM exit it caused, or null. */
  stepExit(): VmExit | null {
    if (this.cpu.halted) return { reason: ExitReason.Hlt };
    try {
      this.step();
      return null;
    } catch (e) {
      return exitOf(e);
    }
  }
}

/** The VM exit a thrown guest event stands for (rethrows host errors). */
export function exitOf(e: unknown): VmExit {
  if (e instanceof GuestFault) return { reason: ExitReason.ExceptionOrNmi, fault: e };
  if (e instanceof VmExitSignal) return e.exit as VmExit;
  throw e;
}
