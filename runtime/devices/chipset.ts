/**
 * The PC's legacy chipset, built and wired in one call for the machine:
 *
 *   8254 PIT (0x40-0x43) ── OUT0 ─► ISA IRQ 0 ─► 8259A master IR0, I/O APIC pin 2
 *   port 0x61 ── counter 2 GATE / OUT, refresh toggle
 *   MC146818 RTC/CMOS (0x70-0x71) ─► IRQ 8
 *   16550A COM1-COM4 (0x3F8/0x2F8/0x3E8/0x2E8) ─► IRQ 4/3/4/3 (wired-OR)
 *   8042 keyboard controller (0x60, 0x64) ─► IRQ 1, IRQ 12; reset, A20
 *   port 0x92 (fast A20, fast reset), port 0x80 (POST codes)
 *   8259A pair (0x20-0x21, 0xA0-0xA1, ELCR 0x4D0-0x4D1) ─ INT ─► LAPIC LINT0, I/O APIC pin 0
 *   I/O APIC (0xFEC00000), local APIC (0xFEE00000) ─► the CPU
 *
 * ISA IRQ n reaches 8259A input n and I/O APIC pin n, except IRQ 0, which
 * the board routes to pin 2 (the interrupt source override every MP table
 * and MADT of such boards declares), and IRQ 2, the cascade (a bus device
 * on IRQ2 is IRQ 9).
 *
 * The vCPU's interrupt controller (`interrupts`) is the local APIC while
 * IA32_APIC_BASE enables it, else the 8259A's INTR directly (a CPU without
 * an APIC, or with it globally disabled). Because no firmware runs before
 * the guest, the local APIC is left as firmware leaves it (virtual wire:
 * software-enabled, LINT0 ExtINT, LINT1 NMI) unless told otherwise, so an OS
 * that never touches the APIC still gets the 8259A's interrupts.
 *
 * Every port access first fires the clock's due timers (as does
 * `interrupts.pending()`), so a guest polling a device sees all events up
 * to the present; the run loop should still call `clock.poll()` at its
 * block boundaries for timers nobody polls.
 */
import type { IoBus, PortDevice } from '../io-bus.js';
import type { MmioBus } from '../mmio-bus.js';
import type { VirtualClock } from './clock.js';
import { I8042, I8042_DATA, I8042_STATUS } from './i8042.js';
import { IOAPIC_DEFAULT_BASE, IOAPIC_SIZE, IoApic } from './ioapic.js';
import { type InterruptController, type IrqOutput, type IrqSink, WiredOrLine, irqOutput } from './irq.js';
import { LocalApic } from './lapic.js';
import { CASCADE_IR, ELCR_BASE, PIC_MASTER_BASE, PIC_SLAVE_BASE, Pic8259Pair } from './pic8259.js';
import { PIT_BASE, Pit8254 } from './pit8254.js';
import { PORT61, Port61 } from './port61.js';
import { PORT80, Port80 } from './port80.js';
import { PORT92, Port92 } from './port92.js';
import { RTC_BASE, RtcCmos } from './rtc-cmos.js';
import { COM_PORTS, type SerialSink, Uart16550 } from './uart16550.js';

export const IRQ_PIT = 0;
export const IRQ_KEYBOARD = 1;
export const IRQ_RTC = 8;
export const IRQ_AUX = 12;
/** The I/O APIC pin the PIT drives (ISA IRQ 0 is overridden to GSI 2). */
export const IOAPIC_PIT_PIN = 2;
/** The I/O APIC pin the 8259A's INT drives (virtual wire through the I/O APIC). */
export const IOAPIC_PIC_PIN = 0;

