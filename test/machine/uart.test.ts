import { describe, expect, it } from 'vitest';
import { Uart16550, LSR_DATA_READY, LSR_THR_EMPTY, LSR_TRANSMITTER_EMPTY, LSR_OVERRUN } from '../../runtime/devices/uart16550.js';

const BASE = 0x3f8;

function uart(): { u: Uart16550; out: number[] } {
  const out: number[] = [];
  const u = new Uart16550(BASE, (b) => out.push(...b));
  return { u, out };
}

describe('16550A UART (polled)', () => {
  it('sends THR writes to the sink on flush', () => {
    const { u, out } = uart();
    for (const c of 'hi\n') u.write(BASE, 1, c.charCodeAt(0));
    expect(out).toEqual([]);
    u.flush();
    expect(String.fromCharCode(...out)).toBe('hi\n');
    expect(u.transmitted).toBe(3);
  });

  it('flushes by itself when its buffer fills', () => {
    const { u, out } = uart();
    for (let i = 0; i < 5000; i++) u.write(BASE, 1, 0x41);
    expect(out.length).toBe(4096);
    u.flush();
    expect(out.length).toBe(5000);
  });

  it('always reports the transmitter empty, and data ready only with input queued', () => {
    const { u } = uart();
    expect(u.read(BASE + 5, 1)).toBe(LSR_THR_EMPTY | LSR_TRANSMITTER_EMPTY);
    u.write(BASE + 2, 1, 0x01); // FIFO mode: without it the receiver holds one byte
    u.receive([0x61, 0x62]);
    expect(u.read(BASE + 5, 1) & LSR_DATA_READY).toBe(LSR_DATA_READY);
    expect(u.read(BASE, 1)).toBe(0x61);
    expect(u.read(BASE, 1)).toBe(0x62);
    expect(u.read(BASE + 5, 1) & LSR_DATA_READY).toBe(0);
  });

  it('drops input beyond the 16-byte FIFO and reports an overrun once', () => {
    const { u } = uart();
    u.write(BASE + 2, 1, 0x01); // FIFO mode
    u.receive(new Array(20).fill(1));
    expect(u.read(BASE + 5, 1) & LSR_OVERRUN).toBe(LSR_OVERRUN);
    expect(u.read(BASE + 5, 1) & LSR_OVERRUN).toBe(0);
    let n = 0;
    while (u.read(BASE + 5, 1) & LSR_DATA_READY) { u.read(BASE, 1); n++; }
    expect(n).toBe(16);
  });

  it('maps the divisor latch over data and IER while DLAB is set', () => {
    const { u, out } = uart();
    u.write(BASE + 3, 1, 0x80);
    u.write(BASE, 1, 0x01);
    u.write(BASE + 1, 1, 0x00);
    expect(u.divisor).toBe(1);
    expect(u.read(BASE, 1)).toBe(1);
    u.write(BASE + 3, 1, 0x03);
    expect(u.read(BASE + 3, 1)).toBe(0x03);
    u.write(BASE + 1, 1, 0x05);
    expect(u.read(BASE + 1, 1)).toBe(0x05);
    u.flush();
    expect(out).toEqual([]); // divisor writes are not output
  });

  it('keeps the scratch register and reports no pending interrupt', () => {
    const { u } = uart();
    u.write(BASE + 7, 1, 0x5a);
    expect(u.read(BASE + 7, 1)).toBe(0x5a);
    expect(u.read(BASE + 2, 1) & 1).toBe(1);
    u.write(BASE + 2, 1, 0xc7);
    expect(u.read(BASE + 2, 1)).toBe(0xc1);
  });

  it('loops transmitted bytes and modem lines back in loopback mode', () => {
    const { u, out } = uart();
    u.write(BASE + 4, 1, 0x10 | 0x0f);
    u.write(BASE, 1, 0xae);
    u.flush();
    expect(out).toEqual([]);
    expect(u.read(BASE, 1)).toBe(0xae);
    expect(u.read(BASE + 6, 1) & 0xf0).toBe(0xf0);
  });
});
