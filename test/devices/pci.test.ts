/**
 * PCI bus 0: configuration mechanism #1 (PCI Local Bus Specification 3.0,
 * 3.2.2.3.2), the i440FX host bridge and PIIX3 headers (their datasheets'
 * defaults), BAR sizing, firmware's resource assignment, and INTx#
 * routing through PIRQRC to ISA IRQs.
 */
import { describe, expect, it } from 'vitest';
import { IoBus } from '../../runtime/io-bus.js';
import { ManualTimeSource, VirtualClock } from '../../runtime/devices/clock.js';
import { createPcChipset } from '../../runtime/devices/chipset.js';
import {
  DEFAULT_PIRQ_IRQS, PCI_COMMAND_INTX_DISABLE, PCI_IO_WINDOW_BASE, PciFunction, createPciBus,
} from '../../runtime/devices/pci.js';
import { ConfigAccess, IrqRecorder } from './virtio-driver.js';

/** A function with I/O BARs that records accesses and can raise INTx#. */
class TestFunction extends PciFunction {
  readonly accesses: string[] = [];

  constructor(barSizes: number[], pin = 1) {
    super({ vendorId: 0x1234, deviceId: 0x5678, classCode: 0xff0000, revisionId: 3, subsystemVendorId: 0xabcd, subsystemId: 0x0042, interruptPin: pin });
    barSizes.forEach((size, i) => {
      if (size) {
        this.declareIoBar(i, size, {
          read: (offset, sz) => {
            this.accesses.push(`r${i}:${offset}/${sz}`);
            return 0x40 + offset;
          },
          write: (offset, sz, v) => void this.accesses.push(`w${i}:${offset}/${sz}=${v.toString(16)}`),
        });
      }
    });
  }

  raise(level: boolean): void {
    this.setIntx(level);
  }
}

function board() {
  const io = new IoBus();
  const irq = new IrqRecorder();
  const resets: boolean[] = [];
  const pci = createPciBus(io, irq, { onReset: (hard) => resets.push(hard) });
  return { io, irq, pci, cfg: new ConfigAccess(io), resets };
}

const addr = (slot: number, fn: number, reg: number, bus = 0): number => (0x80000000 | (bus << 16) | (slot << 11) | (fn << 8) | reg) | 0;

