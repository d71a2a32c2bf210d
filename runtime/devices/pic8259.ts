/**
 * The PC's pair of Intel 8259A programmable interrupt controllers (Intel
 * 8259A datasheet, order 231468), master at ports 0x20/0x21 with the slave
 * cascaded on its IR2 at 0xA0/0xA1, plus the PIIX edge/level control
 * registers (ELCR) at 0x4D0/0x4D1.
 *
 * Modelled from the datasheet: the ICW1-ICW4 initialisation sequence, OCW1
 * masking, OCW2 EOI and rotation commands (non-specific, specific, rotate on
 * EOI, rotate in automatic-EOI mode, set priority), OCW3 (read IRR/ISR, poll,
 * special mask mode), automatic EOI, special fully nested mode, and the
 * two-cycle INTA: the master resolves priority, and when the winning IR has
 * a slave (ICW3) the slave whose ID matches supplies the vector. An IR
 * request that is gone by the INTA gives the default IR7 vector without
 * setting ISR (the spurious IRQ 7 / IRQ 15 that operating systems check for).
 *
 * Edge and level: in edge mode an IRR bit is set by a low-to-high
 * transition and, as the datasheet requires the IR input to stay high until
 * the INTA, is dropped when the input falls; in level mode IRR follows the
 * input and acknowledging does not clear it. A line is level-triggered if
 * ICW1.LTIM is set (the 8259A's chip-wide choice) or its ELCR bit is (the
 * PIIX's per-line choice, which replaces LTIM on that chipset).
 *
 * Departures: the chip is taken to be in 8086 mode (µPM = 1) whatever ICW4
 * says, as x86 CPUs only run two-cycle INTAs; buffered mode and ADI have no
 * effect. Until its first initialisation sequence completes a chip keeps INT
 * low (the datasheet leaves the power-on state undefined; a BIOS would have
 * initialised it). ISA IRQ 2 is the cascade: a device on the bus's IRQ2 pin
 * reaches the slave's IR1 (IRQ 9), as on every AT.
 */
import type { PortDevice } from '../io-bus.js';
import type { InterruptController, IrqSink } from './irq.js';
import { type ByteDevice, byteDevicePorts } from './port-bytes.js';

export const PIC_MASTER_BASE = 0x20;
export const PIC_SLAVE_BASE = 0xa0;
export const ELCR_BASE = 0x4d0;
/** The master IR that the slave's INT drives. */
export const CASCADE_IR = 2;

/** One 8259A. */
export class I8259 {
  irr = 0;
  isr = 0;
  imr = 0;
  /** The levels of the IR0-7 inputs. */
  private inputs = 0;
  /** The IR with the lowest priority (7 after ICW1; moved by rotation). */
  lowest = 7;
  /** Which ICW the next odd-port write is: 0 when initialised (OCW1 then). */
  private icwExpected = 0;
  private icw4Needed = false;
  single = false;
  ltim = false;
  /** ELCR bits (PIIX): 1 = level-triggered. */
  elcr = 0;
  vectorBase = 0;
  /** Master: the IRs that have slaves; slave: its ID in bits 2-0. */
  icw3 = 0;
  autoEoi = false;
  rotateOnAutoEoi = false;
  specialFullyNested = false;
  specialMask = false;
  private readIsr = false;
  private pollNext = false;
  /** An initialisation sequence has completed since reset. */
  initialised = false;

  constructor(readonly isMaster: boolean, readonly elcrMask: number) {}

  reset(): void {
    this.irr = this.isr = this.imr = 0;
    this.lowest = 7;
    this.icwExpected = 0;
    this.icw4Needed = this.single = this.ltim = false;
    this.elcr = 0;
    this.vectorBase = 0;
    this.icw3 = 0;
    this.autoEoi = this.rotateOnAutoEoi = this.specialFullyNested = this.specialMask = false;
    this.readIsr = this.pollNext = false;
    this.initialised = false;
  }

  /** The IRs that are level-triggered. */
  levelMask(): number {
    return this.ltim ? 0xff : this.elcr;
  }

  /** Drive IR input `ir`. */
  setInput(ir: number, level: boolean): void {
    const m = 1 << ir;
    if (level) {
      if (!(this.inputs & m)) {
        this.inputs |= m;
        this.irr |= m;
      }
    } else {
      this.inputs &= ~m;
      this.irr &= ~m;
    }
  }

