/**
 * A small virtio driver for the tests, written from the virtio 1.2 spec's
 * driver side (3.1 device initialization, 2.7 split virtqueues, 4.1.4.8
 * the legacy PCI layout) and PCI configuration mechanism #1, so that the
 * devices are driven only through ports and guest memory, as a guest
 * drives them.
 */
import { IoBus } from '../../runtime/io-bus.js';
import { PhysicalMemory } from '../../runtime/memory.js';
import type { IrqSink } from '../../runtime/devices/irq.js';
import { createPciBus, type PciBus } from '../../runtime/devices/pci.js';

export const STATUS_ACKNOWLEDGE = 1;
export const STATUS_DRIVER = 2;
export const STATUS_DRIVER_OK = 4;
export const F_INDIRECT = 1 << 28;
export const F_EVENT_IDX = 1 << 29;
export const DESC_NEXT = 1;
export const DESC_WRITE = 2;
export const DESC_INDIRECT = 4;

/** Mechanism #1 accesses through the I/O bus. */
export class ConfigAccess {
  constructor(readonly io: IoBus) {}

  private select(slot: number, fn: number, reg: number, bus = 0): void {
    this.io.write(0xcf8, 4, (0x80000000 | (bus << 16) | (slot << 11) | (fn << 8) | (reg & 0xfc)) | 0);
  }

  read(slot: number, fn: number, reg: number, size: 1 | 2 | 4, bus = 0): number {
    this.select(slot, fn, reg, bus);
    const v = this.io.read(0xcfc + (reg & 3), size);
    return size === 4 ? v >>> 0 : v;
  }

  write(slot: number, fn: number, reg: number, size: 1 | 2 | 4, value: number, bus = 0): void {
    this.select(slot, fn, reg, bus);
    this.io.write(0xcfc + (reg & 3), size, value);
  }
}

/** IRQ lines as a test sees them: the level of each, and every change. */
export class IrqRecorder implements IrqSink {
  readonly level = new Array<boolean>(16).fill(false);
  readonly changes: [number, boolean][] = [];

  setIrq(line: number, level: boolean): void {
    this.level[line] = level;
    this.changes.push([line, level]);
  }
}

/** A bus, its RAM and IRQ lines: the world a driver runs in. */
export function testBoard(memoryBytes = 4 << 20): { io: IoBus; mem: PhysicalMemory; irq: IrqRecorder; pci: PciBus; cfg: ConfigAccess } {
  const io = new IoBus();
  const mem = new PhysicalMemory(memoryBytes);
  const irq = new IrqRecorder();
  const pci = createPciBus(io, irq);
  return { io, mem, irq, pci, cfg: new ConfigAccess(io) };
}

/** A buffer of a request: where, how long, and whether the device writes it. */
export interface DriverBuffer {
  addr: number;
  len: number;
  write?: boolean;
}

export interface UsedEntry {
  id: number;
  len: number;
}

/** One split virtqueue in the legacy layout, from the driver's side. */
export class DriverQueue {
  readonly desc: number;
  readonly avail: number;
  readonly used: number;
  private freeHead = 0;
  private availIdx = 0;
  private lastUsed = 0;

  constructor(private readonly mem: PhysicalMemory, readonly index: number, readonly size: number, readonly base: number) {
    this.desc = base;
    this.avail = base + 16 * size;
    this.used = Math.ceil((this.avail + 6 + 2 * size) / 4096) * 4096;
  }

  /** Bytes the ring occupies. */
  static bytes(size: number): number {
    return Math.ceil((16 * size + 6 + 2 * size) / 4096) * 4096 + 6 + 8 * size;
  }

  private writeDesc(table: number, i: number, b: DriverBuffer, flags: number, next: number): void {
    this.mem.write32(table + 16 * i, b.addr);
    this.mem.write32(table + 16 * i + 4, 0);
    this.mem.write32(table + 16 * i + 8, b.len);
    this.mem.write16(table + 16 * i + 12, flags | (b.write ? DESC_WRITE : 0));
    this.mem.write16(table + 16 * i + 14, next);
  }

  /**
   * Make a chain of `buffers` available; with `indirectAt`, as an indirect
   * table there (one descriptor in the ring). Returns the head's index.
   */
  add(buffers: readonly DriverBuffer[], options: { indirectAt?: number; publish?: boolean } = {}): number {
    const head = this.freeHead;
    if (options.indirectAt !== undefined) {
      buffers.forEach((b, i) => this.writeDesc(options.indirectAt!, i, b, i + 1 < buffers.length ? DESC_NEXT : 0, i + 1));
      this.writeDesc(this.desc, head % this.size, { addr: options.indirectAt, len: 16 * buffers.length }, DESC_INDIRECT, 0);
      this.freeHead = (head + 1) % this.size;
    } else {
      buffers.forEach((b, i) => {
        const at = (head + i) % this.size;
        this.writeDesc(this.desc, at, b, i + 1 < buffers.length ? DESC_NEXT : 0, (at + 1) % this.size);
      });
      this.freeHead = (head + buffers.length) % this.size;
    }
    this.mem.write16(this.avail + 4 + 2 * (this.availIdx % this.size), head);
    this.availIdx = (this.availIdx + 1) & 0xffff;
    if (options.publish ?? true) this.publish();
    return head;
  }

