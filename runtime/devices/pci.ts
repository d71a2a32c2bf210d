/**
 * PCI bus 0 of an i440FX/PIIX3 PC: the host bridge's configuration
 * mechanism #1 (PCI Local Bus Specification 3.0, 3.2.2.3.2) at
 * 0xCF8/0xCFC, the 82441FX host bridge at 00:00.0, the 82371SB (PIIX3)
 * PCI-to-ISA bridge at 00:01.0 with its PIRQ router and reset control
 * register (0xCF9), conventional type 0 configuration headers with the
 * BAR sizing protocol, an I/O window where I/O BARs are decoded, and
 * INTx# routed through the PIIX3's PIRQRC registers to ISA IRQ lines.
 *
 * No firmware runs before the guest, so `PciBus` does at `add()` (and at
 * `reset()`) what SeaBIOS does on QEMU's PC: it places each I/O BAR at the
 * next address aligned to its size from the window's base (0xC000), turns
 * on I/O decoding, programs PIRQA-D and marks their IRQs level-triggered
 * in the ELCR (ports 0x4D0/0x4D1, through the I/O bus like any firmware),
 * and writes each device's Interrupt Line with the IRQ its INTx# reaches.
 *
 * Interrupts without ACPI, MP or $PIR tables: Linux (arch/x86/pci/irq.c)
 * finds no routing table, and with no MP table or MADT it does not use the
 * I/O APIC for PCI (`io_apic_assign_pci_irqs` is false), so
 * pirq_enable_irq() keeps dev->irq, which pci_read_irq() took from the
 * Interrupt Line register, and the interrupt arrives on that ISA IRQ
 * through the 8259A (level-triggered, as the ELCR says). No kernel option
 * is needed. A machine that builds an MP table or a MADT must also
 * describe the PCI interrupts there (`intxRoutes()` lists them) or boot
 * with `noapic`/`pci=noacpi`.
 *
 * Departures: only I/O BARs (no memory BARs, no expansion ROMs, no
 * capabilities); the I/O window is fixed (BARs the guest moves outside it
 * decode nothing); there are no PCI-to-PCI bridges, so bus 1-255 and type
 * 1 cycles master-abort; devices never signal parity or abort errors. Of
 * the 82441FX's and PIIX3's device-specific registers only the PIRQ route
 * control registers act; the others the guest may write (PAM, DRAM row
 * boundaries, PIIX3 XBCS, DLC, ...) are stored and read back, as memory
 * is RAM everywhere and there is no ISA DMA or SMM to control.
 */
import type { IoBus, PortDevice } from '../io-bus.js';
import type { IrqSink } from './irq.js';

export const PCI_CONFIG_ADDRESS = 0xcf8;
export const PCI_CONFIG_DATA = 0xcfc;
/** PIIX3 Reset Control Register: a byte port inside CONFIG_ADDRESS's dword. */
export const PCI_RESET_CONTROL = 0xcf9;
/** The ELCR (PIIX3 edge/level control), which firmware programs for the PIRQ IRQs. */
const ELCR_PORT = 0x4d0;

/** Configuration header offsets (type 0). */
export const enum PciConfig {
  VendorId = 0x00,
  DeviceId = 0x02,
  Command = 0x04,
  Status = 0x06,
  RevisionId = 0x08,
  ClassCode = 0x09, // 3 bytes: programming interface, subclass, base class
  CacheLineSize = 0x0c,
  LatencyTimer = 0x0d,
  HeaderType = 0x0e,
  Bar0 = 0x10,
  SubsystemVendorId = 0x2c,
  SubsystemId = 0x2e,
  ExpansionRom = 0x30,
  CapabilitiesPointer = 0x34,
  InterruptLine = 0x3c,
  InterruptPin = 0x3d,
}

export const PCI_COMMAND_IO = 0x0001;
export const PCI_COMMAND_MEMORY = 0x0002;
export const PCI_COMMAND_MASTER = 0x0004;
export const PCI_COMMAND_INTX_DISABLE = 0x0400;
export const PCI_STATUS_INTERRUPT = 0x0008;
/** DEVSEL timing "medium", bits 10:9 = 01. */
const PCI_STATUS_DEVSEL_MEDIUM = 0x0200;
const PCI_STATUS_FAST_BACK_TO_BACK = 0x0080;
const HEADER_MULTIFUNCTION = 0x80;
const BAR_IO_SPACE = 0x1;

