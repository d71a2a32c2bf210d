/**
 * The chipset against QEMU's PC (i440FX/PIIX3 with SeaBIOS): one guest runs
 * a script of port and MMIO accesses and logs what it reads; the same
 * script replays on createPcChipset. Where QEMU departs from the datasheet
 * the reading is listed in QEMU_DIFFERENCES with the datasheet's value,
 * which ours must give instead.
 */
import { describe, expect, it } from 'vitest';
import { type Op, discard, inb, out, qemuToolsAvailable, r32, runInChipset, runInQemu, w32 } from './port-script.js';

const linuxPicInit = (base: number): Op[] => [
  out(0x21, 0xff), out(0xa1, 0xff),
  out(0x20, 0x11), out(0x21, base), out(0x21, 0x04), out(0x21, 0x01),
  out(0xa0, 0x11), out(0xa1, base + 8), out(0xa1, 0x02), out(0xa1, 0x01),
];
const kbcCmd = (c: number): Op => out(0x64, c);
const rtc = (index: number, note: string, mask?: number): Op[] => [out(0x70, index), inb(0x71, note, mask)];
const rtcWrite = (index: number, v: number): Op[] => [out(0x70, index), out(0x71, v)];
const ioapicSelect = (reg: number): Op => w32(0xfec00000, reg);

