/**
 * x87 escape opcodes (D8-DF) and MMX (0F 6x/7x/Dx-Fx): described here so the
 * decoder knows their lengths; their semantics arrive with the x87/MMX issue.
 * Until then the CPU model reports no FPU (CPUID.1:EDX.FPU = 0, as with
 * CR0.EM = 1), so x87 instructions raise #NM and MMX ones #UD.
 */
import type { OpcodeRow } from './types.js';

function hex(n: number): string {
  return n.toString(16).toUpperCase().padStart(2, '0');
}

const X87 = { group: 'x87', sem: 'x87', noDiff: 'x87 (its own issue)' } as const;
const MMX = { group: 'mmx', sem: 'mmx', noDiff: 'MMX (its own issue)' } as const;

/** MMX opcodes in the 0F map that take a ModRM operand. */
const MMX_OPCODES = [
  0x60, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x6b, 0x6e, 0x6f,
  0x74, 0x75, 0x76, 0x7e, 0x7f,
  0xd1, 0xd2, 0xd3, 0xd5, 0xd8, 0xd9, 0xdb, 0xdc, 0xdd, 0xdf,
  0xe1, 0xe2, 0xe5, 0xe8, 0xe9, 0xeb, 0xec, 0xed, 0xef,
  0xf1, 0xf2, 0xf3, 0xf5, 0xf8, 0xf9, 0xfa, 0xfc, 0xfd, 0xfe,
];

export const FPU: readonly OpcodeRow[] = [
  ...[0xd8, 0xd9, 0xda, 0xdb, 0xdc, 0xdd, 0xde, 0xdf].map((op): OpcodeRow =>
    ({ mnemonic: `ESC ${hex(op)}`, opcode: `${hex(op)} /r`, operands: ['Ev'], ...X87 })),
  { mnemonic: 'FWAIT', opcode: '9B', operands: [], ...X87 },
  ...MMX_OPCODES.map((op): OpcodeRow => ({ mnemonic: `MMX 0F ${hex(op)}`, opcode: `0F ${hex(op)} /r`, operands: ['Ev'], ...MMX })),
  // Shift-by-immediate groups 12-14: /2, /4, /6 (and /6 only for 73) are defined.
  ...[[0x71, [2, 4, 6]], [0x72, [2, 4, 6]], [0x73, [2, 6]]].flatMap(([op, digits]) =>
    (digits as number[]).map((d): OpcodeRow => ({ mnemonic: `MMX 0F ${hex(op as number)} /${d}`, opcode: `0F ${hex(op as number)} /${d} ib`, operands: ['Ev', 'Ib'], ...MMX, mod: 'reg' }))),
  { mnemonic: 'EMMS', opcode: '0F 77', operands: [], ...MMX },
];