export const PCI_VENDOR_INTEL = 0x8086;
export const PCI_DEVICE_82441FX = 0x1237;
export const PCI_DEVICE_82371SB_ISA = 0x7000;

/** The I/O window where firmware places I/O BARs (SeaBIOS's on i440FX). */
export const PCI_IO_WINDOW_BASE = 0xc000;
export const PCI_IO_WINDOW_SIZE = 0x4000;
/** IRQs firmware gives PIRQA-D: distinct, so that the first four slots' INTA# do not share. */
export const DEFAULT_PIRQ_IRQS: readonly [number, number, number, number] = [9, 10, 11, 5];
/** The PIIX3 can route a PIRQ to these IRQs (PIRQRC bits 3:0; 0-2, 8 and 13 are reserved). */
const PIRQ_ROUTABLE = 0xdef8;

/** What an I/O BAR decodes: accesses at offsets from the BAR's base. */
export interface IoBarHandler {
  read(offset: number, size: 1 | 2 | 4): number;
  write(offset: number, size: 1 | 2 | 4, value: number): void;
}

interface IoBar {
  /** Bytes decoded: a power of two, at least 4. */
  readonly size: number;
  readonly handler: IoBarHandler;
}

/** The identity of a function, written into its header at creation. */
export interface PciIdentity {
  vendorId: number;
  deviceId: number;
  /** Base class, subclass and programming interface as one 24-bit number (0x020000 = Ethernet). */
  classCode: number;
  revisionId?: number;
  subsystemVendorId?: number;
  subsystemId?: number;
  /** Header type byte (bit 7: a multi-function device). Default 0. */
  headerType?: number;
  /** INTx# pin used: 1-4 for INTA#-INTD#, 0 for none (default). */
  interruptPin?: number;
}

/**
 * One PCI function's configuration space (256 bytes, type 0 header).
 * Which bits software may write is data (`wmask`, and `w1cmask` for bits a
 * 1 clears), so a write is one masked merge and the sizing protocol falls
 * out of the BARs' masks: writing all-ones and reading back gives the
 * size's complement with the type bits.
 */
export class PciFunction {
  readonly config = new Uint8Array(256);
  protected readonly wmask = new Uint8Array(256);
  protected readonly w1cmask = new Uint8Array(256);
  private readonly ioBars: (IoBar | null)[] = [null, null, null, null, null, null];
  private powerOn: Uint8Array | null = null;
  /** The device's internal interrupt request (before Interrupt Disable). */
  private intx = false;
  /** The bus and address, once added. */
  bus: PciBus | null = null;
  slot = -1;
  functionNumber = 0;

  constructor(identity: PciIdentity) {
    this.set16(PciConfig.VendorId, identity.vendorId);
    this.set16(PciConfig.DeviceId, identity.deviceId);
    this.config[PciConfig.RevisionId] = identity.revisionId ?? 0;
    this.config[PciConfig.ClassCode] = identity.classCode & 0xff;
    this.config[PciConfig.ClassCode + 1] = (identity.classCode >>> 8) & 0xff;
    this.config[PciConfig.ClassCode + 2] = (identity.classCode >>> 16) & 0xff;
    this.config[PciConfig.HeaderType] = identity.headerType ?? 0;
    this.set16(PciConfig.SubsystemVendorId, identity.subsystemVendorId ?? 0);
    this.set16(PciConfig.SubsystemId, identity.subsystemId ?? 0);
    this.config[PciConfig.InterruptPin] = identity.interruptPin ?? 0;
    // What every conventional function lets software write (PCI 3.0, 6.2): the command
    // bits we model, cache line size and Interrupt Line, a scratch register for software.
    this.setWmask16(PciConfig.Command, PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER | PCI_COMMAND_INTX_DISABLE);
    this.wmask[PciConfig.CacheLineSize] = 0xff;
    this.wmask[PciConfig.InterruptLine] = 0xff;
  }

