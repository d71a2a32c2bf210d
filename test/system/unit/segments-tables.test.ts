/**
 * Descriptor-table instructions (SDM vol. 2): SGDT/SIDT, LGDT/LIDT,
 * SLDT/STR, LLDT/LTR, LAR, LSL, VERR/VERW, ARPL. Expected values are
 * worked out from the manual's pseudocode and operand-size rules.
 */
import { describe, expect, it } from 'vitest';
import { Vector } from '../../../runtime/exceptions.js';
import { Seg } from '../../../translator/table/types.js';
import { ACC, asm, descriptor, faultOf, LDT_BASE, machine, SEL } from './segments-harness.js';

const GP = Vector.GP, NP = Vector.NP;
const ZF = 1 << 6;
const ENTRY = 8;
const SELECTOR = SEL.free(0);

function bytes(m: ReturnType<typeof machine>, at: number, n: number): number[] {
  return [...m.mem.u8.subarray(at, at + n)];
}

describe('SGDT/SIDT', () => {
  it('store the 16-bit limit and the 32-bit base (32-bit operand size), at any CPL', () => {
    const m = machine('pm32', 3);
    m.cpu.gdtrBase = 0xc1234560 | 0; m.cpu.gdtrLimit = 0x1ff;
    m.cpu.idtrBase = 0xfedcba98 | 0; m.cpu.idtrLimit = 0x7ff;
    expect(m.run(asm('sgdt [0x3000]\nsidt [0x3010]'))).toBeNull();
    expect(bytes(m, 0x3000, 6)).toEqual([0xff, 0x01, 0x60, 0x45, 0x23, 0xc1]);
    expect(bytes(m, 0x3010, 6)).toEqual([0xff, 0x07, 0x98, 0xba, 0xdc, 0xfe]);
  });

  it('store a 24-bit base and a zero sixth byte with a 16-bit operand size', () => {
    const m = machine('real');
    m.cpu.gdtrBase = 0xc1234560 | 0; m.cpu.gdtrLimit = 0x1ff;
    m.cpu.idtrBase = 0xfedcba98 | 0; m.cpu.idtrLimit = 0x3ff;
    m.mem.u8.fill(0xee, 0x3000, 0x3020);
    expect(m.run(asm('sgdt [0x3000]\nsidt [0x3010]', 16))).toBeNull();
    expect(bytes(m, 0x3000, 7)).toEqual([0xff, 0x01, 0x60, 0x45, 0x23, 0x00, 0xee]);
    expect(bytes(m, 0x3010, 6)).toEqual([0xff, 0x03, 0x98, 0xba, 0xdc, 0x00]);
  });

  it('check all six bytes before writing any', () => {
    const m = machine('pm32');
    m.cpu.setSeg(Seg.DS, { ...m.cpu.segs[Seg.DS]!, limit: 0x3004 });
    m.mem.u8.fill(0xee, 0x3000, 0x3008);
    expect(faultOf(m.fault(asm('sgdt [0x3000]')))).toEqual({ vector: GP, errorCode: 0 });
    expect(bytes(m, 0x3000, 6)).toEqual([0xee, 0xee, 0xee, 0xee, 0xee, 0xee]);
    m.cpu.setSeg(Seg.DS, { ...m.cpu.segs[Seg.DS]!, limit: 0xffffffff, access: 0x91 });
    expect(faultOf(m.fault(asm('sidt [0x3000]')))).toEqual({ vector: GP, errorCode: 0 });
  });

  it('are #UD with a register operand', () => {
    expect(faultOf(machine('pm32').fault(Uint8Array.of(0x0f, 0x01, 0xc0 | (0 << 3))))).toEqual({ vector: Vector.UD, errorCode: 0 });
  });
});

