/**
 * The vCPU loop around the JIT tier: the same exits, events and results
 * as with the interpreter (translated code leaves sensitive instructions
 * to the interpreter, so the VMX layer is the same).
 *
 *   npx vitest run test/vmx/jit-tier.test.ts
 */
import { describe, expect, it } from 'vitest';
import { ExitReason } from '../../runtime/exit-reason.js';
import { Reg } from '../../translator/table/types.js';
import { CODE, DATA, handlerVector, identityPaging, stack, vmxMachine } from './harness.js';

/** A loop long enough to be translated, then a sensitive instruction and a fault. */
const LOOP = `
  xor %eax, %eax
  mov $5000, %ecx
1:
  add %ecx, %eax
  dec %ecx
  jnz 1b
  cpuid
  .org 0x20, 0x90
  ud2`;

describe('the vCPU on the JIT tier', () => {
  for (const tier of ['interpreter', 'jit-hot']) {
    it(`${tier}: an instruction exit the embedder takes, then a fault delivered through the IDT`, () => {
      const m = vmxMachine(LOOP, { tier });
      m.vcpu.takeExits(ExitReason.Cpuid);
      const e = m.vcpu.run();
      expect(e.reason).toBe(ExitReason.Cpuid);
      // The sum 1..5000 is the leaf CPUID was asked for.
      expect(m.cpu.regs[Reg.EAX]).toBe(12502500);
      m.vcpu.skipInstruction();
      m.vcpu.run();
      expect(handlerVector(m)).toBe(6);
      expect(stack(m, 1)).toEqual([CODE + 0x20]);
      if (tier !== 'interpreter') expect(m.jit!.stats.compiles).toBeGreaterThan(0);
    });

    it(`${tier}: a #PF raised in a hot loop exits with its address as the qualification and CR2 unchanged`, () => {
      const m = vmxMachine(`
        mov $${DATA}, %esi
      1:
        mov (%esi), %eax
        add $4, %esi
        jmp 1b`, { tier });
      identityPaging(m, -1, DATA + 0x1000);
      m.cpu.cr2 = 0x1234000;
      m.vcpu.vmcs.exceptionBitmap = 1 << 14;
      m.vcpu.takeExits(ExitReason.ExceptionOrNmi);
      const e = m.vcpu.run();
      expect(e.info).toMatchObject({ reason: ExitReason.ExceptionOrNmi, qualification: DATA + 0x1000, interruptionErrorCode: 0 });
      expect(m.cpu.cr2).toBe(0x1234000);
      expect(m.cpu.eip).toBe(CODE + 5);
      expect(m.cpu.regs[Reg.ESI]).toBe(DATA + 0x1000);
      // Reflected by the default VMM, the guest sees the fault with CR2 set.
      m.vcpu.completeByDefault();
      m.vcpu.run();
      expect(handlerVector(m)).toBe(14);
      expect(m.cpu.cr2).toBe(DATA + 0x1000);
      if (tier !== 'interpreter') expect(m.jit!.stats.compiles).toBeGreaterThan(0);
    });
  }
});