  /**
   * Declare I/O BAR `index` (0-5) of `size` bytes (a power of two, at least
   * 4). Bit 0 reads 1 (I/O space); bits below the size read 0 and ignore
   * writes, which is how software sizes it.
   */
  protected declareIoBar(index: number, size: number, handler: IoBarHandler): void {
    if (!Number.isInteger(index) || index < 0 || index > 5) throw new RangeError(`a type 0 header has BARs 0-5, not ${index}`);
    if (!Number.isInteger(size) || size < 4 || size > 0x10000 || (size & (size - 1)) !== 0) throw new RangeError(`an I/O BAR's size is a power of two from 4 to 64 KiB, not ${size}`);
    this.ioBars[index] = { size, handler };
    const at = PciConfig.Bar0 + 4 * index;
    this.set32(at, BAR_IO_SPACE);
    this.setWmask32(at, ~(size - 1) & ~0x3);
  }

  /** The I/O BARs: index, size and the base address currently programmed. */
  ioBarList(): { index: number; size: number; base: number }[] {
    const out: { index: number; size: number; base: number }[] = [];
    this.ioBars.forEach((bar, index) => {
      if (bar) out.push({ index, size: bar.size, base: this.ioBarBase(index) });
    });
    return out;
  }

  /** The base port BAR `index` holds (meaningful while I/O decoding is on). */
  ioBarBase(index: number): number {
    return this.get32(PciConfig.Bar0 + 4 * index) & ~0x3;
  }

  /** The handler of I/O BAR `index`. */
  ioBarHandler(index: number): IoBarHandler | null {
    return this.ioBars[index]?.handler ?? null;
  }

  get command(): number {
    return this.get16(PciConfig.Command);
  }

  /** Whether the function may master the bus (DMA). */
  get busMaster(): boolean {
    return (this.command & PCI_COMMAND_MASTER) !== 0;
  }

  /** A configuration read of `size` bytes at `offset` (within one dword, as mechanism #1 delivers it). */
  readConfig(offset: number, size: 1 | 2 | 4): number {
    let v = 0;
    for (let i = 0; i < size; i++) v |= this.configByte(offset + i) << (8 * i);
    return size === 4 ? v >>> 0 : v;
  }

  /**
   * A configuration write of `size` bytes (1-4, within one dword; 3 only
   * from an unaligned access): each byte merges under the write masks, then
   * `configWritten` sees the range.
   */
  writeConfig(offset: number, size: number, value: number): void {
    const before = this.command;
    for (let i = 0; i < size; i++) {
      const at = offset + i;
      const b = (value >>> (8 * i)) & 0xff;
      const w = this.wmask[at]!;
      const c = this.w1cmask[at]!;
      this.config[at] = ((this.config[at]! & ~w) | (b & w)) & ~(b & c);
    }
    this.configWritten(offset, size, before);
  }

  private configByte(at: number): number {
    let b = this.config[at]!;
    // Status bit 3 shows the function's interrupt request whatever Interrupt Disable says (PCI 3.0, 6.2.3).
    if (at === PciConfig.Status && this.intx) b |= PCI_STATUS_INTERRUPT;
    return b;
  }

  /**
   * After a configuration write of [offset, offset + size). The base
   * class redraws the I/O map when a BAR or the command register changed
   * and re-evaluates INTx# when Interrupt Disable did; devices extend it
   * for their own registers.
   */
  protected configWritten(offset: number, size: number, commandBefore: number): void {
    const touches = (first: number, len: number): boolean => offset < first + len && first < offset + size;
    if (touches(PciConfig.Command, 2)) {
      const changed = commandBefore ^ this.command;
      if (changed & PCI_COMMAND_INTX_DISABLE) this.bus?.intxChanged();
      if (changed & PCI_COMMAND_MASTER && this.busMaster) this.busMasterEnabled();
    }
    if (touches(PciConfig.Command, 2) || touches(PciConfig.Bar0, 24)) this.bus?.ioMapChanged();
  }

  /** Bus mastering was turned on: work that waited for DMA may proceed. */
  protected busMasterEnabled(): void {}

