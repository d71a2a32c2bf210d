/**
 * The Intel 82093AA I/O APIC (datasheet order 290566) at 0xFEC00000:
 * IOREGSEL at offset 0x00 and IOWIN at 0x10; registers IOAPICID (0x00),
 * IOAPICVER (0x01: version 0x11, 24 entries), IOAPICARB (0x02) and the 24
 * 64-bit redirection entries (0x10-0x3F).
 *
 * Each pin is edge- or level-triggered, active high or low, as its entry
 * says. Edge: a transition to active sends one message if the entry is
 * unmasked (an edge on a masked pin is lost). Level: while the pin is
 * active, unmasked and Remote IRR is clear, a message is sent and Remote
 * IRR set once a local APIC accepts it; the EOI broadcast for the entry's
 * vector clears Remote IRR, and a pin still active is delivered again.
 * Messages go to the local APICs the destination addresses (physical ID or
 * logical set); lowest-priority delivery goes to one of them. NMI entries
 * raise NMI; ExtINT entries (virtual wire through the I/O APIC: pin 0 is
 * wired to the 8259A's INT) make the local APIC take the vector from the
 * 8259A while the pin is active.
 *
 * Departures: SMI and INIT entries are ignored (no SMM, one vCPU).
 * Pins are electrical levels: ISA IRQ lines idle low; PCI INTx# lines
 * (pins 16-23) idle high, as their pull-ups hold them.
 */
import type { MmioDevice, MmioSize } from '../mmio-bus.js';
import { DeliveryMode } from './lapic.js';

export const IOAPIC_DEFAULT_BASE = 0xfec00000;
export const IOAPIC_SIZE = 0x20;
export const IOAPIC_PINS = 24;

const IOREGSEL = 0x00;
const IOWIN = 0x10;
const REG_ID = 0x00;
const REG_VERSION = 0x01;
const REG_ARBITRATION = 0x02;
const REG_REDIRECTION = 0x10;
const VERSION = 0x11 | ((IOAPIC_PINS - 1) << 16);

export const RTE_MASKED = 0x10000;
export const RTE_LEVEL = 0x8000;
export const RTE_REMOTE_IRR = 0x4000;
export const RTE_ACTIVE_LOW = 0x2000;
export const RTE_DELIVERY_PENDING = 0x1000;
export const RTE_LOGICAL = 0x800;
/** Writable bits of an entry's low dword (delivery status and Remote IRR are read-only). */
const RTE_LOW_WRITABLE = 0x1afff;

/** What the I/O APIC needs of a local APIC on the APIC bus. */
export interface ApicBusTarget {
  matchesDestination(dest: number, logical: boolean): boolean;
  acceptInterrupt(vector: number, level: boolean): boolean;
  acceptNmi(): void;
  setExtIntFromIoApic(source: number, active: boolean): void;
}

export class IoApic implements MmioDevice {
  private select = 0;
  private id = 0;
  private readonly low = new Uint32Array(IOAPIC_PINS).fill(RTE_MASKED);
  private readonly high = new Uint32Array(IOAPIC_PINS);
  private readonly remoteIrr = new Array<boolean>(IOAPIC_PINS).fill(false);
  /** Electrical pin levels (true = high). */
  private readonly pins = new Array<boolean>(IOAPIC_PINS).fill(false);
  private readonly extIntActive = new Array<boolean>(IOAPIC_PINS).fill(false);

  constructor(private readonly targets: readonly ApicBusTarget[]) {
    this.idlePins();
  }

  /** Reset: every entry masked, ID 0; the pins keep whatever drives them. */
  reset(): void {
    this.select = 0;
    this.id = 0;
    this.low.fill(RTE_MASKED);
    this.high.fill(0);
    this.remoteIrr.fill(false);
    for (let p = 0; p < IOAPIC_PINS; p++) this.updateExtInt(p);
  }

  private idlePins(): void {
    for (let p = 16; p < IOAPIC_PINS; p++) this.pins[p] = true;
  }

  /** The entry's raw 64-bit value (low, high) as the guest reads it. */
  entry(pin: number): [number, number] {
    return [this.readLow(pin), this.high[pin]!];
  }

  /** Drive pin `pin` to an electrical level. */
  setPin(pin: number, high: boolean): void {
    if (pin < 0 || pin >= IOAPIC_PINS) throw new RangeError(`the I/O APIC has no pin ${pin}`);
    const before = this.active(pin);
    this.pins[pin] = high;
    const after = this.active(pin);
    const e = this.low[pin]!;
    if (((e >> 8) & 7) === DeliveryMode.ExtInt) {
      this.updateExtInt(pin);
      return;
    }
    if (e & RTE_LEVEL) this.serviceLevel(pin);
    else if (after && !before && !(e & RTE_MASKED)) this.send(pin);
  }

