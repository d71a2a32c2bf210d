/**
 * Hardware task switches (SDM vol. 3, 7.3 and table 7-1; vol. 2, JMP/CALL
 * to a TSS or task gate, INT n/exceptions through task gates, IRET with
 * NT): state saved and loaded, busy bits, NT and the back link, CR0.TS,
 * 16-bit TSSs, LDTR and CR3, v86 tasks, the T flag, and the faults before
 * and after the commit point. Expected values are worked out from the
 * manual's pseudocode.
 */
import { describe, expect, it } from 'vitest';
import { CR0_PG, CR0_TS } from '../../../runtime/cpu.js';
import { Vector } from '../../../runtime/exceptions.js';
import { ExitReason } from '../../../runtime/exit-reason.js';
import { Seg } from '../../../translator/table/types.js';
import { ACC, asm, CODE, faultOf, gate, type Machine, machine, seg, SEL, STACK0, start, T, TSS } from './transfer-harness.js';

const GP = Vector.GP, NP = Vector.NP, TS = Vector.TS;
const NT = 0x4000, VM = 0x20000;

const TSS2 = 0x14000, TSS2_SEL = SEL.free(0), TSS2_INDEX = 16;
const GATE_SEL = SEL.free(1), GATE_INDEX = 17;
const TSS16 = 0x15000, TSS16_SEL = SEL.free(2), TSS16_INDEX = 18;
const TSS3 = 0x16000, TSS3_SEL = SEL.free(3), TSS3_INDEX = 19;
const LDT_SEL = SEL.free(4), LDT_INDEX = 20;

const type = (m: Machine, index: number): number => (m.gdtHigh(index) >>> 8) & 0xf;

/** A second 32-bit task (available) at TSS2 running `code` at 0x5000 in ring 0 with its own stack at 0x50000. */
function secondTask(m: Machine, code: string, fields: Partial<Parameters<Machine['writeTss32']>[1]> = {}): void {
  m.setGdt(TSS2_INDEX, seg(TSS2, 0x67, ACC.system(0, T.tss32)));
  m.writeTss32(TSS2, {
    eip: 0x5000, eflags: 2, regs: [0xa0, 0xc1, 0xd2, 0xb3, 0x50000, 0xb5, 0x56, 0xd7],
    segs: [SEL.data0, SEL.code0, SEL.data0, SEL.data0, SEL.data0, SEL.data0], ...fields,
  });
  m.load(0x5000, asm(code, 32, 0x5000));
}

