/**
 * Loading segment registers and their hidden descriptor caches, in every
 * mode (SDM vol. 3, 3.4.3 and 5.4-5.6; vol. 2, MOV, POP, LDS/LES/LFS/LGS/LSS):
 * the checks, error codes and cache contents shared by MOV/POP Sreg, the
 * far-pointer loads, and (exported for them) far transfers, IRET and task
 * switches.
 *
 * Where the manual is silent, this follows P6-family behaviour: a
 * real-mode load changes only the selector and the base (limit and
 * attributes stay, which is what "unreal mode" relies on) and makes the
 * register usable again; a virtual-8086 load gives the fixed cache VT-x
 * requires of a v86 guest (limit FFFFh, access F3h).
 */
import { Seg } from '../../translator/table/types.js';
import { CR0_PE, type CpuState } from '../cpu.js';
import { GuestFault, Vector } from '../exceptions.js';
import {
  type Descriptor, type DescriptorTables, descDpl, descIsCodeOrData, descPresent, descType,
  readDescriptor, segmentCacheOf, writeDescriptorHigh,
} from './descriptors.js';

/** What a segment load needs: the CPU, memory and the MMU (a SystemContext, or the concrete backend). */
export type SegmentEnv = DescriptorTables;

/** Descriptor type bits of a code or data segment (SDM vol. 3, table 3-1). */
const TYPE_ACCESSED = 1;
/** Data: writable. Code: readable. */
const TYPE_WRITABLE_OR_READABLE = 2;
/** Data: expand-down. Code: conforming. */
const TYPE_EXPAND_DOWN_OR_CONFORMING = 4;
const TYPE_CODE = 8;

/** Access byte of a virtual-8086 segment: present, DPL 3, read/write data, accessed. */
export const V86_SEGMENT_ACCESS = 0xf3;

/** A null selector: index 0 in the GDT, whatever the RPL (SDM vol. 3, 3.4.2). */
export const isNullSelector = (selector: number): boolean => (selector & 0xfffc) === 0;

/**
 * The error code of a fault that names a selector (SDM vol. 3, 6.13): the
 * index and TI bit of the selector, IDT = 0, EXT set when an external
 * event caused the load.
 */
export const selectorErrorCode = (selector: number, ext = false): number => (selector & 0xfffc) | (ext ? 1 : 0);

/** A code or data descriptor's type: code segment (else data). */
export const isCodeType = (type: number): boolean => (type & TYPE_CODE) !== 0;
/** Conforming code segment (type 1x1x). */
export const isConformingCodeType = (type: number): boolean => (type & (TYPE_CODE | TYPE_EXPAND_DOWN_OR_CONFORMING)) === (TYPE_CODE | TYPE_EXPAND_DOWN_OR_CONFORMING);
/** Readable: every data segment, and code segments with R set. */
export const isReadableType = (type: number): boolean => !isCodeType(type) || (type & TYPE_WRITABLE_OR_READABLE) !== 0;
/** Writable: data segments with W set (code is never writable). */
export const isWritableDataType = (type: number): boolean => !isCodeType(type) && (type & TYPE_WRITABLE_OR_READABLE) !== 0;

/**
 * Read the descriptor a selector names, or raise `vector` with the
 * selector's error code when its index lies past the GDT or LDT limit (or
 * the LDT is unusable). Page faults on the table propagate.
 */
export function fetchDescriptor(env: SegmentEnv, selector: number, vector: number = Vector.GP, ext = false): Descriptor {
  const d = readDescriptor(env, selector);
  if (!d) throw new GuestFault(vector, selectorErrorCode(selector, ext));
  return d;
}

/**
 * Set the accessed bit of a code or data descriptor that does not have it
 * (SDM vol. 3, 3.4.5.1). A processor writes only when the bit is clear, so
 * tables in read-only memory work once their descriptors are accessed.
 * Returns the descriptor as now in memory.
 */
export function markAccessed(env: SegmentEnv, selector: number, d: Descriptor): Descriptor {
  if (d.hi & (TYPE_ACCESSED << 8)) return d;
  const hi = d.hi | (TYPE_ACCESSED << 8);
  writeDescriptorHigh(env, selector, hi);
  return { lo: d.lo, hi };
}

/**
 * Real-address mode: selector and base (selector × 16) only. The limit,
 * attributes and D/B bit of the cache stay as they were, so a limit loaded
 * in protected mode survives the return to real mode ("unreal mode"), and
 * a 32-bit SS stays 32-bit. A register made unusable by a null selector
 * in protected mode is usable again.
 */
export function loadRealModeSegment(cpu: CpuState, seg: Seg, selector: number): void {
  const c = cpu.segs[seg]!;
  const sel = selector & 0xffff;
  cpu.setSeg(seg, { ...c, selector: sel, base: sel << 4, unusable: false });
  if (seg === Seg.CS || seg === Seg.SS) cpu.refreshMode();
}