  /** Drive the function's INTx# (asserted = true). The bus routes it unless Interrupt Disable is set. */
  protected setIntx(level: boolean): void {
    if (level === this.intx) return;
    this.intx = level;
    this.bus?.intxChanged();
  }

  /** INTx# as it reaches the bus: the request, gated by Interrupt Disable. */
  get intxAsserted(): boolean {
    return this.intx && (this.command & PCI_COMMAND_INTX_DISABLE) === 0;
  }

  /** The configuration header as at power-on (the bus keeps it for RST#). */
  snapshotPowerOn(): void {
    this.powerOn = this.config.slice();
  }

  /** RST#: the header back to its power-on contents and the device to its reset state. */
  reset(): void {
    if (this.powerOn) this.config.set(this.powerOn);
    this.intx = false;
    this.resetDevice();
  }

  /** The device's own state at RST# (override). */
  protected resetDevice(): void {}

  protected get16(at: number): number {
    return this.config[at]! | (this.config[at + 1]! << 8);
  }

  protected get32(at: number): number {
    return (this.get16(at) | (this.get16(at + 2) << 16)) >>> 0;
  }

  protected set16(at: number, v: number): void {
    this.config[at] = v & 0xff;
    this.config[at + 1] = (v >>> 8) & 0xff;
  }

  protected set32(at: number, v: number): void {
    this.set16(at, v & 0xffff);
    this.set16(at + 2, v >>> 16);
  }

  protected setWmask16(at: number, m: number): void {
    this.wmask[at] = m & 0xff;
    this.wmask[at + 1] = (m >>> 8) & 0xff;
  }

  protected setWmask32(at: number, m: number): void {
    this.setWmask16(at, m & 0xffff);
    this.setWmask16(at + 2, m >>> 16);
  }

  /** Registers `at`..`at + len - 1` (at most 4 bytes) hold `value` (little-endian) and are wholly writable (plain storage). */
  protected storage(at: number, len: 1 | 2 | 3 | 4, value: number): void {
    for (let i = 0; i < len; i++) {
      this.config[at + i] = (value >>> (8 * i)) & 0xff;
      this.wmask[at + i] = 0xff;
    }
  }
}

/**
 * The 82441FX PCI and Memory Controller (PMC) as the host bridge at
 * 00:00.0 (Intel 440FX PCIset datasheet, 4.3). Its memory-side registers
 * are stored, not acted on (see the file's note).
 */
export class I440fxHostBridge extends PciFunction {
  constructor() {
    super({ vendorId: PCI_VENDOR_INTEL, deviceId: PCI_DEVICE_82441FX, classCode: 0x060000, revisionId: 0x02 });
    // PCICMD: memory access and bus mastering are hardwired on; parity and SERR# enables are writable.
    this.set16(PciConfig.Command, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
    this.setWmask16(PciConfig.Command, 0x0140);
    this.set16(PciConfig.Status, PCI_STATUS_DEVSEL_MEDIUM | PCI_STATUS_FAST_BACK_TO_BACK);
    this.wmask[PciConfig.CacheLineSize] = 0;
    this.wmask[PciConfig.InterruptLine] = 0;
    this.wmask[PciConfig.LatencyTimer] = 0xf8; // MLT: bits 2:0 hardwired to 0
    this.storage(0x50, 2, 0x0000); // PMCCFG
    this.storage(0x51, 1, 0x80); // DETURBO
    this.storage(0x53, 1, 0x80); // DBC
    this.storage(0x57, 1, 0x01); // DRAMC
    this.storage(0x58, 1, 0x10); // DRAMT
    this.storage(0x59, 4, 0); // PAM0-PAM3
    this.storage(0x5d, 3, 0); // PAM4-PAM6
    this.storage(0x60, 4, 0x01010101); // DRB0-DRB3
    this.storage(0x64, 4, 0x01010101); // DRB4-DRB7
    this.storage(0x68, 1, 0); // FDHC
    this.storage(0x72, 1, 0x02); // SMRAM
  }
}

/**
 * The 82371SB PIIX3 PCI-to-ISA bridge, function 0, at 00:01.0 (82371FB/SB
 * datasheet, 2.2): its PIRQ route control registers PIRQRC[A:D] at
 * 0x60-0x63 decide which ISA IRQ each PCI interrupt line reaches (bit 7
 * set = not routed). Its IDE and USB functions are absent (their
 * configuration reads are all-ones), though the header keeps the chip's
 * multi-function bit.
 */
export class Piix3IsaBridge extends PciFunction {
  static readonly PIRQRC = 0x60;

