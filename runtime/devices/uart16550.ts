/**
 * A 16550A UART (National Semiconductor PC16550D datasheet) as the PC wires
 * it: COM1-COM4 at 0x3F8/0x2F8/0x3E8/0x2E8 on IRQ 4/3/4/3, with the
 * interrupt output reaching the bus only while MCR.OUT2 is set.
 *
 * From the datasheet:
 * - interrupt identification in priority order: receiver line status (OE;
 *   cleared by reading LSR), received data available (RBR full, or the FIFO
 *   at its trigger level of 1/4/8/14 bytes; cleared when it drains below),
 *   character timeout (FIFO mode: data waiting and nothing put in or taken
 *   out for four character times; cleared by reading RBR), THR empty
 *   (cleared by reading IIR when it is the source, or by writing THR; set
 *   when THR empties and when IER.ETBEI is turned on with THR empty), modem
 *   status (DCTS, DDSR, TERI, DDCD; cleared by reading MSR);
 * - FCR: enabling or disabling the FIFOs clears them, bits 1-2 clear them,
 *   bits 6-7 the receiver trigger; IIR bits 6-7 report FIFO mode;
 * - without FIFOs the receiver holds one character and a new one overwrites
 *   it with an overrun; with them a seventeenth character is lost (OE);
 * - loopback (MCR bit 4): transmitted bytes come back to the receiver, the
 *   modem inputs follow DTR/RTS/OUT1/OUT2, SIN is disconnected and the
 *   OUT pins are inactive (so on a PC the interrupt is gated off).
 *
 * Departures: the line is infinitely fast on the transmit side (THR and the
 * transmitter empty at once and bytes go straight to the sink), so THRE and
 * TEMT always read 1. Received bytes arrive one character time apart at the
 * programmed baud rate and frame format when a clock is given; without one
 * (polled use) they land at once and there is no character timeout. No
 * parity, framing or break errors are ever generated. The power-on LCR and
 * divisor are what firmware leaves (8N1, 9600 baud), not the chip's LCR = 0.
 */
import type { PortDevice } from '../io-bus.js';
import type { ClockTimer, VirtualClock } from './clock.js';
import type { IrqOutput } from './irq.js';

/** The PC's serial ports: base port and ISA IRQ. */
export const COM_PORTS: readonly { readonly base: number; readonly irq: number }[] = [
  { base: 0x3f8, irq: 4 },
  { base: 0x2f8, irq: 3 },
  { base: 0x3e8, irq: 4 },
  { base: 0x2e8, irq: 3 },
];

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
export const LSR_PARITY_ERROR = 0x04;
export const LSR_FRAMING_ERROR = 0x08;
export const LSR_BREAK = 0x10;
export const LSR_THR_EMPTY = 0x20;
export const LSR_TRANSMITTER_EMPTY = 0x40;
const LSR_ERRORS = LSR_OVERRUN | LSR_PARITY_ERROR | LSR_FRAMING_ERROR | LSR_BREAK;

export const IER_RX_DATA = 0x01;
export const IER_THRE = 0x02;
export const IER_RX_LINE_STATUS = 0x04;
export const IER_MODEM_STATUS = 0x08;

/** IIR interrupt identifications (bit 0 clear = pending). */
export const IIR_NONE = 0x01;
export const IIR_RX_LINE_STATUS = 0x06;
export const IIR_RX_DATA = 0x04;
export const IIR_CHAR_TIMEOUT = 0x0c;
export const IIR_THRE = 0x02;
export const IIR_MODEM_STATUS = 0x00;
const IIR_FIFOS_ENABLED = 0xc0;

const LCR_DLAB = 0x80;
export const MCR_DTR = 0x01;
export const MCR_RTS = 0x02;
export const MCR_OUT1 = 0x04;
export const MCR_OUT2 = 0x08;
export const MCR_LOOPBACK = 0x10;
const FCR_ENABLE = 0x01;
const FCR_CLEAR_RX = 0x02;

export const MSR_CTS = 0x10;
export const MSR_DSR = 0x20;
export const MSR_RI = 0x40;
export const MSR_DCD = 0x80;

