/**
 * Control and debug registers, the machine status word, TLB and cache
 * maintenance (SDM vol. 2: MOV—Move to/from Control Registers, MOV—Move
 * to/from Debug Registers, SMSW, LMSW, CLTS, INVLPG, INVD, WBINVD; vol. 3,
 * 2.5 and 17.2). CPL 0 (#GP(0) otherwise, and so in v86 mode) is checked
 * from the table's cpl0 attribute before these run (runtime/system/
 * privilege.ts).
 *
 * The model is a P6-family CPU: reserved CR0 bits are ignored and read as
 * 0, CR0.ET reads 1; CR3 keeps every bit written (32-bit paging ignores
 * its low bits); a 1 written to a CR4 bit whose feature the CPU model does
 * not report is #GP(0). The caches are not modelled, so INVD and WBINVD
 * only retire.
 */
import { type CregOperand, type Instruction, type RegOperand, Seg } from '../../translator/table/types.js';
import { read, effectiveAddress, write } from '../../translator/semantics/operands.js';
import {
  CR0_CD, CR0_ET, CR0_NW, CR0_PE, CR0_PG, CR0_TS, CR0_WP, CR4_PAE, CR4_PGE, CR4_PSE, type CpuState,
} from '../cpu.js';
import { type CpuModel, Feature } from '../cpu-model.js';
import { GuestFault, Vector } from '../exceptions.js';
import type { SystemContext, SystemOps } from './context.js';
import { DebugException, DR6_BD } from './debug.js';

export const CR4_VME = 1 << 0;
export const CR4_PVI = 1 << 1;
export const CR4_TSD = 1 << 2;
export const CR4_DE = 1 << 3;
export const CR4_MCE = 1 << 6;
export const CR4_OSFXSR = 1 << 9;
export const CR4_OSXMMEXCPT = 1 << 10;

/** CR0 bits an IA-32 processor implements (vol. 3, 2.5): PE MP EM TS ET NE WP AM NW CD PG. */
export const CR0_DEFINED = 0xe005003f | 0;

/**
 * The CR4 bits a CPU model has: each exists only with the CPUID.1:EDX
 * feature that introduced it (vol. 3, 2.5; a bit the processor lacks is
 * reserved): VME and PVI with VME, TSD with TSC, DE, PSE, PAE, MCE, PGE,
 * OSFXSR with FXSR, OSXMMEXCPT with SSE. PCE has no CPUID flag; it is left
 * out because no performance counters are modelled (RDPMC is #GP(0) for
 * every counter).
 */
export function cr4ValidBits(model: CpuModel): number {
  const f = model.features;
  let bits = 0;
  if (f & Feature.VME) bits |= CR4_VME | CR4_PVI;
  if (f & Feature.TSC) bits |= CR4_TSD;
  if (f & Feature.DE) bits |= CR4_DE;
  if (f & Feature.PSE) bits |= CR4_PSE;
  if (f & Feature.PAE) bits |= CR4_PAE;
  if (f & Feature.MCE) bits |= CR4_MCE;
  if (f & Feature.PGE) bits |= CR4_PGE;
  if (f & Feature.FXSR) bits |= CR4_OSFXSR;
  if (f & Feature.SSE) bits |= CR4_OSXMMEXCPT;
  return bits;
}
/** CR0 bits whose change makes cached translations stale. */
const CR0_PAGING_BITS = CR0_PG | CR0_WP | CR0_PE;
/** CR4 bits whose change makes cached translations stale. */
const CR4_PAGING_BITS = CR4_PSE | CR4_PAE | CR4_PGE;