  constructor(private readonly routesChanged: () => void) {
    super({ vendorId: PCI_VENDOR_INTEL, deviceId: PCI_DEVICE_82371SB_ISA, classCode: 0x060100, headerType: HEADER_MULTIFUNCTION });
    // PCICMD: I/O, memory and bus master hardwired on; special cycles (bit 3) writable.
    this.set16(PciConfig.Command, PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
    this.setWmask16(PciConfig.Command, 0x0008);
    this.set16(PciConfig.Status, PCI_STATUS_DEVSEL_MEDIUM);
    this.wmask[PciConfig.CacheLineSize] = 0;
    this.wmask[PciConfig.InterruptLine] = 0;
    this.storage(0x4c, 1, 0x4d); // IORT
    this.storage(0x4e, 2, 0x0003); // XBCS
    for (let i = 0; i < 4; i++) {
      this.config[Piix3IsaBridge.PIRQRC + i] = 0x80;
      this.wmask[Piix3IsaBridge.PIRQRC + i] = 0x8f; // bits 6:4 reserved
    }
    this.storage(0x69, 1, 0x02); // TOM
    this.storage(0x6a, 2, 0x0000); // MSTAT
    this.storage(0x70, 1, 0x80); // MBIRQ0
    this.storage(0x76, 2, 0x0c0c); // MBDMA0-1
    this.storage(0x78, 2, 0x0002); // PCSC
    this.storage(0x80, 1, 0x00); // APICBASE
    this.storage(0x82, 1, 0x00); // DLC (Linux's quirk_passive_release sets bit 1)
    this.wmask[0x82] = 0x0f;
    this.storage(0xa0, 1, 0x08); // SMICNTL
    this.storage(0xa2, 2, 0x0000); // SMIEN
    this.storage(0xa4, 4, 0x00000000); // SEE
    this.storage(0xa8, 1, 0x0f); // FTMR
    this.storage(0xaa, 2, 0x0000); // SMIREQ
    this.storage(0xac, 1, 0x00); // CTLTMR
    this.storage(0xae, 1, 0x00); // CTHTMR
  }

  /** The ISA IRQ PIRQ `link` (0-3 for A-D) is routed to, or -1. */
  routedIrq(link: number): number {
    const r = this.config[Piix3IsaBridge.PIRQRC + link]!;
    if (r & 0x80) return -1;
    const irq = r & 0x0f;
    return (PIRQ_ROUTABLE >>> irq) & 1 ? irq : -1;
  }

  /** Firmware programs a route. */
  setRoute(link: number, irq: number): void {
    this.config[Piix3IsaBridge.PIRQRC + link] = irq & 0x0f;
    this.routesChanged();
  }

  protected override configWritten(offset: number, size: number, commandBefore: number): void {
    super.configWritten(offset, size, commandBefore);
    if (offset < Piix3IsaBridge.PIRQRC + 4 && Piix3IsaBridge.PIRQRC < offset + size) this.routesChanged();
  }
}

export interface PciBusOptions {
  /** ISA IRQs firmware routes PIRQA-D to (default `DEFAULT_PIRQ_IRQS`: 9, 10, 11, 5). */
  pirqIrqs?: readonly [number, number, number, number];
  /** Where I/O BARs are decoded and placed (default 0xC000, 16 KiB). */
  ioWindow?: { base: number; size: number };
  /** The PIIX3 reset control register asked for a reset: hard (SRST = 1) or soft (INIT). */
  onReset?: (hard: boolean) => void;
}

/** A PCI interrupt as an MP table or MADT would describe it. */
export interface IntxRoute {
  slot: number;
  /** 1-4 for INTA#-INTD#. */
  pin: number;
  /** The PIIX3 PIRQ link (0-3 for A-D). */
  link: number;
  /** The ISA IRQ the link is routed to, or -1. */
  irq: number;
}

interface MappedBar {
  readonly base: number;
  readonly end: number;
  readonly handler: IoBarHandler;
}

/** Bus 0 with its host bridge: configuration mechanism #1, I/O BAR decoding and INTx# routing. */
export class PciBus {
  readonly hostBridge: I440fxHostBridge;
  readonly isaBridge: Piix3IsaBridge;
  /** Functions by device number (slot) and function number. */
  private readonly slots: (PciFunction | undefined)[][] = Array.from({ length: 32 }, () => []);
  private configAddress = 0;
  /** PIIX3 RC register: only SRST (bit 1) is kept. */
  private resetControl = 0;
  private readonly window: { base: number; size: number };
  private readonly pirqIrqs: readonly [number, number, number, number];
  /** Port (relative to the window) to the BAR decoding it. */
  private ioMap: (MappedBar | undefined)[];
  private ioMapDirty = true;
  /** The level each ISA IRQ is driven at by PCI (bit per IRQ). */
  private driven = 0;
  /** Where firmware places the next I/O BAR. */
  private nextIo: number;

