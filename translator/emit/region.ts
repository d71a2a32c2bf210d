/**
 * Block and region formation. A basic block runs until a control transfer,
 * an instruction translated code must leave to the runtime (a sensitive
 * instruction, an encoding that faults), or the end of the 4 KiB page (an
 * instruction that runs into the next page is translated with that page's
 * bytes when the job has them, and ends its block); a
 * REP string instruction is a block of its own (it branches back to
 * itself). Blocks of one page reachable by direct jumps and fall-through
 * are joined into a region, the unit of one Wasm module; given what has
 * run (`executed`), a region follows a control transfer only to code that
 * has (or that lies on a loop through it), so cold paths stay out until
 * they are compiled on their own. A region has
 * several entries: the one it was formed from, and the instruction after
 * each CALL in it, where the callee's RET comes back (the region compiler
 * adds its loop headers). Code that is already an entry of another
 * translation is linked to, not translated again: formation stops there.
 * Under the inline strategy the cheap sensitive instructions
 * (inlineSensitive) are translated and do not end blocks. With CalleePages,
 * a region also takes in functions on other pages that its direct CALLs
 * reach, each block on one page.
 */
import { decode } from '../decoder.js';
import type { ModeInfo } from '../semantics/backend.js';
import { SEMANTICS } from '../semantics/index.js';
import { type InlineSem, INLINE_SEMANTICS } from '../semantics/system.js';
import { type Instruction, isFault } from '../table/types.js';
import { ExitReason } from '../../runtime/exit-reason.js';

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
  /**
   * Bytes of the next page that instructions straddling the page end read
   * (0: none). Such an instruction is the last of its block; its code
   * checks at run time that the next linear page still maps the frame its
   * bytes came from (CompileOptions.tail).
   */
  readonly tailEnd: number;
  readonly instructionCount: number;
  /** Blocks that follow a CALL of the region: where RET comes back, so entries and in-region targets of a RET. */
  readonly returnPoints: readonly number[];
  /**
   * Blocks on other pages (CalleePages): per linear page number, the
   * offsets within it of the first and one past the last guest byte
   * translated. byteStart and byteEnd cover the entry's page only.
   */
  readonly callees: ReadonlyMap<number, { readonly start: number; readonly end: number }>;
}

/**
 * Pages besides the entry's that a region may take in: code that a
 * direct CALL of the region reaches, when it has run (JitStrategy.
 * calleePages). The callee's blocks then join the region, and so do the
 * RETs that come back to its return points: a call and its return stay
 * inside translated code instead of going through the dispatcher twice.
 * A block lies on one page (an instruction does not run from one of
 * these pages into another); the region compiler checks at run time that
 * a callee page still maps the frame its bytes came from before its
 * blocks run (CompileOptions.callees).
 */
export interface CalleePages {
  /** The linear page number of CS:eip. */
  page(eip: number): number;
  /** Take in the page holding CS:eip, the target of a CALL: true if its bytes can be read from now on. */
  admit(eip: number): boolean;
  /** The byte at CS:eip on an admitted page, else -1. */
  read(eip: number): number;
  /** Has the block at CS:eip (on an admitted page) run? */
  executed(eip: number): boolean;
}

export interface RegionLimits {
  readonly maxBlocks: number;
  readonly maxBlockInstructions: number;
}

export const DEFAULT_LIMITS: RegionLimits = { maxBlocks: 64, maxBlockInstructions: 128 };

/**
 * The sensitive instructions the 'inline' rewriting strategy translates
 * (JitStrategy.sensitive): PUSHF/POPF (their own semantics), and outside
 * v8086 mode CLI/STI, IN/OUT with an imm8 or DX port and RDTSC
 * (INLINE_SEMANTICS).
 * In v8086 mode CLI/STI and port I/O have other IOPL rules (and the I/O
 * bitmap always applies): the trap path keeps them. Every other sensitive
 * instruction still ends its block.
 */
export function inlineSensitive(i: Instruction, mode: ModeInfo): boolean {
  switch (i.row.sem) {
    case 'pushf': case 'popf': return true;
    case 'cli': case 'sti': case 'in': case 'out': return !mode.v86;
    case 'hypercall': return !mode.v86 && i.row.exit === ExitReason.Rdtsc;
    default: return false;
  }
}

/**
 * Can translated code execute this instruction itself? `inline`: the mode
 * of a translation under the inline strategy (null: the trap strategy).
 */