const FIFO_DEPTH = 16;
const TRIGGER_LEVELS = [1, 4, 8, 14] as const;
/** The PC's UART clock: 1.8432 MHz, 16 clocks per bit. */
const UART_CLOCK_HZ = 1_843_200;

/** Where transmitted bytes go. Called with batches; the array is only valid during the call. */
export type SerialSink = (bytes: Uint8Array) => void;

export interface UartOptions {
  /** Line timing: paced reception and the FIFO character timeout. */
  clock?: VirtualClock;
  /** The interrupt line (IRQ 4 for COM1/COM3, IRQ 3 for COM2/COM4). */
  irq?: IrqOutput;
  /** PC wiring: the interrupt reaches the bus only while MCR.OUT2 is set (default true). */
  out2GatesIrq?: boolean;
}

export class Uart16550 implements PortDevice {
  private ier = 0;
  private lcr = 0x03; // 8N1, what firmware sets
  private mcr = 0;
  private scratch = 0;
  private fifoEnabled = false;
  private trigger = 1;
  private lsrErrors = 0;
  /** The THRE interrupt's latch (IIR shows it only with IER.ETBEI). */
  private threPending = false;
  private timeoutPending = false;
  private msrDeltas = 0;
  /** The modem inputs outside loopback, in MSR bit positions: the line is up (CTS, DSR, DCD). */
  private lines = MSR_CTS | MSR_DSR | MSR_DCD;
  /** Baud-rate divisor (DLL/DLM). */
  divisor = 12; // 9600 baud from 1.8432 MHz
  /** The receiver: the FIFO, or in character mode RBR (at most one byte). */
  private readonly rx: number[] = [];
  private lastRbr = 0;
  /** Bytes on their way down the line (host input not yet received). */
  private readonly line: number[] = [];
  private readonly tx = new Uint8Array(4096);
  private txLength = 0;
  private irqLevel = false;
  private readonly clock: VirtualClock | null;
  private readonly irq: IrqOutput | null;
  private readonly out2Gate: boolean;
  private readonly arrival: ClockTimer | null;
  private readonly timeout: ClockTimer | null;
  /** Bytes transmitted since creation. */
  transmitted = 0;

  constructor(readonly base: number, private readonly sink: SerialSink, options: UartOptions = {}) {
    this.clock = options.clock ?? null;
    this.irq = options.irq ?? null;
    this.out2Gate = options.out2GatesIrq ?? true;
    this.arrival = this.clock?.timer((t) => this.arrive(t)) ?? null;
    this.timeout = this.clock?.timer(() => this.timedOut()) ?? null;
  }

  /** Master reset: the registers the datasheet resets (the divisor and scratch register keep their contents). */
  reset(): void {
    this.ier = 0;
    this.lcr = 0x03;
    this.mcr = 0;
    this.fifoEnabled = false;
    this.trigger = 1;
    this.lsrErrors = 0;
    this.threPending = false;
    this.timeoutPending = false;
    this.msrDeltas = 0;
    this.rx.length = 0;
    this.timeout?.cancel();
    this.update();
  }

  /**
   * Bytes sent to the guest (a terminal's keystrokes). With a clock they
   * arrive one character time apart; without, at once. Either way the
   * receiver overruns if the guest does not keep up, as the chip does.
   */
  receive(bytes: Iterable<number>): void {
    if (!this.clock) {
      for (const b of bytes) this.deliver(b & 0xff);
      return;
    }
    for (const b of bytes) this.line.push(b & 0xff);
    if (this.line.length && !this.arrival!.armed) this.arrival!.arm(this.clock.now() + this.charTimeNs());
  }

  /** Drive the modem status inputs (outside loopback). */
  setModemLines(lines: { cts?: boolean; dsr?: boolean; ri?: boolean; dcd?: boolean }): void {
    const before = this.modemInputs();
    const set = (bit: number, v: boolean | undefined): void => {
      if (v !== undefined) this.lines = v ? this.lines | bit : this.lines & ~bit;
    };
    set(MSR_CTS, lines.cts);
    set(MSR_DSR, lines.dsr);
    set(MSR_RI, lines.ri);
    set(MSR_DCD, lines.dcd);
    this.inputsChanged(before);
  }