describe('configuration mechanism #1', () => {
  it('latches CONFIG_ADDRESS only on a dword access at 0xCF8, with reserved bits 30:24 and 1:0 reading 0', () => {
    const { io } = board();
    io.write(0xcf8, 4, 0xffffffff);
    expect(io.read(0xcf8, 4) >>> 0).toBe(0x80fffffc);
    io.write(0xcf8, 4, 0x80001234);
    io.write(0xcf8, 1, 0x00); // a byte cycle is ordinary I/O
    io.write(0xcf8, 2, 0x0000);
    io.write(0xcfa, 2, 0x0000);
    expect(io.read(0xcf8, 4) >>> 0).toBe(0x80001234);
    expect(io.read(0xcf8, 1)).toBe(0xff); // nobody decodes a byte at 0xCF8
    expect(io.read(0xcfa, 2)).toBe(0xffff);
  });

  it("passes Linux's pci_check_type1 probe", () => {
    const { io } = board();
    io.write(0xcfb, 1, 0x01);
    const tmp = io.read(0xcf8, 4);
    io.write(0xcf8, 4, 0x80000000);
    expect(io.read(0xcf8, 4) >>> 0).toBe(0x80000000);
    // pci_sanity_check: a host bridge (class 0x0600) on bus 0.
    expect(io.read(0xcfc + 2, 2)).toBe(0x1237);
    io.write(0xcf8, 4, addr(0, 0, 0x08));
    expect(io.read(0xcfe, 2)).toBe(0x0600);
    io.write(0xcf8, 4, tmp);
  });

  it('reads all-ones with the enable bit clear and drops writes', () => {
    const { io, cfg } = board();
    io.write(0xcf8, 4, 0x0000_0000);
    expect(io.read(0xcfc, 4)).toBe(-1);
    io.write(0xcf8, 4, 0x0000_0860); // 00:01.0 register 0x60, enable clear
    io.write(0xcfc, 1, 0x05);
    expect(cfg.read(1, 0, 0x60, 1)).toBe(DEFAULT_PIRQ_IRQS[0]);
  });

  it('answers all-ones for absent devices, functions and other buses (master abort)', () => {
    const { cfg } = board();
    expect(cfg.read(31, 0, 0, 4)).toBe(0xffffffff);
    expect(cfg.read(0, 1, 0, 4)).toBe(0xffffffff); // the 82441FX is single-function
    expect(cfg.read(1, 1, 0, 4)).toBe(0xffffffff); // the PIIX3's IDE function is not modelled
    expect(cfg.read(0, 0, 0, 4, 1)).toBe(0xffffffff); // bus 1: no bridge forwards type 1 cycles
    cfg.write(31, 0, 0x3c, 1, 5); // goes nowhere
    expect(cfg.read(31, 0, 0x3c, 1)).toBe(0xff);
  });

  it('reads bytes and words at 0xCFC + n from the selected dword', () => {
    const { io } = board();
    io.write(0xcf8, 4, addr(0, 0, 0x00));
    expect(io.read(0xcfc, 4) >>> 0).toBe(0x12378086);
    expect([0, 1, 2, 3].map((n) => io.read(0xcfc + n, 1))).toEqual([0x86, 0x80, 0x37, 0x12]);
    expect(io.read(0xcfc, 2)).toBe(0x8086);
    expect(io.read(0xcfe, 2)).toBe(0x1237);
    // An unaligned word at 0xCFF: register byte 3, then port 0xD00, which nobody decodes.
    expect(io.read(0xcff, 2)).toBe(0xff12);
    // A register number's low two bits never reach the bus: they read back as 0.
    io.write(0xcf8, 4, addr(0, 0, 0x00) | 3);
    expect(io.read(0xcf8, 4) >>> 0).toBe(0x80000000);
  });

  it('writes only the byte lanes an access covers, also unaligned ones', () => {
    const { io, cfg } = board();
    // PIIX3 PIRQRC A-D at 0x60-0x63, bits 7 and 3:0 writable.
    io.write(0xcf8, 4, addr(1, 0, 0x60));
    io.write(0xcfc, 4, 0x8b8a8988);
    expect(cfg.read(1, 0, 0x60, 4)).toBe(0x8b8a8988);
    io.write(0xcf8, 4, addr(1, 0, 0x60));
    io.write(0xcfe, 1, 0x05); // byte 2 only
    expect(cfg.read(1, 0, 0x60, 4)).toBe(0x8b058988);
    io.write(0xcf8, 4, addr(1, 0, 0x60));
    io.write(0xcfd, 4, 0x77030e0a); // an unaligned dword: lanes 1-3 here, the fourth byte to port 0xD00
    expect(cfg.read(1, 0, 0x60, 4)).toBe(0x030e0a88);
    io.write(0xcf8, 4, addr(1, 0, 0x60));
    io.write(0xcf9, 4, 0x0b000000); // bytes to 0xCF9-0xCFB, then lane 0 of the data port
    expect(cfg.read(1, 0, 0x60, 4)).toBe(0x030e0a0b);
    io.write(0xcf8, 4, addr(1, 0, 0x60));
    io.write(0xcfc, 1, 0x7f); // bits 6:4 are reserved
    expect(cfg.read(1, 0, 0x60, 1)).toBe(0x0f);
  });
});

describe('host bridge and ISA bridge headers', () => {
  it('have the 82441FX and 82371SB identities and defaults', () => {
    const { cfg } = board();
    expect(cfg.read(0, 0, 0x00, 4)).toBe(0x12378086);
    expect(cfg.read(0, 0, 0x04, 4)).toBe(0x02800006); // PCISTS 0280h, PCICMD 0006h
    expect(cfg.read(0, 0, 0x08, 4)).toBe(0x06000002); // host bridge, revision 2
    expect(cfg.read(0, 0, 0x0c, 4)).toBe(0x00000000);
    expect(cfg.read(1, 0, 0x00, 4)).toBe(0x70008086);
    expect(cfg.read(1, 0, 0x04, 4)).toBe(0x02000007);
    expect(cfg.read(1, 0, 0x08, 4)).toBe(0x06010000); // ISA bridge
    expect(cfg.read(1, 0, 0x0e, 1)).toBe(0x80); // multi-function, as the chip
    expect(cfg.read(1, 0, 0x4c, 1)).toBe(0x4d); // IORT
    expect(cfg.read(1, 0, 0x4e, 2)).toBe(0x0003); // XBCS
    expect(cfg.read(1, 0, 0x69, 1)).toBe(0x02); // TOM
  });

  it('keeps read-only registers read-only', () => {
    const { cfg } = board();
    cfg.write(0, 0, 0x00, 4, 0);
    cfg.write(0, 0, 0x08, 4, 0);
    cfg.write(0, 0, 0x04, 2, 0);
    expect(cfg.read(0, 0, 0x00, 4)).toBe(0x12378086);
    expect(cfg.read(0, 0, 0x08, 4)).toBe(0x06000002);
    expect(cfg.read(0, 0, 0x04, 2)).toBe(0x0006); // MAE and BME are hardwired on
    cfg.write(0, 0, 0x0d, 1, 0xff);
    expect(cfg.read(0, 0, 0x0d, 1)).toBe(0xf8); // MLT bits 2:0 are 0
    cfg.write(1, 0, 0x82, 1, 0xff); // DLC: bits 3:0 (Linux's quirk_passive_release sets bit 1)
    expect(cfg.read(1, 0, 0x82, 1)).toBe(0x0f);
  });
});

