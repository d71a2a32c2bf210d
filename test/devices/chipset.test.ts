import { describe, expect, it } from 'vitest';
import { IoBus } from '../../runtime/io-bus.js';
import { MmioBus } from '../../runtime/mmio-bus.js';
import { ManualTimeSource, VirtualClock } from '../../runtime/devices/clock.js';
import { createPcChipset, type PcChipsetOptions } from '../../runtime/devices/chipset.js';
import { pitTimeOfTick } from '../../runtime/devices/pit8254.js';
import { LapicReg } from '../../runtime/devices/lapic.js';

function board(extra: Partial<PcChipsetOptions> = {}, apic = true) {
  const src = new ManualTimeSource();
  const clock = new VirtualClock(src);
  const io = new IoBus();
  const mmio = new MmioBus();
  const events: string[] = [];
  const serial: number[][] = [[], [], [], []];
  const chipset = createPcChipset({
    io,
    clock,
    ...(apic ? { mmio } : {}),
    serial: serial.map((s) => (b: Uint8Array) => s.push(...b)),
    memoryBytes: 64 << 20,
    rtcTime: Date.parse('2024-01-01T00:00:00Z'),
    onReset: () => events.push('reset'),
    onA20: (on) => events.push(`a20 ${on}`),
    ...extra,
  });
  const out = (port: number, v: number): void => io.write(port, 1, v);
  const inb = (port: number): number => io.read(port, 1);
  return { chipset, clock, src, io, mmio, events, serial, out, inb };
}

/** init_8259A() as Linux writes it, with ISA_IRQ_VECTOR(0) as the master's base. */
function linuxInitPic(out: (port: number, v: number) => void, base: number): void {
  out(0x21, 0xff);
  out(0xa1, 0xff);
  out(0x20, 0x11);
  out(0x21, base);
  out(0x21, 0x04);
  out(0x21, 0x01);
  out(0xa0, 0x11);
  out(0xa1, base + 8);
  out(0xa1, 0x02);
  out(0xa1, 0x01);
  out(0x21, 0xfb); // everything masked but the cascade, as Linux leaves it
  out(0xa1, 0xff);
}

/** Linux's PIT clockevent in periodic mode: channel 0, LSB/MSB, mode 2, LATCH = PIT_TICK_RATE / HZ. */
function linuxPitPeriodic(out: (port: number, v: number) => void, hz: number): number {
  const latch = Math.floor((1_193_182 + hz / 2) / hz);
  out(0x43, 0x34);
  out(0x40, latch & 0xff);
  out(0x40, latch >> 8);
  return latch;
}

