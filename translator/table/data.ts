/** Data movement, exchange, stack, string instructions and the remaining general-purpose ones (SDM vol. 2). */
import type { OpcodeRow } from './types.js';
import { ExitReason } from '../../runtime/exit-reason.js';

const SEG_PUSH_POP: ReadonlyArray<[string, 'ES' | 'CS' | 'SS' | 'DS' | 'FS' | 'GS', string | null]> = [
  ['06', 'ES', '07'], ['0E', 'CS', null], ['16', 'SS', '17'], ['1E', 'DS', '1F'], ['0F A0', 'FS', '0F A1'], ['0F A8', 'GS', '0F A9'],
];

export const DATA: readonly OpcodeRow[] = [
  { mnemonic: 'MOV', opcode: '88 /r', operands: ['Eb', 'Gb'], sem: 'mov', group: 'move' },
  { mnemonic: 'MOV', opcode: '89 /r', operands: ['Ev', 'Gv'], sem: 'mov', group: 'move' },
  { mnemonic: 'MOV', opcode: '8A /r', operands: ['Gb', 'Eb'], sem: 'mov', group: 'move' },
  { mnemonic: 'MOV', opcode: '8B /r', operands: ['Gv', 'Ev'], sem: 'mov', group: 'move' },
  { mnemonic: 'MOV', opcode: 'A0 ob', operands: ['AL', 'Ob'], sem: 'mov', group: 'move' },
  { mnemonic: 'MOV', opcode: 'A1 ov', operands: ['eAX', 'Ov'], sem: 'mov', group: 'move' },
  { mnemonic: 'MOV', opcode: 'A2 ob', operands: ['Ob', 'AL'], sem: 'mov', group: 'move' },
  { mnemonic: 'MOV', opcode: 'A3 ov', operands: ['Ov', 'eAX'], sem: 'mov', group: 'move' },
  { mnemonic: 'MOV', opcode: 'B0+r ib', operands: ['Zb', 'Ib'], sem: 'mov', group: 'move' },
  { mnemonic: 'MOV', opcode: 'B8+r iv', operands: ['Zv', 'Iv'], sem: 'mov', group: 'move' },
  { mnemonic: 'MOV', opcode: 'C6 /0 ib', operands: ['Eb', 'Ib'], sem: 'mov', group: 'move' },
  { mnemonic: 'MOV', opcode: 'C7 /0 iz', operands: ['Ev', 'Iz'], sem: 'mov', group: 'move' },
  { mnemonic: 'MOV', opcode: '8C /r', operands: ['Ev', 'Sw'], sem: 'movFromSeg', group: 'segment', sensitive: true },
  { mnemonic: 'MOV', opcode: '8E /r', operands: ['Sw', 'Ew'], sem: 'movToSeg', group: 'segment', sensitive: true, noDiff: 'segment load (system issue)' },
  { mnemonic: 'MOVZX', opcode: '0F B6 /r', operands: ['Gv', 'Eb'], sem: 'movzx', group: 'move' },
  { mnemonic: 'MOVZX', opcode: '0F B7 /r', operands: ['Gv', 'Ew'], sem: 'movzx', group: 'move' },
  { mnemonic: 'MOVSX', opcode: '0F BE /r', operands: ['Gv', 'Eb'], sem: 'movsx', group: 'move' },
  { mnemonic: 'MOVSX', opcode: '0F BF /r', operands: ['Gv', 'Ew'], sem: 'movsx', group: 'move' },
  { mnemonic: 'LEA', opcode: '8D /r', operands: ['Gv', 'M'], sem: 'lea', group: 'move' },
  { mnemonic: 'XLAT', opcode: 'D7', operands: [], sem: 'xlat', group: 'move' },
  { mnemonic: 'LES', opcode: 'C4 /r', operands: ['Gv', 'Mp'], sem: 'les', group: 'segment', sensitive: true, noDiff: 'segment load (system issue)' },
  { mnemonic: 'LDS', opcode: 'C5 /r', operands: ['Gv', 'Mp'], sem: 'lds', group: 'segment', sensitive: true, noDiff: 'segment load (system issue)' },
  { mnemonic: 'LSS', opcode: '0F B2 /r', operands: ['Gv', 'Mp'], sem: 'lss', group: 'segment', sensitive: true, noDiff: 'segment load (system issue)' },
  { mnemonic: 'LFS', opcode: '0F B4 /r', operands: ['Gv', 'Mp'], sem: 'lfs', group: 'segment', sensitive: true, noDiff: 'segment load (system issue)' },
  { mnemonic: 'LGS', opcode: '0F B5 /r', operands: ['Gv', 'Mp'], sem: 'lgs', group: 'segment', sensitive: true, noDiff: 'segment load (system issue)' },

  { mnemonic: 'XCHG', opcode: '86 /r', operands: ['Eb', 'Gb'], sem: 'xchg', group: 'xchg', lock: true },
  { mnemonic: 'XCHG', opcode: '87 /r', operands: ['Ev', 'Gv'], sem: 'xchg', group: 'xchg', lock: true },
  { mnemonic: 'XCHG', opcode: '90+r', operands: ['Zv', 'eAX'], sem: 'xchg', group: 'xchg' },
  { mnemonic: 'XADD', opcode: '0F C0 /r', operands: ['Eb', 'Gb'], sem: 'xadd', group: 'xchg', writes: 'OSZAPC', lock: true },
  { mnemonic: 'XADD', opcode: '0F C1 /r', operands: ['Ev', 'Gv'], sem: 'xadd', group: 'xchg', writes: 'OSZAPC', lock: true },
  { mnemonic: 'CMPXCHG', opcode: '0F B0 /r', operands: ['Eb', 'Gb'], sem: 'cmpxchg', group: 'xchg', writes: 'OSZAPC', lock: true },
  { mnemonic: 'CMPXCHG', opcode: '0F B1 /r', operands: ['Ev', 'Gv'], sem: 'cmpxchg', group: 'xchg', writes: 'OSZAPC', lock: true },
  { mnemonic: 'CMPXCHG8B', opcode: '0F C7 /1', operands: ['Mq'], sem: 'cmpxchg8b', group: 'xchg', writes: 'Z', lock: true },

  { mnemonic: 'PUSH', opcode: '50+r', operands: ['Zv'], sem: 'push', group: 'stack' },
  { mnemonic: 'POP', opcode: '58+r', operands: ['Zv'], sem: 'pop', group: 'stack' },
  { mnemonic: 'PUSH', opcode: '6A ib', operands: ['IbS'], sem: 'push', group: 'stack' },
  { mnemonic: 'PUSH', opcode: '68 iz', operands: ['Iz'], sem: 'push', group: 'stack' },
  { mnemonic: 'PUSH', opcode: 'FF /6', operands: ['Ev'], sem: 'push', group: 'stack' },
  { mnemonic: 'POP', opcode: '8F /0', operands: ['Ev'], sem: 'pop', group: 'stack' },
  ...SEG_PUSH_POP.flatMap(([push, seg, pop]): OpcodeRow[] => [
    { mnemonic: 'PUSH', opcode: push, operands: [seg], sem: 'pushSeg', group: 'segment', sensitive: true },
    ...(pop ? [{ mnemonic: 'POP', opcode: pop, operands: [seg], sem: 'popSeg', group: 'segment', sensitive: true, noDiff: 'segment load (system issue)' } as OpcodeRow] : []),
  ]),
  { mnemonic: 'PUSHA/PUSHAD', opcode: '60', operands: [], sem: 'pusha', group: 'stack' },
  { mnemonic: 'POPA/POPAD', opcode: '61', operands: [], sem: 'popa', group: 'stack' },
  { mnemonic: 'PUSHF/PUSHFD', opcode: '9C', operands: [], sem: 'pushf', group: 'stack', reads: 'ODITSZAPC', sensitive: true },
  { mnemonic: 'POPF/POPFD', opcode: '9D', operands: [], sem: 'popf', group: 'stack', writes: 'ODITSZAPC', sensitive: true },
  { mnemonic: 'ENTER', opcode: 'C8 iw ib', operands: ['Iw', 'Ib'], sem: 'enter', group: 'stack' },
  { mnemonic: 'LEAVE', opcode: 'C9', operands: [], sem: 'leave', group: 'stack' },

  { mnemonic: 'MOVSB', opcode: 'A4', operands: ['Yb', 'Xb'], sem: 'movs', group: 'string', rep: 'rep', reads: 'D' },
  { mnemonic: 'MOVSW/MOVSD', opcode: 'A5', operands: ['Yv', 'Xv'], sem: 'movs', group: 'string', rep: 'rep', reads: 'D' },
  { mnemonic: 'CMPSB', opcode: 'A6', operands: ['Xb', 'Yb'], sem: 'cmps', group: 'string', rep: 'repcc', reads: 'D', writes: 'OSZAPC' },
  { mnemonic: 'CMPSW/CMPSD', opcode: 'A7', operands: ['Xv', 'Yv'], sem: 'cmps', group: 'string', rep: 'repcc', reads: 'D', writes: 'OSZAPC' },
  { mnemonic: 'STOSB', opcode: 'AA', operands: ['Yb', 'AL'], sem: 'stos', group: 'string', rep: 'rep', reads: 'D' },
  { mnemonic: 'STOSW/STOSD', opcode: 'AB', operands: ['Yv', 'eAX'], sem: 'stos', group: 'string', rep: 'rep', reads: 'D' },
  { mnemonic: 'LODSB', opcode: 'AC', operands: ['AL', 'Xb'], sem: 'lods', group: 'string', rep: 'rep', reads: 'D' },
  { mnemonic: 'LODSW/LODSD', opcode: 'AD', operands: ['eAX', 'Xv'], sem: 'lods', group: 'string', rep: 'rep', reads: 'D' },
  { mnemonic: 'SCASB', opcode: 'AE', operands: ['AL', 'Yb'], sem: 'scas', group: 'string', rep: 'repcc', reads: 'D', writes: 'OSZAPC' },
  { mnemonic: 'SCASW/SCASD', opcode: 'AF', operands: ['eAX', 'Yv'], sem: 'scas', group: 'string', rep: 'repcc', reads: 'D', writes: 'OSZAPC' },
  { mnemonic: 'INSB', opcode: '6C', operands: ['Yb', 'DX'], sem: 'ins', group: 'io', rep: 'rep', reads: 'D', sensitive: true, iopl: true, exit: ExitReason.IoInstruction },
  { mnemonic: 'INSW/INSD', opcode: '6D', operands: ['Yz', 'DX'], sem: 'ins', group: 'io', rep: 'rep', reads: 'D', sensitive: true, iopl: true, exit: ExitReason.IoInstruction },
  { mnemonic: 'OUTSB', opcode: '6E', operands: ['DX', 'Xb'], sem: 'outs', group: 'io', rep: 'rep', reads: 'D', sensitive: true, iopl: true, exit: ExitReason.IoInstruction },
  { mnemonic: 'OUTSW/OUTSD', opcode: '6F', operands: ['DX', 'Xz'], sem: 'outs', group: 'io', rep: 'rep', reads: 'D', sensitive: true, iopl: true, exit: ExitReason.IoInstruction },

  { mnemonic: 'NOP', opcode: '90', operands: [], sem: 'nop', group: 'misc' },
  // 0F 18-1F: hint NOPs (the long NOP 0F 1F /0 among them); P6-class CPUs execute them as NOPs.
  ...['18', '19', '1A', '1B', '1C', '1D', '1E', '1F'].map((op): OpcodeRow =>
    ({ mnemonic: 'NOP', opcode: `0F ${op} /r`, operands: ['Ev'], sem: 'nop', group: 'misc' })),
  { mnemonic: 'CPUID', opcode: '0F A2', operands: [], sem: 'hypercall', group: 'misc', sensitive: true, exit: ExitReason.Cpuid, ends: 'exit', noDiff: 'host CPU model differs' },
  { mnemonic: 'RDTSC', opcode: '0F 31', operands: [], sem: 'hypercall', group: 'misc', sensitive: true, exit: ExitReason.Rdtsc, noDiff: 'time' },
];
