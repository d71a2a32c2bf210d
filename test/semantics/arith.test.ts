/**
 * Focused tests of the arith-family semantics (translator/semantics/arith.ts)
 * on a tiny concrete Backend<number> kept in this file: the shared int32
 * arithmetic, registers in an array, eager flags, byte memory in a Map.
 * Expected values follow the SDM pseudocode.
 */
import { describe, expect, it } from 'vitest';
import { EagerBackend } from './eager-backend.js';
import { type Backend, Flag, FlagOp, type ModeInfo } from '../../translator/semantics/backend.js';
import { conditionFromFlags, flagsDefinedBy, lazyFlagsWord } from '../../translator/semantics/flags.js';
import { ARITH_SEMANTICS } from '../../translator/semantics/arith.js';
import { decode } from '../../translator/decoder.js';
import { isFault, type Seg, type Size } from '../../translator/table/types.js';
import { GuestFault } from '../../runtime/exceptions.js';
import { ConcreteArith } from '../../runtime/concrete-backend.js';

const u = (x: number): number => x >>> 0;

class Cpu extends EagerBackend {}

const EAX = 0, ECX = 1, EDX = 2, EBX = 3;
const DE = 0;

describe('ADD ADC SUB SBB CMP and logic', () => {
  it('ADD AL, 1 from 7Fh overflows into the sign', () => {
    const c = new Cpu();
    c.regs[EAX] = 0x7f;
    c.run(0x04, 0x01);
    expect(c.r(EAX)).toBe(0x80);
    expect(c.f()).toBe('OS.A..');
  });
  it('ADC with a carry in: FFh + 0 + 1 = 0 with CF', () => {
    const c = new Cpu();
    c.regs[EAX] = 0x12ff;
    c.flags |= Flag.CF;
    c.run(0x14, 0x00);
    expect(c.r(EAX)).toBe(0x1200);
    expect(c.f()).toBe('..ZAPC');
  });
  it('ADC 32-bit: FFFFFFFF + FFFFFFFF + 1 keeps CF and the low word', () => {
    const c = new Cpu();
    c.regs[EAX] = -1;
    c.regs[EBX] = -1;
    c.flags |= Flag.CF;
    c.run(0x11, 0xd8); // adc eax, ebx
    expect(c.r(EAX)).toBe(0xffffffff);
    expect(c.f()).toBe('.S.APC');
  });
  it('SBB 32-bit: 0 - FFFFFFFF - 1 = 0 with a borrow', () => {
    const c = new Cpu();
    c.regs[EBX] = -1;
    c.flags |= Flag.CF;
    c.run(0x19, 0xd8); // sbb eax, ebx
    expect(c.r(EAX)).toBe(0);
    expect(c.f()).toBe('..ZAPC');
  });
  it('SUB 16-bit with the sign-extended imm8 form', () => {
    const c = new Cpu();
    c.regs[EAX] = 0x12340005;
    c.run(0x66, 0x83, 0xe8, 0xff); // sub ax, -1
    expect(c.r(EAX)).toBe(0x12340006);
    expect(c.f()).toBe('...APC'); // 5 - FFFFh borrows
  });
  it('CMP does not write the destination', () => {
    const c = new Cpu();
    c.regs[EAX] = 5;
    c.run(0x3d, 0x06, 0, 0, 0); // cmp eax, 6
    expect(c.r(EAX)).toBe(5);
    expect(c.f()).toBe('.S.APC');
  });
  it('ADD to memory writes the memory operand', () => {
    const c = new Cpu();
    c.regs[EBX] = 0x100;
    c.store(3 as Seg, 0x100, 4, 0xfffffffe);
    c.regs[ECX] = 3;
    c.run(0x01, 0x0b); // add [ebx], ecx
    expect(u(c.load(3 as Seg, 0x100, 4))).toBe(1);
    expect(c.f()).toBe('...A.C');
  });
  it('TEST and XOR clear CF and OF', () => {
    const c = new Cpu();
    c.flags |= Flag.CF | Flag.OF;
    c.regs[EAX] = 0x80;
    c.run(0xa8, 0x80); // test al, 80h
    expect(c.f()).toBe('.S....');
    c.run(0x31, 0xc0); // xor eax, eax
    expect(c.r(EAX)).toBe(0);
    expect(c.f()).toBe('..Z.P.');
  });
  it('NOT leaves the flags', () => {
    const c = new Cpu();
    c.flags |= Flag.CF;
    c.regs[EAX] = 0x1234;
    c.run(0x66, 0xf7, 0xd0); // not ax
    expect(c.r(EAX)).toBe(0xedcb);
    expect(c.f()).toBe('.....C');
  });
});

