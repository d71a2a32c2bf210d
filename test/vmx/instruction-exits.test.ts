/**
 * Instruction exits under each VM-execution control (SDM vol. 3C, 25.1):
 * whether the instruction exits, the exit reason, qualification, length
 * and instruction information it records (27.2, tables 27-3 to 27-11),
 * and that the default VMM's emulation resumes the guest correctly. The
 * expected words are assembled by hand from the SDM's tables.
 *
 *   npx vitest run test/vmx/instruction-exits.test.ts
 */
import { describe, expect, it } from 'vitest';
import { ExitReason } from '../../runtime/exit-reason.js';
import { Reg } from '../../translator/table/types.js';
import { Seg } from '../../translator/table/types.js';
import { ProcControl, ProcControl2 } from '../../runtime/vmx/vmcs.js';
import { CODE, DATA, enterUserMode, handlerVector, stack, vmxMachine } from './harness.js';

const CR0_PE = 1, CR0_MP = 2, CR0_TS = 8, CR0_ET = 0x10;

describe('unconditional exits', () => {
  it('CPUID exits (reason 10, length 2); the embedder answers it and steps over it', () => {
    const m = vmxMachine(`
      xor %eax, %eax
      .org 0x10, 0x90
      cpuid
      mov %ebx, %esi
      hlt`);
    m.vcpu.takeExits(ExitReason.Cpuid);
    const exit = m.vcpu.run();
    expect(exit.reason).toBe(ExitReason.Cpuid);
    expect(exit.info).toMatchObject({ qualification: 0, instructionLength: 2 });
    expect(m.cpu.eip).toBe(CODE + 0x10);
    expect(m.vcpu.vmcs.exitReason).toBe(10);
    expect(m.vcpu.vmcs.exitInstructionLength).toBe(2);
    // Not completed: running again executes CPUID again, which exits again (VT-x re-executes).
    expect(m.vcpu.run().reason).toBe(ExitReason.Cpuid);
    expect(m.cpu.eip).toBe(CODE + 0x10);
    m.cpu.regs[Reg.EBX] = 0x12345678;
    m.vcpu.skipInstruction();
    expect(m.vcpu.run()).toEqual({ reason: ExitReason.Hlt });
    expect(m.cpu.regs[Reg.ESI]).toBe(0x12345678);
    expect(m.vcpu.stats.countsByReason().get(ExitReason.Cpuid)).toBe(2);
  });

  it('the default VMM answers CPUID from the CPU model and resumes', () => {
    const m = vmxMachine('xor %eax, %eax; cpuid; hlt');
    expect(m.vcpu.run()).toEqual({ reason: ExitReason.Hlt });
    expect(m.cpu.regs[Reg.EBX]).toBe(0x756e6547); // "Genu"
    expect(m.cpu.regs[Reg.EDX]).toBe(0x49656e69); // "ineI"
    expect(m.vcpu.stats.countsByReason().get(ExitReason.Cpuid)).toBe(1);
  });

  it('INVD exits (reason 13) even with no control set', () => {
    const m = vmxMachine('invd; hlt');
    m.vcpu.vmcs.procControls = 0;
    m.vcpu.takeExits(ExitReason.Invd);
    expect(m.vcpu.run().info).toMatchObject({ reason: ExitReason.Invd, instructionLength: 2 });
  });
});