export function translatable(i: Instruction, inline: ModeInfo | null = null): boolean {
  // x87 and MMX run as runtime helpers, which translated code calls through an import.
  return !i.row.sensitive || (inline !== null && inlineSensitive(i, inline));
}

/** The semantic routine translated code runs for `i` (the inline form of a sensitive instruction under the inline strategy). */
export function translatedSemantics(i: Instruction, inline: boolean): InlineSem {
  return (inline && i.row.sensitive && INLINE_SEMANTICS[i.row.sem]) || SEMANTICS[i.row.sem]!;
}

/** Does the instruction run into the next 4 KiB page (Region.tailEnd)? */
export function runsIntoNextPage(i: Instruction): boolean {
  return (i.eip & 0xfff) + i.length > 0x1000;
}

/**
 * The blocks of a region that formRegion keeps given what has run: those
 * reached from the entry by falling through (a block cut for its length,
 * at a REP or a page crossing) and by control transfers to code that has
 * run (a branch or jump target, the return point of a call), and those on
 * a cycle through them (a branch of a loop not taken yet, which would
 * otherwise leave the loop's region and come back through the dispatcher
 * on every iteration once it is taken).
 */
function executedPart(blocks: ReadonlyMap<number, Block>, entry: number, executed: (eip: number) => boolean): Set<number> {
  const lastOf = (b: Block): Instruction => b.insns[b.insns.length - 1]!;
  // Control goes on from a block at its successors, and after a call at its return point.
  const edges = (b: Block): number[] => {
    const last = lastOf(b);
    return (last.row.ends === 'call' ? [...b.successors, last.nextEip] : b.successors).filter((s) => blocks.has(s));
  };
  const keep = new Set([entry]);
  const work = [entry];
  while (work.length) {
    const b = blocks.get(work.pop()!)!;
    const transfer = lastOf(b).row.ends !== undefined;
    for (const s of edges(b)) {
      if (keep.has(s) || (transfer && !executed(s))) continue;
      keep.add(s);
      work.push(s);
    }
  }
  // On a cycle through a kept block: reaching one and reached from it, that is in the strongly
  // connected component of one (linear in the blocks and edges; a search per block was quadratic).
  const component = stronglyConnected(blocks, edges);
  const hot = new Set([...keep].map((k) => component.get(k)!));
  for (const start of blocks.keys()) if (!keep.has(start) && hot.has(component.get(start)!)) keep.add(start);
  return keep;
}

/** The strongly connected component of each block, numbered (Tarjan's algorithm; regions have at most maxBlocks blocks). */
function stronglyConnected(blocks: ReadonlyMap<number, Block>, edges: (b: Block) => number[]): Map<number, number> {
  const index = new Map<number, number>();
  const low = new Map<number, number>();
  const component = new Map<number, number>();
  const stack: number[] = [];
  const onStack = new Set<number>();
  let next = 0;
  let count = 0;
  const visit = (v: number): void => {
    index.set(v, next);
    low.set(v, next);
    next++;
    stack.push(v);
    onStack.add(v);
    for (const w of edges(blocks.get(v)!)) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) === index.get(v)) {
      let w: number;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.set(w, count);
      } while (w !== v);
      count++;
    }
  };
  for (const v of blocks.keys()) if (!index.has(v)) visit(v);
  return component;
}

/** A string instruction with a REP prefix (it may run many iterations). */
export function repeated(i: Instruction): boolean {
  return i.rep !== 0 && i.row.rep !== undefined;
}

/**
 * Form the region entered at `entry` (an offset in CS). `readByte(eip)`
 * returns the byte at CS:eip, or -1 when it lies outside the entry's
 * 4 KiB page; `readTail(eip)`, when given, the bytes of the next page an
 * instruction that starts on this one may run into (-1 where unknown);
 * `executed(eip)`, when given, whether a block starting there has run:
 * the region then keeps only executedPart() of the blocks reachable.
 * Returns null if the first instruction cannot be translated.
 */
