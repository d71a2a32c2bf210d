/**
 * Segment-register loads and the descriptor-table instructions (SDM vol. 2:
 * MOV and POP to a segment register, LDS/LES/LFS/LGS/LSS, SGDT/SIDT,
 * LGDT/LIDT, SLDT/STR, LLDT/LTR, LAR, LSL, VERR/VERW, ARPL), plus the
 * control-register operations of control-ops.ts. The load rules
 * themselves live in segments.ts, shared with far transfers and task
 * switches.
 *
 * Departures from the manual's text, by its older editions and P6-family
 * behaviour: SGDT/SIDT with a 16-bit operand size store a 24-bit base and
 * a zero sixth byte; LAR's 32-bit result has limit bits 19:16 (undefined
 * in the manual) clear.
 */
import { Flag } from '../../translator/semantics/backend.js';
import { effectiveAddress, read, rmw, stackOffset, stackPointer } from '../../translator/semantics/operands.js';
import { type Instruction, type MemOperand, type Operand, Reg, Seg, type SregOperand } from '../../translator/table/types.js';
import { GuestFault, Vector } from '../exceptions.js';
import type { SystemContext, SystemOp, SystemOps } from './context.js';
import { CONTROL_OPS, storeWord } from './control-ops.js';
import {
  type Descriptor, descDpl, descIsCodeOrData, descLimit, descPresent, descType, readDescriptor,
  segmentCacheOf, SysType, writeDescriptorHigh,
} from './descriptors.js';
import {
  fetchDescriptor, isConformingCodeType, isNullSelector, isReadableType, isWritableDataType,
  loadSegmentRegister, selectorErrorCode,
} from './segments.js';

/** The busy bit of a TSS descriptor's type (available 1/9 → busy 3/11). */
const TSS_BUSY = 2 << 8;

function segmentOperand(i: Instruction, k: number): Seg {
  return (i.operands[k] as SregOperand).reg as Seg;
}

function memoryOperand(i: Instruction, k: number): MemOperand {
  const m = i.operands[k]!;
  if (m.kind !== 'mem') throw new Error(`${i.row.mnemonic} without a memory operand (the decoder rejects it)`);
  return m;
}

/** `ea + delta` within a memory operand, wrapped to the address size. */
function offsetFrom(m: MemOperand, ea: number, delta: number): number {
  return m.adsize === 2 ? (ea + delta) & 0xffff : (ea + delta) | 0;
}

/** The instructions that name selectors are #UD in real-address and virtual-8086 mode. */
function requireProtectedMode(ctx: SystemContext): void {
  if (!ctx.cpu.mode.protectedMode) throw new GuestFault(Vector.UD);
}

/** A 16-bit selector operand. */
function selectorOperand(ctx: SystemContext, op: Operand): number {
  return read(ctx.b, op) & 0xffff;
}

/** MOV SS and POP SS hold off interrupts, debug traps and single-step until the next instruction retires (vol. 3, 6.8.3). */
function afterStackLoad(ctx: SystemContext, seg: Seg): void {
  if (seg === Seg.SS) ctx.cpu.interruptShadow = 2;
}

/**
 * LDS/LES/LFS/LGS/LSS: offset (operand-size bytes) then selector from
 * memory; the segment register is loaded (and checked) before the general
 * register is written, so a fault leaves both unchanged.
 */
function loadFarPointer(seg: Seg): SystemOp {
  return (ctx, i) => {
    const b = ctx.b;
    const m = memoryOperand(i, 1);
    const ea = effectiveAddress(b, m);
    const offset = b.load(m.seg, ea, i.opsize);
    const selector = b.load(m.seg, offsetFrom(m, ea, i.opsize), 2);
    loadSegmentRegister(ctx, seg, selector);
    b.setReg((i.operands[0] as { reg: number }).reg, i.opsize, offset);
  };
}

/** SGDT/SIDT: limit, then base; a 16-bit operand size stores 24 bits of base and a zero byte. */
function storeTableRegister(ctx: SystemContext, i: Instruction, limit: number, base: number): void {
  const b = ctx.b;
  const m = memoryOperand(i, 0);
  const ea = effectiveAddress(b, m);
  b.probeWrite(m.seg, ea, 6);
  b.store(m.seg, ea, 2, limit);
  b.store(m.seg, offsetFrom(m, ea, 2), 4, i.opsize === 2 ? base & 0xffffff : base);
}

