import { describe, expect, it } from 'vitest';
import { ManualTimeSource, VirtualClock } from '../../runtime/devices/clock.js';
import { IoApic } from '../../runtime/devices/ioapic.js';
import { LocalApic, LapicReg } from '../../runtime/devices/lapic.js';
import { MmioBus } from '../../runtime/mmio-bus.js';

const IOAPIC = 0xfec00000;

function setup() {
  const clock = new VirtualClock(new ManualTimeSource());
  const mmio = new MmioBus();
  let io: IoApic | null = null;
  const apic = new LocalApic(clock, { mmio, onEoi: (v) => io!.eoi(v) });
  io = new IoApic([apic]);
  mmio.register(IOAPIC, 0x20, io);
  apic.writeRegister(LapicReg.Svr, 0x1ff);
  const reg = (r: number): number => {
    mmio.write(IOAPIC, 1, r);
    return mmio.read(IOAPIC + 0x10, 4) >>> 0;
  };
  const setReg = (r: number, v: number): void => {
    mmio.write(IOAPIC, 1, r);
    mmio.write(IOAPIC + 0x10, 4, v);
  };
  const route = (pin: number, low: number, dest = 0): void => {
    setReg(0x11 + 2 * pin, dest << 24);
    setReg(0x10 + 2 * pin, low);
  };
  const eoi = (): void => apic.writeRegister(LapicReg.Eoi, 0);
  return { io, apic, reg, setReg, route, eoi, mmio };
}

describe('82093AA I/O APIC', () => {
  it('has the 82093AA identification registers and masked entries after reset', () => {
    const h = setup();
    expect(h.reg(0x01)).toBe(0x00170011);
    h.setReg(0x00, 0x0f000000 | 0xff);
    expect(h.reg(0x00)).toBe(0x0f000000);
    expect(h.reg(0x02)).toBe(0x0f000000);
    for (let pin = 0; pin < 24; pin++) expect(h.reg(0x10 + 2 * pin)).toBe(0x10000);
    expect(h.mmio.read(IOAPIC, 1)).toBe(0x10 + 2 * 23); // IOREGSEL reads back
  });

  it('delivers an edge-triggered pin to the local APIC on its rising edge only', () => {
    const h = setup();
    h.route(2, 0x31);
    h.io.setPin(2, true);
    expect(h.apic.acknowledge()).toBe(0x31);
    h.eoi();
    expect(h.apic.pending()).toBe(false); // still high: no new edge
    h.io.setPin(2, false);
    h.io.setPin(2, true);
    expect(h.apic.acknowledge()).toBe(0x31);
  });

  it('loses an edge seen while the entry is masked', () => {
    const h = setup();
    h.route(4, 0x10000 | 0x34);
    h.io.setPin(4, true);
    h.route(4, 0x34);
    expect(h.apic.pending()).toBe(false);
  });

  it('holds a level-triggered pin with Remote IRR until the EOI, and redelivers while it stays active', () => {
    const h = setup();
    h.route(9, 0x8000 | 0x49); // level, active high
    h.io.setPin(9, true);
    expect(h.reg(0x10 + 18) & 0x4000).toBe(0x4000);
    expect(h.apic.acknowledge()).toBe(0x49);
    h.eoi();
    expect(h.apic.acknowledge()).toBe(0x49); // still active
    h.io.setPin(9, false);
    h.eoi();
    expect(h.reg(0x10 + 18) & 0x4000).toBe(0);
    expect(h.apic.pending()).toBe(false);
  });

  it('honours active-low polarity (PCI INTx# pins idle high)', () => {
    const h = setup();
    h.route(16, 0x8000 | 0x2000 | 0x60);
    expect(h.apic.pending()).toBe(false);
    h.io.setPin(16, false); // asserted
    expect(h.apic.acknowledge()).toBe(0x60);
  });

  it('delivers a level entry unmasked while its pin is active', () => {
    const h = setup();
    h.route(10, 0x10000 | 0x8000 | 0x4a);
    h.io.setPin(10, true);
    expect(h.apic.pending()).toBe(false);
    h.route(10, 0x8000 | 0x4a);
    expect(h.apic.acknowledge()).toBe(0x4a);
  });

  it('addresses local APICs by physical ID and logical destination', () => {
    const h = setup();
    h.route(3, 0x33, 1); // physical APIC ID 1: nobody
    h.io.setPin(3, true);
    expect(h.apic.pending()).toBe(false);
    h.apic.writeRegister(LapicReg.Ldr, 0x01000000);
    h.io.setPin(3, false);
    h.route(3, 0x800 | 0x33, 0x01); // logical, flat: LDR bit 0
    h.io.setPin(3, true);
    expect(h.apic.acknowledge()).toBe(0x33);
  });

  it('raises NMI for an NMI entry and routes ExtINT through to the 8259A', () => {
    const h = setup();
    h.route(5, 0x400);
    h.io.setPin(5, true);
    expect(h.apic.nmiPending()).toBe(true);
    h.apic.connectExtInt(() => 0x20);
    h.route(0, 0x700);
    expect(h.apic.pending()).toBe(false);
    h.io.setPin(0, true);
    expect(h.apic.pending()).toBe(true);
    expect(h.apic.acknowledge()).toBe(0x20);
    h.io.setPin(0, false);
    expect(h.apic.pending()).toBe(false);
  });
});
