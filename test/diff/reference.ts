/**
 * Runs an oracle case inside wasmvisor's reference tier, in a machine built
 * to match the native oracle's process exactly (test/oracle/layout.ts):
 * 32-bit protected mode at CPL 3 with paging, the same pages mapped with
 * the same rights and execute-disable on data, the same segment caches.
 */
import { CpuState, CR0_PE, CR0_PG, CR0_WP, CR0_ET, CR0_NE, type SegmentCache } from '../../runtime/cpu.js';
import { GuestFault } from '../../runtime/exceptions.js';
import { ExitReason } from '../../runtime/exit-reason.js';
import { Interpreter } from '../../runtime/interpreter.js';
import { JitTier, type JitStrategy } from '../../runtime/jit/jit.js';
import { PhysicalMemory } from '../../runtime/memory.js';
import type { HypercallHandler } from '../../runtime/concrete-backend.js';
import type { Instruction } from '../../translator/table/types.js';
import {
  CODE_BASE, CODE_FILL, CODE_SIZE, CPL, DEFAULT_CODE_OFFSET, MEM_BASE, MEM_SIZE, REGIONS, PAGE_SIZE,
  fillMemory, initialEflags, segmentsFor, SREG_NAMES, type SegmentDescriptor,
} from '../oracle/layout.js';
import type { OracleCase, OracleResult } from '../oracle/native.js';
import { loadX87State, x87Result } from './x87-state.js';

const RAM = 0x100000;
const PAGE_DIR = 0x80000;
const PAGE_TABLE = 0x81000;
/** Instructions a case may retire before it counts as a timeout (the oracle's 50 ms). */
const BUDGET = 200_000;
/** Vector reported when the reference tier left through a hypercall exit (never expected at CPL 3). */
export const VECTOR_VM_EXIT = -3;

function cacheOf(d: SegmentDescriptor): SegmentCache {
  return {
    selector: d.selector, base: d.base, limit: d.limit, access: d.null ? 0 : 0x90 | (d.dpl << 5) | d.type,
    big: d.db === 1, unusable: d.null,
  };
}

/** A user-mode test VM: nothing sensitive is reachable at CPL 3 with IOPL 0. */
class NoVmm implements HypercallHandler {
  hypercall(i: Instruction): void {
    throw new Error(`unexpected hypercall ${i.row.mnemonic} at CPL 3`);
  }
}

export class ReferenceRunner {
  readonly mem = new PhysicalMemory(RAM);
  readonly cpu = CpuState.in(this.mem);
  readonly interp: Interpreter;
  /** The JIT tier, when the runner runs translated code rather than the reference interpreter. */
  readonly jit: JitTier | null;
  private readonly initial = new Uint8Array(MEM_SIZE);

  constructor(strategy?: JitStrategy) {
    this.interp = new Interpreter(this.cpu, this.mem, new NoVmm());
    this.jit = strategy ? new JitTier(this.interp, strategy) : null;
    const u8 = this.mem.u8;
    const xd = new Uint8Array(1 << 20);
    xd.fill(1);
    // Page directory entry 0 -> the page table; PTEs identity-map each region.
    new DataView(u8.buffer).setUint32(PAGE_DIR, PAGE_TABLE | 7, true);
    for (const r of REGIONS) {
      for (let a = r.base; a < r.base + r.size; a += PAGE_SIZE) {
        new DataView(u8.buffer).setUint32(PAGE_TABLE + (a >>> 12) * 4, a | 5 | (r.write ? 2 : 0), true);
        if (r.exec) xd[a >>> 12] = 0;
      }
    }
    this.interp.mmu.executeDisable = xd;
  }

  run(c: OracleCase): OracleResult {
    const { cpu, mem, interp } = this;
    const u8 = mem.u8;
    // Code: a HLT sled with the instruction in it.
    const codeOffset = c.codeOffset ?? DEFAULT_CODE_OFFSET;
    const code = new Uint8Array(CODE_SIZE).fill(CODE_FILL);
    code.set(c.code, codeOffset - CODE_BASE);
    mem.load(CODE_BASE, code);
    fillMemory(c.memSeed, this.initial);
    if (c.memPatch) this.initial.set(c.memPatch.bytes, c.memPatch.address - MEM_BASE);
    mem.load(MEM_BASE, this.initial);
    loadX87State(cpu.fpu, c.x87);

    cpu.cr0 = CR0_PE | CR0_PG | CR0_WP | CR0_ET | CR0_NE;
    cpu.cr3 = PAGE_DIR;
    cpu.cr4 = 0;
    cpu.cpl = CPL;
    const segs = segmentsFor(c.mode);
    SREG_NAMES.forEach((name, s) => { cpu.setSeg(s, cacheOf(segs[name])); });
    for (let r = 0; r < 8; r++) cpu.regs[r] = Number(c.regs[r]!) | 0;
    cpu.flags = initialEflags(c.eflags);
    cpu.lazyMask = 0;
    cpu.eip = codeOffset;
    cpu.halted = false;
    cpu.refreshMode();
    interp.mmu.flush();

    const exit = this.jit ? this.jit.run(BUDGET) : interp.run(BUDGET);
    let vector = -1, errorCode = 0, cr2 = 0;
    if (exit.reason === ExitReason.ExceptionOrNmi) {
      const f = (exit as { fault: GuestFault }).fault;
      vector = f.vector;
      errorCode = f.errorCode;
      cr2 = f.vector === 14 ? f.cr2 : 0;
    } else if (exit.reason !== -1) {
      vector = VECTOR_VM_EXIT;
    }
    const memWrites: Array<[number, number]> = [];
    for (let k = 0; k < MEM_SIZE; k++) {
      const v = u8[MEM_BASE + k]!;
      if (v !== this.initial[k]) memWrites.push([MEM_BASE + k, v]);
    }
    return {
      regs: Array.from(cpu.regs, (v) => v >>> 0),
      eip: cpu.eip >>> 0,
      eflags: interp.backend.eflags() >>> 0,
      vector,
      errorCode,
      cr2,
      memWrites,
      sregs: cpu.segs.map((sg) => sg.selector),
      status: 'ok',
      x87: x87Result(cpu.fpu),
    };
  }
}