describe('HLT, INVLPG, RDPMC, WBINVD exiting', () => {
  it('HLT exits before it runs with HLT exiting; without it the vCPU halts and run() returns HLT with no exit', () => {
    const m = vmxMachine('nop; hlt; nop; hlt');
    m.vcpu.takeExits(ExitReason.Hlt);
    const exit = m.vcpu.run();
    expect(exit.info).toMatchObject({ reason: ExitReason.Hlt, instructionLength: 1 });
    expect(m.cpu.eip).toBe(CODE + 1);
    expect(m.cpu.halted).toBe(false);
    m.vcpu.skipInstruction();
    m.vcpu.vmcs.procControls &= ~ProcControl.HltExiting;
    expect(m.vcpu.run()).toEqual({ reason: ExitReason.Hlt });
    expect(m.cpu.halted).toBe(true);
    expect(m.cpu.eip).toBe(CODE + 4);
    expect(m.vcpu.stats.countsByReason().get(ExitReason.Hlt)).toBe(1);
  });

  it('INVLPG reports the linear address of its operand (segment base + effective address)', () => {
    const m = vmxMachine('mov $0x5000, %eax; invlpg 0x10(%eax); hlt');
    m.cpu.setSeg(Seg.DS, { ...m.cpu.segs[Seg.DS]!, base: 0x1000 });
    m.vcpu.takeExits(ExitReason.Invlpg);
    expect(m.vcpu.run().info).toMatchObject({ reason: ExitReason.Invlpg, qualification: 0x6010, instructionLength: 4 });
    m.vcpu.completeByDefault();
    expect(m.vcpu.run()).toEqual({ reason: ExitReason.Hlt });
    m.vcpu.vmcs.procControls &= ~ProcControl.InvlpgExiting;
    expect(m.vcpu.stats.countsByReason().get(ExitReason.Invlpg)).toBe(1);
  });

  it('RDPMC exits with RDPMC exiting; run by the model (no counters) it is #GP(0)', () => {
    const m = vmxMachine('xor %ecx, %ecx; rdpmc; hlt');
    m.vcpu.takeExits(ExitReason.Rdpmc);
    expect(m.vcpu.run().info).toMatchObject({ reason: ExitReason.Rdpmc, instructionLength: 2 });
    m.vcpu.completeByDefault();
    m.vcpu.run();
    expect(handlerVector(m)).toBe(13);
    expect(stack(m, 2)).toEqual([0, CODE + 2]);
  });

  it('WBINVD exits only with the secondary control and "activate secondary controls"', () => {
    const m = vmxMachine('wbinvd; wbinvd; hlt');
    m.vcpu.takeExits(ExitReason.Wbinvd);
    expect(m.vcpu.run().info).toMatchObject({ reason: ExitReason.Wbinvd, instructionLength: 2 });
    m.vcpu.skipInstruction();
    m.vcpu.vmcs.procControls &= ~ProcControl.ActivateSecondaryControls;
    expect(m.vcpu.run()).toEqual({ reason: ExitReason.Hlt });
  });
});

describe('RDTSC exiting and TSC offsetting', () => {
  const source = 'nop; nop; nop; rdtsc; hlt';

  it('without exiting, RDTSC reads the virtual TSC (2 per retired instruction) plus the offset', () => {
    const m = vmxMachine(source);
    const vmcs = m.vcpu.vmcs;
    vmcs.procControls = (vmcs.procControls & ~ProcControl.RdtscExiting) | ProcControl.UseTscOffsetting;
    vmcs.tscOffset = 0x1_0000_0005n;
    m.vcpu.run();
    // 3 instructions retired before RDTSC: 6 + 0x100000005.
    expect([m.cpu.regs[Reg.EAX], m.cpu.regs[Reg.EDX]]).toEqual([0xb, 1]);
    expect(m.vcpu.stats.countsByReason().get(ExitReason.Rdtsc)).toBeUndefined();
  });

  it('a negative offset wraps modulo 2^64', () => {
    const m = vmxMachine(source);
    const vmcs = m.vcpu.vmcs;
    vmcs.procControls = (vmcs.procControls & ~ProcControl.RdtscExiting) | ProcControl.UseTscOffsetting;
    vmcs.tscOffset = -7n;
    m.vcpu.run();
    expect([m.cpu.regs[Reg.EAX]! >>> 0, m.cpu.regs[Reg.EDX]! >>> 0]).toEqual([0xffffffff, 0xffffffff]);
  });

  it('with exiting, RDTSC exits (reason 16); the default VMM gives the guest the offset TSC too', () => {
    const m = vmxMachine(source);
    m.vcpu.vmcs.procControls |= ProcControl.UseTscOffsetting;
    m.vcpu.vmcs.tscOffset = 100n;
    m.vcpu.takeExits(ExitReason.Rdtsc);
    expect(m.vcpu.run().info).toMatchObject({ reason: ExitReason.Rdtsc, instructionLength: 2 });
    expect(m.cpu.eip).toBe(CODE + 3);
    m.vcpu.completeByDefault();
    m.vcpu.run();
    expect(m.cpu.regs[Reg.EAX]).toBe(106);
  });

  it('with CR4.TSD at CPL 3, RDTSC is #GP(0), which has priority over the exit', () => {
    const m = vmxMachine(source);
    enterUserMode(m);
    m.cpu.cr4 |= 1 << 2;
    m.vcpu.takeExits(ExitReason.Rdtsc);
    m.vcpu.run();
    expect(handlerVector(m)).toBe(13);
    // Error code 0, the RDTSC's EIP, the user CS; the frame went to the TSS's ring-0 stack.
    expect(stack(m, 3)).toEqual([0, CODE + 3, 0x1b]);
    expect(m.vcpu.stats.countsByReason().get(ExitReason.Rdtsc)).toBeUndefined();
  });
});

