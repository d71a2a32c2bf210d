/**
 * Focused tests of the shift-family semantics (translator/semantics/shift.ts)
 * on a tiny concrete Backend<number> kept in this file (the same shape as
 * the one in arith.test.ts): the shared int32 arithmetic, registers in an
 * array, eager flags, byte memory in a Map with an optional faulting range.
 * Expected values follow the SDM pseudocode.
 */
import { describe, expect, it } from 'vitest';
import { EagerBackend } from './eager-backend.js';
import { type Backend, Flag, FlagOp, type ModeInfo } from '../../translator/semantics/backend.js';
import { conditionFromFlags, flagsDefinedBy, lazyFlagsWord } from '../../translator/semantics/flags.js';
import { SHIFT_SEMANTICS } from '../../translator/semantics/shift.js';
import { decode } from '../../translator/decoder.js';
import { isFault, type Seg, type Size } from '../../translator/table/types.js';
import { GuestFault } from '../../runtime/exceptions.js';
import { ConcreteArith } from '../../runtime/concrete-backend.js';

const u = (x: number): number => x >>> 0;

class Cpu extends EagerBackend {}

const EAX = 0, ECX = 1, EDX = 2, EBX = 3, ESI = 6;
const DS = 3 as Seg;
const CF_OF = Flag.CF | Flag.OF;

describe('SHL SHR SAR', () => {
  it('a CL count of 0 (after masking) changes neither the value nor the flags', () => {
    const c = new Cpu();
    c.regs[EAX] = 0x81;
    c.regs[ECX] = 0x20; // masked to 0
    c.flags = 2 | Flag.OF | Flag.CF | Flag.ZF;
    c.run(0xd2, 0xe0); // shl al, cl
    expect(c.r(EAX)).toBe(0x81);
    expect(c.f()).toBe('O.Z..C');
  });
  it('SHL 8-bit by 8 clears the byte; CF is the old bit 0', () => {
    const c = new Cpu();
    c.regs[EAX] = 0x1281;
    c.regs[ECX] = 8;
    c.run(0xd2, 0xe0); // shl al, cl
    expect(c.r(EAX)).toBe(0x1200);
    expect(c.flags & (Flag.CF | Flag.ZF)).toBe(Flag.CF | Flag.ZF);
  });
  it('SHL by 1: OF = MSB(result) xor CF', () => {
    const c = new Cpu();
    c.regs[EAX] = 0x40000000;
    c.run(0xd1, 0xe0); // shl eax, 1
    expect(c.r(EAX)).toBe(0x80000000);
    expect(c.flags & CF_OF).toBe(Flag.OF);
  });
  it('SHR by 1: OF = the old MSB; SAR 8-bit by 7 spreads the sign', () => {
    const c = new Cpu();
    c.regs[EAX] = 0x8001;
    c.run(0x66, 0xd1, 0xe8); // shr ax, 1
    expect(c.r(EAX)).toBe(0x4000);
    expect(c.flags & CF_OF).toBe(CF_OF);
    c.regs[EBX] = 0x80;
    c.run(0xc0, 0xfb, 0x07); // sar bl, 7
    expect(c.r(EBX)).toBe(0xff);
    expect(c.flags & CF_OF).toBe(0);
    c.regs[EBX] = 0x80;
    c.run(0xc0, 0xfb, 0x1f); // sar bl, 31
    expect(c.r(EBX)).toBe(0xff);
    expect(c.flags & Flag.CF).toBe(Flag.CF);
  });
  it('a shift of memory writes memory', () => {
    const c = new Cpu();
    c.regs[EBX] = 0x200;
    c.store(DS, 0x200, 2, 0x8421);
    c.run(0x66, 0xc1, 0x2b, 0x04); // shr word [ebx], 4
    expect(c.load(DS, 0x200, 2)).toBe(0x0842);
  });
});

