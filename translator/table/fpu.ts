/**
 * The x87 escape opcodes (D8-DF), FWAIT, FXSAVE/FXRSTOR and MMX (0F 6x/7x,
 * 0F Dx-Fx, EMMS), in the notation of the SDM's instruction pages (x87) and
 * appendix A (MMX). Memory forms are `/digit` rows restricted to mod != 11;
 * register forms are exact ModRM bytes ('D9 E8'), `+i` naming ST(i).
 *
 * Departures from the manual: none in behaviour. The reserved register
 * encodings that P6-class and later CPUs execute as aliases are listed
 * under the names the x87 community gives them (FSTP1, FCOM2, FCOMP3,
 * FXCH4, FCOMP5, FFREEP, FXCH7, FSTP8, FSTP9), and FNENI/FNDISI/FNSETPM
 * (8087/287 leftovers) as the no-ops they are; the host executes all of
 * them (test/diff checks it). FISTTP (SSE3) is included: every CPU that
 * runs this table's MMX executes it the same way (truncating FISTP).
 * Every other ModRM of D8-DF is #UD, as on the host.
 *
 * Semantics: translator/semantics/x87.ts and mmx.ts (runtime helpers of the
 * x87 unit in runtime/fpu/).
 */
import type { OpcodeRow, OperandSpec } from './types.js';

const X87 = { group: 'x87' } as const;
/** MMX rows: with a 66, F2 or F3 prefix the opcode is an SSE/SSE2 instruction (#UD on this model). */
const MMX = { group: 'mmx', prefixUd: true } as const;

type Ops = readonly OperandSpec[];

function x87(mnemonic: string, opcode: string, operands: Ops, sem: string, extra: Partial<OpcodeRow> = {}): OpcodeRow {
  const mem = operands.some((o) => o[0] === 'm');
  return { mnemonic, opcode, operands, sem, ...X87, ...(mem ? { mod: 'mem' as const } : {}), ...extra };
}

/**
 * The six arithmetic operations in their eight forms. `regR` is the ModRM
 * base of the DC/DE register form, where SUB/SUBR and DIV/DIVR swap (the
 * manual's "DC E8+i FSUB ST(i), ST(0)").
 */
const ARITH: ReadonlyArray<readonly [name: string, digit: number, reg0: number, regR: number]> = [
  ['ADD', 0, 0xc0, 0xc0],
  ['MUL', 1, 0xc8, 0xc8],
  ['SUB', 4, 0xe0, 0xe8],
  ['SUBR', 5, 0xe8, 0xe0],
  ['DIV', 6, 0xf0, 0xf8],
  ['DIVR', 7, 0xf8, 0xf0],
];

const hex = (n: number): string => n.toString(16).toUpperCase().padStart(2, '0');

const ARITH_ROWS: OpcodeRow[] = ARITH.flatMap(([name, d, reg0, regR]) => {
  const sem = `f${name.toLowerCase()}`;
  return [
    x87(`F${name}`, `D8 /${d}`, ['m32fp'], sem),
    x87(`F${name}`, `DC /${d}`, ['m64fp'], sem),
    x87(`FI${name}`, `DA /${d}`, ['m32int'], sem),
    x87(`FI${name}`, `DE /${d}`, ['m16int'], sem),
    x87(`F${name}`, `D8 ${hex(reg0)}+i`, ['ST(0)', 'ST(i)'], sem),
    x87(`F${name}`, `DC ${hex(regR)}+i`, ['ST(i)', 'ST(0)'], sem),
    x87(`F${name}P`, `DE ${hex(regR)}+i`, ['ST(i)', 'ST(0)'], `${sem}p`),
  ];
});

