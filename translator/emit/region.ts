/**
 * Block and region formation. A basic block runs until a control transfer,
 * an instruction translated code must leave to the runtime (a sensitive
 * instruction, an x87/MMX one, an encoding that faults), a REP string
 * instruction (it may repeat itself), or the end of the 4 KiB page. Blocks
 * of one page reachable by direct jumps and fall-through are joined into
 * a region, the unit of one Wasm module; the region's entry is the unit of
 * entry.
 */
import { decode } from '../decoder.js';
import { type Instruction, isFault } from '../table/types.js';

export interface Block {
  readonly eip: number;
  readonly insns: readonly Instruction[];
  /** EIPs control may continue at after the block (inside or outside the region). */
  readonly successors: readonly number[];
}

export interface Region {
  readonly entry: number;
  /** Blocks by EIP; the entry block first. */
  readonly blocks: ReadonlyMap<number, Block>;
  /** Offsets (within the page) of the first and one past the last guest byte translated. */
  readonly byteStart: number;
  readonly byteEnd: number;
  readonly instructionCount: number;
}

export interface RegionLimits {
  readonly maxBlocks: number;
  readonly maxBlockInstructions: number;
}

export const DEFAULT_LIMITS: RegionLimits = { maxBlocks: 64, maxBlockInstructions: 128 };

/** Can translated code execute this instruction itself? */
export function translatable(i: Instruction): boolean {
  const row = i.row;
  // x87 and MMX run as runtime helpers, which translated code does not call yet.
  return !row.sensitive && row.group !== 'x87' && row.group !== 'mmx';
}

/**
 * Form the region entered at `entry` (an offset in CS). `readByte(eip)`
 * returns the byte at CS:eip, or -1 when it lies outside the entry's
 * 4 KiB page. Returns null if the first instruction cannot be translated.
 */
export function formRegion(readByte: (eip: number) => number, entry: number, code32: boolean, limits: RegionLimits = DEFAULT_LIMITS): Region | null {
  const blocks = new Map<number, Block>();
  const queue = [entry];
  let byteStart = Infinity, byteEnd = -Infinity, count = 0;
  const wrap = (x: number): number => (code32 ? x >>> 0 : x & 0xffff);
  while (queue.length && blocks.size < limits.maxBlocks) {
    const start = queue.shift()!;
    if (blocks.has(start)) continue;
    const insns: Instruction[] = [];
    let eip = start;
    let successors: number[] = [];
    for (;;) {
      let outside = false;
      const r = decode((k) => {
        const v = readByte(wrap(eip + k));
        if (v < 0) { outside = true; return 0; }
        return v;
      }, eip, code32);
      if (outside || isFault(r) || !translatable(r)) {
        successors = [eip];
        break;
      }
      insns.push(r);
      const row = r.row;
      const rel = r.operands.find((o) => o.kind === 'rel');
      const target = rel && rel.kind === 'rel' ? rel.target : undefined;
      if (row.ends) {
        if (row.ends === 'branch') successors = target !== undefined ? [target, r.nextEip] : [r.nextEip];
        else if ((row.ends === 'jump' || row.ends === 'call') && target !== undefined) successors = [target];
        else if (row.ends === 'event') successors = [r.nextEip];
        else successors = [];
        break;
      }
      if (r.rep && row.rep) {
        successors = [r.eip, r.nextEip];
        break;
      }
      eip = r.nextEip;
      if (insns.length >= limits.maxBlockInstructions || blocks.has(eip)) {
        successors = [eip];
        break;
      }
    }
    if (insns.length === 0) {
      if (start === entry) return null;
      continue;
    }
    blocks.set(start, { eip: start, insns, successors });
    for (const i of insns) {
      count++;
      byteStart = Math.min(byteStart, i.eip & 0xfff);
      byteEnd = Math.max(byteEnd, (i.eip & 0xfff) + i.length);
    }
    for (const s of successors) if (!blocks.has(s) && readByte(s) >= 0) queue.push(s);
  }
  return { entry, blocks, byteStart, byteEnd, instructionCount: count };
}
