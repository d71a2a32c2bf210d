/**
 * MSRs (SDM vol. 4, table 2-2; vol. 3, 11.11-11.12, 10.4.4, 17.17): which
 * exist on which model, their reset values, and #GP(0) for an MSR the
 * model lacks, a read-only one written, or a reserved bit set; RDMSR and
 * WRMSR through the guest (EDX:EAX, the CPL check of the opcode table).
 *
 *   npx vitest run test/vmx/msr.test.ts
 */
import { describe, expect, it } from 'vitest';
import { GuestFault, Vector } from '../../runtime/exceptions.js';
import { ExitReason } from '../../runtime/exit-reason.js';
import { Msr, PAT_RESET } from '../../runtime/msr.js';
import { Reg } from '../../translator/table/types.js';
import type { Machine } from '../../src/machine.js';
import { CODE, enterUserMode, handlerVector, stack, vmxMachine } from './harness.js';

function on(model = 'i686'): Machine {
  return vmxMachine('hlt', { cpu: model });
}

const rd = (m: Machine, index: number): bigint => m.vmm.msrs.read(m.vmm.ctx, index);
const wr = (m: Machine, index: number, v: bigint): void => m.vmm.msrs.write(m.vmm.ctx, index, v);

/** The #GP(0) an access raises, or null. */
function gpOf(access: () => unknown): number | null {
  try {
    access();
    return null;
  } catch (e) {
    if (e instanceof GuestFault) return e.vector === Vector.GP ? e.errorCode : -e.vector;
    throw e;
  }
}

describe('which MSRs exist', () => {
  it('an MSR no model has is #GP(0), read or written', () => {
    const m = on();
    expect(gpOf(() => rd(m, 0x12345))).toBe(0);
    expect(gpOf(() => wr(m, 0x12345, 0n))).toBe(0);
    // Variable MTRRs stop at IA32_MTRRCAP.VCNT = 8 pairs.
    expect(gpOf(() => rd(m, 0x210))).toBe(0);
  });

  it('the Pentium has no APIC_BASE, MTRRs, PAT, SYSENTER or MISC_ENABLE MSRs', () => {
    const p5 = on('pentium');
    for (const i of [Msr.ApicBase, Msr.MtrrCap, Msr.MtrrDefType, Msr.Pat, Msr.SysenterCs, Msr.MiscEnable, Msr.Efer]) {
      expect(gpOf(() => rd(p5, i)), `MSR ${i.toString(16)}`).toBe(0);
    }
    expect(gpOf(() => rd(p5, Msr.TimeStampCounter))).toBeNull();
  });

  it('IA32_EFER exists only on a model with XD, and only NXE is writable', () => {
    expect(gpOf(() => rd(on('pentium2'), Msr.Efer))).toBe(0);
    const m = on('pentium2,+nx');
    expect(rd(m, Msr.Efer)).toBe(0n);
    wr(m, Msr.Efer, 0x800n);
    expect(m.cpu.efer).toBe(0x800);
    expect(gpOf(() => wr(m, Msr.Efer, 1n))).toBe(0); // SCE: no SYSCALL on this CPU
    expect(gpOf(() => wr(m, Msr.Efer, 0x100n))).toBe(0); // LME: no long mode
  });

  it('a model without CPUID.MSR has no RDMSR: #UD', () => {
    const m = vmxMachine('xor %ecx, %ecx; rdmsr', { cpu: 'pentium,-msr' });
    m.vcpu.run();
    expect(handlerVector(m)).toBe(6);
  });
});

describe('the time-stamp counter (17.17)', () => {
  it('reads 2 cycles per retired instruction; a P6-family write sets the low 32 bits and clears the high half', () => {
    const m = on();
    m.interpreter.retired = 50;
    expect(rd(m, Msr.TimeStampCounter)).toBe(100n);
    wr(m, Msr.TimeStampCounter, 0x1_2345_6789n);
    expect(rd(m, Msr.TimeStampCounter)).toBe(0x2345_6789n);
    m.interpreter.retired += 3;
    expect(rd(m, Msr.TimeStampCounter)).toBe(0x2345_678fn);
    m.vmm.msrs.tsc.advance(1000);
    expect(rd(m, Msr.TimeStampCounter)).toBe(0x2345_6789n + 6n + 1000n);
  });

  it('a Pentium writes all 64 bits', () => {
    const m = on('pentium');
    wr(m, Msr.TimeStampCounter, 0x1_2345_6789n);
    expect(rd(m, Msr.TimeStampCounter)).toBe(0x1_2345_6789n);
  });
});