  setElcr(value: number): void {
    this.elcr = value & this.elcrMask;
    // A line switched to level mode requests while it is high.
    this.irr |= this.inputs & this.levelMask();
  }

  /** Priority rank of an IR: 0 is the highest. */
  private rank(ir: number): number {
    return (ir - this.lowest - 1) & 7;
  }

  /** The highest-priority IR among the bits of `mask`, or -1. */
  private highestOf(mask: number): number {
    for (let k = 0; k < 8; k++) {
      const ir = (this.lowest + 1 + k) & 7;
      if (mask & (1 << ir)) return ir;
    }
    return -1;
  }

  /** The IR the INT output is requesting service for, or -1. */
  request(): number {
    if (!this.initialised || this.icwExpected !== 0) return -1;
    const req = this.irr & ~this.imr;
    if (!req) return -1;
    const r = this.highestOf(req);
    // In special mask mode an IR masked in IMR does not hold off the others even while in service.
    const inService = this.specialMask ? this.isr & ~this.imr : this.isr;
    const h = this.highestOf(inService);
    if (h < 0 || this.rank(r) < this.rank(h)) return r;
    // Special fully nested mode: a slave's IR is not locked out by its own in-service bit.
    if (this.specialFullyNested && r === h && this.hasSlave(r)) return r;
    return -1;
  }

  hasSlave(ir: number): boolean {
    return this.isMaster && !this.single && (this.icw3 & (1 << ir)) !== 0;
  }

  /** The first INTA (or a poll read): the IR taken, or -1 if the request has gone (IR7 is then the default). */
  intack(): number {
    const r = this.request();
    if (r < 0) return -1;
    const m = 1 << r;
    if (!(this.levelMask() & m)) this.irr &= ~m;
    if (this.autoEoi) {
      if (this.rotateOnAutoEoi) this.lowest = r;
    } else {
      this.isr |= m;
    }
    return r;
  }

  readByte(odd: boolean): number {
    if (this.pollNext) {
      // OCW3 poll: this read is the interrupt acknowledge.
      this.pollNext = false;
      const r = this.intack();
      return r < 0 ? 0 : 0x80 | r;
    }
    if (odd) return this.imr;
    return this.readIsr ? this.isr : this.irr;
  }

  writeByte(odd: boolean, v: number): void {
    if (!odd) {
      if (v & 0x10) this.icw1(v);
      else if (v & 0x08) this.ocw3(v);
      else this.ocw2(v);
      return;
    }
    switch (this.icwExpected) {
      case 2:
        this.vectorBase = v & 0xf8;
        this.icwExpected = this.single ? (this.icw4Needed ? 4 : 0) : 3;
        break;
      case 3:
        this.icw3 = v;
        this.icwExpected = this.icw4Needed ? 4 : 0;
        break;
      case 4:
        this.autoEoi = (v & 0x02) !== 0;
        this.specialFullyNested = (v & 0x10) !== 0;
        this.icwExpected = 0;
        break;
      default:
        this.imr = v; // OCW1
        return;
    }
    if (this.icwExpected === 0) this.initialised = true;
  }

  private icw1(v: number): void {
    // Datasheet, "Initialization Command Words": the edge sense circuit is
    // reset, IMR cleared, IR7 gets the lowest priority, the slave address is
    // set to 7, special mask mode is cleared and status read set to IRR; with
    // IC4 = 0 the ICW4 functions are zero. The ISR is cleared too (master clear).
    this.icw4Needed = (v & 0x01) !== 0;
    this.single = (v & 0x02) !== 0;
    this.ltim = (v & 0x08) !== 0;
    this.imr = 0;
    this.isr = 0;
    this.irr = this.inputs & this.levelMask();
    this.lowest = 7;
    this.icw3 = 7;
    this.specialMask = false;
    this.readIsr = false;
    this.pollNext = false;
    this.rotateOnAutoEoi = false;
    if (!this.icw4Needed) {
      this.autoEoi = false;
      this.specialFullyNested = false;
    }
    this.icwExpected = 2;
  }

