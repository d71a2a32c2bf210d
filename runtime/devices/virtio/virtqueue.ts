/**
 * Split virtqueues in the legacy layout (virtio 1.2, 2.7 "Split
 * Virtqueues" and 2.7.2 "Legacy Interfaces: A Note on Virtqueue Layout"):
 * the descriptor table, the available ring and, at the next 4096-byte
 * boundary, the used ring, all in one guest-physical area whose page
 * number the driver writes to the Queue Address register. Fields are
 * little-endian (legacy devices use the guest's byte order, and x86 is
 * little-endian).
 *
 * Every access to guest memory goes through PhysicalMemory: ring fields
 * with its read/write methods, buffer contents through `load()` (DMA), so
 * code pages that a device overwrites are invalidated like any other
 * write. A driver that breaks the protocol (an index out of range, a loop,
 * a buffer outside RAM, a writable descriptor before a readable one,
 * nested indirect tables) raises VirtioError; the device then stops, as
 * QEMU's virtio_error() makes it.
 *
 * Departure: buffers must lie in RAM (a device cannot DMA into MMIO).
 */
import type { PhysicalMemory } from '../../memory.js';

export const VIRTQ_DESC_F_NEXT = 1;
export const VIRTQ_DESC_F_WRITE = 2;
export const VIRTQ_DESC_F_INDIRECT = 4;
export const VIRTQ_AVAIL_F_NO_INTERRUPT = 1;
/** The legacy interface's ring alignment and page size of the Queue Address register. */
export const LEGACY_VRING_ALIGN = 4096;
const DESC_SIZE = 16;

/** The driver broke the virtio protocol: the device stops until it is reset. */
export class VirtioError extends Error {
  override readonly name = 'VirtioError';
}

/** One buffer of a chain: guest-physical address and length. */
export interface Segment {
  readonly addr: number;
  readonly len: number;
}

/** Bytes of the legacy ring area for `size` entries (descriptors, available ring, padding, used ring). */
export function legacyRingBytes(size: number): number {
  const availEnd = DESC_SIZE * size + 6 + 2 * size;
  return Math.ceil(availEnd / LEGACY_VRING_ALIGN) * LEGACY_VRING_ALIGN + 6 + 8 * size;
}

/** A descriptor chain the device took from the available ring: device-readable buffers, then device-writable ones. */
export class DescriptorChain {
  readonly readableLength: number;
  readonly writableLength: number;

  constructor(
    private readonly mem: PhysicalMemory,
    /** The head descriptor's index: the id the used ring returns. */
    readonly head: number,
    readonly readable: readonly Segment[],
    readonly writable: readonly Segment[],
  ) {
    this.readableLength = readable.reduce((n, s) => n + s.len, 0);
    this.writableLength = writable.reduce((n, s) => n + s.len, 0);
  }

  /** Copy `length` bytes of the readable part from `offset` (fewer if it ends first). */
  read(offset: number, length: number): Uint8Array {
    const n = Math.max(0, Math.min(length, this.readableLength - offset));
    const out = new Uint8Array(n);
    let at = 0;
    let skip = offset;
    for (const s of this.readable) {
      if (at === n) break;
      if (skip >= s.len) {
        skip -= s.len;
        continue;
      }
      const take = Math.min(s.len - skip, n - at);
      out.set(this.mem.u8.subarray(s.addr + skip, s.addr + skip + take), at);
      at += take;
      skip = 0;
    }
    return out;
  }

  /** The whole readable part. */
  readAll(): Uint8Array {
    return this.read(0, this.readableLength);
  }

  /** DMA `bytes` into the writable part at `offset`; returns how many fit. */
  write(offset: number, bytes: Uint8Array): number {
    const n = Math.max(0, Math.min(bytes.length, this.writableLength - offset));
    let at = 0;
    let skip = offset;
    for (const s of this.writable) {
      if (at === n) break;
      if (skip >= s.len) {
        skip -= s.len;
        continue;
      }
      const take = Math.min(s.len - skip, n - at);
      this.mem.load(s.addr + skip, bytes.subarray(at, at + take));
      at += take;
      skip = 0;
    }
    return n;
  }
}