  constructor(private readonly io: IoBus, private readonly irq: IrqSink | null, private readonly options: PciBusOptions = {}) {
    this.window = options.ioWindow ?? { base: PCI_IO_WINDOW_BASE, size: PCI_IO_WINDOW_SIZE };
    const { base, size } = this.window;
    if (!Number.isInteger(base) || !Number.isInteger(size) || base < 0x1000 || size <= 0 || base + size > 0x10000 || base % 4 !== 0) {
      throw new RangeError(`PCI I/O window ${base}+${size} must lie within 0x1000-0xFFFF`);
    }
    this.pirqIrqs = options.pirqIrqs ?? DEFAULT_PIRQ_IRQS;
    for (const irq of this.pirqIrqs) {
      if (!((PIRQ_ROUTABLE >>> irq) & 1)) throw new RangeError(`the PIIX3 cannot route a PIRQ to IRQ ${irq}`);
    }
    this.ioMap = new Array<MappedBar | undefined>(size);
    this.nextIo = base;

    io.register(PCI_CONFIG_ADDRESS, 8, this.configPorts);
    io.register(base, size, this.windowPorts);

    this.hostBridge = new I440fxHostBridge();
    this.isaBridge = new Piix3IsaBridge(() => this.intxChanged());
    this.attach(this.hostBridge, 0, 0);
    this.attach(this.isaBridge, 1, 0);
    this.programPirqs();
  }

  /**
   * Plug `fn` in at `slot` (default: the first free slot from 2) as
   * function 0, and do what firmware does for it: I/O BARs placed and
   * decoded, Interrupt Line written.
   */
  add(fn: PciFunction, slot?: number): PciFunction {
    const s = slot ?? this.slots.findIndex((fns, i) => i >= 2 && fns.length === 0);
    if (s < 0) throw new RangeError('PCI bus 0 has no free slot');
    if (!Number.isInteger(s) || s < 0 || s > 31) throw new RangeError(`PCI slot ${s} does not exist (0-31)`);
    if (this.slots[s]![0]) throw new RangeError(`PCI slot ${s} is taken`);
    this.attach(fn, s, 0);
    this.firmwareSetup(fn);
    return fn;
  }

  private attach(fn: PciFunction, slot: number, functionNumber: number): void {
    fn.bus = this;
    fn.slot = slot;
    fn.functionNumber = functionNumber;
    fn.snapshotPowerOn();
    this.slots[slot]![functionNumber] = fn;
    this.ioMapDirty = true;
  }

  /** The function at `slot`.`fn`, if present. */
  function(slot: number, fn = 0): PciFunction | undefined {
    return this.slots[slot]?.[fn];
  }

  /** Every function on the bus. */
  functions(): PciFunction[] {
    return this.slots.flatMap((fns) => fns.filter((f): f is PciFunction => f !== undefined));
  }

  /**
   * System reset (PCIRST#): every header back to power-on, then firmware's
   * set-up again (PIRQ routes, ELCR, BARs, Interrupt Lines). Call it after
   * the chipset's own reset, which clears the ELCR.
   */
  reset(): void {
    this.configAddress = 0;
    this.resetControl = 0;
    this.nextIo = this.window.base;
    for (const fn of this.functions()) fn.reset();
    this.programPirqs();
    for (const fn of this.functions()) if (fn !== this.hostBridge && fn !== this.isaBridge) this.firmwareSetup(fn);
    this.ioMapDirty = true;
    this.intxChanged();
  }

