/**
 * Debug exceptions at the vCPU (SDM vol. 3, 17.3.1.1 and 17.3.1.4; vol.
 * 3C, 27.1 and 27.2.2): the single-step trap of EFLAGS.TF in every tier
 * (translated code never runs while TF is 1), MOV SS holding it back for
 * one instruction, faults and INT n taking its place, RF (pushed as 1 by
 * faults, cleared once an instruction completes, loaded by IRET), the #DB
 * exit with its DR6-like qualification and DR6 left alone, and INT1 as a
 * privileged software exception the exception bitmap sees.
 *
 *   npx vitest run test/vmx/debug.test.ts
 */
import { describe, expect, it } from 'vitest';
import { ExitReason } from '../../runtime/exit-reason.js';
import { GuestFault, Vector } from '../../runtime/exceptions.js';
import { eventOfFault } from '../../runtime/system/events.js';
import { EventKind } from '../../runtime/system/event-types.js';
import { Reg } from '../../translator/table/types.js';
import { CODE, handlerVector, SEL, stack, vmxMachine } from './harness.js';

const TF = 0x100;
const RF = 0x10000;
const DR6_BS = 0x4000;
const DR6_INIT = 0xffff0ff0;

/** Set TF with POPF; the instruction after the POPF is the first to trap. */
const SET_TF = 'pushf; orl $0x100, (%esp); popf';
/** SET_TF (9 bytes) placed so that the instruction after its POPF is at CODE + 20h. */
const SET_TF_BEFORE_20H = `.org 0x17, 0x90\n ${SET_TF}`;

/**
 * A loop hot enough to be translated, then TF set and a jump back into the
 * translated loop: the #DB comes after that JMP, at its target.
 */
const HOT_LOOP_THEN_STEP = `
  xor %eax, %eax
  mov $5000, %ecx
  xor %edx, %edx
  .org 0x10, 0x90
1:
  add %ecx, %eax
  dec %ecx
  jnz 1b
  test %edx, %edx
  jnz 2f
  inc %edx
  mov $3, %ecx
  ${SET_TF}
  jmp 1b
2:
  hlt`;

