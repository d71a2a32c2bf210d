/**
 * The PC as the machine wires it: devices beyond RAM reached through
 * PhysicalMemory's MMIO hook, the TSC counting guest time, the 8254 PIT's
 * IRQ 0 through the 8259A and the local APIC's virtual wire to the CPU, and
 * HLT idling until the next timer. Expected values come from the SDM and
 * the devices' data sheets (8254 input clock 1193182 Hz).
 */
import { describe, expect, it } from 'vitest';
import { createMachine, PacedTimeSource, RunStatus, TSC_HZ } from '../../src/machine.js';
import { loadFlat } from '../../src/loaders/flat.js';
import { RomDevice } from '../../src/loaders/bios.js';
import { PhysicalMemory } from '../../runtime/memory.js';
import { cpuid, CPU_MODELS, Feature } from '../../runtime/cpu-model.js';
import { VirtualTsc } from '../../runtime/msr.js';

const bytes = (hex: string): number[] => hex.match(/../g)!.map((h) => parseInt(h, 16));

/**
 * A flat guest (nasm, org 0x100000) that loads a GDT and an IDT, sets up
 * the 8259A (ICW1 11h, vector base 20h, only IRQ 0 unmasked) and PIT
 * counter 0 in mode 2 with count 11932 (10.0 ms), then loops
 * `sti; hlt; cli` until its IRQ 0 handler (inc [ticks]; EOI; iret) has
 * counted 5, and writes the count to isa-debug-exit.
 */
function pitGuest(): Uint8Array {
  const code = bytes(
    '0f01157b001000ea0e001000080066b810008ed88ec08ed00f011d89011000b011e620b020e621b004e621b001e621b0fee621b034e643b09ce640b02ee640'
    + 'fbf4fa833d5f0010000572f4a05f001000e6f4ff055f00100050b020e62058cf00000000',
  );
  const gdtAndGdtr = bytes('0000000000000000ffff0000009acf00ffff00000092cf00170063001000');
  const idt = new Array<number>(0x20 * 8).fill(0);
  const gateAndIdtr = bytes('52000800008e1000070181001000'); // vector 20h: interrupt gate to 0008:00100052
  return new Uint8Array([...code, ...gdtAndGdtr, ...idt, ...gateAndIdtr]);
}

describe('physical memory beyond RAM', () => {
  it('reads all-ones and drops writes without an MMIO bus', () => {
    const mem = new PhysicalMemory(64 * 1024);
    expect(mem.read8(0x20000)).toBe(0xff);
    expect(mem.read32(0xfee00030)).toBe(-1);
    mem.write32(0xfee00030, 0);
    expect(mem.read16(0xfee00030)).toBe(0xffff);
  });

  it('hands accesses to the machine MMIO bus at their width: the local APIC, a ROM', () => {
    const m = createMachine({ memoryMiB: 2 });
    // Local APIC version register: version 14h, max LVT entry 5 (bits 23:16).
    expect(m.mem.read32(0xfee00030) & 0xff00ff).toBe(0x050014);
    // The task-priority register is read-write through the hook.
    m.mem.write32(0xfee00080, 0x20);
    expect(m.mem.read32(0xfee00080)).toBe(0x20);
    m.mapRom(0xffff0000, new RomDevice(new Uint8Array([0x11, 0x22, 0x33, 0x44])), 0x10000);
    expect(m.mem.read32(0xffff0000)).toBe(0x44332211);
    expect(m.mem.read16(0xffff0001)).toBe(0x3322);
    m.mem.write8(0xffff0000, 0);
    expect(m.mem.read8(0xffff0000)).toBe(0x11);
    expect(() => m.mapRom(0x1000, new RomDevice(new Uint8Array(1)), 1)).toThrow(/overlap RAM/);
    m.close();
  });
});

