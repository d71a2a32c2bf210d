/**
 * The one overlay of what the Intel manual leaves undefined (SDM vol. 2,
 * each instruction's "Flags Affected"; vol. 1, appendix A). The
 * differential harness masks exactly these bits and nothing else; the
 * opcode table stays free of test-only facts (STYLE.md lesson 1).
 */
import type { Instruction } from '../../translator/table/types.js';
import { Flag } from '../../translator/semantics/backend.js';

/** EFLAGS bits the harness compares at all: the status flags and DF. */
export const COMPARED_FLAGS = Flag.CF | Flag.PF | Flag.AF | Flag.ZF | Flag.SF | Flag.DF | Flag.OF;

const O = Flag.OF, S = Flag.SF, Z = Flag.ZF, A = Flag.AF, P = Flag.PF, C = Flag.CF;

/** What the manual leaves undefined after one execution of `i`, given the initial state. */
export interface UndefinedParts {
  /** EFLAGS bits whose value is undefined. */
  flags: number;
  /** Registers (index, byte mask of the 32-bit value) whose result is undefined. */
  regs: Array<[reg: number, mask: number]>;
}

/** Shift/rotate count as the instruction sees it (before the mod-9/17 reduction of RCL/RCR). */
function shiftCount(i: Instruction, regs: ArrayLike<number>): number {
  const src = i.operands[i.operands.length - 1]!;
  if (src.kind === 'imm') return src.value & 0x1f;
  return regs[1]! & 0x1f; // CL
}

export function undefinedParts(i: Instruction, regs: ArrayLike<number>): UndefinedParts {
  const none: UndefinedParts = { flags: 0, regs: [] };
  switch (i.row.sem) {
    case 'and': case 'or': case 'xor': case 'test':
      return { flags: A, regs: [] };
    case 'mul': case 'imul1': case 'imul2': case 'imul3':
      return { flags: S | Z | A | P, regs: [] };
    case 'div': case 'idiv':
      return { flags: O | S | Z | A | P | C, regs: [] };
    case 'daa': case 'das':
      return { flags: O, regs: [] };
    case 'aaa': case 'aas':
      return { flags: O | S | Z | P, regs: [] };
    case 'aam': case 'aad':
      return { flags: O | A | C, regs: [] };
    case 'bt': case 'bts': case 'btr': case 'btc':
      return { flags: O | S | A | P, regs: [] };
    case 'bsf': case 'bsr':
      // ZF is defined; the destination is undefined when the source is 0 (handled by the caller's mask below).
      return { flags: O | S | A | P | C, regs: [] };
    case 'shl': case 'shr': case 'sar': {
      const n = shiftCount(i, regs);
      if (n === 0) return none;
      return { flags: A | (n === 1 ? 0 : O), regs: [] };
    }
    case 'rol': case 'ror': case 'rcl': case 'rcr': {
      const n = shiftCount(i, regs);
      if (n === 0) return none;
      return { flags: n === 1 ? 0 : O, regs: [] };
    }
    case 'shld': case 'shrd': {
      const n = shiftCount(i, regs);
      if (n === 0) return none;
      const size = i.opsize * 8;
      // Count larger than the operand size: result and flags undefined.
      if (n > size) {
        const dst = i.operands[0]!;
        return { flags: O | S | Z | A | P | C, regs: dst.kind === 'reg' ? [[dst.reg, 0xffff]] : [] };
      }
      return { flags: A | (n === 1 ? 0 : O), regs: [] };
    }
    case 'bswap':
      // BSWAP with a 16-bit operand: the result is undefined.
      if (i.opsize === 2) {
        const r = i.operands[0]!;
        return { flags: 0, regs: r.kind === 'reg' ? [[r.reg, 0xffff]] : [] };
      }
      return none;
    default:
      return none;
  }
}

/** Memory written by an instruction whose memory result is undefined (16-bit SHLD/SHRD with count > 16). */
export function memoryUndefined(i: Instruction, regs: ArrayLike<number>): boolean {
  if (i.row.sem !== 'shld' && i.row.sem !== 'shrd') return false;
  return shiftCount(i, regs) > i.opsize * 8 && i.operands[0]!.kind === 'mem';
}
