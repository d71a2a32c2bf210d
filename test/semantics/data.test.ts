/**
 * Focused tests of the data-family semantics (translator/semantics/data.ts)
 * on a tiny concrete Backend<number> kept in this file: registers in an
 * array, eager flags, byte memory in a Map, pages that fault on write.
 */
import { describe, expect, it } from 'vitest';
import { EagerBackend } from './eager-backend.js';
import { type Backend, Flag, FlagOp, type ModeInfo } from '../../translator/semantics/backend.js';
import { conditionFromFlags, lazyFlag } from '../../translator/semantics/flags.js';
import { DATA_SEMANTICS } from '../../translator/semantics/data.js';
import { decode } from '../../translator/decoder.js';
import { type Instruction, isFault, type Seg, type Size } from '../../translator/table/types.js';
import { GuestFault } from '../../runtime/exceptions.js';

const u = (x: number): number => x >>> 0;
const MASK: Record<Size, number> = { 1: 0xff, 2: 0xffff, 4: 0xffffffff };

class Cpu extends EagerBackend {}

const EAX = 0, ECX = 1, EDX = 2, EBX = 3, ESP = 4, EBP = 5, ESI = 6, EDI = 7;

describe('stack', () => {
  it('PUSH ESP pushes the value before the decrement', () => {
    const c = new Cpu();
    c.regs[ESP] = 0x8000;
    c.exec([0x54]);
    expect(c.regs[ESP]).toBe(0x7ffc);
    expect(c.load(2, 0x7ffc, 4) >>> 0).toBe(0x8000);
  });
  it('PUSH SP with a 16-bit operand size', () => {
    const c = new Cpu();
    c.regs[ESP] = 0x12348000;
    c.exec([0x66, 0x54]);
    expect(c.regs[ESP]).toBe(0x12347ffe);
    expect(c.load(2, 0x12347ffe, 2) >>> 0).toBe(0x8000);
  });
  it('POP [ESP+4] computes the address after the increment', () => {
    const c = new Cpu();
    c.regs[ESP] = 0x8000;
    c.write32(0x8000, 0xdeadbeef);
    c.exec([0x8f, 0x44, 0x24, 0x04]); // pop dword [esp+4]
    expect(c.regs[ESP]).toBe(0x8004);
    expect(c.load(2, 0x8008, 4) >>> 0).toBe(0xdeadbeef);
  });
  it('POP [ESP] into a read-only page leaves ESP unchanged', () => {
    const c = new Cpu();
    c.regs[ESP] = 0x8ffc;
    c.readOnlyPages.add(0x9);
    expect(() => c.exec([0x8f, 0x04, 0x24])).toThrow(GuestFault);
    expect(c.regs[ESP]).toBe(0x8ffc);
  });
  it('POP ESP loads the popped value', () => {
    const c = new Cpu();
    c.regs[ESP] = 0x8000;
    c.write32(0x8000, 0x1234);
    c.exec([0x5c]);
    expect(c.regs[ESP]).toBe(0x1234);
  });
  it('PUSHA stores the original ESP; a fault part-way keeps the slots written but not ESP', () => {
    const c = new Cpu();
    c.regs.set([1, 2, 3, 4, 0x8000, 6, 7, 8]);
    c.exec([0x60]);
    expect(c.regs[ESP]).toBe(0x8000 - 32);
    expect([...Array(8)].map((_, n) => c.load(2, 0x8000 - 4 * (n + 1), 4))).toEqual([1, 2, 3, 4, 0x8000, 6, 7, 8]);
    const d = new Cpu();
    d.regs[ESP] = 0x8010;
    d.readOnlyPages.add(0x7);
    expect(() => d.exec([0x60])).toThrow(expect.objectContaining({ cr2: 0x7ffc }));
    expect(d.mem.size).toBe(16);
    expect(d.regs[ESP]).toBe(0x8010);
  });
  it('POPA skips ESP', () => {
    const c = new Cpu();
    c.regs[ESP] = 0x8000;
    for (let n = 0; n < 8; n++) c.write32(0x8000 + 4 * n, 0x100 + n);
    c.exec([0x61]);
    expect([...c.regs]).toEqual([0x107, 0x106, 0x105, 0x104, 0x8020, 0x102, 0x101, 0x100]);
  });
  it('ENTER checks the final stack pointer for a write after its pushes', () => {
    const c = new Cpu();
    c.regs[ESP] = 0x9000;
    c.regs[EBP] = 0x5555;
    c.readOnlyPages.add(0x6);
    expect(() => c.exec([0xc8, 0xfe, 0x1f, 0x00])).toThrow(expect.objectContaining({ cr2: 0x6ffe }));
    expect([c.regs[ESP], c.regs[EBP], c.load(2, 0x8ffc, 4)]).toEqual([0x9000, 0x5555, 0x5555]);
  });
  it('ENTER with level 0, 1 and 3', () => {
    const c = new Cpu();
    c.regs[ESP] = 0x8000;
    c.regs[EBP] = 0x9000;
    c.exec([0xc8, 0x10, 0x00, 0x00]);
    expect(c.regs[EBP]).toBe(0x7ffc);
    expect(c.regs[ESP]).toBe(0x7ffc - 0x10);
    expect(c.load(2, 0x7ffc, 4) >>> 0).toBe(0x9000);

    const d = new Cpu();
    d.regs[ESP] = 0x8000;
    d.regs[EBP] = 0x9000;
    d.exec([0xc8, 0x08, 0x00, 0x01]);
    expect(d.regs[EBP]).toBe(0x7ffc);
    expect(d.load(2, 0x7ff8, 4) >>> 0).toBe(0x7ffc);
    expect(d.regs[ESP]).toBe(0x7ff8 - 8);

    const e = new Cpu();
    e.regs[ESP] = 0x8000;
    e.regs[EBP] = 0x9000;
    e.write32(0x9000 - 4, 0xaaaa);
    e.write32(0x9000 - 8, 0xbbbb);
    e.exec([0xc8, 0x04, 0x00, 0x23]); // level 35 mod 32 = 3
    expect([0x7ffc, 0x7ff8, 0x7ff4, 0x7ff0].map((a) => e.load(2, a, 4))).toEqual([0x9000, 0xaaaa, 0xbbbb, 0x7ffc]);
    expect(e.regs[EBP]).toBe(0x7ffc);
    expect(e.regs[ESP]).toBe(0x7ff0 - 4);
  });
  it('LEAVE', () => {
    const c = new Cpu();
    c.regs[ESP] = 0x100;
    c.regs[EBP] = 0x8000;
    c.write32(0x8000, 0x4444);
    c.exec([0xc9]);
    expect(c.regs[ESP]).toBe(0x8004);
    expect(c.regs[EBP]).toBe(0x4444);
  });
  it('PUSHF clears VM and RF; POPF at CPL 3 keeps IOPL and IF when IOPL < 3', () => {
    const c = new Cpu();
    c.regs[ESP] = 0x8000;
    c.flags = 0x30202 | Flag.CF;
    c.exec([0x9c]);
    expect(c.load(2, 0x7ffc, 4) >>> 0).toBe(0x203);
    c.write32(0x7ffc, 0x3fffff & ~Flag.IF);
    c.exec([0x9d]);
    expect(c.flags & (Flag.IF | Flag.IOPL | Flag.CF | Flag.RF | Flag.VM)).toBe(Flag.IF | Flag.CF | Flag.VM);
  });
  it('POPF at CPL 0 changes IOPL and IF; 16-bit POPF changes only the low half', () => {
    const c = new Cpu();
    c.mode = { ...c.mode, cpl: 0 };
    c.regs[ESP] = 0x8000;
    c.write32(0x8000, 0x3000 | Flag.AC);
    c.exec([0x9d]);
    expect(c.flags).toBe(0x3002 | Flag.AC);
    c.write32(0x8004, 0x0200, 2);
    c.exec([0x66, 0x9d]);
    expect(c.flags).toBe(0x0202 | Flag.AC);
  });
  it('PUSH sreg with a 32-bit operand size pushes the zero-extended selector', () => {
    const c = new Cpu();
    c.regs[ESP] = 0x8000;
    c.write32(0x7ffc, 0xffffffff);
    c.exec([0x1e]);
    expect(c.regs[ESP]).toBe(0x7ffc);
    expect(c.load(2, 0x7ffc, 4) >>> 0).toBe(0x2b);
  });
});