/** DR6: B0-B3, BD, BS, BT are the only writable bits; bits 4-11 and 16-31 read 1, bit 12 reads 0 (vol. 3, 17.2.3). */
const DR6_WRITABLE = 0x0000e00f;
const DR6_FIXED_ONES = 0xffff0ff0 | 0;
/** DR7: L0-G3, LE, GE, GD, R/W0-LEN3 are writable; bit 10 reads 1, bits 11, 12, 14, 15 read 0 (vol. 3, 17.2.4). */
const DR7_WRITABLE = 0xffff23ff | 0;
const DR7_FIXED_ONES = 0x400;
export const DR7_GD = 1 << 13;

/**
 * Write CR0 (MOV CR0, LMSW, CLTS): reserved bits are dropped and ET forced
 * to 1; PG without PE and NW without CD are #GP(0). A change of PE
 * switches between real and protected mode without touching the segment
 * caches (they keep their contents until reloaded: SDM vol. 3, 9.9).
 */
export function writeCr0(ctx: SystemContext, value: number): void {
  const cpu = ctx.cpu;
  const v = ((value & CR0_DEFINED) | CR0_ET) | 0;
  if ((v & CR0_PG) && !(v & CR0_PE)) throw new GuestFault(Vector.GP, 0);
  if ((v & CR0_NW) && !(v & CR0_CD)) throw new GuestFault(Vector.GP, 0);
  const old = cpu.cr0;
  cpu.cr0 = v;
  if ((old ^ v) & CR0_PE) {
    // Real mode runs at CPL 0 (and MOV CR0 needs CPL 0 already).
    if (!(v & CR0_PE)) cpu.cpl = 0;
    cpu.refreshMode();
  }
  if ((old ^ v) & CR0_PAGING_BITS) pagingChanged(ctx, () => { cpu.cr0 = old; cpu.refreshMode(); });
}

/** Write CR3: the page-directory base plus PWT/PCD (the low bits 32-bit paging ignores are kept, as read back). */
export function writeCr3(ctx: SystemContext, value: number): void {
  const cpu = ctx.cpu;
  const old = cpu.cr3;
  cpu.cr3 = value | 0;
  try {
    ctx.mmu.cr3Loaded();
  } catch (e) {
    // A load that faults (PAE: reserved bits in a PDPTE) leaves CR3 unchanged.
    cpu.cr3 = old;
    throw e;
  }
}

/** Write CR4: a 1 in a bit this CPU model does not have is #GP(0). */
export function writeCr4(ctx: SystemContext, value: number): void {
  const cpu = ctx.cpu;
  if (value & ~cr4ValidBits(ctx.model)) throw new GuestFault(Vector.GP, 0);
  const old = cpu.cr4;
  cpu.cr4 = value | 0;
  if ((old ^ cpu.cr4) & CR4_PAGING_BITS) pagingChanged(ctx, () => { cpu.cr4 = old; });
}

/** Tell the MMU the paging mode changed; if it refuses (a fault), put the register back. */
function pagingChanged(ctx: SystemContext, undo: () => void): void {
  try {
    ctx.mmu.pagingModeChanged();
  } catch (e) {
    undo();
    ctx.mmu.pagingModeChanged();
    throw e;
  }
}

/** CR0 as MOV from CR0 reads it. */
export function readCr0(cpu: CpuState): number {
  return (cpu.cr0 | CR0_ET) | 0;
}

function controlRegister(i: Instruction, k: number): number {
  return (i.operands[k] as CregOperand).reg;
}

function generalRegister(i: Instruction, k: number): number {
  return (i.operands[k] as RegOperand).reg;
}

/**
 * DR4 and DR5 name DR6 and DR7 unless CR4.DE is set, then they are #UD.
 * With DR7.GD set, any access is a #DB fault with DR6.BD set (when it is
 * delivered: runtime/system/debug.ts), and GD is cleared so the handler
 * can use the debug registers (vol. 3, 17.2.4).
 */
function debugRegisterIndex(cpu: CpuState, dr: number): number {
  if (dr === 4 || dr === 5) {
    if (cpu.cr4 & CR4_DE) throw new GuestFault(Vector.UD);
    dr += 2;
  }
  if (cpu.dr[7]! & DR7_GD) {
    cpu.dr[7] = cpu.dr[7]! & ~DR7_GD;
    throw new DebugException(DR6_BD);
  }
  return dr;
}

