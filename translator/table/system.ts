/** System instructions, port I/O and flag-control instructions that a VMM virtualises (SDM vol. 2). */
import type { OpcodeRow } from './types.js';
import { ExitReason } from '../../runtime/exit-reason.js';

const SYS = { group: 'system', sensitive: true, noDiff: 'system instruction (system issue)' } as const;
const IO = { group: 'io', sensitive: true, iopl: true, exit: ExitReason.IoInstruction } as const;

export const SYSTEM: readonly OpcodeRow[] = [
  { mnemonic: 'IN', opcode: 'E4 ib', operands: ['AL', 'Ib'], sem: 'in', ...IO },
  { mnemonic: 'IN', opcode: 'E5 ib', operands: ['eAX', 'Ib'], sem: 'in', ...IO },
  { mnemonic: 'OUT', opcode: 'E6 ib', operands: ['Ib', 'AL'], sem: 'out', ...IO },
  { mnemonic: 'OUT', opcode: 'E7 ib', operands: ['Ib', 'eAX'], sem: 'out', ...IO },
  { mnemonic: 'IN', opcode: 'EC', operands: ['AL', 'DX'], sem: 'in', ...IO },
  { mnemonic: 'IN', opcode: 'ED', operands: ['eAX', 'DX'], sem: 'in', ...IO },
  { mnemonic: 'OUT', opcode: 'EE', operands: ['DX', 'AL'], sem: 'out', ...IO },
  { mnemonic: 'OUT', opcode: 'EF', operands: ['DX', 'eAX'], sem: 'out', ...IO },
  { mnemonic: 'CLI', opcode: 'FA', operands: [], sem: 'cli', group: 'flagop', writes: 'I', sensitive: true, iopl: true },
  { mnemonic: 'STI', opcode: 'FB', operands: [], sem: 'sti', group: 'flagop', writes: 'I', sensitive: true, iopl: true },

  { mnemonic: 'SLDT', opcode: '0F 00 /0', operands: ['Ew'], sem: 'sldt', ...SYS, exit: ExitReason.LdtrTrAccess },
  { mnemonic: 'STR', opcode: '0F 00 /1', operands: ['Ew'], sem: 'str', ...SYS, exit: ExitReason.LdtrTrAccess },
  { mnemonic: 'LLDT', opcode: '0F 00 /2', operands: ['Ew'], sem: 'lldt', ...SYS, cpl0: true, exit: ExitReason.LdtrTrAccess },
  { mnemonic: 'LTR', opcode: '0F 00 /3', operands: ['Ew'], sem: 'ltr', ...SYS, cpl0: true, exit: ExitReason.LdtrTrAccess },
  { mnemonic: 'VERR', opcode: '0F 00 /4', operands: ['Ew'], sem: 'verr', ...SYS, writes: 'Z' },
  { mnemonic: 'VERW', opcode: '0F 00 /5', operands: ['Ew'], sem: 'verw', ...SYS, writes: 'Z' },
  { mnemonic: 'SGDT', opcode: '0F 01 /0', operands: ['Ms'], sem: 'sgdt', ...SYS, exit: ExitReason.GdtrIdtrAccess },
  { mnemonic: 'SIDT', opcode: '0F 01 /1', operands: ['Ms'], sem: 'sidt', ...SYS, exit: ExitReason.GdtrIdtrAccess },
  { mnemonic: 'LGDT', opcode: '0F 01 /2', operands: ['Ms'], sem: 'lgdt', ...SYS, cpl0: true, exit: ExitReason.GdtrIdtrAccess },
  { mnemonic: 'LIDT', opcode: '0F 01 /3', operands: ['Ms'], sem: 'lidt', ...SYS, cpl0: true, exit: ExitReason.GdtrIdtrAccess },
  { mnemonic: 'SMSW', opcode: '0F 01 /4', operands: ['Ew'], sem: 'smsw', ...SYS },
  { mnemonic: 'LMSW', opcode: '0F 01 /6', operands: ['Ew'], sem: 'lmsw', ...SYS, cpl0: true, exit: ExitReason.CrAccess },
  { mnemonic: 'INVLPG', opcode: '0F 01 /7', operands: ['M'], sem: 'invlpg', ...SYS, cpl0: true, exit: ExitReason.Invlpg },
  { mnemonic: 'LAR', opcode: '0F 02 /r', operands: ['Gv', 'Ew'], sem: 'lar', ...SYS, writes: 'Z' },
  { mnemonic: 'LSL', opcode: '0F 03 /r', operands: ['Gv', 'Ew'], sem: 'lsl', ...SYS, writes: 'Z' },
  { mnemonic: 'ARPL', opcode: '63 /r', operands: ['Ew', 'Gw'], sem: 'arpl', ...SYS, writes: 'Z' },
  { mnemonic: 'CLTS', opcode: '0F 06', operands: [], sem: 'clts', ...SYS, cpl0: true, exit: ExitReason.CrAccess },
  { mnemonic: 'INVD', opcode: '0F 08', operands: [], sem: 'invd', ...SYS, cpl0: true, exit: ExitReason.Invd },
  { mnemonic: 'WBINVD', opcode: '0F 09', operands: [], sem: 'wbinvd', ...SYS, cpl0: true, exit: ExitReason.Wbinvd },
  { mnemonic: 'MOV', opcode: '0F 20 /r', operands: ['Rd', 'Cd'], sem: 'movFromCr', ...SYS, cpl0: true, exit: ExitReason.CrAccess },
  { mnemonic: 'MOV', opcode: '0F 21 /r', operands: ['Rd', 'Dd'], sem: 'movFromDr', ...SYS, cpl0: true, exit: ExitReason.DrAccess },
  { mnemonic: 'MOV', opcode: '0F 22 /r', operands: ['Cd', 'Rd'], sem: 'movToCr', ...SYS, cpl0: true, exit: ExitReason.CrAccess, ends: 'exit' },
  { mnemonic: 'MOV', opcode: '0F 23 /r', operands: ['Dd', 'Rd'], sem: 'movToDr', ...SYS, cpl0: true, exit: ExitReason.DrAccess },
  { mnemonic: 'WRMSR', opcode: '0F 30', operands: [], sem: 'wrmsr', ...SYS, cpl0: true, exit: ExitReason.Wrmsr },
  { mnemonic: 'RDMSR', opcode: '0F 32', operands: [], sem: 'rdmsr', ...SYS, cpl0: true, exit: ExitReason.Rdmsr },
  { mnemonic: 'RDPMC', opcode: '0F 33', operands: [], sem: 'rdpmc', ...SYS, exit: ExitReason.Rdpmc },
];
