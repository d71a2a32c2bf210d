import { describe, expect, it } from 'vitest';
import { CpuState, CR0_PE, CR0_PG, CR4_PSE, CODE_RX_ACCESS, DATA_RW_ACCESS } from '../../runtime/cpu.js';
import { CPU_MODELS, cpuid } from '../../runtime/cpu-model.js';
import { GuestFault } from '../../runtime/exceptions.js';
import { ExitReason } from '../../runtime/exit-reason.js';
import { Interpreter } from '../../runtime/interpreter.js';
import { IoBus } from '../../runtime/io-bus.js';
import { PhysicalMemory } from '../../runtime/memory.js';
import { Access, Mmu } from '../../runtime/mmu.js';
import { DefaultVmm } from '../../runtime/vmm.js';

/** A flat 32-bit CPL0 machine with `code` at 0x1000. */
function flatMachine(code: number[], ports = new IoBus()) {
  const mem = new PhysicalMemory(1 << 20);
  const cpu = CpuState.in(mem);
  cpu.reset();
  cpu.cr0 |= CR0_PE;
  for (let s = 0; s < 6; s++) {
    cpu.setSeg(s, { selector: s === 1 ? 8 : 16, base: 0, limit: 0xffffffff, access: s === 1 ? CODE_RX_ACCESS(0) : DATA_RW_ACCESS(0), big: true, unusable: false });
  }
  cpu.eip = 0x1000;
  cpu.regs[4] = 0x8000;
  cpu.refreshMode();
  mem.load(0x1000, Uint8Array.from(code));
  const vmm = new DefaultVmm(ports, CPU_MODELS.i686!);
  const interp = new Interpreter(cpu, mem, vmm);
  vmm.attach(interp);
  return { mem, cpu, interp, vmm };
}

describe('cpu model', () => {
  it('answers CPUID with the vendor string and the features it implements', () => {
    const [max, b, c, d] = cpuid(CPU_MODELS.i686!, 0);
    expect(max).toBe(1);
    const vendor = String.fromCharCode(...[b, d, c].flatMap((w) => [w & 0xff, (w >>> 8) & 0xff, (w >>> 16) & 0xff, w >>> 24]));
    expect(vendor).toBe('GenuineIntel');
    const [sig, , , feat] = cpuid(CPU_MODELS.i686!, 1);
    expect((sig >> 8) & 0xf).toBe(6);
    expect(feat & 1).toBe(1); // FPU
    expect(feat & (1 << 23)).not.toBe(0); // MMX
    expect(feat & (1 << 24)).not.toBe(0); // FXSR
    expect(feat & (1 << 15)).not.toBe(0); // CMOV
  });

  it('executes CPUID and RDTSC as hypervisor calls', () => {
    // cpuid; rdtsc; hlt
    const { cpu, interp, vmm } = flatMachine([0x31, 0xc0, 0x0f, 0xa2, 0x0f, 0x31, 0xf4]);
    const exit = interp.run(100);
    expect(exit.reason).toBe(ExitReason.Hlt);
    expect(cpu.regs[3]).toBe(0x756e6547); // "Genu"
    expect(cpu.regs[0]).toBe(2 * 2); // virtual TSC: 2 per retired instruction, 2 retired before RDTSC
    expect(vmm.exitCounts.get(ExitReason.Cpuid)).toBe(1);
    expect(vmm.exitCounts.get(ExitReason.Rdtsc)).toBe(1);
  });
});

describe('port I/O through the VMM', () => {
  it('routes OUT and IN to the device owning the port', () => {
    const io = new IoBus();
    const written: number[] = [];
    io.register(0x3f8, 8, { read: (p) => (p === 0x3fd ? 0x60 : 0), write: (_p, _s, v) => written.push(v) });
    // mov al, 'A'; mov dx, 0x3f8; out dx, al; add dx, 5; in al, dx; in al, 0x80 (unclaimed); hlt
    const { cpu, interp } = flatMachine([0xb0, 0x41, 0x66, 0xba, 0xf8, 0x03, 0xee, 0x83, 0xc2, 0x05, 0xec, 0x88, 0xc3, 0xe4, 0x80, 0xf4], io);
    expect(interp.run(100).reason).toBe(ExitReason.Hlt);
    expect(written).toEqual([0x41]);
    expect(cpu.regs[3]! & 0xff).toBe(0x60);
    expect(cpu.regs[0]! & 0xff).toBe(0xff);
  });
});