describe('NEG INC DEC', () => {
  it('NEG of 0 clears CF, NEG of 80h sets CF and OF', () => {
    const c = new Cpu();
    c.run(0xf6, 0xd8); // neg al
    expect(c.f()).toBe('..Z.P.');
    c.regs[EAX] = 0x80;
    c.run(0xf6, 0xd8);
    expect(c.r(EAX)).toBe(0x80);
    expect(c.f()).toBe('OS...C');
  });
  it('INC keeps CF; DEC of 80000000h overflows', () => {
    const c = new Cpu();
    c.flags |= Flag.CF;
    c.regs[EAX] = 0xff;
    c.run(0xfe, 0xc0); // inc al
    expect(c.r(EAX)).toBe(0);
    expect(c.f()).toBe('..ZAPC');
    c.regs[ECX] = 0x80000000 | 0;
    c.run(0x49); // dec ecx
    expect(c.r(ECX)).toBe(0x7fffffff);
    expect(c.f()).toBe('O..APC');
  });
});

describe('MUL and IMUL', () => {
  it('MUL 8-bit writes AX; CF/OF when AH is not 0', () => {
    const c = new Cpu();
    c.regs[EAX] = 0xffff0080;
    c.regs[EBX] = 0x02;
    c.run(0xf6, 0xe3); // mul bl
    expect(c.r(EAX)).toBe(0xffff0100);
    expect(c.flags & (Flag.CF | Flag.OF)).toBe(Flag.CF | Flag.OF);
    c.regs[EAX] = 0x10;
    c.run(0xf6, 0xe3);
    expect(c.r(EAX)).toBe(0x20);
    expect(c.flags & (Flag.CF | Flag.OF)).toBe(0);
  });
  it('MUL 16-bit writes DX:AX', () => {
    const c = new Cpu();
    c.regs[EAX] = 0xabcdffff;
    c.regs[EDX] = 0x12345678;
    c.regs[EBX] = 0xffff;
    c.run(0x66, 0xf7, 0xe3); // mul bx
    expect(c.r(EAX)).toBe(0xabcd0001);
    expect(c.r(EDX)).toBe(0x1234fffe);
    expect(c.flags & (Flag.CF | Flag.OF)).toBe(Flag.CF | Flag.OF);
  });
  it('MUL and IMUL 32-bit write EDX:EAX', () => {
    const c = new Cpu();
    c.regs[EAX] = -1;
    c.regs[EBX] = -1;
    c.run(0xf7, 0xe3); // mul ebx
    expect([c.r(EDX), c.r(EAX)]).toEqual([0xfffffffe, 1]);
    expect(c.flags & Flag.CF).toBe(Flag.CF);
    c.regs[EAX] = -1;
    c.run(0xf7, 0xeb); // imul ebx: (-1) * (-1) = 1
    expect([c.r(EDX), c.r(EAX)]).toEqual([0, 1]);
    expect(c.flags & (Flag.CF | Flag.OF)).toBe(0);
    c.regs[EAX] = 0x40000000;
    c.regs[EBX] = 2;
    c.run(0xf7, 0xeb); // imul ebx: 2^31 does not fit
    expect([c.r(EDX), c.r(EAX)]).toEqual([0, 0x80000000]);
    expect(c.flags & (Flag.CF | Flag.OF)).toBe(Flag.CF | Flag.OF);
  });
  it('IMUL 8-bit: -128 * -1 = 128 overflows AL but is exact in AX', () => {
    const c = new Cpu();
    c.regs[EAX] = 0x80;
    c.regs[EBX] = 0xff;
    c.run(0xf6, 0xeb); // imul bl
    expect(c.r(EAX)).toBe(0x0080);
    expect(c.flags & (Flag.CF | Flag.OF)).toBe(Flag.CF | Flag.OF);
    c.regs[EAX] = 0xfe;
    c.run(0xf6, 0xeb); // -2 * -1 = 2
    expect(c.r(EAX)).toBe(0x0002);
    expect(c.flags & (Flag.CF | Flag.OF)).toBe(0);
  });
  it('IMUL r16, r/m16, imm8 sign-extends the immediate and truncates', () => {
    const c = new Cpu();
    c.regs[EBX] = 0x4000;
    c.regs[ECX] = 0x77770000;
    c.run(0x66, 0x6b, 0xcb, 0xfe); // imul cx, bx, -2
    expect(c.r(ECX)).toBe(0x77778000);
    expect(c.flags & (Flag.CF | Flag.OF)).toBe(0);
    c.run(0x66, 0x6b, 0xcb, 0x02); // imul cx, bx, 2 = 8000h: overflow
    expect(c.r(ECX)).toBe(0x77778000);
    expect(c.flags & (Flag.CF | Flag.OF)).toBe(Flag.CF | Flag.OF);
  });
  it('IMUL r32, r/m32', () => {
    const c = new Cpu();
    c.regs[EAX] = -3;
    c.regs[EBX] = 7;
    c.run(0x0f, 0xaf, 0xc3); // imul eax, ebx
    expect(c.regs[EAX]! | 0).toBe(-21);
    expect(c.flags & (Flag.CF | Flag.OF)).toBe(0);
  });
});

