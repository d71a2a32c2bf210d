/**
 * Flag liveness for a region. What an instruction reads and overwrites of
 * the six arithmetic flags is found by running its semantic routine on a
 * recording backend, so the facts come from the one description of the
 * instruction (a CMPS under REPE reads the ZF it just wrote; a shift by CL
 * may leave every flag as it was: only an unconditional write kills).
 *
 * Two liveness facts. "Live" is about the fast path only: a flag is live
 * where some later instruction of the region reads it before it is
 * overwritten. Exits (faults, the budget, leaving the region) do not make
 * a flag live: the emitter keeps every flag exact at every point through
 * its lazy records, and computes what an exit needs on the exit's own
 * path. A live flag is one the emitter computes at a block boundary, so
 * that its reader finds it materialised. "Observable" counts exits too: a
 * flag that is not observable is overwritten before anything can see it,
 * so an instruction that computes flags eagerly (IMUL, a rotate) need not
 * compute it at all.
 */
import { ARITH_FLAGS, Flag, FlagOp, type ModeInfo } from '../semantics/backend.js';
import { conditionFromFlags, flagsDefinedBy } from '../semantics/flags.js';
import type { InlineBackend } from '../semantics/system.js';
import type { Instruction, Seg, Size } from '../table/types.js';
import { type Region, translatedSemantics } from './region.js';

/** The arithmetic flags an instruction reads from its predecessors, and those it always overwrites. */
export interface FlagUse {
  readonly reads: number;
  readonly kills: number;
  /** It may leave the translated code part-way (a fault, a runtime call): every flag is observable before it. */
  readonly mayExit: boolean;
  /** It may store to memory (a store that hits translated code leaves after it: every flag is observable after it). */
  readonly stores: boolean;
  /** A flag operation that keeps CF (INC, DEC): the emitter wants CF materialised before it when CF is observable after it. */
  readonly keepsCarry: boolean;
}

/** A backend that computes nothing and records the flag accesses of one instruction. */
class FlagRecorder implements InlineBackend<number> {
  reads = 0;
  kills = 0;
  mayExit = false;
  stores = false;
  keepsCarry = false;
  /** Nesting of if_: a write under a condition does not kill. */
  private depth = 0;

  constructor(readonly mode: ModeInfo) {}

  private read(f: number): void {
    this.reads |= f & ARITH_FLAGS & ~this.kills;
  }

  private write(f: number): void {
    if (this.depth === 0) this.kills |= f & ARITH_FLAGS;
  }

  k(): number { return 0; }
  add(): number { return 0; }
  sub(): number { return 0; }
  mul(): number { return 0; }
  and(): number { return 0; }
  or(): number { return 0; }
  xor(): number { return 0; }
  not(): number { return 0; }
  neg(): number { return 0; }
  shl(): number { return 0; }
  shrU(): number { return 0; }
  shrS(): number { return 0; }
  rotl(): number { return 0; }
  rotr(): number { return 0; }
  eq(): number { return 0; }
  ne(): number { return 0; }
  ltU(): number { return 0; }
  ltS(): number { return 0; }
  leU(): number { return 0; }
  leS(): number { return 0; }
  eqz(): number { return 0; }
  select(): number { return 0; }
  zx(): number { return 0; }
  sx(): number { return 0; }
  clz(): number { return 0; }
  ctz(): number { return 0; }
  popcnt(): number { return 0; }
  bswap(): number { return 0; }
  mulWide(): { lo: number; hi: number } { return { lo: 0, hi: 0 }; }
  divide(): { q: number; r: number; fault: number } { return { q: 0, r: 0, fault: 0 }; }
  reg(): number { return 0; }
  setReg(): void {}
  sreg(): number { return 0; }
  loadSeg(): void { this.read(ARITH_FLAGS); this.mayExit = true; }
  load(_s: Seg, _o: number, _size: Size): number { this.mayExit = true; return 0; }
  store(): void { this.mayExit = true; this.stores = true; }
  probeWrite(): void { this.mayExit = true; }
  load64(): { lo: number; hi: number } { this.mayExit = true; return { lo: 0, hi: 0 }; }
  store64(): void { this.mayExit = true; this.stores = true; }
  // The x87 unit's state: no flags.
  x87Usable(): number { return 0; }
  fpuWord(): number { return 0; }
  setFpuWord(): void {}
  fpuReg(): number { return 0; }
  setFpuReg(): void {}
  /** A jump may fault on the CS limit. */
  jump(): void { this.mayExit = true; }
  /**
   * INC and DEC keep CF: the emitter wants it materialised before them
   * (computed at the block boundary from the operation that made it,
   * rather than carried as a second record), so for liveness they read it,
   * where CF is observable after them (regionLiveness).
   */
  flagsOp(op: FlagOp): void {
    if (!(flagsDefinedBy(op) & Flag.CF) && !(this.kills & Flag.CF)) this.keepsCarry = true;
    this.write(flagsDefinedBy(op));
  }
  flag(f: number): number { this.read(f); return 0; }
  setFlag(f: number): void { this.write(f); }
  eflags(): number { this.read(ARITH_FLAGS); return 0; }
  setEflags(_v: number, mask: number): void { this.write(mask); }
  cond(cc: number): number { return conditionFromFlags(this, (f) => this.flag(f), cc); }
  if_(_c: number, then: () => void, otherwise?: () => void): void {
    this.depth++;
    then();
    otherwise?.();
    this.depth--;
  }
  raise(): void { this.mayExit = true; }
  raiseTrap(): void { this.mayExit = true; }
  /** A sensitive instruction is never translated; if it were, the VMM could read any flag. */
  hypercall(): void { this.read(ARITH_FLAGS); this.mayExit = true; }
  /** A runtime helper works on the state block, where it may read any flag (FCMOVcc) and write some (FCOMI). */
  helper(): void { this.read(ARITH_FLAGS); this.mayExit = true; }
  // The inline forms of sensitive instructions (InlineBackend): leaving for the VMM is an exit.
  leaveToVmm(): void { this.mayExit = true; }
  iopl(): number { return 0; }
  stiShadow(): void {}
  /** A device may throw, or the VMM decline (leaving before), or a device's DMA hit translated code (leaving after). */
  portIo(): number { this.mayExit = true; this.stores = true; return 0; }
  rdtsc(): [number, number] { this.mayExit = true; return [0, 0]; }
  countInline(): void {}
}