describe('JMP to a TSS', () => {
  it('saves the old task, loads the new one, moves the busy bit, sets CR0.TS and leaves NT and the back link alone', () => {
    const m = machine(0);
    secondTask(m, 'hlt');
    start(m, `mov eax, 0x11111111\nmov ecx, 0x22222222\njmp ${TSS2_SEL}:0`);
    expect(m.run()?.reason).toBe(ExitReason.Hlt);
    const cpu = m.cpu;
    expect(cpu.tr).toMatchObject({ selector: TSS2_SEL, base: TSS2, limit: 0x67 });
    expect(cpu.cr0 & CR0_TS).toBe(CR0_TS);
    expect(Array.from(cpu.regs)).toEqual([0xa0, 0xc1, 0xd2, 0xb3, 0x50000, 0xb5, 0x56, 0xd7]);
    expect(cpu.eip).toBe(0x5001);
    expect(cpu.flags & NT).toBe(0);
    // Busy bits: the old TSS is available again, the new one busy.
    expect(type(m, 7)).toBe(T.tss32);
    expect(type(m, TSS2_INDEX)).toBe(T.tss32Busy);
    // The old task's state in its TSS: EIP after the JMP, registers, selectors.
    expect(m.r32(TSS + 0x20)).toBe(CODE + 5 + 5 + 7);
    expect(m.r32(TSS + 0x28)).toBe(0x11111111);
    expect(m.r32(TSS + 0x2c)).toBe(0x22222222);
    expect(m.r32(TSS + 0x38)).toBe(STACK0);
    expect(m.r16(TSS + 0x4c)).toBe(SEL.code0);
    expect(m.r16(TSS2)).toBe(0);
    expect(cpu.segs[Seg.CS]).toMatchObject({ selector: SEL.code0, big: true });
  });

  it.each([
    ['a busy TSS', (m: Machine) => m.setGdt(TSS2_INDEX, seg(TSS2, 0x67, ACC.system(0, T.tss32Busy))), { vector: GP, errorCode: TSS2_SEL }],
    ['a TSS not present', (m: Machine) => m.setGdt(TSS2_INDEX, seg(TSS2, 0x67, ACC.system(0, T.tss32) & 0x7f)), { vector: NP, errorCode: TSS2_SEL }],
    ['a TSS with a limit below 67h', (m: Machine) => m.setGdt(TSS2_INDEX, seg(TSS2, 0x66, ACC.system(0, T.tss32))), { vector: TS, errorCode: TSS2_SEL }],
    ['a TSS with DPL < CPL', (m: Machine) => { m.cpu.cpl = 1; m.cpu.setSeg(Seg.CS, { ...m.cpu.segs[Seg.CS]!, selector: SEL.code0 | 1 }); m.cpu.refreshMode(); }, { vector: GP, errorCode: TSS2_SEL }],
  ] as const)('to %s faults before the switch', (_, setup, expected) => {
    const m = machine(0);
    secondTask(m, 'hlt');
    setup(m);
    start(m, `jmp ${TSS2_SEL}:0`);
    expect(faultOf(m.fault())).toEqual(expected);
    expect(m.cpu.tr.selector).toBe(SEL.tss);
    expect(m.cpu.eip).toBe(CODE);
    expect(type(m, 7)).toBe(T.tss32Busy);
  });

  it('a fault after the commit point (the new CS is a data segment) is raised in the new task: #TS(CS) through a task gate', () => {
    const m = machine(0);
    secondTask(m, 'hlt', { segs: [SEL.data0, SEL.data0, SEL.data0, SEL.data0, SEL.data0, SEL.data0] });
    // #TS goes to a third task, which finds the error code on its stack.
    m.setGdt(TSS3_INDEX, seg(TSS3, 0x67, ACC.system(0, T.tss32)));
    m.writeTss32(TSS3, { eip: 0x6000, eflags: 2, regs: [0, 0, 0, 0, 0x40000, 0, 0, 0], segs: [SEL.data0, SEL.code0, SEL.data0, SEL.data0, SEL.data0, SEL.data0] });
    m.load(0x6000, asm('pop eax\nhlt', 32, 0x6000));
    m.setIdt(TS, gate(TSS3_SEL, 0, T.task, 0));
    start(m, `jmp ${TSS2_SEL}:0`);
    expect(m.run()?.reason).toBe(ExitReason.Hlt);
    expect(m.cpu.tr.selector).toBe(TSS3_SEL);
    expect(m.cpu.regs[0]).toBe(SEL.data0);
    // The second task was entered (its TR was loaded, its busy bit set) and is the third one's back link.
    expect(m.r16(TSS3)).toBe(TSS2_SEL);
    expect(type(m, TSS2_INDEX)).toBe(T.tss32Busy);
    expect(m.r32(TSS2 + 0x20)).toBe(0x5000);
  });
});

describe('CALL through a task gate and IRET back', () => {
  it('nests: the back link and NT are set, both TSSs busy; IRET clears NT in the saved image and the returning task\'s busy bit', () => {
    const m = machine(0);
    secondTask(m, 'pushfd\npop edx\nmov ecx, 2\niretd\nhlt');
    m.setGdt(GATE_INDEX, gate(TSS2_SEL, 0, T.task, 0));
    start(m, `mov ecx, 7\ncall ${GATE_SEL}:0\nmov ebx, 1\nhlt`);
    expect(m.run()?.reason).toBe(ExitReason.Hlt);
    const cpu = m.cpu;
    expect(cpu.tr.selector).toBe(SEL.tss);
    expect(cpu.regs[3]).toBe(1);
    expect(cpu.regs[1]).toBe(7);
    expect(cpu.flags & NT).toBe(0);
    expect(m.r16(TSS2)).toBe(SEL.tss);
    expect(m.r32(TSS2 + 0x30) & NT).toBe(NT); // EDX saved by IRET: NT was set inside the called task
    expect(m.r32(TSS2 + 0x24) & NT).toBe(0); // …and cleared in its saved EFLAGS image
    expect(m.r32(TSS2 + 0x20)).toBe(0x5000 + 1 + 1 + 5 + 1);
    expect(type(m, TSS2_INDEX)).toBe(T.tss32);
    expect(type(m, 7)).toBe(T.tss32Busy);
  });

  it('CALL to a TSS that is busy is #GP(TSS selector); IRET with NT and a back link that is not busy is #TS(link)', () => {
    const m = machine(0);
    secondTask(m, 'hlt');
    m.setGdt(TSS2_INDEX, seg(TSS2, 0x67, ACC.system(0, T.tss32Busy)));
    m.setGdt(GATE_INDEX, gate(TSS2_SEL, 0, T.task, 0));
    start(m, `call ${GATE_SEL}:0`);
    expect(faultOf(m.fault())).toEqual({ vector: GP, errorCode: TSS2_SEL });
    const n = machine(0);
    secondTask(n, 'hlt');
    n.w16(TSS, TSS2_SEL);
    n.cpu.flags |= NT;
    start(n, 'iretd');
    expect(faultOf(n.fault())).toEqual({ vector: TS, errorCode: TSS2_SEL });
  });
});