export interface PcChipsetOptions {
  io: IoBus;
  clock: VirtualClock;
  /** Where the APICs' registers go. Without it the board has no APICs. */
  mmio?: MmioBus;
  /** Create the local APIC and the I/O APIC (default: when `mmio` is given). */
  apic?: boolean;
  /** Leave the local APIC in virtual-wire mode as firmware does (default true). */
  virtualWire?: boolean;
  /** Output sinks for COM1-COM4 (a missing sink drops that port's output). */
  serial?: readonly (SerialSink | undefined)[];
  /** How many of COM1-COM4 exist (default: as many as `serial` lists, at least one). */
  comPorts?: number;
  /** RAM size, for the CMOS memory-size bytes. */
  memoryBytes?: number;
  /** The RTC's time at creation, in ms since the Unix epoch (default: the host's time). */
  rtcTime?: number;
  /** The CPU is reset (8042 output port bit 0, pulse 0xFE, port 0x92 bit 0). */
  onReset?: () => void;
  /** The A20 gate changed (8042 output port bit 1 OR port 0x92 bit 1). */
  onA20?: (enabled: boolean) => void;
  /** POST codes written to port 0x80. */
  onPost?: (code: number) => void;
}

/** The CPU's interrupt inputs: INTR/INTA through the local APIC when it is enabled, else from the 8259A; NMI. */
export class CpuInterruptPins implements InterruptController {
  constructor(private readonly clock: VirtualClock, private readonly pic: Pic8259Pair, private readonly lapic: LocalApic | null) {}

  pending(): boolean {
    this.clock.poll();
    return this.lapic?.hardwareEnabled ? this.lapic.pending() : this.pic.pending();
  }

  acknowledge(): number {
    return this.lapic?.hardwareEnabled ? this.lapic.acknowledge() : this.pic.acknowledge();
  }

  /** An NMI is waiting (only the local APIC raises them on this board). */
  nmiPending(): boolean {
    return this.lapic?.nmiPending() ?? false;
  }

  acknowledgeNmi(): void {
    this.lapic?.acknowledgeNmi();
  }
}

/** ISA IRQ lines to the 8259A pair and the I/O APIC. */
class IsaIrqRouter implements IrqSink {
  constructor(private readonly pic: Pic8259Pair, private readonly ioapic: IoApic | null) {}

  setIrq(line: number, level: boolean): void {
    if (line < 0 || line > 15) throw new RangeError(`ISA has no IRQ ${line}`);
    if (line === CASCADE_IR) line = 9;
    this.pic.setIrq(line, level);
    this.ioapic?.setPin(line === IRQ_PIT ? IOAPIC_PIT_PIN : line, level);
  }
}

export class PcChipset {
  readonly pic: Pic8259Pair;
  readonly pit: Pit8254;
  readonly port61: Port61;
  readonly rtc: RtcCmos;
  readonly uarts: readonly Uart16550[];
  readonly i8042: I8042;
  readonly port92: Port92;
  readonly port80: Port80;
  readonly lapic: LocalApic | null;
  readonly ioapic: IoApic | null;
  /** ISA IRQ lines, for other devices on the bus. */
  readonly irq: IrqSink;
  /** What the vCPU asks for external interrupts. */
  readonly interrupts: CpuInterruptPins;
  private a20Gate: boolean;
  private readonly virtualWire: boolean;