  /** The PCI interrupts in use: where each function's INTx# goes. */
  intxRoutes(): IntxRoute[] {
    const out: IntxRoute[] = [];
    for (const fn of this.functions()) {
      const pin = fn.config[PciConfig.InterruptPin]!;
      if (pin === 0) continue;
      const link = this.linkOf(fn.slot, pin);
      out.push({ slot: fn.slot, pin, link, irq: this.isaBridge.routedIrq(link) });
    }
    return out;
  }

  /** The i440FX/PIIX3 board's swizzle: slot s, INTx# pin p (1-4) reaches PIRQ (s + p - 2) mod 4, as on QEMU's i440FX board. */
  linkOf(slot: number, pin: number): number {
    return (slot + pin - 2) & 3;
  }

  // --- firmware ---

  /** PIRQA-D to their IRQs, and those IRQs level-triggered in the ELCR (SeaBIOS's piix_isa_bridge_setup). */
  private programPirqs(): void {
    let elcr = this.io.read(ELCR_PORT, 1) | (this.io.read(ELCR_PORT + 1, 1) << 8);
    this.pirqIrqs.forEach((irq, link) => {
      this.isaBridge.setRoute(link, irq);
      elcr |= 1 << irq;
    });
    this.io.write(ELCR_PORT, 1, elcr & 0xff);
    this.io.write(ELCR_PORT + 1, 1, elcr >>> 8);
  }

  private firmwareSetup(fn: PciFunction): void {
    for (const bar of fn.ioBarList()) {
      const base = Math.ceil(this.nextIo / bar.size) * bar.size;
      if (base + bar.size > this.window.base + this.window.size) {
        throw new RangeError(`the PCI I/O window 0x${this.window.base.toString(16)}-0x${(this.window.base + this.window.size - 1).toString(16)} is full`);
      }
      fn.writeConfig(PciConfig.Bar0 + 4 * bar.index, 4, base);
      this.nextIo = base + bar.size;
    }
    if (fn.ioBarList().length) fn.writeConfig(PciConfig.Command, 2, fn.command | PCI_COMMAND_IO);
    const pin = fn.config[PciConfig.InterruptPin]!;
    if (pin) {
      const irq = this.isaBridge.routedIrq(this.linkOf(fn.slot, pin));
      fn.writeConfig(PciConfig.InterruptLine, 1, irq < 0 ? 0xff : irq);
    }
  }

  // --- configuration mechanism #1 ---

  /** CONFIG_ADDRESS as it reads back: enable, bus, device, function, register; reserved bits 30:24 and 1:0 are 0. */
  get address(): number {
    return this.configAddress;
  }

  private readonly configPorts: PortDevice = {
    read: (port, size) => {
      // Only a whole dword at 0xCF8 is CONFIG_ADDRESS; anything else is an ordinary I/O cycle, byte by byte (PCI 3.0, 3.2.2.3.2).
      if (port === PCI_CONFIG_ADDRESS && size === 4) return this.configAddress | 0;
      let v = 0;
      for (let i = 0; i < size; i++) v |= this.readPortByte(port + i) << (8 * i);
      return size === 4 ? v | 0 : v;
    },
    write: (port, size, value) => {
      if (port === PCI_CONFIG_ADDRESS && size === 4) {
        this.configAddress = (value & 0x80fffffc) >>> 0;
        return;
      }
      // Bytes below 0xCFC one by one; those in 0xCFC-0xCFF are one configuration write with
      // their byte enables, as the CPU splits an unaligned access at the dword boundary.
      let i = 0;
      for (; i < size && port + i < PCI_CONFIG_DATA; i++) this.writePortByte(port + i, (value >>> (8 * i)) & 0xff);
      if (i === size) return;
      const lane = port + i - PCI_CONFIG_DATA;
      const fn = this.target();
      if (fn) fn.writeConfig(this.register() + lane, Math.min(size - i, 4 - lane), value >>> (8 * i));
    },
  };

