/**
 * Architectural state of one virtual CPU (the VMCS guest-state area's
 * contents): registers, EFLAGS with lazy arithmetic flags, segment
 * registers with their hidden descriptor caches, control registers and the
 * descriptor-table registers.
 */
import { Seg } from '../translator/table/types.js';
import type { ModeInfo } from '../translator/semantics/backend.js';
import { FPU_BLOCK_BYTES, FpuState } from './fpu/index.js';
import type { PhysicalMemory } from './memory.js';

/** Descriptor cache of one segment register (SDM vol. 3, 3.4.3). */
export interface SegmentCache {
  /** Also in the state block (StateSlot.Selectors): a cache changes only through CpuState.setSeg. */
  readonly selector: number;
  /** Also in the state block (StateSlot.Bases). */
  readonly base: number;
  /** Byte-granular limit (already scaled by G). */
  limit: number;
  /** Access byte: type (bits 0-3), S (4), DPL (5-6), P (7). */
  access: number;
  /** D/B bit: 32-bit code / 32-bit stack. */
  big: boolean;
  /** A null selector was loaded (protected mode): any access is #GP(0). */
  unusable: boolean;
}

export const CR0_PE = 1;
export const CR0_MP = 2;
export const CR0_EM = 4;
export const CR0_TS = 8;
export const CR0_ET = 0x10;
export const CR0_NE = 0x20;
export const CR0_WP = 0x10000;
export const CR0_AM = 0x40000;
export const CR0_NW = 0x20000000;
export const CR0_CD = 0x40000000;
export const CR0_PG = 0x80000000 | 0;

export const CR4_PSE = 0x10;
export const CR4_PAE = 0x20;
export const CR4_PGE = 0x80;

/** Access byte of a present, accessed, read/write data segment with the given DPL. */
export const DATA_RW_ACCESS = (dpl: number): number => 0x93 | (dpl << 5);
/** Access byte of a present, accessed, execute/read code segment with the given DPL. */
export const CODE_RX_ACCESS = (dpl: number): number => 0x9b | (dpl << 5);

function realModeSegment(selector: number): SegmentCache {
  return { selector, base: selector << 4, limit: 0xffff, access: DATA_RW_ACCESS(0), big: false, unusable: false };
}

/** Bit position of StateSlot.LazyKind's operation, and of its operand size; its flag mask's bits (every arithmetic flag lies below bit 12). */
export const LAZY_KIND_OP_SHIFT = 12;
export const LAZY_KIND_SIZE_SHIFT = 20;
export const LAZY_KIND_MASK = 0xfff;

/** mask | op << 12 | size << 20. */
export function packLazyKind(mask: number, op: number, size: number): number {
  return (mask & LAZY_KIND_MASK) | (op << LAZY_KIND_OP_SHIFT) | (size << LAZY_KIND_SIZE_SHIFT);
}

/**
 * Slots of the state block: the part of the CPU state that translated code
 * reads and writes, kept in one Int32Array so that it can live in the
 * guest's Wasm memory (host area) and be shared by every tier.
 */
export const enum StateSlot {
  Regs = 0, // 8 general registers
  Eip = 8,
  Flags = 9,
  /**
   * The lazy record's kind, packed: the flags it describes (bits 0-11,
   * LAZY_KIND_MASK), its operation (bits 12-19) and operand size (bits
   * 20 and up), as translated code keeps it in one local: a region's
   * entry reads it and its exit writes it with one access.
   */
  LazyKind = 10,
  LazyRes = 11,
  LazyA = 12,
  LazyB = 13,
  /** Instructions translated code may still retire before it returns (the execution budget). */
  Budget = 14,
  /** Why translated code returned (runtime/jit). */
  ExitCode = 15,
  /** Scratch for an exit's argument (a fault vector, …). */
  ExitArg = 16,
  /** A fault's error code. */
  ExitError = 17,
  /** Mode bits of the current execution (the low part of a translation's key), for the Wasm dispatcher. */
  ModeBits = 18,
  /** TLB deny mask of an instruction fetch at the current CPL, for the Wasm dispatcher. */
  FetchMask = 19,
  /** Sensitive instructions translated code ran inline (JitStrategy.sensitive 'inline'): a counter for the stats. */
  InlineOps = 20,
  /**
   * Set (1) by a runtime call from translated code that failed (a guest
   * fault, an exit for the embedder: runtime/jit JitTier.fail): the code
   * writes its registers back and returns JitExit.Exception.
   */
  Raised = 21,
  /**
   * 1 while an event waits for IF = 1 (an interrupt, an interrupt-window
   * exit) and the vCPU runs a tier with IF = 0 (runtime/vcpu.ts): the tier
   * returns as soon as an instruction sets IF, at the boundary after it
   * (translated STI and POPF test it: translator/emit/compile.ts).
   */
  IntrWaiting = 22,
  /** CR0 (CpuState.cr0): translated x87 code tests EM and TS. */
  Cr0 = 23,
  /** The six segment selectors, in Seg order (CpuState.setSeg keeps them): translated code reads them (MOV r/m, Sreg; the x87 pointers). */
  Selectors = 24,
  /** The six segment bases, in Seg order (CpuState.setSeg keeps them): translated code adds FS's and GS's. */
  Bases = 30,
  /** Bit per Seg: the segment is wholeSpace() (CpuState.setSeg keeps it): translated code may add its base and use the inline TLB. */
  WholeSpace = 36,
  /**
   * Entries into translated regions (CompileOptions.entryCounter 'state'):
   * the runtime adds it to JitStats.regionEntries and clears it (it wraps
   * at 2^32).
   */
  RegionEntries = 37,
  Size = 40,
}