describe('LGDT/LIDT', () => {
  it('load a 32-bit base with a 32-bit operand size', () => {
    const m = machine('pm32');
    m.mem.u8.set([0x17, 0x00, 0x78, 0x56, 0x34, 0x12, 0xff, 0x03, 0x00, 0x10, 0x00, 0xc0], 0x3000);
    expect(m.run(asm('lgdt [0x3000]\nlidt [0x3006]'))).toBeNull();
    expect([m.cpu.gdtrLimit, m.cpu.gdtrBase >>> 0]).toEqual([0x17, 0x12345678]);
    expect([m.cpu.idtrLimit, m.cpu.idtrBase >>> 0]).toEqual([0x3ff, 0xc0001000]);
  });

  it('load 24 bits of base with a 16-bit operand size (real mode and the 66h prefix)', () => {
    const m = machine('real');
    m.mem.u8.set([0x17, 0x00, 0x78, 0x56, 0x34, 0x12, 0xff, 0x03, 0x00, 0x10, 0x00, 0xc0], 0x3000);
    expect(m.run(asm('lgdt [0x3000]\nlidt [0x3006]', 16))).toBeNull();
    expect([m.cpu.gdtrLimit, m.cpu.gdtrBase]).toEqual([0x17, 0x345678]);
    expect([m.cpu.idtrLimit, m.cpu.idtrBase]).toEqual([0x3ff, 0x001000]);
    const p = machine('pm32');
    p.mem.u8.set([0x17, 0x00, 0x78, 0x56, 0x34, 0x12], 0x3000);
    expect(p.run(asm('data16 lgdt [0x3000]'))).toBeNull();
    expect(p.cpu.gdtrBase).toBe(0x345678);
  });

  it('need CPL 0: #GP(0) at CPL 3 and in virtual-8086 mode', () => {
    expect(faultOf(machine('pm32', 3).fault(asm('lgdt [0x3000]')))).toEqual({ vector: GP, errorCode: 0 });
    expect(faultOf(machine('pm32', 3).fault(asm('lidt [0x3000]')))).toEqual({ vector: GP, errorCode: 0 });
    expect(faultOf(machine('v86').fault(asm('lidt [0x3000]', 16)))).toEqual({ vector: GP, errorCode: 0 });
  });
});

describe('SLDT/STR', () => {
  it('a 32-bit register gets the selector zero-extended; a 16-bit register keeps its high half; memory gets a word', () => {
    const m = machine('pm32', 3);
    m.cpu.ldtr = { ...m.cpu.ldtr, selector: 0x58 };
    m.cpu.tr = { ...m.cpu.tr, selector: 0x63 };
    m.cpu.regs[0] = m.cpu.regs[1] = m.cpu.regs[2] = m.cpu.regs[3] = 0x12345678;
    m.mem.u8.fill(0xee, 0x3000, 0x3008);
    expect(m.run(asm('sldt eax\nsldt cx\nstr edx\nstr bx\nsldt [0x3000]\ndata16 str [0x3004]'))).toBeNull();
    expect(m.cpu.regs[0]).toBe(0x58);
    expect(m.cpu.regs[1]).toBe(0x12340058);
    expect(m.cpu.regs[2]).toBe(0x63);
    expect(m.cpu.regs[3]).toBe(0x12340063);
    expect(bytes(m, 0x3000, 8)).toEqual([0x58, 0x00, 0xee, 0xee, 0x63, 0x00, 0xee, 0xee]);
  });
});

