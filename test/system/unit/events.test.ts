/**
 * Event delivery (SDM vol. 3, chapter 6 and 20.3; vol. 2, INT n and IRET):
 * the real-mode IVT, interrupt and trap gates at the same level and with a
 * privilege change, 16-bit gates, the software-interrupt DPL check, events
 * from and IRET to virtual-8086 mode, the IRET flag rules, and the
 * double-fault table with its triple fault. Expected values are worked
 * out from the manual's pseudocode.
 */
import { describe, expect, it } from 'vitest';
import { VmExitSignal } from '../../../runtime/concrete-backend.js';
import { CR0_PE, CR0_PG } from '../../../runtime/cpu.js';
import { GuestFault, Vector } from '../../../runtime/exceptions.js';
import { ExitReason } from '../../../runtime/exit-reason.js';
import { EventKind } from '../../../runtime/system/event-types.js';
import { deliverEvent, EventClass, eventClass, eventOfFault, Nested, nestedOutcome } from '../../../runtime/system/events.js';
import { Seg } from '../../../translator/table/types.js';
import { asm, CODE, faultOf, gate, type Machine, machine, seg, ACC, SEL, STACK0, STACK3, start, T } from './transfer-harness.js';

const GP = Vector.GP, NP = Vector.NP;
const IF = 0x200, TF = 0x100, NT = 0x4000, VM = 0x20000, IOPL3 = 0x3000;

/** Install a handler for `vector` at `at`: gate of `type` and `dpl` to flat ring-0 code. */
function handler(m: Machine, vector: number, at: number, source: string, type: number = T.int32, dpl = 0, selector: number = SEL.code0): void {
  m.setIdt(vector, gate(selector, at, type, dpl));
  m.load(at, asm(source, 32, at));
}

describe('the classification of table 6-5', () => {
  it('makes contributory-then-contributory and page-fault-then-(contributory or page fault) a #DF, anything after #DF a triple fault', () => {
    const hw = (vector: number) => ({ vector, kind: EventKind.HardwareException });
    expect(eventClass(hw(Vector.GP))).toBe(EventClass.Contributory);
    expect(eventClass(hw(Vector.DE))).toBe(EventClass.Contributory);
    expect(eventClass(hw(Vector.PF))).toBe(EventClass.PageFault);
    expect(eventClass(hw(Vector.UD))).toBe(EventClass.Benign);
    expect(eventClass({ vector: 13, kind: EventKind.SoftwareInterrupt })).toBe(EventClass.Benign);
    expect(eventClass({ vector: 0x20, kind: EventKind.External })).toBe(EventClass.Benign);
    expect(nestedOutcome(EventClass.Contributory, EventClass.Contributory)).toBe(Nested.DoubleFault);
    expect(nestedOutcome(EventClass.Contributory, EventClass.PageFault)).toBe(Nested.Serial);
    expect(nestedOutcome(EventClass.PageFault, EventClass.Contributory)).toBe(Nested.DoubleFault);
    expect(nestedOutcome(EventClass.PageFault, EventClass.PageFault)).toBe(Nested.DoubleFault);
    expect(nestedOutcome(EventClass.Benign, EventClass.PageFault)).toBe(Nested.Serial);
    expect(nestedOutcome(EventClass.DoubleFault, EventClass.Contributory)).toBe(Nested.TripleFault);
  });

  it('maps INT3 and INTO traps to software exceptions and keeps error codes only where the vector has one', () => {
    expect(eventOfFault(new GuestFault(Vector.BP, 0, 0, true))).toEqual({ vector: 3, kind: EventKind.SoftwareException });
    expect(eventOfFault(new GuestFault(Vector.GP, 0x18))).toEqual({ vector: 13, kind: EventKind.HardwareException, errorCode: 0x18 });
    expect(eventOfFault(new GuestFault(Vector.UD))).toEqual({ vector: 6, kind: EventKind.HardwareException });
  });
});