/** Which negotiated features change how the ring is used. */
export interface RingFeatures {
  /** VIRTIO_RING_F_INDIRECT_DESC */
  indirect: boolean;
  /** VIRTIO_RING_F_EVENT_IDX: used_event / avail_event instead of the flags. */
  eventIdx: boolean;
}

export class Virtqueue {
  /** Guest page number of the ring area (legacy Queue Address); 0 = not in use. */
  private pageNumber = 0;
  private desc = 0;
  private avail = 0;
  private used = 0;
  /** The next available-ring index the device will take. */
  private lastAvail = 0;
  /** The device's copy of used.idx. */
  private usedIdx = 0;
  /** used.idx when the driver was last considered for an interrupt (EVENT_IDX). */
  private signalledUsed = 0;
  features: RingFeatures = { indirect: false, eventIdx: false };

  constructor(private readonly mem: PhysicalMemory, readonly index: number, readonly size: number) {
    if (size < 1 || size > 32768 || (size & (size - 1)) !== 0) throw new RangeError(`a virtqueue's size is a power of two up to 32768, not ${size}`);
  }

  /** The driver gave the queue its memory. */
  get ready(): boolean {
    return this.pageNumber !== 0;
  }

  get pfn(): number {
    return this.pageNumber;
  }

  /** Legacy Queue Address: the page number of the ring area, or 0 to stop using the queue. */
  setPfn(pfn: number): void {
    this.reset();
    this.pageNumber = pfn >>> 0;
    if (!this.pageNumber) return;
    this.desc = this.pageNumber * LEGACY_VRING_ALIGN;
    this.avail = this.desc + DESC_SIZE * this.size;
    this.used = Math.ceil((this.avail + 6 + 2 * this.size) / LEGACY_VRING_ALIGN) * LEGACY_VRING_ALIGN;
  }

  /** Back to unused, indices at 0 (device reset, or Queue Address written). */
  reset(): void {
    this.pageNumber = 0;
    this.desc = this.avail = this.used = 0;
    this.lastAvail = this.usedIdx = this.signalledUsed = 0;
  }

  /** Buffers the driver made available that the device has not taken. */
  pending(): number {
    this.checkRing();
    const n = (this.mem.read16(this.avail + 2) - this.lastAvail) & 0xffff;
    if (n > this.size) throw new VirtioError(`queue ${this.index}: the available index ran ${n} entries ahead of a ${this.size}-entry ring`);
    return n;
  }

  /** Take the next available chain, or null when there is none. */
  pop(): DescriptorChain | null {
    if (this.pending() === 0) {
      this.publishAvailEvent();
      return null;
    }
    const head = this.mem.read16(this.avail + 4 + 2 * (this.lastAvail & (this.size - 1)));
    this.lastAvail = (this.lastAvail + 1) & 0xffff;
    this.publishAvailEvent();
    return this.walk(head);
  }

  /** Give back the chain pop() just returned, untouched (the device could not use it yet). */
  unpop(): void {
    this.lastAvail = (this.lastAvail - 1) & 0xffff;
    this.publishAvailEvent();
  }

  /** Return a chain to the driver with `written` bytes written into it. */
  push(chain: DescriptorChain, written: number): void {
    const entry = this.used + 4 + 8 * (this.usedIdx & (this.size - 1));
    this.mem.write32(entry, chain.head);
    this.mem.write32(entry + 4, written);
    this.usedIdx = (this.usedIdx + 1) & 0xffff;
    // The entry must be visible before the index that publishes it; our writes are in program order.
    this.mem.write16(this.used + 2, this.usedIdx);
  }

