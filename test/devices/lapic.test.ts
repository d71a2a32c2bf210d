import { describe, expect, it } from 'vitest';
import { ManualTimeSource, VirtualClock } from '../../runtime/devices/clock.js';
import { LocalApic, LapicReg } from '../../runtime/devices/lapic.js';
import { MmioBus } from '../../runtime/mmio-bus.js';

const BASE = 0xfee00000;

function setup() {
  const src = new ManualTimeSource();
  const clock = new VirtualClock(src);
  const mmio = new MmioBus();
  const eois: number[] = [];
  const apic = new LocalApic(clock, { mmio, nsPerBusClock: 10, onEoi: (v) => eois.push(v) });
  const rd = (reg: number): number => mmio.read(BASE + reg, 4) >>> 0;
  const wr = (reg: number, v: number): void => mmio.write(BASE + reg, 4, v);
  const at = (ns: number): void => {
    src.set(ns);
    clock.poll();
  };
  wr(LapicReg.Svr, 0x1ff); // software-enable, spurious vector 0xFF
  return { apic, clock, mmio, rd, wr, at, eois };
}

describe('local APIC', () => {
  it('comes out of reset as the SDM says', () => {
    const src = new ManualTimeSource();
    const mmio = new MmioBus();
    const apic = new LocalApic(new VirtualClock(src), { mmio });
    const rd = (reg: number): number => mmio.read(BASE + reg, 4) >>> 0;
    expect(apic.apicBaseMsr).toBe(0xfee00900);
    expect(rd(LapicReg.Version)).toBe(0x00050014);
    expect(rd(LapicReg.Svr)).toBe(0xff);
    expect(rd(LapicReg.Dfr)).toBe(0xffffffff);
    for (const lvt of [LapicReg.LvtTimer, LapicReg.LvtLint0, LapicReg.LvtLint1, LapicReg.LvtError]) expect(rd(lvt)).toBe(0x10000);
    // Software-disabled: the mask bits cannot be cleared.
    mmio.write(BASE + LapicReg.LvtTimer, 4, 0x30);
    expect(rd(LapicReg.LvtTimer)).toBe(0x10030);
    expect(mmio.read(BASE + LapicReg.Version + 2, 1)).toBe(0x05); // byte reads of a register work
  });

  it('runs a one-shot timer at bus clock / divide and interrupts once', () => {
    const h = setup();
    h.wr(LapicReg.TimerDivide, 0x3); // divide by 16: 160 ns per count
    h.wr(LapicReg.LvtTimer, 0x30);
    h.wr(LapicReg.TimerInitial, 1000);
    h.at(80_000);
    expect(h.rd(LapicReg.TimerCurrent)).toBe(500);
    expect(h.apic.pending()).toBe(false);
    h.at(160_000);
    expect(h.rd(LapicReg.TimerCurrent)).toBe(0);
    expect(h.apic.pending()).toBe(true);
    expect(h.apic.acknowledge()).toBe(0x30);
    expect(h.rd(LapicReg.Isr + 0x10) >>> 16 & 1).toBe(1); // vector 0x30 is bit 16 of ISR word 1
    h.wr(LapicReg.Eoi, 0);
    expect(h.rd(LapicReg.Isr + 0x10)).toBe(0);
    h.at(1_000_000);
    expect(h.apic.pending()).toBe(false);
    expect(h.eois).toEqual([]); // an edge-triggered vector's EOI is not broadcast
  });

  it('reloads in periodic mode and keeps the count across a divide change', () => {
    const h = setup();
    h.wr(LapicReg.TimerDivide, 0xb); // divide by 1
    h.wr(LapicReg.LvtTimer, 0x20000 | 0x40);
    h.wr(LapicReg.TimerInitial, 100); // 1 µs period
    let ticks = 0;
    for (let t = 0; t <= 10_000; t += 100) {
      h.at(t);
      while (h.apic.pending()) {
        expect(h.apic.acknowledge()).toBe(0x40);
        h.wr(LapicReg.Eoi, 0);
        ticks++;
      }
    }
    expect(ticks).toBe(10);
    h.at(10_250);
    expect(h.rd(LapicReg.TimerCurrent)).toBe(75);
    h.wr(LapicReg.TimerDivide, 0x0); // divide by 2: the remaining 75 counts take 1.5 µs
    h.at(11_749);
    expect(h.apic.pending()).toBe(false);
    h.at(11_750);
    expect(h.apic.pending()).toBe(true);
    expect(h.rd(LapicReg.TimerCurrent)).toBe(100);
  });

  it('decodes every divide configuration', () => {
    const expected: [number, number][] = [[0x0, 2], [0x1, 4], [0x2, 8], [0x3, 16], [0x8, 32], [0x9, 64], [0xa, 128], [0xb, 1]];
    for (const [code, div] of expected) {
      const h = setup();
      h.wr(LapicReg.TimerDivide, code);
      h.wr(LapicReg.TimerInitial, 1_000_000);
      h.at(10 * div * 100);
      expect(h.rd(LapicReg.TimerCurrent)).toBe(1_000_000 - 100);
    }
  });

  it('delivers by priority class against TPR and the in-service vector (PPR)', () => {
    const h = setup();
    h.apic.acceptInterrupt(0x35, false);
    h.wr(LapicReg.Tpr, 0x40);
    expect(h.rd(LapicReg.Ppr)).toBe(0x40);
    expect(h.apic.pending()).toBe(false);
    h.wr(LapicReg.Tpr, 0x20);
    expect(h.apic.acknowledge()).toBe(0x35);
    expect(h.rd(LapicReg.Ppr)).toBe(0x30);
    h.apic.acceptInterrupt(0x3f, false); // same class as the one in service: held
    expect(h.apic.pending()).toBe(false);
    h.apic.acceptInterrupt(0x41, false);
    expect(h.apic.acknowledge()).toBe(0x41);
    h.wr(LapicReg.Eoi, 0); // clears 0x41, the highest in service
    h.wr(LapicReg.Eoi, 0);
    expect(h.apic.acknowledge()).toBe(0x3f);
    // Nothing left: an INTA now gets the spurious vector and sets nothing.
    expect(h.apic.acknowledge()).toBe(0xff);
  });

  it('sends self-IPIs by shorthand and by destination, and logs illegal vectors in ESR on the next write', () => {
    const h = setup();
    h.wr(LapicReg.IcrLow, (1 << 18) | 0x50); // self
    expect(h.apic.acknowledge()).toBe(0x50);
    h.wr(LapicReg.Eoi, 0);
    h.wr(LapicReg.IcrHigh, 0 << 24); // physical APIC ID 0
    h.wr(LapicReg.IcrLow, 0x51);
    expect(h.apic.acknowledge()).toBe(0x51);
    h.wr(LapicReg.Eoi, 0);
    h.wr(LapicReg.Ldr, 0x01000000);
    h.wr(LapicReg.IcrHigh, 0x02 << 24); // logical 0x02: not us
    h.wr(LapicReg.IcrLow, 0x800 | 0x52);
    expect(h.apic.pending()).toBe(false);
    h.wr(LapicReg.IcrHigh, 0x03 << 24);
    h.wr(LapicReg.IcrLow, 0x800 | 0x52);
    expect(h.apic.acknowledge()).toBe(0x52);
    h.wr(LapicReg.Eoi, 0);
    h.wr(LapicReg.IcrLow, (3 << 18) | 0x53); // all excluding self: nobody
    expect(h.apic.pending()).toBe(false);
    h.wr(LapicReg.IcrLow, (1 << 18) | 0x05); // illegal vector
    expect(h.rd(LapicReg.Esr)).toBe(0);
    h.wr(LapicReg.Esr, 0);
    expect(h.rd(LapicReg.Esr)).toBe(0x20);
    h.wr(LapicReg.Esr, 0);
    expect(h.rd(LapicReg.Esr)).toBe(0);
    h.wr(LapicReg.IcrLow, (1 << 18) | (4 << 8)); // NMI to self
    expect(h.apic.nmiPending()).toBe(true);
  });

  it('raises the error interrupt and flags illegal register addresses', () => {
    const h = setup();
    h.wr(LapicReg.LvtError, 0xfe);
    h.rd(0x2f0); // no CMCI register here
    h.wr(LapicReg.Esr, 0);
    expect(h.rd(LapicReg.Esr)).toBe(0x80);
    expect(h.apic.acknowledge()).toBe(0xfe);
    h.apic.acceptInterrupt(3, false);
    h.wr(LapicReg.Esr, 0);
    expect(h.rd(LapicReg.Esr)).toBe(0x40); // receive illegal vector
  });

  it('passes the INTA to the 8259A for ExtINT on LINT0 (virtual wire)', () => {
    const h = setup();
    h.apic.connectExtInt(() => 0x30);
    h.apic.enableVirtualWire();
    expect(h.rd(LapicReg.LvtLint0)).toBe(0x8700);
    expect(h.rd(LapicReg.LvtLint1)).toBe(0x8400);
    expect(h.apic.pending()).toBe(false);
    h.apic.setLint(0, true); // the 8259A's INT
    expect(h.apic.pending()).toBe(true);
    expect(h.apic.acknowledge()).toBe(0x30);
    h.wr(LapicReg.LvtLint0, 0x10700); // masked
    expect(h.apic.pending()).toBe(false);
  });

  it('delivers a level-triggered LINT0 fixed interrupt once per EOI (remote IRR) and broadcasts the EOI', () => {
    const h = setup();
    h.wr(LapicReg.LvtLint0, 0x8000 | 0x61);
    h.apic.setLint(0, true);
    expect(h.rd(LapicReg.LvtLint0) & 0x4000).toBe(0x4000);
    expect(h.apic.acknowledge()).toBe(0x61);
    expect(h.rd(LapicReg.Tmr + 0x30) & 2).toBe(2);
    h.wr(LapicReg.Eoi, 0);
    expect(h.eois).toEqual([0x61]);
    expect(h.apic.acknowledge()).toBe(0x61); // still asserted: delivered again
    h.apic.setLint(0, false);
    h.wr(LapicReg.Eoi, 0);
    expect(h.apic.pending()).toBe(false);
    expect(h.rd(LapicReg.LvtLint0) & 0x4000).toBe(0);
  });

  it('disappears when IA32_APIC_BASE[11] is cleared and can be moved', () => {
    const h = setup();
    h.apic.setApicBaseMsr(0xfee00000);
    expect(h.apic.hardwareEnabled).toBe(false);
    expect(h.mmio.read(BASE + LapicReg.Version, 4)).toBe(-1);
    h.apic.setApicBaseMsr(0xfed00000 | 0x800);
    expect(h.mmio.read(0xfed00000 + LapicReg.Version, 4)).toBe(0x00050014);
    expect(h.mmio.read(BASE + LapicReg.Version, 4)).toBe(-1);
    expect(h.mmio.read(0xfed00000 + LapicReg.Svr, 4)).toBe(0xff); // back to the power-up state
  });
});
