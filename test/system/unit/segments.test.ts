/**
 * Segment-register loads and segment checks (SDM vol. 2, MOV/POP/LDS…;
 * vol. 3, 3.4, 5.3-5.6): real mode, unreal mode, protected mode with every
 * check and error code, virtual-8086 mode. Expected values are worked out
 * from the manual's pseudocode.
 */
import { describe, expect, it } from 'vitest';
import { CR0_PE, CR0_PG, CR0_WP } from '../../../runtime/cpu.js';
import { Vector } from '../../../runtime/exceptions.js';
import { Seg } from '../../../translator/table/types.js';
import { ACC, asm, CODE_AT, descriptor, faultOf, GDT_BASE, LDT_BASE, machine, SEL } from './segments-harness.js';

const GP = Vector.GP, NP = Vector.NP, SS = Vector.SS, UD = Vector.UD;
const ENTRY = 8; // first free GDT entry: selector 0x40
const SELECTOR = SEL.free(0);

describe('real-address mode loads', () => {
  it('MOV Sreg loads selector and base (selector × 16) and keeps the cached limit and attributes', () => {
    const m = machine('real');
    m.cpu.setSeg(Seg.DS, { ...m.cpu.segs[Seg.DS]!, limit: 0x1ffff, access: 0x91, big: true });
    m.write32(0x12350, 0x11223344);
    expect(m.run(asm('mov ax, 0x1234\nmov ds, ax\nmov ebx, [0x10]', 16))).toBeNull();
    expect(m.cpu.segs[Seg.DS]).toEqual({ selector: 0x1234, base: 0x12340, limit: 0x1ffff, access: 0x91, big: true, unusable: false });
    expect(m.cpu.regs[3]).toBe(0x11223344);
  });

  it('makes a register that was unusable in protected mode usable again', () => {
    const m = machine('real');
    m.cpu.setSeg(Seg.ES, { ...m.cpu.segs[Seg.ES]!, selector: 0, unusable: true });
    expect(m.run(asm('mov ax, 0x100\nmov es, ax\nmov eax, es:[0]', 16))).toBeNull();
    expect(m.cpu.segs[Seg.ES]!.unusable).toBe(false);
  });

  it('unreal mode: a 4 GiB limit loaded in protected mode survives the return to real mode and a real-mode reload', () => {
    const m = machine('real');
    m.cpu.gdtrBase = 0; m.cpu.gdtrLimit = 0xffff; // as at reset: LGDT below sets them
    // Pseudo-descriptor for LGDT at 0x3000.
    m.write32(0x3000, ((GDT_BASE & 0xffff) << 16) | 0x7ff);
    m.write32(0x3004, GDT_BASE >>> 16);
    m.write32(0x212340, 0x5a5a1234);
    const code = asm(`
      lgdt [0x3000]
      mov eax, cr0
      or al, 1
      mov cr0, eax
      mov ax, ${SEL.data32}
      mov ds, ax
      mov eax, cr0
      and al, 0xfe
      mov cr0, eax
      mov ax, 0x1234
      mov ds, ax
      mov ebx, 0x200000
      mov eax, [ebx]`, 16);
    expect(m.run(code)).toBeNull();
    expect(m.cpu.gdtrBase).toBe(GDT_BASE);
    expect(m.cpu.mode.protectedMode).toBe(false);
    expect(m.cpu.segs[Seg.DS]).toMatchObject({ selector: 0x1234, base: 0x12340, limit: 0xffffffff, big: true });
    expect(m.cpu.regs[0]).toBe(0x5a5a1234);
    // CS was never reloaded: it kept its real-mode cache throughout.
    expect(m.cpu.segs[Seg.CS]).toMatchObject({ selector: 0, base: 0, limit: 0xffff, big: false });
    // ES was not loaded in protected mode: its 64 KiB limit still applies.
    expect(faultOf(m.fault(asm('mov eax, es:[ebx]', 16)))).toEqual({ vector: GP, errorCode: 0 });
  });

  it('checks the 64 KiB limit: #GP(0) through DS, #SS(0) through SS', () => {
    const m = machine('real');
    expect(faultOf(m.fault(asm('mov ax, [0xffff]', 16)))).toEqual({ vector: GP, errorCode: 0 });
    expect(m.cpu.eip).toBe(CODE_AT);
    expect(faultOf(machine('real').fault(asm('mov bp, 0xffff\nmov ax, [bp]', 16)))).toEqual({ vector: SS, errorCode: 0 });
  });

  it('LDS/LES/LFS/LGS/LSS load offset and selector', () => {
    const m = machine('real');
    m.write32(0x3000, 0x12345678);
    m.write32(0x3004, 0x2000);
    m.cpu.regs[0] = 0xaaaa0000 | 0;
    expect(m.run(asm('les bx, [0x3002]\nlfs ecx, [0x3000]\nlgs dx, [0x3000]\nlss sp, [0x3000]\nlds ax, [0x3000]', 16))).toBeNull();
    expect(m.cpu.regs[0]! >>> 0).toBe(0xaaaa5678);
    expect(m.cpu.segs[Seg.DS]).toMatchObject({ selector: 0x1234, base: 0x12340 });
    expect(m.cpu.regs[3]! & 0xffff).toBe(0x1234);
    expect(m.cpu.segs[Seg.ES]).toMatchObject({ selector: 0x2000, base: 0x20000 });
    expect(m.cpu.regs[1]! >>> 0).toBe(0x12345678);
    expect(m.cpu.segs[Seg.FS]).toMatchObject({ selector: 0x2000, base: 0x20000 });
    expect(m.cpu.segs[Seg.GS]).toMatchObject({ selector: 0x1234 });
    expect(m.cpu.segs[Seg.SS]).toMatchObject({ selector: 0x1234, base: 0x12340 });
    expect(m.cpu.regs[4]! & 0xffff).toBe(0x5678);
  });

  it('POP Sreg with a 32-bit operand size pops four bytes', () => {
    const m = machine('real');
    expect(m.run(asm('pushd 0x45670123\npopd ds\npush 0x89\npop es', 16))).toBeNull();
    expect(m.cpu.segs[Seg.DS]!.selector).toBe(0x0123);
    expect(m.cpu.segs[Seg.ES]!.selector).toBe(0x89);
    expect(m.cpu.regs[4]).toBe(0x9000);
  });

  it('MOV SS and POP SS block interrupts for one instruction; LSS and other loads do not', () => {
    const cases: Array<[string, number]> = [
      ['mov ax, 0x10\nmov ss, ax', 2],
      ['push 0x10\npop ss', 2],
      ['lss sp, [0x3000]', 0],
      ['mov ax, 0x10\nmov ds, ax', 0],
      ['push 0x10\npop es', 0],
    ];
    for (const [source, shadow] of cases) {
      const m = machine('real');
      expect(m.run(asm(source, 16))).toBeNull();
      expect(m.cpu.interruptShadow, source).toBe(shadow);
    }
  });

  it('LLDT, LTR, SLDT, STR, LAR, LSL, VERR, VERW and ARPL are #UD', () => {
    for (const source of ['sldt ax', 'str ax', 'lldt ax', 'ltr ax', 'lar ax, bx', 'lsl ax, bx', 'verr ax', 'verw ax', 'arpl ax, bx']) {
      expect(faultOf(machine('real').fault(asm(source, 16))), source).toEqual({ vector: UD, errorCode: 0 });
    }
  });
});