  /** Hand buffered output to the sink (the machine calls this after each time slice and at the end). */
  flush(): void {
    if (this.txLength === 0) return;
    this.sink(this.tx.subarray(0, this.txLength));
    this.txLength = 0;
  }

  /** One character's time on the line at the programmed rate and frame format. */
  charTimeNs(): number {
    const dataBits = 5 + (this.lcr & 3);
    const stopBits = this.lcr & 0x04 ? (dataBits === 5 ? 1.5 : 2) : 1;
    const bits = 1 + dataBits + (this.lcr & 0x08 ? 1 : 0) + stopBits;
    return Math.ceil((bits * 16 * (this.divisor || 0x10000) * 1e9) / UART_CLOCK_HZ);
  }

  read(port: number, size: 1 | 2 | 4): number {
    void size; // a wider access reads the byte at the port, as the ISA bus gives the UART only 8 data lines
    const dlab = (this.lcr & LCR_DLAB) !== 0;
    switch ((port - this.base) as UartReg) {
      case UartReg.Data: {
        if (dlab) return this.divisor & 0xff;
        if (this.rx.length > 0) this.lastRbr = this.rx.shift()!;
        // Reading RBR clears the timeout indication and restarts its timer.
        this.timeoutPending = false;
        this.rxActivity();
        this.update();
        return this.lastRbr;
      }
      case UartReg.Ier:
        return dlab ? (this.divisor >>> 8) & 0xff : this.ier;
      case UartReg.IirFcr: {
        const id = this.interruptId();
        if (id === IIR_THRE) {
          this.threPending = false;
          this.update();
        }
        return id | (this.fifoEnabled ? IIR_FIFOS_ENABLED : 0);
      }
      case UartReg.Lcr:
        return this.lcr;
      case UartReg.Mcr:
        return this.mcr;
      case UartReg.Lsr: {
        let lsr = LSR_THR_EMPTY | LSR_TRANSMITTER_EMPTY | this.lsrErrors;
        if (this.rx.length > 0) lsr |= LSR_DATA_READY;
        this.lsrErrors = 0; // reading LSR clears the error bits
        this.update();
        return lsr;
      }
      case UartReg.Msr: {
        const msr = this.modemInputs() | this.msrDeltas;
        this.msrDeltas = 0;
        this.update();
        return msr;
      }
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
        if (dlab) {
          this.divisor = (this.divisor & 0xff00) | v;
          return;
        }
        if (this.mcr & MCR_LOOPBACK) this.deliver(v);
        else this.transmit(v);
        // Writing THR clears the THRE interrupt; the byte leaves at once, so THR is empty again.
        this.threPending = true;
        this.update();
        return;
      case UartReg.Ier:
        if (dlab) {
          this.divisor = (this.divisor & 0xff) | (v << 8);
          return;
        }
        if (!(this.ier & IER_THRE) && v & IER_THRE) this.threPending = true; // THR is empty
        this.ier = v & 0x0f;
        this.update();
        return;
      case UartReg.IirFcr:
        this.writeFcr(v);
        return;
      case UartReg.Lcr:
        this.lcr = v;
        return;
      case UartReg.Mcr: {
        const before = this.modemInputs();
        this.mcr = v & 0x1f;
        this.inputsChanged(before);
        return;
      }
      case UartReg.Scratch:
        this.scratch = v;
        return;
      default:
        return; // LSR and MSR are read-only
    }
  }

  private writeFcr(v: number): void {
    const enable = (v & FCR_ENABLE) !== 0;
    if (enable !== this.fifoEnabled) {
      // Changing FCR0 clears both FIFOs.
      this.rx.length = 0;
      this.timeoutPending = false;
      this.fifoEnabled = enable;
    }
    if (enable) {
      // The other bits are programmed only together with FCR0 = 1. Bit 2 (clear the transmit FIFO) has nothing to clear.
      if (v & FCR_CLEAR_RX) {
        this.rx.length = 0;
        this.timeoutPending = false;
      }
      this.trigger = TRIGGER_LEVELS[v >> 6]!;
    }
    this.rxActivity();
    this.update();
  }