describe('exchange', () => {
  it('XADD EAX, EAX ends with the sum', () => {
    const c = new Cpu();
    c.regs[EAX] = 5;
    c.exec([0x0f, 0xc1, 0xc0]);
    expect(c.regs[EAX]).toBe(10);
  });
  it('XADD [mem], reg', () => {
    const c = new Cpu();
    c.regs[ECX] = 0xffffffff;
    c.regs[EBX] = 0x3000;
    c.write32(0x3000, 1);
    c.exec([0x0f, 0xc1, 0x0b]);
    expect(c.load(3, 0x3000, 4) >>> 0).toBe(0);
    expect(c.regs[ECX]).toBe(1);
    expect(c.flag(Flag.CF)).toBe(1);
    expect(c.flag(Flag.ZF)).toBe(1);
  });
  it('CMPXCHG failure loads the accumulator and writes the destination back', () => {
    const c = new Cpu();
    c.regs[EAX] = 1;
    c.regs[ECX] = 9;
    c.regs[EBX] = 0x3000;
    c.write32(0x3000, 7);
    c.exec([0x0f, 0xb1, 0x0b]);
    expect(c.regs[EAX]).toBe(7);
    expect(c.load(3, 0x3000, 4) >>> 0).toBe(7);
    expect(c.flag(Flag.ZF)).toBe(0);
    expect(c.flag(Flag.CF)).toBe(1);
    c.readOnlyPages.add(3);
    c.regs[EAX] = 1;
    expect(() => c.exec([0x0f, 0xb1, 0x0b])).toThrow(GuestFault);
    expect(c.regs[EAX]).toBe(1);
  });
  it('CMPXCHG success and CMPXCHG EAX, ECX', () => {
    const c = new Cpu();
    c.regs[EAX] = 7;
    c.regs[ECX] = 9;
    c.regs[EBX] = 0x3000;
    c.write32(0x3000, 7);
    c.exec([0x0f, 0xb1, 0x0b]);
    expect(c.load(3, 0x3000, 4) >>> 0).toBe(9);
    expect(c.regs[EAX]).toBe(7);
    expect(c.flag(Flag.ZF)).toBe(1);
    c.exec([0x0f, 0xb1, 0xc8]); // cmpxchg eax, ecx
    expect(c.regs[EAX]).toBe(9);
  });
  it('CMPXCHG8B both ways', () => {
    const c = new Cpu();
    c.regs.set([1, 3, 2, 4, 0, 0, 0x3000, 0]);
    c.write32(0x3000, 1);
    c.write32(0x3004, 2);
    c.exec([0x0f, 0xc7, 0x0e]);
    expect([c.load(3, 0x3000, 4), c.load(3, 0x3004, 4), c.flag(Flag.ZF)]).toEqual([4, 3, 1]);
    c.exec([0x0f, 0xc7, 0x0e]);
    expect([c.regs[EAX], c.regs[EDX], c.flag(Flag.ZF)]).toEqual([4, 3, 0]);
  });
  it('XCHG', () => {
    const c = new Cpu();
    c.regs[EAX] = 0x1122;
    c.regs[EBX] = 0x3344;
    c.exec([0x93]);
    expect([c.regs[EAX], c.regs[EBX]]).toEqual([0x3344, 0x1122]);
    c.exec([0x86, 0xc4]); // xchg ah, al
    expect(c.regs[EAX]).toBe(0x4433);
  });
});