describe('BARs and firmware set-up', () => {
  it('sizes an I/O BAR: all-ones written reads back the size mask with the I/O bit', () => {
    const { pci, cfg } = board();
    pci.add(new TestFunction([64, 0, 4]));
    const bar0 = cfg.read(2, 0, 0x10, 4);
    cfg.write(2, 0, 0x10, 4, 0xffffffff);
    expect(cfg.read(2, 0, 0x10, 4)).toBe(0xffffffc1);
    cfg.write(2, 0, 0x10, 4, bar0);
    expect(cfg.read(2, 0, 0x10, 4)).toBe(bar0);
    cfg.write(2, 0, 0x14, 4, 0xffffffff); // an unimplemented BAR stays 0
    expect(cfg.read(2, 0, 0x14, 4)).toBe(0);
    cfg.write(2, 0, 0x18, 4, 0xffffffff);
    expect(cfg.read(2, 0, 0x18, 4)).toBe(0xfffffffd); // a 4-byte BAR: bit 1 reserved
    cfg.write(2, 0, 0x30, 4, 0xffffffff); // no expansion ROM
    expect(cfg.read(2, 0, 0x30, 4)).toBe(0);
  });

  it('places I/O BARs like firmware: in order, each aligned to its size from 0xC000, with I/O decoding on', () => {
    const { pci, cfg } = board();
    pci.add(new TestFunction([32]));
    pci.add(new TestFunction([64, 4]));
    pci.add(new TestFunction([16]), 9);
    expect(cfg.read(2, 0, 0x10, 4)).toBe(PCI_IO_WINDOW_BASE | 1);
    expect(cfg.read(3, 0, 0x10, 4)).toBe(0xc040 | 1);
    expect(cfg.read(3, 0, 0x14, 4)).toBe(0xc080 | 1);
    expect(cfg.read(9, 0, 0x10, 4)).toBe(0xc090 | 1);
    expect(cfg.read(2, 0, 0x04, 2) & 0x7).toBe(0x1);
    expect(cfg.read(2, 0, 0x00, 4)).toBe(0x56781234);
    expect(cfg.read(2, 0, 0x2c, 4)).toBe(0x0042abcd);
    expect(cfg.read(2, 0, 0x08, 4)).toBe(0xff000003);
  });

  it('decodes a BAR where it is programmed, only while I/O space is enabled', () => {
    const { io, pci, cfg } = board();
    const f = new TestFunction([16]);
    pci.add(f);
    expect(io.read(0xc004, 2)).toBe(0x44);
    io.write(0xc00f, 1, 0x99);
    expect(f.accesses).toEqual(['r0:4/2', 'w0:15/1=99']);
    cfg.write(2, 0, 0x10, 4, 0xd000);
    expect(io.read(0xc004, 1)).toBe(0xff);
    expect(io.read(0xd008, 4)).toBe(0x48);
    cfg.write(2, 0, 0x04, 2, 0); // I/O space off
    expect(io.read(0xd008, 4)).toBe(-1);
    io.write(0xd008, 1, 1);
    expect(f.accesses).toHaveLength(3);
    cfg.write(2, 0, 0x04, 2, 1);
    expect(io.read(0xd000, 1)).toBe(0x40);
  });

  it('routes PIRQA-D like firmware and writes each device its IRQ in Interrupt Line', () => {
    const { pci, cfg } = board();
    for (let i = 0; i < 5; i++) pci.add(new TestFunction([4]));
    pci.add(new TestFunction([4], 0));
    expect([0, 1, 2, 3].map((l) => cfg.read(1, 0, 0x60 + l, 1))).toEqual([...DEFAULT_PIRQ_IRQS]);
    // Slot s, INTA#: PIRQ (s - 1) mod 4.
    expect([2, 3, 4, 5, 6].map((s) => cfg.read(s, 0, 0x3c, 2))).toEqual([0x010a, 0x010b, 0x0105, 0x0109, 0x010a]);
    expect(cfg.read(7, 0, 0x3c, 2)).toBe(0x0000); // no pin, no line
    expect(pci.intxRoutes()).toContainEqual({ slot: 5, pin: 1, link: 0, irq: 9 });
  });

  it("programs the PIRQ IRQs level-triggered in the chipset's ELCR", () => {
    const io = new IoBus();
    const clock = new VirtualClock(new ManualTimeSource());
    const chipset = createPcChipset({ io, clock });
    const pci = createPciBus(io, chipset.irq);
    expect(io.read(0x4d0, 1)).toBe(0x20); // IRQ 5
    expect(io.read(0x4d1, 1)).toBe(0x0e); // IRQ 9, 10, 11
    chipset.reset();
    expect(io.read(0x4d1, 1)).toBe(0x00);
    pci.reset();
    expect(io.read(0x4d1, 1)).toBe(0x0e);
  });
});