describe('control-register accesses (table 27-3)', () => {
  it('MOV to CR3 exits with CR3-load exiting unless the value is a CR3-target value; MOV from CR3 with CR3-store exiting', () => {
    const src = 'mov $0x7000, %eax; mov %eax, %cr3; mov %cr3, %ebx; hlt';
    const m = vmxMachine(src);
    m.vcpu.takeExits(ExitReason.CrAccess);
    // MOV to CR3 from EAX: CR 3, access type 0, register 0.
    expect(m.vcpu.run().info).toMatchObject({ reason: ExitReason.CrAccess, qualification: 3, instructionLength: 3 });
    m.vcpu.skipInstruction();
    // MOV from CR3 to EBX: CR 3, access type 1 (bits 5:4), register 3 (bits 11:8).
    expect(m.vcpu.run().info).toMatchObject({ qualification: 0x313 });
    m.vcpu.completeByDefault();
    expect(m.vcpu.run()).toEqual({ reason: ExitReason.Hlt });
    expect(m.cpu.cr3).toBe(0); // the embedder skipped the load
    expect(m.cpu.regs[Reg.EBX]).toBe(0);

    const t = vmxMachine(src);
    t.vcpu.takeExits(ExitReason.CrAccess);
    t.vcpu.vmcs.cr3TargetValues = [0x1000, 0x7000];
    expect(t.vcpu.run().info).toMatchObject({ qualification: 0x313 });
    expect(t.cpu.cr3).toBe(0x7000);
  });

  it("the default VMM's emulation of a CR3 access leaves the CR0 read shadow alone", () => {
    const m = vmxMachine('mov $0x7000, %eax; mov %eax, %cr3; mov %cr0, %ebx; hlt');
    m.cpu.cr0 |= CR0_TS;
    m.vcpu.vmcs.cr0GuestHostMask = CR0_TS;
    m.vcpu.vmcs.cr0ReadShadow = 0;
    m.vcpu.run();
    expect(m.cpu.cr3).toBe(0x7000);
    expect(m.vcpu.vmcs.cr0ReadShadow).toBe(0);
    expect(m.cpu.regs[Reg.EBX]! & CR0_TS).toBe(0);
    expect(m.vcpu.stats.countsByReason().get(ExitReason.CrAccess)).toBe(1);
  });

  it('CR0 with a guest/host mask: reads see the shadow, writes matching it run keeping host bits, others exit', () => {
    const m = vmxMachine(`
      mov %cr0, %eax
      mov %eax, %cr0
      mov %cr0, %ecx
      smsw %edx
      or $8, %eax
      .org 0x20, 0x90
      mov %eax, %cr0
      mov %cr0, %esi
      hlt`);
    const vmcs = m.vcpu.vmcs;
    vmcs.cr0GuestHostMask = CR0_TS | CR0_MP;
    vmcs.cr0ReadShadow = CR0_MP;
    m.vcpu.takeExits(ExitReason.CrAccess);
    expect(m.cpu.cr0).toBe(CR0_PE | CR0_ET);
    const exit = m.vcpu.run();
    // The guest saw MP from the shadow; its write of MP left the real CR0 alone.
    expect(m.cpu.regs[Reg.ECX]).toBe(CR0_PE | CR0_ET | CR0_MP);
    expect(m.cpu.regs[Reg.EDX]).toBe(CR0_PE | CR0_ET | CR0_MP);
    expect(m.cpu.cr0).toBe(CR0_PE | CR0_ET);
    // Setting TS differs from the shadow: MOV to CR0 from EAX exits (CR 0, type 0, register 0).
    expect(exit.info).toMatchObject({ reason: ExitReason.CrAccess, qualification: 0, instructionLength: 3 });
    expect(m.cpu.eip).toBe(CODE + 0x20);
    // The default VMM performs the write and keeps the guest's view in the shadow.
    m.vcpu.completeByDefault();
    m.vcpu.run();
    expect(m.cpu.cr0).toBe(CR0_PE | CR0_ET | CR0_MP | CR0_TS);
    expect(vmcs.cr0ReadShadow).toBe(CR0_MP | CR0_TS);
    expect(m.cpu.regs[Reg.ESI]).toBe(CR0_PE | CR0_ET | CR0_MP | CR0_TS);
  });

  it('CLTS exits iff TS is set in both the mask and the shadow; with TS owned and the shadow clear it changes nothing', () => {
    const m = vmxMachine('clts; hlt');
    m.cpu.cr0 |= CR0_TS;
    m.vcpu.vmcs.cr0GuestHostMask = CR0_TS;
    m.vcpu.vmcs.cr0ReadShadow = CR0_TS;
    m.vcpu.takeExits(ExitReason.CrAccess);
    // CLTS: access type 2.
    expect(m.vcpu.run().info).toMatchObject({ reason: ExitReason.CrAccess, qualification: 0x20, instructionLength: 2 });
    m.vcpu.vmcs.cr0ReadShadow = 0;
    expect(m.vcpu.run()).toEqual({ reason: ExitReason.Hlt });
    expect(m.cpu.cr0 & CR0_TS).toBe(CR0_TS);
    // Unowned, CLTS clears TS.
    const u = vmxMachine('clts; hlt');
    u.cpu.cr0 |= CR0_TS;
    u.vcpu.run();
    expect(u.cpu.cr0 & CR0_TS).toBe(0);
  });

  it('LMSW exits on a host-owned bit it would change, with its source data and operand type', () => {
    const m = vmxMachine(`
      mov $1, %eax
      lmsw %ax
      mov $9, %eax
      lmsw %ax
      lmsw ${DATA}
      hlt`);
    m.mem.write16(DATA, 0x0009);
    const vmcs = m.vcpu.vmcs;
    vmcs.cr0GuestHostMask = CR0_PE | CR0_TS;
    vmcs.cr0ReadShadow = CR0_PE;
    m.vcpu.takeExits(ExitReason.CrAccess);
    // lmsw 1: PE set in source and shadow, TS clear in both: no exit. lmsw 9 sets owned TS: exit,
    // LMSW type 3, register operand, source data 9 in bits 31:16.
    expect(m.vcpu.run().info).toMatchObject({ qualification: 0x90030, guestLinearAddress: 0, instructionLength: 3 });
    m.vcpu.skipInstruction();
    // The memory form: bit 6 set, and the operand's linear address.
    expect(m.vcpu.run().info).toMatchObject({ qualification: 0x90070, guestLinearAddress: DATA, instructionLength: 7 });
    m.vcpu.skipInstruction();
    expect(m.vcpu.run().reason).toBe(ExitReason.Hlt);
    expect(m.cpu.cr0).toBe(CR0_PE | CR0_ET);
  });

  it('LMSW setting a host-owned PE the shadow has clear exits; a non-exiting LMSW keeps host-owned bits', () => {
    const m = vmxMachine('mov $0xb, %eax; lmsw %ax; hlt');
    const vmcs = m.vcpu.vmcs;
    vmcs.cr0GuestHostMask = CR0_PE;
    vmcs.cr0ReadShadow = 0;
    m.vcpu.takeExits(ExitReason.CrAccess);
    expect(m.vcpu.run().info).toMatchObject({ qualification: 0xb0030 });
    // With the shadow's PE set the same LMSW runs: MP and TS are the guest's and change; PE is the host's.
    vmcs.cr0GuestHostMask = CR0_MP;
    vmcs.cr0ReadShadow = CR0_MP;
    m.vcpu.run();
    expect(m.cpu.cr0).toBe(CR0_PE | CR0_ET | CR0_TS);
  });

  it('CR4 with a guest/host mask: reads see the shadow, a differing write exits (CR 4)', () => {
    const m = vmxMachine('mov %cr4, %eax; or $0x80, %eax; mov %eax, %cr4; hlt');
    m.vcpu.vmcs.cr4GuestHostMask = 0x80 | 0x10;
    m.vcpu.vmcs.cr4ReadShadow = 0x10;
    m.vcpu.takeExits(ExitReason.CrAccess);
    expect(m.vcpu.run().info).toMatchObject({ qualification: 4, instructionLength: 3 });
    expect(m.cpu.regs[Reg.EAX]).toBe(0x90);
    m.vcpu.completeByDefault();
    m.vcpu.run();
    expect(m.cpu.cr4).toBe(0x90);
    expect(m.vcpu.vmcs.cr4ReadShadow).toBe(0x90);
  });
});