describe('DIV and IDIV', () => {
  it('DIV 8-bit: AX / r8 -> AL quotient, AH remainder', () => {
    const c = new Cpu();
    c.regs[EAX] = 0x11110100 | 0; // AX = 256
    c.regs[EBX] = 7;
    c.run(0xf6, 0xf3); // div bl
    expect(c.r(EAX)).toBe(0x11110424); // 256 = 7 * 36 + 4
  });
  it('divide by zero and quotient overflow raise #DE and change nothing', () => {
    const c = new Cpu();
    c.regs[EAX] = 0x1234;
    c.regs[EDX] = 0x5678;
    c.flags = 0x8d5 | 2;
    expect(c.fault(0xf7, 0xf3)).toBe(DE); // div ebx, ebx = 0
    c.regs[EBX] = 0x1000;
    c.regs[EAX] = 0x0000;
    c.regs[EDX] = 0x1000; // EDX:EAX / 1000h = 2^32: too big
    expect(c.fault(0xf7, 0xf3)).toBe(DE);
    expect([c.r(EAX), c.r(EDX), c.flags]).toEqual([0, 0x1000, 0x8d5 | 2]);
  });
  it('IDIV of the most negative value by -1 raises #DE', () => {
    const c = new Cpu();
    c.regs[EAX] = 0x80000000 | 0;
    c.regs[EDX] = -1;
    c.regs[EBX] = -1;
    expect(c.fault(0xf7, 0xfb)).toBe(DE); // idiv ebx
    expect([c.r(EAX), c.r(EDX)]).toEqual([0x80000000, 0xffffffff]);
    c.regs[EAX] = 0x8000; // AX = -32768
    expect(c.fault(0xf6, 0xfb)).toBe(DE); // idiv bl
    c.regs[EAX] = 0x8000;
    c.regs[EDX] = 0xffff;
    expect(c.fault(0x66, 0xf7, 0xfb)).toBe(DE); // idiv bx
  });
  it('IDIV truncates toward zero; the remainder has the sign of the dividend', () => {
    const c = new Cpu();
    c.regs[EAX] = -7;
    c.regs[EDX] = -1;
    c.regs[EBX] = 2;
    c.run(0xf7, 0xfb); // idiv ebx
    expect([c.regs[EAX]! | 0, c.regs[EDX]! | 0]).toEqual([-3, -1]);
    c.regs[EAX] = 0xfff9; // AX = -7
    c.run(0xf6, 0xfb); // idiv bl
    expect(c.r(EAX) & 0xffff).toBe(0xfffd); // AH = -1, AL = -3
  });
});