/** LGDT/LIDT: a 6-byte pseudo-descriptor; a 16-bit operand size uses 24 bits of the base. */
function loadTableRegister(ctx: SystemContext, i: Instruction): { limit: number; base: number } {
  const b = ctx.b;
  const m = memoryOperand(i, 0);
  const ea = effectiveAddress(b, m);
  const limit = b.load(m.seg, ea, 2);
  const base = b.load(m.seg, offsetFrom(m, ea, 2), 4);
  return { limit, base: (i.opsize === 2 ? base & 0xffffff : base) >>> 0 };
}

/**
 * The descriptor LAR, LSL, VERR or VERW may look at: not null, inside its
 * table, and (unless a conforming code segment) with DPL >= CPL and
 * DPL >= RPL. Null means ZF = 0. The present bit is not checked.
 */
function visibleDescriptor(ctx: SystemContext, selector: number): Descriptor | null {
  if (isNullSelector(selector)) return null;
  const d = readDescriptor(ctx, selector);
  if (!d) return null;
  if (descIsCodeOrData(d) && isConformingCodeType(descType(d))) return d;
  const dpl = descDpl(d);
  return ctx.cpu.cpl > dpl || (selector & 3) > dpl ? null : d;
}

/** System types whose access rights LAR reports: TSSs, LDTs, call and task gates (not interrupt or trap gates). */
const LAR_SYSTEM_TYPES = new Set<number>([
  SysType.Tss16Available, SysType.Ldt, SysType.Tss16Busy, SysType.CallGate16, SysType.TaskGate,
  SysType.Tss32Available, SysType.Tss32Busy, SysType.CallGate32,
]);
/** System types that have a limit for LSL: TSSs and LDTs. */
const LSL_SYSTEM_TYPES = new Set<number>([
  SysType.Tss16Available, SysType.Ldt, SysType.Tss16Busy, SysType.Tss32Available, SysType.Tss32Busy,
]);

/** LAR/LSL: when the descriptor qualifies, write `value(d)` to the destination and set ZF; else clear ZF. */
function loadDescriptorField(systemTypes: ReadonlySet<number>, value: (d: Descriptor, i: Instruction) => number): SystemOp {
  return (ctx, i) => {
    requireProtectedMode(ctx);
    const d = visibleDescriptor(ctx, selectorOperand(ctx, i.operands[1]!));
    const ok = d !== null && (descIsCodeOrData(d) || systemTypes.has(descType(d)));
    if (ok) ctx.b.setReg((i.operands[0] as { reg: number }).reg, i.opsize, value(d, i));
    ctx.b.setFlag(Flag.ZF, ok ? 1 : 0);
  };
}

/** VERR/VERW: ZF = the segment is a code or data segment readable (writable) at the current CPL and the selector's RPL. */
function verify(writable: boolean): SystemOp {
  return (ctx, i) => {
    requireProtectedMode(ctx);
    const d = visibleDescriptor(ctx, selectorOperand(ctx, i.operands[0]!));
    const ok = d !== null && descIsCodeOrData(d) && (writable ? isWritableDataType(descType(d)) : isReadableType(descType(d)));
    ctx.b.setFlag(Flag.ZF, ok ? 1 : 0);
  };
}

const SEGMENT_LOADS: SystemOps = {
  movToSeg: (ctx, i) => {
    const seg = segmentOperand(i, 0);
    loadSegmentRegister(ctx, seg, selectorOperand(ctx, i.operands[1]!));
    afterStackLoad(ctx, seg);
  },

  /**
   * POP Sreg: an operand-size item is read at the top of the stack, the
   * register loaded from its low word, then the stack pointer moves by the
   * size of the stack that held the item (the old SS.B, even when SS itself
   * is loaded).
   */
  popSeg: (ctx, i) => {
    const b = ctx.b;
    const seg = segmentOperand(i, 0);
    const stack32 = b.mode.stack32;
    const selector = b.load(Seg.SS, stackPointer(b), i.opsize) & 0xffff;
    const sp = stackOffset(b, i.opsize);
    loadSegmentRegister(ctx, seg, selector);
    b.setReg(Reg.ESP, stack32 ? 4 : 2, sp);
    afterStackLoad(ctx, seg);
  },

  les: loadFarPointer(Seg.ES),
  lds: loadFarPointer(Seg.DS),
  lss: loadFarPointer(Seg.SS),
  lfs: loadFarPointer(Seg.FS),
  lgs: loadFarPointer(Seg.GS),
};