describe('real-address mode', () => {
  function real(): Machine {
    const m = machine(0);
    const cpu = m.cpu;
    cpu.cr0 &= ~CR0_PE;
    cpu.idtrBase = 0;
    cpu.idtrLimit = 0x3ff;
    for (let s = 0; s < 6; s++) cpu.setSeg(s, { selector: 0, base: 0, limit: 0xffff, access: s === Seg.CS ? 0x9b : 0x93, big: false, unusable: false });
    cpu.regs[4] = 0x8000;
    cpu.refreshMode();
    return m;
  }

  it('INT n pushes FLAGS, CS, IP, clears IF and jumps through the IVT; IRET restores FLAGS', () => {
    const m = real();
    m.w32(0x30 * 4, 0x0300_0010); // 0300:0010
    m.load(0x3010, asm('mov ax, sp\npushf\npop bx\niret', 16));
    m.cpu.flags |= IF | 0x40000;
    start(m, 'int 0x30\npushf\npop cx\nhlt', 16);
    expect(m.run()?.reason).toBe(ExitReason.Hlt);
    expect(m.cpu.regs[0]! & 0xffff).toBe(0x8000 - 6);
    expect(m.stack(0x8000 - 6, 3, 2)).toEqual([CODE + 2, 0, IF | 2]);
    expect(m.cpu.regs[3]! & (IF | 0x40000)).toBe(0);
    expect(m.cpu.regs[1]! & IF).toBe(IF);
    expect(m.cpu.regs[4]).toBe(0x8000);
  });

  it('delivers an external interrupt at the interrupted instruction, clears IF, TF and AC, and clears halted', () => {
    const m = real();
    m.w32(0x08 * 4, 0x0000_4000);
    m.cpu.halted = true;
    m.cpu.eip = 0x1234;
    m.cpu.flags |= IF | TF | 0x40000;
    deliverEvent(m.ctx, { vector: 8, kind: EventKind.External });
    expect(m.cpu.halted).toBe(false);
    expect(m.cpu.eip).toBe(0x4000);
    expect(m.cpu.flags & (IF | TF | 0x40000)).toBe(0);
    expect(m.stack(0x8000 - 6, 3, 2)).toEqual([0x1234, 0, IF | TF | 2]);
  });

  it('a vector past the IVT limit is #GP, then #DF, then a triple fault', () => {
    const m = real();
    m.cpu.idtrLimit = 0x1f; // vectors 0-7 only
    m.w32(0x08 * 4, 0);
    expect(() => deliverEvent(m.ctx, { vector: 0x30, kind: EventKind.SoftwareInterrupt })).toThrow(VmExitSignal);
    m.cpu.idtrLimit = 0x3f; // #GP has an entry: the INT n's #GP is delivered serially
    m.w32(0x0d * 4, 0x0000_5000);
    m.cpu.eip = 0x1002;
    deliverEvent(m.ctx, { vector: 0x30, kind: EventKind.SoftwareInterrupt });
    expect(m.cpu.eip).toBe(0x5000);
    // The #GP reports the INT n itself (2 bytes back), and real mode pushes no error code.
    expect(m.stack(m.cpu.regs[4]!, 3, 2)).toEqual([0x1000, 0, 2]);
  });
});