describe('IA32_APIC_BASE (10.4.4)', () => {
  it('resets to FEE00000H with BSP set; EN follows the local APIC device of the PC, which moves with the base', () => {
    const m = on();
    expect(rd(m, Msr.ApicBase)).toBe(0xfee00900n);
    wr(m, Msr.ApicBase, 0xfef00900n);
    expect(rd(m, Msr.ApicBase)).toBe(0xfef00900n);
    expect(m.chipset.lapic!.apicBaseMsr).toBe(0xfef00900);
  });

  it('reserved bits (7:0, 9, 10, and at or above MAXPHYADDR = 36 with PAE; 32 without) are #GP(0)', () => {
    const m = on();
    for (const bad of [1n, 1n << 9n, 1n << 10n, 1n << 36n]) expect(gpOf(() => wr(m, Msr.ApicBase, 0xfee00100n | bad))).toBe(0);
    expect(gpOf(() => wr(m, Msr.ApicBase, 0xf_fee00100n))).toBeNull();
    // Without PAE, PSE-36 alone keeps MAXPHYADDR at 36; with neither it is 32.
    expect(gpOf(() => wr(on('i686,-pae'), Msr.ApicBase, 0xf_fee00100n))).toBeNull();
    expect(gpOf(() => wr(on('i686,-pae,-pse36'), Msr.ApicBase, 0x1_fee00100n))).toBe(0);
  });
});

describe('SYSENTER MSRs', () => {
  it('are the CPU state SYSENTER and SYSEXIT use', () => {
    const m = on();
    wr(m, Msr.SysenterCs, 0x10n);
    wr(m, Msr.SysenterEsp, 0x8000_0000n);
    wr(m, Msr.SysenterEip, 0xc010_0000n);
    expect([m.cpu.sysenterCs, m.cpu.sysenterEsp >>> 0, m.cpu.sysenterEip >>> 0]).toEqual([0x10, 0x8000_0000, 0xc010_0000]);
    expect(rd(m, Msr.SysenterEip)).toBe(0xc010_0000n);
    expect(gpOf(() => rd(on('i686,-sep'), Msr.SysenterCs))).toBe(0);
  });
});