const DESCRIPTOR_TABLE_OPS: SystemOps = {
  sgdt: (ctx, i) => storeTableRegister(ctx, i, ctx.cpu.gdtrLimit, ctx.cpu.gdtrBase),
  sidt: (ctx, i) => storeTableRegister(ctx, i, ctx.cpu.idtrLimit, ctx.cpu.idtrBase),
  lgdt: (ctx, i) => {
    const { limit, base } = loadTableRegister(ctx, i);
    ctx.cpu.gdtrLimit = limit;
    ctx.cpu.gdtrBase = base;
  },
  lidt: (ctx, i) => {
    const { limit, base } = loadTableRegister(ctx, i);
    ctx.cpu.idtrLimit = limit;
    ctx.cpu.idtrBase = base;
  },

  sldt: (ctx, i) => {
    requireProtectedMode(ctx);
    storeWord(ctx, i, ctx.cpu.ldtr.selector);
  },
  str: (ctx, i) => {
    requireProtectedMode(ctx);
    storeWord(ctx, i, ctx.cpu.tr.selector);
  },

  /**
   * LLDT: a null selector leaves LDTR unusable (later LDT references are
   * #GP); otherwise the selector must name a present LDT descriptor in the
   * GDT: #GP(selector) for TI = 1, an index past the GDT limit or another
   * type, #NP(selector) when not present.
   */
  lldt: (ctx, i) => {
    requireProtectedMode(ctx);
    const cpu = ctx.cpu;
    const sel = selectorOperand(ctx, i.operands[0]!);
    if (isNullSelector(sel)) {
      cpu.ldtr = { ...cpu.ldtr, selector: sel, unusable: true };
      return;
    }
    const error = selectorErrorCode(sel);
    if (sel & 4) throw new GuestFault(Vector.GP, error);
    const d = fetchDescriptor(ctx, sel);
    if (descIsCodeOrData(d) || descType(d) !== SysType.Ldt) throw new GuestFault(Vector.GP, error);
    if (!descPresent(d)) throw new GuestFault(Vector.NP, error);
    cpu.ldtr = segmentCacheOf(sel, d);
  },

  /**
   * LTR: the selector must name a present, available 16- or 32-bit TSS in
   * the GDT (null: #GP(0); TI = 1, past the limit, another type:
   * #GP(selector); not present: #NP(selector)). The descriptor is marked
   * busy in the GDT and TR gets the busy type.
   */
  ltr: (ctx, i) => {
    requireProtectedMode(ctx);
    const sel = selectorOperand(ctx, i.operands[0]!);
    if (isNullSelector(sel)) throw new GuestFault(Vector.GP, 0);
    const error = selectorErrorCode(sel);
    if (sel & 4) throw new GuestFault(Vector.GP, error);
    const d = fetchDescriptor(ctx, sel);
    const type = descType(d);
    if (descIsCodeOrData(d) || (type !== SysType.Tss16Available && type !== SysType.Tss32Available)) {
      throw new GuestFault(Vector.GP, error);
    }
    if (!descPresent(d)) throw new GuestFault(Vector.NP, error);
    const busy = { lo: d.lo, hi: d.hi | TSS_BUSY };
    writeDescriptorHigh(ctx, sel, busy.hi);
    ctx.cpu.tr = segmentCacheOf(sel, busy);
  },

  /** LAR: the access-rights dword (type, S, DPL, P, AVL, D/B, G; bits 8-23 less the limit nibble), or its low word. */
  lar: loadDescriptorField(LAR_SYSTEM_TYPES, (d, i) => (i.opsize === 4 ? d.hi & 0x00f0ff00 : d.hi & 0xff00)),
  /** LSL: the byte-granular limit (scaled by G); a 16-bit operand size keeps its low word. */
  lsl: loadDescriptorField(LSL_SYSTEM_TYPES, (d) => descLimit(d) | 0),
  verr: verify(false),
  verw: verify(true),

  /** ARPL: raise the destination selector's RPL to the source's (ZF = 1), else ZF = 0 and nothing is written. */
  arpl: (ctx, i) => {
    requireProtectedMode(ctx);
    const b = ctx.b;
    const dst = rmw(b, i.operands[0]!);
    const srcRpl = b.reg((i.operands[1] as { reg: number }).reg, 2) & 3;
    const adjust = (dst.value & 3) < srcRpl;
    if (adjust) dst.set((dst.value & ~3) | srcRpl);
    b.setFlag(Flag.ZF, adjust ? 1 : 0);
  },
};

export const SEGMENT_OPS: SystemOps = { ...SEGMENT_LOADS, ...DESCRIPTOR_TABLE_OPS, ...CONTROL_OPS };