/**
 * Store a 16-bit value to the Ew destination of SMSW, SLDT or STR: a word
 * in memory whatever the operand size; a 32-bit register gets
 * `fullRegister` (default: the value zero-extended, as P6-family
 * processors do); a 16-bit register keeps its high half.
 */
export function storeWord(ctx: SystemContext, i: Instruction, value: number, fullRegister?: number): void {
  const dst = i.operands[0]!;
  if (dst.kind === 'reg' && i.opsize === 4) ctx.b.setReg(dst.reg, 4, fullRegister ?? value & 0xffff);
  else write(ctx.b, dst, value & 0xffff);
}

export const CONTROL_OPS: SystemOps = {
  movFromCr: (ctx, i) => {
    const cpu = ctx.cpu;
    const cr = controlRegister(i, 1);
    const value = cr === 0 ? readCr0(cpu) : cr === 2 ? cpu.cr2 : cr === 3 ? cpu.cr3 : cpu.cr4;
    ctx.b.setReg(generalRegister(i, 0), 4, value);
  },

  movToCr: (ctx, i) => {
    const cr = controlRegister(i, 0);
    const value = ctx.b.reg(generalRegister(i, 1), 4);
    if (cr === 0) writeCr0(ctx, value);
    else if (cr === 2) ctx.cpu.cr2 = value | 0;
    else if (cr === 3) writeCr3(ctx, value);
    else writeCr4(ctx, value);
  },

  movFromDr: (ctx, i) => {
    const dr = debugRegisterIndex(ctx.cpu, (i.operands[1] as CregOperand).reg);
    ctx.b.setReg(generalRegister(i, 0), 4, ctx.cpu.dr[dr]!);
  },

  movToDr: (ctx, i) => {
    const cpu = ctx.cpu;
    const dr = debugRegisterIndex(cpu, (i.operands[0] as CregOperand).reg);
    const value = ctx.b.reg(generalRegister(i, 1), 4);
    if (dr === 6) cpu.dr[6] = (value & DR6_WRITABLE) | DR6_FIXED_ONES;
    else if (dr === 7) cpu.dr[7] = (value & DR7_WRITABLE) | DR7_FIXED_ONES;
    else cpu.dr[dr] = value | 0;
  },

  /**
   * SMSW: CR0 bits 15:0 to a word in memory or a 16-bit register; a 32-bit
   * register gets all of CR0 (the manual leaves the high half undefined;
   * P6-family processors store CR0's).
   */
  smsw: (ctx, i) => {
    const cr0 = readCr0(ctx.cpu);
    storeWord(ctx, i, cr0, cr0);
  },

  /** LMSW: loads PE, MP, EM and TS from the source; it can set PE but not clear it. */
  lmsw: (ctx, i) => {
    const src = read(ctx.b, i.operands[0]!) & 0xf;
    const cr0 = ctx.cpu.cr0;
    writeCr0(ctx, (cr0 & ~0xe) | src | (cr0 & CR0_PE));
  },

  clts: (ctx) => {
    writeCr0(ctx, ctx.cpu.cr0 & ~CR0_TS);
  },

  /**
   * INVLPG: drop the TLB entry of the linear address of the operand. No
   * segment limit or type check applies (the instruction reads no memory).
   */
  invlpg: (ctx, i) => {
    const m = i.operands[0]!;
    if (m.kind !== 'mem') throw new Error('INVLPG without a memory operand (the decoder rejects it)');
    const base = ctx.cpu.segs[m.seg as Seg]!.base;
    ctx.mmu.invlpg((base + effectiveAddress(ctx.b, m)) >>> 0);
  },

  invd: () => {},
  wbinvd: () => {},
};
