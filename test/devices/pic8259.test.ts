import { describe, expect, it } from 'vitest';
import { Pic8259Pair } from '../../runtime/devices/pic8259.js';

/** A PIC pair with byte-port helpers and a record of its INT output. */
function pair() {
  const ints: boolean[] = [];
  const pic = new Pic8259Pair((level) => ints.push(level));
  const out = (port: number, v: number): void => pic.ports.write(port, 1, v);
  const inb = (port: number): number => pic.ports.read(port, 1);
  return { pic, out, inb, ints };
}

/** Linux's init_8259A(): mask all, ICW1 0x11 (edge, cascade, ICW4), ICW2 base, ICW3 cascade on IR2 / slave ID 2, ICW4 0x01 (8086, normal EOI). */
function linuxInit(out: (port: number, v: number) => void, base: number): void {
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
  out(0x21, 0x00);
  out(0xa1, 0x00);
}

const readIsr = (h: ReturnType<typeof pair>, cmd: number): number => {
  h.out(cmd, 0x0b); // OCW3: read ISR
  const v = h.inb(cmd);
  h.out(cmd, 0x0a); // back to IRR
  return v;
};

describe('8259A pair', () => {
  it('keeps INT low until initialised, then vectors from ICW2 (Linux masks, probes IMR, initialises)', () => {
    const h = pair();
    h.pic.setIrq(1, true);
    expect(h.pic.pending()).toBe(false);
    // probe_8259A: IMR reads back what was written.
    h.out(0x21, 0xff);
    expect(h.inb(0x21)).toBe(0xff);
    h.out(0x21, 0xfb);
    expect(h.inb(0x21)).toBe(0xfb);
    linuxInit(h.out, 0x30);
    // ICW1 reset the edge sense latch: IRQ 1 was already high, so it needs a new rising edge.
    expect(h.pic.pending()).toBe(false);
    h.pic.setIrq(1, false);
    h.pic.setIrq(1, true);
    expect(h.pic.pending()).toBe(true);
    expect(h.ints.at(-1)).toBe(true);
    expect(h.pic.acknowledge()).toBe(0x31);
    expect(h.pic.pending()).toBe(false);
    expect(h.ints.at(-1)).toBe(false);
    expect(readIsr(h, 0x20)).toBe(0x02);
    expect(h.inb(0x20)).toBe(0x00); // IRR: the edge request was taken by the INTA
  });

  it('latches edges while masked in IRR and delivers them when unmasked', () => {
    const h = pair();
    linuxInit(h.out, 0x20);
    h.out(0x21, 0x08); // mask IRQ 3
    h.pic.setIrq(3, true);
    expect(h.inb(0x20)).toBe(0x08);
    expect(h.pic.pending()).toBe(false);
    h.out(0x21, 0x00);
    expect(h.pic.pending()).toBe(true);
    expect(h.pic.acknowledge()).toBe(0x23);
  });

  it('orders requests by priority and nests higher ones under fully nested mode', () => {
    const h = pair();
    linuxInit(h.out, 0x20);
    h.pic.setIrq(3, true);
    h.pic.setIrq(1, true);
    expect(h.pic.acknowledge()).toBe(0x21);
    // IRQ 3 is lower than the in-service IRQ 1: held off.
    expect(h.pic.pending()).toBe(false);
    h.pic.setIrq(0, true); // higher: nests
    expect(h.pic.acknowledge()).toBe(0x20);
    expect(readIsr(h, 0x20)).toBe(0x03);
    h.out(0x20, 0x20); // non-specific EOI: clears the highest, IR0
    expect(readIsr(h, 0x20)).toBe(0x02);
    expect(h.pic.pending()).toBe(false);
    h.out(0x20, 0x61); // specific EOI for IR1
    expect(readIsr(h, 0x20)).toBe(0x00);
    expect(h.pic.acknowledge()).toBe(0x23);
  });

  it('rotates priorities on EOI and by set-priority command', () => {
    const h = pair();
    linuxInit(h.out, 0x20);
    h.pic.setIrq(0, true);
    expect(h.pic.acknowledge()).toBe(0x20);
    h.out(0x20, 0xa0); // rotate on non-specific EOI: IR0 becomes the lowest priority
    h.pic.setIrq(0, false);
    h.pic.setIrq(0, true);
    h.pic.setIrq(5, true);
    expect(h.pic.acknowledge()).toBe(0x25); // IR5 now outranks IR0
    h.out(0x20, 0x65);
    h.out(0x20, 0xc4); // set priority: IR4 lowest, so IR5 highest
    h.pic.setIrq(5, false);
    h.pic.setIrq(3, true);
    expect(h.pic.acknowledge()).toBe(0x20); // order is 5,6,7,0,1,2,3,4: IR0 before IR3
    h.out(0x20, 0xe0); // rotate on specific EOI of IR0: IR0 lowest, IR1 highest
    expect(h.pic.acknowledge()).toBe(0x23);
  });

  it('cascades the slave through IR2 and needs EOIs to both chips', () => {
    const h = pair();
    linuxInit(h.out, 0x30);
    h.pic.setIrq(10, true);
    expect(h.pic.pending()).toBe(true);
    expect(h.pic.acknowledge()).toBe(0x3a);
    expect(readIsr(h, 0x20)).toBe(0x04);
    expect(readIsr(h, 0xa0)).toBe(0x04);
    h.pic.setIrq(12, true); // lower than IRQ 10 on the slave: held off
    expect(h.pic.pending()).toBe(false);
    h.out(0xa0, 0x62); // specific EOI IR2 on the slave (IRQ 10)
    h.out(0x20, 0x62); // and the cascade IR on the master: Linux's mask_and_ack for IRQ >= 8
    expect(h.pic.pending()).toBe(true);
    expect(h.pic.acknowledge()).toBe(0x3c);
  });

  it('lets a higher slave IRQ through an in-service cascade only in special fully nested mode', () => {
    for (const sfnm of [false, true]) {
      const h = pair();
      h.out(0x20, 0x11);
      h.out(0x21, 0x20);
      h.out(0x21, 0x04);
      h.out(0x21, sfnm ? 0x11 : 0x01);
      h.out(0xa0, 0x11);
      h.out(0xa1, 0x28);
      h.out(0xa1, 0x02);
      h.out(0xa1, 0x01);
      h.pic.setIrq(12, true);
      expect(h.pic.acknowledge()).toBe(0x2c);
      h.pic.setIrq(9, true); // higher priority on the slave
      expect(h.pic.pending()).toBe(sfnm);
      if (sfnm) expect(h.pic.acknowledge()).toBe(0x29);
    }
  });

  it('gives the IR7 vector without an ISR bit when the request is gone by the INTA (spurious IRQ 7)', () => {
    const h = pair();
    linuxInit(h.out, 0x30);
    h.pic.setIrq(4, true);
    expect(h.pic.pending()).toBe(true);
    h.pic.setIrq(4, false); // the IR input fell before the acknowledge
    expect(h.pic.acknowledge()).toBe(0x37);
    expect(readIsr(h, 0x20)).toBe(0x00);
  });

  it('gives the slave IR7 vector (spurious IRQ 15) when the slave has nothing at the cascade cycle', () => {
    const h = pair();
    linuxInit(h.out, 0x30);
    // The slave's INT pulsed and fell before the second INTA: the master latched IR2 but the slave has no request.
    h.pic.master.setInput(2, true);
    expect(h.pic.acknowledge()).toBe(0x3f);
    expect(readIsr(h, 0x20)).toBe(0x04); // the master's cascade bit is in service: Linux EOIs the master only
    expect(readIsr(h, 0xa0)).toBe(0x00);
  });

  it('answers a poll command with the highest request and sets its ISR bit', () => {
    const h = pair();
    linuxInit(h.out, 0x20);
    h.out(0x20, 0x0c); // OCW3: poll
    expect(h.inb(0x20)).toBe(0x00); // no request
    h.pic.setIrq(6, true);
    h.pic.setIrq(5, true);
    h.out(0x20, 0x0c);
    expect(h.inb(0x20)).toBe(0x85);
    expect(readIsr(h, 0x20)).toBe(0x20);
    expect(h.inb(0x20)).toBe(0x40); // a normal read again: IRR
  });

  it('re-requests a level-triggered line (ELCR) after EOI while it stays high, and not after it falls', () => {
    const h = pair();
    linuxInit(h.out, 0x30);
    h.pic.elcrPorts.write(0x4d1, 1, 0x02); // IRQ 9 level-triggered
    expect(h.pic.elcrPorts.read(0x4d1, 1)).toBe(0x02);
    h.pic.elcrPorts.write(0x4d0, 1, 0xff);
    expect(h.pic.elcrPorts.read(0x4d0, 1)).toBe(0xf8); // IRQ 0-2 are edge-only on the PIIX
    h.pic.elcrPorts.write(0x4d0, 1, 0x00);
    h.pic.setIrq(9, true);
    expect(h.pic.acknowledge()).toBe(0x39);
    h.out(0xa0, 0x20);
    h.out(0x20, 0x20);
    expect(h.pic.pending()).toBe(true); // still asserted
    expect(h.pic.acknowledge()).toBe(0x39);
    h.pic.setIrq(9, false);
    h.out(0xa0, 0x20);
    h.out(0x20, 0x20);
    expect(h.pic.pending()).toBe(false);
    // An edge-triggered line does not re-request while high.
    h.pic.setIrq(10, true);
    expect(h.pic.acknowledge()).toBe(0x3a);
    h.out(0xa0, 0x20);
    h.out(0x20, 0x20);
    expect(h.pic.pending()).toBe(false);
  });

  it('makes the whole chip level-triggered with ICW1 LTIM', () => {
    const h = pair();
    h.out(0x20, 0x19); // LTIM, cascade, ICW4
    h.out(0x21, 0x08);
    h.out(0x21, 0x04);
    h.out(0x21, 0x01);
    h.pic.setIrq(5, true);
    expect(h.pic.acknowledge()).toBe(0x0d);
    h.out(0x20, 0x20);
    expect(h.pic.acknowledge()).toBe(0x0d);
  });

  it('does not set ISR in automatic EOI mode', () => {
    const h = pair();
    h.out(0x20, 0x11);
    h.out(0x21, 0x08);
    h.out(0x21, 0x04);
    h.out(0x21, 0x03); // 8086 mode, AEOI
    h.pic.setIrq(3, true);
    h.pic.setIrq(6, true);
    expect(h.pic.acknowledge()).toBe(0x0b);
    expect(readIsr(h, 0x20)).toBe(0);
    expect(h.pic.acknowledge()).toBe(0x0e); // no EOI needed
  });

  it('lets lower priorities in during special mask mode when the in-service level is masked', () => {
    const h = pair();
    linuxInit(h.out, 0x20);
    h.pic.setIrq(3, true);
    expect(h.pic.acknowledge()).toBe(0x23);
    h.pic.setIrq(5, true);
    expect(h.pic.pending()).toBe(false);
    h.out(0x21, 0x08); // mask IR3
    h.out(0x20, 0x68); // OCW3: set special mask mode
    expect(h.pic.pending()).toBe(true);
    expect(h.pic.acknowledge()).toBe(0x25);
    h.out(0x20, 0x20); // non-specific EOI: the masked IR3 is skipped, IR5 cleared
    expect(readIsr(h, 0x20)).toBe(0x08);
    h.out(0x20, 0x48); // reset special mask mode
    h.out(0x20, 0x63);
    expect(readIsr(h, 0x20)).toBe(0);
  });

  it('splits a 16-bit OUT into byte cycles on the two ports', () => {
    const h = pair();
    linuxInit(h.out, 0x20);
    h.pic.ports.write(0x20, 2, 0x5a0a); // OCW3 "read IRR" to 0x20, then 0x5a to the IMR at 0x21
    expect(h.inb(0x21)).toBe(0x5a);
    expect(h.pic.ports.read(0x20, 2)).toBe(0x5a00);
  });
});
