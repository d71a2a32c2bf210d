/**
 * Types of the opcode table: every IA-32 opcode is described once, in the
 * Intel manual's notation (SDM vol. 2, appendix A), with the attributes the
 * decoder, block former, execution tiers and test generator need.
 *
 * Test-only facts (flags the manual leaves undefined) are not here: they
 * live in test/diff/undefined-flags.ts.
 */
import type { ExitReason } from '../../runtime/exit-reason.js';

/**
 * Operand notation, SDM vol. 2 A.2: addressing method + operand type.
 *  E  ModRM r/m (register or memory)      G  ModRM reg field (GPR)
 *  M  ModRM r/m, memory only              R  ModRM r/m, register only
 *  I  immediate                           J  relative offset (branch target)
 *  O  moffs (absolute offset, no ModRM)   S  ModRM reg field (segment register)
 *  C  ModRM reg field (control register)  D  ModRM reg field (debug register)
 *  X  memory at DS:rSI (string source)    Y  memory at ES:rDI (string destination)
 *  Z  register in the low 3 bits of the opcode (the manual's "+rb/+rw/+rd")
 *  A  direct far pointer (ptr16:16/32)
 * Types: b byte, w word, d dword, v word/dword by operand size, z word for
 * 16-bit operand size else dword, p far pointer (16:16 or 16:32),
 * a a pair of v (BOUND), q quadword, s 6-byte pseudo-descriptor.
 * 'IbS' is an imm8 sign-extended to the operand size (the manual writes Ib
 * and notes the extension). Fixed operands name a register or the constant 1.
 *
 * MMX (appendix A letters): P ModRM reg field (MMX register), Q ModRM r/m
 * (MMX register or memory), N ModRM r/m (MMX register only).
 *
 * x87: appendix A has no letters for the escape opcodes, so x87 rows use the
 * notation of the instruction pages (vol. 2, "FADD m32fp", "FADD ST(0), ST(i)"):
 * memory operands by their data type (m32fp m64fp m80fp real; m16int m32int
 * m64int integer; m80bcd packed BCD; m2byte control/status word; m14/28byte
 * environment; m94/108byte FSAVE image; m512byte FXSAVE image) and stack
 * registers ST(0) and ST(i) (i from the low 3 bits of ModRM).
 */
export type OperandSpec =
  | 'Eb' | 'Ev' | 'Ew' | 'Ed'
  | 'Gb' | 'Gv' | 'Gw' | 'Gd'
  | 'M' | 'Ma' | 'Mp' | 'Mq' | 'Ms' | 'Mw' | 'Md' | 'Mv'
  | 'Rd'
  | 'Ib' | 'Iw' | 'Iz' | 'IbS' | 'Iv'
  | 'Jb' | 'Jz'
  | 'Ob' | 'Ov'
  | 'Sw' | 'Cd' | 'Dd'
  | 'Xb' | 'Xv' | 'Xz' | 'Yb' | 'Yv' | 'Yz'
  | 'Zb' | 'Zv'
  | 'Ap' | 'Ep'
  | 'AL' | 'CL' | 'AX' | 'DX' | 'eAX' | '1'
  | 'ES' | 'CS' | 'SS' | 'DS' | 'FS' | 'GS'
  | 'Pq' | 'Qq' | 'Qd' | 'Nq'
  | X87MemorySpec | 'ST(0)' | 'ST(i)';

/** x87 memory operands, by data type (SDM vol. 2 instruction pages). */
export type X87MemorySpec =
  | 'm32fp' | 'm64fp' | 'm80fp' | 'm16int' | 'm32int' | 'm64int' | 'm80bcd'
  | 'm2byte' | 'm14/28byte' | 'm94/108byte' | 'm512byte';

/** Instruction groups: what `npm run diff -- --filter` selects besides mnemonics. */
export type Group =
  | 'arith' | 'logic' | 'incdec' | 'muldiv' | 'bcd' | 'shift' | 'bit'
  | 'setcc' | 'cmov' | 'jump' | 'call' | 'stack' | 'string' | 'move'
  | 'xchg' | 'convert' | 'flagop' | 'misc' | 'system' | 'io' | 'segment'
  | 'x87' | 'mmx';

/** Why a block ends at this instruction. */
export type BlockEnd =
  | 'jump'    // unconditional transfer (JMP, near or far)
  | 'branch'  // conditional transfer (Jcc, LOOPcc, JCXZ)
  | 'call'
  | 'ret'
  | 'event'   // raises an event (INT n, INT3, INTO, UD2, …)
  | 'exit';   // leaves translated code for the hypervisor

/**
 * One row of the opcode table.
 * `opcode` is the manual's notation: hex bytes, then `/r` (ModRM with a
 * register operand), `/0`..`/7` (ModRM whose reg field extends the opcode),
 * `+r` on the last byte (register in the low 3 bits), and for rows of a
 * ModRM-byte-specific encoding a final exact byte (e.g. '0F 01 D0', 'D9 E8'),
 * with `+i` when the low 3 bits name a stack register (e.g. 'D8 C0+i').
 */