describe('events through task gates', () => {
  it('an exception with an error code switches tasks with nesting and pushes the error code on the new task\'s stack', () => {
    const m = machine(0);
    secondTask(m, 'pop eax\nhlt');
    m.setIdt(GP, gate(TSS2_SEL, 0, T.task, 0));
    start(m, 'nop\nmov dx, 0x5558\nmov ds, dx');
    expect(m.run()?.reason).toBe(ExitReason.Hlt);
    expect(m.cpu.regs[0]).toBe(0x5558);
    expect(m.cpu.regs[4]).toBe(0x50000);
    expect(m.cpu.flags & NT).toBe(NT);
    expect(m.r16(TSS2)).toBe(SEL.tss);
    // The old task resumes at the faulting instruction.
    expect(m.r32(TSS + 0x20)).toBe(CODE + 5);
  });

  it('INT n through a task gate saves the next instruction; gate DPL is checked like any gate', () => {
    const m = machine(0);
    secondTask(m, 'hlt');
    m.setIdt(0x30, gate(TSS2_SEL, 0, T.task, 0));
    start(m, 'int 0x30');
    expect(m.run()?.reason).toBe(ExitReason.Hlt);
    expect(m.r32(TSS + 0x20)).toBe(CODE + 2);
    expect(type(m, 7)).toBe(T.tss32Busy);
  });
});