describe('BCD adjusts', () => {
  it('DAA after 15h + 27h = 3Ch gives 42h', () => {
    const c = new Cpu();
    c.regs[EAX] = 0x3c;
    c.run(0x27);
    expect(c.r(EAX)).toBe(0x42);
    expect(c.flags & (Flag.AF | Flag.CF)).toBe(Flag.AF);
  });
  it('DAA of 9Ah gives 00h with CF and AF', () => {
    const c = new Cpu();
    c.regs[EAX] = 0x9a;
    c.run(0x27);
    expect(c.r(EAX)).toBe(0);
    expect(c.flags & (Flag.AF | Flag.CF | Flag.ZF)).toBe(Flag.AF | Flag.CF | Flag.ZF);
  });
  it('DAA with CF in and a small AL adds 60h', () => {
    const c = new Cpu();
    c.regs[EAX] = 0x12;
    c.flags |= Flag.CF;
    c.run(0x27);
    expect(c.r(EAX)).toBe(0x72);
    expect(c.flags & (Flag.AF | Flag.CF)).toBe(Flag.CF);
  });
  it('DAS of 03h with AF borrows: FDh, CF', () => {
    const c = new Cpu();
    c.regs[EAX] = 0x03;
    c.flags |= Flag.AF;
    c.run(0x2f);
    expect(c.r(EAX)).toBe(0xfd);
    expect(c.flags & (Flag.AF | Flag.CF)).toBe(Flag.AF | Flag.CF);
  });
  it('DAS of 9Ah gives 34h with CF and AF', () => {
    const c = new Cpu();
    c.regs[EAX] = 0x9a;
    c.run(0x2f);
    expect(c.r(EAX)).toBe(0x34);
    expect(c.flags & (Flag.AF | Flag.CF)).toBe(Flag.AF | Flag.CF);
  });
  it('AAA adds 106h to AX and keeps the low nibble of AL', () => {
    const c = new Cpu();
    c.regs[EAX] = 0x00ff;
    c.run(0x37);
    expect(c.r(EAX)).toBe(0x0205);
    expect(c.flags & (Flag.AF | Flag.CF)).toBe(Flag.AF | Flag.CF);
    c.regs[EAX] = 0x0105;
    c.flags = 2; // AF from the previous AAA would adjust again
    c.run(0x37);
    expect(c.r(EAX)).toBe(0x0105);
    expect(c.flags & (Flag.AF | Flag.CF)).toBe(0);
  });
  it('AAS with AF: AX - 106h, AL masked', () => {
    const c = new Cpu();
    c.regs[EAX] = 0x0100;
    c.flags |= Flag.AF;
    c.run(0x3f);
    expect(c.r(EAX)).toBe(0xff0a);
    expect(c.flags & (Flag.AF | Flag.CF)).toBe(Flag.AF | Flag.CF);
  });
  it('AAM 10 splits AL; AAM 0 raises #DE', () => {
    const c = new Cpu();
    c.regs[EAX] = 0x124f; // AL = 79
    c.run(0xd4, 0x0a);
    expect(c.r(EAX)).toBe(0x0709);
    expect(c.fault(0xd4, 0x00)).toBe(DE);
    expect(c.r(EAX)).toBe(0x0709);
  });
  it('AAD 10 joins AH:AL; AAD 16 packs nibbles', () => {
    const c = new Cpu();
    c.regs[EAX] = 0x0709;
    c.run(0xd5, 0x0a);
    expect(c.r(EAX)).toBe(0x004f);
    c.regs[EAX] = 0x0302;
    c.run(0xd5, 0x10);
    expect(c.r(EAX)).toBe(0x0032);
    expect(c.flags & Flag.ZF).toBe(0);
  });
});

describe('conversions and flag instructions', () => {
  it('CBW, CWDE, CWD, CDQ', () => {
    const c = new Cpu();
    c.regs[EAX] = 0x12345680;
    c.run(0x66, 0x98); // cbw
    expect(c.r(EAX)).toBe(0x1234ff80);
    c.run(0x98); // cwde
    expect(c.r(EAX)).toBe(0xffffff80);
    c.regs[EDX] = 0x11112222;
    c.run(0x66, 0x99); // cwd
    expect(c.r(EDX)).toBe(0x1111ffff);
    c.regs[EAX] = 0x7fffffff;
    c.run(0x99); // cdq
    expect(c.r(EDX)).toBe(0);
  });
  it('SALC copies CF to every bit of AL', () => {
    const c = new Cpu();
    c.regs[EAX] = 0x1234;
    c.flags |= Flag.CF;
    c.run(0xd6);
    expect(c.r(EAX)).toBe(0x12ff);
    c.flags &= ~Flag.CF;
    c.run(0xd6);
    expect(c.r(EAX)).toBe(0x1200);
  });
  it('CMC CLC STC CLD STD', () => {
    const c = new Cpu();
    c.run(0xf5);
    expect(c.flag(Flag.CF)).toBe(1);
    c.run(0xf8);
    expect(c.flag(Flag.CF)).toBe(0);
    c.run(0xf9);
    expect(c.flag(Flag.CF)).toBe(1);
    c.run(0xfd);
    expect(c.flag(Flag.DF)).toBe(1);
    c.run(0xfc);
    expect(c.flag(Flag.DF)).toBe(0);
  });
  it('SAHF loads SF ZF AF PF CF; LAHF reads them with bit 1 set', () => {
    const c = new Cpu();
    c.flags |= Flag.OF;
    c.regs[EAX] = 0xff00;
    c.run(0x9e);
    expect(c.flags).toBe(Flag.OF | 0xd5 | 2);
    c.flags = 2 | Flag.ZF | Flag.CF | Flag.OF;
    c.run(0x9f);
    expect(c.r(EAX)).toBe(0x4300);
  });
});
