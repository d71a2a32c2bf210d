/**
 * Far JMP, CALL and RET in real-address, protected and virtual-8086 mode:
 * direct transfers, call gates with a privilege change and parameter
 * copy, returns to an outer level, and every check with its error code
 * (SDM vol. 2, JMP/CALL/RET "Operation"; vol. 3, 5.8). SYSENTER/SYSEXIT.
 * Expected values are worked out from the manual's pseudocode.
 */
import { describe, expect, it } from 'vitest';
import { CR0_PE } from '../../../runtime/cpu.js';
import { Vector } from '../../../runtime/exceptions.js';
import { ExitReason } from '../../../runtime/exit-reason.js';
import { Seg } from '../../../translator/table/types.js';
import { ACC, asm, CODE, faultOf, gate, machine, seg, SEL, STACK0, STACK3, start, T, TSS } from './transfer-harness.js';

const GP = Vector.GP, NP = Vector.NP, SS = Vector.SS, TS = Vector.TS;

describe('far transfers in real-address mode', () => {
  function real() {
    const m = machine(0);
    const cpu = m.cpu;
    cpu.cr0 &= ~CR0_PE;
    for (let s = 0; s < 6; s++) cpu.setSeg(s, { selector: 0, base: 0, limit: 0xffff, access: s === Seg.CS ? 0x9b : 0x93, big: false, unusable: false });
    cpu.regs[4] = 0x8000;
    cpu.refreshMode();
    return m;
  }

  it('JMP ptr16:16 loads CS with base selector × 16 and keeps the cached limit', () => {
    const m = real();
    m.load(0x12340 + 0x10, asm('hlt', 16));
    start(m, 'jmp 0x1234:0x10', 16);
    expect(m.run()?.reason).toBe(ExitReason.Hlt);
    expect(m.cpu.segs[Seg.CS]).toMatchObject({ selector: 0x1234, base: 0x12340, limit: 0xffff });
    expect(m.cpu.eip).toBe(0x11);
  });

  it('CALL far pushes CS and IP (16-bit) or CS and EIP as dwords (32-bit operand); RETF imm16 pops them and releases the parameters', () => {
    const m = real();
    m.load(0x20000, asm('retf 4', 16));
    m.load(0x20010, asm('.byte 0x66, 0xca, 0x02, 0x00', 16)); // retfd 2
    start(m, 'push 0x1111\npush 0x2222\ncall 0x2000:0\nmov bx, sp\n.byte 0x66, 0x9a, 0x10, 0, 0, 0, 0, 0x20\nmov cx, sp\nhlt', 16);
    expect(m.run()?.reason).toBe(ExitReason.Hlt);
    // After the first return: both parameters released.
    expect(m.cpu.regs[3]! & 0xffff).toBe(0x8000);
    // 66 CALL pushed 8 bytes; RETFD 2 released 2 more.
    expect(m.cpu.regs[1]! & 0xffff).toBe(0x8002);
    expect(m.stack(0x7ff8, 2, 4)).toEqual([CODE + 3 + 3 + 5 + 2 + 8, 0x0000]);
    expect(m.cpu.segs[Seg.CS]!.selector).toBe(0);
  });

  it('CALL far to an offset past the CS limit is #GP(0) and pushes nothing', () => {
    const m = real();
    start(m, '.byte 0x66, 0x9a, 0, 0, 1, 0, 0, 0x20', 16); // call 2000:00010000 (32-bit offset)
    expect(faultOf(m.fault())).toEqual({ vector: GP, errorCode: 0 });
    expect(m.cpu.regs[4]).toBe(0x8000);
  });

  it('RETF with the return address across the stack limit is #SS(0) (SP wraps, so only a word at FFFFh crosses it)', () => {
    const m = real();
    m.cpu.regs[4] = 0xffff;
    start(m, 'retf', 16);
    expect(faultOf(m.fault())).toEqual({ vector: SS, errorCode: 0 });
  });
});

