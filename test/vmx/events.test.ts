/**
 * Events at the vCPU loop (SDM vol. 3C, 25.2, 26.5-26.6, 27.2.2): the
 * exception bitmap with the #PF error-code mask and match, the exit
 * interruption information, event injection at VM entry, interrupt-window
 * exits, external interrupts (direct delivery, and external-interrupt
 * exiting with and without acknowledge-on-exit), blocking by STI and by
 * MOV SS for exactly one instruction, HLT woken by an interrupt, and the
 * triple-fault exit.
 *
 *   npx vitest run test/vmx/events.test.ts
 */
import { describe, expect, it } from 'vitest';
import { ExitReason } from '../../runtime/exit-reason.js';
import { EventKind } from '../../runtime/system/event-types.js';
import { ExitControl, PinControl, ProcControl } from '../../runtime/vmx/vmcs.js';
import { Reg } from '../../translator/table/types.js';
import type { Machine } from '../../src/machine.js';
import { CODE, DATA, handlerVector, identityPaging, stack, vmxMachine } from './harness.js';

const IF = 0x200;

/** An interrupt controller the tests drive: a queue of vectors behind INTR. */
class TestPic {
  readonly queue: number[] = [];
  acks = 0;
  pending(): boolean { return this.queue.length > 0; }
  acknowledge(): number {
    this.acks++;
    return this.queue.shift() ?? 0x27; // a spurious IRQ 7 when nothing is left, as an 8259A gives
  }
}

function withPic(m: Machine): TestPic {
  const pic = new TestPic();
  m.vcpu.interrupts = pic;
  return pic;
}

describe('the exception bitmap (25.2) and exception exits (27.2.2)', () => {
  it('an exception whose bit is clear is delivered through the IDT', () => {
    const m = vmxMachine('nop; ud2');
    m.vcpu.run();
    expect(handlerVector(m)).toBe(6);
    // A fault pushes RF = 1 (vol. 3, 17.3.1.1).
    expect(stack(m, 3)).toEqual([CODE + 1, 0x08, 0x10002]);
    expect(m.vcpu.stats.countsByReason().get(ExitReason.ExceptionOrNmi)).toBeUndefined();
  });

  it('#UD with its bit set exits: vector 6, type 3 (hardware exception), no error code, EIP at the instruction', () => {
    const m = vmxMachine('nop; ud2');
    m.vcpu.vmcs.exceptionBitmap = 1 << 6;
    m.vcpu.takeExits(ExitReason.ExceptionOrNmi);
    const e = m.vcpu.run();
    expect(e.info).toMatchObject({ reason: 0, qualification: 0, interruptionInfo: 0x80000306 | 0, interruptionErrorCode: 0, instructionLength: 0 });
    expect(e.fault?.vector).toBe(6);
    expect(m.cpu.eip).toBe(CODE + 1);
    expect(m.vcpu.vmcs.exitInterruptionInfo >>> 0).toBe(0x80000306);
    // Handed back to the default VMM, the exception goes to the guest.
    m.vcpu.completeByDefault();
    m.vcpu.run();
    expect(handlerVector(m)).toBe(6);
  });

  it('#GP reports its error code (bit 11 of the interruption information)', () => {
    const m = vmxMachine('mov $0x13, %ax; mov %ax, %ds');
    m.vcpu.vmcs.exceptionBitmap = 1 << 13;
    m.vcpu.takeExits(ExitReason.ExceptionOrNmi);
    // Selector 13h: RPL 3 for a DPL-0 data segment: #GP(10h).
    expect(m.vcpu.run().info).toMatchObject({ interruptionInfo: 0x80000b0d | 0, interruptionErrorCode: 0x10 });
  });

  it('INT3 exits as a software exception (type 6) with length 1 and EIP at the INT3; reflected, it returns past it', () => {
    const m = vmxMachine('nop; int3; hlt');
    m.vcpu.vmcs.exceptionBitmap = 1 << 3;
    m.vcpu.takeExits(ExitReason.ExceptionOrNmi);
    const e = m.vcpu.run();
    expect(e.info).toMatchObject({ interruptionInfo: 0x80000603 | 0, instructionLength: 1 });
    expect(m.cpu.eip).toBe(CODE + 1);
    m.vcpu.completeByDefault();
    m.vcpu.run();
    expect(handlerVector(m)).toBe(3);
    expect(stack(m, 1)).toEqual([CODE + 2]);
  });

  it('the default VMM reflects exits it is not asked to return, counting them', () => {
    const m = vmxMachine('nop; int3; hlt');
    m.vcpu.vmcs.exceptionBitmap = 1 << 3;
    m.vcpu.run();
    expect(handlerVector(m)).toBe(3);
    expect(stack(m, 1)).toEqual([CODE + 2]);
    expect(m.vcpu.stats.countsByReason().get(ExitReason.ExceptionOrNmi)).toBe(1);
  });

  it('#PF with bit 14 set exits iff PFEC & mask == match; the exit leaves CR2 alone and reports the address', () => {
    const m = vmxMachine(`
      movl $1, ${DATA}
      mov ${DATA + 0x1000}, %eax
      hlt`);
    identityPaging(m, DATA, DATA + 0x1000);
    m.cpu.cr2 = 0xdead000;
    const vmcs = m.vcpu.vmcs;
    vmcs.exceptionBitmap = 1 << 14;
    vmcs.pageFaultErrorCodeMask = 2; // W/R
    vmcs.pageFaultErrorCodeMatch = 2;
    m.vcpu.takeExits(ExitReason.ExceptionOrNmi);
    // The write to the read-only page: error code P | W = 3, which matches.
    const e = m.vcpu.run();
    expect(e.info).toMatchObject({ qualification: DATA, interruptionInfo: 0x80000b0e | 0, interruptionErrorCode: 3 });
    expect(m.cpu.cr2).toBe(0xdead000);
    expect(m.cpu.eip).toBe(CODE);
    // Let the guest have the page: the read of the absent page (error code 0) does not match, so it is delivered.
    m.mem.write32(0x11000 + 4 * (DATA >>> 12), DATA | 3);
    m.interpreter.mmu.flush();
    m.vcpu.run();
    expect(handlerVector(m)).toBe(14);
    expect(m.cpu.cr2).toBe(DATA + 0x1000);
    expect(stack(m, 2)).toEqual([0, CODE + 10]);
  });

  it('#PF with bit 14 clear exits iff PFEC & mask != match', () => {
    const m = vmxMachine(`
      movl $1, ${DATA}
      mov ${DATA + 0x1000}, %eax
      hlt`);
    identityPaging(m, DATA, DATA + 0x1000);
    const vmcs = m.vcpu.vmcs;
    vmcs.pageFaultErrorCodeMask = 2;
    vmcs.pageFaultErrorCodeMatch = 2;
    m.vcpu.takeExits(ExitReason.ExceptionOrNmi);
    // The write fault matches: delivered.
    m.vcpu.run();
    expect(handlerVector(m)).toBe(14);
    expect(stack(m, 2)).toEqual([3, CODE]);
    // Restart at the read: its error code 0 does not match, so it exits.
    const n = vmxMachine(`mov ${DATA + 0x1000}, %eax; hlt`);
    identityPaging(n, DATA, DATA + 0x1000);
    n.vcpu.vmcs.pageFaultErrorCodeMask = 2;
    n.vcpu.vmcs.pageFaultErrorCodeMatch = 2;
    n.vcpu.takeExits(ExitReason.ExceptionOrNmi);
    expect(n.vcpu.run().info).toMatchObject({ qualification: DATA + 0x1000, interruptionErrorCode: 0 });
  });
});

