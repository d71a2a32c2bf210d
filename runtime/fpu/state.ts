/**
 * Architectural state of the x87 FPU and the MMX registers that alias it
 * (SDM vol. 1, 8.1 and 9.2): eight 80-bit physical registers R0..R7, the
 * control word, the status word with TOP, the tag word, and the last
 * instruction and data pointers with the last opcode.
 *
 * Departures from the manual's picture, following P6-and-later hardware:
 *  - the tag word is kept as one "empty" bit per register (what FXSAVE
 *    stores); the 2-bit tags FSTENV/FSAVE write are computed from the
 *    register contents when stored, and FLDENV/FRSTOR keep only "empty";
 *  - ES and B of the status word are not stored: they read as 1 exactly
 *    when an exception flag is set whose mask bit is clear (the host loads
 *    and stores them that way: an FLDENV'd ES with nothing unmasked reads 0).
 *
 * The state lives in one block of memory (significands, sign/exponent
 * words, then the other words by FpuWord) so the MMX unit can view the
 * significands as packed lanes and translated code can address the state
 * as memory. Little-endian hosts only (checked at load).
 */
import { FpuWord } from '../../translator/semantics/backend.js';

/** Status word bits. */
export const enum Sw {
  IE = 0x0001, DE = 0x0002, ZE = 0x0004, OE = 0x0008, UE = 0x0010, PE = 0x0020,
  SF = 0x0040, ES = 0x0080,
  C0 = 0x0100, C1 = 0x0200, C2 = 0x0400, C3 = 0x4000, B = 0x8000,
  /** The six exception flags (and the six mask bits of the control word). */
  EXCEPTIONS = 0x003f,
  /** Condition codes. */
  CC = 0x4700,
}

/** Rounding control values (control word bits 10-11); precision control is bits 8-9: 00 24 bits, 10 53, 11 64. */
export const enum Rc { Nearest = 0, Down = 1, Up = 2, Zero = 3 }

/** How the unit computes: bit-exact soft-float, or host f64 where that is good enough (fast). */
export type FpuStrategy = 'exact' | 'fast';

if (new Uint8Array(Uint16Array.of(1).buffer)[0] !== 1) throw new Error('the x87 unit needs a little-endian host');

/** Bytes of the unit's block (FpuState): registers' significands at 0, sign/exponent words at 64, the FpuWord words at 80. */
export const FPU_BLOCK_BYTES = 128;
/** Byte offsets in the block. */
export const FPU_SIG_OFFSET = 0;
export const FPU_SEXP_OFFSET = 64;
export const FPU_WORDS_OFFSET = 80;

export class FpuState {
  /**
   * The block: its own buffer, or FPU_BLOCK_BYTES of another one (the
   * guest's Wasm memory, after the CPU's state block: CpuState.in), where
   * translated code reads and writes it (Backend.fpuWord, fpuReg).
   */
  readonly buffer: ArrayBufferLike;
  /** Significand of R(i), explicit integer bit included (bit 63). MMX register i is this value. */
  readonly sig: BigUint64Array;
  /** The same significands as 32-bit halves: [2i] low, [2i+1] high. */
  readonly sig32: Uint32Array;
  /** Sign (bit 15) and biased exponent (bits 0-14) of R(i). */
  readonly sexp: Uint16Array;
  /** cw, sw, top, empty and the pointers, by FpuWord. */
  readonly words: Uint32Array;

  constructor(buffer?: ArrayBufferLike, byteOffset = 0) {
    this.buffer = buffer ?? new ArrayBuffer(FPU_BLOCK_BYTES);
    this.sig = new BigUint64Array(this.buffer, byteOffset + FPU_SIG_OFFSET, 8);
    this.sig32 = new Uint32Array(this.buffer, byteOffset + FPU_SIG_OFFSET, 16);
    this.sexp = new Uint16Array(this.buffer, byteOffset + FPU_SEXP_OFFSET, 8);
    this.words = new Uint32Array(this.buffer, byteOffset + FPU_WORDS_OFFSET, FpuWord.Count);
    this.cw = 0x037f;
    this.empty = 0xff;
  }

  /** Control word (bit 6 reads as 1; bits 13-15 are reserved and read as 0). */
  get cw(): number { return this.words[FpuWord.Cw]!; }
  set cw(v: number) { this.words[FpuWord.Cw] = v; }
  /** Status word without TOP (bits 11-13), ES and B. */
  get sw(): number { return this.words[FpuWord.Sw]!; }
  set sw(v: number) { this.words[FpuWord.Sw] = v; }
  /** TOP: the physical register that is ST(0). */
  get top(): number { return this.words[FpuWord.Top]!; }
  set top(v: number) { this.words[FpuWord.Top] = v; }
  /** Bit i set: R(i) is empty. */
  get empty(): number { return this.words[FpuWord.Empty]!; }
  set empty(v: number) { this.words[FpuWord.Empty] = v; }

