/** Integer arithmetic, logic, multiply/divide, BCD adjust, conversions and flag instructions (SDM vol. 2). */
import type { OpcodeRow } from './types.js';

/** The eight classic ALU operations in opcode order: 00-3F and 80-83 /digit. */
const ALU_OPS = [
  ['ADD', 'add', 'arith', ''], ['OR', 'or', 'logic', ''], ['ADC', 'adc', 'arith', 'C'], ['SBB', 'sbb', 'arith', 'C'],
  ['AND', 'and', 'logic', ''], ['SUB', 'sub', 'arith', ''], ['XOR', 'xor', 'logic', ''], ['CMP', 'cmp', 'arith', ''],
] as const;

function hex(n: number): string {
  return n.toString(16).toUpperCase().padStart(2, '0');
}

const aluRows: OpcodeRow[] = ALU_OPS.flatMap(([mnemonic, sem, group, reads], n): OpcodeRow[] => {
  const common = { mnemonic, sem, group, reads, writes: 'OSZAPC' } as const;
  const lock = sem === 'cmp' ? {} : { lock: true as const };
  return [
    { ...common, ...lock, opcode: `${hex(n * 8)} /r`, operands: ['Eb', 'Gb'] },
    { ...common, ...lock, opcode: `${hex(n * 8 + 1)} /r`, operands: ['Ev', 'Gv'] },
    { ...common, opcode: `${hex(n * 8 + 2)} /r`, operands: ['Gb', 'Eb'] },
    { ...common, opcode: `${hex(n * 8 + 3)} /r`, operands: ['Gv', 'Ev'] },
    { ...common, opcode: `${hex(n * 8 + 4)} ib`, operands: ['AL', 'Ib'] },
    { ...common, opcode: `${hex(n * 8 + 5)} iz`, operands: ['eAX', 'Iz'] },
    { ...common, ...lock, opcode: `80 /${n} ib`, operands: ['Eb', 'Ib'] },
    { ...common, ...lock, opcode: `81 /${n} iz`, operands: ['Ev', 'Iz'] },
    // 82 is an alias of 80 outside 64-bit mode.
    { ...common, ...lock, opcode: `82 /${n} ib`, operands: ['Eb', 'Ib'] },
    { ...common, ...lock, opcode: `83 /${n} ib`, operands: ['Ev', 'IbS'] },
  ];
});