describe('PAT and the MTRRs (11.11, 11.12)', () => {
  it('PAT resets to WB WT UC- UC twice; an entry with a reserved type or bits 7:3 set is #GP(0)', () => {
    const m = on();
    expect(rd(m, Msr.Pat)).toBe(PAT_RESET);
    wr(m, Msr.Pat, 0x0001050600070406n);
    expect(rd(m, Msr.Pat)).toBe(0x0001050600070406n);
    expect(gpOf(() => wr(m, Msr.Pat, 0x0007040600070402n))).toBe(0); // type 2 is reserved
    expect(gpOf(() => wr(m, Msr.Pat, 0x0007040600070408n))).toBe(0); // bit 3
  });

  it('MTRRCAP reports 8 variable ranges, fixed ranges and WC, and is read-only', () => {
    const m = on();
    expect(rd(m, Msr.MtrrCap)).toBe(0x508n);
    expect(gpOf(() => wr(m, Msr.MtrrCap, 0x508n))).toBe(0);
  });

  it('MTRR_DEF_TYPE: type, FE and E only, with a valid type', () => {
    const m = on();
    wr(m, Msr.MtrrDefType, 0xc06n);
    expect(rd(m, Msr.MtrrDefType)).toBe(0xc06n);
    expect(gpOf(() => wr(m, Msr.MtrrDefType, 0x1006n))).toBe(0);
    expect(gpOf(() => wr(m, Msr.MtrrDefType, 0xc02n))).toBe(0);
  });

  it('fixed-range MTRRs hold eight valid types', () => {
    const m = on();
    wr(m, Msr.MtrrFix16kA0000, 0x0000000000000000n);
    wr(m, Msr.MtrrFix64k00000, 0x0606060606060606n);
    expect(rd(m, Msr.MtrrFix64k00000)).toBe(0x0606060606060606n);
    expect(rd(m, Msr.MtrrFix4kF8000)).toBe(0n);
    expect(gpOf(() => wr(m, Msr.MtrrFix4kC0000, 0x0606060606060603n))).toBe(0);
  });

  it('variable-range MTRRs: PHYSBASE bits 11:8 and PHYSMASK bits 10:0 are reserved, as is everything from MAXPHYADDR up', () => {
    const m = on();
    wr(m, Msr.MtrrPhysBase0, 0x8000_0006n);
    wr(m, Msr.MtrrPhysBase0 + 1, 0xf_8000_0800n);
    expect(rd(m, Msr.MtrrPhysBase0 + 1)).toBe(0xf_8000_0800n);
    expect(gpOf(() => wr(m, Msr.MtrrPhysBase0, 0x8000_0106n))).toBe(0);
    expect(gpOf(() => wr(m, Msr.MtrrPhysBase0, 0x8000_0002n))).toBe(0);
    expect(gpOf(() => wr(m, Msr.MtrrPhysBase0 + 1, 0x8000_0801n))).toBe(0);
    expect(gpOf(() => wr(m, Msr.MtrrPhysBase0 + 15, 0x10_0000_0800n))).toBe(0);
  });
});

describe('IA32_MISC_ENABLE', () => {
  it('resets with fast strings on and BTS/PEBS unavailable; read-only bits must be written back unchanged', () => {
    const m = on('pentium2');
    expect(rd(m, Msr.MiscEnable)).toBe(0x1801n);
    wr(m, Msr.MiscEnable, 0x1800n);
    expect(rd(m, Msr.MiscEnable)).toBe(0x1800n);
    expect(gpOf(() => wr(m, Msr.MiscEnable, 0x0800n))).toBe(0); // clears the read-only PEBS-unavailable bit
    expect(gpOf(() => wr(m, Msr.MiscEnable, 0x1801n | (1n << 34n)))).toBe(0); // XD disable without XD
    wr(m, Msr.MiscEnable, 0x1801n | (1n << 22n));
    expect(rd(m, Msr.MiscEnable)).toBe(0x401801n);
  });
});

describe('RDMSR and WRMSR in the guest', () => {
  it('move EDX:EAX to and from the MSR ECX names', () => {
    const m = vmxMachine(`
      mov $0x277, %ecx
      mov $0x00070406, %eax
      mov $0x00010506, %edx
      wrmsr
      xor %eax, %eax
      xor %edx, %edx
      rdmsr
      hlt`);
    m.vcpu.run();
    expect(m.vmm.msrs.pat).toBe(0x0001050600070406n);
    expect([m.cpu.regs[Reg.EAX], m.cpu.regs[Reg.EDX]]).toEqual([0x00070406, 0x00010506]);
    expect(m.vcpu.stats.countsByReason().get(ExitReason.Wrmsr)).toBe(1);
    expect(m.vcpu.stats.countsByReason().get(ExitReason.Rdmsr)).toBe(1);
  });

  it('an unknown MSR is #GP(0) delivered to the guest', () => {
    const m = vmxMachine('mov $0x12345, %ecx; rdmsr');
    m.vcpu.run();
    expect(handlerVector(m)).toBe(13);
    expect(stack(m, 2)).toEqual([0, CODE + 5]);
  });

  it('RDMSR at CPL 3 is #GP(0) before any exit', () => {
    const m = vmxMachine('mov $0x10, %ecx; rdmsr');
    enterUserMode(m);
    m.vcpu.takeExits(ExitReason.Rdmsr);
    m.vcpu.run();
    expect(handlerVector(m)).toBe(13);
    expect(m.vcpu.stats.countsByReason().get(ExitReason.Rdmsr)).toBeUndefined();
  });
});