describe('event injection at VM entry (26.5)', () => {
  it('injects a hardware exception with its error code before the first instruction', () => {
    const m = vmxMachine('nop; nop; hlt');
    m.vcpu.vmcs.injectEvent({ vector: 13, kind: EventKind.HardwareException, errorCode: 0x1234 });
    expect(m.vcpu.vmcs.entryInterruptionInfo >>> 0).toBe(0x80000b0d);
    m.vcpu.run();
    expect(handlerVector(m)).toBe(13);
    // Injection pushes RF as it is, even for a fault-class exception (26.5.1.1).
    expect(stack(m, 4)).toEqual([0x1234, CODE, 0x08, 2]);
    expect(m.vcpu.vmcs.entryInterruptionInfo >>> 31).toBe(0);
  });

  it('a software interrupt returns to EIP + the VM-entry instruction length', () => {
    const m = vmxMachine('nop; nop; hlt');
    m.vcpu.vmcs.injectEvent({ vector: 0x80, kind: EventKind.SoftwareInterrupt }, 2);
    m.vcpu.run();
    expect(handlerVector(m)).toBe(0x80);
    expect(stack(m, 1)).toEqual([CODE + 2]);
  });

  it('an external interrupt is injected whatever IF says, and wakes a halted vCPU', () => {
    const m = vmxMachine('cli; hlt; hlt');
    expect(m.vcpu.run()).toEqual({ reason: ExitReason.Hlt });
    m.vcpu.vmcs.injectEvent({ vector: 0x31, kind: EventKind.External });
    m.vcpu.run();
    expect(handlerVector(m)).toBe(0x31);
    expect(stack(m, 1)).toEqual([CODE + 2]);
  });

  it('an invalid interruption type is refused', () => {
    const m = vmxMachine('hlt');
    m.vcpu.vmcs.entryInterruptionInfo = (1 << 31) | (1 << 8) | 5;
    expect(() => m.vcpu.run()).toThrow(/invalid VM-entry interruption information/);
  });
});

