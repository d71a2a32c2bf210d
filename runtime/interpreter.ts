/**
 * The reference tier: decode, check the table's privilege attributes, and
 * evaluate the instruction's semantics through the concrete backend, one
 * instruction at a time. Decoded instructions are cached by physical
 * address and mode, and dropped when their page is written.
 *
 * Guest faults end `run()` with an exception exit (VT-x basic exit reason
 * 0); delivering them through the IDT is the VMM's decision (system issue).
 *
 * Debug conditions are checked here only (vol. 3, 17.3): instruction
 * breakpoints (DR0-DR3 with DR7) before an instruction unless RF is 1, RF
 * cleared as an instruction starts, the single-step trap of TF after it.
 * The other tiers do not check them, so the vCPU runs this one while
 * they can fire (runtime/system/debug.ts, debugStepping). Data and I/O
 * breakpoints are not implemented.
 */
import { decode } from '../translator/decoder.js';
import { SEMANTICS } from '../translator/semantics/index.js';
import { Flag, type Sem } from '../translator/semantics/backend.js';
import { type Instruction, isFault, Seg } from '../translator/table/types.js';
import { ConcreteBackend, type HypercallHandler, VmExitSignal } from './concrete-backend.js';
import { type CpuState, StateSlot } from './cpu.js';
import { GuestFault, Vector } from './exceptions.js';
import { ExitReason } from './exit-reason.js';
import type { PhysicalMemory } from './memory.js';
import { Access, Mmu } from './mmu.js';
import { codeBreakpointHits, DebugException, debugStepping, DR6_BS, DR7_ENABLES } from './system/debug.js';
import { checkPrivilege } from './system/privilege.js';

/** Why run() returned: a VM exit, numbered as in the SDM. */
export interface VmExit {
  readonly reason: ExitReason;
  /** For ExceptionOrNmi: the fault, with the EIP it reports. */
  readonly fault?: GuestFault;
  /** Free-form detail (the instruction, the port, …). */
  readonly detail?: unknown;
}

/** The longest x86 instruction, in bytes. */
const MAX_INSN_LENGTH = 15;

/** Exit of run() when its instruction budget is used up (not an SDM exit: the caller's time slice). */
export const BUDGET_EXHAUSTED = -1;

interface CachedInsn {
  /** The instruction's EIP, at hand for the cache test (one load fewer than insn.eip). */
  eip: number;
  insn: Instruction;
  sem: Sem;
  /** Does a translator block start after it even when it does not jump? See Interpreter.endedBlock. */
  ends: boolean;
  /**
   * For an instruction that runs into the next page: the frame its bytes
   * there came from (-1: it lies in one page). The next linear page may be
   * remapped since: a hit fetches through the MMU again, and decodes again
   * when the frame differs (the fetch may also fault now).
   */
  page1: number;
}

/**
 * Does a translator block (translator/emit/region.ts) start after `insn`,
 * whose first byte is at page offset `offset`, when it falls through? After
 * a control transfer (a branch not taken too), a sensitive instruction, a
 * REP string instruction, and at a page boundary.
 */
function endsBlock(insn: Instruction, offset: number): boolean {
  const row = insn.row;
  return row.ends !== undefined || row.sensitive === true || (insn.rep !== 0 && row.rep !== undefined)
    || offset + insn.length >= 0x1000 || insn.nextEip !== ((insn.eip + insn.length) >>> 0);
}

/**
 * The decoded instructions of one physical page, by (offset << 1 | code32),
 * and the instructions of other pages that run into this one (a write here
 * drops them too), as their start page and slot.
 */
interface DecodedPage {
  readonly slots: Map<number, CachedInsn>;
  into: Array<[page: number, slot: number]>;
}