describe('protected-mode data-segment loads (DS, ES, FS, GS)', () => {
  type Case = { name: string; cpl: 0 | 3; access: number; rpl: number; flags?: number; want: number | [number, number] };
  // want: the loaded access byte (accessed bit set), or [vector, error code].
  const cases: Case[] = [
    { name: 'data DPL 0 at CPL 0', cpl: 0, access: ACC.data(0, 2), rpl: 0, want: 0x93 },
    { name: 'data DPL 3 at CPL 0, RPL 3', cpl: 0, access: ACC.data(3), rpl: 3, want: 0xf3 },
    { name: 'read-only data', cpl: 0, access: ACC.data(0, 0), rpl: 0, want: 0x91 },
    { name: 'expand-down data', cpl: 3, access: ACC.data(3, 7), rpl: 3, want: 0xf7 },
    { name: 'data DPL 0 at CPL 3', cpl: 3, access: ACC.data(0), rpl: 3, want: [GP, SELECTOR] },
    { name: 'data DPL 2 with RPL 3 at CPL 0', cpl: 0, access: ACC.data(2), rpl: 3, want: [GP, SELECTOR] },
    { name: 'data DPL 0 with RPL 1', cpl: 0, access: ACC.data(0), rpl: 1, want: [GP, SELECTOR] },
    { name: 'data DPL 2 with RPL 0 at CPL 3', cpl: 3, access: ACC.data(2), rpl: 0, want: [GP, SELECTOR] },
    { name: 'readable code DPL 2 with RPL 0 at CPL 3', cpl: 3, access: ACC.code(2, 0xa), rpl: 0, want: [GP, SELECTOR] },
    { name: 'readable code DPL 0 at CPL 0', cpl: 0, access: ACC.code(0, 0xa), rpl: 0, want: 0x9b },
    { name: 'readable code DPL 0 at CPL 3', cpl: 3, access: ACC.code(0, 0xa), rpl: 3, want: [GP, SELECTOR] },
    { name: 'readable conforming code DPL 0 at CPL 3', cpl: 3, access: ACC.code(0, 0xe), rpl: 3, want: 0x9f },
    { name: 'execute-only code', cpl: 0, access: ACC.code(0, 0x8), rpl: 0, want: [GP, SELECTOR] },
    { name: 'execute-only conforming code', cpl: 0, access: ACC.code(0, 0xc), rpl: 0, want: [GP, SELECTOR] },
    { name: 'LDT descriptor', cpl: 0, access: ACC.system(0, 2), rpl: 0, want: [GP, SELECTOR] },
    { name: '32-bit TSS', cpl: 0, access: ACC.system(0, 9), rpl: 0, want: [GP, SELECTOR] },
    { name: 'call gate', cpl: 0, access: ACC.system(3, 12), rpl: 0, want: [GP, SELECTOR] },
    { name: 'not present data', cpl: 3, access: ACC.data(3) & 0x7f, rpl: 3, want: [NP, SELECTOR] },
    { name: 'not present data, RPL 3 in the error code cleared', cpl: 0, access: ACC.data(3) & 0x7f, rpl: 3, want: [NP, SELECTOR] },
    { name: 'not present and DPL too low: #GP first', cpl: 3, access: ACC.data(0) & 0x7f, rpl: 3, want: [GP, SELECTOR] },
    { name: 'not present system descriptor: #GP first', cpl: 0, access: ACC.system(0, 2) & 0x7f, rpl: 0, want: [GP, SELECTOR] },
  ];
  for (const seg of [Seg.DS, Seg.ES, Seg.FS, Seg.GS]) {
    const name = ['es', 'cs', 'ss', 'ds', 'fs', 'gs'][seg]!;
    for (const c of cases) {
      it(`${name}: ${c.name}`, () => {
        const m = machine('pm32', c.cpl);
        m.setDescriptor(ENTRY, descriptor(0x123000, 0xabcde, c.access, c.flags ?? 0xc));
        const before = { ...m.cpu.segs[seg]! };
        const code = asm(`mov ax, ${SELECTOR | c.rpl}\nmov ${name}, ax`);
        if (typeof c.want === 'number') {
          expect(m.run(code)).toBeNull();
          expect(m.cpu.segs[seg]).toEqual({ selector: SELECTOR | c.rpl, base: 0x123000, limit: 0xabcdefff, access: c.want, big: true, unusable: false });
          expect((m.descriptorHigh(ENTRY) >>> 8) & 0xff).toBe(c.want);
        } else {
          expect(faultOf(m.fault(code))).toEqual({ vector: c.want[0], errorCode: c.want[1] });
          expect(m.cpu.segs[seg]).toEqual(before);
          expect(m.cpu.eip).toBe(CODE_AT + 4);
          expect((m.descriptorHigh(ENTRY) >>> 8) & 0xff).toBe(c.access);
        }
      });
    }
  }

  it('a null selector (any RPL) makes the register unusable; a later access is #GP(0)', () => {
    const m = machine('pm32', 3);
    expect(m.run(asm('mov ax, 3\nmov ds, ax\nxor ax, ax\nmov fs, ax\nmov bx, ds'))).toBeNull();
    expect(m.cpu.segs[Seg.DS]).toMatchObject({ selector: 3, unusable: true });
    expect(m.cpu.segs[Seg.FS]).toMatchObject({ selector: 0, unusable: true });
    expect(m.cpu.regs[3]! & 0xffff).toBe(3);
    expect(faultOf(m.fault(asm('mov eax, [0x3000]')))).toEqual({ vector: GP, errorCode: 0 });
    expect(faultOf(m.fault(asm('mov fs:[0x3000], eax')))).toEqual({ vector: GP, errorCode: 0 });
    // Reloading a usable selector makes it usable again.
    expect(m.run(asm(`mov ax, ${SEL.data32User}\nmov ds, ax\nmov eax, [0x3000]`))).toBeNull();
    expect(m.cpu.segs[Seg.DS]!.unusable).toBe(false);
  });

  it('an index past the GDT limit is #GP(selector without RPL)', () => {
    const m = machine('pm32', 3);
    m.setDescriptor(ENTRY, descriptor(0, 0xfffff, ACC.data(3), 0xc));
    m.cpu.gdtrLimit = SELECTOR + 6; // the descriptor's last byte is just outside
    expect(faultOf(m.fault(asm(`mov ax, ${SELECTOR | 3}\nmov ds, ax`)))).toEqual({ vector: GP, errorCode: SELECTOR });
    m.cpu.gdtrLimit = SELECTOR + 7;
    expect(m.run(asm(`mov ax, ${SELECTOR | 3}\nmov ds, ax`))).toBeNull();
  });

  it('LDT selectors: #GP(selector with TI) while LDTR is unusable or the index is past its limit; loads once it is valid', () => {
    const m = machine('pm32');
    m.cpu.ldtr = { selector: 0, base: 0, limit: 0, access: 0x82, big: false, unusable: true };
    const ldtData = 0x08 | 4; // LDT index 1
    expect(faultOf(m.fault(asm(`mov ax, ${ldtData}\nmov es, ax`)))).toEqual({ vector: GP, errorCode: ldtData });
    // A selector with TI = 1 and index 0 is not null.
    expect(faultOf(m.fault(asm('mov ax, 4\nmov es, ax')))).toEqual({ vector: GP, errorCode: 4 });
    m.setDescriptor(1, descriptor(0x5000, 0xfff, ACC.data(0, 2)), true);
    m.cpu.ldtr = { selector: 0x50, base: LDT_BASE, limit: 0xf, access: 0x82, big: false, unusable: false };
    expect(m.run(asm(`mov ax, ${ldtData}\nmov es, ax`))).toBeNull();
    expect(m.cpu.segs[Seg.ES]).toEqual({ selector: ldtData, base: 0x5000, limit: 0xfff, access: 0x93, big: false, unusable: false });
    expect((m.descriptorHigh(1, true) >>> 8) & 0xff).toBe(0x93);
    m.cpu.ldtr = { ...m.cpu.ldtr, limit: 0xe };
    expect(faultOf(m.fault(asm(`mov ax, ${ldtData}\nmov es, ax`)))).toEqual({ vector: GP, errorCode: ldtData });
    // Not present in the LDT: #NP with TI in the error code.
    m.setDescriptor(2, descriptor(0, 0xfff, ACC.data(3) & 0x7f), true);
    m.cpu.ldtr = { ...m.cpu.ldtr, limit: 0x17 };
    expect(faultOf(m.fault(asm('mov ax, 0x16\nmov es, ax')))).toEqual({ vector: NP, errorCode: 0x14 });
  });

  it('sets the accessed bit only when it is clear: a descriptor in a read-only page faults only if not yet accessed', () => {
    const m = machine('pm32');
    // Identity paging of the first 4 MiB with the GDT's page read-only, and CR0.WP set.
    const pd = 0x30000, pt = 0x31000;
    m.write32(pd, pt | 3);
    for (let p = 0; p < 1024; p++) m.write32(pt + p * 4, (p << 12) | (p === GDT_BASE >>> 12 ? 1 : 3));
    m.cpu.cr3 = pd;
    m.cpu.cr0 |= CR0_PG | CR0_WP;
    m.setDescriptor(ENTRY, descriptor(0, 0xfffff, ACC.data(0, 3), 0xc));
    m.setDescriptor(ENTRY + 1, descriptor(0, 0xfffff, ACC.data(0, 2), 0xc));
    expect(m.run(asm(`mov ax, ${SELECTOR}\nmov ds, ax`))).toBeNull();
    const f = m.fault(asm(`mov ax, ${SELECTOR + 8}\nmov gs, ax`));
    expect(f.vector).toBe(Vector.PF);
    expect(f.errorCode).toBe(3); // present, write, supervisor (an implicit access)
    expect(m.cpu.cr2).toBe(GDT_BASE + (ENTRY + 1) * 8 + 4);
    expect(m.cpu.segs[Seg.GS]!.selector).toBe(SEL.data32);
  });

  it('a faulting LDS/LES/LFS/LGS leaves the general register and the segment register unchanged', () => {
    const m = machine('pm32');
    m.setDescriptor(ENTRY, descriptor(0, 0xfffff, ACC.data(0) & 0x7f, 0xc));
    m.write32(0x3000, 0x12345678);
    m.write32(0x3004, SELECTOR);
    for (const [op, seg] of [['lds', Seg.DS], ['les', Seg.ES], ['lfs', Seg.FS], ['lgs', Seg.GS]] as const) {
      m.cpu.regs[0] = 0x0badf00d;
      expect(faultOf(m.fault(asm(`${op} eax, [0x3000]`))), op).toEqual({ vector: NP, errorCode: SELECTOR });
      expect(m.cpu.regs[0]).toBe(0x0badf00d);
      expect(m.cpu.segs[seg]!.selector).toBe(SEL.data32);
    }
    m.setDescriptor(ENTRY, descriptor(0x4000, 0xfffff, ACC.data(0), 0xc));
    expect(m.run(asm('lfs bx, [0x3002]\nlds eax, [0x3000]'))).toBeNull();
    expect(m.cpu.regs[0]).toBe(0x12345678);
    expect(m.cpu.segs[Seg.DS]).toMatchObject({ selector: SELECTOR, base: 0x4000 });
    // 16-bit operand size: offset word at 0x3002 (0x1234), selector word at 0x3004.
    expect(m.cpu.regs[3]! & 0xffff).toBe(0x1234);
    expect(m.cpu.segs[Seg.FS]).toMatchObject({ selector: SELECTOR, base: 0x4000 });
  });

  it('a faulting POP Sreg leaves ESP unchanged', () => {
    const m = machine('pm32');
    expect(faultOf(m.fault(asm('push 0x7b\npop es')))).toEqual({ vector: GP, errorCode: 0x78 });
    expect(m.cpu.regs[4]).toBe(0x9000 - 4);
  });

  it('MOV to CS and segment register 6 or 7 are #UD', () => {
    expect(faultOf(machine('pm32').fault(Uint8Array.of(0x8e, 0xc8)))).toEqual({ vector: UD, errorCode: 0 });
    expect(faultOf(machine('real').fault(Uint8Array.of(0x8e, 0xf0)))).toEqual({ vector: UD, errorCode: 0 });
  });
});