describe('the single-step trap (EFLAGS.TF)', () => {
  for (const tier of ['interpreter', 'jit-eager', 'jit-hot']) {
    it(`${tier}: traps after the first instruction that began with TF = 1, at the branch target, with DR6.BS`, () => {
      const m = vmxMachine(HOT_LOOP_THEN_STEP, { tier });
      m.vcpu.run(100_000);
      expect(handlerVector(m)).toBe(Vector.DB);
      // EIP, CS, EFLAGS: the JMP's target; TF = 1 and RF = 0 in the image (a trap).
      const [eip, cs, flags] = stack(m, 3);
      expect([eip, cs]).toEqual([CODE + 0x10, SEL.code]);
      expect(flags! & (TF | RF)).toBe(TF);
      // Nothing of the loop ran after the JMP.
      expect(m.cpu.regs[Reg.EAX]).toBe(12502500);
      expect(m.cpu.regs[Reg.ECX]).toBe(3);
      expect(m.cpu.dr[6]! & DR6_BS).toBe(DR6_BS);
      // The handler runs with TF clear (it reached its HLT without trapping).
      expect(m.cpu.flags & TF).toBe(0);
      if (tier !== 'interpreter') expect(m.jit!.stats.compiles).toBeGreaterThan(0);
    });
  }

  it('POPF that clears TF still traps (TF was 1 as it began)', () => {
    const m = vmxMachine('.org 0x20, 0x90\n popf\n nop\n hlt');
    // The POPF pops EFLAGS with TF = 0 while TF is 1.
    m.cpu.regs[Reg.ESP] = m.cpu.regs[Reg.ESP]! - 4;
    m.mem.write32(m.cpu.regs[Reg.ESP]!, 0x2);
    m.cpu.eip = CODE + 0x20;
    m.cpu.flags |= TF;
    m.vcpu.run(1000);
    expect(handlerVector(m)).toBe(Vector.DB);
    expect(stack(m, 1)).toEqual([CODE + 0x21]);
  });

  it('MOV SS holds the trap back for one instruction: it comes after the next one', () => {
    const m = vmxMachine(`mov $${SEL.data}, %eax\n ${SET_TF_BEFORE_20H}\n mov %eax, %ss\n nop\n nop`);
    m.vcpu.run(1000);
    expect(handlerVector(m)).toBe(Vector.DB);
    // MOV SS is 2 bytes at 20h; the NOP at 22h completes; the #DB reports 23h.
    expect(stack(m, 1)).toEqual([CODE + 0x23]);
  });

  it('an instruction that faults gets its fault, not the #DB (RF = 1 in its image)', () => {
    const m = vmxMachine(`${SET_TF_BEFORE_20H}\n ud2`);
    m.vcpu.run(1000);
    expect(handlerVector(m)).toBe(Vector.UD);
    const [eip, , flags] = stack(m, 3);
    expect(eip).toBe(CODE + 0x20);
    expect(flags! & (TF | RF)).toBe(TF | RF);
    expect(m.cpu.dr[6]! >>> 0).toBe(DR6_INIT);
  });

  it('INT n: no trap after it; its handler runs with TF clear and the frame holds TF = 1, RF = 0', () => {
    const m = vmxMachine(`${SET_TF_BEFORE_20H}\n int $0x40`);
    m.vcpu.run(1000);
    expect(handlerVector(m)).toBe(0x40);
    const [eip, , flags] = stack(m, 3);
    expect(eip).toBe(CODE + 0x22);
    expect(flags! & (TF | RF)).toBe(TF);
    expect(m.cpu.dr[6]! >>> 0).toBe(DR6_INIT);
  });

  it('the #DB exits with the exception bitmap: qualification BS, DR6 untouched, then delivered with DR6.BS', () => {
    const m = vmxMachine(`${SET_TF_BEFORE_20H}\n nop\n nop`);
    m.vcpu.vmcs.exceptionBitmap = 1 << Vector.DB;
    m.vcpu.takeExits(ExitReason.ExceptionOrNmi);
    const e = m.vcpu.run(1000);
    expect(e.reason).toBe(ExitReason.ExceptionOrNmi);
    // Hardware exception (type 3), vector 1, no error code; the qualification holds BS (table 27-1).
    expect(e.info).toMatchObject({ qualification: DR6_BS, interruptionInfo: 0x80000301 | 0, instructionLength: 0 });
    expect(m.cpu.eip).toBe(CODE + 0x21);
    expect(m.cpu.dr[6]! >>> 0).toBe(DR6_INIT);
    m.vcpu.completeByDefault();
    m.vcpu.run(1000);
    expect(handlerVector(m)).toBe(Vector.DB);
    expect(stack(m, 1)).toEqual([CODE + 0x21]);
    expect(m.cpu.dr[6]! & DR6_BS).toBe(DR6_BS);
  });
});

describe('RF (vol. 3, 17.3.1.1)', () => {
  it('is cleared once the next instruction completes; IRET loads it from its image', () => {
    const m = vmxMachine('nop; nop; iret; nop; nop');
    const interp = m.interpreter;
    m.cpu.flags |= RF;
    expect(interp.stepExit()).toBeNull();
    expect(m.cpu.flags & RF).toBe(0);
    // IRET to the NOP after it with RF = 1 in the image: RF is 1 after the IRET, 0 after the NOP.
    const esp = m.cpu.regs[Reg.ESP]! - 12;
    m.mem.write32(esp, CODE + 3);
    m.mem.write32(esp + 4, SEL.code);
    m.mem.write32(esp + 8, RF | 2);
    m.cpu.regs[Reg.ESP] = esp;
    m.cpu.eip = CODE + 2;
    expect(interp.stepExit()).toBeNull();
    expect(m.cpu.eip).toBe(CODE + 3);
    expect(m.cpu.flags & RF).toBe(RF);
    expect(interp.stepExit()).toBeNull();
    expect(m.cpu.flags & RF).toBe(0);
  });

  it('a fault pushes RF = 1; a trap (INT3) and an external event push RF as it is', () => {
    const m = vmxMachine('int3');
    m.vcpu.run(1000);
    expect(handlerVector(m)).toBe(Vector.BP);
    expect(stack(m, 3)[2]! & RF).toBe(0);
  });
});