  constructor(private readonly options: PcChipsetOptions) {
    const { io, clock, mmio } = options;
    const withApic = (options.apic ?? mmio !== undefined) && mmio !== undefined;
    this.virtualWire = options.virtualWire ?? true;

    let lapic: LocalApic | null = null;
    let ioapic: IoApic | null = null;
    if (withApic) {
      lapic = new LocalApic(clock, { mmio, onEoi: (v) => ioapic?.eoi(v) });
      ioapic = new IoApic([lapic]);
      mmio.register(IOAPIC_DEFAULT_BASE, IOAPIC_SIZE, ioapic);
    }
    this.lapic = lapic;
    this.ioapic = ioapic;

    this.pic = new Pic8259Pair((level) => {
      lapic?.setLint(0, level);
      ioapic?.setPin(IOAPIC_PIC_PIN, level);
    });
    lapic?.connectExtInt(() => this.pic.acknowledge());
    this.irq = new IsaIrqRouter(this.pic, ioapic);
    this.interrupts = new CpuInterruptPins(clock, this.pic, lapic);

    const polled = (dev: PortDevice): PortDevice => ({
      read: (port, size) => {
        clock.poll();
        return dev.read(port, size);
      },
      write: (port, size, value) => {
        clock.poll();
        dev.write(port, size, value);
      },
    });

    io.register(PIC_MASTER_BASE, 2, polled(this.pic.ports));
    io.register(PIC_SLAVE_BASE, 2, polled(this.pic.ports));
    io.register(ELCR_BASE, 2, polled(this.pic.elcrPorts));

    this.pit = new Pit8254(clock, irqOutput(this.irq, IRQ_PIT));
    io.register(PIT_BASE, 4, polled(this.pit.ports));
    this.port61 = new Port61(this.pit, clock);
    io.register(PORT61, 1, polled(this.port61.ports));

    this.rtc = new RtcCmos(clock, irqOutput(this.irq, IRQ_RTC), options.rtcTime === undefined ? {} : { time: options.rtcTime });
    if (options.memoryBytes !== undefined) this.rtc.setMemorySize(options.memoryBytes);
    this.rtc.setCpuCount(1);
    io.register(RTC_BASE, 2, polled(this.rtc.ports));

    const serial = options.serial ?? [];
    const count = options.comPorts ?? Math.max(1, serial.length);
    if (!Number.isInteger(count) || count < 0 || count > COM_PORTS.length) throw new RangeError(`a PC has COM1-COM4, not ${count} serial ports`);
    const lines = new Map<number, WiredOrLine>();
    const uarts: Uart16550[] = [];
    for (let i = 0; i < count; i++) {
      const { base, irq } = COM_PORTS[i]!;
      if (!lines.has(irq)) lines.set(irq, new WiredOrLine(irqOutput(this.irq, irq)));
      const out: IrqOutput = lines.get(irq)!.driver();
      const uart = new Uart16550(base, serial[i] ?? (() => {}), { clock, irq: out });
      io.register(base, 8, polled(uart));
      uarts.push(uart);
    }
    this.uarts = uarts;

    this.i8042 = new I8042({
      irq1: irqOutput(this.irq, IRQ_KEYBOARD),
      irq12: irqOutput(this.irq, IRQ_AUX),
      onReset: () => this.options.onReset?.(),
      onA20: () => this.a20Changed(),
    });
    io.register(I8042_DATA, 1, polled(this.i8042.ports));
    io.register(I8042_STATUS, 1, polled(this.i8042.ports));
    this.port92 = new Port92({ onReset: () => this.options.onReset?.(), onA20: () => this.a20Changed() });
    io.register(PORT92, 1, polled(this.port92.ports));
    this.port80 = new Port80(options.onPost);
    io.register(PORT80, 1, this.port80); // no clock poll: Linux writes it as an I/O delay, often

    this.a20Gate = this.i8042.a20 || this.port92.a20;
    if (this.virtualWire) lapic?.enableVirtualWire();
  }

  /** A20 as the board gates it: the 8042's output port bit 1 OR port 0x92 bit 1. */
  get a20(): boolean {
    return this.a20Gate;
  }

  /** Hand buffered serial output to the sinks. */
  flush(): void {
    for (const u of this.uarts) u.flush();
  }

  /** System reset (after the CPU's): every device to its power-on state; the RTC keeps time and CMOS RAM. */
  reset(): void {
    this.lapic?.reset();
    this.ioapic?.reset();
    this.pic.reset();
    this.pit.reset();
    this.port61.reset();
    this.rtc.reset();
    for (const u of this.uarts) u.reset();
    this.i8042.reset();
    this.port92.reset();
    this.a20Changed();
    if (this.virtualWire) this.lapic?.enableVirtualWire();
  }

  private a20Changed(): void {
    // Called from the devices' constructors' callbacks too, before a20Gate exists.
    if (!this.i8042 || !this.port92) return;
    const a20 = this.i8042.a20 || this.port92.a20;
    if (a20 === this.a20Gate) return;
    this.a20Gate = a20;
    this.options.onA20?.(a20);
  }
}

/** Build the chipset on `options.io` (and `options.mmio`) and wire its interrupts. */
export function createPcChipset(options: PcChipsetOptions): PcChipset {
  return new PcChipset(options);
}