describe('LLDT', () => {
  const ldt = (access = ACC.system(0, 2), flags = 0) => descriptor(0x50000, 0x2f, access, flags);

  it('loads LDTR from an LDT descriptor in the GDT; LDT selectors then resolve through it', () => {
    const m = machine('pm32');
    m.setDescriptor(ENTRY, ldt());
    m.mem.u8.set([0xff, 0xff, 0x00, 0x00, 0x07, 0x93, 0xcf, 0x00], 0x50008); // LDT 1: data, base 0x070000
    expect(m.run(asm(`mov ax, ${SELECTOR}\nlldt ax\nmov ax, 0x0c\nmov es, ax`))).toBeNull();
    expect(m.cpu.ldtr).toEqual({ selector: SELECTOR, base: 0x50000, limit: 0x2f, access: 0x82, big: false, unusable: false });
    expect(m.cpu.segs[Seg.ES]).toMatchObject({ selector: 0x0c, base: 0x70000, limit: 0xffffffff });
    // LLDT does not set an accessed bit (system descriptors have none).
    expect((m.descriptorHigh(ENTRY) >>> 8) & 0xff).toBe(0x82);
  });

  it('a null selector makes LDTR unusable: LDT references are then #GP(selector)', () => {
    const m = machine('pm32');
    m.setDescriptor(ENTRY, ldt());
    expect(m.run(asm(`mov ax, ${SELECTOR}\nlldt ax\nmov ax, 3\nlldt ax`))).toBeNull();
    expect(m.cpu.ldtr).toMatchObject({ selector: 3, unusable: true });
    expect(faultOf(m.fault(asm('mov ax, 0x0c\nmov es, ax')))).toEqual({ vector: GP, errorCode: 0x0c });
  });

  const cases: Array<[string, number, { lo: number; hi: number } | null, [number, number]]> = [
    ['a selector with TI = 1', SELECTOR | 4, ldt(), [GP, SELECTOR | 4]],
    ['an index past the GDT limit', SEL.free(0x100), null, [GP, SEL.free(0x100)]],
    ['a data descriptor', SELECTOR, descriptor(0, 0xfff, ACC.data(0)), [GP, SELECTOR]],
    ['a TSS descriptor', SELECTOR | 3, descriptor(0, 0x67, ACC.system(0, 9)), [GP, SELECTOR]],
    ['an LDT not present', SELECTOR | 1, ldt(ACC.system(0, 2) & 0x7f), [NP, SELECTOR]],
  ];
  for (const [name, selector, d, [vector, errorCode]] of cases) {
    it(`${name}: ${vector === GP ? '#GP' : '#NP'}(${errorCode.toString(16)})`, () => {
      const m = machine('pm32');
      if (d) {
        // The same descriptor in the GDT and in a valid LDT, so only the TI check can refuse a TI = 1 selector.
        m.setDescriptor(ENTRY, d);
        m.setDescriptor(ENTRY, d, true);
        m.cpu.ldtr = { selector: 0, base: LDT_BASE, limit: 0xffff, access: 0x82, big: false, unusable: false };
      }
      const before = { ...m.cpu.ldtr };
      expect(faultOf(m.fault(asm(`mov ax, ${selector}\nlldt ax`)))).toEqual({ vector, errorCode });
      expect(m.cpu.ldtr).toEqual(before);
    });
  }

  it('needs CPL 0', () => {
    expect(faultOf(machine('pm32', 3).fault(asm('lldt ax')))).toEqual({ vector: GP, errorCode: 0 });
  });
});

