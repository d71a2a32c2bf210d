/**
 * Segment and gate descriptors (SDM vol. 3, 3.4.5 and 6.11): reading them
 * from the GDT or LDT, decoding their fields, and turning a segment
 * descriptor into the hidden descriptor cache of a segment register.
 *
 * A descriptor is kept raw, as its two little-endian dwords (lo = bytes
 * 0-3, hi = bytes 4-7); the accessors below decode it.
 */
import type { SegmentCache } from '../cpu.js';
import type { SystemContext } from './context.js';
import { readLinear, writeLinear } from './linear.js';

/** What reading a descriptor table needs: the CPU's table registers, memory and the MMU (a SystemContext, or the concrete backend). */
export type DescriptorTables = Pick<SystemContext, 'cpu' | 'mem' | 'mmu'>;

export interface Descriptor {
  readonly lo: number;
  readonly hi: number;
}

/** System-descriptor and gate types (S = 0), SDM vol. 3, table 3-2. */
export const enum SysType {
  Tss16Available = 1,
  Ldt = 2,
  Tss16Busy = 3,
  CallGate16 = 4,
  TaskGate = 5,
  InterruptGate16 = 6,
  TrapGate16 = 7,
  Tss32Available = 9,
  Tss32Busy = 11,
  CallGate32 = 12,
  InterruptGate32 = 14,
  TrapGate32 = 15,
}

export const descBase = (d: Descriptor): number => ((d.lo >>> 16) | ((d.hi & 0xff) << 16) | (d.hi & 0xff000000)) >>> 0;
/** The byte-granular limit (scaled by G). */
export const descLimit = (d: Descriptor): number => {
  const raw = (d.lo & 0xffff) | (d.hi & 0xf0000);
  return d.hi & 0x800000 ? ((raw << 12) | 0xfff) >>> 0 : raw;
};
/** The access byte: type (bits 0-3), S (4), DPL (5-6), P (7). */
export const descAccess = (d: Descriptor): number => (d.hi >>> 8) & 0xff;
export const descType = (d: Descriptor): number => (d.hi >>> 8) & 0xf;
export const descDpl = (d: Descriptor): number => (d.hi >>> 13) & 3;
export const descPresent = (d: Descriptor): boolean => (d.hi & 0x8000) !== 0;
/** S = 1: a code or data segment; S = 0: a system segment or gate. */
export const descIsCodeOrData = (d: Descriptor): boolean => (d.hi & 0x1000) !== 0;
export const descIsCode = (d: Descriptor): boolean => descIsCodeOrData(d) && (d.hi & 0x800) !== 0;
/** D/B: 32-bit code segment, 32-bit stack, or expand-down to 4 GiB. */
export const descBig = (d: Descriptor): boolean => (d.hi & 0x400000) !== 0;

/** Gate fields (call, interrupt, trap and task gates). */
export const gateSelector = (d: Descriptor): number => d.lo >>> 16;
export const gateOffset = (d: Descriptor): number => ((d.lo & 0xffff) | (d.hi & 0xffff0000)) >>> 0;
export const gateParamCount = (d: Descriptor): number => d.hi & 0x1f;

/** Linear address of the descriptor a selector names, or -1 when the selector's index is past its table's limit (or the LDT is unusable). */
export function descriptorAddress(ctx: DescriptorTables, selector: number): number {
  const cpu = ctx.cpu;
  const index = selector & 0xfff8;
  if (selector & 4) {
    if (cpu.ldtr.unusable || index + 7 > cpu.ldtr.limit) return -1;
    return (cpu.ldtr.base + index) >>> 0;
  }
  if (index + 7 > cpu.gdtrLimit) return -1;
  return (cpu.gdtrBase + index) >>> 0;
}

/** Read the descriptor a selector names; null when it lies past its table's limit. Page faults propagate. */
export function readDescriptor(ctx: DescriptorTables, selector: number): Descriptor | null {
  const at = descriptorAddress(ctx, selector);
  if (at < 0) return null;
  return { lo: readLinear(ctx, at, 4), hi: readLinear(ctx, at + 4, 4) };
}

/** Rewrite the high dword of a descriptor (the accessed and busy bits live there). */
export function writeDescriptorHigh(ctx: DescriptorTables, selector: number, hi: number): void {
  const at = descriptorAddress(ctx, selector);
  if (at >= 0) writeLinear(ctx, at + 4, 4, hi);
}

/** The descriptor cache a segment register gets from a code or data descriptor. */
export function segmentCacheOf(selector: number, d: Descriptor): SegmentCache {
  return {
    selector: selector & 0xffff,
    base: descBase(d),
    limit: descLimit(d),
    access: descAccess(d),
    big: descBig(d),
    unusable: false,
  };
}