describe('protected-mode SS loads', () => {
  type Case = { name: string; cpl: 0 | 3; access: number; rpl: number; want: number | [number, number] };
  const cases: Case[] = [
    { name: 'writable data, DPL = RPL = CPL = 0', cpl: 0, access: ACC.data(0, 2), rpl: 0, want: 0x93 },
    { name: 'writable data, DPL = RPL = CPL = 3', cpl: 3, access: ACC.data(3), rpl: 3, want: 0xf3 },
    { name: 'expand-down writable data', cpl: 0, access: ACC.data(0, 7), rpl: 0, want: 0x97 },
    { name: 'read-only data', cpl: 0, access: ACC.data(0, 1), rpl: 0, want: [GP, SELECTOR] },
    { name: 'readable code', cpl: 0, access: ACC.code(0, 0xb), rpl: 0, want: [GP, SELECTOR] },
    { name: 'RPL != CPL', cpl: 0, access: ACC.data(0), rpl: 1, want: [GP, SELECTOR] },
    { name: 'DPL != CPL (DPL 3 at CPL 0)', cpl: 0, access: ACC.data(3), rpl: 0, want: [GP, SELECTOR] },
    { name: 'DPL != CPL (DPL 0 at CPL 3)', cpl: 3, access: ACC.data(0), rpl: 3, want: [GP, SELECTOR] },
    { name: 'system descriptor', cpl: 0, access: ACC.system(0, 2), rpl: 0, want: [GP, SELECTOR] },
    { name: 'not present', cpl: 0, access: ACC.data(0) & 0x7f, rpl: 0, want: [SS, SELECTOR] },
    { name: 'not present with RPL 3 at CPL 3', cpl: 3, access: ACC.data(3) & 0x7f, rpl: 3, want: [SS, SELECTOR] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const m = machine('pm32', c.cpl);
      m.setDescriptor(ENTRY, descriptor(0x8000, 0xffff, c.access, 0));
      const before = { ...m.cpu.segs[Seg.SS]! };
      const code = asm(`mov ax, ${SELECTOR | c.rpl}\nmov ss, ax`);
      if (typeof c.want === 'number') {
        expect(m.run(code)).toBeNull();
        expect(m.cpu.segs[Seg.SS]).toEqual({ selector: SELECTOR | c.rpl, base: 0x8000, limit: 0xffff, access: c.want, big: false, unusable: false });
        expect(m.cpu.mode.stack32).toBe(false);
        expect(m.cpu.interruptShadow).toBe(2);
      } else {
        expect(faultOf(m.fault(code))).toEqual({ vector: c.want[0], errorCode: c.want[1] });
        expect(m.cpu.segs[Seg.SS]).toEqual(before);
        expect(m.cpu.interruptShadow).toBe(0);
      }
    });
  }

  it('a null selector is #GP(0), whatever its RPL', () => {
    expect(faultOf(machine('pm32', 0).fault(asm('xor eax, eax\nmov ss, ax')))).toEqual({ vector: GP, errorCode: 0 });
    expect(faultOf(machine('pm32', 3).fault(asm('mov eax, 3\nmov ss, ax')))).toEqual({ vector: GP, errorCode: 0 });
  });

  it('LSS loads SS with the same checks (no interrupt shadow)', () => {
    const m = machine('pm32');
    m.write32(0x3000, 0x7ff0);
    m.write32(0x3004, SEL.data16);
    expect(m.run(asm('lss esp, [0x3000]'))).toBeNull();
    expect(m.cpu.segs[Seg.SS]).toMatchObject({ selector: SEL.data16, limit: 0xffff, big: false });
    expect(m.cpu.regs[4]).toBe(0x7ff0);
    expect(m.cpu.interruptShadow).toBe(0);
    m.write32(0x3004, SEL.code16);
    expect(faultOf(m.fault(asm('lss esp, [0x3000]')))).toEqual({ vector: GP, errorCode: SEL.code16 });
  });

  it('POP SS moves the stack pointer by the old stack size: 32-bit to 16-bit', () => {
    const m = machine('pm32');
    m.write32(0x2fffc, SEL.data16);
    m.cpu.regs[4] = 0x2fffc;
    expect(m.run(asm('pop ss'))).toBeNull();
    expect(m.cpu.regs[4]).toBe(0x30000);
    expect(m.cpu.mode.stack32).toBe(false);
    expect(m.cpu.interruptShadow).toBe(2);
  });

  it('POP SS moves the stack pointer by the old stack size: 16-bit to 32-bit', () => {
    const m = machine('pm16');
    m.write32(0xfffc, SEL.data32);
    m.cpu.regs[4] = 0xabcdfffc | 0;
    expect(m.run(asm('popd ss', 16))).toBeNull();
    expect(m.cpu.regs[4]! >>> 0).toBe(0xabcd0000);
    expect(m.cpu.mode.stack32).toBe(true);
  });
});