/** Virtual-8086 mode: every load gives a 64 KiB, DPL-3, read/write, 16-bit segment at selector × 16. */
export function loadV86Segment(cpu: CpuState, seg: Seg, selector: number): void {
  const sel = selector & 0xffff;
  cpu.setSeg(seg, { selector: sel, base: sel << 4, limit: 0xffff, access: V86_SEGMENT_ACCESS, big: false, unusable: false });
  if (seg === Seg.CS || seg === Seg.SS) cpu.refreshMode();
}

/**
 * A null selector in DS, ES, FS or GS (protected mode): the selector is
 * loaded as given (RPL included) and the register is unusable, so any
 * access through it is #GP(0) (SDM vol. 3, 3.4.2). The rest of the cache
 * is left as it was (VT-x calls it undefined).
 */
export function loadNullSegment(cpu: CpuState, seg: Seg, selector: number): void {
  cpu.setSeg(seg, { ...cpu.segs[seg]!, selector: selector & 0xffff, unusable: true });
}

/**
 * DS, ES, FS or GS in protected mode (SDM vol. 2, MOV: "IF DS, ES, FS, or
 * GS is loaded with non-NULL selector"). `cpl` is the privilege level the
 * checks use (the current one, or a task switch's new one); the checks
 * that name the selector raise `vector` (#GP, or #TS in a task switch);
 * a segment not present raises #NP(selector).
 */
export function loadDataSegment(env: SegmentEnv, seg: Seg, selector: number, cpl = env.cpu.cpl, vector: number = Vector.GP): void {
  const sel = selector & 0xffff;
  if (isNullSelector(sel)) {
    loadNullSegment(env.cpu, seg, sel);
    return;
  }
  const error = selectorErrorCode(sel);
  const d = fetchDescriptor(env, sel, vector);
  const type = descType(d);
  // Data, or readable code; data and non-conforming code also need RPL <= DPL and CPL <= DPL.
  if (!descIsCodeOrData(d) || !isReadableType(type)) throw new GuestFault(vector, error);
  const dpl = descDpl(d);
  if (!isConformingCodeType(type) && ((sel & 3) > dpl || cpl > dpl)) throw new GuestFault(vector, error);
  if (!descPresent(d)) throw new GuestFault(Vector.NP, error);
  env.cpu.setSeg(seg, segmentCacheOf(sel, markAccessed(env, sel, d)));
}

/**
 * SS in protected mode (SDM vol. 2, MOV: "IF SS is loaded"): a null
 * selector is `vector`(0); RPL and DPL must equal `cpl` and the segment
 * must be writable data, else `vector`(selector); not present is
 * #SS(selector).
 * IRET and far RET to an outer level pass the new CPL (the return CS's
 * RPL); a task switch passes #TS.
 */
export function loadStackSegment(env: SegmentEnv, selector: number, cpl = env.cpu.cpl, vector: number = Vector.GP): void {
  const sel = selector & 0xffff;
  if (isNullSelector(sel)) throw new GuestFault(vector, 0);
  const error = selectorErrorCode(sel);
  const d = fetchDescriptor(env, sel, vector);
  const type = descType(d);
  if ((sel & 3) !== cpl || !descIsCodeOrData(d) || !isWritableDataType(type) || descDpl(d) !== cpl) {
    throw new GuestFault(vector, error);
  }
  if (!descPresent(d)) throw new GuestFault(Vector.SS, error);
  env.cpu.setSeg(Seg.SS, segmentCacheOf(sel, markAccessed(env, sel, d)));
  env.cpu.refreshMode();
}

/**
 * MOV Sreg, POP Sreg, LDS/LES/LFS/LGS/LSS: load a data or stack segment
 * register with the checks of the current mode. CS is loaded only by far
 * transfers (and, in real and v86 mode, with the same rule as the others).
 */
export function loadSegmentRegister(env: SegmentEnv, seg: Seg, selector: number): void {
  const cpu = env.cpu;
  if (!(cpu.cr0 & CR0_PE)) loadRealModeSegment(cpu, seg, selector);
  else if (cpu.mode.v86) loadV86Segment(cpu, seg, selector);
  else if (seg === Seg.SS) loadStackSegment(env, selector);
  else if (seg === Seg.CS) throw new Error('a protected-mode CS load is a far transfer (runtime/system/transfer-ops.ts)');
  else loadDataSegment(env, seg, selector);
}

/**
 * After a far RET or IRET to an outer privilege level (SDM vol. 2, RET and
 * IRET): ES, DS, FS and GS that hold data or non-conforming code segments
 * more privileged than the new CPL get a null selector, so the outer level
 * cannot use them.
 */
export function nullifyOuterDataSegments(cpu: CpuState): void {
  for (const seg of [Seg.ES, Seg.DS, Seg.FS, Seg.GS] as const) {
    const c = cpu.segs[seg]!;
    if (c.unusable) continue;
    const type = c.access & 0xf;
    const dpl = (c.access >> 5) & 3;
    if (!isConformingCodeType(type) && cpu.cpl > dpl) loadNullSegment(cpu, seg, 0);
  }
}