describe('LTR', () => {
  const tss = (type: number, access = ACC.system(0, type)) => descriptor(0x60000, 0x67, access);

  it('loads TR from an available 32-bit TSS and marks it busy in the GDT', () => {
    const m = machine('pm32');
    m.setDescriptor(ENTRY, tss(9));
    expect(m.run(asm(`mov ax, ${SELECTOR}\nltr ax\nstr ebx`))).toBeNull();
    expect(m.cpu.tr).toEqual({ selector: SELECTOR, base: 0x60000, limit: 0x67, access: 0x8b, big: false, unusable: false });
    expect((m.descriptorHigh(ENTRY) >>> 8) & 0xff).toBe(0x8b);
    expect(m.cpu.regs[3]).toBe(SELECTOR);
  });

  it('loads a 16-bit TSS (type 1 becomes 3)', () => {
    const m = machine('pm32');
    m.setDescriptor(ENTRY, tss(1));
    expect(m.run(asm(`mov ax, ${SELECTOR | 3}\nltr ax`))).toBeNull();
    expect(m.cpu.tr).toMatchObject({ selector: SELECTOR | 3, access: 0x83 });
    expect((m.descriptorHigh(ENTRY) >>> 8) & 0xff).toBe(0x83);
  });

  const cases: Array<[string, number, { lo: number; hi: number } | null, [number, number]]> = [
    ['a null selector', 0, null, [GP, 0]],
    ['a null selector with RPL 3', 3, null, [GP, 0]],
    ['a selector with TI = 1', SELECTOR | 4, tss(9), [GP, SELECTOR | 4]],
    ['an index past the GDT limit', SEL.free(0x100), null, [GP, SEL.free(0x100)]],
    ['a busy TSS', SELECTOR, tss(11), [GP, SELECTOR]],
    ['an LDT', SELECTOR, tss(2), [GP, SELECTOR]],
    ['a code segment', SELECTOR, descriptor(0, 0x67, ACC.code(0)), [GP, SELECTOR]],
    ['a TSS not present', SELECTOR | 2, tss(9, ACC.system(0, 9) & 0x7f), [NP, SELECTOR]],
  ];
  for (const [name, selector, d, [vector, errorCode]] of cases) {
    it(`${name}: ${vector === GP ? '#GP' : '#NP'}(${errorCode.toString(16)})`, () => {
      const m = machine('pm32');
      if (d) {
        m.setDescriptor(ENTRY, d);
        m.setDescriptor(ENTRY, d, true);
        m.cpu.ldtr = { selector: 0, base: LDT_BASE, limit: 0xffff, access: 0x82, big: false, unusable: false };
      }
      const before = { ...m.cpu.tr };
      expect(faultOf(m.fault(asm(`mov ax, ${selector}\nltr ax`)))).toEqual({ vector, errorCode });
      expect(m.cpu.tr).toEqual(before);
      if (d) expect(m.descriptorHigh(ENTRY)).toBe(d.hi);
    });
  }

  it('needs CPL 0', () => {
    expect(faultOf(machine('pm32', 3).fault(asm('ltr ax')))).toEqual({ vector: GP, errorCode: 0 });
  });
});