  /**
   * After a batch of push(): whether the driver asked to be interrupted
   * for it (2.7.7 / 2.7.10: unless the avail flags say NO_INTERRUPT; with
   * EVENT_IDX, exactly when an entry went in at index used_event since the
   * last decision, vring_need_event()'s test).
   */
  shouldInterrupt(): boolean {
    if (!this.features.eventIdx) return (this.mem.read16(this.avail) & VIRTQ_AVAIL_F_NO_INTERRUPT) === 0;
    const old = this.signalledUsed;
    this.signalledUsed = this.usedIdx;
    const usedEvent = this.mem.read16(this.avail + 4 + 2 * this.size);
    return ((this.usedIdx - usedEvent - 1) & 0xffff) < ((this.usedIdx - old) & 0xffff);
  }

  /** With EVENT_IDX: ask to be notified when the driver makes the entry after the last one taken available. */
  private publishAvailEvent(): void {
    if (this.features.eventIdx) this.mem.write16(this.used + 4 + 8 * this.size, this.lastAvail);
  }

  private checkRing(): void {
    if (!this.pageNumber) throw new Error(`virtqueue ${this.index} is used before the driver set it up`);
    if (this.desc + legacyRingBytes(this.size) > this.mem.size) {
      throw new VirtioError(`queue ${this.index}: the ring at 0x${this.desc.toString(16)} does not fit in RAM`);
    }
  }

  private walk(head: number): DescriptorChain {
    if (head >= this.size) throw new VirtioError(`queue ${this.index}: available ring names descriptor ${head} of ${this.size}`);
    const readable: Segment[] = [];
    const writable: Segment[] = [];
    let table = this.desc;
    let tableSize = this.size;
    let indirect = false;
    let i = head;
    for (let count = 0; ; count++) {
      if (count >= tableSize) throw new VirtioError(`queue ${this.index}: descriptor chain from ${head} loops`);
      const d = table + DESC_SIZE * i;
      const addr = (this.mem.read32(d) >>> 0) + (this.mem.read32(d + 4) >>> 0) * 2 ** 32;
      const len = this.mem.read32(d + 8) >>> 0;
      const flags = this.mem.read16(d + 12);
      const next = this.mem.read16(d + 14);
      if (flags & VIRTQ_DESC_F_INDIRECT) {
        // 2.7.5.3: only in the main table, only when negotiated, never with NEXT, a whole number of descriptors.
        if (indirect) throw new VirtioError(`queue ${this.index}: an indirect table refers to another`);
        if (!this.features.indirect) throw new VirtioError(`queue ${this.index}: indirect descriptor without VIRTIO_RING_F_INDIRECT_DESC`);
        if (flags & VIRTQ_DESC_F_NEXT) throw new VirtioError(`queue ${this.index}: indirect descriptor with NEXT set`);
        if (len === 0 || len % DESC_SIZE !== 0) throw new VirtioError(`queue ${this.index}: indirect table of ${len} bytes`);
        this.checkInRam(addr, len);
        indirect = true;
        table = addr;
        tableSize = len / DESC_SIZE;
        i = 0;
        count = -1;
        continue;
      }
      this.checkInRam(addr, len);
      if (flags & VIRTQ_DESC_F_WRITE) writable.push({ addr, len });
      else if (writable.length) throw new VirtioError(`queue ${this.index}: a device-readable descriptor follows a device-writable one`);
      else readable.push({ addr, len });
      if (!(flags & VIRTQ_DESC_F_NEXT)) break;
      if (next >= tableSize) throw new VirtioError(`queue ${this.index}: descriptor ${i} links to ${next} of ${tableSize}`);
      i = next;
    }
    return new DescriptorChain(this.mem, head, readable, writable);
  }

  private checkInRam(addr: number, len: number): void {
    if (addr + len > this.mem.size) throw new VirtioError(`queue ${this.index}: buffer 0x${addr.toString(16)}+${len} lies outside RAM`);
  }
}