describe('ROL ROR', () => {
  it('ROL 8-bit by 8 leaves the value but sets CF from bit 0', () => {
    const c = new Cpu();
    c.regs[EAX] = 0x81;
    c.regs[ECX] = 8;
    c.run(0xd2, 0xc0); // rol al, cl
    expect(c.r(EAX)).toBe(0x81);
    expect(c.flags & Flag.CF).toBe(Flag.CF);
  });
  it('ROL 16-bit by 4 and ROR 32-bit by 1', () => {
    const c = new Cpu();
    c.regs[EAX] = 0xaaaa1234;
    c.run(0x66, 0xc1, 0xc0, 0x04); // rol ax, 4
    expect(c.r(EAX)).toBe(0xaaaa2341);
    expect(c.flags & Flag.CF).toBe(Flag.CF);
    c.regs[EAX] = 1;
    c.run(0xd1, 0xc8); // ror eax, 1
    expect(c.r(EAX)).toBe(0x80000000);
    expect(c.flags & CF_OF).toBe(CF_OF); // CF = MSB, OF = MSB xor next
  });
  it('ROR 8-bit by 9 rotates by 1', () => {
    const c = new Cpu();
    c.regs[EAX] = 0x02;
    c.regs[ECX] = 9;
    c.run(0xd2, 0xc8); // ror al, cl
    expect(c.r(EAX)).toBe(0x01);
    expect(c.flags & Flag.CF).toBe(0);
  });
  it('ROL leaves SF ZF PF', () => {
    const c = new Cpu();
    c.flags = 2 | Flag.ZF | Flag.SF;
    c.regs[EAX] = 3;
    c.run(0xd1, 0xc0); // rol eax, 1
    expect(c.flags & (Flag.ZF | Flag.SF)).toBe(Flag.ZF | Flag.SF);
  });
});

describe('RCL RCR', () => {
  it('RCR 8-bit with count 9 is a full turn: nothing changes', () => {
    const c = new Cpu();
    c.regs[EAX] = 0x5a;
    c.regs[ECX] = 9;
    c.flags |= Flag.CF;
    c.run(0xd2, 0xd8); // rcr al, cl
    expect(c.r(EAX)).toBe(0x5a);
    expect(c.flags & Flag.CF).toBe(Flag.CF);
    c.regs[ECX] = 18;
    c.run(0xd2, 0xd0); // rcl al, cl
    expect(c.r(EAX)).toBe(0x5a);
  });
  it('RCR 8-bit by 8 and by 10 (= 1)', () => {
    const c = new Cpu();
    c.regs[EAX] = 0x01;
    c.flags |= Flag.CF;
    c.run(0xc0, 0xd8, 0x08); // rcr al, 8: CF:AL = 1:01 -> rotated right 8 of 9 bits
    expect(c.r(EAX)).toBe(0x03);
    expect(c.flags & Flag.CF).toBe(0);
    c.regs[EAX] = 0x01;
    c.flags |= Flag.CF;
    c.regs[ECX] = 10;
    c.run(0xd2, 0xd8); // rcr al, cl (10 mod 9 = 1)
    expect(c.r(EAX)).toBe(0x80);
    expect(c.flags & CF_OF).toBe(CF_OF); // OF = MSB xor MSB-1 of the result
  });
  it('RCL 16-bit: count 17 is a full turn, count 16 brings CF into bit 15', () => {
    const c = new Cpu();
    c.regs[EAX] = 0x1234;
    c.regs[ECX] = 17;
    c.run(0x66, 0xd3, 0xd0); // rcl ax, cl
    expect(c.r(EAX)).toBe(0x1234);
    c.flags |= Flag.CF;
    c.regs[ECX] = 16;
    c.run(0x66, 0xd3, 0xd0); // rcl ax, 16
    expect(c.r(EAX)).toBe(0x891a); // 1:1234 -> bit 0 of 1234 goes to CF, CF to bit 15
    expect(c.flags & Flag.CF).toBe(0);
  });
  it('RCL 32-bit by 1 and by 31', () => {
    const c = new Cpu();
    c.regs[EAX] = 0x80000000 | 0;
    c.run(0xd1, 0xd0); // rcl eax, 1
    expect(c.r(EAX)).toBe(0);
    expect(c.flags & CF_OF).toBe(CF_OF);
    c.regs[EAX] = 2;
    c.run(0xc1, 0xd0, 0x1f); // rcl eax, 31 = rcr by 2 of the 33-bit CF:EAX = 1:00000002
    expect(c.r(EAX)).toBe(0x40000000);
    expect(c.flags & Flag.CF).toBe(Flag.CF);
  });
  it('RCR 32-bit by 1: OF = old MSB xor old CF', () => {
    const c = new Cpu();
    c.regs[EAX] = 1;
    c.flags |= Flag.CF;
    c.run(0xd1, 0xd8); // rcr eax, 1
    expect(c.r(EAX)).toBe(0x80000000);
    expect(c.flags & CF_OF).toBe(CF_OF);
  });
});

