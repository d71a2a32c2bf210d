import { describe, expect, it } from 'vitest';
import { I8042 } from '../../runtime/devices/i8042.js';
import { Port92 } from '../../runtime/devices/port92.js';
import { Port80 } from '../../runtime/devices/port80.js';

function setup() {
  const events: string[] = [];
  const irq1: boolean[] = [];
  const irq12: boolean[] = [];
  const kbc = new I8042({
    irq1: (l) => irq1.push(l),
    irq12: (l) => irq12.push(l),
    onReset: () => events.push('reset'),
    onA20: (on) => events.push(`a20 ${on}`),
  });
  const status = (): number => kbc.ports.read(0x64, 1);
  const cmd = (c: number): void => kbc.ports.write(0x64, 1, c);
  const data = (v: number): void => kbc.ports.write(0x60, 1, v);
  /** Read every byte waiting in the output buffer (i8042_flush). */
  const drain = (): number[] => {
    const got: number[] = [];
    while (status() & 0x01) got.push(kbc.ports.read(0x60, 1));
    return got;
  };
  return { kbc, events, irq1, irq12, status, cmd, data, drain };
}

describe('8042 keyboard controller', () => {
  it("answers the commands Linux's i8042 driver probes with", () => {
    const h = setup();
    h.cmd(0xaa);
    expect(h.status() & 0x0d).toBe(0x0d); // OBF, SYS, last write a command
    expect(h.drain()).toEqual([0x55]);
    h.cmd(0xab);
    expect(h.drain()).toEqual([0x00]);
    h.cmd(0x20); // read CTR
    expect(h.drain()).toEqual([0x45]);
    h.cmd(0x60); // write CTR: disable keyboard, no interrupt, keep XLATE and SYS
    h.data(0x54);
    expect(h.status() & 0x08).toBe(0);
    h.cmd(0x20);
    expect(h.drain()).toEqual([0x54]);
    h.cmd(0xa7); // disable aux: CTR bit 5
    h.cmd(0x20);
    expect(h.drain()[0]! & 0x20).toBe(0x20);
    h.cmd(0xa8);
    h.cmd(0x20);
    expect(h.drain()[0]! & 0x20).toBe(0);
    h.cmd(0xa9);
    expect(h.drain()).toEqual([0x00]);
    h.cmd(0xae); // enable keyboard
    h.cmd(0x20);
    expect(h.drain()[0]! & 0x10).toBe(0);
  });

  it('loops aux bytes back with the AUX status bit and IRQ 12 (the aux IRQ test)', () => {
    const h = setup();
    h.cmd(0x60);
    h.data(0x47); // INT, INT2, SYS, XLATE
    h.cmd(0xd3);
    h.data(0xa5);
    expect(h.status() & 0x21).toBe(0x21);
    expect(h.irq12).toEqual([true]);
    expect(h.irq1).toEqual([]);
    expect(h.drain()).toEqual([0xa5]);
    expect(h.irq12).toEqual([true, false]);
    h.cmd(0xd2); // as if from the keyboard: IRQ 1
    h.data(0x1e);
    expect(h.irq1).toEqual([true]);
    expect(h.drain()).toEqual([0x1e]);
    // Nothing on the aux port: a byte sent to it times out.
    h.cmd(0xd4);
    h.data(0xff);
    expect(h.status() & 0x61).toBe(0x61);
    expect(h.drain()).toEqual([0xfe]);
    expect(h.status() & 0x40).toBe(0);
  });

  it('resets the keyboard (FF -> FA AA) and identifies it, translated and not', () => {
    const h = setup();
    h.data(0xff);
    expect(h.drain()).toEqual([0xfa, 0xaa]);
    h.data(0xf2);
    expect(h.drain()).toEqual([0xfa, 0xab, 0x41]); // XLATE turns 0x83 into 0x41
    h.cmd(0x60);
    h.data(0x05); // translation off
    h.data(0xf2);
    expect(h.drain()).toEqual([0xfa, 0xab, 0x83]);
    h.data(0xed);
    h.data(0x07);
    expect(h.drain()).toEqual([0xfa, 0xfa]);
    h.data(0xf0);
    h.data(0x00);
    expect(h.drain()).toEqual([0xfa, 0xfa, 0x02]);
    h.data(0xee);
    expect(h.drain()).toEqual([0xee]);
    h.data(0x99);
    expect(h.drain()).toEqual([0xfe]);
  });

  it('delivers key scan codes on IRQ 1, translated from set 2 to set 1 with the break prefix folded in', () => {
    const h = setup();
    h.kbc.keys([0x1c, 0xf0, 0x1c, 0xe0, 0x75]); // A make, A break, cursor up make
    expect(h.irq1).toEqual([true]);
    expect(h.drain()).toEqual([0x1e, 0x9e, 0xe0, 0x48]);
    expect(h.irq1.at(-1)).toBe(false);
    h.cmd(0x60);
    h.data(0x05);
    h.kbc.keys([0xf0, 0x1c]);
    expect(h.drain()).toEqual([0xf0, 0x1c]);
    h.data(0xf5); // disable scanning
    h.drain();
    h.kbc.keys([0x1c]);
    expect(h.drain()).toEqual([]);
  });

  it('holds keyboard bytes while the keyboard interface is disabled', () => {
    const h = setup();
    h.cmd(0xad);
    h.kbc.keys([0x1c]);
    expect(h.status() & 0x01).toBe(0);
    h.cmd(0xae);
    expect(h.drain()).toEqual([0x1e]);
  });

  it('gates A20 through output port bit 1 and resets the CPU through bit 0 and pulse 0xFE', () => {
    const h = setup();
    expect(h.kbc.a20).toBe(true); // the port pins come out of reset high
    h.cmd(0xd1);
    h.data(0xdd); // A20 off
    expect(h.events).toEqual(['a20 false']);
    h.cmd(0xd0);
    expect(h.drain()).toEqual([0xdd & 0xcf]);
    h.cmd(0xd1);
    h.data(0xdf); // Linux's empty_8042 + 0xDF: A20 on
    expect(h.events).toEqual(['a20 false', 'a20 true']);
    h.cmd(0xfe);
    expect(h.events.at(-1)).toBe('reset');
    h.cmd(0xff); // pulses nothing
    expect(h.events.length).toBe(3);
  });
});

describe('port 0x92 and port 0x80', () => {
  it('port 0x92: A20 in bit 1, reset on a 0-to-1 write of bit 0', () => {
    const events: string[] = [];
    const p = new Port92({ onReset: () => events.push('reset'), onA20: (on) => events.push(`a20 ${on}`) });
    p.ports.write(0x92, 1, 0x02);
    expect(p.ports.read(0x92, 1)).toBe(0x02);
    expect(events).toEqual(['a20 true']);
    p.ports.write(0x92, 1, 0x03);
    expect(events).toEqual(['a20 true', 'reset']);
    p.ports.write(0x92, 1, 0x03); // no new transition
    expect(events.length).toBe(2);
  });

  it('port 0x80 keeps the last POST code and reads as an open bus', () => {
    const codes: number[] = [];
    const p = new Port80((c) => codes.push(c));
    p.write(0x80, 1, 0x1ab);
    expect(p.last).toBe(0xab);
    expect(codes).toEqual([0xab]);
    expect(p.read(0x80, 1)).toBe(0xff);
  });
});