describe('LAR, LSL, VERR, VERW', () => {
  // Descriptor with G, D/B and AVL set and limit bits 19:16 = 0xA, to see which bits LAR reports.
  const make = (access: number) => descriptor(0x123456, 0xa5678, access, 0xd);

  type Row = {
    name: string; cpl: 0 | 3; rpl: number; access: number | null;
    lar: boolean; lsl: boolean; verr: boolean; verw: boolean;
  };
  const rows: Row[] = [
    { name: 'read/write data DPL 3', cpl: 3, rpl: 3, access: ACC.data(3), lar: true, lsl: true, verr: true, verw: true },
    { name: 'read-only data DPL 3', cpl: 3, rpl: 3, access: ACC.data(3, 1), lar: true, lsl: true, verr: true, verw: false },
    { name: 'data not present', cpl: 3, rpl: 3, access: ACC.data(3) & 0x7f, lar: true, lsl: true, verr: true, verw: true },
    { name: 'data DPL 0 at CPL 3', cpl: 3, rpl: 3, access: ACC.data(0), lar: false, lsl: false, verr: false, verw: false },
    { name: 'data DPL 1 with RPL 2 at CPL 0', cpl: 0, rpl: 2, access: ACC.data(1), lar: false, lsl: false, verr: false, verw: false },
    { name: 'readable code DPL 3', cpl: 3, rpl: 3, access: ACC.code(3, 0xa), lar: true, lsl: true, verr: true, verw: false },
    { name: 'execute-only code DPL 3', cpl: 3, rpl: 3, access: ACC.code(3, 0x8), lar: true, lsl: true, verr: false, verw: false },
    { name: 'readable conforming code DPL 0 at CPL 3', cpl: 3, rpl: 3, access: ACC.code(0, 0xe), lar: true, lsl: true, verr: true, verw: false },
    { name: 'execute-only conforming code DPL 0 at CPL 3', cpl: 3, rpl: 3, access: ACC.code(0, 0xc), lar: true, lsl: true, verr: false, verw: false },
    { name: 'readable non-conforming code DPL 0 at CPL 3', cpl: 3, rpl: 3, access: ACC.code(0, 0xa), lar: false, lsl: false, verr: false, verw: false },
    { name: 'available 16-bit TSS', cpl: 0, rpl: 0, access: ACC.system(0, 1), lar: true, lsl: true, verr: false, verw: false },
    { name: 'LDT', cpl: 0, rpl: 0, access: ACC.system(0, 2), lar: true, lsl: true, verr: false, verw: false },
    { name: 'busy 16-bit TSS', cpl: 0, rpl: 0, access: ACC.system(0, 3), lar: true, lsl: true, verr: false, verw: false },
    { name: '16-bit call gate', cpl: 0, rpl: 0, access: ACC.system(0, 4), lar: true, lsl: false, verr: false, verw: false },
    { name: 'task gate', cpl: 0, rpl: 0, access: ACC.system(0, 5), lar: true, lsl: false, verr: false, verw: false },
    { name: '16-bit interrupt gate', cpl: 0, rpl: 0, access: ACC.system(0, 6), lar: false, lsl: false, verr: false, verw: false },
    { name: '16-bit trap gate', cpl: 0, rpl: 0, access: ACC.system(0, 7), lar: false, lsl: false, verr: false, verw: false },
    { name: 'reserved system type 8', cpl: 0, rpl: 0, access: ACC.system(0, 8), lar: false, lsl: false, verr: false, verw: false },
    { name: 'available 32-bit TSS at CPL 3, DPL 3', cpl: 3, rpl: 3, access: ACC.system(3, 9), lar: true, lsl: true, verr: false, verw: false },
    { name: 'available 32-bit TSS DPL 0 at CPL 3', cpl: 3, rpl: 3, access: ACC.system(0, 9), lar: false, lsl: false, verr: false, verw: false },
    { name: 'reserved system type 10', cpl: 0, rpl: 0, access: ACC.system(0, 10), lar: false, lsl: false, verr: false, verw: false },
    { name: 'busy 32-bit TSS', cpl: 0, rpl: 0, access: ACC.system(0, 11), lar: true, lsl: true, verr: false, verw: false },
    { name: '32-bit call gate', cpl: 0, rpl: 0, access: ACC.system(0, 12), lar: true, lsl: false, verr: false, verw: false },
    { name: 'reserved system type 13', cpl: 0, rpl: 0, access: ACC.system(0, 13), lar: false, lsl: false, verr: false, verw: false },
    { name: '32-bit interrupt gate', cpl: 0, rpl: 0, access: ACC.system(0, 14), lar: false, lsl: false, verr: false, verw: false },
    { name: '32-bit trap gate', cpl: 0, rpl: 0, access: ACC.system(0, 15), lar: false, lsl: false, verr: false, verw: false },
    { name: 'past the GDT limit', cpl: 0, rpl: 0, access: null, lar: false, lsl: false, verr: false, verw: false },
  ];

  for (const r of rows) {
    it(r.name, () => {
      const selector = (r.access === null ? SEL.free(0x100) : SELECTOR) | r.rpl;
      const m = machine('pm32', r.cpl);
      if (r.access !== null) m.setDescriptor(ENTRY, make(r.access));
      const d = make(r.access ?? 0);
      const untouched = 0x0badf00d;
      m.cpu.regs[1] = selector;
      m.cpu.regs[0] = m.cpu.regs[2] = m.cpu.regs[3] = m.cpu.regs[5] = untouched;
      // Each instruction's ZF is kept with SETZ, since the next one redefines it.
      const code = asm(`
        lar eax, ecx
        setz byte ptr [0x3000]
        lar dx, cx
        setz byte ptr [0x3001]
        lsl ebx, ecx
        setz byte ptr [0x3002]
        lsl bp, cx
        setz byte ptr [0x3003]
        verr cx
        setz byte ptr [0x3004]
        verw cx
        setz byte ptr [0x3005]`);
      expect(m.run(code)).toBeNull();
      expect(bytes(m, 0x3000, 6)).toEqual([r.lar, r.lar, r.lsl, r.lsl, r.verr, r.verw].map(Number));
      expect(m.cpu.regs[0]! >>> 0).toBe(r.lar ? (d.hi & 0x00f0ff00) >>> 0 : untouched);
      expect(m.cpu.regs[2]! >>> 0).toBe(r.lar ? ((untouched & ~0xffff) | (d.hi & 0xff00)) >>> 0 : untouched);
      const limit = 0xa5678fff;
      expect(m.cpu.regs[3]! >>> 0).toBe(r.lsl ? limit : untouched);
      expect(m.cpu.regs[5]! >>> 0).toBe(r.lsl ? ((untouched & ~0xffff) | (limit & 0xffff)) >>> 0 : untouched);
      // None of them sets an accessed bit.
      if (r.access !== null) expect(m.descriptorHigh(ENTRY)).toBe(d.hi);
    });
  }

  it('a null selector gives ZF = 0 and leaves the destination unchanged', () => {
    const m = machine('pm32');
    m.cpu.regs[1] = 3;
    m.cpu.regs[0] = 0x77;
    expect(m.run(asm('cmp eax, eax\nlar eax, ecx\nsetz byte ptr [0x3000]\ncmp eax, eax\nverr cx\nsetz byte ptr [0x3001]'))).toBeNull();
    expect(bytes(m, 0x3000, 2)).toEqual([0, 0]);
    expect(m.cpu.regs[0]).toBe(0x77);
  });

  it('read the selector from memory, and change no flag but ZF', () => {
    const m = machine('pm32');
    m.mem.u8.set([SEL.data32, 0], 0x3010);
    m.cpu.flags |= 1; // CF
    m.cpu.lazyMask = 0;
    expect(m.run(asm('lsl eax, word ptr [0x3010]'))).toBeNull();
    expect(m.cpu.regs[0]! >>> 0).toBe(0xffffffff);
    expect(m.interp.backend.eflags() & (ZF | 1)).toBe(ZF | 1);
  });

  it('LSL of a byte-granular limit', () => {
    const m = machine('pm32');
    m.setDescriptor(ENTRY, descriptor(0, 0x5abcd, ACC.data(0)));
    expect(m.run(asm(`mov ecx, ${SELECTOR}\nlsl eax, ecx`))).toBeNull();
    expect(m.cpu.regs[0]).toBe(0x5abcd);
  });
});