  /** Write avail.idx (the driver's memory barrier then the index, 2.7.13). */
  publish(): void {
    this.mem.write16(this.avail + 2, this.availIdx);
  }

  set availFlags(v: number) {
    this.mem.write16(this.avail, v);
  }

  /** used_event (EVENT_IDX): interrupt me when used.idx passes this. */
  set usedEvent(v: number) {
    this.mem.write16(this.avail + 4 + 2 * this.size, v);
  }

  /** avail_event (EVENT_IDX): the device wants a notify when this avail index is published. */
  get availEvent(): number {
    return this.mem.read16(this.used + 4 + 8 * this.size);
  }

  get usedIdx(): number {
    return this.mem.read16(this.used + 2);
  }

  /** Used entries since the last call. */
  takeUsed(): UsedEntry[] {
    const out: UsedEntry[] = [];
    const idx = this.usedIdx;
    while (this.lastUsed !== idx) {
      const e = this.used + 4 + 8 * (this.lastUsed % this.size);
      out.push({ id: this.mem.read32(e) >>> 0, len: this.mem.read32(e + 4) >>> 0 });
      this.lastUsed = (this.lastUsed + 1) & 0xffff;
    }
    return out;
  }
}

/** A legacy virtio PCI driver for the device at `slot`. */
export class LegacyDriver {
  readonly ioBase: number;
  readonly queues: DriverQueue[] = [];
  private next: number;

  constructor(readonly io: IoBus, readonly mem: PhysicalMemory, readonly cfg: ConfigAccess, readonly slot: number, heap = 0x100000) {
    const bar0 = cfg.read(slot, 0, 0x10, 4);
    if (!(bar0 & 1)) throw new Error('BAR0 is not an I/O BAR');
    this.ioBase = bar0 & ~3;
    // I/O decoding (firmware left it on) and bus mastering (the driver's pci_set_master).
    cfg.write(slot, 0, 0x04, 2, cfg.read(slot, 0, 0x04, 2) | 0x5);
    this.next = heap;
  }

  /** Guest memory for buffers: `len` bytes aligned to `align`. */
  alloc(len: number, align = 16): number {
    const at = Math.ceil(this.next / align) * align;
    this.next = at + len;
    if (this.next > this.mem.size) throw new Error('the test ran out of guest memory');
    return at;
  }

  r8(off: number): number {
    return this.io.read(this.ioBase + off, 1);
  }
  r16(off: number): number {
    return this.io.read(this.ioBase + off, 2);
  }
  r32(off: number): number {
    return this.io.read(this.ioBase + off, 4) >>> 0;
  }
  w8(off: number, v: number): void {
    this.io.write(this.ioBase + off, 1, v);
  }
  w16(off: number, v: number): void {
    this.io.write(this.ioBase + off, 2, v);
  }
  w32(off: number, v: number): void {
    this.io.write(this.ioBase + off, 4, v);
  }

  get hostFeatures(): number {
    return this.r32(0x00);
  }

  get status(): number {
    return this.r8(0x12);
  }

  /** ISR status (reading clears it). */
  isr(): number {
    return this.r8(0x13);
  }

  config8(off: number): number {
    return this.r8(0x14 + off);
  }

  /** 3.1.1 steps 1-5 (legacy: no FEATURES_OK): reset, ACKNOWLEDGE, DRIVER, features; returns the features accepted. */
  negotiate(want: number): number {
    this.w8(0x12, 0);
    this.w8(0x12, STATUS_ACKNOWLEDGE);
    this.w8(0x12, STATUS_ACKNOWLEDGE | STATUS_DRIVER);
    const accepted = (this.hostFeatures & want) >>> 0;
    this.w32(0x04, accepted);
    return accepted;
  }

  /** Step 7 for queue `index`: select it, read its size, place the ring, write its page number. */
  setupQueue(index: number): DriverQueue {
    this.w16(0x0e, index);
    const size = this.r16(0x0c);
    if (!size) throw new Error(`queue ${index} does not exist`);
    const base = this.alloc(DriverQueue.bytes(size), 4096);
    this.mem.load(base, new Uint8Array(DriverQueue.bytes(size)));
    this.w32(0x08, base / 4096);
    const q = new DriverQueue(this.mem, index, size, base);
    this.queues[index] = q;
    return q;
  }

  driverOk(): void {
    this.w8(0x12, STATUS_ACKNOWLEDGE | STATUS_DRIVER | STATUS_DRIVER_OK);
  }

  /** Queue Notify. */
  kick(index: number): void {
    this.w16(0x10, index);
  }

  /** Full initialisation with every queue. */
  init(want: number, queueCount: number): number {
    const accepted = this.negotiate(want);
    for (let i = 0; i < queueCount; i++) this.setupQueue(i);
    this.driverOk();
    return accepted;
  }
}