describe('the new task\'s environment', () => {
  it('a 16-bit TSS: words saved and loaded, upper register halves kept, FS and GS null', () => {
    const m = machine(0);
    m.setGdt(TSS16_INDEX, seg(TSS16, 0x2b, ACC.system(0, T.tss16)));
    const words = [/* link */ 0, 0, 0, 0, 0, 0, 0, /* IP */ 0x5000, /* FLAGS */ 2, 0x10a0, 0x10c1, 0x10d2, 0x10b3, 0xf000, 0x10b5, 0x1056, 0x10d7, SEL.data0, SEL.code0, SEL.data0, SEL.data0, /* LDT */ 0];
    words.forEach((w, k) => m.w16(TSS16 + 2 * k, w));
    m.load(0x5000, asm(`mov eax, 0x12345678\njmp ${SEL.tss}:0`, 32, 0x5000));
    start(m, `mov eax, 0xaaaa0000\njmp ${TSS16_SEL}:0\nhlt`);
    m.run(2);
    expect(m.cpu.regs[0]).toBe(0xaaaa10a0 | 0);
    expect(m.cpu.regs[4]).toBe((STACK0 & ~0xffff) | 0xf000);
    expect(m.cpu.segs[Seg.FS]).toMatchObject({ selector: 0, unusable: true });
    expect(m.cpu.tr.access & 0xf).toBe(T.tss16Busy);
    expect(m.run()?.reason).toBe(ExitReason.Hlt);
    // Back in the first task; the 16-bit TSS holds the second task's IP and AX.
    expect(m.cpu.tr.selector).toBe(SEL.tss);
    expect(m.r16(TSS16 + 0x0e)).toBe(0x5000 + 5 + 7);
    expect(m.r16(TSS16 + 0x12)).toBe(0x5678);
  });

  it('loads LDTR from the TSS; an LDT selector that names the LDT is #TS(LDT selector) in the new task, whose segments are then loaded unchecked', () => {
    const m = machine(0);
    m.setGdt(LDT_INDEX, seg(0x30000, 0xff, ACC.system(0, T.ldt)));
    secondTask(m, 'hlt', { ldt: LDT_SEL });
    start(m, `jmp ${TSS2_SEL}:0`);
    expect(m.run()?.reason).toBe(ExitReason.Hlt);
    expect(m.cpu.ldtr).toMatchObject({ selector: LDT_SEL, base: 0x30000, limit: 0xff, unusable: false });
    const n = machine(0);
    secondTask(n, 'hlt', { ldt: LDT_SEL | 4 });
    n.setIdt(TS, gate(SEL.code0, 0x4000, T.int32, 0));
    n.load(0x4000, asm('mov eax, [esp]\nmov ebx, [esp + 4]\nhlt', 32, 0x4000));
    start(n, `jmp ${TSS2_SEL}:0`);
    expect(n.run()?.reason).toBe(ExitReason.Hlt);
    expect(n.cpu.regs[0]).toBe(LDT_SEL | 4);
    expect(n.cpu.regs[3]).toBe(0x5000);
    expect(n.cpu.tr.selector).toBe(TSS2_SEL);
  });

  it('loads CR3 from a 32-bit TSS when paging is on', () => {
    const m = machine(0);
    const pd = 0x200000, pt = 0x201000;
    m.w32(pd, pt | 3);
    m.w32(0x202000, pt | 3);
    for (let p = 0; p < 1024; p++) m.w32(pt + 4 * p, (p * 0x1000) | 3);
    m.cpu.cr3 = pd;
    m.cpu.cr0 |= CR0_PG;
    m.ctx.mmu.pagingModeChanged();
    secondTask(m, 'mov eax, cr3\nhlt', { cr3: 0x202000 });
    start(m, `jmp ${TSS2_SEL}:0`);
    expect(m.run()?.reason).toBe(ExitReason.Hlt);
    expect(m.cpu.cr3).toBe(0x202000);
    expect(m.cpu.regs[0]).toBe(0x202000);
  });

  it('a TSS with VM set in EFLAGS starts a virtual-8086 task at CPL 3', () => {
    const m = machine(0);
    secondTask(m, 'hlt', { eip: 0x10, eflags: VM | 0x3000 | 2, segs: [0x1000, 0x2000, 0x3000, 0x4000, 0x5000, 0x6000] });
    m.load(0x20010, asm('mov ax, ds\npushf', 16));
    start(m, `jmp ${TSS2_SEL}:0`);
    m.run(3);
    expect(m.cpu.mode.v86).toBe(true);
    expect(m.cpu.cpl).toBe(3);
    expect(m.cpu.segs[Seg.CS]).toMatchObject({ selector: 0x2000, base: 0x20000, limit: 0xffff, access: 0xf3 });
    expect(m.cpu.regs[0]! & 0xffff).toBe(0x4000);
  });

  it('the T flag raises a debug trap before the new task\'s first instruction, with DR6.BT set', () => {
    const m = machine(0);
    secondTask(m, 'hlt', { trap: 1 });
    m.setIdt(Vector.DB, gate(SEL.code0, 0x4000, T.int32, 0));
    m.load(0x4000, asm('mov eax, [esp]\nhlt', 32, 0x4000));
    start(m, `jmp ${TSS2_SEL}:0`);
    expect(m.run()?.reason).toBe(ExitReason.Hlt);
    expect(m.cpu.regs[0]).toBe(0x5000);
    expect(m.cpu.dr[6]! & 0x8000).toBe(0x8000);
    expect(m.cpu.tr.selector).toBe(TSS2_SEL);
  });

  it('a task gate in the GDT reached from ring 3 switches to a ring-0 task', () => {
    const m = machine(3);
    secondTask(m, 'hlt');
    m.setGdt(GATE_INDEX, gate(TSS2_SEL, 0, T.task, 3));
    start(m, `jmp ${GATE_SEL | 3}:0`);
    expect(m.run()?.reason).toBe(ExitReason.Hlt);
    expect(m.cpu.cpl).toBe(0);
    expect(m.r16(TSS + 0x4c)).toBe(SEL.code3);
  });
});