describe('INT1 (ICEBP): a privileged software exception', () => {
  it('is the event of a trap-class #DB raised by its instruction; debug conditions are hardware exceptions', () => {
    expect(eventOfFault(new GuestFault(Vector.DB, 0, 0, true))).toEqual({ vector: Vector.DB, kind: EventKind.PrivilegedSoftwareException });
    expect(eventOfFault(new GuestFault(Vector.DB))).toEqual({ vector: Vector.DB, kind: EventKind.HardwareException });
  });

  it('is delivered through the IDT with EIP past it, DR6 untouched', () => {
    const m = vmxMachine('nop\n .byte 0xf1\n nop');
    m.vcpu.run(1000);
    expect(handlerVector(m)).toBe(Vector.DB);
    expect(stack(m, 1)).toEqual([CODE + 2]);
    expect(m.cpu.dr[6]! >>> 0).toBe(DR6_INIT);
  });

  it('exits with the exception bitmap: type 5, length 1, EIP at it, qualification 0; handed back, it is delivered', () => {
    const m = vmxMachine('nop\n .byte 0xf1\n nop');
    m.vcpu.vmcs.exceptionBitmap = 1 << Vector.DB;
    m.vcpu.takeExits(ExitReason.ExceptionOrNmi);
    const e = m.vcpu.run(1000);
    expect(e.reason).toBe(ExitReason.ExceptionOrNmi);
    expect(e.info).toMatchObject({ qualification: 0, interruptionInfo: 0x80000501 | 0, instructionLength: 1, interruptionErrorCode: 0 });
    expect(m.cpu.eip).toBe(CODE + 1);
    m.vcpu.completeByDefault();
    m.vcpu.run(1000);
    expect(handlerVector(m)).toBe(Vector.DB);
    expect(stack(m, 1)).toEqual([CODE + 2]);
  });
});

describe('instruction breakpoints (DR0-DR3, DR7: vol. 3, 17.3.1.1)', () => {
  /** Hot loop, then breakpoint 2 on the loop's INC set with MOV DR (emulated after its exit), then back into the loop. */
  const HOT_LOOP_THEN_BREAKPOINT = `
    xor %ebx, %ebx
    mov $5000, %ecx
    xor %edx, %edx
    .org 0x10, 0x90
  1:
    inc %ebx
    dec %ecx
    jnz 1b
    test %edx, %edx
    jnz 2f
    inc %edx
    mov $3, %ecx
    mov $${CODE + 0x10}, %eax
    mov %eax, %dr2
    mov $0x420, %eax
    mov %eax, %dr7
    jmp 1b
  2:
    hlt`;

  for (const tier of ['interpreter', 'jit-eager', 'jit-hot']) {
    it(`${tier}: a #DB fault before the instruction, EIP at it, DR6.B2, RF pushed as it is (0)`, () => {
      const m = vmxMachine(HOT_LOOP_THEN_BREAKPOINT, { tier });
      m.vcpu.run(100_000);
      expect(handlerVector(m)).toBe(Vector.DB);
      const [eip, , flags] = stack(m, 3);
      expect(eip).toBe(CODE + 0x10);
      expect(flags! & RF).toBe(0);
      // The INC did not run again.
      expect(m.cpu.regs[Reg.EBX]).toBe(5000);
      expect(m.cpu.dr[6]! & 0xf).toBe(4);
      if (tier !== 'interpreter') expect(m.jit!.stats.compiles).toBeGreaterThan(0);
    });
  }

  it('RF = 1 lets the instruction at the breakpoint run once; the next time it hits again', () => {
    const m = vmxMachine('.org 0x10, 0x90\n 1: inc %ebx\n jmp 1b');
    m.cpu.dr[0] = CODE + 0x10;
    m.cpu.dr[7] = 0x402; // G0, execution, length 1
    m.cpu.eip = CODE + 0x10;
    m.cpu.flags |= RF;
    m.vcpu.run(1000);
    expect(handlerVector(m)).toBe(Vector.DB);
    expect(stack(m, 1)).toEqual([CODE + 0x10]);
    expect(m.cpu.regs[Reg.EBX]).toBe(1);
    expect(m.cpu.dr[6]! & 0xf).toBe(1);
  });

  it('a data breakpoint (R/W = 11) or a disabled one is no instruction breakpoint', () => {
    const m = vmxMachine('.org 0x10, 0x90\n inc %ebx\n hlt');
    m.cpu.dr[1] = CODE + 0x10;
    m.cpu.dr[3] = CODE + 0x10;
    m.cpu.dr[7] = 0x400 | (1 << 2) | (3 << 20); // L1 with R/W1 = 11; breakpoint 3 not enabled
    m.cpu.eip = CODE + 0x10;
    m.vcpu.run(1000);
    expect(handlerVector(m)).toBe(-1);
    expect(m.cpu.regs[Reg.EBX]).toBe(1);
  });
});
