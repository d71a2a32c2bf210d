import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decode } from '../../translator/decoder.js';
import { isFault, type DecodeResult, type Instruction } from '../../translator/table/types.js';
import { OPCODE_TABLE } from '../../translator/table/index.js';
import { SEMANTICS } from '../../translator/semantics/index.js';
import { enumerateForms } from '../diff/forms.js';
import { generateCase, Rng } from '../diff/generate.js';

function dec(hex: string, code32 = true, eip = 0x1000): DecodeResult {
  const bytes = hex.split(/\s+/).map((h) => parseInt(h, 16));
  return decode((i) => bytes[i] ?? 0x90, eip, code32);
}

function insn(hex: string, code32 = true): Instruction {
  const r = dec(hex, code32);
  if (isFault(r)) throw new Error(`unexpected fault: ${r.reason}`);
  return r;
}

describe('decoder', () => {
  it('decodes ModRM/SIB forms in 32-bit addressing', () => {
    const i = insn('03 44 8b 10'); // add eax, [ebx+ecx*4+0x10]
    expect(i.row.mnemonic).toBe('ADD');
    expect(i.length).toBe(4);
    expect(i.operands[0]).toEqual({ kind: 'reg', size: 4, reg: 0 });
    expect(i.operands[1]).toMatchObject({ kind: 'mem', size: 4, base: 3, index: 1, scale: 2, disp: 0x10, adsize: 4, seg: 3 });
  });

  it('uses SS for EBP/ESP bases and honours segment overrides', () => {
    expect(insn('8b 45 fc').operands[1]).toMatchObject({ seg: 2, base: 5, disp: 0xfffffffc });
    expect(insn('8b 04 24').operands[1]).toMatchObject({ seg: 2, base: 4, index: -1 });
    expect(insn('26 8b 45 fc').operands[1]).toMatchObject({ seg: 0 });
    expect(insn('8b 05 78 56 34 12').operands[1]).toMatchObject({ base: -1, index: -1, disp: 0x12345678 });
    expect(insn('8b 04 25 78 56 34 12').operands[1]).toMatchObject({ base: -1, index: -1, disp: 0x12345678 });
  });

  it('decodes 16-bit addressing, operand-size and address-size prefixes', () => {
    const i = insn('8b 42 02', false); // mov ax, [bp+si+2]
    expect(i.opsize).toBe(2);
    expect(i.operands[1]).toMatchObject({ base: 5, index: 6, disp: 2, adsize: 2, seg: 2 });
    expect(insn('66 8b 06 34 12', false).operands[1]).toMatchObject({ base: -1, disp: 0x1234, size: 4 });
    expect(insn('67 8b 07').operands[1]).toMatchObject({ base: 3, index: -1, adsize: 2 }); // [bx]
    expect(insn('66 b8 34 12').length).toBe(4);
    expect(insn('b8 78 56 34 12').length).toBe(5);
  });

  it('resolves branch targets and wraps IP in 16-bit code', () => {
    expect(insn('eb fe').operands[0]).toEqual({ kind: 'rel', target: 0x1000 });
    expect(insn('e8 00 00 00 00').operands[0]).toEqual({ kind: 'rel', target: 0x1005 });
    const r = decode((i) => [0x66, 0xe9, 0, 0][i] ?? 0, 0xfffe, true); // jmp rel16: target masked to 16 bits
    expect(isFault(r) ? null : r.operands[0]).toEqual({ kind: 'rel', target: 0x0002 });
    expect(dec('0f 84 10 00 00 00')).toMatchObject({ length: 6 });
  });

  it('selects group rows by the ModRM reg field and applies mod restrictions', () => {
    expect(insn('f7 d8').row.mnemonic).toBe('NEG');
    expect(insn('c1 e0 04').row.mnemonic).toBe('SHL');
    expect(insn('0f ba 20 05').row.mnemonic).toBe('BT');
    expect(dec('8d c0')).toMatchObject({ fault: 6 }); // LEA with a register operand
    expect(dec('0f c7 c8')).toMatchObject({ fault: 6 }); // CMPXCHG8B with a register operand
    expect(dec('ff f8')).toMatchObject({ fault: 6 }); // FF /7
    expect(dec('ff d8')).toMatchObject({ fault: 6 }); // far CALL through a register
    expect(insn('90').row.mnemonic).toBe('NOP');
    expect(insn('91').row.mnemonic).toBe('XCHG');
  });

  it('enforces LOCK legality and the 15-byte limit', () => {
    expect(insn('f0 01 03').lock).toBe(true);
    expect(dec('f0 01 d8')).toMatchObject({ fault: 6 }); // LOCK with a register destination
    expect(dec('f0 8b 03')).toMatchObject({ fault: 6 }); // LOCK MOV
    expect(dec('f0 39 03')).toMatchObject({ fault: 6 }); // LOCK CMP
    expect(dec(Array(14).fill('66').join(' ') + ' 90')).toMatchObject({ length: 15 });
    expect(dec(Array(15).fill('66').join(' ') + ' 90')).toMatchObject({ fault: 13 });
  });

  it('rejects undefined opcodes with #UD', () => {
    expect(dec('0f 0b')).toMatchObject({ row: { mnemonic: 'UD2' } });
    expect(dec('0f ff')).toMatchObject({ fault: 6 });
    expect(dec('0f 38 00 c0')).toMatchObject({ fault: 6 });
    expect(dec('8e c8')).toMatchObject({ fault: 6 }); // MOV CS, r/m
    expect(dec('fe d0')).toMatchObject({ fault: 6 }); // FE /2
  });

  it('has a semantic routine for every row of the table', () => {
    const missing = OPCODE_TABLE.filter((r) => !SEMANTICS[r.sem]).map((r) => `${r.mnemonic} ${r.opcode} (${r.sem})`);
    expect(missing).toEqual([]);
  });

  it('agrees with GNU objdump on the length of generated instructions', () => {
    const rng = new Rng(7);
    // objdump reads the 0F 18-1F hint NOPs as newer extensions (MPX, CLDEMOTE) with other addressing rules,
    // and FWAIT followed by an x87 instruction as that instruction's waiting form (9B D9 /6 is FSTENV).
    const forms = enumerateForms().filter((f) => !(f.row.sem === 'nop' && f.encoding.map === 1) && f.row.sem !== 'fwait');
    const cases = forms.flatMap((f, k) => [0, 1].map((n) => generateCase(f, rng, k * 2 + n))).filter((c) => c.mode === 32);
    const blob = Uint8Array.from(cases.flatMap((c) => Array.from(c.code)));
    const dir = mkdtempSync(join(tmpdir(), 'wasmvisor-objdump-'));
    try {
      writeFileSync(join(dir, 'code.bin'), blob);
      const out = execFileSync('objdump', ['-D', '-b', 'binary', '-m', 'i386', '-w', join(dir, 'code.bin')], { encoding: 'utf8', maxBuffer: 64 << 20 });
      // objdump lines: "   offset:\tbytes \tmnemonic"; prefixes it prints on their own line are merged by offset.
      const starts = new Set<number>();
      for (const line of out.split('\n')) {
        const m = /^\s*([0-9a-f]+):\t/.exec(line);
        if (m) starts.add(parseInt(m[1]!, 16));
      }
      let offset = 0;
      let mismatches = 0;
      const examples: string[] = [];
      for (const c of cases) {
        const r = decode((i) => c.code[i] ?? 0, 0, true);
        const ourLength = isFault(r) ? -1 : r.length;
        if (ourLength === c.code.length && !starts.has(offset + c.code.length) && offset + c.code.length < blob.length) {
          mismatches++;
          if (examples.length < 5) examples.push(Array.from(c.code, (b) => b.toString(16).padStart(2, '0')).join(' '));
        }
        offset += c.code.length;
      }
      expect(examples).toEqual([]);
      expect(mismatches).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
