/** Shifts and rotates, double shifts, bit tests and scans, SETcc and CMOVcc (SDM vol. 2). */
import type { OpcodeRow } from './types.js';

/** Group 2 in /digit order; /6 is an alias of SHL (SAL). */
const SHIFT_OPS = [
  ['ROL', 'rol'], ['ROR', 'ror'], ['RCL', 'rcl'], ['RCR', 'rcr'],
  ['SHL', 'shl'], ['SHR', 'shr'], ['SAL', 'shl'], ['SAR', 'sar'],
] as const;

/** Condition-code suffixes in encoding order (the low nibble of Jcc/SETcc/CMOVcc). */
export const CONDITIONS = ['O', 'NO', 'B', 'AE', 'E', 'NE', 'BE', 'A', 'S', 'NS', 'P', 'NP', 'L', 'GE', 'LE', 'G'] as const;

/** The flags each condition reads. */
export const CONDITION_FLAGS = ['O', 'O', 'C', 'C', 'Z', 'Z', 'CZ', 'CZ', 'S', 'S', 'P', 'P', 'SO', 'SO', 'ZSO', 'ZSO'] as const;

function hex(n: number): string {
  return n.toString(16).toUpperCase().padStart(2, '0');
}

const shiftRows: OpcodeRow[] = SHIFT_OPS.flatMap(([mnemonic, sem], n): OpcodeRow[] => {
  const rotate = n < 4;
  const common = {
    mnemonic, sem, group: 'shift', writes: rotate ? 'OC' : 'OSZAPC', reads: n === 2 || n === 3 ? 'C' : '',
  } as const;
  return [
    { ...common, opcode: `C0 /${n} ib`, operands: ['Eb', 'Ib'] },
    { ...common, opcode: `C1 /${n} ib`, operands: ['Ev', 'Ib'] },
    { ...common, opcode: `D0 /${n}`, operands: ['Eb', '1'] },
    { ...common, opcode: `D1 /${n}`, operands: ['Ev', '1'] },
    { ...common, opcode: `D2 /${n}`, operands: ['Eb', 'CL'] },
    { ...common, opcode: `D3 /${n}`, operands: ['Ev', 'CL'] },
  ];
});

const ccRows: OpcodeRow[] = CONDITIONS.flatMap((cc, n): OpcodeRow[] => [
  { mnemonic: `SET${cc}`, opcode: `0F ${hex(0x90 + n)} /r`, operands: ['Eb'], sem: 'setcc', group: 'setcc', reads: CONDITION_FLAGS[n] },
  { mnemonic: `CMOV${cc}`, opcode: `0F ${hex(0x40 + n)} /r`, operands: ['Gv', 'Ev'], sem: 'cmovcc', group: 'cmov', reads: CONDITION_FLAGS[n] },
]);

const BIT_OPS = [['BT', 'bt', 4, 'A3'], ['BTS', 'bts', 5, 'AB'], ['BTR', 'btr', 6, 'B3'], ['BTC', 'btc', 7, 'BB']] as const;

const bitRows: OpcodeRow[] = BIT_OPS.flatMap(([mnemonic, sem, digit, op]): OpcodeRow[] => {
  const lock = sem === 'bt' ? {} : { lock: true as const };
  return [
    { mnemonic, sem, group: 'bit', writes: 'OSAPC', ...lock, opcode: `0F ${op} /r`, operands: ['Ev', 'Gv'] },
    { mnemonic, sem, group: 'bit', writes: 'OSAPC', ...lock, opcode: `0F BA /${digit} ib`, operands: ['Ev', 'Ib'] },
  ];
});

export const SHIFT_BIT: readonly OpcodeRow[] = [
  ...shiftRows,
  { mnemonic: 'SHLD', opcode: '0F A4 /r ib', operands: ['Ev', 'Gv', 'Ib'], sem: 'shld', group: 'shift', writes: 'OSZAPC' },
  { mnemonic: 'SHLD', opcode: '0F A5 /r', operands: ['Ev', 'Gv', 'CL'], sem: 'shld', group: 'shift', writes: 'OSZAPC' },
  { mnemonic: 'SHRD', opcode: '0F AC /r ib', operands: ['Ev', 'Gv', 'Ib'], sem: 'shrd', group: 'shift', writes: 'OSZAPC' },
  { mnemonic: 'SHRD', opcode: '0F AD /r', operands: ['Ev', 'Gv', 'CL'], sem: 'shrd', group: 'shift', writes: 'OSZAPC' },
  ...bitRows,
  { mnemonic: 'BSF', opcode: '0F BC /r', operands: ['Gv', 'Ev'], sem: 'bsf', group: 'bit', writes: 'OSZAPC' },
  { mnemonic: 'BSR', opcode: '0F BD /r', operands: ['Gv', 'Ev'], sem: 'bsr', group: 'bit', writes: 'OSZAPC' },
  { mnemonic: 'BSWAP', opcode: '0F C8+r', operands: ['Zv'], sem: 'bswap', group: 'bit' },
  ...ccRows,
];