export const ALU: readonly OpcodeRow[] = [
  ...aluRows,
  { mnemonic: 'TEST', opcode: '84 /r', operands: ['Eb', 'Gb'], sem: 'test', group: 'logic', writes: 'OSZAPC' },
  { mnemonic: 'TEST', opcode: '85 /r', operands: ['Ev', 'Gv'], sem: 'test', group: 'logic', writes: 'OSZAPC' },
  { mnemonic: 'TEST', opcode: 'A8 ib', operands: ['AL', 'Ib'], sem: 'test', group: 'logic', writes: 'OSZAPC' },
  { mnemonic: 'TEST', opcode: 'A9 iz', operands: ['eAX', 'Iz'], sem: 'test', group: 'logic', writes: 'OSZAPC' },
  { mnemonic: 'TEST', opcode: 'F6 /0 ib', operands: ['Eb', 'Ib'], sem: 'test', group: 'logic', writes: 'OSZAPC' },
  { mnemonic: 'TEST', opcode: 'F7 /0 iz', operands: ['Ev', 'Iz'], sem: 'test', group: 'logic', writes: 'OSZAPC' },
  // F6 /1 and F7 /1 are undocumented aliases of TEST that every IA-32 CPU executes.
  { mnemonic: 'TEST', opcode: 'F6 /1 ib', operands: ['Eb', 'Ib'], sem: 'test', group: 'logic', writes: 'OSZAPC' },
  { mnemonic: 'TEST', opcode: 'F7 /1 iz', operands: ['Ev', 'Iz'], sem: 'test', group: 'logic', writes: 'OSZAPC' },
  { mnemonic: 'NOT', opcode: 'F6 /2', operands: ['Eb'], sem: 'not', group: 'logic', lock: true },
  { mnemonic: 'NOT', opcode: 'F7 /2', operands: ['Ev'], sem: 'not', group: 'logic', lock: true },
  { mnemonic: 'NEG', opcode: 'F6 /3', operands: ['Eb'], sem: 'neg', group: 'arith', writes: 'OSZAPC', lock: true },
  { mnemonic: 'NEG', opcode: 'F7 /3', operands: ['Ev'], sem: 'neg', group: 'arith', writes: 'OSZAPC', lock: true },
  { mnemonic: 'MUL', opcode: 'F6 /4', operands: ['Eb'], sem: 'mul', group: 'muldiv', writes: 'OSZAPC' },
  { mnemonic: 'MUL', opcode: 'F7 /4', operands: ['Ev'], sem: 'mul', group: 'muldiv', writes: 'OSZAPC' },
  { mnemonic: 'IMUL', opcode: 'F6 /5', operands: ['Eb'], sem: 'imul1', group: 'muldiv', writes: 'OSZAPC' },
  { mnemonic: 'IMUL', opcode: 'F7 /5', operands: ['Ev'], sem: 'imul1', group: 'muldiv', writes: 'OSZAPC' },
  { mnemonic: 'DIV', opcode: 'F6 /6', operands: ['Eb'], sem: 'div', group: 'muldiv', writes: 'OSZAPC' },
  { mnemonic: 'DIV', opcode: 'F7 /6', operands: ['Ev'], sem: 'div', group: 'muldiv', writes: 'OSZAPC' },
  { mnemonic: 'IDIV', opcode: 'F6 /7', operands: ['Eb'], sem: 'idiv', group: 'muldiv', writes: 'OSZAPC' },
  { mnemonic: 'IDIV', opcode: 'F7 /7', operands: ['Ev'], sem: 'idiv', group: 'muldiv', writes: 'OSZAPC' },
  { mnemonic: 'IMUL', opcode: '0F AF /r', operands: ['Gv', 'Ev'], sem: 'imul2', group: 'muldiv', writes: 'OSZAPC' },
  { mnemonic: 'IMUL', opcode: '69 /r iz', operands: ['Gv', 'Ev', 'Iz'], sem: 'imul3', group: 'muldiv', writes: 'OSZAPC' },
  { mnemonic: 'IMUL', opcode: '6B /r ib', operands: ['Gv', 'Ev', 'IbS'], sem: 'imul3', group: 'muldiv', writes: 'OSZAPC' },

  { mnemonic: 'INC', opcode: '40+r', operands: ['Zv'], sem: 'inc', group: 'incdec', writes: 'OSZAP' },
  { mnemonic: 'DEC', opcode: '48+r', operands: ['Zv'], sem: 'dec', group: 'incdec', writes: 'OSZAP' },
  { mnemonic: 'INC', opcode: 'FE /0', operands: ['Eb'], sem: 'inc', group: 'incdec', writes: 'OSZAP', lock: true },
  { mnemonic: 'DEC', opcode: 'FE /1', operands: ['Eb'], sem: 'dec', group: 'incdec', writes: 'OSZAP', lock: true },
  { mnemonic: 'INC', opcode: 'FF /0', operands: ['Ev'], sem: 'inc', group: 'incdec', writes: 'OSZAP', lock: true },
  { mnemonic: 'DEC', opcode: 'FF /1', operands: ['Ev'], sem: 'dec', group: 'incdec', writes: 'OSZAP', lock: true },

  { mnemonic: 'DAA', opcode: '27', operands: [], sem: 'daa', group: 'bcd', reads: 'AC', writes: 'OSZAPC' },
  { mnemonic: 'DAS', opcode: '2F', operands: [], sem: 'das', group: 'bcd', reads: 'AC', writes: 'OSZAPC' },
  { mnemonic: 'AAA', opcode: '37', operands: [], sem: 'aaa', group: 'bcd', reads: 'A', writes: 'OSZAPC' },
  { mnemonic: 'AAS', opcode: '3F', operands: [], sem: 'aas', group: 'bcd', reads: 'A', writes: 'OSZAPC' },
  { mnemonic: 'AAM', opcode: 'D4 ib', operands: ['Ib'], sem: 'aam', group: 'bcd', writes: 'OSZAPC' },
  { mnemonic: 'AAD', opcode: 'D5 ib', operands: ['Ib'], sem: 'aad', group: 'bcd', writes: 'OSZAPC' },

  { mnemonic: 'CBW/CWDE', opcode: '98', operands: [], sem: 'cbw', group: 'convert' },
  { mnemonic: 'CWD/CDQ', opcode: '99', operands: [], sem: 'cwd', group: 'convert' },
  // SALC: undocumented, AL = CF ? FF : 00; executed by every IA-32 CPU outside 64-bit mode.
  { mnemonic: 'SALC', opcode: 'D6', operands: [], sem: 'salc', group: 'convert', reads: 'C' },

  { mnemonic: 'CMC', opcode: 'F5', operands: [], sem: 'cmc', group: 'flagop', reads: 'C', writes: 'C' },
  { mnemonic: 'CLC', opcode: 'F8', operands: [], sem: 'clc', group: 'flagop', writes: 'C' },
  { mnemonic: 'STC', opcode: 'F9', operands: [], sem: 'stc', group: 'flagop', writes: 'C' },
  { mnemonic: 'CLD', opcode: 'FC', operands: [], sem: 'cld', group: 'flagop', writes: 'D' },
  { mnemonic: 'STD', opcode: 'FD', operands: [], sem: 'std', group: 'flagop', writes: 'D' },
  { mnemonic: 'SAHF', opcode: '9E', operands: [], sem: 'sahf', group: 'flagop', writes: 'SZAPC' },
  { mnemonic: 'LAHF', opcode: '9F', operands: [], sem: 'lahf', group: 'flagop', reads: 'SZAPC' },
];