describe('PC chipset wiring', () => {
  // Linux 2.6-era i386 put IRQ 0 at 0x20 (what the issue names); current kernels at ISA_IRQ_VECTOR(0) = 0x30.
  for (const base of [0x20, 0x30]) {
    for (const apic of [true, false]) {
      it(`PIT -> 8259A -> acknowledge() gives vector ${base.toString(16)}h for IRQ 0 (${apic ? 'through the local APIC in virtual-wire mode' : 'no APIC'})`, () => {
        const h = board({}, apic);
        linuxInitPic(h.out, base);
        const latch = linuxPitPeriodic(h.out, 250);
        h.out(0x21, 0xfa); // unmask IRQ 0
        // The mode 2 control word set OUT0 high: the 8259A latched that rising edge in IRR while IRQ 0 was masked.
        expect(h.chipset.interrupts.pending()).toBe(true);
        expect(h.chipset.interrupts.acknowledge()).toBe(base);
        expect(h.chipset.interrupts.pending()).toBe(false);
        h.out(0x20, 0x20); // EOI
        // Then one edge per period: OUT0 is low for the CLK where CE = 1 and rises with the reload.
        h.src.set(pitTimeOfTick(latch + 1) - 1);
        expect(h.chipset.interrupts.pending()).toBe(false);
        h.src.set(pitTimeOfTick(latch + 1));
        expect(h.chipset.interrupts.pending()).toBe(true);
        expect(h.chipset.interrupts.acknowledge()).toBe(base);
        h.out(0x20, 0x20);
        h.src.set(pitTimeOfTick(2 * latch + 1));
        expect(h.chipset.interrupts.pending()).toBe(true);
        expect(h.chipset.interrupts.acknowledge()).toBe(base);
      });
    }
  }

  it('routes the PIT to I/O APIC pin 2 and on to the local APIC', () => {
    const h = board();
    linuxInitPic(h.out, 0x30);
    h.out(0x21, 0xff); // 8259A fully masked: symmetric I/O mode
    h.mmio.write(0xfec00000, 1, 0x15); // pin 2, high dword
    h.mmio.write(0xfec00010, 4, 0);
    h.mmio.write(0xfec00000, 1, 0x14); // pin 2, low dword: vector 0x40, fixed, edge, unmasked
    h.mmio.write(0xfec00010, 4, 0x40);
    const latch = linuxPitPeriodic(h.out, 1000);
    h.src.set(pitTimeOfTick(latch + 1));
    expect(h.chipset.interrupts.pending()).toBe(true);
    expect(h.chipset.interrupts.acknowledge()).toBe(0x40);
    h.mmio.write(0xfee000b0, 4, 0);
    expect(h.chipset.interrupts.pending()).toBe(false);
  });

  it('lets the 8259A drive INTR directly once IA32_APIC_BASE disables the local APIC', () => {
    const h = board({ virtualWire: false });
    linuxInitPic(h.out, 0x30);
    h.out(0x21, 0xfa);
    linuxPitPeriodic(h.out, 1000);
    h.src.set(2_500_000);
    // LINT0 is masked (no virtual wire): the APIC blocks the 8259A.
    expect(h.chipset.interrupts.pending()).toBe(false);
    h.chipset.lapic!.setApicBaseMsr(0xfee00000);
    expect(h.chipset.interrupts.pending()).toBe(true);
    expect(h.chipset.interrupts.acknowledge()).toBe(0x30);
  });

  it('delivers the local APIC timer to the CPU alongside the 8259A', () => {
    const h = board();
    const w = (reg: number, v: number): void => h.mmio.write(0xfee00000 + reg, 4, v);
    w(LapicReg.TimerDivide, 0x3);
    w(LapicReg.LvtTimer, 0xef);
    w(LapicReg.TimerInitial, 100);
    h.src.set(16_000);
    expect(h.chipset.interrupts.pending()).toBe(true);
    expect(h.chipset.interrupts.acknowledge()).toBe(0xef);
  });

  it('wires COM1 to IRQ 4 (shared with COM3) and COM2 to IRQ 3, through OUT2', () => {
    const h = board({ comPorts: 4 });
    linuxInitPic(h.out, 0x30);
    h.out(0x21, 0xe3); // unmask IRQ 2, 3, 4
    h.out(0x3f8 + 4, 0x08); // OUT2
    h.out(0x3f8 + 1, 0x02); // THRE interrupt
    expect(h.chipset.interrupts.acknowledge()).toBe(0x34);
    h.out(0x3e8 + 4, 0x08);
    h.out(0x3e8 + 1, 0x02); // COM3 asserts the same line while COM1 still does
    h.out(0x20, 0x20);
    expect(h.chipset.interrupts.pending()).toBe(false); // no new edge on the wired-OR line
    h.inb(0x3f8 + 2);
    h.inb(0x3e8 + 2); // both sources cleared: the line falls
    h.out(0x3e8, 0x41); // COM3 transmits: THRE again, a new edge
    expect(h.chipset.interrupts.acknowledge()).toBe(0x34);
    h.out(0x20, 0x20);
    h.out(0x2f8 + 4, 0x08);
    h.out(0x2f8 + 1, 0x02);
    expect(h.chipset.interrupts.acknowledge()).toBe(0x33);
    h.chipset.flush();
    expect(h.serial[2]).toEqual([0x41]);
  });

  it('answers for absent COM ports as an empty bus (Linux finds no UART)', () => {
    const h = board({ comPorts: 1 });
    h.out(0x2f8 + 1, 0);
    expect(h.inb(0x2f8 + 1) & 0x0f).toBe(0x0f);
    expect(h.chipset.uarts.length).toBe(1);
  });

  it('delivers the RTC on IRQ 8 through the slave and the keyboard on IRQ 1', () => {
    const h = board();
    linuxInitPic(h.out, 0x30);
    h.out(0x21, 0xf9); // IRQ 1, 2
    h.out(0xa1, 0xfe); // IRQ 8
    h.out(0x70, 0x0c);
    h.inb(0x71);
    h.out(0x70, 0x0b);
    h.out(0x71, 0x02 | 0x40); // PIE at the default 1024 Hz
    h.src.set(1_000_000);
    expect(h.chipset.interrupts.pending()).toBe(true);
    expect(h.chipset.interrupts.acknowledge()).toBe(0x38);
    h.out(0x70, 0x0c);
    expect(h.inb(0x71) & 0xc0).toBe(0xc0);
    h.out(0xa0, 0x20);
    h.out(0x20, 0x20);
    h.chipset.i8042.keys([0x1c]);
    expect(h.chipset.interrupts.pending()).toBe(true);
    expect(h.chipset.interrupts.acknowledge()).toBe(0x31);
    expect(h.inb(0x60)).toBe(0x1e);
  });

  it('brings the clock up to date on every port access', () => {
    const h = board();
    h.out(0x43, 0xb0);
    h.out(0x42, 10);
    h.out(0x42, 0);
    h.out(0x61, 0x01);
    h.src.set(pitTimeOfTick(20));
    expect(h.inb(0x61) & 0x20).toBe(0x20);
    // The RTC's seconds follow time without anyone polling the clock.
    h.src.set(3_000_000_000);
    h.out(0x70, 0x00);
    expect(h.inb(0x71)).toBe(0x03);
  });

  it('gates A20 by the 8042 OR port 0x92 and reports resets from both', () => {
    const h = board();
    expect(h.chipset.a20).toBe(true);
    h.out(0x64, 0xd1);
    h.out(0x60, 0xdd);
    expect(h.events).toEqual(['a20 false']);
    h.out(0x92, 0x02);
    expect(h.events).toEqual(['a20 false', 'a20 true']);
    h.out(0x64, 0xd1);
    h.out(0x60, 0xdf); // already on through port 0x92
    expect(h.events.length).toBe(2);
    h.out(0x92, 0x03);
    h.out(0x64, 0xfe);
    expect(h.events.slice(2)).toEqual(['reset', 'reset']);
  });

  it('fills the CMOS memory-size bytes and returns to power-on state on reset', () => {
    const h = board();
    h.out(0x70, 0x34);
    const above16 = h.inb(0x71);
    h.out(0x70, 0x35);
    expect(above16 | (h.inb(0x71) << 8)).toBe(48 * 16);
    linuxInitPic(h.out, 0x30);
    h.chipset.reset();
    expect(h.inb(0x21)).toBe(0x00);
    h.chipset.irq.setIrq(1, true);
    expect(h.chipset.interrupts.pending()).toBe(false); // the 8259A needs initialising again
    expect(h.chipset.lapic!.softwareEnabled).toBe(true); // virtual wire set up again
  });
});
