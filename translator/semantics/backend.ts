/**
 * The interface every execution tier implements. Each instruction's
 * behaviour is written once, as a function over `Backend<V>`:
 *  - the reference tier instantiates V = number and evaluates as it goes;
 *  - the Wasm translator instantiates V = a binaryen expression and emits.
 * So the tiers cannot disagree about what an instruction does.
 *
 * Values are 32-bit integers. A value read from an operand of size 1 or 2
 * is zero-extended; a value written is truncated to the operand size.
 * Conditions are values that are 0 or 1.
 */
import type { Instruction, Seg, Size } from '../table/types.js';

/** Lazy-flag operations: the last flag-producing operation is kept as data. */
export const enum FlagOp {
  /** ADD and ADC: a + b (+ carry) = res. */
  Add = 1,
  /** SUB, SBB, CMP, NEG (a = 0): a - b (- borrow) = res. */
  Sub = 2,
  /** AND, OR, XOR, TEST: CF = OF = 0. */
  Logic = 3,
  /** INC: like Add with b = 1, CF untouched. */
  Inc = 4,
  /** DEC: like Sub with b = 1, CF untouched. */
  Dec = 5,
  /** SHL/SAL by b (1..31) of a. */
  Shl = 6,
  /** SHR by b (1..31) of a. */
  Shr = 7,
  /** SAR by b (1..31) of a. */
  Sar = 8,
}

/** EFLAGS bits. */
export const enum Flag {
  CF = 1 << 0,
  PF = 1 << 2,
  AF = 1 << 4,
  ZF = 1 << 6,
  SF = 1 << 7,
  TF = 1 << 8,
  IF = 1 << 9,
  DF = 1 << 10,
  OF = 1 << 11,
  IOPL = 3 << 12,
  NT = 1 << 14,
  RF = 1 << 16,
  VM = 1 << 17,
  AC = 1 << 18,
  VIF = 1 << 19,
  VIP = 1 << 20,
  ID = 1 << 21,
}

/** The six arithmetic flags. */
export const ARITH_FLAGS = 0x8d5; // OF SF ZF AF PF CF

/** Parse a flag-letter string ('OSZAPC') into a mask. */
export function flagMask(letters: string | undefined): number {
  let m = 0;
  for (const ch of letters ?? '') {
    switch (ch) {
      case 'O': m |= Flag.OF; break;
      case 'D': m |= Flag.DF; break;
      case 'I': m |= Flag.IF; break;
      case 'T': m |= Flag.TF; break;
      case 'S': m |= Flag.SF; break;
      case 'Z': m |= Flag.ZF; break;
      case 'A': m |= Flag.AF; break;
      case 'P': m |= Flag.PF; break;
      case 'C': m |= Flag.CF; break;
      default: throw new Error(`bad flag letter ${ch}`);
    }
  }
  return m;
}

/** Pure value operations: shared by flag formulas and instruction semantics. */
export interface Arith<V> {
  k(n: number): V;
  add(a: V, b: V): V;
  sub(a: V, b: V): V;
  /** Low 32 bits of the product. */
  mul(a: V, b: V): V;
  and(a: V, b: V): V;
  or(a: V, b: V): V;
  xor(a: V, b: V): V;
  not(a: V): V;
  neg(a: V): V;
  /** Shifts and rotates take the count modulo 32. */
  shl(a: V, n: V): V;
  shrU(a: V, n: V): V;
  shrS(a: V, n: V): V;
  rotl(a: V, n: V): V;
  rotr(a: V, n: V): V;
  eq(a: V, b: V): V;
  ne(a: V, b: V): V;
  ltU(a: V, b: V): V;
  ltS(a: V, b: V): V;
  leU(a: V, b: V): V;
  leS(a: V, b: V): V;
  eqz(a: V): V;
  /** c != 0 ? a : b */
  select(c: V, a: V, b: V): V;
  /** Zero-extend the low `size` bytes. */
  zx(a: V, size: Size): V;
  /** Sign-extend the low `size` bytes. */
  sx(a: V, size: Size): V;
  clz(a: V): V;
  ctz(a: V): V;
  popcnt(a: V): V;
  bswap(a: V): V;
  /** Full 64-bit product of two 32-bit values. */
  mulWide(a: V, b: V, signed: boolean): { lo: V; hi: V };
  /**
   * Divide the 2*size-byte dividend hi:lo (each part `size` bytes) by a
   * `size`-byte divisor. `fault` is 1 where the CPU raises #DE (divisor 0
   * or quotient out of range); q and r are then meaningless.
   */
  divide(hi: V, lo: V, divisor: V, size: Size, signed: boolean): { q: V; r: V; fault: V };
}

/**
 * Words of the x87 unit's state (Backend.fpuWord), in the order of the
 * unit's block (runtime/fpu/state.ts), which translated code addresses.
 * Sw holds the status word without TOP, ES and B; Empty one bit per
 * physical register; Fip to Fds the last instruction and data pointers.
 */
