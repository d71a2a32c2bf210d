/**
 * Focused tests of the control-family semantics (translator/semantics/control.ts)
 * on the reference tier's concrete backend, flat 32-bit segments, no paging.
 */
import { describe, expect, it } from 'vitest';
import { CONTROL_SEMANTICS } from '../../translator/semantics/control.js';
import { ConcreteBackend } from '../../runtime/concrete-backend.js';
import { CODE_RX_ACCESS, CpuState, DATA_RW_ACCESS } from '../../runtime/cpu.js';
import { PhysicalMemory } from '../../runtime/memory.js';
import { Mmu } from '../../runtime/mmu.js';
import { GuestFault } from '../../runtime/exceptions.js';
import { decode } from '../../translator/decoder.js';
import { isFault } from '../../translator/table/types.js';

const EAX = 0, ECX = 1, EDX = 2, EBX = 3, ESP = 4;
const CF = 1, ZF = 0x40, OF = 0x800;

function machine(code32 = true) {
  const cpu = new CpuState();
  cpu.cr0 |= 1;
  for (let s = 0; s < 6; s++) {
    cpu.setSeg(s, { selector: s === 1 ? 0x23 : 0x2b, base: 0, limit: s === 1 && !code32 ? 0xffff : 0xffffffff, access: s === 1 ? CODE_RX_ACCESS(3) : DATA_RW_ACCESS(3), big: s === 1 ? code32 : true, unusable: false });
  }
  cpu.cpl = 3;
  cpu.refreshMode();
  const mem = new PhysicalMemory(1 << 20);
  const b = new ConcreteBackend(cpu, mem, new Mmu(cpu, mem), { hypercall: () => { throw new Error('hypercall'); } });
  const run = (bytes: number[], eip = 0x1000) => {
    const i = decode((n) => bytes[n] ?? 0, eip, cpu.mode.code32);
    if (isFault(i)) throw new Error(i.reason);
    cpu.eip = eip;
    b.begin(i);
    CONTROL_SEMANTICS[i.row.sem]!(b, i);
    if (!b.jumped) cpu.eip = i.nextEip;
    return i;
  };
  return { cpu, mem, b, run };
}