describe('MOV DR exiting (table 27-4)', () => {
  it('reports the debug register, the direction and the general register', () => {
    const m = vmxMachine('mov %eax, %dr7; mov %dr6, %ecx; hlt');
    m.vcpu.takeExits(ExitReason.DrAccess);
    expect(m.vcpu.run().info).toMatchObject({ reason: ExitReason.DrAccess, qualification: 7, instructionLength: 3 });
    m.vcpu.completeByDefault();
    expect(m.vcpu.run().info).toMatchObject({ qualification: 0x116 });
    m.vcpu.completeByDefault();
    expect(m.vcpu.run().reason).toBe(ExitReason.Hlt);
    expect(m.cpu.regs[Reg.ECX]! >>> 0).toBe(0xffff0ff0);
  });
});

describe('descriptor-table exiting (tables 27-10 and 27-11)', () => {
  it('SGDT, LIDT, LLDT, STR exit with the displacement and the instruction information', () => {
    const m = vmxMachine(`
      sgdt 0x12345678(%ebx,%esi,4)
      lidt (%eax)
      lldt %ax
      str 0x10(%ebp)
      data16 lgdt (%eax)
      hlt`);
    m.vcpu.takeExits(ExitReason.GdtrIdtrAccess, ExitReason.LdtrTrAccess);
    const next = (): unknown => {
      const e = m.vcpu.run();
      m.vcpu.skipInstruction();
      return e.info;
    };
    // Scale 2 (x4), address size 1, operand size 32 (bit 11), DS (3), index ESI (6), base EBX (3), SGDT (0).
    expect(next()).toMatchObject({ reason: ExitReason.GdtrIdtrAccess, qualification: 0x12345678, instructionInfo: 0x01998882, instructionLength: 8 });
    // No displacement; no index (bit 22); base EAX; LIDT (3).
    expect(next()).toMatchObject({ qualification: 0, instructionInfo: 0x30418880 });
    // Register operand AX: Reg1 0, bit 10; LLDT (2).
    expect(next()).toMatchObject({ reason: ExitReason.LdtrTrAccess, qualification: 0, instructionInfo: 0x20000400 });
    // [EBP+10h]: SS (2), no index, base EBP (5), STR (1).
    expect(next()).toMatchObject({ qualification: 0x10, instructionInfo: 0x12c10080 });
    // A 16-bit operand size clears bit 11; LGDT (2).
    expect(next()).toMatchObject({ instructionInfo: 0x20418080 });
    expect(m.vcpu.run().reason).toBe(ExitReason.Hlt);
  });

  it('without the control, SGDT runs and nothing exits', () => {
    const m = vmxMachine(`sgdt ${DATA}; hlt`);
    m.vcpu.vmcs.procControls2 &= ~ProcControl2.DescriptorTableExiting;
    m.vcpu.takeExits(ExitReason.GdtrIdtrAccess);
    expect(m.vcpu.run().reason).toBe(ExitReason.Hlt);
    expect(m.mem.read16(DATA)).toBe(6 * 8 - 1);
  });
});

