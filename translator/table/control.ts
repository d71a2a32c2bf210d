/** Near and far control transfers, loops, software interrupts (SDM vol. 2). */
import type { OpcodeRow } from './types.js';
import { CONDITIONS, CONDITION_FLAGS } from './shift-bit.js';
import { ExitReason } from '../../runtime/exit-reason.js';

function hex(n: number): string {
  return n.toString(16).toUpperCase().padStart(2, '0');
}

const jccRows: OpcodeRow[] = CONDITIONS.flatMap((cc, n): OpcodeRow[] => [
  { mnemonic: `J${cc}`, opcode: hex(0x70 + n) + ' cb', operands: ['Jb'], sem: 'jcc', group: 'jump', reads: CONDITION_FLAGS[n], ends: 'branch' },
  { mnemonic: `J${cc}`, opcode: `0F ${hex(0x80 + n)} cd`, operands: ['Jz'], sem: 'jcc', group: 'jump', reads: CONDITION_FLAGS[n], ends: 'branch' },
]);

export const CONTROL: readonly OpcodeRow[] = [
  ...jccRows,
  { mnemonic: 'JMP', opcode: 'EB cb', operands: ['Jb'], sem: 'jmp', group: 'jump', ends: 'jump' },
  { mnemonic: 'JMP', opcode: 'E9 cd', operands: ['Jz'], sem: 'jmp', group: 'jump', ends: 'jump' },
  { mnemonic: 'JMP', opcode: 'FF /4', operands: ['Ev'], sem: 'jmp', group: 'jump', ends: 'jump' },
  { mnemonic: 'JMP FAR', opcode: 'EA cp', operands: ['Ap'], sem: 'jmpFar', group: 'jump', ends: 'jump', sensitive: true, noDiff: 'far transfer' },
  { mnemonic: 'JMP FAR', opcode: 'FF /5', operands: ['Ep'], sem: 'jmpFar', group: 'jump', ends: 'jump', sensitive: true, noDiff: 'far transfer' },
  { mnemonic: 'CALL', opcode: 'E8 cd', operands: ['Jz'], sem: 'call', group: 'call', ends: 'call' },
  { mnemonic: 'CALL', opcode: 'FF /2', operands: ['Ev'], sem: 'call', group: 'call', ends: 'call' },
  { mnemonic: 'CALL FAR', opcode: '9A cp', operands: ['Ap'], sem: 'callFar', group: 'call', ends: 'call', sensitive: true, noDiff: 'far transfer' },
  { mnemonic: 'CALL FAR', opcode: 'FF /3', operands: ['Ep'], sem: 'callFar', group: 'call', ends: 'call', sensitive: true, noDiff: 'far transfer' },
  { mnemonic: 'RET', opcode: 'C3', operands: [], sem: 'ret', group: 'call', ends: 'ret' },
  { mnemonic: 'RET', opcode: 'C2 iw', operands: ['Iw'], sem: 'ret', group: 'call', ends: 'ret' },
  { mnemonic: 'RETF', opcode: 'CB', operands: [], sem: 'retFar', group: 'call', ends: 'ret', sensitive: true, noDiff: 'far transfer' },
  { mnemonic: 'RETF', opcode: 'CA iw', operands: ['Iw'], sem: 'retFar', group: 'call', ends: 'ret', sensitive: true, noDiff: 'far transfer' },
  { mnemonic: 'IRET', opcode: 'CF', operands: [], sem: 'iret', group: 'call', ends: 'ret', sensitive: true, noDiff: 'far transfer' },
  { mnemonic: 'LOOPNE', opcode: 'E0 cb', operands: ['Jb'], sem: 'loopne', group: 'jump', reads: 'Z', ends: 'branch' },
  { mnemonic: 'LOOPE', opcode: 'E1 cb', operands: ['Jb'], sem: 'loope', group: 'jump', reads: 'Z', ends: 'branch' },
  { mnemonic: 'LOOP', opcode: 'E2 cb', operands: ['Jb'], sem: 'loop', group: 'jump', ends: 'branch' },
  { mnemonic: 'JCXZ/JECXZ', opcode: 'E3 cb', operands: ['Jb'], sem: 'jcxz', group: 'jump', ends: 'branch' },
  { mnemonic: 'INT3', opcode: 'CC', operands: [], sem: 'int3', group: 'misc', ends: 'event' },
  { mnemonic: 'INT', opcode: 'CD ib', operands: ['Ib'], sem: 'int', group: 'misc', ends: 'event', sensitive: true, noDiff: 'software interrupt (system issue)' },
  { mnemonic: 'INTO', opcode: 'CE', operands: [], sem: 'into', group: 'misc', reads: 'O', ends: 'event' },
  { mnemonic: 'INT1', opcode: 'F1', operands: [], sem: 'int1', group: 'misc', ends: 'event', noDiff: 'debug trap' },
  { mnemonic: 'UD2', opcode: '0F 0B', operands: [], sem: 'ud', group: 'misc', ends: 'event' },
  { mnemonic: 'BOUND', opcode: '62 /r', operands: ['Gv', 'Ma'], sem: 'bound', group: 'misc' },
  { mnemonic: 'SYSENTER', opcode: '0F 34', operands: [], sem: 'sysenter', group: 'system', ends: 'jump', sensitive: true, noDiff: 'system call' },
  { mnemonic: 'SYSEXIT', opcode: '0F 35', operands: [], sem: 'sysexit', group: 'system', ends: 'jump', sensitive: true, cpl0: true, noDiff: 'system' },
  { mnemonic: 'HLT', opcode: 'F4', operands: [], sem: 'hlt', group: 'system', ends: 'exit', sensitive: true, cpl0: true, exit: ExitReason.Hlt },
];