describe('branches', () => {
  it('Jcc takes the condition from the opcode', () => {
    const { cpu, run } = machine();
    cpu.flags = 2 | ZF;
    run([0x74, 0x10]); // je +0x10
    expect(cpu.eip).toBe(0x1012);
    run([0x0f, 0x85, 0, 1, 0, 0]); // jne
    expect(cpu.eip).toBe(0x1006);
    cpu.flags = 2 | OF;
    run([0x7c, 0xfe]); // jl -2 (SF != OF)
    expect(cpu.eip).toBe(0x1000);
    run([0x7f, 0x10]); // jg not taken
    expect(cpu.eip).toBe(0x1002);
  });
  it('JMP and CALL through Ev with a 16-bit operand size mask the target', () => {
    const { cpu, b, run } = machine();
    cpu.regs[EAX] = 0x12345678;
    run([0x66, 0xff, 0xe0]); // jmp ax
    expect(cpu.eip).toBe(0x5678);
    cpu.regs[ESP] = 0x8000;
    run([0x66, 0xe8, 0x00, 0xf0]); // call rel16 -> (0x1004 - 0x1000) & 0xffff
    expect(cpu.eip).toBe(0x0004);
    expect(cpu.regs[ESP]).toBe(0x7ffe);
    expect(b.load(2, 0x7ffe, 2)).toBe(0x1004);
  });
  it('CALL [ESP] reads the target before the push; RET imm16 releases the bytes', () => {
    const { cpu, b, run } = machine();
    cpu.regs[ESP] = 0x8000;
    b.store(2, 0x8000, 4, 0x3000);
    run([0xff, 0x14, 0x24]);
    expect(cpu.eip).toBe(0x3000);
    expect(cpu.regs[ESP]).toBe(0x7ffc);
    expect(b.load(2, 0x7ffc, 4)).toBe(0x1003);
    run([0xc2, 0x08, 0x00], 0x3000);
    expect(cpu.eip).toBe(0x1003);
    expect(cpu.regs[ESP]).toBe(0x8008);
    b.store(2, 0x8008, 4, 0xabcd1234);
    run([0x66, 0xc3]);
    expect(cpu.eip).toBe(0x1234);
    expect(cpu.regs[ESP]).toBe(0x800a);
  });
  it('CALL and RET beyond the CS limit raise #GP with nothing written', () => {
    const { cpu, b, run } = machine(false);
    cpu.regs[ESP] = 0x8000;
    cpu.regs[EAX] = 0x12345;
    b.store(2, 0x7ffc, 4, 0x11111111);
    expect(() => run([0x66, 0xff, 0xd0])).toThrow(expect.objectContaining({ vector: 13 }));
    expect([cpu.regs[ESP], b.load(2, 0x7ffc, 4), cpu.eip]).toEqual([0x8000, 0x11111111, 0x1000]);
    b.store(2, 0x8000, 4, 0x10000);
    expect(() => run([0x66, 0xc3])).toThrow(expect.objectContaining({ vector: 13 }));
    expect(cpu.regs[ESP]).toBe(0x8000);
  });
  it('LOOP with a 16-bit address size uses CX only', () => {
    const { cpu, run } = machine();
    cpu.regs[ECX] = 0x00010001;
    run([0x67, 0xe2, 0xfd]);
    expect(cpu.regs[ECX]).toBe(0x00010000);
    expect(cpu.eip).toBe(0x1003);
    cpu.regs[ECX] = 0x00010000;
    run([0x67, 0xe2, 0xfd]);
    expect(cpu.regs[ECX]).toBe(0x0001ffff);
    expect(cpu.eip).toBe(0x1000);
  });
  it('LOOPE/LOOPNE and JCXZ/JECXZ', () => {
    const { cpu, run } = machine();
    cpu.regs[ECX] = 5;
    cpu.flags = 2;
    run([0xe1, 0x10]);
    expect([cpu.regs[ECX], cpu.eip]).toEqual([4, 0x1002]);
    run([0xe0, 0x10]);
    expect([cpu.regs[ECX], cpu.eip]).toEqual([3, 0x1012]);
    cpu.regs[ECX] = 0x10000;
    run([0xe3, 0x10]);
    expect(cpu.eip).toBe(0x1002);
    run([0x67, 0xe3, 0x10]);
    expect(cpu.eip).toBe(0x1013);
  });
});

describe('events', () => {
  it('INT3, INTO, UD2', () => {
    const { cpu, run } = machine();
    expect(() => run([0xcc])).toThrow(expect.objectContaining({ vector: 3 }));
    cpu.flags = 2;
    run([0xce]);
    cpu.flags = 2 | OF;
    expect(() => run([0xce])).toThrow(expect.objectContaining({ vector: 4 }));
    expect(() => run([0x0f, 0x0b])).toThrow(expect.objectContaining({ vector: 6 }));
  });
  it('BOUND compares signed bounds', () => {
    const { cpu, b, run } = machine();
    cpu.regs[EBX] = 0x3000;
    b.store(3, 0x3000, 4, -5);
    b.store(3, 0x3004, 4, 7);
    for (const [v, ok] of [[-5, true], [7, true], [-6, false], [8, false], [0, true]] as const) {
      cpu.regs[EAX] = v;
      if (ok) run([0x62, 0x03]);
      else expect(() => run([0x62, 0x03])).toThrow(GuestFault);
    }
    b.store(3, 0x3000, 4, 0x7fff8000); // 16-bit: lower -0x8000, upper 0x7fff
    cpu.regs[EDX] = 0xffff8000;
    run([0x66, 0x62, 0x13]);
    cpu.regs[EDX] = 0x8000;
    run([0x66, 0x62, 0x13]);
    expect(() => run([0x62, 0x13])).toThrow(expect.objectContaining({ vector: 5 }));
    void CF;
  });
});