export const enum FpuWord { Cw = 0, Sw = 1, Top = 2, Empty = 3, Fip = 4, Fcs = 5, Fop = 6, Fdp = 7, Fds = 8, Count = 9 }

/** Parts of a physical x87 register R(p) (Backend.fpuReg): the significand's halves (bit 63 is J) and the sign/exponent word. */
export const enum FpuPart { SigLo = 0, SigHi = 1, SignExp = 2 }

/** Facts fixed for a whole translation: they are part of the cache key. */
export interface ModeInfo {
  /** CS.D: default operand and address size 32. */
  readonly code32: boolean;
  /** SS.B: stack pointer is ESP (else SP). */
  readonly stack32: boolean;
  readonly cpl: number;
  /** CR0.PE && !EFLAGS.VM */
  readonly protectedMode: boolean;
  readonly v86: boolean;
}

/** Everything an instruction's semantics may do to the machine. */
export interface Backend<V> extends Arith<V> {
  readonly mode: ModeInfo;

  /** General register, zero-extended from `size` (size 1: 4-7 are AH..BH). */
  reg(r: number, size: Size): V;
  setReg(r: number, size: Size, v: V): void;

  /** Segment register selector (16 bits). */
  sreg(s: Seg): V;
  /** Load a segment register with the architectural checks of the mode. */
  loadSeg(s: Seg, selector: V): void;

  /** Read `size` bytes (1, 2 or 4) at seg:offset, zero-extended. */
  load(s: Seg, offset: V, size: Size): V;
  /** Write `size` bytes (1, 2 or 4) at seg:offset. */
  store(s: Seg, offset: V, size: Size, v: V): void;
  /**
   * Read 8 bytes at seg:offset (a 32-bit address size's operand): the
   * segment checks of the whole operand, then the bytes; low and high
   * doublewords.
   */
  load64(s: Seg, offset: V): { lo: V; hi: V };
  /** Write 8 bytes at seg:offset, lo first: a fault leaves every byte unwritten. */
  store64(s: Seg, offset: V, lo: V, hi: V): void;
  /**
   * Check that `len` bytes at seg:offset could be written (segment and
   * paging checks, raising as a store would) without writing: used by
   * instructions that write several places and must fault before any.
   */
  probeWrite(s: Seg, offset: V, len: number): void;

  /**
   * Transfer control: EIP = target (already masked by the caller). Raises
   * #GP(0) when the target is beyond the CS limit, so call it before the
   * stores of a CALL: the CPU checks the target first. A fault raised after
   * jump() still reports the instruction's own EIP.
   */
  jump(target: V): void;

  /** Record the last flag-producing operation (lazy flags). */
  flagsOp(op: FlagOp, size: Size, res: V, a: V, b: V): void;
  /** One arithmetic or control flag, as 0/1. */
  flag(f: Flag): V;
  /** Set one flag from a 0/1 value. */
  setFlag(f: Flag, v: V): void;
  /** The whole EFLAGS register. */
  eflags(): V;
  /** Write the bits of `mask` in EFLAGS from v. */
  setEflags(v: V, mask: number): void;
  /** Condition code 0..15 (the low nibble of Jcc/SETcc/CMOVcc). */
  cond(cc: number): V;

  /** Structured control inside one instruction. */
  if_(c: V, then: () => void, otherwise?: () => void): void;
  /** Raise an exception (fault, at this instruction). Does not return in the concrete tier. */
  raise(vector: number, errorCode?: number): void;
  /** Raise a trap-class event whose saved EIP is the next instruction (INT3, INTO, INT n). */
  raiseTrap(vector: number): void;

  /** A sensitive instruction: leave for the hypervisor, which performs it. */
  hypercall(insn: Instruction): void;

  /**
   * 1 when x87 instructions may run, 0 when they raise #NM (CR0.EM or
   * CR0.TS set). The x87 semantics' inline paths test it; the runtime
   * routine they fall back on raises the fault.
   */
  x87Usable(): V;
  /** A word of the x87 unit's state. */
  fpuWord(w: FpuWord): V;
  setFpuWord(w: FpuWord, v: V): void;
  /** A part of physical x87 register R(p), p in 0..7 (SignExp zero-extended from 16 bits). */
  fpuReg(p: V, part: FpuPart): V;
  setFpuReg(p: V, part: FpuPart, v: V): void;

  /**
   * Run an out-of-line routine of the runtime on the architectural state
   * (the x87 unit's arithmetic, for instance): one routine, called directly
   * by the reference tier and through an import by translated code. The
   * routine may raise guest faults. Names are registered in
   * runtime/helpers.ts.
   */
  helper(name: string, insn: Instruction): void;
}

/** A semantic routine: one instruction's behaviour, for every tier. */
export type Sem = <V>(b: Backend<V>, i: Instruction) => void;