describe('blocking by STI and MOV SS, interrupt windows and external interrupts', () => {
  // cli; nop; sti; nop (under the STI shadow); nop (the first open boundary is before this one); hlt
  const stiSource = 'cli; nop; sti; nop; nop; hlt';

  it('STI sets blocking only when IF was clear', () => {
    const m = vmxMachine('sti; sti');
    m.vcpu.run(1);
    expect(m.cpu.interruptShadow).toBe(1);
    m.vcpu.run(1);
    expect(m.cpu.interruptShadow).toBe(0);
  });

  it('an interrupt pending while IF = 0 is delivered one instruction after STI', () => {
    const m = vmxMachine(stiSource);
    const pic = withPic(m);
    pic.queue.push(0x40);
    m.vcpu.run();
    expect(handlerVector(m)).toBe(0x40);
    expect(stack(m, 3)).toEqual([CODE + 4, 0x08, 2 | IF]);
    expect(pic.acks).toBe(1);
  });

  it('MOV SS blocks an interrupt for exactly the next instruction', () => {
    const m = vmxMachine(`
      mov $0x10, %eax
      out %al, $0x81
      mov %eax, %ss
      nop
      nop
      hlt`);
    m.cpu.flags |= IF;
    const pic = withPic(m);
    m.io.register(0x81, 1, { read: () => 0xff, write: () => {} });
    expect(m.vcpu.run(3).reason).toBe(-1); // MOV, OUT, MOV SS: the budget ends inside the shadow
    expect(m.cpu.interruptShadow).toBe(2);
    // The interrupt turns up inside the shadow (one a device raises as the OUT runs is taken right after it).
    pic.queue.push(0x41);
    m.vcpu.run();
    expect(handlerVector(m)).toBe(0x41);
    expect(stack(m, 1)).toEqual([CODE + 0xa]);
  });

  it('interrupt-window exiting exits at the first boundary with IF = 1 and no blocking', () => {
    const m = vmxMachine(stiSource);
    m.vcpu.vmcs.procControls |= ProcControl.InterruptWindowExiting;
    m.vcpu.takeExits(ExitReason.InterruptWindow);
    expect(m.vcpu.run().info).toMatchObject({ reason: ExitReason.InterruptWindow, qualification: 0 });
    expect(m.cpu.eip).toBe(CODE + 4);
    // Left set, the control exits again at once; the default VMM clears it.
    expect(m.vcpu.run().reason).toBe(ExitReason.InterruptWindow);
    m.vcpu.userExits.delete(ExitReason.InterruptWindow);
    expect(m.vcpu.run()).toEqual({ reason: ExitReason.Hlt });
    expect(m.vcpu.vmcs.procControls & ProcControl.InterruptWindowExiting).toBe(0);
  });

  it('external-interrupt exiting exits even with IF = 0; acknowledge-on-exit reports the vector', () => {
    const m = vmxMachine(stiSource);
    const pic = withPic(m);
    pic.queue.push(0x42);
    const vmcs = m.vcpu.vmcs;
    vmcs.pinControls |= PinControl.ExternalInterruptExiting;
    vmcs.exitControls |= ExitControl.AcknowledgeInterruptOnExit;
    m.vcpu.takeExits(ExitReason.ExternalInterrupt);
    const e = m.vcpu.run();
    expect(e.info).toMatchObject({ reason: ExitReason.ExternalInterrupt, interruptionInfo: 0x80000042 | 0 });
    expect(m.cpu.eip).toBe(CODE);
    expect(pic.acks).toBe(1);
    // The embedder injects it; injection ignores IF.
    vmcs.injectEvent({ vector: 0x42, kind: EventKind.External });
    m.vcpu.run();
    expect(handlerVector(m)).toBe(0x42);
    expect(stack(m, 1)).toEqual([CODE]);
  });

  it('without acknowledge-on-exit the interrupt stays pending; the default VMM delivers it when the guest can take it', () => {
    const m = vmxMachine(stiSource);
    const pic = withPic(m);
    pic.queue.push(0x43);
    m.vcpu.vmcs.pinControls |= PinControl.ExternalInterruptExiting;
    m.vcpu.takeExits(ExitReason.ExternalInterrupt);
    expect(m.vcpu.run().info).toMatchObject({ reason: ExitReason.ExternalInterrupt, interruptionInfo: 0 });
    expect(pic.acks).toBe(0);
    m.vcpu.userExits.delete(ExitReason.ExternalInterrupt);
    m.vcpu.run();
    expect(handlerVector(m)).toBe(0x43);
    expect(stack(m, 1)).toEqual([CODE + 4]);
    expect(pic.acks).toBe(1);
    expect(m.vcpu.stats.countsByReason().get(ExitReason.ExternalInterrupt)).toBe(2);
  });

  it('an external-interrupt exit handed back with completeByDefault() is delivered by the default VMM', () => {
    const m = vmxMachine(stiSource);
    const pic = withPic(m);
    pic.queue.push(0x46);
    m.vcpu.vmcs.pinControls |= PinControl.ExternalInterruptExiting;
    m.vcpu.vmcs.exitControls |= ExitControl.AcknowledgeInterruptOnExit;
    m.vcpu.takeExits(ExitReason.ExternalInterrupt);
    expect(m.vcpu.run().reason).toBe(ExitReason.ExternalInterrupt);
    m.vcpu.completeByDefault();
    m.vcpu.run();
    expect(handlerVector(m)).toBe(0x46);
    expect(stack(m, 1)).toEqual([CODE + 4]);
    expect(pic.acks).toBe(1);
  });

  it('an interrupt a device raises while the tier runs is taken within interruptPollInstructions', () => {
    const m = vmxMachine(`
      sti
      out %al, $0x81
    1:
      inc %ebx
      jmp 1b`);
    const pic = withPic(m);
    m.io.register(0x81, 1, { read: () => 0xff, write: () => { pic.queue.push(0x47); } });
    m.vcpu.interruptPollInstructions = 100;
    m.vcpu.run(100_000);
    expect(handlerVector(m)).toBe(0x47);
    expect(m.cpu.regs[Reg.EBX]).toBeLessThanOrEqual(100);
  });

  it('HLT with IF = 1 and nothing pending returns to the caller; an interrupt then wakes it', () => {
    const m = vmxMachine('sti; hlt; hlt');
    const pic = withPic(m);
    expect(m.vcpu.run()).toEqual({ reason: ExitReason.Hlt });
    expect(m.cpu.eip).toBe(CODE + 2);
    pic.queue.push(0x44);
    m.vcpu.run();
    expect(handlerVector(m)).toBe(0x44);
    expect(stack(m, 1)).toEqual([CODE + 2]);
  });
});