describe('moves', () => {
  it('LEA with 16-bit addressing and operand sizes', () => {
    const c = new Cpu();
    c.regs[EBX] = 0xffff;
    c.regs[ESI] = 2;
    c.regs[EAX] = 0xaaaaaaaa;
    c.exec([0x67, 0x8d, 0x00]); // lea eax, [bx+si]
    expect(c.regs[EAX]).toBe(1);
    c.regs[EBX] = 0x12345678;
    c.exec([0x66, 0x8d, 0x43, 0x10]); // lea ax, [ebx+0x10]
    expect(c.regs[EAX]).toBe(0x5688);
  });
  it('MOVSX, MOVZX, XLAT, MOV r32/m16 from Sreg', () => {
    const c = new Cpu();
    c.regs[ECX] = 0x80;
    c.exec([0x0f, 0xbe, 0xc1]);
    expect(c.regs[EAX]).toBe(0xffffff80);
    c.exec([0x66, 0x0f, 0xb6, 0xc1]);
    expect(c.regs[EAX]).toBe(0xffff0080);
    c.regs[EBX] = 0x3000;
    c.regs[EAX] = 0x1234;
    c.mem.set(0x3034, 0x99);
    c.exec([0xd7]);
    expect(c.regs[EAX]).toBe(0x1299);
    c.exec([0x8c, 0xd8]); // mov eax, ds
    expect(c.regs[EAX]).toBe(0x2b);
    c.write32(0x3000, 0xffffffff);
    c.exec([0x8c, 0x1b]); // mov [ebx], ds
    expect(c.load(3, 0x3000, 4) >>> 0).toBe(0xffff002b);
  });
  it('hint NOPs do not touch memory', () => {
    const c = new Cpu();
    c.readOnlyPages.add(0);
    c.exec([0x0f, 0x1f, 0x05, 0x00, 0x00, 0x00, 0x00]);
    c.exec([0x0f, 0x18, 0x00]);
    expect(c.mem.size).toBe(0);
  });
});