describe('direct far transfers in protected mode', () => {
  it('JMP far to a non-conforming segment at CPL loads CS with RPL = CPL and sets the accessed bit', () => {
    const m = machine(0);
    m.setGdt(16, seg(0x100000, 0xfff, ACC.code(0, 0xa), 0x4));
    m.load(0x100020, asm('hlt'));
    start(m, `jmp ${SEL.free(0) | 0}:0x20`);
    expect(m.run()?.reason).toBe(ExitReason.Hlt);
    expect(m.cpu.segs[Seg.CS]).toMatchObject({ selector: SEL.free(0), base: 0x100000, limit: 0xfff, big: true });
    expect(m.gdtHigh(16) & 0x100).toBe(0x100);
  });

  it('CALL far at the same level pushes CS:EIP; RETF returns; 16-bit operand size pushes words', () => {
    const m = machine(0);
    m.load(0x3000, asm('retf'));
    m.load(0x3010, asm('.byte 0x66, 0xcb'));
    start(m, `call ${SEL.code0}:0x3000\nmov ebx, esp\n.byte 0x66, 0x9a, 0x10, 0x30, ${SEL.code0}, 0\nmov ecx, esp\nhlt`);
    expect(m.run()?.reason).toBe(ExitReason.Hlt);
    expect(m.cpu.regs[3]).toBe(STACK0);
    expect(m.cpu.regs[1]).toBe(STACK0);
    // The 16-bit call's frame: IP then CS.
    expect(m.stack(STACK0 - 4, 2, 2)).toEqual([(CODE + 7 + 2 + 6) & 0xffff, SEL.code0]);
  });

  it('a conforming segment runs at the caller\'s CPL with CS.RPL = CPL', () => {
    const m = machine(3);
    m.load(0x3000, asm('mov eax, cs\nretf'));
    start(m, `call ${SEL.conforming}:0x3000\nmov ebx, cs\njmp .`);
    m.run(5);
    expect(m.cpu.regs[0]! & 0xffff).toBe(SEL.conforming | 3);
    expect(m.cpu.regs[3]! & 0xffff).toBe(SEL.code3);
    expect(m.cpu.cpl).toBe(3);
  });

  it.each([
    ['a null selector', 0, { vector: GP, errorCode: 0 }],
    ['a selector past the GDT limit', 0x900, { vector: GP, errorCode: 0x900 }],
    ['a data segment', SEL.data0, { vector: GP, errorCode: SEL.data0 }],
    ['a non-conforming segment with DPL ≠ CPL', SEL.code3, { vector: GP, errorCode: SEL.code3 & ~3 }],
    ['RPL > CPL', SEL.code0 | 1, { vector: GP, errorCode: SEL.code0 }],
    ['a segment not present', SEL.free(1), { vector: NP, errorCode: SEL.free(1) }],
  ])('CALL far to %s faults', (_, sel, expected) => {
    const m = machine(0);
    m.setGdt(17, seg(0, 0xfffff, ACC.code(0) & 0x7f, 0xc));
    start(m, `call ${sel}:0x3000`);
    expect(faultOf(m.fault())).toEqual(expected);
    expect(m.cpu.regs[4]).toBe(STACK0);
    expect(m.cpu.eip).toBe(CODE);
  });

  it('JMP far past the new segment\'s limit is #GP(0)', () => {
    const m = machine(0);
    m.setGdt(16, seg(0, 0xfff, ACC.code(0), 0x4));
    start(m, `jmp ${SEL.free(0)}:0x1000`);
    expect(faultOf(m.fault())).toEqual({ vector: GP, errorCode: 0 });
    expect(m.cpu.segs[Seg.CS]!.selector).toBe(SEL.code0);
  });

  it('RETF to a more privileged level is #GP(selector)', () => {
    const m = machine(3);
    m.w32(STACK3 - 8, 0x3000);
    m.w32(STACK3 - 4, SEL.code0);
    m.cpu.regs[4] = STACK3 - 8;
    start(m, 'retf');
    expect(faultOf(m.fault())).toEqual({ vector: GP, errorCode: SEL.code0 });
  });
});