describe('INTx# routing', () => {
  it('drives the routed ISA IRQ, follows PIRQRC changes and honours routing disable', () => {
    const { pci, cfg, irq } = board();
    const f = new TestFunction([4]);
    pci.add(f); // slot 2, INTA# -> PIRQB -> IRQ 10
    f.raise(true);
    expect(irq.level[10]).toBe(true);
    expect(cfg.read(2, 0, 0x06, 2) & 0x08).toBe(0x08); // Status.Interrupt
    cfg.write(1, 0, 0x61, 1, 0x0c); // PIRQB -> IRQ 12
    expect(irq.level[10]).toBe(false);
    expect(irq.level[12]).toBe(true);
    cfg.write(1, 0, 0x61, 1, 0x8c); // routing disabled
    expect(irq.level[12]).toBe(false);
    cfg.write(1, 0, 0x61, 1, 0x02); // IRQ 2 is reserved: not routed
    expect(irq.level.some((l) => l)).toBe(false);
    cfg.write(1, 0, 0x61, 1, 0x0a);
    expect(irq.level[10]).toBe(true);
    f.raise(false);
    expect(irq.level[10]).toBe(false);
    expect(cfg.read(2, 0, 0x06, 2) & 0x08).toBe(0);
  });

  it('gates INTx# with Interrupt Disable while Status still shows the request', () => {
    const { pci, cfg, irq } = board();
    const f = new TestFunction([4]);
    pci.add(f);
    cfg.write(2, 0, 0x04, 2, cfg.read(2, 0, 0x04, 2) | PCI_COMMAND_INTX_DISABLE);
    f.raise(true);
    expect(irq.level[10]).toBe(false);
    expect(cfg.read(2, 0, 0x06, 2) & 0x08).toBe(0x08);
    cfg.write(2, 0, 0x04, 2, cfg.read(2, 0, 0x04, 2) & ~PCI_COMMAND_INTX_DISABLE);
    expect(irq.level[10]).toBe(true);
  });

  it('wires the INTx# lines that share an IRQ together', () => {
    const { pci, irq } = board();
    const a = new TestFunction([4]);
    const b = new TestFunction([4]);
    pci.add(a, 2); // PIRQB
    pci.add(b, 6); // PIRQB again
    a.raise(true);
    b.raise(true);
    a.raise(false);
    expect(irq.level[10]).toBe(true);
    b.raise(false);
    expect(irq.level[10]).toBe(false);
    expect(irq.changes).toEqual([[10, true], [10, false]]);
  });
});

describe('PIIX3 reset control (0xCF9) and bus reset', () => {
  it('resets when RCPU goes to 1, hard or soft as SRST says, and keeps only SRST', () => {
    const { io, resets } = board();
    io.write(0xcf9, 1, 0x02);
    expect(io.read(0xcf9, 1)).toBe(0x02);
    io.write(0xcf9, 1, 0x06); // Linux's reboot=pci: 0x02 then 0x06
    expect(resets).toEqual([true]);
    io.write(0xcf9, 1, 0x04);
    expect(resets).toEqual([true, false]);
    expect(io.read(0xcf9, 1)).toBe(0x00);
  });

  it('returns every header to power-on and sets it up again', () => {
    const { pci, cfg, irq } = board();
    const f = new TestFunction([16]);
    pci.add(f);
    cfg.write(2, 0, 0x10, 4, 0xd000);
    cfg.write(2, 0, 0x0c, 1, 0x10);
    cfg.write(1, 0, 0x61, 1, 0x80);
    cfg.write(0, 0, 0x59, 1, 0x30); // a PAM register
    f.raise(true);
    pci.reset();
    expect(cfg.read(2, 0, 0x10, 4)).toBe(0xc001);
    expect(cfg.read(2, 0, 0x0c, 1)).toBe(0);
    expect(cfg.read(2, 0, 0x3c, 1)).toBe(10);
    expect(cfg.read(1, 0, 0x61, 1)).toBe(10);
    expect(cfg.read(0, 0, 0x59, 1)).toBe(0);
    expect(irq.level[10]).toBe(false); // RST# drops INTx#
  });
});