/**
 * A segment whose every access is just base + offset with the 4 GiB limit
 * check: usable read/write expand-up data of limit 4 GiB (the other checks
 * of an access cannot fail). Translated code's inline TLB path takes such
 * segments: flat ones (base 0, known when translating) and FS and GS with
 * any base (tested at run time: StateSlot.WholeSpace).
 */
export function wholeSpace(c: SegmentCache): boolean {
  const type = c.access & 0xf;
  return !c.unusable && c.limit === 0xffffffff && (type & 0xe) === 0x2; // data, writable, expand-up
}

/** Bytes of the state block. */
export const STATE_BYTES = StateSlot.Size * 4;

/** Bytes of a CPU's block in the host area: the state block, then the x87 unit's (FpuState). */
export const CPU_BLOCK_BYTES = STATE_BYTES + FPU_BLOCK_BYTES;

export class CpuState {
  /** The state block (see StateSlot). */
  readonly state: Int32Array;
  readonly regs: Int32Array;

  /** A CPU whose state block lives in the host area of `mem`, where translated code can reach it. */
  static in(mem: PhysicalMemory): CpuState {
    return new CpuState(mem.memory.buffer, mem.host.state);
  }

  constructor(buffer?: ArrayBufferLike, byteOffset = 0) {
    this.state = buffer ? new Int32Array(buffer, byteOffset, StateSlot.Size) : new Int32Array(StateSlot.Size);
    this.regs = this.state.subarray(StateSlot.Regs, StateSlot.Regs + 8);
    this.state[StateSlot.Flags] = 2;
    this.state[StateSlot.LazyKind] = 4 << LAZY_KIND_SIZE_SHIFT;
    this.cr0 = CR0_ET;
    this.fpu = buffer ? new FpuState(buffer, byteOffset + STATE_BYTES) : new FpuState();
  }

  /** Load segment register `s`'s cache (and its selector and base into the state block). */
  setSeg(s: Seg, cache: SegmentCache): void {
    (this.segs as SegmentCache[])[s] = cache;
    this.state[StateSlot.Selectors + s] = cache.selector;
    this.state[StateSlot.Bases + s] = cache.base;
    const bit = 1 << s;
    this.state[StateSlot.WholeSpace] = wholeSpace(cache) ? this.state[StateSlot.WholeSpace]! | bit : this.state[StateSlot.WholeSpace]! & ~bit;
  }

  get eip(): number { return this.state[StateSlot.Eip]! >>> 0; }
  set eip(v: number) { this.state[StateSlot.Eip] = v; }
  /** Materialised EFLAGS bits (those not in lazyMask). */
  get flags(): number { return this.state[StateSlot.Flags]!; }
  set flags(v: number) { this.state[StateSlot.Flags] = v; }
  /** Arithmetic flags currently described by the lazy record below (the fields of StateSlot.LazyKind). */
  get lazyMask(): number { return this.state[StateSlot.LazyKind]! & LAZY_KIND_MASK; }
  set lazyMask(v: number) { this.state[StateSlot.LazyKind] = (this.state[StateSlot.LazyKind]! & ~LAZY_KIND_MASK) | (v & LAZY_KIND_MASK); }
  get lazyOp(): number { return (this.state[StateSlot.LazyKind]! >>> LAZY_KIND_OP_SHIFT) & 0xff; }
  get lazySize(): 1 | 2 | 4 { return (this.state[StateSlot.LazyKind]! >>> LAZY_KIND_SIZE_SHIFT) as 1 | 2 | 4; }
  /** A new lazy record's kind: the flags it describes, its operation and operand size. */
  setLazyKind(mask: number, op: number, size: 1 | 2 | 4): void {
    this.state[StateSlot.LazyKind] = packLazyKind(mask, op, size);
  }
  get lazyRes(): number { return this.state[StateSlot.LazyRes]!; }
  set lazyRes(v: number) { this.state[StateSlot.LazyRes] = v; }
  get lazyA(): number { return this.state[StateSlot.LazyA]!; }
  set lazyA(v: number) { this.state[StateSlot.LazyA] = v; }
  get lazyB(): number { return this.state[StateSlot.LazyB]!; }
  set lazyB(v: number) { this.state[StateSlot.LazyB] = v; }