describe('virtual-8086 mode loads', () => {
  it('give a 64 KiB, DPL-3, read/write, 16-bit cache at selector × 16', () => {
    const m = machine('v86');
    m.cpu.setSeg(Seg.DS, { selector: 0, base: 0, limit: 0xffffffff, access: 0x93, big: true, unusable: false });
    expect(m.run(asm('mov ax, 0x2000\nmov ds, ax\npush 0x3000\npop fs\nmov ax, 0x100\nmov ss, ax', 16))).toBeNull();
    expect(m.cpu.segs[Seg.DS]).toEqual({ selector: 0x2000, base: 0x20000, limit: 0xffff, access: 0xf3, big: false, unusable: false });
    expect(m.cpu.segs[Seg.FS]).toEqual({ selector: 0x3000, base: 0x30000, limit: 0xffff, access: 0xf3, big: false, unusable: false });
    expect(m.cpu.segs[Seg.SS]!.base).toBe(0x1000);
    expect(m.cpu.interruptShadow).toBe(2);
    expect(m.cpu.mode).toMatchObject({ v86: true, protectedMode: false, stack32: false, cpl: 3 });
  });

  it('check only the 64 KiB limit (no type checks)', () => {
    const m = machine('v86');
    expect(faultOf(m.fault(asm('mov ebx, 0x10000\nmov eax, [ebx]', 16)))).toEqual({ vector: GP, errorCode: 0 });
    expect(faultOf(m.fault(asm('mov ebx, 0xffff\nmov ax, ss:[ebx]', 16)))).toEqual({ vector: SS, errorCode: 0 });
    m.cpu.setSeg(Seg.DS, { ...m.cpu.segs[Seg.DS]!, access: 0xf1 });
    expect(m.run(asm('mov word ptr [0x3000], 0x55aa', 16))).toBeNull();
    expect(m.read32(0x3000) & 0xffff).toBe(0x55aa);
  });

  it('LLDT, LTR, SLDT, STR, LAR, LSL, VERR, VERW and ARPL are #UD (LLDT and LTR before their CPL check)', () => {
    for (const source of ['lldt ax', 'ltr ax', 'sldt ax', 'str ax', 'lar ax, bx', 'lsl ax, bx', 'verr ax', 'verw ax', 'arpl ax, bx']) {
      expect(faultOf(machine('v86').fault(asm(source, 16))), source).toEqual({ vector: UD, errorCode: 0 });
    }
  });
});