const COMPARE_ROWS: OpcodeRow[] = [
  x87('FCOM', 'D8 /2', ['m32fp'], 'fcom'),
  x87('FCOM', 'DC /2', ['m64fp'], 'fcom'),
  x87('FCOMP', 'D8 /3', ['m32fp'], 'fcomp'),
  x87('FCOMP', 'DC /3', ['m64fp'], 'fcomp'),
  x87('FICOM', 'DA /2', ['m32int'], 'fcom'),
  x87('FICOM', 'DE /2', ['m16int'], 'fcom'),
  x87('FICOMP', 'DA /3', ['m32int'], 'fcomp'),
  x87('FICOMP', 'DE /3', ['m16int'], 'fcomp'),
  x87('FCOM', 'D8 D0+i', ['ST(i)'], 'fcom'),
  x87('FCOMP', 'D8 D8+i', ['ST(i)'], 'fcomp'),
  x87('FCOM2', 'DC D0+i', ['ST(i)'], 'fcom'),
  x87('FCOMP3', 'DC D8+i', ['ST(i)'], 'fcomp'),
  x87('FCOMP5', 'DE D0+i', ['ST(i)'], 'fcomp'),
  x87('FCOMPP', 'DE D9', [], 'fcompp'),
  x87('FUCOM', 'DD E0+i', ['ST(i)'], 'fucom'),
  x87('FUCOMP', 'DD E8+i', ['ST(i)'], 'fucomp'),
  x87('FUCOMPP', 'DA E9', [], 'fucompp'),
  x87('FCOMI', 'DB F0+i', ['ST(0)', 'ST(i)'], 'fcomi', { writes: 'OSZAPC' }),
  x87('FCOMIP', 'DF F0+i', ['ST(0)', 'ST(i)'], 'fcomip', { writes: 'OSZAPC' }),
  x87('FUCOMI', 'DB E8+i', ['ST(0)', 'ST(i)'], 'fucomi', { writes: 'OSZAPC' }),
  x87('FUCOMIP', 'DF E8+i', ['ST(0)', 'ST(i)'], 'fucomip', { writes: 'OSZAPC' }),
  x87('FTST', 'D9 E4', [], 'ftst'),
  x87('FXAM', 'D9 E5', [], 'fxam'),
];

/** FCMOVcc (DA: B, E, BE, U; DB: their negations), by the EFLAGS they read. */
const FCMOV: ReadonlyArray<readonly [name: string, modrm: number, reads: string]> = [
  ['B', 0xc0, 'C'], ['E', 0xc8, 'Z'], ['BE', 0xd0, 'CZ'], ['U', 0xd8, 'P'],
];
const FCMOV_ROWS: OpcodeRow[] = FCMOV.flatMap(([cc, m, reads]) => [
  x87(`FCMOV${cc}`, `DA ${hex(m)}+i`, ['ST(0)', 'ST(i)'], `fcmov${cc.toLowerCase()}`, { reads }),
  x87(`FCMOVN${cc}`, `DB ${hex(m)}+i`, ['ST(0)', 'ST(i)'], `fcmovn${cc.toLowerCase()}`, { reads }),
]);

const LOAD_STORE_ROWS: OpcodeRow[] = [
  x87('FLD', 'D9 /0', ['m32fp'], 'fld'),
  x87('FLD', 'DD /0', ['m64fp'], 'fld'),
  x87('FLD', 'DB /5', ['m80fp'], 'fld'),
  x87('FLD', 'D9 C0+i', ['ST(i)'], 'fld'),
  x87('FILD', 'DF /0', ['m16int'], 'fld'),
  x87('FILD', 'DB /0', ['m32int'], 'fld'),
  x87('FILD', 'DF /5', ['m64int'], 'fld'),
  x87('FBLD', 'DF /4', ['m80bcd'], 'fld'),
  x87('FST', 'D9 /2', ['m32fp'], 'fst'),
  x87('FST', 'DD /2', ['m64fp'], 'fst'),
  x87('FST', 'DD D0+i', ['ST(i)'], 'fst'),
  x87('FSTP', 'D9 /3', ['m32fp'], 'fstp'),
  x87('FSTP', 'DD /3', ['m64fp'], 'fstp'),
  x87('FSTP', 'DB /7', ['m80fp'], 'fstp'),
  x87('FSTP', 'DD D8+i', ['ST(i)'], 'fstp'),
  x87('FSTP1', 'D9 D8+i', ['ST(i)'], 'fstp1'),
  x87('FSTP8', 'DF D0+i', ['ST(i)'], 'fstp'),
  x87('FSTP9', 'DF D8+i', ['ST(i)'], 'fstp'),
  x87('FIST', 'DF /2', ['m16int'], 'fst'),
  x87('FIST', 'DB /2', ['m32int'], 'fst'),
  x87('FISTP', 'DF /3', ['m16int'], 'fstp'),
  x87('FISTP', 'DB /3', ['m32int'], 'fstp'),
  x87('FISTP', 'DF /7', ['m64int'], 'fstp'),
  x87('FISTTP', 'DF /1', ['m16int'], 'fisttp'),
  x87('FISTTP', 'DB /1', ['m32int'], 'fisttp'),
  x87('FISTTP', 'DD /1', ['m64int'], 'fisttp'),
  x87('FBSTP', 'DF /6', ['m80bcd'], 'fstp'),
  x87('FXCH', 'D9 C8+i', ['ST(i)'], 'fxch'),
  x87('FXCH4', 'DD C8+i', ['ST(i)'], 'fxch'),
  x87('FXCH7', 'DF C8+i', ['ST(i)'], 'fxch'),
  x87('FLD1', 'D9 E8', [], 'fldconst'),
  x87('FLDL2T', 'D9 E9', [], 'fldconst'),
  x87('FLDL2E', 'D9 EA', [], 'fldconst'),
  x87('FLDPI', 'D9 EB', [], 'fldconst'),
  x87('FLDLG2', 'D9 EC', [], 'fldconst'),
  x87('FLDLN2', 'D9 ED', [], 'fldconst'),
  x87('FLDZ', 'D9 EE', [], 'fldconst'),
];