describe('mmu', () => {
  function pagingSetup() {
    const mem = new PhysicalMemory(1 << 22);
    const cpu = CpuState.in(mem);
    cpu.reset();
    cpu.cr0 |= CR0_PE | CR0_PG;
    cpu.cr3 = 0x10000;
    const dv = new DataView(mem.memory.buffer);
    dv.setUint32(0x10000, 0x11000 | 7, true); // PDE 0 -> PT, user, rw
    dv.setUint32(0x11000 + 5 * 4, 0x200000 | 5, true); // page 5 -> 0x200000, user, read-only
    dv.setUint32(0x11000 + 6 * 4, 0x201000 | 7, true); // page 6 -> 0x201000, user, rw
    dv.setUint32(0x10000 + 4, 0x400000 | 0x87, true); // PDE 1: 4 MiB page at 0x400000
    return { mem, cpu, mmu: new Mmu(cpu, mem), dv };
  }

  it('walks two levels and sets accessed and dirty bits', () => {
    const { cpu, mmu, dv } = pagingSetup();
    cpu.cpl = 3;
    expect(mmu.translate(0x6123, Access.Read)).toBe(0x201123);
    expect(dv.getUint32(0x11000 + 6 * 4, true) & 0x60).toBe(0x20);
    expect(mmu.translate(0x6124, Access.Write)).toBe(0x201124);
    expect(dv.getUint32(0x11000 + 6 * 4, true) & 0x60).toBe(0x60);
  });

  it('raises #PF with the SDM error code and CR2', () => {
    const { cpu, mmu } = pagingSetup();
    cpu.cpl = 3;
    const fault = (lin: number, a: Access): GuestFault => {
      try { mmu.translate(lin, a); } catch (e) { return e as GuestFault; }
      throw new Error('no fault');
    };
    expect(fault(0x5000, Access.Write)).toMatchObject({ vector: 14, errorCode: 7, cr2: 0x5000 });
    expect(fault(0x7000, Access.Read)).toMatchObject({ vector: 14, errorCode: 4, cr2: 0x7000 });
    expect(cpu.cr2).toBe(0x7000);
    cpu.cpl = 0; // supervisor writes to a read-only page succeed while CR0.WP = 0
    expect(mmu.translate(0x5000, Access.Write)).toBe(0x200000);
  });

  it('maps 4 MiB pages only with CR4.PSE', () => {
    const { cpu, mmu, mem } = pagingSetup();
    cpu.cr4 |= CR4_PSE;
    expect(mmu.translate(0x401234, Access.Read)).toBe(0x401234);
    const dv = new DataView(mem.memory.buffer);
    expect(dv.getUint32(0x10004, true) & 0x20).toBe(0x20);
  });
});