describe('the concrete backend\'s loadSeg', () => {
  it('applies the rules of the current mode', () => {
    const real = machine('real');
    real.interp.backend.loadSeg(Seg.GS, 0x4321);
    expect(real.cpu.segs[Seg.GS]).toMatchObject({ selector: 0x4321, base: 0x43210, limit: 0xffff });
    const pm = machine('pm32', 3);
    pm.setDescriptor(ENTRY, descriptor(0x8000, 0xfff, ACC.data(3, 2)));
    pm.interp.backend.loadSeg(Seg.GS, SELECTOR | 3);
    expect(pm.cpu.segs[Seg.GS]).toEqual({ selector: SELECTOR | 3, base: 0x8000, limit: 0xfff, access: 0xf3, big: false, unusable: false });
    expect(() => pm.interp.backend.loadSeg(Seg.SS, SELECTOR)).toThrow(expect.objectContaining({ vector: GP, errorCode: SELECTOR }));
    const v86 = machine('v86');
    v86.interp.backend.loadSeg(Seg.ES, 0xb800);
    expect(v86.cpu.segs[Seg.ES]).toEqual({ selector: 0xb800, base: 0xb8000, limit: 0xffff, access: 0xf3, big: false, unusable: false });
  });
});

describe('segment checks of each access (protected mode)', () => {
  const cache = (access: number, limit: number, big = true) => ({ selector: SEL.data32, base: 0, limit, access, big, unusable: false });

  it('writes need a writable data segment; reads anything but execute-only code', () => {
    const m = machine('pm32');
    m.cpu.setSeg(Seg.ES, cache(0x91, 0xffffffff));
    expect(m.run(asm('mov eax, es:[0x3000]'))).toBeNull();
    expect(faultOf(m.fault(asm('mov es:[0x3000], eax')))).toEqual({ vector: GP, errorCode: 0 });
    expect(faultOf(m.fault(asm('add es:[0x3000], eax')))).toEqual({ vector: GP, errorCode: 0 });
    m.cpu.setSeg(Seg.SS, cache(0x91, 0xffffffff));
    expect(faultOf(m.fault(asm('push eax')))).toEqual({ vector: SS, errorCode: 0 });
  });

  it('reads through CS need a readable code segment; writes through CS always fault', () => {
    const m = machine('pm32');
    expect(m.run(asm('mov eax, cs:[0x3000]'))).toBeNull();
    expect(faultOf(m.fault(asm('mov cs:[0x3000], eax')))).toEqual({ vector: GP, errorCode: 0 });
    m.cpu.setSeg(Seg.CS, { ...m.cpu.segs[Seg.CS]!, access: 0x99 }); // execute-only: still runs
    expect(m.run(asm('mov eax, 1'))).toBeNull();
    expect(faultOf(m.fault(asm('mov eax, cs:[0x3000]')))).toEqual({ vector: GP, errorCode: 0 });
  });

  it('expand-up limits: the last byte of the access must be within the limit', () => {
    const m = machine('pm32');
    m.cpu.setSeg(Seg.DS, cache(0x93, 0xfff));
    expect(m.run(asm('mov eax, [0xffc]'))).toBeNull();
    expect(faultOf(m.fault(asm('mov eax, [0xffd]')))).toEqual({ vector: GP, errorCode: 0 });
    m.cpu.setSeg(Seg.SS, cache(0x93, 0xfff));
    m.cpu.regs[4] = 0x1000;
    expect(m.run(asm('push eax'))).toBeNull();
    expect(faultOf(m.fault(asm('mov eax, [esp+1]')))).toEqual({ vector: SS, errorCode: 0 });
  });

  it('expand-down limits: offsets above the limit up to FFFFh (B = 0) or FFFFFFFFh (B = 1)', () => {
    const m = machine('pm32');
    m.cpu.setSeg(Seg.DS, cache(0x97, 0xfff, false));
    expect(faultOf(m.fault(asm('mov eax, [0xfff]')))).toEqual({ vector: GP, errorCode: 0 });
    expect(m.run(asm('mov eax, [0x1000]\nmov eax, [0xfffc]'))).toBeNull();
    expect(faultOf(m.fault(asm('mov eax, [0xfffd]')))).toEqual({ vector: GP, errorCode: 0 });
    m.cpu.setSeg(Seg.DS, cache(0x97, 0xfff, true));
    expect(m.run(asm('mov eax, [0x10000]'))).toBeNull();
    m.cpu.setSeg(Seg.SS, cache(0x97, 0x8fff, true));
    m.cpu.regs[4] = 0x9004;
    expect(m.run(asm('push eax'))).toBeNull();
    expect(faultOf(m.fault(asm('push eax')))).toEqual({ vector: SS, errorCode: 0 });
  });
});