const ARITH_MISC_ROWS: OpcodeRow[] = [
  x87('FCHS', 'D9 E0', [], 'fchs'),
  x87('FABS', 'D9 E1', [], 'fabs'),
  x87('FSQRT', 'D9 FA', [], 'fsqrt'),
  x87('FRNDINT', 'D9 FC', [], 'frndint'),
  x87('FSCALE', 'D9 FD', [], 'fscale'),
  x87('FXTRACT', 'D9 F4', [], 'fxtract'),
  x87('FPREM', 'D9 F8', [], 'fprem'),
  x87('FPREM1', 'D9 F5', [], 'fprem1'),
  x87('F2XM1', 'D9 F0', [], 'f2xm1'),
  x87('FYL2X', 'D9 F1', [], 'fyl2x'),
  x87('FPTAN', 'D9 F2', [], 'fptan'),
  x87('FPATAN', 'D9 F3', [], 'fpatan'),
  x87('FYL2XP1', 'D9 F9', [], 'fyl2xp1'),
  x87('FSINCOS', 'D9 FB', [], 'fsincos'),
  x87('FSIN', 'D9 FE', [], 'fsin'),
  x87('FCOS', 'D9 FF', [], 'fcos'),
];

const CONTROL_ROWS: OpcodeRow[] = [
  x87('FLDCW', 'D9 /5', ['m2byte'], 'fldcw'),
  x87('FNSTCW', 'D9 /7', ['m2byte'], 'fnstcw'),
  x87('FNSTSW', 'DD /7', ['m2byte'], 'fnstsw'),
  x87('FNSTSW', 'DF E0', ['AX'], 'fnstsw'),
  x87('FLDENV', 'D9 /4', ['m14/28byte'], 'fldenv'),
  x87('FNSTENV', 'D9 /6', ['m14/28byte'], 'fnstenv'),
  x87('FRSTOR', 'DD /4', ['m94/108byte'], 'frstor'),
  x87('FNSAVE', 'DD /6', ['m94/108byte'], 'fnsave'),
  x87('FNCLEX', 'DB E2', [], 'fnclex'),
  x87('FNINIT', 'DB E3', [], 'fninit'),
  x87('FNENI', 'DB E0', [], 'fnnop'),
  x87('FNDISI', 'DB E1', [], 'fnnop'),
  x87('FNSETPM', 'DB E4', [], 'fnnop'),
  x87('FNOP', 'D9 D0', [], 'fnop'),
  x87('FFREE', 'DD C0+i', ['ST(i)'], 'ffree'),
  x87('FFREEP', 'DF C0+i', ['ST(i)'], 'ffreep'),
  x87('FINCSTP', 'D9 F7', [], 'fincstp'),
  x87('FDECSTP', 'D9 F6', [], 'fdecstp'),
  { mnemonic: 'FWAIT', opcode: '9B', operands: [], sem: 'fwait', ...X87 },
  { mnemonic: 'FXSAVE', opcode: '0F AE /0', operands: ['m512byte'], sem: 'fxsave', ...X87, mod: 'mem', prefixUd: true },
  { mnemonic: 'FXRSTOR', opcode: '0F AE /1', operands: ['m512byte'], sem: 'fxrstor', ...X87, mod: 'mem', prefixUd: true },
];

export const X87_ROWS: readonly OpcodeRow[] = [
  ...ARITH_ROWS, ...COMPARE_ROWS, ...FCMOV_ROWS, ...LOAD_STORE_ROWS, ...ARITH_MISC_ROWS, ...CONTROL_ROWS,
];

