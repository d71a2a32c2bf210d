import { describe, expect, it } from 'vitest';
import { ManualTimeSource, VirtualClock } from '../../runtime/devices/clock.js';
import {
  IIR_CHAR_TIMEOUT, IIR_MODEM_STATUS, IIR_NONE, IIR_RX_DATA, IIR_RX_LINE_STATUS, IIR_THRE, LSR_DATA_READY, LSR_OVERRUN, Uart16550,
} from '../../runtime/devices/uart16550.js';

const COM1 = 0x3f8;
const IER = COM1 + 1, IIR = COM1 + 2, FCR = COM1 + 2, LCR = COM1 + 3, MCR = COM1 + 4, LSR = COM1 + 5, MSR = COM1 + 6;

function setup(withClock = true) {
  const src = new ManualTimeSource();
  const clock = new VirtualClock(src);
  const irq: boolean[] = [];
  const out: number[] = [];
  const u = new Uart16550(COM1, (b) => out.push(...b), withClock ? { clock, irq: (l) => irq.push(l) } : { irq: (l) => irq.push(l) });
  const w = (port: number, v: number): void => u.write(port, 1, v);
  const r = (port: number): number => u.read(port, 1);
  const at = (ns: number): void => {
    src.set(ns);
    clock.poll();
  };
  return { u, clock, irq, out, w, r, at, src };
}

