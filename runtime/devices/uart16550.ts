/**
 * A 16550A UART (National Semiconductor datasheet, "PC16550D"), enough for
 * polled use: the transmitter is always ready, so every THR write goes
 * straight to the serial sink; received bytes wait in a 16-byte FIFO and
 * show up as LSR.DR. Registers that only matter for interrupts (IER, IIR)
 * are stored and read back but never raise anything: the interrupt-driven
 * UART arrives with the PIC. Loopback (MCR.LOOP) is modelled because OS
 * probes (Linux's 8250 driver) use it to check that a UART is present.
 */
import type { PortDevice } from '../io-bus.js';

/** Register offsets from the base port (DLAB = 0 unless noted). */
const enum UartReg {
  Data = 0, // RBR on read, THR on write; DLL when DLAB = 1
  Ier = 1, // DLM when DLAB = 1
  IirFcr = 2, // IIR on read, FCR on write
  Lcr = 3,
  Mcr = 4,
  Lsr = 5,
  Msr = 6,
  Scratch = 7,
}

export const LSR_DATA_READY = 0x01;
export const LSR_OVERRUN = 0x02;
export const LSR_THR_EMPTY = 0x20;
export const LSR_TRANSMITTER_EMPTY = 0x40;
const LCR_DLAB = 0x80;
const MCR_LOOPBACK = 0x10;
const FCR_ENABLE = 0x01;
const FCR_CLEAR_RX = 0x02;
const IIR_NO_INTERRUPT = 0x01;
const IIR_FIFOS_ENABLED = 0xc0;
const RX_FIFO_DEPTH = 16;

/** Where transmitted bytes go. Called with batches; the array is only valid during the call. */
export type SerialSink = (bytes: Uint8Array) => void;

export class Uart16550 implements PortDevice {
  private ier = 0;
  private lcr = 0x03; // 8N1, the usual firmware setting
  private mcr = 0;
  private scratch = 0;
  private fifoEnabled = false;
  private overrun = false;
  /** Baud-rate divisor (DLL/DLM); stored for read-back only. */
  divisor = 12; // 9600 baud from 1.8432 MHz
  private readonly rx: number[] = [];
  private readonly tx = new Uint8Array(4096);
  private txLength = 0;
  /** Bytes transmitted since creation. */
  transmitted = 0;

  constructor(readonly base: number, private readonly sink: SerialSink) {}

  /** Queue bytes for the guest to read (a terminal's keystrokes). Bytes beyond the FIFO are lost, as on the chip. */
  receive(bytes: Iterable<number>): void {
    for (const b of bytes) this.pushRx(b & 0xff);
  }

  /** Hand buffered output to the sink (the machine calls this after each time slice and at the end). */
  flush(): void {
    if (this.txLength === 0) return;
    this.sink(this.tx.subarray(0, this.txLength));
    this.txLength = 0;
  }

  read(port: number, size: 1 | 2 | 4): number {
    void size; // a wider access reads the byte at the port, as the ISA bus gives the UART only 8 data lines
    const dlab = (this.lcr & LCR_DLAB) !== 0;
    switch ((port - this.base) as UartReg) {
      case UartReg.Data:
        if (dlab) return this.divisor & 0xff;
        return this.rx.length > 0 ? this.rx.shift()! : 0;
      case UartReg.Ier:
        return dlab ? (this.divisor >>> 8) & 0xff : this.ier;
      case UartReg.IirFcr:
        return IIR_NO_INTERRUPT | (this.fifoEnabled ? IIR_FIFOS_ENABLED : 0);
      case UartReg.Lcr:
        return this.lcr;
      case UartReg.Mcr:
        return this.mcr;
      case UartReg.Lsr: {
        let lsr = LSR_THR_EMPTY | LSR_TRANSMITTER_EMPTY;
        if (this.rx.length > 0) lsr |= LSR_DATA_READY;
        if (this.overrun) lsr |= LSR_OVERRUN;
        this.overrun = false; // reading LSR clears the error bits
        return lsr;
      }
      case UartReg.Msr:
        return this.modemStatus();
      case UartReg.Scratch:
        return this.scratch;
      default:
        return 0xff;
    }
  }

  write(port: number, size: 1 | 2 | 4, value: number): void {
    void size;
    const v = value & 0xff;
    const dlab = (this.lcr & LCR_DLAB) !== 0;
    switch ((port - this.base) as UartReg) {
      case UartReg.Data:
        if (dlab) this.divisor = (this.divisor & 0xff00) | v;
        else if (this.mcr & MCR_LOOPBACK) this.pushRx(v);
        else this.transmit(v);
        return;
      case UartReg.Ier:
        if (dlab) this.divisor = (this.divisor & 0xff) | (v << 8);
        else this.ier = v & 0x0f;
        return;
      case UartReg.IirFcr:
        this.fifoEnabled = (v & FCR_ENABLE) !== 0;
        if (v & FCR_CLEAR_RX) this.rx.length = 0;
        return;
      case UartReg.Lcr:
        this.lcr = v;
        return;
      case UartReg.Mcr:
        this.mcr = v & 0x1f;
        return;
      case UartReg.Scratch:
        this.scratch = v;
        return;
      default:
        return; // LSR and MSR are read-only
    }
  }

  private transmit(v: number): void {
    this.tx[this.txLength++] = v;
    this.transmitted++;
    if (this.txLength === this.tx.length) this.flush();
  }

  private pushRx(v: number): void {
    if (this.rx.length >= RX_FIFO_DEPTH) {
      this.overrun = true;
      return;
    }
    this.rx.push(v);
  }

  /** MSR: outside loopback the line is up (CTS, DSR, DCD); in loopback the MCR outputs are looped back. */
  private modemStatus(): number {
    if (!(this.mcr & MCR_LOOPBACK)) return 0xb0;
    const m = this.mcr;
    // DTR→DSR, RTS→CTS, OUT1→RI, OUT2→DCD.
    return ((m & 0x01) << 5) | ((m & 0x02) << 3) | ((m & 0x04) << 4) | ((m & 0x08) << 4);
  }
}