const SCRIPT: Op[] = [
  // Quiet the board: PIT counter 0 to mode 0 with the longest count (OUT0 low for 55 ms), both PICs masked,
  // the keyboard controller's interfaces off and its output buffer drained.
  out(0x43, 0x30), out(0x40, 0xff), out(0x40, 0xff),
  out(0x21, 0xff), out(0xa1, 0xff),
  kbcCmd(0xad), kbcCmd(0xa7), discard(0x60), discard(0x60), discard(0x60), discard(0x60),
  kbcCmd(0x60), out(0x60, 0x44), // CTR: XLATE, SYS, no interrupts, interfaces enabled

  // 8259A: the ICW sequence, IMR, IRR, ELCR.
  ...linuxPicInit(0x30),
  inb(0x21, 'master IMR after ICW1'), inb(0xa1, 'slave IMR after ICW1'),
  out(0x21, 0xff), out(0xa1, 0xff),
  inb(0x20, 'master IRR after init'),
  out(0x4d0, 0xff), inb(0x4d0, 'ELCR1 with every bit written'), out(0x4d1, 0xff), inb(0x4d1, 'ELCR2 with every bit written'),
  out(0x4d0, 0x00), out(0x4d1, 0x00),

  // The 8042 raises IRQ 1 for a byte written to its keyboard output buffer; the 8259A polls and acknowledges it.
  kbcCmd(0x60), out(0x60, 0x45),
  kbcCmd(0xd2), out(0x60, 0x1e),
  inb(0x20, 'master IRR with IRQ 1 asserted'),
  out(0x21, 0xfd),
  out(0x20, 0x0c), inb(0x20, 'poll word'),
  out(0x20, 0x0b), inb(0x20, 'master ISR after the poll'), out(0x20, 0x0a),
  inb(0x20, 'master IRR after the poll took the edge'),
  inb(0x64, 'KBC status with keyboard data'), inb(0x60, 'KBC data from 0xD2'),
  out(0x20, 0x20), out(0x20, 0x0b), inb(0x20, 'master ISR after EOI'), out(0x20, 0x0a),
  out(0x21, 0xff),

  // 8042 commands and the keyboard.
  kbcCmd(0x20), inb(0x64, 'KBC status after a command with a reply'), inb(0x60, 'CTR'),
  kbcCmd(0xaa), inb(0x60, 'self-test'),
  kbcCmd(0xab), inb(0x60, 'keyboard interface test'),
  kbcCmd(0xa9), inb(0x60, 'aux interface test'),
  kbcCmd(0xa7), kbcCmd(0x20), inb(0x60, 'CTR after 0xA7'),
  kbcCmd(0xa8), kbcCmd(0x20), inb(0x60, 'CTR after 0xA8'),
  kbcCmd(0xad), kbcCmd(0x20), inb(0x60, 'CTR after 0xAD'),
  kbcCmd(0xae), kbcCmd(0x20), inb(0x60, 'CTR after 0xAE'),
  out(0x60, 0xff), inb(0x60, 'keyboard reset: ACK'), inb(0x64, 'KBC status with BAT pending'), inb(0x60, 'keyboard reset: BAT'),
  out(0x60, 0xf2), inb(0x60, 'identify: ACK'), inb(0x60, 'identify: ID 1'), inb(0x60, 'identify: ID 2 (translated)'),
  out(0x60, 0xf5), inb(0x60, 'disable scanning: ACK'),
  out(0x60, 0xf4), inb(0x60, 'enable scanning: ACK'),
  out(0x60, 0xee), inb(0x60, 'echo'),
  kbcCmd(0xd3), out(0x60, 0x5a), inb(0x64, 'KBC status with aux data'), inb(0x60, 'aux loopback byte'),
  kbcCmd(0x60), out(0x60, 0x04), out(0x60, 0xf2), inb(0x60, 'identify untranslated: ACK'), inb(0x60, 'identify untranslated: ID 1'), inb(0x60, 'identify untranslated: ID 2'),
  kbcCmd(0x60), out(0x60, 0x44),

  // 16550A on COM1.
  out(0x3fb, 0x80), out(0x3f8, 0x01), out(0x3f9, 0x00), out(0x3fb, 0x03),
  inb(0x3fb, 'LCR'), out(0x3fb, 0x83), inb(0x3f8, 'DLL'), inb(0x3f9, 'DLM'), out(0x3fb, 0x03),
  out(0x3fa, 0x00), out(0x3f9, 0x00), out(0x3fc, 0x00),
  discard(0x3fd), discard(0x3f8), discard(0x3fa), discard(0x3fe),
  inb(0x3fa, 'IIR: no FIFO, nothing enabled'),
  out(0x3fa, 0x07), inb(0x3fa, 'IIR: FIFO on'),
  out(0x3f9, 0x02), inb(0x3fa, 'IIR: THRE'), inb(0x3fa, 'IIR after reading THRE'),
  out(0x3f9, 0xff), inb(0x3f9, 'IER with every bit written'), out(0x3f9, 0x00),
  out(0x3ff, 0xa5), inb(0x3ff, 'scratch'),
  inb(0x3fd, 'LSR idle'),
  inb(0x3fe, 'MSR: lines up'),
  out(0x3fc, 0x1f), inb(0x3fe, 'MSR: loopback with every output'),
  out(0x3fc, 0x11), inb(0x3fe, 'MSR: loopback with DTR only'),
  out(0x3fc, 0x1a), inb(0x3fe, "MSR: Linux's loopback probe (RTS, OUT2)"),
  out(0x3f8, 0x5a), inb(0x3fd, 'LSR after a looped-back byte'), inb(0x3f8, 'RBR: the looped-back byte'), inb(0x3fd, 'LSR after reading it'),
  out(0x3fc, 0x00), out(0x3fa, 0x00),
  // THRE on IRQ 4 through OUT2, seen in the 8259A's IRR (after an ICW1 so no older edge is latched).
  ...linuxPicInit(0x30), out(0x21, 0xff), out(0xa1, 0xff),
  out(0x3fc, 0x08), out(0x3f9, 0x02),
  inb(0x20, 'master IRR with COM1 THRE'),
  inb(0x3fa, 'IIR: THRE on the line'),
  out(0x3f9, 0x00), out(0x3fc, 0x00),

  // MC146818: registers that do not depend on the moment.
  ...rtc(0x0a, 'RTC register A (UIP masked)', 0x7f), ...rtc(0x0b, 'RTC register B'), ...rtc(0x0d, 'RTC register D'),
  ...rtcWrite(0x0b, 0x82), ...rtcWrite(0x00, 0x30), ...rtcWrite(0x02, 0x45), ...rtcWrite(0x04, 0x12),
  ...rtc(0x00, 'seconds written under SET'), ...rtc(0x02, 'minutes written under SET'), ...rtc(0x04, 'hours written under SET'),
  ...rtc(0x0a, 'RTC register A under SET'),
  ...rtcWrite(0x0b, 0x02),
  ...rtcWrite(0x50, 0x77), ...rtc(0x50, 'CMOS RAM byte 0x50'),
  ...rtc(0x15, 'base memory low'), ...rtc(0x16, 'base memory high'),
  ...rtc(0x17, 'extended memory low'), ...rtc(0x18, 'extended memory high'),
  ...rtc(0x30, 'POST extended memory low'), ...rtc(0x31, 'POST extended memory high'),
  ...rtc(0x34, 'memory above 16 MiB low'), ...rtc(0x35, 'memory above 16 MiB high'),
  ...rtc(0x32, 'century'), ...rtc(0x5f, 'CPUs minus one'),

  // Local APIC and I/O APIC.
  r32(0xfee00030, 'LAPIC version'),
  r32(0xfee00020, 'LAPIC ID'),
  r32(0xfee000f0, 'LAPIC SVR'),
  r32(0xfee00350, 'LAPIC LVT LINT0'),
  r32(0xfee00360, 'LAPIC LVT LINT1'),
  w32(0xfee00080, 0x25), r32(0xfee00080, 'LAPIC TPR'), r32(0xfee000a0, 'LAPIC PPR'), w32(0xfee00080, 0),
  r32(0xfee000e0, 'LAPIC DFR'),
  ioapicSelect(0x01), r32(0xfec00010, 'I/O APIC version'),
  ioapicSelect(0x20), w32(0xfec00010, 0xffffffff), r32(0xfec00010, 'I/O APIC entry 8 low, all ones written'),
  w32(0xfec00010, 0x00010000),
  ioapicSelect(0x21), w32(0xfec00010, 0xffffffff), r32(0xfec00010, 'I/O APIC entry 8 high, all ones written'),
  w32(0xfec00010, 0),
];