describe('16550A UART with interrupts', () => {
  it('identifies interrupts in priority order: line status, data, THRE, modem status', () => {
    const h = setup(false);
    h.w(MCR, 0x08); // OUT2: the PC's interrupt gate
    h.u.receive([1]);
    h.u.receive([2]); // character mode: overwrites RBR, overrun
    h.u.setModemLines({ cts: false }); // DCTS
    h.w(IER, 0x0f);
    expect(h.r(IIR)).toBe(IIR_RX_LINE_STATUS);
    expect(h.r(LSR) & (LSR_OVERRUN | LSR_DATA_READY)).toBe(LSR_OVERRUN | LSR_DATA_READY);
    expect(h.r(IIR)).toBe(IIR_RX_DATA);
    expect(h.r(COM1)).toBe(2);
    expect(h.r(IIR)).toBe(IIR_THRE); // reading IIR with THRE the source clears it
    expect(h.r(IIR)).toBe(IIR_MODEM_STATUS);
    expect(h.r(MSR)).toBe(0x20 | 0x80 | 0x01); // DSR, DCD, delta CTS
    expect(h.r(IIR)).toBe(IIR_NONE);
    expect(h.irq.at(-1)).toBe(false);
  });

  it('reasserts THRE when ETBEI is turned on with THR empty and after each THR write (Linux UART_BUG_THRE probe)', () => {
    const h = setup(false);
    h.w(MCR, 0x08);
    h.w(IER, 0x02);
    const iir1 = h.r(IIR);
    h.w(IER, 0x00);
    h.w(IER, 0x02);
    const iir2 = h.r(IIR);
    expect([iir1, iir2]).toEqual([IIR_THRE, IIR_THRE]);
    expect(h.r(IIR)).toBe(IIR_NONE); // cleared by the read
    h.w(COM1, 0x41);
    expect(h.r(IIR)).toBe(IIR_THRE);
    h.u.flush();
    expect(h.out).toEqual([0x41]);
  });

  it('drives the IRQ line only while MCR.OUT2 is set and not in loopback', () => {
    const h = setup(false);
    h.w(IER, 0x02);
    expect(h.irq).toEqual([]);
    h.w(MCR, 0x08);
    expect(h.irq).toEqual([true]);
    h.w(MCR, 0x18);
    expect(h.irq).toEqual([true, false]);
    h.w(MCR, 0x0b);
    expect(h.irq).toEqual([true, false, true]);
    h.r(IIR);
    expect(h.irq).toEqual([true, false, true, false]);
  });

  it('signals received data at the FIFO trigger level and a character timeout below it', () => {
    const h = setup();
    h.w(LCR, 0x03);
    h.w(COM1 + 3, 0x83); // DLAB
    h.w(COM1, 1); // 115200 baud
    h.w(COM1 + 1, 0);
    h.w(LCR, 0x03);
    const ct = h.u.charTimeNs();
    expect(ct).toBe(86_806); // 10 bits at 115200 baud
    h.w(FCR, 0x81); // FIFO on, trigger 8
    h.w(MCR, 0x08);
    h.w(IER, 0x01);
    h.u.receive([1, 2, 3, 4, 5, 6, 7]);
    h.at(7 * ct);
    expect(h.r(LSR) & LSR_DATA_READY).toBe(LSR_DATA_READY);
    expect(h.r(IIR)).toBe(0xc0 | IIR_NONE); // 7 < 8, and not four character times yet
    h.at(11 * ct - 1);
    expect(h.r(IIR)).toBe(0xc0 | IIR_NONE);
    h.at(11 * ct);
    expect(h.r(IIR)).toBe(0xc0 | IIR_CHAR_TIMEOUT);
    expect(h.irq.at(-1)).toBe(true);
    expect(h.r(COM1)).toBe(1); // reading RBR clears the timeout and restarts its timer
    expect(h.r(IIR)).toBe(0xc0 | IIR_NONE);
    h.u.receive([8, 9]);
    h.at(13 * ct); // 6 + 2 = 8: at the trigger level
    expect(h.r(IIR)).toBe(0xc0 | IIR_RX_DATA);
    h.r(COM1);
    expect(h.r(IIR)).toBe(0xc0 | IIR_NONE); // 7 again: below the trigger
  });

  it('uses the trigger levels 1, 4, 8 and 14 and loses the seventeenth byte with an overrun', () => {
    for (const [fcr, level] of [[0x01, 1], [0x41, 4], [0x81, 8], [0xc1, 14]] as const) {
      const h = setup(false);
      h.w(FCR, fcr);
      h.w(IER, 0x01);
      for (let i = 1; i < level; i++) h.u.receive([i]);
      expect(h.r(IIR) & 0x0f).toBe(IIR_NONE);
      h.u.receive([level]);
      expect(h.r(IIR) & 0x0f).toBe(IIR_RX_DATA);
    }
    const h = setup(false);
    h.w(FCR, 0x07);
    h.u.receive(Array.from({ length: 17 }, (_, i) => i));
    expect(h.r(LSR) & LSR_OVERRUN).toBe(LSR_OVERRUN);
    const got: number[] = [];
    while (h.r(LSR) & LSR_DATA_READY) got.push(h.r(COM1));
    expect(got).toEqual(Array.from({ length: 16 }, (_, i) => i));
  });

  it('clears the FIFO on FCR bit 1 and when the FIFO mode changes', () => {
    const h = setup(false);
    h.w(FCR, 0x01);
    h.u.receive([1, 2, 3]);
    h.w(FCR, 0x03);
    expect(h.r(LSR) & LSR_DATA_READY).toBe(0);
    h.u.receive([4]);
    h.w(FCR, 0x00);
    expect(h.r(LSR) & LSR_DATA_READY).toBe(0);
    expect(h.r(IIR) & 0xc0).toBe(0);
  });

  it('paces received bytes one character time apart at the programmed rate', () => {
    const h = setup();
    h.w(FCR, 0x01);
    const ct = h.u.charTimeNs(); // 9600 baud 8N1: 1.0417 ms
    expect(ct).toBe(1_041_667);
    h.u.receive([0x61, 0x62]);
    h.at(ct - 1);
    expect(h.r(LSR) & LSR_DATA_READY).toBe(0);
    h.at(ct);
    expect(h.r(COM1)).toBe(0x61);
    expect(h.r(LSR) & LSR_DATA_READY).toBe(0);
    h.at(2 * ct);
    expect(h.r(COM1)).toBe(0x62);
    // 7 data bits, parity, 2 stop bits: 11 bits a character.
    h.w(LCR, 0x0e);
    expect(h.u.charTimeNs()).toBe(Math.ceil((11 * 16 * 12 * 1e9) / 1_843_200));
  });

  it('reports modem status changes in loopback from the MCR outputs, with TERI on the trailing edge of RI', () => {
    const h = setup(false);
    h.w(MCR, 0x10);
    h.r(MSR);
    h.w(MCR, 0x10 | 0x01 | 0x04); // DTR, OUT1
    expect(h.r(MSR)).toBe(0x20 | 0x40 | 0x02); // DSR, RI, delta DSR
    h.w(MCR, 0x10 | 0x01);
    expect(h.r(MSR)).toBe(0x20 | 0x04); // RI went inactive: TERI
    // Linux's probe: loopback with RTS and OUT2 reads CTS and DCD.
    h.w(MCR, 0x10 | 0x0a);
    expect(h.r(MSR) & 0xf0).toBe(0x90);
  });

  it('has the register behaviour Linux autoconfig relies on: IER bits 7-4 read 0, IIR bit 5 never set', () => {
    const h = setup(false);
    h.w(IER, 0xff);
    expect(h.r(IER)).toBe(0x0f);
    h.w(IER, 0);
    h.w(FCR, 0x21); // FIFO enable with the 16750's 64-byte bit
    expect(h.r(IIR) >> 5).toBe(6);
    h.w(LCR, 0xbf); // EFR access on the 16650: on a 16550A offset 2 is still IIR
    expect(h.r(IIR)).toBe(0xc1);
  });
});