describe('protected mode, same privilege level', () => {
  it('an interrupt gate pushes EFLAGS, CS, EIP and clears IF and TF; IRETD returns and restores IF', () => {
    const m = machine(0);
    handler(m, 0x30, 0x4000, 'mov eax, esp\npushfd\npop ebx\niretd');
    start(m, 'sti\nint 0x30\nmov ecx, esp\npushfd\npop edx\nhlt');
    expect(m.run()?.reason).toBe(ExitReason.Hlt);
    expect(m.cpu.regs[0]).toBe(STACK0 - 12);
    expect(m.stack(STACK0 - 12, 3)).toEqual([CODE + 3, SEL.code0, IF | 2]);
    expect(m.cpu.regs[3]! & (IF | TF)).toBe(0);
    expect(m.cpu.regs[1]).toBe(STACK0);
    expect(m.cpu.regs[2]! & IF).toBe(IF);
  });

  it('a trap gate keeps IF', () => {
    const m = machine(0);
    handler(m, 0x30, 0x4000, 'pushfd\npop ebx\nhlt', T.trap32);
    start(m, 'sti\nint 0x30');
    expect(m.run()?.reason).toBe(ExitReason.Hlt);
    expect(m.cpu.regs[3]! & IF).toBe(IF);
  });

  it('a 16-bit gate pushes FLAGS, CS, IP as words and enters at a 16-bit offset', () => {
    const m = machine(0);
    handler(m, 0x30, 0x4000, 'mov eax, esp\nhlt', T.int16);
    start(m, 'int 0x30');
    expect(m.run()?.reason).toBe(ExitReason.Hlt);
    expect(m.cpu.regs[0]).toBe(STACK0 - 6);
    expect(m.stack(STACK0 - 6, 3, 2)).toEqual([CODE + 2, SEL.code0, 2]);
  });

  it('an exception pushes its error code and reports the faulting instruction', () => {
    const m = machine(0);
    handler(m, Vector.GP, 0x4000, 'mov eax, [esp]\nmov ebx, [esp + 4]\nhlt');
    start(m, 'nop\nmov dx, 0x5558\nmov ds, dx');
    expect(m.run()?.reason).toBe(ExitReason.Hlt);
    expect(m.cpu.regs[0]).toBe(0x5558);
    expect(m.cpu.regs[3]).toBe(CODE + 5);
  });
});

describe('protected mode with a privilege change', () => {
  it('from ring 3: the TSS ring-0 stack gets SS, ESP, EFLAGS, CS, EIP; IRETD returns to ring 3 and nulls DS loaded with ring-0 data', () => {
    const m = machine(3);
    handler(m, 0x30, 0x4000, `mov eax, esp\nmov ebx, ss\nmov cx, ${SEL.data0}\nmov ds, cx\niretd`, T.int32, 3);
    start(m, 'int 0x30\nmov esi, esp\njmp .');
    m.run(8);
    expect(m.cpu.regs[0]).toBe(STACK0 - 20);
    expect(m.cpu.regs[3]! & 0xffff).toBe(SEL.data0);
    expect(m.stack(STACK0 - 20, 5)).toEqual([CODE + 2, SEL.code3, 2, STACK3, SEL.data3]);
    expect(m.cpu.cpl).toBe(3);
    expect(m.cpu.regs[6]).toBe(STACK3);
    expect(m.cpu.segs[Seg.CS]!.selector).toBe(SEL.code3);
    expect(m.cpu.segs[Seg.DS]).toMatchObject({ selector: 0, unusable: true });
  });

  it('INT n through a gate with DPL < CPL is #GP(vector × 8 + 2), reported at the INT instruction', () => {
    const m = machine(3);
    handler(m, 0x30, 0x4000, 'hlt', T.int32, 0);
    start(m, 'nop\nint 0x30');
    expect(faultOf(m.fault())).toEqual({ vector: GP, errorCode: 0x30 * 8 + 2 });
    expect(m.cpu.eip).toBe(CODE + 1);
  });

  it('INT3 checks the gate DPL too (#GP(3 × 8 + 2)); INT1 does not', () => {
    const m = machine(3);
    handler(m, Vector.GP, 0x4000, 'mov eax, [esp]\nmov ebx, [esp + 4]\nhlt');
    handler(m, Vector.BP, 0x4100, 'hlt');
    start(m, 'int3');
    expect(m.run()?.reason).toBe(ExitReason.Hlt);
    expect(m.cpu.regs[0]).toBe(3 * 8 + 2);
    expect(m.cpu.regs[3]).toBe(CODE);
    const n = machine(3);
    handler(n, Vector.DB, 0x4100, 'mov eax, [esp]\nhlt');
    start(n, 'int1');
    expect(n.run()?.reason).toBe(ExitReason.Hlt);
    expect(n.cpu.regs[0]).toBe(CODE + 1);
  });

  it('an external interrupt through a gate that is not present is #NP(vector × 8 + 2 + EXT), delivered in its place', () => {
    const m = machine(0);
    m.setIdt(0x40, gate(SEL.code0, 0x4000, T.int32, 0, 0, false));
    handler(m, NP, 0x4100, 'mov eax, [esp]\nhlt');
    m.cpu.eip = 0x1234;
    deliverEvent(m.ctx, { vector: 0x40, kind: EventKind.External });
    expect(m.cpu.eip).toBe(0x4100);
    expect(m.stack(STACK0 - 16, 2)).toEqual([0x40 * 8 + 3, 0x1234]);
  });

  it('a handler segment with DPL > CPL is #GP(selector + EXT)', () => {
    const m = machine(0);
    m.setIdt(0x40, gate(SEL.code3, 0x4000, T.int32, 0));
    handler(m, GP, 0x4100, 'mov eax, [esp]\nhlt');
    deliverEvent(m.ctx, { vector: 0x40, kind: EventKind.External });
    expect(m.cpu.eip).toBe(0x4100);
    expect(m.r32(STACK0 - 16)).toBe((SEL.code3 & ~3) | 1);
  });
});