  /** The local APICs' EOI broadcast for a level-triggered vector. */
  eoi(vector: number): void {
    for (let p = 0; p < IOAPIC_PINS; p++) {
      const e = this.low[p]!;
      if (this.remoteIrr[p] && (e & 0xff) === vector && e & RTE_LEVEL) {
        this.remoteIrr[p] = false;
        this.serviceLevel(p);
      }
    }
  }

  private active(pin: number): boolean {
    return this.pins[pin] !== ((this.low[pin]! & RTE_ACTIVE_LOW) !== 0);
  }

  private serviceLevel(pin: number): void {
    if (this.active(pin) && !(this.low[pin]! & RTE_MASKED) && !this.remoteIrr[pin]) {
      if (this.send(pin)) this.remoteIrr[pin] = true;
    }
  }

  private updateExtInt(pin: number): void {
    const e = this.low[pin]!;
    const on = ((e >> 8) & 7) === DeliveryMode.ExtInt && !(e & RTE_MASKED) && this.active(pin);
    if (on === this.extIntActive[pin]) return;
    this.extIntActive[pin] = on;
    for (const t of this.targets) t.setExtIntFromIoApic(pin, on && t.matchesDestination(this.high[pin]! >>> 24, (e & RTE_LOGICAL) !== 0));
  }

  /** Send the entry's message; returns whether an APIC accepted it. */
  private send(pin: number): boolean {
    const e = this.low[pin]!;
    const dest = this.high[pin]! >>> 24;
    const logical = (e & RTE_LOGICAL) !== 0;
    const level = (e & RTE_LEVEL) !== 0;
    const mode = (e >> 8) & 7;
    let accepted = false;
    for (const t of this.targets) {
      if (!t.matchesDestination(dest, logical)) continue;
      switch (mode) {
        case DeliveryMode.Fixed:
          accepted = t.acceptInterrupt(e & 0xff, level) || accepted;
          break;
        case DeliveryMode.LowestPriority:
          // One processor takes it; with one APIC addressed that is it.
          if (t.acceptInterrupt(e & 0xff, level)) return true;
          break;
        case DeliveryMode.Nmi:
          t.acceptNmi();
          accepted = true;
          break;
        default:
          break; // SMI, INIT: not modelled
      }
    }
    return accepted;
  }

  private readLow(pin: number): number {
    return (this.low[pin]! | (this.remoteIrr[pin] ? RTE_REMOTE_IRR : 0)) | 0;
  }

  private readRegister(reg: number): number {
    if (reg === REG_ID) return this.id << 24;
    if (reg === REG_VERSION) return VERSION;
    if (reg === REG_ARBITRATION) return this.id << 24; // the arbitration ID is loaded from the APIC ID
    if (reg >= REG_REDIRECTION && reg < REG_REDIRECTION + 2 * IOAPIC_PINS) {
      const pin = (reg - REG_REDIRECTION) >> 1;
      return reg & 1 ? this.high[pin]! | 0 : this.readLow(pin);
    }
    return 0; // unimplemented registers read as 0
  }

  private writeRegister(reg: number, v: number): void {
    if (reg === REG_ID) {
      this.id = (v >>> 24) & 0x0f;
      return;
    }
    if (reg < REG_REDIRECTION || reg >= REG_REDIRECTION + 2 * IOAPIC_PINS) return; // version, arbitration: read-only
    const pin = (reg - REG_REDIRECTION) >> 1;
    if (reg & 1) {
      this.high[pin] = (v & 0xff000000) >>> 0;
      this.updateExtInt(pin);
      return;
    }
    const e = v & RTE_LOW_WRITABLE;
    this.low[pin] = e;
    if (!(e & RTE_LEVEL)) this.remoteIrr[pin] = false; // Remote IRR is meaningless for edge entries
    this.updateExtInt(pin);
    // Unmasking a level entry whose pin is active delivers it now; an edge seen while masked is gone.
    if (e & RTE_LEVEL && ((e >> 8) & 7) !== DeliveryMode.ExtInt) this.serviceLevel(pin);
  }

  read(offset: number, size: MmioSize): number {
    let v: number;
    if (offset < 4) v = this.select >>> (8 * offset);
    else if (offset >= IOWIN && offset < IOWIN + 4) v = this.readRegister(this.select) >>> (8 * (offset - IOWIN));
    else v = 0;
    return size === 4 ? v | 0 : v & ((1 << (size * 8)) - 1);
  }

  write(offset: number, size: MmioSize, value: number): void {
    if (offset === IOREGSEL) {
      this.select = value & 0xff;
      return;
    }
    if (offset === IOWIN && size === 4) this.writeRegister(this.select, value >>> 0);
  }
}