export class Interpreter {
  readonly backend: ConcreteBackend;
  readonly mmu: Mmu;
  /** Instructions retired since creation (the virtual TSC source). */
  retired = 0;
  /**
   * After step(): does a translator block start at the new EIP (the
   * instruction transferred control, or fell through past a block end)?
   * The JIT looks translations up and counts hotness only there.
   */
  endedBlock = true;
  /**
   * Decoded instructions by physical page. One map per page keeps the
   * lookups of a page's code in a small table (the lookup in one map of
   * every decoded instruction was a sixth of the interpreter's time in a
   * Linux boot), and the page of the last lookup is at hand.
   */
  private readonly pages = new Map<number, DecodedPage>();
  private lastPageNumber = -1;
  private lastPage: DecodedPage | null = null;

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
    const decoded = this.pages.get(page);
    if (decoded) {
      const base = page * 4096;
      const slots = decoded.slots;
      const drop = (slot: number, e: CachedInsn): void => {
        const start = base + (slot >> 1);
        if (start < pa + len && pa < start + e.insn.length) slots.delete(slot);
      };
      const from = Math.max(0, (pa & 0xfff) - (MAX_INSN_LENGTH - 1));
      const to = Math.min(4095, (pa & 0xfff) + len - 1);
      if ((to - from + 1) * 2 < slots.size) {
        // A small write: only instructions starting up to 14 bytes before it can overlap it.
        for (let off = from; off <= to; off++) {
          for (let slot = off << 1; slot <= ((off << 1) | 1); slot++) {
            const e = slots.get(slot);
            if (e) drop(slot, e);
          }
        }
      } else {
        for (const [slot, e] of slots) drop(slot, e);
      }
      // An instruction that starts on another page and runs into this one overlaps any write here.
      for (const [from, slot] of decoded.into) this.pages.get(from)?.slots.delete(slot);
      decoded.into = [];
      if (decoded.slots.size) stillHolds = true;
      else {
        this.pages.delete(page);
        if (this.lastPage === decoded) { this.lastPage = null; this.lastPageNumber = -1; }
      }
    }
    for (const holder of this.codeHolders) if (holder(pa, len)) stillHolds = true;
    if (!stillHolds) this.mem.codePages[page] = 0;
  }

  /** Forget all decoded instructions. */
  flush(): void {
    this.pages.clear();
    this.lastPage = null;
    this.lastPageNumber = -1;
  }

  private fetchDecode(): CachedInsn {
    const cpu = this.cpu;
    const cs = cpu.segs[Seg.CS]!;
    const eip = cpu.eip;
    if (eip > cs.limit) throw new GuestFault(Vector.GP, 0);
    const lin = (cs.base + eip) >>> 0;
    const pa = this.mmu.translate(lin, Access.Fetch);
    const code32 = cpu.mode.code32;
    // The page's offset and the operand-size mode key the page's map (one bit is enough).
    const pageNumber = pa >>> 12;
    const slot = ((pa & 0xfff) << 1) | (code32 ? 1 : 0);
    let decoded = this.lastPage;
    if (pageNumber !== this.lastPageNumber) {
      decoded = this.pages.get(pageNumber) ?? null;
      if (decoded) { this.lastPage = decoded; this.lastPageNumber = pageNumber; }
    }
    const hit = decoded?.slots.get(slot);
    if (hit && hit.eip === eip && (hit.page1 < 0 || this.mmu.translate(((lin | 0xfff) + 1) >>> 0, Access.Fetch) >>> 12 === hit.page1)) return hit;
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
    const entry: CachedInsn = { eip, insn: result, sem: SEMANTICS[result.row.sem]!, ends: endsBlock(result, pa & 0xfff), page1 };
    if (!entry.sem) throw new Error(`no semantics for ${result.row.mnemonic} (${result.row.sem})`);
    this.decodedPage(pageNumber).slots.set(slot, entry);
    if (page1 >= 0) this.decodedPage(page1).into.push([pageNumber, slot]);
    return entry;
  }

  /** The page's decoded instructions (made, and the page marked as holding code, on first use). */
  private decodedPage(page: number): DecodedPage {
    let decoded = this.pages.get(page);
    if (!decoded) {
      this.pages.set(page, (decoded = { slots: new Map(), into: [] }));
      if (!this.mem.codePages[page]) {
        this.mem.codePages[page] = 1;
        this.mmu.codePageAdded();
      }
    }
    return decoded;
  }

  /**
   * Execute one instruction; a guest fault propagates as GuestFault (state
   * as the CPU reports it), and so does the single-step #DB trap after it.
   */
  step(): void {
    const cpu = this.cpu;
    // TF and RF as the instruction begins: one test on the common path (both are never held lazily).
    const debug = cpu.flags & (Flag.TF | Flag.RF);
    // Instruction breakpoints come before the faults of fetching the instruction (vol. 3, 6.9);
    // RF = 1 suppresses them for this instruction.
    if (cpu.dr[7]! & DR7_ENABLES && !(debug & Flag.RF)) this.checkCodeBreakpoints();
    const entry = this.fetchDecode();
    const insn = entry.insn;
    const row = insn.row;
    const shadowBefore = debug ? cpu.interruptShadow : 0;
    // RF is cleared at the start of the instruction, after the instruction-breakpoint check it
    // suppresses (vol. 3, 17.3.1.1); IRET and task switches load it again from their images.
    if (debug & Flag.RF) cpu.flags &= ~Flag.RF;
    if (row.cpl0 || row.iopl) checkPrivilege(this, insn);
    const b = this.backend;
    b.begin(insn);
    try {
      entry.sem(b, insn);
    } catch (e) {
      // A fault reports the faulting instruction's EIP (even if the routine already set a
      // branch target); a trap reports the next instruction's. A faulting instruction gets
      // its fault and no single-step trap: it did not complete.
      if (e instanceof GuestFault) cpu.eip = e.trap ? insn.nextEip : insn.eip;
      throw e;
    }
    if (!b.jumped) cpu.eip = insn.nextEip;
    this.endedBlock = b.jumped || entry.ends;
    this.retired++;
    // Only sensitive instructions (POPF, IRET, task switches, MOV DR7) can set TF or enable breakpoints.
    if (debug & Flag.TF) this.singleStepTrap(insn, shadowBefore);
    else if (row.sensitive && debugStepping(cpu)) this.endSlice();
  }

  /** An instruction breakpoint on the next instruction's first byte: a #DB fault with DR6.Bn (vol. 3, 17.3.1.1). */
  private checkCodeBreakpoints(): void {
    const cpu = this.cpu;
    const hits = codeBreakpointHits(cpu, (cpu.segs[Seg.CS]!.base + cpu.eip) >>> 0);
    if (hits) throw new DebugException(hits);
  }

  /**
   * The single-step trap after an instruction that began with TF = 1
   * (vol. 3, 17.3.1.4): #DB with DR6.BS, EIP at the next instruction (or
   * the branch target). Not after INT n, which delivered its interrupt with
   * TF cleared (the handler's frame holds TF = 1, so the trap comes after
   * the instruction IRET returns to). Not after MOV SS or POP SS, which
   * hold debug exceptions back for one instruction (vol. 3, 6.8.3); TF is
   * still 1 then, so the next instruction traps.
   */
  private singleStepTrap(insn: Instruction, shadowBefore: number): void {
    if (insn.row.sem === 'int') return;
    // Segment loads of SS set blocking by MOV SS (2); a second one in a row does not block again.
    if (this.cpu.interruptShadow === 2 && shadowBefore !== 2) return;
    throw new DebugException(DR6_BS);
  }

  /**
   * TF was just set (POPF, IRET, a task switch) or an instruction
   * breakpoint enabled (MOV DR7): translated code checks for neither, so
   * the slice ends here (the budget the JIT's loop counts down), and the
   * vCPU runs the interpreter while debugStepping() holds.
   */
  private endSlice(): void {
    this.cpu.state[StateSlot.Budget] = 0;
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