  private ocw2(v: number): void {
    const level = v & 7;
    switch (v >> 5) {
      case 0: // rotate in automatic EOI mode (clear)
        this.rotateOnAutoEoi = false;
        break;
      case 4: // rotate in automatic EOI mode (set)
        this.rotateOnAutoEoi = true;
        break;
      case 1: // non-specific EOI
      case 5: { // rotate on non-specific EOI
        // In special mask mode an in-service IR that is masked is not reset by a non-specific EOI.
        const h = this.highestOf(this.specialMask ? this.isr & ~this.imr : this.isr);
        if (h >= 0) {
          this.isr &= ~(1 << h);
          if (v >> 5 === 5) this.lowest = h;
        }
        break;
      }
      case 3: // specific EOI
        this.isr &= ~(1 << level);
        break;
      case 7: // rotate on specific EOI
        this.isr &= ~(1 << level);
        this.lowest = level;
        break;
      case 6: // set priority
        this.lowest = level;
        break;
      default: // 2: no operation
        break;
    }
  }

  private ocw3(v: number): void {
    if (v & 0x04) this.pollNext = true;
    if (v & 0x02) this.readIsr = (v & 0x01) !== 0;
    if (v & 0x40) this.specialMask = (v & 0x20) !== 0;
  }
}

/** The master/slave pair: ISA IRQ lines in, the CPU's INTR and INTA out. */
export class Pic8259Pair implements InterruptController, IrqSink, ByteDevice {
  readonly master = new I8259(true, 0xf8); // PIIX: IRQ 0, 1, 2 are edge-only
  readonly slave = new I8259(false, 0xde); // PIIX: IRQ 8 and 13 are edge-only
  private int = false;
  /** Port handlers: register `ports` at 0x20 (2), 0xA0 (2) and `elcrPorts` at 0x4D0 (2). */
  readonly ports: PortDevice = byteDevicePorts(this);
  readonly elcrPorts: PortDevice;

  /** `onInt` follows the master's INT output (to the local APIC's LINT0 and the I/O APIC's pin 0). */
  constructor(private readonly onInt: (level: boolean) => void = () => {}) {
    const pair = this;
    this.elcrPorts = byteDevicePorts({
      owns: (p) => p === ELCR_BASE || p === ELCR_BASE + 1,
      readByte: (p) => (p === ELCR_BASE ? pair.master : pair.slave).elcr,
      writeByte: (p, v) => {
        (p === ELCR_BASE ? pair.master : pair.slave).setElcr(v);
        pair.update();
      },
    });
  }

  reset(): void {
    this.master.reset();
    this.slave.reset();
    this.update();
  }

  /** The master's INT output. */
  get intr(): boolean {
    return this.int;
  }

  setIrq(line: number, level: boolean): void {
    if (line === CASCADE_IR) line = 9; // the AT's bus IRQ2 pin is wired to IRQ 9
    if (line < 8) this.master.setInput(line, level);
    else if (line < 16) this.slave.setInput(line - 8, level);
    else throw new RangeError(`the 8259A pair has no IRQ ${line}`);
    this.update();
  }

  pending(): boolean {
    return this.int;
  }

  acknowledge(): number {
    const ir = this.master.intack();
    let vector: number;
    if (ir < 0) {
      vector = this.master.vectorBase | 7; // the request went away: default IR7, ISR untouched
    } else if (this.master.hasSlave(ir)) {
      // Second INTA: the slave whose ID matches the cascade address drives the data bus.
      if (ir === CASCADE_IR && (this.slave.icw3 & 7) === CASCADE_IR) {
        const s = this.slave.intack();
        vector = this.slave.vectorBase | (s < 0 ? 7 : s);
      } else {
        vector = 0xff; // no slave answers on that IR: the bus floats
      }
    } else {
      vector = this.master.vectorBase | ir;
    }
    this.update();
    return vector;
  }

  owns(port: number): boolean {
    return (port & ~1) === PIC_MASTER_BASE || (port & ~1) === PIC_SLAVE_BASE;
  }

  readByte(port: number): number {
    const v = this.chip(port).readByte((port & 1) !== 0);
    this.update(); // a poll read acknowledges
    return v;
  }

  writeByte(port: number, value: number): void {
    this.chip(port).writeByte((port & 1) !== 0, value);
    this.update();
  }

  private chip(port: number): I8259 {
    return (port & ~1) === PIC_MASTER_BASE ? this.master : this.slave;
  }

  /** Propagate the slave's INT to master IR2 and the master's INT to the CPU side. */
  private update(): void {
    this.master.setInput(CASCADE_IR, this.slave.request() >= 0);
    const int = this.master.request() >= 0;
    if (int !== this.int) {
      this.int = int;
      this.onInt(int);
    }
  }
}