describe('triple fault (27.1, 6.15)', () => {
  it('a fault that cannot be delivered exits with reason 2, and the vCPU stays in shutdown until reset', () => {
    const m = vmxMachine('nop; ud2');
    m.cpu.idtrLimit = 0;
    const e = m.vcpu.run();
    expect(e.reason).toBe(ExitReason.TripleFault);
    expect(e.info?.reason).toBe(2);
    expect(String(e.detail)).toMatch(/^delivering #UD: #GP\(\w+\) while delivering #DF$/);
    const retired = m.interpreter.retired;
    expect(m.vcpu.run().reason).toBe(ExitReason.TripleFault);
    expect(m.interpreter.retired).toBe(retired);
    m.vcpu.reset();
    expect(m.vcpu.shutdown).toBe(false);
    expect(m.cpu.eip).toBe(0xfff0);
  });
});

describe('register state around events', () => {
  it('an interrupt delivered at a boundary keeps the registers the guest had', () => {
    const m = vmxMachine('cli; mov $0x1234, %ebx; sti; nop; nop; hlt');
    withPic(m).queue.push(0x45);
    m.vcpu.run();
    expect(handlerVector(m)).toBe(0x45);
    expect(m.cpu.regs[Reg.EBX]).toBe(0x1234);
  });
});

describe('blocking by STI across an exit the embedder takes', () => {
  // sti (IF was 0); in (the instruction under the shadow, taken); nop; hlt
  const source = 'sti; in $0x60, %al; nop; hlt';

  it('survives the exit: an interrupt waits until the IN has completed', () => {
    const m = vmxMachine(source);
    const pic = withPic(m);
    m.vcpu.takeExits(ExitReason.IoInstruction);
    const e = m.vcpu.run();
    expect(e.reason).toBe(ExitReason.IoInstruction);
    expect(m.cpu.interruptShadow).toBe(1);
    pic.queue.push(0x48);
    e.io!.data = 1;
    m.vcpu.run();
    expect(handlerVector(m)).toBe(0x48);
    expect(stack(m, 1)).toEqual([CODE + 3]);
  });

  it('ends when the embedder steps over the instruction', () => {
    const m = vmxMachine(source);
    const pic = withPic(m);
    m.vcpu.takeExits(ExitReason.IoInstruction);
    m.vcpu.run();
    m.vcpu.skipInstruction();
    expect(m.cpu.interruptShadow).toBe(0);
    pic.queue.push(0x49);
    m.vcpu.run();
    expect(handlerVector(m)).toBe(0x49);
    expect(stack(m, 1)).toEqual([CODE + 3]);
  });
});