/** MMX rows of the form `0F xx /r  OP Pq, Qq`: [mnemonic, opcode byte, semantic]. */
const MMX_BINARY: ReadonlyArray<readonly [string, number, string]> = [
  ['PACKSSWB', 0x63, 'packsswb'], ['PCMPGTB', 0x64, 'pcmpgtb'], ['PCMPGTW', 0x65, 'pcmpgtw'], ['PCMPGTD', 0x66, 'pcmpgtd'],
  ['PACKUSWB', 0x67, 'packuswb'], ['PUNPCKHBW', 0x68, 'punpckhbw'], ['PUNPCKHWD', 0x69, 'punpckhwd'], ['PUNPCKHDQ', 0x6a, 'punpckhdq'],
  ['PACKSSDW', 0x6b, 'packssdw'], ['PCMPEQB', 0x74, 'pcmpeqb'], ['PCMPEQW', 0x75, 'pcmpeqw'], ['PCMPEQD', 0x76, 'pcmpeqd'],
  ['PSRLW', 0xd1, 'psrlw'], ['PSRLD', 0xd2, 'psrld'], ['PSRLQ', 0xd3, 'psrlq'], ['PMULLW', 0xd5, 'pmullw'],
  ['PSUBUSB', 0xd8, 'psubusb'], ['PSUBUSW', 0xd9, 'psubusw'], ['PAND', 0xdb, 'pand'], ['PADDUSB', 0xdc, 'paddusb'],
  ['PADDUSW', 0xdd, 'paddusw'], ['PANDN', 0xdf, 'pandn'], ['PSRAW', 0xe1, 'psraw'], ['PSRAD', 0xe2, 'psrad'],
  ['PMULHW', 0xe5, 'pmulhw'], ['PSUBSB', 0xe8, 'psubsb'], ['PSUBSW', 0xe9, 'psubsw'], ['POR', 0xeb, 'por'],
  ['PADDSB', 0xec, 'paddsb'], ['PADDSW', 0xed, 'paddsw'], ['PXOR', 0xef, 'pxor'], ['PSLLW', 0xf1, 'psllw'],
  ['PSLLD', 0xf2, 'pslld'], ['PSLLQ', 0xf3, 'psllq'], ['PMADDWD', 0xf5, 'pmaddwd'], ['PSUBB', 0xf8, 'psubb'],
  ['PSUBW', 0xf9, 'psubw'], ['PSUBD', 0xfa, 'psubd'], ['PADDB', 0xfc, 'paddb'], ['PADDW', 0xfd, 'paddw'],
  ['PADDD', 0xfe, 'paddd'],
];

/** Shift-by-immediate groups 12-14 (0F 71-73): [mnemonic, opcode byte, digit, semantic of the register-count form]. */
const MMX_SHIFT_IMM: ReadonlyArray<readonly [string, number, number, string]> = [
  ['PSRLW', 0x71, 2, 'psrlw'], ['PSRAW', 0x71, 4, 'psraw'], ['PSLLW', 0x71, 6, 'psllw'],
  ['PSRLD', 0x72, 2, 'psrld'], ['PSRAD', 0x72, 4, 'psrad'], ['PSLLD', 0x72, 6, 'pslld'],
  ['PSRLQ', 0x73, 2, 'psrlq'], ['PSLLQ', 0x73, 6, 'psllq'],
];

export const MMX_ROWS: readonly OpcodeRow[] = [
  // The low-half unpacks read only 32 bits of a memory source (Qd).
  { mnemonic: 'PUNPCKLBW', opcode: '0F 60 /r', operands: ['Pq', 'Qd'], sem: 'punpcklbw', ...MMX },
  { mnemonic: 'PUNPCKLWD', opcode: '0F 61 /r', operands: ['Pq', 'Qd'], sem: 'punpcklwd', ...MMX },
  { mnemonic: 'PUNPCKLDQ', opcode: '0F 62 /r', operands: ['Pq', 'Qd'], sem: 'punpckldq', ...MMX },
  ...MMX_BINARY.map(([mnemonic, op, sem]): OpcodeRow => ({ mnemonic, opcode: `0F ${hex(op)} /r`, operands: ['Pq', 'Qq'], sem, ...MMX })),
  ...MMX_SHIFT_IMM.map(([mnemonic, op, d, sem]): OpcodeRow =>
    ({ mnemonic, opcode: `0F ${hex(op)} /${d} ib`, operands: ['Nq', 'Ib'], sem, ...MMX, mod: 'reg' })),
  { mnemonic: 'MOVD', opcode: '0F 6E /r', operands: ['Pq', 'Ed'], sem: 'movd', ...MMX },
  { mnemonic: 'MOVQ', opcode: '0F 6F /r', operands: ['Pq', 'Qq'], sem: 'movq', ...MMX },
  { mnemonic: 'MOVD', opcode: '0F 7E /r', operands: ['Ed', 'Pq'], sem: 'movd', ...MMX },
  { mnemonic: 'MOVQ', opcode: '0F 7F /r', operands: ['Qq', 'Pq'], sem: 'movq', ...MMX },
  { mnemonic: 'EMMS', opcode: '0F 77', operands: [], sem: 'emms', ...MMX },
];

export const FPU: readonly OpcodeRow[] = [...X87_ROWS, ...MMX_ROWS];