describe('strings', () => {
  it('REPNE SCASB stops on a match, one iteration per execution', () => {
    const c = new Cpu();
    c.regs[EDI] = 0x3000;
    c.regs[ECX] = 10;
    c.regs[EAX] = 0x41;
    [0x10, 0x20, 0x41, 0x41].forEach((v, n) => c.mem.set(0x3000 + n, v));
    let runs = 0;
    do { c.exec([0xf2, 0xae]); runs++; } while (c.eip === 0x1000);
    expect(runs).toBe(3);
    expect(c.regs[EDI]).toBe(0x3003);
    expect(c.regs[ECX]).toBe(7);
    expect(c.flag(Flag.ZF)).toBe(1);
  });
  it('REPE CMPSD stops on a difference; REP with a zero count does nothing', () => {
    const c = new Cpu();
    c.regs[ESI] = 0x3000;
    c.regs[EDI] = 0x4000;
    c.regs[ECX] = 3;
    c.write32(0x3004, 5);
    let runs = 0;
    do { c.exec([0xf3, 0xa7]); runs++; } while (c.eip === 0x1000);
    expect([runs, c.regs[ECX], c.regs[ESI], c.flag(Flag.ZF), c.flag(Flag.CF)]).toEqual([2, 1, 0x3008, 0, 0]);
    c.regs[ECX] = 0;
    c.exec([0xf3, 0xa7]);
    expect([c.regs[ESI], c.eip]).toEqual([0x3008, undefined]);
  });
  it('REP MOVSW backwards with 16-bit addressing', () => {
    const c = new Cpu();
    c.flags |= Flag.DF;
    c.regs[ESI] = 0xabcd0002;
    c.regs[EDI] = 0x00010004;
    c.regs[ECX] = 0xffff0002;
    c.write32(0x0, 0x11112222);
    c.write32(0x4, 0x33334444);
    do c.exec([0x67, 0xf3, 0x66, 0xa5]); while (c.eip === 0x1000);
    expect([c.regs[ESI], c.regs[EDI], c.regs[ECX]]).toEqual([0xabcdfffe, 0x00010000, 0xffff0000]);
    expect(c.load(0, 0x0, 4) >>> 0).toBe(0x22222222);
    expect(c.load(0, 0x4, 4) >>> 0).toBe(0x33331111);
  });
  it('CMPS faults on ES:EDI first, except REPE CMPSB', () => {
    const c = new Cpu();
    c.regs[ESI] = 0x6000;
    c.regs[EDI] = 0x7000;
    c.regs[ECX] = 1;
    c.readOnlyPages.add(6).add(7);
    const cpu = c as unknown as { load: Cpu['load'] };
    const original = c.load.bind(c);
    cpu.load = (s, offset, size) => {
      if ((offset >>> 12) === 6 || (offset >>> 12) === 7) throw new GuestFault(14, 4, offset);
      return original(s, offset, size);
    };
    expect(() => c.exec([0xa6])).toThrow(expect.objectContaining({ cr2: 0x7000 }));
    expect(() => c.exec([0xf2, 0xa6])).toThrow(expect.objectContaining({ cr2: 0x7000 }));
    expect(() => c.exec([0xf3, 0xa7])).toThrow(expect.objectContaining({ cr2: 0x7000 }));
    expect(() => c.exec([0xf3, 0xa6])).toThrow(expect.objectContaining({ cr2: 0x6000 }));
  });
  it('STOSB and LODSD', () => {
    const c = new Cpu();
    c.regs[EAX] = 0x77;
    c.regs[EDI] = 0x3000;
    c.exec([0xaa]);
    expect([c.mem.get(0x3000), c.regs[EDI]]).toEqual([0x77, 0x3001]);
    c.regs[ESI] = 0x3000;
    c.exec([0xad]);
    expect([c.regs[EAX], c.regs[ESI]]).toEqual([0x77, 0x3004]);
  });
});