describe('double and triple faults', () => {
  it('#GP while delivering #GP (gate not present: #NP) becomes #DF with error code 0, reporting the first fault\'s instruction', () => {
    const m = machine(0);
    m.setIdt(GP, gate(SEL.code0, 0x4000, T.int32, 0, 0, false));
    handler(m, Vector.DF, 0x4200, 'mov eax, [esp]\nmov ebx, [esp + 4]\nhlt');
    start(m, 'nop\nmov dx, 0x5558\nmov ds, dx');
    expect(m.run()?.reason).toBe(ExitReason.Hlt);
    expect(m.events.map((e) => e.vector)).toEqual([GP]);
    expect(m.cpu.regs[0]).toBe(0);
    expect(m.cpu.regs[3]).toBe(CODE + 5);
  });

  it('with an empty IDT an exception ends in a triple-fault VM exit', () => {
    const m = machine(0);
    m.cpu.idtrLimit = 0;
    start(m, 'ud2');
    expect(m.run()?.reason).toBe(ExitReason.TripleFault);
  });

  /** Identity paging of the first 4 MiB with the page at `hole` not present. */
  function paging(m: Machine, hole: number): void {
    const pd = 0x200000, pt = 0x201000;
    m.w32(pd, pt | 3);
    for (let p = 0; p < 1024; p++) m.w32(pt + 4 * p, p * 0x1000 === hole ? 0 : (p * 0x1000) | 7);
    m.cpu.cr3 = pd;
    m.cpu.cr0 |= CR0_PG;
    m.ctx.mmu.pagingModeChanged();
  }

  it('a page fault on the ring-0 stack while delivering INT n is delivered in its place, faults again (#DF), and the #DF faults: triple fault', () => {
    const m = machine(3);
    handler(m, 0x30, 0x4000, 'hlt', T.int32, 3);
    handler(m, Vector.PF, 0x4100, 'hlt');
    handler(m, Vector.DF, 0x4200, 'hlt');
    paging(m, STACK0 - 0x1000);
    start(m, 'int 0x30');
    const exit = m.run();
    expect(exit?.reason).toBe(ExitReason.TripleFault);
    expect(m.cpu.cr2).toBe(STACK0 - 4);
    expect(m.cpu.cpl).toBe(3);
  });

  it('a page fault while delivering a contributory exception is delivered serially', () => {
    const m = machine(0);
    // The #GP handler's code descriptor lies in a page that is not present.
    m.cpu.gdtrLimit = 0xffff;
    const sel = 0x3000;
    m.setIdt(GP, gate(sel, 0x4000, T.int32, 0));
    handler(m, Vector.PF, 0x4100, 'mov eax, [esp]\nmov ebx, [esp + 4]\nhlt');
    paging(m, 0x13000);
    start(m, 'mov dx, 0x5558\nmov ds, dx');
    expect(m.run()?.reason).toBe(ExitReason.Hlt);
    expect(m.cpu.regs[0]).toBe(0); // supervisor read of a page not present
    expect(m.cpu.regs[3]).toBe(CODE + 4);
    expect(m.cpu.cr2).toBe(0x13000);
  });
});