describe('time', () => {
  it('counts the TSC in guest time once it follows a clock, keeping its value', () => {
    let ns = 0;
    const tsc = new VirtualTsc();
    expect(tsc.read(50)).toBe(100n); // 2 cycles per instruction before
    tsc.useClock(() => ns, 1_000_000_000, 50);
    expect(tsc.read(50)).toBe(100n);
    ns = 1_000_000_001;
    expect(tsc.read(99)).toBe(100n + 1_000_000_001n);
    tsc.write(99, 5n);
    ns += 10;
    expect(tsc.read(0)).toBe(15n);
    expect(tsc.frequency).toBe(1_000_000_000);
  });

  it('gives RDTSC 2 GHz of guest time: two instructions at 8 ns each are 32 cycles', () => {
    const m = createMachine({ memoryMiB: 2, nsPerInstruction: 8 });
    expect(TSC_HZ).toBe(2_000_000_000);
    // rdtsc; mov ecx, eax; rdtsc; sub eax, ecx; out 0f4h, al
    loadFlat(m, new Uint8Array([0x0f, 0x31, 0x89, 0xc1, 0x0f, 0x31, 0x29, 0xc8, 0xe6, 0xf4]));
    expect(m.run({ maxInstructions: 100 }).status).toBe((32 << 1) | 1);
    m.close();
  });

  it('paces instruction time to the host: constant within a window, retuned at most 2x per window, never backwards', async () => {
    let retired = 0;
    const src = new PacedTimeSource(() => retired, 10);
    retired = 1000;
    expect(src.now()).toBe(10_000);
    src.retune(); // less than 50 ms of host time: nothing changes
    expect(src.rate).toBe(10);
    await new Promise((r) => setTimeout(r, 60));
    retired = 2000; // 2000 instructions in >= 60 ms of host time: far slower than 10 ns each
    const before = src.now();
    src.retune();
    expect(src.now()).toBe(before);
    expect(src.rate).toBe(20);
    retired = 2100;
    expect(src.now()).toBe(before + 100 * 20);
    src.skip(500);
    expect(src.now()).toBe(before + 100 * 20 + 500);
  });

  it('reports the local APIC in CPUID only while the device is wired and enabled', () => {
    const i686 = CPU_MODELS.i686!;
    expect(i686.apic).toBe(true);
    expect(cpuid(i686, 1)[3] & Feature.APIC).toBe(0);
    expect(cpuid(i686, 1, { apicEnabled: true })[3] & Feature.APIC).toBe(Feature.APIC);
    expect(cpuid(i686, 1, { apicEnabled: false })[3] & Feature.APIC).toBe(0);
    const m = createMachine({ memoryMiB: 2 });
    expect(m.chipset.lapic).not.toBeNull();
    expect(m.vmm.msrs.apicBase).toBe(0xfee00900n); // BSP, enabled, at FEE00000h
    m.close();
    expect(createMachine({ memoryMiB: 2, cpu: 'pentium' }).chipset.lapic).toBeNull();
  });
});

describe('timer interrupts and HLT', () => {
  for (const tier of ['interpreter', 'jit-hot']) {
    it(`${tier}: wakes HLT with PIT IRQ 0 through the 8259A and the APIC virtual wire, skipping idle guest time`, () => {
      const m = createMachine({ memoryMiB: 2, tier });
      loadFlat(m, pitGuest());
      const r = m.run({ maxInstructions: 100_000 });
      expect(r.message).toBe('guest wrote the debug-exit port: status 11');
      expect(r.status).toBe((5 << 1) | 1);
      // Writing mode 2 raises OUT0 (a rising edge: the first IRQ at once), then one pulse every
      // 11932 / 1193182 Hz = 10.000 ms: the fifth IRQ comes 40 ms later in guest time, in a few hundred instructions.
      expect(r.retired).toBeLessThan(1000);
      expect(m.clock.now()).toBeGreaterThanOrEqual(4 * 10_000_000);
      expect(m.clock.now()).toBeLessThan(5 * 10_000_000);
      m.close();
    });
  }

  // Under a clock that follows the host, the guest can count a sixth IRQ: its handler sends EOI and
  // IRETs with IF = 1, so a tick that fell due while the host stalled the guest for more than 10 ms
  // (a loaded CI machine) is delivered before the CLI that follows the HLT, as on real hardware.
  // The count is exact only under guest-instruction time (the tests above).
  for (const clock of ['paced', 'host'] as const) {
    it(`waits in host time for the timer under the ${clock} clock`, async () => {
      const m = createMachine({ memoryMiB: 2, clock });
      loadFlat(m, pitGuest());
      const r = await m.runAsync({ maxInstructions: 100_000 });
      expect(r.status & 1).toBe(1);
      expect(r.status >> 1).toBeGreaterThanOrEqual(5);
      expect(r.seconds).toBeGreaterThanOrEqual(0.039);
      // Each IRQ is 10 ms of host time: at least (count - 1) periods passed.
      expect(r.seconds).toBeGreaterThanOrEqual(((r.status >> 1) - 1) * 0.01 - 0.001);
      m.close();
    });
  }

  it('ends the run when the guest halts with interrupts off (status 0), and fails HLT with IF = 1 and no timer', () => {
    const m = createMachine({ memoryMiB: 2 });
    loadFlat(m, new Uint8Array([0xfa, 0xf4])); // cli; hlt
    expect(m.run().status).toBe(RunStatus.Halted);
    const n = createMachine({ memoryMiB: 2 });
    loadFlat(n, new Uint8Array([0xfb, 0xf4])); // sti; hlt: the PIT was never programmed
    expect(n.run().message).toMatch(/no timer is armed/);
  });
});