describe('I/O instructions (table 27-5)', () => {
  it('IN, OUT and string I/O exit with their qualification; INS/OUTS also with linear address and instruction information', () => {
    const m = vmxMachine(`
      in $0x60, %al
      mov $0x3f8, %dx
      out %eax, %dx
      mov $${DATA}, %edi
      mov $2, %ecx
      rep insb
      mov $${DATA + 0x100}, %esi
      outsw %fs:(%esi), (%dx)
      hlt`);
    m.vcpu.takeExits(ExitReason.IoInstruction);
    // IN AL, imm8: size 0, IN (bit 3), immediate (bit 6), port in 31:16.
    let e = m.vcpu.run();
    expect(e.info).toMatchObject({ reason: ExitReason.IoInstruction, qualification: 0x600048, instructionLength: 2 });
    expect(e.io).toMatchObject({ port: 0x60, size: 1, input: true, string: false, rep: false, immediate: true });
    m.vcpu.skipInstruction();
    // OUT DX, EAX: size 3, port 3F8h.
    e = m.vcpu.run();
    expect(e.info).toMatchObject({ qualification: 0x3f80003 });
    expect(e.io).toMatchObject({ port: 0x3f8, size: 4, input: false });
    m.vcpu.skipInstruction();
    // REP INSB: string (bit 4), REP (bit 5), ES:EDI, address size 32 (bit 7 of the information).
    e = m.vcpu.run();
    expect(e.info).toMatchObject({ qualification: 0x3f80038, guestLinearAddress: DATA, instructionInfo: 0x80, instructionLength: 2 });
    m.vcpu.skipInstruction();
    // OUTSW with FS: size 1, segment 4 in bits 17:15.
    e = m.vcpu.run();
    expect(e.info).toMatchObject({ qualification: 0x3f80011, guestLinearAddress: DATA + 0x100, instructionInfo: 0x20080, instructionLength: 3 });
  });

  it('with I/O bitmaps, a port exits iff its bit is set (A below 8000h, B above) or the access wraps past FFFFh', () => {
    const m = vmxMachine(`
      in $0x70, %al
      in $0x71, %al
      in $0x70, %ax
      mov $0x8000, %dx
      in %dx, %al
      mov $0xffff, %dx
      in %dx, %ax
      hlt`);
    const vmcs = m.vcpu.vmcs;
    vmcs.procControls |= ProcControl.UseIoBitmaps; // unconditional I/O exiting is then ignored
    vmcs.setIoIntercept(0x71, 1, true);
    vmcs.setIoIntercept(0x8000, 1, true);
    expect(vmcs.ioBitmapA[0x71 >> 3]).toBe(1 << (0x71 & 7));
    expect(vmcs.ioBitmapB[0]).toBe(1);
    m.vcpu.takeExits(ExitReason.IoInstruction);
    const ports: number[] = [];
    for (let e = m.vcpu.run(); e.reason === ExitReason.IoInstruction; e = m.vcpu.run()) {
      ports.push(e.io!.port);
      m.vcpu.skipInstruction();
    }
    expect(ports).toEqual([0x71, 0x70, 0x8000, 0xffff]);
  });

  it('with neither unconditional I/O exiting nor bitmaps, I/O does not exit', () => {
    const m = vmxMachine('in $0x72, %al; hlt');
    m.vcpu.vmcs.procControls &= ~ProcControl.UnconditionalIoExiting;
    m.vcpu.takeExits(ExitReason.IoInstruction);
    expect(m.vcpu.run().reason).toBe(ExitReason.Hlt);
    expect(m.cpu.regs[Reg.EAX]! & 0xff).toBe(0xff); // an unclaimed port
  });
});