describe('virtual-8086 mode', () => {
  /** Enter v86 mode at 0x2000:0x0010 (linear 0x20010) by IRETD from ring 0, with `iopl`. */
  function v86(iopl: number, code: string): Machine {
    const m = machine(0);
    m.load(0x20010, asm(code, 16, 0x10));
    const frame = [0x0010, 0x2000, VM | (iopl << 12) | 2, 0x0ffe, 0x3000, 0x4000, 0x5000, 0x6000, 0x7000];
    frame.forEach((v, k) => m.w32(STACK0 - 36 + 4 * k, v));
    m.cpu.regs[4] = STACK0 - 36;
    start(m, 'iretd');
    return m;
  }

  it('IRETD from CPL 0 with VM set enters v86 mode with every segment register at selector × 16 and CPL 3', () => {
    const m = v86(3, 'nop');
    m.run(1);
    const cpu = m.cpu;
    expect(cpu.mode.v86).toBe(true);
    expect(cpu.cpl).toBe(3);
    expect(cpu.eip).toBe(0x10);
    expect(cpu.regs[4]).toBe(0x0ffe);
    expect(cpu.segs.map((s) => s.selector)).toEqual([0x4000, 0x2000, 0x3000, 0x5000, 0x6000, 0x7000]);
    expect(cpu.segs[Seg.CS]).toMatchObject({ base: 0x20000, limit: 0xffff, access: 0xf3, big: false });
    expect(m.stack(STACK0 - 36, 1)).toEqual([0x10]);
  });

  it('INT n with IOPL 3 goes to the ring-0 handler: GS, FS, DS, ES, SS, ESP, EFLAGS, CS, EIP pushed, data segments null, VM clear; IRETD returns to v86', () => {
    const m = v86(3, 'int 0x30\nmov bx, sp\nmov cx, ds\nhlt');
    handler(m, 0x30, 0x4000, 'mov eax, esp\nmov esi, ds\npushfd\npop edi\niretd', T.int32, 3);
    m.run(9); // IRETD into v86, INT, four handler instructions, IRETD, two v86 instructions
    const cpu = m.cpu;
    expect(cpu.regs[0]).toBe(STACK0 - 36);
    expect(m.stack(STACK0 - 36, 9)).toEqual([0x12, 0x2000, VM | IOPL3 | 2, 0x0ffe, 0x3000, 0x4000, 0x5000, 0x6000, 0x7000]);
    expect(cpu.regs[6]! & 0xffff).toBe(0);
    expect(cpu.regs[7]! & VM).toBe(0);
    // Back in v86 mode after the IRETD.
    expect(cpu.mode.v86).toBe(true);
    expect(cpu.regs[3]! & 0xffff).toBe(0x0ffe);
    expect(cpu.regs[1]! & 0xffff).toBe(0x5000);
    expect(cpu.segs[Seg.CS]!.selector).toBe(0x2000);
  });

  it('INT n with IOPL < 3 is #GP(0) to the monitor, reported at the INT instruction; INT3 goes through its gate', () => {
    const m = v86(0, 'int 0x30');
    handler(m, GP, 0x4000, 'mov eax, [esp]\nmov ebx, [esp + 4]\nmov ecx, [esp + 12]\nhlt');
    expect(m.run()?.reason).toBe(ExitReason.Hlt);
    expect(m.cpu.regs[0]).toBe(0);
    expect(m.cpu.regs[3]).toBe(0x10);
    expect(m.cpu.regs[1]! & VM).toBe(VM);
    const n = v86(0, 'int3');
    handler(n, Vector.BP, 0x4000, 'mov eax, [esp]\nhlt', T.int32, 3);
    expect(n.run()?.reason).toBe(ExitReason.Hlt);
    expect(n.cpu.regs[0]).toBe(0x11);
  });

  it.each(['cli', 'sti', 'pushf', 'popf', 'iret'])('%s with IOPL < 3 is #GP(0)', (insn) => {
    const m = v86(1, insn);
    m.run(1);
    expect(faultOf(m.fault())).toEqual({ vector: GP, errorCode: 0 });
    expect(m.cpu.eip).toBe(0x10);
  });

  it('IRET within v86 mode with IOPL 3 pops IP, CS, FLAGS and keeps IOPL', () => {
    const m = v86(3, 'push 0x0202\npush 0x2100\npush 0x20\niret');
    m.load(0x21020, asm('hlt', 16));
    m.run(5);
    expect(m.cpu.segs[Seg.CS]).toMatchObject({ selector: 0x2100, base: 0x21000 });
    expect(m.cpu.eip).toBe(0x20);
    expect(m.cpu.flags & (IF | IOPL3 | VM)).toBe(IF | IOPL3 | VM);
  });

  it('a handler that is not ring 0 is #GP(selector + EXT) from v86 mode', () => {
    const m = v86(3, 'int 0x30');
    m.setGdt(16, seg(0, 0xfffff, ACC.code(0, 0xf), 0xc));
    m.setIdt(0x30, gate(SEL.free(0), 0x4000, T.int32, 3));
    handler(m, GP, 0x4100, 'mov eax, [esp]\nhlt');
    expect(m.run()?.reason).toBe(ExitReason.Hlt);
    expect(m.cpu.regs[0]).toBe(SEL.free(0));
  });
});