  private readPortByte(port: number): number {
    if (port === PCI_RESET_CONTROL) return this.resetControl;
    if (port >= PCI_CONFIG_DATA && port < PCI_CONFIG_DATA + 4) {
      const fn = this.target();
      return fn ? fn.readConfig(this.register() + (port - PCI_CONFIG_DATA), 1) : 0xff;
    }
    return 0xff; // 0xCF8, 0xCFA, 0xCFB as bytes and 0xD00 onwards: nobody decodes them
  }

  private writePortByte(port: number, value: number): void {
    if (port === PCI_RESET_CONTROL) {
      // RCPU (bit 2) going to 1 resets, hard or soft as SRST (bit 1) says; only SRST is kept (82371SB, 2.3.2).
      if (value & 0x04 && !(this.resetControl & 0x04)) this.options.onReset?.((value & 0x02) !== 0);
      this.resetControl = value & 0x02;
    }
  }

  /** The function CONFIG_ADDRESS selects, or null (disabled, another bus, or nothing there: master abort). */
  private target(): PciFunction | null {
    const a = this.configAddress;
    if (!(a & 0x80000000)) return null;
    if (((a >>> 16) & 0xff) !== 0) return null;
    return this.slots[(a >>> 11) & 0x1f]![(a >>> 8) & 0x7] ?? null;
  }

  private register(): number {
    return this.configAddress & 0xfc;
  }

  // --- I/O BAR decoding ---

  private readonly windowPorts: PortDevice = {
    read: (port, size) => {
      const bar = this.decode(port);
      if (!bar) return size === 4 ? -1 : (1 << (size * 8)) - 1;
      return bar.handler.read(port - bar.base, size);
    },
    write: (port, size, value) => {
      const bar = this.decode(port);
      bar?.handler.write(port - bar.base, size, value);
    },
  };

  private decode(port: number): MappedBar | undefined {
    if (this.ioMapDirty) this.rebuildIoMap();
    return this.ioMap[port - this.window.base];
  }

  /** A BAR or command register changed: the decode map is redrawn before the next access. */
  ioMapChanged(): void {
    this.ioMapDirty = true;
  }

  private rebuildIoMap(): void {
    this.ioMapDirty = false;
    this.ioMap.fill(undefined);
    const { base: wBase, size: wSize } = this.window;
    for (const fn of this.functions()) {
      if (!(fn.command & PCI_COMMAND_IO)) continue;
      for (const bar of fn.ioBarList()) {
        // A BAR decodes only if it lies wholly in the window and is not in the middle of being sized.
        if (bar.base < wBase || bar.base + bar.size > wBase + wSize) continue;
        const handler = fn.ioBarHandler(bar.index)!;
        const mapped: MappedBar = { base: bar.base, end: bar.base + bar.size, handler };
        for (let p = bar.base; p < mapped.end; p++) this.ioMap[p - wBase] ??= mapped; // two BARs on one port: the first wins
      }
    }
  }

  // --- interrupts ---

  /** Some function's INTx#, Interrupt Disable or a PIRQ route changed: drive the ISA IRQs again. */
  intxChanged(): void {
    let want = 0;
    for (const fn of this.functions()) {
      if (!fn.intxAsserted) continue;
      const pin = fn.config[PciConfig.InterruptPin]!;
      if (pin === 0) continue;
      const irq = this.isaBridge.routedIrq(this.linkOf(fn.slot, pin));
      if (irq >= 0) want |= 1 << irq; // PCI interrupt lines are wired-OR
    }
    const changed = want ^ this.driven;
    this.driven = want;
    if (!changed || !this.irq) return;
    for (let irq = 0; irq < 16; irq++) if ((changed >>> irq) & 1) this.irq.setIrq(irq, ((want >>> irq) & 1) === 1);
  }
}

/** Bus 0 on `io`, its interrupts on the board's ISA IRQ lines (`chipset.irq`). Create it after the chipset (firmware writes the ELCR). */
export function createPciBus(io: IoBus, irq: IrqSink | null, options: PciBusOptions = {}): PciBus {
  return new PciBus(io, irq, options);
}
