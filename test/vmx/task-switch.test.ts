/**
 * Task-switch VM exits (SDM vol. 3C, 25.4.2: every task switch exits;
 * 27.2.1 table 27-2: the new TSS selector and the source in the
 * qualification; 27.2.4: the IDT-vectoring information of a switch
 * through a task gate in the IDT). The default VMM handles the exit by
 * performing the switch; an embedder that takes it gets JMP, CALL and IRET
 * switches with their instruction length, and can hand them back.
 *
 *   npx vitest run test/vmx/task-switch.test.ts
 */
import { describe, expect, it } from 'vitest';
import { ExitReason } from '../../runtime/exit-reason.js';
import { Vector } from '../../runtime/exceptions.js';
import { ProcControl } from '../../runtime/vmx/vmcs.js';
import type { Machine } from '../../src/machine.js';
import { CODE, descriptor, GDT, IDT, SEL, vmxMachine } from './harness.js';

/** A second TSS (GDT index 6), available, whose task starts at CODE + 40h. */
const NEW_TSS = 0x5000;
const NEW_TSS_SEL = 0x30;
const NEW_TASK_EIP = CODE + 0x40;

/** The qualification of table 27-2: selector (15:0), source (31:30: 0 CALL, 1 IRET, 2 JMP, 3 IDT task gate). */
const qualification = (selector: number, source: number): number => (selector | (source << 30)) >>> 0;

/** Also turns HLT exiting off, so that the task switch is the last exit the VMCS records. */
function withSecondTask(m: Machine): void {
  m.vcpu.vmcs.procControls &= ~ProcControl.HltExiting;
  const [lo, hi] = descriptor(NEW_TSS, 0x67, 0x89, 0);
  m.mem.write32(GDT + 8 * 6, lo);
  m.mem.write32(GDT + 8 * 6 + 4, hi);
  m.cpu.gdtrLimit = 7 * 8 - 1;
  const w32 = (off: number, v: number): void => m.mem.write32(NEW_TSS + off, v);
  w32(0x20, NEW_TASK_EIP);
  w32(0x24, 0x2);
  w32(0x38, 0x60000); // ESP
  [SEL.data, SEL.code, SEL.data, SEL.data, SEL.data, SEL.data].forEach((s, k) => w32(0x48 + 4 * k, s));
  w32(0x60, 0); // no LDT
  w32(0x64, 0x68 << 16); // T = 0, no I/O bitmap
}

/** A task gate (DPL 3) to the second TSS at IDT vector `v`. */
function taskGate(m: Machine, v: number): void {
  m.mem.write32(IDT + 8 * v, NEW_TSS_SEL << 16);
  m.mem.write32(IDT + 8 * v + 4, 0xe500);
}

const exitCount = (m: Machine): number => m.vcpu.stats.countsByReason().get(ExitReason.TaskSwitch) ?? 0;
const busy = (m: Machine, index: number): boolean => (m.mem.read32(GDT + 8 * index + 4) & 0x200) !== 0;