describe('SHLD SHRD', () => {
  it('a count of 0 is a no-op', () => {
    const c = new Cpu();
    c.regs[EAX] = 0x12345678;
    c.regs[EBX] = 0x9abcdef0 | 0;
    c.flags = 2 | Flag.CF | Flag.ZF;
    c.regs[ECX] = 32;
    c.run(0x0f, 0xa5, 0xd8); // shld eax, ebx, cl
    expect(c.r(EAX)).toBe(0x12345678);
    expect(c.f()).toBe('..Z..C');
    c.run(0x0f, 0xac, 0xd8, 0x00); // shrd eax, ebx, 0
    expect(c.r(EAX)).toBe(0x12345678);
  });
  it('SHLD and SHRD 32-bit by 4', () => {
    const c = new Cpu();
    c.regs[EAX] = 0x12345678;
    c.regs[EBX] = 0x9abcdef0 | 0;
    c.run(0x0f, 0xa4, 0xd8, 0x04); // shld eax, ebx, 4
    expect(c.r(EAX)).toBe(0x23456789);
    expect(c.flags & Flag.CF).toBe(Flag.CF); // bit 28 of 12345678h
    c.regs[EAX] = 0x12345678;
    c.run(0x0f, 0xac, 0xd8, 0x04); // shrd eax, ebx, 4
    expect(c.r(EAX)).toBe(0x01234567);
    expect(c.flags & Flag.CF).toBe(Flag.CF); // bit 3 of 12345678h
  });
  it('SHRD by 1: OF is the sign change', () => {
    const c = new Cpu();
    c.regs[EAX] = 2;
    c.regs[EBX] = 1;
    c.run(0x0f, 0xac, 0xd8, 0x01); // shrd eax, ebx, 1
    expect(c.r(EAX)).toBe(0x80000001);
    expect(c.flags & CF_OF).toBe(Flag.OF);
  });
  it('16-bit SHLD by 16 gives the source; SHRD 16-bit by 4', () => {
    const c = new Cpu();
    c.regs[EAX] = 0x11112222;
    c.regs[EBX] = 0x3333abcd;
    c.run(0x66, 0x0f, 0xa4, 0xd8, 0x10); // shld ax, bx, 16
    expect(c.r(EAX)).toBe(0x1111abcd);
    expect(c.flags & Flag.CF).toBe(0); // bit 0 of 2222h
    c.regs[EAX] = 0x1234;
    c.run(0x66, 0x0f, 0xac, 0xd8, 0x04); // shrd ax, bx, 4
    expect(c.r(EAX)).toBe(0xd123);
  });
  it('SHLD to memory', () => {
    const c = new Cpu();
    c.regs[ESI] = 0x300;
    c.store(DS, 0x300, 4, 0x80000001);
    c.regs[EBX] = 0x80000000 | 0;
    c.run(0x0f, 0xa4, 0x1e, 0x01); // shld [esi], ebx, 1
    expect(u(c.load(DS, 0x300, 4))).toBe(0x00000003);
    expect(c.flags & CF_OF).toBe(CF_OF);
  });
});

describe('BT BTS BTR BTC', () => {
  it('an immediate offset is taken modulo the operand size, even in memory', () => {
    const c = new Cpu();
    c.regs[EAX] = 0;
    c.run(0x0f, 0xba, 0xe8, 0x21); // bts eax, 33
    expect(c.r(EAX)).toBe(2);
    expect(c.flags & Flag.CF).toBe(0);
    c.regs[EBX] = 0x400;
    c.store(DS, 0x400, 2, 0x8000);
    c.run(0x66, 0x0f, 0xba, 0x33, 0x1f); // btr word [ebx], 31 -> bit 15
    expect(c.load(DS, 0x400, 2)).toBe(0);
    expect(c.flags & Flag.CF).toBe(Flag.CF);
  });
  it('a register offset with a register destination is taken modulo the size', () => {
    const c = new Cpu();
    c.regs[EAX] = 0x10;
    c.regs[ECX] = -28; // & 31 = 4
    c.run(0x0f, 0xbb, 0xc8); // btc eax, ecx
    expect(c.r(EAX)).toBe(0);
    expect(c.flags & Flag.CF).toBe(Flag.CF);
  });
  it('a register offset addresses memory outside the operand, negative offsets below it', () => {
    const c = new Cpu();
    c.regs[EBX] = 0x1000;
    c.regs[ECX] = -1; // bit 31 of the dword at 1000h - 4
    c.store(DS, 0xffc, 4, 0x80000000);
    c.run(0x0f, 0xa3, 0x0b); // bt [ebx], ecx
    expect(c.flags & Flag.CF).toBe(Flag.CF);
    c.regs[ECX] = 100; // dword at 1000h + 12, bit 4
    c.run(0x0f, 0xab, 0x0b); // bts [ebx], ecx
    expect(c.load(DS, 0x100c, 4)).toBe(0x10);
    expect(c.flags & Flag.CF).toBe(0);
  });
  it('16-bit: the offset is a signed word and selects words', () => {
    const c = new Cpu();
    c.regs[EBX] = 0x1000;
    c.regs[ECX] = 0x7777ffef; // CX = -17: word at 1000h - 4, bit 15
    c.store(DS, 0xffc, 2, 0x8000);
    c.run(0x66, 0x0f, 0xb3, 0x0b); // btr [ebx], cx
    expect(c.load(DS, 0xffc, 2)).toBe(0);
    expect(c.flags & Flag.CF).toBe(Flag.CF);
  });
  it('BT leaves ZF', () => {
    const c = new Cpu();
    c.flags = 2 | Flag.ZF;
    c.regs[EAX] = 1;
    c.run(0x0f, 0xba, 0xe0, 0x00); // bt eax, 0
    expect(c.flags & (Flag.ZF | Flag.CF)).toBe(Flag.ZF | Flag.CF);
  });
});