describe('interpreter', () => {
  it('re-decodes code that the guest rewrote (self-modifying code)', () => {
    // mov byte [0x1008], 0x42 (patches the imm8 of the next instruction); mov al, 0x00; hlt
    const { cpu, interp } = flatMachine([0xc6, 0x05, 0x08, 0x10, 0x00, 0x00, 0x42, 0xb0, 0x00, 0xf4]);
    expect(interp.run(100).reason).toBe(ExitReason.Hlt);
    expect(cpu.regs[0]! & 0xff).toBe(0x42);
  });

  it('invalidates cached decodes when a loop body is patched between iterations', () => {
    // 0x1000: mov ecx, 2
    // 0x1005: mov al, 1          (patched to mov al, 7 after the first pass)
    // 0x1007: mov byte [0x1006], 7
    // 0x100e: dec ecx ; jnz 0x1005 ; hlt
    const code = [0xb9, 2, 0, 0, 0, 0xb0, 0x01, 0xc6, 0x05, 0x06, 0x10, 0x00, 0x00, 0x07, 0x49, 0x75, 0xf4, 0xf4];
    const { cpu, interp } = flatMachine(code);
    expect(interp.run(100).reason).toBe(ExitReason.Hlt);
    expect(cpu.regs[0]! & 0xff).toBe(7);
  });

  it('re-decodes an instruction that runs into the next page when that page is written', () => {
    // 0x1000: jmp 0x1ff0
    // 0x1ff0: mov ecx, 2 ; 7 x nop
    // 0x1ffc: mov eax, 0x11223344   (its last byte is at 0x2000, on the next page)
    // 0x2001: mov byte [0x2000], 0x77
    // 0x2008: dec ecx ; jnz 0x1ffc ; hlt
    const { mem, cpu, interp } = flatMachine([0xe9, 0xeb, 0x0f, 0x00, 0x00]);
    mem.load(0x1ff0, Uint8Array.from([
      0xb9, 2, 0, 0, 0, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90,
      0xb8, 0x44, 0x33, 0x22, 0x11,
      0xc6, 0x05, 0x00, 0x20, 0x00, 0x00, 0x77,
      0x49, 0x75, 0xf1, 0xf4,
    ]));
    expect(interp.run(100).reason).toBe(ExitReason.Hlt);
    expect(cpu.regs[0]! >>> 0).toBe(0x77223344);
  });

  it('re-decodes a long instruction patched in its last byte, and code rewritten by a bulk copy', () => {
    // 0x1000: mov ecx, 2
    // 0x1005: mov dword [0x3000], 0x11111111   (10 bytes; its last byte, at 0x100e, is patched)
    // 0x100f: mov byte [0x100e], 0x22
    // 0x1016: dec ecx ; jnz 0x1005 ; hlt
    const code = [0xb9, 2, 0, 0, 0, 0xc7, 0x05, 0x00, 0x30, 0x00, 0x00, 0x11, 0x11, 0x11, 0x11, 0xc6, 0x05, 0x0e, 0x10, 0x00, 0x00, 0x22, 0x49, 0x75, 0xec, 0xf4];
    const { mem, cpu, interp } = flatMachine(code);
    expect(interp.run(100).reason).toBe(ExitReason.Hlt);
    expect(mem.read32(0x3000) >>> 0).toBe(0x22111111);
    // A bulk write (a loader, DMA) over the whole decoded program: mov eax, 5; hlt.
    mem.load(0x1000, Uint8Array.from([0xb8, 5, 0, 0, 0, 0xf4, ...new Array<number>(code.length).fill(0x90)]));
    cpu.eip = 0x1000;
    cpu.halted = false;
    expect(interp.run(100).reason).toBe(ExitReason.Hlt);
    expect(cpu.regs[0]).toBe(5);
  });

  it('reports guest faults as exception exits with the faulting EIP', () => {
    // xor ecx, ecx; div ecx
    const { cpu, interp } = flatMachine([0x31, 0xc9, 0xf7, 0xf1]);
    const exit = interp.run(100);
    expect(exit.reason).toBe(ExitReason.ExceptionOrNmi);
    expect((exit as { fault: GuestFault }).fault.vector).toBe(0);
    expect(cpu.eip).toBe(0x1002);
  });

  it('raises #UD for undefined opcodes and #GP for over-long instructions without crashing', () => {
    const a = flatMachine([0x0f, 0xff]);
    expect((a.interp.run(10) as { fault: GuestFault }).fault.vector).toBe(6);
    const b = flatMachine([...Array(15).fill(0x66), 0x90]);
    expect((b.interp.run(10) as { fault: GuestFault }).fault.vector).toBe(13);
  });

  it('keeps guest accesses inside guest RAM', () => {
    // mov eax, [0xfffffff0]; mov [0xfffffff0], eax; hlt  (paging off: beyond 1 MiB of RAM)
    const { cpu, interp } = flatMachine([0xa1, 0xf0, 0xff, 0xff, 0xff, 0xa3, 0xf0, 0xff, 0xff, 0xff, 0xf4]);
    expect(interp.run(10).reason).toBe(ExitReason.Hlt);
    expect(cpu.regs[0]).toBe(-1); // open bus
  });
});