  /** The segment registers' caches, in Seg order: replaced only through setSeg(), which keeps the state block's selectors. */
  readonly segs: readonly SegmentCache[] = [0, 0, 0, 0, 0, 0].map(() => realModeSegment(0));
  get cr0(): number { return this.state[StateSlot.Cr0]!; }
  set cr0(v: number) { this.state[StateSlot.Cr0] = v; }
  cr2 = 0;
  cr3 = 0;
  cr4 = 0;
  cpl = 0;
  gdtrBase = 0;
  gdtrLimit = 0xffff;
  idtrBase = 0;
  idtrLimit = 0x3ff;
  ldtr: SegmentCache = { selector: 0, base: 0, limit: 0, access: 0x82, big: false, unusable: true };
  tr: SegmentCache = { selector: 0, base: 0, limit: 0xffff, access: 0x8b, big: false, unusable: false };
  halted = false;
  /** IA32_EFER (NXE is bit 11; the other bits are long-mode bits an i686 does not have). */
  efer = 0;
  /** IA32_SYSENTER_CS, _ESP, _EIP (MSRs 174h-176h). */
  sysenterCs = 0;
  sysenterEsp = 0;
  sysenterEip = 0;
  /** Debug registers DR0-DR7 (DR4/DR5 alias DR6/DR7 unless CR4.DE). */
  readonly dr: number[] = [0, 0, 0, 0, 0, 0, 0xffff0ff0, 0x400];
  /**
   * Interruptibility state (VMCS guest interruptibility, SDM vol. 3, 25.4.2):
   * 1 = blocking by STI, 2 = blocking by MOV SS/POP SS. Set by the
   * instruction, cleared after the next instruction retires.
   */
  interruptShadow = 0;
  /** x87 FPU and MMX state (runtime/fpu). */
  readonly fpu: FpuState;

  /** Mode facts for the translator and the semantics; recomputed by refreshMode(). */
  mode: ModeInfo = { code32: false, stack32: false, cpl: 0, protectedMode: false, v86: false };

  /** The reset state (SDM vol. 3, 9.1.1): real mode at F000:FFF0 with CS.base FFFF0000. */
  reset(): void {
    this.regs.fill(0);
    this.regs[2] = 0x600; // EDX: family 6 (i686)
    this.eip = 0xfff0;
    this.flags = 2;
    this.lazyMask = 0;
    for (let s = 0; s < 6; s++) this.setSeg(s, realModeSegment(0));
    this.setSeg(Seg.CS, { selector: 0xf000, base: 0xffff0000, limit: 0xffff, access: CODE_RX_ACCESS(0), big: false, unusable: false });
    this.cr0 = CR0_ET | CR0_CD | CR0_NW;
    this.cr2 = this.cr3 = this.cr4 = 0;
    this.cpl = 0;
    this.gdtrBase = this.idtrBase = 0;
    this.gdtrLimit = this.idtrLimit = 0xffff;
    // LDTR and TR: selector 0, base 0, limit FFFFh, present (table 9-1).
    this.ldtr = { selector: 0, base: 0, limit: 0xffff, access: 0x82, big: false, unusable: false };
    this.tr = { selector: 0, base: 0, limit: 0xffff, access: 0x8b, big: false, unusable: false };
    this.dr.splice(0, 8, 0, 0, 0, 0, 0, 0, 0xffff0ff0, 0x400);
    this.efer = 0;
    this.sysenterCs = this.sysenterEsp = this.sysenterEip = 0;
    this.interruptShadow = 0;
    this.halted = false;
    this.fpu.reset();
    this.refreshMode();
  }

  refreshMode(): void {
    const pe = (this.cr0 & CR0_PE) !== 0;
    const v86 = pe && (this.flags & (1 << 17)) !== 0;
    this.mode = {
      code32: this.segs[Seg.CS]!.big,
      stack32: this.segs[Seg.SS]!.big,
      cpl: this.cpl,
      protectedMode: pe && !v86,
      v86,
    };
  }

  get paging(): boolean {
    return (this.cr0 & CR0_PG) !== 0 && (this.cr0 & CR0_PE) !== 0;
  }
}