describe('task-switch exits (reason 9)', () => {
  it('JMP to a TSS exits and the default VMM performs the switch', () => {
    const m = vmxMachine('ljmp $0x30, $0\n .org 0x40, 0x90\n hlt');
    withSecondTask(m);
    m.cpu.dr[7] = 0x40f; // L0 G0 L1 G1 (data breakpoints: they do not hold the tier back)
    m.cpu.dr[7] |= (1 << 16) | (1 << 20);
    m.vcpu.run(1000);
    expect(m.cpu.halted).toBe(true);
    expect(m.cpu.eip).toBe(NEW_TASK_EIP + 1);
    // A task switch clears the local breakpoint enables L0-L3 (vol. 3, 17.2.4).
    expect(m.cpu.dr[7]! & 0xff).toBe(0x0a);
    expect(m.cpu.tr.selector).toBe(NEW_TSS_SEL);
    expect(busy(m, 6)).toBe(true);
    expect(busy(m, 5)).toBe(false);
    const vmcs = m.vcpu.vmcs;
    expect(vmcs.exitReason).toBe(ExitReason.TaskSwitch);
    expect(vmcs.exitQualification >>> 0).toBe(qualification(NEW_TSS_SEL, 2));
    // EA cd (ptr16:32): 7 bytes.
    expect(vmcs.exitInstructionLength).toBe(7);
    expect(vmcs.idtVectoringInfo).toBe(0);
    expect(exitCount(m)).toBe(1);
  });

  it('taken by the embedder: nothing of the switch has happened; handed back, the default VMM performs it once', () => {
    const m = vmxMachine('ljmp $0x30, $0\n .org 0x40, 0x90\n hlt');
    withSecondTask(m);
    m.vcpu.takeExits(ExitReason.TaskSwitch);
    const e = m.vcpu.run(1000);
    expect(e.reason).toBe(ExitReason.TaskSwitch);
    expect(e.info).toMatchObject({ reason: ExitReason.TaskSwitch, qualification: qualification(NEW_TSS_SEL, 2) | 0, instructionLength: 7 });
    expect(m.cpu.eip).toBe(CODE);
    expect(m.cpu.tr.selector).toBe(SEL.tss);
    expect(busy(m, 6)).toBe(false);
    expect(busy(m, 5)).toBe(true);
    m.vcpu.completeByDefault();
    m.vcpu.run(1000);
    expect(m.cpu.halted).toBe(true);
    expect(m.cpu.tr.selector).toBe(NEW_TSS_SEL);
    expect(exitCount(m)).toBe(1);
  });

  it('taken and not completed, the instruction exits again; skipped, it is over', () => {
    const m = vmxMachine('ljmp $0x30, $0\n hlt\n .org 0x40, 0x90\n hlt');
    withSecondTask(m);
    m.vcpu.takeExits(ExitReason.TaskSwitch);
    expect(m.vcpu.run(1000).reason).toBe(ExitReason.TaskSwitch);
    expect(m.vcpu.run(1000).reason).toBe(ExitReason.TaskSwitch);
    expect(exitCount(m)).toBe(2);
    m.vcpu.skipInstruction();
    m.vcpu.run(1000);
    expect(m.cpu.eip).toBe(CODE + 8);
    expect(m.cpu.tr.selector).toBe(SEL.tss);
  });

  it('CALL exits with source 0, the IRET back (NT) with source 1 and the old TSS selector', () => {
    const m = vmxMachine('lcall $0x30, $0\n hlt\n .org 0x40, 0x90\n iret');
    withSecondTask(m);
    m.vcpu.run(1000);
    expect(m.cpu.halted).toBe(true);
    expect(m.cpu.eip).toBe(CODE + 8);
    expect(m.cpu.tr.selector).toBe(SEL.tss);
    expect(exitCount(m)).toBe(2);
    expect(m.vcpu.vmcs.exitQualification >>> 0).toBe(qualification(SEL.tss, 1));
    expect(m.vcpu.vmcs.exitInstructionLength).toBe(1);
  });

  it('INT n through a task gate in the IDT: source 3, the software interrupt in the IDT-vectoring information, its length', () => {
    const m = vmxMachine('int $0x41\n .org 0x40, 0x90\n hlt');
    withSecondTask(m);
    taskGate(m, 0x41);
    // Switches through the IDT stay the default VMM's even when the embedder takes task switches.
    m.vcpu.takeExits(ExitReason.TaskSwitch);
    m.vcpu.run(1000);
    expect(m.cpu.halted).toBe(true);
    expect(m.cpu.tr.selector).toBe(NEW_TSS_SEL);
    const vmcs = m.vcpu.vmcs;
    expect(vmcs.exitReason).toBe(ExitReason.TaskSwitch);
    expect(vmcs.exitQualification >>> 0).toBe(qualification(NEW_TSS_SEL, 3));
    // Valid, type 4 (software interrupt), vector 41h.
    expect(vmcs.idtVectoringInfo >>> 0).toBe(0x80000441);
    expect(vmcs.exitInstructionLength).toBe(2);
  });

  it('an exception through a task gate: a hardware exception in the IDT-vectoring information, with its error code', () => {
    const m = vmxMachine('mov $0x1000, %eax\n mov %eax, %ds\n .org 0x40, 0x90\n hlt');
    withSecondTask(m);
    taskGate(m, Vector.GP);
    m.vcpu.run(1000);
    expect(m.cpu.halted).toBe(true);
    expect(m.cpu.tr.selector).toBe(NEW_TSS_SEL);
    const vmcs = m.vcpu.vmcs;
    expect(vmcs.exitQualification >>> 0).toBe(qualification(NEW_TSS_SEL, 3));
    // Valid, error code valid, type 3, vector 13; #GP(1000h) for the selector past the GDT limit.
    expect(vmcs.idtVectoringInfo >>> 0).toBe(0x80000b0d);
    expect(vmcs.idtVectoringErrorCode).toBe(0x1000);
    expect(vmcs.exitInstructionLength).toBe(0);
    // The error code was pushed on the new task's stack.
    expect(m.mem.read32(m.cpu.regs[4]!)).toBe(0x1000);
  });
});