export function formRegion(readByte: (eip: number) => number, entry: number, code32: boolean, limits: RegionLimits = DEFAULT_LIMITS,
  linked: (eip: number) => boolean = () => false, inline: ModeInfo | null = null, readTail: ((eip: number) => number) | null = null,
  executed: ((eip: number) => boolean) | null = null, callees: CalleePages | null = null): Region | null {
  const blocks = new Map<number, Block>();
  const queue = [entry];
  const returnPoints: number[] = [];
  let byteStart = Infinity, byteEnd = -Infinity, count = 0;
  const wrap = (x: number): number => (code32 ? x >>> 0 : x & 0xffff);
  // A byte of the entry's page or of an admitted callee page.
  const byte = (e: number): number => {
    const v = readByte(e);
    return v >= 0 || !callees ? v : callees.read(e);
  };
  const samePage = (a: number, b: number): boolean => !callees || callees.page(a) === callees.page(b);
  while (queue.length && blocks.size < limits.maxBlocks) {
    const start = queue.shift()!;
    if (blocks.has(start)) continue;
    const insns: Instruction[] = [];
    let eip = start;
    let successors: number[] = [];
    for (;;) {
      if (!samePage(eip, start)) {
        // A block lies on one page: the next one begins here (a callee page's code is checked as it is entered).
        successors = [eip];
        break;
      }
      let outside = false, straddles = false;
      const onCalleePage = readByte(eip) < 0;
      const r = decode((k) => {
        const e = wrap(eip + k);
        let v: number;
        if (onCalleePage) {
          // An instruction of a callee page is read from that page alone.
          v = callees && samePage(e, eip) ? callees.read(e) : -1;
        } else {
          v = readByte(e);
          if (v < 0 && k > 0 && readTail) {
            // A byte of the next page, for an instruction that starts on this one.
            v = readTail(e);
            if (v >= 0) straddles = true;
          }
        }
        if (v < 0) { outside = true; return 0; }
        return v;
      }, eip, code32);
      if (outside || isFault(r) || !translatable(r, inline) || (straddles && repeated(r))) {
        successors = [eip];
        break;
      }
      if (repeated(r) && insns.length > 0) {
        // The REP instruction starts a block of its own: it is the target of its own branch back.
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
        // A callee that has run on another page joins the region when the strategy lets it (CalleePages).
        if (row.ends === 'call' && target !== undefined && callees && byte(target) < 0) callees.admit(target);
        if (row.ends === 'call' && byte(r.nextEip) >= 0 && !linked(r.nextEip) && !returnPoints.includes(r.nextEip)) {
          returnPoints.push(r.nextEip);
          queue.push(r.nextEip);
        }
        break;
      }
      if (repeated(r)) {
        successors = [r.eip, r.nextEip];
        break;
      }
      if (straddles) {
        // The next instruction starts on the next page: outside the region.
        successors = [r.nextEip];
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
    for (const s of successors) if (!blocks.has(s) && byte(s) >= 0 && !linked(s)) queue.push(s);
  }
  // A block that runs into the start of a block found later ends there: each instruction is in one
  // block, and a loop is entered only through its header (a block running into the middle of a loop
  // would make the graph irreducible).
  for (const [start, block] of [...blocks]) {
    const cut = block.insns.findIndex((i, k) => k > 0 && blocks.has(i.eip));
    if (cut > 0) blocks.set(start, { eip: start, insns: block.insns.slice(0, cut), successors: [block.insns[cut]!.eip] });
  }
  if (executed) {
    const ran = (e: number): boolean => (readByte(e) >= 0 ? executed(e) : callees !== null && callees.executed(e));
    const keep = executedPart(blocks, entry, ran);
    for (const start of [...blocks.keys()]) if (!keep.has(start)) blocks.delete(start);
  }
  let tailEnd = 0;
  const calleeExtents = new Map<number, { start: number; end: number }>();
  for (const block of blocks.values()) {
    for (const i of block.insns) {
      count++;
      const end = (i.eip & 0xfff) + i.length;
      if (callees && readByte(i.eip) < 0) {
        const page = callees.page(i.eip);
        const x = calleeExtents.get(page);
        calleeExtents.set(page, { start: Math.min(x?.start ?? Infinity, i.eip & 0xfff), end: Math.max(x?.end ?? -Infinity, end) });
        continue;
      }
      byteStart = Math.min(byteStart, i.eip & 0xfff);
      byteEnd = Math.max(byteEnd, Math.min(end, 0x1000));
      if (runsIntoNextPage(i)) tailEnd = Math.max(tailEnd, end - 0x1000);
    }
  }
  return {
    entry, blocks, byteStart, byteEnd, tailEnd, instructionCount: count, returnPoints: returnPoints.filter((e) => blocks.has(e)), callees: calleeExtents,
  };
}