describe('IRET flag rules', () => {
  it('at CPL 3 with IOPL 0, IRETD changes neither IF nor IOPL; at CPL 0 both change', () => {
    const m = machine(3);
    m.w32(STACK3 - 12, CODE + 16);
    m.w32(STACK3 - 8, SEL.code3);
    m.w32(STACK3 - 4, IF | IOPL3 | NT * 0 | 0x8d5 | 2);
    m.cpu.regs[4] = STACK3 - 12;
    start(m, 'iretd\n.org 16\njmp .');
    m.run(1);
    expect(m.cpu.flags & (IF | IOPL3)).toBe(0);
    expect(m.cpu.flags & 0x8d5).toBe(0x8d5);
    const k = machine(0);
    k.w32(STACK0 - 12, CODE + 16);
    k.w32(STACK0 - 8, SEL.code0);
    k.w32(STACK0 - 4, IF | IOPL3 | 2);
    k.cpu.regs[4] = STACK0 - 12;
    start(k, 'iretd\n.org 16\nhlt');
    k.run(1);
    expect(k.cpu.flags & (IF | IOPL3)).toBe(IF | IOPL3);
  });

  it('at CPL 3 with IOPL 3, IF changes but IOPL does not; VM is ignored', () => {
    const m = machine(3);
    m.cpu.flags |= IOPL3;
    m.w32(STACK3 - 12, CODE + 16);
    m.w32(STACK3 - 8, SEL.code3);
    m.w32(STACK3 - 4, IF | VM | 2);
    m.cpu.regs[4] = STACK3 - 12;
    start(m, 'iretd\n.org 16\njmp .');
    m.run(1);
    expect(m.cpu.flags & (IF | IOPL3 | VM)).toBe(IF | IOPL3);
    expect(m.cpu.mode.v86).toBe(false);
  });
});