describe('ARPL', () => {
  it('raises a lower RPL to the source\'s and sets ZF; otherwise clears ZF and writes nothing', () => {
    const m = machine('pm32', 3);
    m.cpu.regs[0] = 0x12340010; // RPL 0
    m.cpu.regs[3] = 0x0000002b; // RPL 3
    m.cpu.regs[1] = 0x0000004a; // RPL 2
    expect(m.run(asm('arpl ax, bx\nsetz byte ptr [0x3000]\narpl bx, cx\nsetz byte ptr [0x3001]'))).toBeNull();
    expect(m.cpu.regs[0]).toBe(0x12340013);
    expect(m.cpu.regs[3]).toBe(0x2b);
    expect(bytes(m, 0x3000, 2)).toEqual([1, 0]);
  });

  it('with a memory destination', () => {
    const m = machine('pm32', 3);
    m.mem.u8.set([0x20, 0x00, 0xee], 0x3010);
    m.cpu.regs[3] = 1;
    expect(m.run(asm('arpl [0x3010], bx'))).toBeNull();
    expect(bytes(m, 0x3010, 3)).toEqual([0x21, 0x00, 0xee]);
  });

  it('a read-only destination segment faults even when nothing would change', () => {
    const m = machine('pm32');
    m.cpu.setSeg(Seg.DS, { ...m.cpu.segs[Seg.DS]!, access: 0x91 });
    m.mem.u8.set([0x23, 0x00], 0x3010);
    expect(faultOf(m.fault(asm('arpl [0x3010], bx')))).toEqual({ vector: GP, errorCode: 0 });
  });
});