  /** Last non-control instruction: offset, CS selector, opcode (11 bits). */
  get fip(): number { return this.words[FpuWord.Fip]!; }
  set fip(v: number) { this.words[FpuWord.Fip] = v; }
  get fcs(): number { return this.words[FpuWord.Fcs]!; }
  set fcs(v: number) { this.words[FpuWord.Fcs] = v; }
  get fop(): number { return this.words[FpuWord.Fop]!; }
  set fop(v: number) { this.words[FpuWord.Fop] = v; }
  /** Its memory operand: offset and segment selector. */
  get fdp(): number { return this.words[FpuWord.Fdp]!; }
  set fdp(v: number) { this.words[FpuWord.Fdp] = v; }
  get fds(): number { return this.words[FpuWord.Fds]!; }
  set fds(v: number) { this.words[FpuWord.Fds] = v; }

  /** MXCSR as FXSAVE/FXRSTOR see it (the unit has no SSE: kept for the image only). */
  mxcsr = 0x1f80;

  /**
   * FERR#: an unmasked exception is pending while CR0.NE = 0 (the legacy
   * PC path to IRQ 13 through the PIC). Set here, left for the interrupt
   * controller model of the system issue to act on; cleared with ES.
   */
  ferr = false;

  /** Computation strategy (see runtime/fpu/index.ts). */
  strategy: FpuStrategy = 'exact';

  /** The state after RESET (SDM vol. 3, table 9-1): FCW 0040, FSW 0, tags 5555 (all zero, valid). */
  reset(): void {
    this.cw = 0x0040;
    this.sw = 0;
    this.top = 0;
    this.empty = 0;
    this.sig.fill(0n);
    this.sexp.fill(0);
    this.fip = this.fcs = this.fop = this.fdp = this.fds = 0;
    this.mxcsr = 0x1f80;
    this.ferr = false;
  }

  /** FNINIT: control word 037F, status 0, every register empty, pointers 0 (registers keep their bits). */
  init(): void {
    this.cw = 0x037f;
    this.sw = 0;
    this.top = 0;
    this.empty = 0xff;
    this.fip = this.fcs = this.fop = this.fdp = this.fds = 0;
    this.ferr = false;
  }

  /** An unmasked exception is pending (the ES bit). */
  get pending(): boolean {
    return (this.sw & ~this.cw & Sw.EXCEPTIONS) !== 0;
  }

  /** The status word as FSTSW stores it. */
  statusWord(): number {
    return (this.sw & ~(Sw.ES | Sw.B | 0x3800)) | (this.top << 11) | (this.pending ? Sw.ES | Sw.B : 0);
  }

  /** Load the status word (FLDENV, FRSTOR, FXRSTOR): TOP from bits 11-13; ES and B are derived. */
  setStatusWord(v: number): void {
    this.top = (v >> 11) & 7;
    this.sw = v & ~(Sw.ES | Sw.B | 0x3800) & 0xffff;
  }

  /** Load the control word: bit 6 reads as 1, bits 13-15 as 0 (as the host stores them). */
  setControlWord(v: number): void {
    this.cw = (v & 0x1f3f) | 0x0040;
  }

  /** Physical register number of ST(i). */
  phys(i: number): number {
    return (this.top + i) & 7;
  }

  isEmpty(i: number): boolean {
    return ((this.empty >> ((this.top + i) & 7)) & 1) !== 0;
  }

  /** The 2-bit tag of physical register r (FSTENV/FSAVE): 0 valid, 1 zero, 2 special, 3 empty. */
  tag(r: number): number {
    if ((this.empty >> r) & 1) return 3;
    const e = this.sexp[r]! & 0x7fff;
    const s = this.sig[r]!;
    if (e === 0) return s === 0n ? 1 : 2;
    if (e === 0x7fff || s < 0x8000000000000000n) return 2; // infinities, NaNs, unsupported
    return 0;
  }

  /** The full tag word, R7 in the top bits. */
  tagWord(): number {
    let w = 0;
    for (let r = 7; r >= 0; r--) w = (w << 2) | this.tag(r);
    return w;
  }

  /** Load a full tag word: only "empty" (11) is kept. */
  setTagWord(w: number): void {
    let e = 0;
    for (let r = 0; r < 8; r++) if (((w >> (2 * r)) & 3) === 3) e |= 1 << r;
    this.empty = e;
  }

  /** The abridged tag word (FXSAVE): bit r set = R(r) is not empty. */
  abridgedTagWord(): number {
    return ~this.empty & 0xff;
  }

  setAbridgedTagWord(w: number): void {
    this.empty = ~w & 0xff;
  }
}