  /** The highest-priority pending interrupt, as IIR bits 3-0. */
  private interruptId(): number {
    const ier = this.ier;
    if (ier & IER_RX_LINE_STATUS && this.lsrErrors) return IIR_RX_LINE_STATUS;
    if (ier & IER_RX_DATA) {
      if (this.fifoEnabled ? this.rx.length >= this.trigger : this.rx.length > 0) return IIR_RX_DATA;
      if (this.timeoutPending) return IIR_CHAR_TIMEOUT;
    }
    if (ier & IER_THRE && this.threPending) return IIR_THRE;
    if (ier & IER_MODEM_STATUS && this.msrDeltas) return IIR_MODEM_STATUS;
    return IIR_NONE;
  }

  /** Drive the interrupt line: the INTRPT pin, through the OUT2 gate on a PC. */
  private update(): void {
    if (!this.irq) return;
    let level = this.interruptId() !== IIR_NONE;
    if (this.out2Gate) level &&= (this.mcr & (MCR_OUT2 | MCR_LOOPBACK)) === MCR_OUT2;
    if (level !== this.irqLevel) {
      this.irqLevel = level;
      this.irq(level);
    }
  }

  private transmit(v: number): void {
    this.tx[this.txLength++] = v;
    this.transmitted++;
    if (this.txLength === this.tx.length) this.flush();
  }

  /** A character reaches the receiver. */
  private deliver(v: number): void {
    if (this.fifoEnabled) {
      if (this.rx.length >= FIFO_DEPTH) this.lsrErrors |= LSR_OVERRUN; // the character in the shift register is lost
      else this.rx.push(v);
    } else if (this.rx.length > 0) {
      this.lsrErrors |= LSR_OVERRUN; // RBR is overwritten
      this.rx[0] = v;
    } else {
      this.rx.push(v);
    }
    this.rxActivity();
    this.update();
  }

  /** The next byte down the line arrives (SIN is disconnected in loopback, so it is lost then). */
  private arrive(at: number): void {
    const b = this.line.shift();
    if (b !== undefined && !(this.mcr & MCR_LOOPBACK)) this.deliver(b);
    if (this.line.length) this.arrival!.arm(at + this.charTimeNs());
  }

  /** A character went into or out of the receiver: restart the four-character timeout. */
  private rxActivity(): void {
    if (!this.timeout) return;
    if (this.fifoEnabled && this.rx.length > 0) this.timeout.arm(this.clock!.now() + 4 * this.charTimeNs());
    else this.timeout.cancel();
  }

  private timedOut(): void {
    if (this.fifoEnabled && this.rx.length > 0) {
      this.timeoutPending = true;
      this.update();
    }
  }

  /** MSR bits 7-4: the modem inputs, or in loopback DTR→DSR, RTS→CTS, OUT1→RI, OUT2→DCD. */
  private modemInputs(): number {
    if (!(this.mcr & MCR_LOOPBACK)) return this.lines;
    const m = this.mcr;
    return ((m & MCR_DTR) << 5) | ((m & MCR_RTS) << 3) | ((m & MCR_OUT1) << 4) | ((m & MCR_OUT2) << 4);
  }

  /** Record the MSR deltas for an input change: DCTS, DDSR, DDCD on any change; TERI when RI goes inactive. */
  private inputsChanged(before: number): void {
    const after = this.modemInputs();
    const changed = before ^ after;
    if (changed & MSR_CTS) this.msrDeltas |= 0x01;
    if (changed & MSR_DSR) this.msrDeltas |= 0x02;
    if (changed & MSR_RI && !(after & MSR_RI)) this.msrDeltas |= 0x04;
    if (changed & MSR_DCD) this.msrDeltas |= 0x08;
    this.update();
  }
}