/** Flag reads and kills of one instruction. */
export function flagUse(insn: Instruction, mode: ModeInfo, inline = false): FlagUse {
  const r = new FlagRecorder(mode);
  translatedSemantics(insn, inline)(r, insn);
  return { reads: r.reads, kills: r.kills, mayExit: r.mayExit, stores: r.stores, keepsCarry: r.keepsCarry };
}

export interface RegionLiveness {
  /** Per block (by EIP): flags live after each instruction. */
  readonly liveAfter: ReadonlyMap<number, readonly number[]>;
  /**
   * Per block: flags that anything may observe after each instruction
   * before they are overwritten, exits included (within the block; at its
   * end every flag counts as observable). A flag outside this set is dead
   * outright: its value need not even be kept.
   */
  readonly observableAfter: ReadonlyMap<number, readonly number[]>;
  /** Per block: flags live at its start. */
  readonly liveIn: ReadonlyMap<number, number>;
}

/**
 * Backward dataflow over the region's blocks to a fixed point. `inRegion`
 * successors only: leaving the region reads nothing on the fast path.
 */
export function regionLiveness(region: Region, mode: ModeInfo, inline = false): RegionLiveness {
  const uses = new Map<number, FlagUse[]>();
  for (const [eip, block] of region.blocks) uses.set(eip, block.insns.map((i) => flagUse(i, mode, inline)));
  // Observable flags, within each block (its end counts as observing every flag).
  const observableAfter = new Map<number, number[]>();
  for (const [eip, block] of region.blocks) {
    const u = uses.get(eip)!;
    const after: number[] = new Array<number>(block.insns.length);
    let obs = ARITH_FLAGS;
    for (let k = block.insns.length - 1; k >= 0; k--) {
      if (u[k]!.stores) obs = ARITH_FLAGS;
      after[k] = obs;
      obs = u[k]!.mayExit ? ARITH_FLAGS : (obs & ~u[k]!.kills) | u[k]!.reads;
    }
    observableAfter.set(eip, after);
  }
  // Live flags, over the region's blocks to a fixed point.
  const liveIn = new Map<number, number>();
  for (const eip of region.blocks.keys()) liveIn.set(eip, 0);
  const liveAfter = new Map<number, number[]>();
  let changed = true;
  while (changed) {
    changed = false;
    for (const [eip, block] of [...region.blocks].reverse()) {
      let live = 0;
      for (const s of block.successors) live |= liveIn.get(s) ?? 0;
      const after: number[] = new Array<number>(block.insns.length);
      const u = uses.get(eip)!;
      const obs = observableAfter.get(eip)!;
      for (let k = block.insns.length - 1; k >= 0; k--) {
        after[k] = live;
        const carry = u[k]!.keepsCarry && (obs[k]! & Flag.CF) ? Flag.CF : 0;
        live = (live & ~u[k]!.kills) | u[k]!.reads | carry;
      }
      liveAfter.set(eip, after);
      if (live !== liveIn.get(eip)) {
        liveIn.set(eip, live);
        changed = true;
      }
    }
  }
  return { liveAfter, liveIn, observableAfter };
}