/** Readings where QEMU's model departs from the datasheet: ours gives the datasheet's value. */
const QEMU_DIFFERENCES: Readonly<Record<string, { readonly datasheet: number; readonly why: string }>> = {
  'KBC status with keyboard data': { datasheet: 0x15, why: 'status bit 3 says whether the last write was a command (1) or data (0); QEMU never clears it' },
  'KBC status with BAT pending': { datasheet: 0x15, why: 'as above: the last write was data (0xFF to the keyboard)' },
  'KBC status with aux data': { datasheet: 0x35, why: 'as above: the last write was the 0xD3 data byte' },
  'MSR: loopback with DTR only': {
    datasheet: 0x2d,
    why: 'PC16550D: in loopback the modem status interrupts still work, fed from MCR bits 3-0, so CTS and DCD falling set DCTS and DDCD and RI falling sets TERI; QEMU records no deltas in loopback',
  },
  "MSR: Linux's loopback probe (RTS, OUT2)": { datasheet: 0x9b, why: 'as above: DSR fell, CTS and DCD rose (Linux masks the deltas off)' },
  'I/O APIC version': { datasheet: 0x00170011, why: "the 82093AA's version is 0x11; QEMU models the ICH's I/O APIC, version 0x20" },
  'I/O APIC entry 8 low, all ones written': { datasheet: 0x0001afff, why: 'bits 31-17 are reserved on the 82093AA (read as 0 here); QEMU stores them' },
  'I/O APIC entry 8 high, all ones written': { datasheet: 0xff000000, why: 'bits 55-32 are reserved (read as 0 here); QEMU stores them' },
};

describe.skipIf(!qemuToolsAvailable())('chipset against QEMU', () => {
  it('reads what QEMU reads, register for register, except where QEMU departs from the datasheet', () => {
    const qemu = runInQemu(SCRIPT);
    const ours = runInChipset(SCRIPT);
    const rows = ours.map((o, i) => ({ note: o.note, ours: o.value, qemu: qemu[i]!.value }));
    const hex = (v: number): string => (v < 0 ? 'missing' : `0x${v.toString(16)}`);
    const mismatches: string[] = [];
    for (const r of rows) {
      const known = QEMU_DIFFERENCES[r.note];
      if (known) {
        if (r.ours !== known.datasheet) mismatches.push(`${r.note}: ours ${hex(r.ours)}, datasheet ${hex(known.datasheet)}`);
      } else if (r.ours !== r.qemu) {
        mismatches.push(`${r.note}: ours ${hex(r.ours)}, QEMU ${hex(r.qemu)}`);
      }
    }
    expect(mismatches).toEqual([]);
  }, 30_000);
});