export interface OpcodeRow {
  readonly mnemonic: string;
  readonly opcode: string;
  readonly operands: readonly OperandSpec[];
  /** Name of the semantic routine (translator/semantics) that executes it. */
  readonly sem: string;
  readonly group: Group;
  /** Flags read (for liveness), letters of 'ODITSZAPC'. */
  readonly reads?: string;
  /** Flags written or left undefined (for liveness), letters of 'ODITSZAPC'. */
  readonly writes?: string;
  /** LOCK prefix is legal (with a memory destination). */
  readonly lock?: true;
  /** How F3/F2 act: 'rep' (REP), 'repcc' (REPE/REPNE test ZF). */
  readonly rep?: 'rep' | 'repcc';
  readonly ends?: BlockEnd;
  /** A sensitive instruction: it becomes a hypervisor call. */
  readonly sensitive?: true;
  /** The VM exit it produces under VT-x (when the controls ask for it). */
  readonly exit?: ExitReason;
  /** Needs CPL 0 (else #GP(0)). */
  readonly cpl0?: true;
  /** Needs CPL <= IOPL (else #GP(0), or the v86 path). */
  readonly iopl?: true;
  /** ModRM mod restriction for rows that share an opcode ('mem' / 'reg'). */
  readonly mod?: 'mem' | 'reg';
  /** Operand-size restriction for rows whose meaning differs by size. */
  readonly osize?: 16 | 32;
  /**
   * A 66, F2 or F3 prefix makes this opcode another (SSE) instruction, which
   * this CPU model does not have: #UD (MMX, FXSAVE/FXRSTOR).
   */
  readonly prefixUd?: true;
  /** Not valid in the harness's user-mode environment (kept out of generated cases). */
  readonly noDiff?: string;
}

/** Segment registers, in the manual's encoding order. */
export const enum Seg { ES = 0, CS = 1, SS = 2, DS = 3, FS = 4, GS = 5 }

/** General registers, in the manual's encoding order. */
export const enum Reg { EAX = 0, ECX = 1, EDX = 2, EBX = 3, ESP = 4, EBP = 5, ESI = 6, EDI = 7 }

export type Size = 1 | 2 | 4;

/** Register operand. For size 1, 0-3 are AL CL DL BL and 4-7 AH CH DH BH. */
export interface RegOperand { readonly kind: 'reg'; readonly size: Size; readonly reg: number }
/** Memory operand: segment:[base + index*2^scale + disp], masked to the address size. */
export interface MemOperand {
  readonly kind: 'mem';
  /** Access size in bytes (6 for a pseudo-descriptor, 8 for a quadword, 10 for m80, 0 for LEA's M; x87 images 14/28, 94/108, 512). */
  readonly size: number;
  readonly seg: Seg;
  readonly base: number;  // -1: none
  readonly index: number; // -1: none
  readonly scale: number; // 0..3
  readonly disp: number;  // unsigned 32-bit (or 16-bit for 16-bit addressing)
  readonly adsize: 2 | 4;
}
export interface ImmOperand { readonly kind: 'imm'; readonly size: Size; readonly value: number }
/** A branch target already resolved to an EIP (masked to the operand size). */
export interface RelOperand { readonly kind: 'rel'; readonly target: number }
export interface SregOperand { readonly kind: 'sreg'; readonly reg: number }
export interface CregOperand { readonly kind: 'creg' | 'dreg'; readonly reg: number }
export interface FarOperand { readonly kind: 'far'; readonly selector: number; readonly offset: number }
/** x87 stack register ST(index), relative to TOP. */
export interface StOperand { readonly kind: 'st'; readonly index: number }
/** MMX register MM0-MM7. */
export interface MmxOperand { readonly kind: 'mm'; readonly reg: number }

export type Operand = RegOperand | MemOperand | ImmOperand | RelOperand | SregOperand | CregOperand | FarOperand | StOperand | MmxOperand;

/** A decoded instruction: a plain record, no CPU state. */
export interface Instruction {
  /** Offset of the first byte within CS (EIP / IP). */
  readonly eip: number;
  readonly length: number;
  /** EIP of the next instruction (wrapped at 64 KiB in 16-bit code). */
  readonly nextEip: number;
  readonly row: OpcodeRow;
  readonly opsize: 2 | 4;
  readonly adsize: 2 | 4;
  readonly lock: boolean;
  /** 0 none, 0xF3 REP/REPE, 0xF2 REPNE. */
  readonly rep: 0 | 0xf3 | 0xf2;
  /** Segment override prefix, or -1. */
  readonly segOverride: number;
  readonly operands: readonly Operand[];
  /** ModRM byte if the encoding has one, else -1 (x87 uses it to select forms). */
  readonly modrm: number;
}

/** The decoder could not produce an instruction: the fault the CPU raises. */
export interface DecodeFault {
  readonly fault: number; // Vector.UD or Vector.GP
  readonly eip: number;
  /** Bytes consumed before the fault was recognised. */
  readonly length: number;
  readonly reason: string;
}

export type DecodeResult = Instruction | DecodeFault;

export function isFault(r: DecodeResult): r is DecodeFault {
  return (r as DecodeFault).fault !== undefined;
}