describe('BSF BSR BSWAP', () => {
  it('a zero source sets ZF and leaves the destination', () => {
    const c = new Cpu();
    c.regs[EAX] = 0x12345678;
    c.run(0x0f, 0xbc, 0xc3); // bsf eax, ebx
    expect(c.r(EAX)).toBe(0x12345678);
    expect(c.flags & Flag.ZF).toBe(Flag.ZF);
  });
  it('BSF and BSR find the lowest and highest set bit', () => {
    const c = new Cpu();
    c.regs[EBX] = 0x00f0_0100;
    c.run(0x0f, 0xbc, 0xc3); // bsf eax, ebx
    expect(c.r(EAX)).toBe(8);
    expect(c.flags & Flag.ZF).toBe(0);
    c.run(0x0f, 0xbd, 0xc3); // bsr eax, ebx
    expect(c.r(EAX)).toBe(23);
    c.regs[EAX] = 0xaaaa0000 | 0;
    c.run(0x66, 0x0f, 0xbd, 0xc3); // bsr ax, bx: BX = 0100h
    expect(c.r(EAX)).toBe(0xaaaa0008);
  });
  it('BSWAP 32-bit', () => {
    const c = new Cpu();
    c.regs[EDX] = 0x12345678;
    c.run(0x0f, 0xca); // bswap edx
    expect(c.r(EDX)).toBe(0x78563412);
  });
});

describe('SETcc CMOVcc', () => {
  it('SETcc writes 0 or 1 to a byte register or memory', () => {
    const c = new Cpu();
    c.flags = 2 | Flag.ZF;
    c.regs[EAX] = 0x1234;
    c.run(0x0f, 0x94, 0xc4); // sete ah
    expect(c.r(EAX)).toBe(0x0134);
    c.run(0x0f, 0x95, 0xc4); // setne ah
    expect(c.r(EAX)).toBe(0x0034);
    c.regs[EBX] = 0x500;
    c.flags = 2 | Flag.SF;
    c.run(0x0f, 0x9c, 0x03); // setl [ebx]: SF != OF
    expect(c.load(DS, 0x500, 1)).toBe(1);
  });
  it('CMOVcc moves only when the condition holds', () => {
    const c = new Cpu();
    c.regs[EAX] = 1;
    c.regs[EBX] = 2;
    c.flags = 2 | Flag.CF;
    c.run(0x0f, 0x43, 0xc3); // cmovae eax, ebx: CF set, no move
    expect(c.r(EAX)).toBe(1);
    c.run(0x0f, 0x42, 0xc3); // cmovb eax, ebx
    expect(c.r(EAX)).toBe(2);
    c.regs[EAX] = 0x11110000;
    c.run(0x66, 0x0f, 0x42, 0xc3); // cmovb ax, bx
    expect(c.r(EAX)).toBe(0x11110002);
  });
  it('CMOVcc with a false condition still reads (and faults on) its memory source', () => {
    const c = new Cpu();
    c.regs[EBX] = 0x2000;
    c.hole = [0x2000, 0x3000];
    c.regs[EAX] = 7;
    expect(c.fault(0x0f, 0x43, 0x03)).toBe(14); // cmovae eax, [ebx] with CF = 0... condition true
    c.flags = 2 | Flag.CF;
    expect(c.fault(0x0f, 0x43, 0x03)).toBe(14); // condition false: still #PF
    expect(c.r(EAX)).toBe(7);
  });
});