describe('call gates', () => {
  /** Ring 3 code calling a ring-0 routine at 0x3000 through a 32-bit call gate with `params` dword parameters. */
  function gateCall(params: number, routine = 'mov eax, ss\nmov ebx, esp\nmov ecx, cs\nretf 8', type: number = T.call32) {
    const m = machine(3);
    m.setGdt(16, gate(SEL.code0, 0x3000, type, 3, params));
    m.load(0x3000, asm(routine, 32, 0x3000));
    return m;
  }

  it('to a more privileged level: the TSS stack, the caller\'s SS:ESP, copied parameters and CS:EIP; RETF imm16 returns and releases both stacks', () => {
    const m = gateCall(2);
    start(m, `push 0x1111\npush 0x2222\ncall ${SEL.free(0) | 3}:0\nmov edx, esp\nmov esi, cs\nmov edi, ss\njmp .`);
    m.run(11);
    const cpu = m.cpu;
    expect(cpu.regs[0]! & 0xffff).toBe(SEL.data0);
    expect(cpu.regs[3]).toBe(STACK0 - 24);
    expect(cpu.regs[1]! & 0xffff).toBe(SEL.code0);
    // New stack, from the top: SS, ESP, parameters in the caller's order, CS, EIP.
    expect(m.stack(STACK0 - 24, 6)).toEqual([CODE + 5 + 5 + 7, SEL.code3, 0x2222, 0x1111, STACK3 - 8, SEL.data3]);
    expect(cpu.regs[2]).toBe(STACK3);
    expect(cpu.regs[6]! & 0xffff).toBe(SEL.code3);
    expect(cpu.regs[7]! & 0xffff).toBe(SEL.data3);
    expect(cpu.cpl).toBe(3);
  });

  it('a 16-bit gate pushes words and copies word parameters', () => {
    const m = gateCall(1, 'mov ebx, esp\n.byte 0x66, 0xca, 0x02, 0x00', T.call16);
    start(m, `push word ptr 0x4444\ncall ${SEL.free(0) | 3}:0\nmov edx, esp\njmp .`);
    m.run(10);
    expect(m.cpu.regs[3]).toBe(STACK0 - 10);
    expect(m.stack(STACK0 - 10, 5, 2)).toEqual([(CODE + 4 + 7) & 0xffff, SEL.code3, 0x4444, (STACK3 - 2) & 0xffff, SEL.data3]);
    // The 16-bit return pops SP only; the outer SS is 32-bit, so ESP gets that word (plus the release) zero-extended.
    expect(m.cpu.regs[2]).toBe(((STACK3 - 2) & 0xffff) + 2);
  });

  it('a return to the outer level makes DS, ES, FS, GS holding more privileged data segments null', () => {
    const m = gateCall(0, `mov ax, ${SEL.data0}\nmov ds, ax\nmov ax, ${SEL.data3}\nmov es, ax\nretf`);
    start(m, `call ${SEL.free(0) | 3}:0\njmp .`);
    m.run(8);
    expect(m.cpu.cpl).toBe(3);
    expect(m.cpu.segs[Seg.DS]).toMatchObject({ selector: 0, unusable: true });
    expect(m.cpu.segs[Seg.ES]).toMatchObject({ selector: SEL.data3, unusable: false });
  });

  it('to the same level through a gate (conforming target) pushes only CS:EIP', () => {
    const m = machine(3);
    m.setGdt(16, gate(SEL.conforming, 0x3000, T.call32, 3));
    m.load(0x3000, asm('mov ebx, esp\nretf'));
    start(m, `call ${SEL.free(0) | 3}:0\njmp .`);
    m.run(4);
    expect(m.cpu.regs[3]).toBe(STACK3 - 8);
    expect(m.cpu.cpl).toBe(3);
  });

  it.each([
    ['gate DPL < CPL', (m: ReturnType<typeof machine>) => m.setGdt(16, gate(SEL.code0, 0x3000, T.call32, 0)), { vector: GP, errorCode: SEL.free(0) }],
    ['gate not present', (m: ReturnType<typeof machine>) => m.setGdt(16, gate(SEL.code0, 0x3000, T.call32, 3, 0, false)), { vector: NP, errorCode: SEL.free(0) }],
    ['null code selector in the gate', (m: ReturnType<typeof machine>) => m.setGdt(16, gate(0, 0x3000, T.call32, 3)), { vector: GP, errorCode: 0 }],
    ['a data segment in the gate', (m: ReturnType<typeof machine>) => m.setGdt(16, gate(SEL.data0, 0x3000, T.call32, 3)), { vector: GP, errorCode: SEL.data0 }],
    ['TSS ring-0 stack selector null', (m: ReturnType<typeof machine>) => m.w16(TSS + 8, 0), { vector: TS, errorCode: 0 }],
    ['TSS ring-0 stack with RPL ≠ DPL', (m: ReturnType<typeof machine>) => m.w16(TSS + 8, SEL.data0 | 1), { vector: TS, errorCode: SEL.data0 }],
    ['TSS ring-0 stack a code segment', (m: ReturnType<typeof machine>) => m.w16(TSS + 8, SEL.code0), { vector: TS, errorCode: SEL.code0 }],
    ['TSS ring-0 stack not present', (m: ReturnType<typeof machine>) => { m.setGdt(17, seg(0, 0xfffff, ACC.data(0) & 0x7f, 0xc)); m.w16(TSS + 8, SEL.free(1)); }, { vector: SS, errorCode: SEL.free(1) }],
    ['TSS too short for the ring-0 stack', (m: ReturnType<typeof machine>) => { m.cpu.tr = { ...m.cpu.tr, limit: 8 }; }, { vector: TS, errorCode: SEL.tss }],
    ['no room on the new stack', (m: ReturnType<typeof machine>) => { m.setGdt(17, seg(0, 0, ACC.data(0, 0x7), 0x4)); m.w16(TSS + 8, SEL.free(1)); m.w32(TSS + 4, 8); }, { vector: SS, errorCode: SEL.free(1) }],
  ] as const)('CALL through a gate faults with %s', (_, setup, expected) => {
    const m = machine(3);
    m.setGdt(16, gate(SEL.code0, 0x3000, T.call32, 3, 0));
    setup(m);
    start(m, `call ${SEL.free(0) | 3}:0`);
    expect(faultOf(m.fault())).toEqual(expected);
    expect(m.cpu.cpl).toBe(3);
    expect(m.cpu.regs[4]).toBe(STACK3);
    expect(m.cpu.segs[Seg.SS]!.selector).toBe(SEL.data3);
  });

  it('JMP through a gate cannot change privilege: a more privileged non-conforming target is #GP(code selector)', () => {
    const m = machine(3);
    m.setGdt(16, gate(SEL.code0, 0x3000, T.call32, 3));
    start(m, `jmp ${SEL.free(0) | 3}:0`);
    expect(faultOf(m.fault())).toEqual({ vector: GP, errorCode: SEL.code0 });
  });

  it('RETF to an outer level with a stack selector whose RPL differs from the return CS\'s is #GP(SS selector)', () => {
    const m = machine(0);
    m.w32(STACK0 - 16, 0x3000);
    m.w32(STACK0 - 12, SEL.code3);
    m.w32(STACK0 - 8, STACK3);
    m.w32(STACK0 - 4, SEL.data0);
    m.cpu.regs[4] = STACK0 - 16;
    start(m, 'retf');
    expect(faultOf(m.fault())).toEqual({ vector: GP, errorCode: SEL.data0 });
    expect(m.cpu.cpl).toBe(0);
  });
});