describe('RDMSR/WRMSR and the MSR bitmaps', () => {
  it('without MSR bitmaps every RDMSR/WRMSR exits; with them, per bit, and always outside the two ranges', () => {
    const m = vmxMachine(`
      mov $0x174, %ecx
      rdmsr
      wrmsr
      mov $0xc0000080, %ecx
      rdmsr
      mov $0x40000000, %ecx
      rdmsr
      hlt`);
    m.vcpu.takeExits(ExitReason.Rdmsr, ExitReason.Wrmsr);
    const e = m.vcpu.run();
    expect(e.info).toMatchObject({ reason: ExitReason.Rdmsr, instructionLength: 2 });
    expect(e.msr).toBe(0x174);
    const vmcs = m.vcpu.vmcs;
    vmcs.procControls |= ProcControl.UseMsrBitmaps;
    vmcs.setMsrIntercept(0x174, { write: true });
    vmcs.setMsrIntercept(0xc0000080, { read: true });
    // Write bitmap for low MSRs at byte 2048; read bitmap for high MSRs at byte 1024.
    expect(vmcs.msrBitmap[2048 + (0x174 >> 3)]).toBe(1 << (0x174 & 7));
    expect(vmcs.msrBitmap[1024 + (0x80 >> 3)]).toBe(1);
    const seen: Array<[number, number]> = [];
    for (let x = m.vcpu.run(); x.reason !== ExitReason.Hlt; x = m.vcpu.run()) {
      seen.push([x.reason, x.msr!]);
      m.vcpu.skipInstruction();
    }
    expect(seen).toEqual([[ExitReason.Wrmsr, 0x174], [ExitReason.Rdmsr, 0xc0000080], [ExitReason.Rdmsr, 0x40000000]]);
  });

  it('the embedder answers a RDMSR exit by setting EDX:EAX and stepping over it', () => {
    const m = vmxMachine('mov $0x1b, %ecx; rdmsr; mov %eax, %esi; hlt');
    m.vcpu.takeExits(ExitReason.Rdmsr);
    expect(m.vcpu.run().msr).toBe(0x1b);
    m.cpu.regs[Reg.EAX] = 0x1234;
    m.vcpu.skipInstruction();
    m.vcpu.run();
    expect(m.cpu.regs[Reg.ESI]).toBe(0x1234);
  });

  it('RDMSR of the TSC adds the TSC offset in non-root operation', () => {
    const m = vmxMachine('mov $0x10, %ecx; rdmsr; hlt');
    const vmcs = m.vcpu.vmcs;
    vmcs.procControls |= ProcControl.UseMsrBitmaps | ProcControl.UseTscOffsetting;
    vmcs.tscOffset = 1000n;
    m.vcpu.run();
    expect(m.cpu.regs[Reg.EAX]).toBe(1002);
    expect(m.vcpu.stats.countsByReason().get(ExitReason.Rdmsr)).toBeUndefined();
  });
});