describe('SYSENTER and SYSEXIT', () => {
  it('SYSENTER enters CPL 0 with flat CS = SYSENTER_CS and SS = SYSENTER_CS + 8, clearing IF; SYSEXIT returns to CPL 3 at EDX with ESP = ECX', () => {
    const m = machine(3);
    const cpu = m.cpu;
    cpu.sysenterCs = SEL.code0;
    cpu.sysenterEsp = 0x50000;
    cpu.sysenterEip = 0x3000;
    cpu.flags |= 0x200;
    // GDT: code0, data0, code3, data3 in that order, as SYSEXIT's layout requires.
    m.load(0x3000, asm('mov eax, esp\nmov ebx, ss\nsysexit'));
    start(m, `mov edx, ${CODE + 16}\nmov ecx, 0x12340\nsysenter\n.org 16\njmp .`);
    m.run(6);
    expect(cpu.regs[0]).toBe(0x50000);
    expect(cpu.regs[3]! & 0xffff).toBe(SEL.data0);
    expect(cpu.cpl).toBe(3);
    expect(cpu.eip).toBe(CODE + 16);
    expect(cpu.regs[4]).toBe(0x12340);
    expect(cpu.segs[Seg.CS]).toEqual({ selector: SEL.code3, base: 0, limit: 0xffffffff, access: 0xfb, big: true, unusable: false });
    expect(cpu.segs[Seg.SS]).toEqual({ selector: SEL.data3, base: 0, limit: 0xffffffff, access: 0xf3, big: true, unusable: false });
    expect(cpu.flags & 0x200).toBe(0);
  });

  it('SYSENTER with SYSENTER_CS null, or in real mode, is #GP(0); SYSEXIT at CPL 3 is #GP(0)', () => {
    const m = machine(3);
    start(m, 'sysenter');
    expect(faultOf(m.fault())).toEqual({ vector: GP, errorCode: 0 });
    const r = machine(0);
    r.cpu.sysenterCs = SEL.code0;
    r.cpu.cr0 &= ~CR0_PE;
    r.cpu.refreshMode();
    start(r, 'sysenter');
    expect(faultOf(r.fault())).toEqual({ vector: GP, errorCode: 0 });
    const u = machine(3);
    u.cpu.sysenterCs = SEL.code0;
    start(u, 'sysexit');
    expect(faultOf(u.fault())).toEqual({ vector: GP, errorCode: 0 });
  });
});
