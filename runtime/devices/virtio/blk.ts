/**
 * virtio-blk (virtio 1.2, 5.2 "Block Device"), one request queue. A
 * request is a 16-byte header {type u32, reserved u32, sector u64}, the
 * data, and a status byte the device writes last; the device never
 * assumes how they are split into buffers (VIRTIO_F_ANY_LAYOUT).
 * Requests: IN (read), OUT (write), FLUSH, GET_ID (the serial, 20 bytes,
 * NUL-padded); anything else completes with UNSUPP. A transfer that is not
 * a whole number of 512-byte sectors, runs past the capacity, writes a
 * read-only disk or meets a host I/O error completes with IOERR.
 *
 * Offered: SEG_MAX (queue size - 2, as QEMU), BLK_SIZE (512), FLUSH, RO
 * when read-only, and the common ring features. The legacy BARRIER flag in
 * the type (bit 31) is ignored, as QEMU does.
 *
 * Configuration (legacy layout, little-endian): capacity u64 @0 (in
 * 512-byte sectors), size_max u32 @8, seg_max u32 @12, geometry @16,
 * blk_size u32 @20, topology @24, writeback u8 @32, num_queues u16 @34.
 */
import type { PhysicalMemory } from '../../memory.js';
import type { PciBus } from '../pci.js';
import type { BlockBackend } from './block-backend.js';
import { COMMON_FEATURES, VirtioDevice, VirtioDeviceId, type VirtioDeviceOptions } from './device.js';
import { addVirtioPci, type VirtioPciFunction } from './pci-transport.js';
import { type DescriptorChain, VirtioError } from './virtqueue.js';

export const VIRTIO_BLK_F_SEG_MAX = 1 << 2;
export const VIRTIO_BLK_F_RO = 1 << 5;
export const VIRTIO_BLK_F_BLK_SIZE = 1 << 6;
export const VIRTIO_BLK_F_FLUSH = 1 << 9;

export const VIRTIO_BLK_T_IN = 0;
export const VIRTIO_BLK_T_OUT = 1;
export const VIRTIO_BLK_T_FLUSH = 4;
export const VIRTIO_BLK_T_GET_ID = 8;
const VIRTIO_BLK_T_BARRIER = 0x80000000;

export const VIRTIO_BLK_S_OK = 0;
export const VIRTIO_BLK_S_IOERR = 1;
export const VIRTIO_BLK_S_UNSUPP = 2;

export const SECTOR_SIZE = 512;
const HEADER_SIZE = 16;
/** VIRTIO_BLK_ID_BYTES */
export const BLK_ID_BYTES = 20;
const CONFIG_SIZE = 36;
export const DEFAULT_BLK_QUEUE_SIZE = 128;

export interface VirtioBlkOptions extends VirtioDeviceOptions {
  backend: BlockBackend;
  /** The serial number GET_ID returns (at most 20 bytes; default empty). */
  serial?: string;
  /** Entries in the request queue (default 128). */
  queueSize?: number;
}

export class VirtioBlk extends VirtioDevice {
  readonly backend: BlockBackend;
  private readonly serial: Uint8Array;
  /** Sectors of 512 bytes (a partial last sector of the image is not addressable, as in QEMU). */
  readonly capacity: number;

  constructor(mem: PhysicalMemory, options: VirtioBlkOptions) {
    const queueSize = options.queueSize ?? DEFAULT_BLK_QUEUE_SIZE;
    const features = COMMON_FEATURES | VIRTIO_BLK_F_SEG_MAX | VIRTIO_BLK_F_BLK_SIZE | VIRTIO_BLK_F_FLUSH | (options.backend.readOnly ? VIRTIO_BLK_F_RO : 0);
    super(mem, VirtioDeviceId.Block, features, [queueSize], CONFIG_SIZE, options);
    this.backend = options.backend;
    const serial = new TextEncoder().encode(options.serial ?? '');
    if (serial.length > BLK_ID_BYTES) throw new RangeError(`a virtio-blk serial has at most ${BLK_ID_BYTES} bytes`);
    this.serial = new Uint8Array(BLK_ID_BYTES);
    this.serial.set(serial);
    this.capacity = Math.floor(this.backend.size / SECTOR_SIZE);
    this.set64(0, this.capacity);
    this.set32(12, Math.max(1, queueSize - 2)); // seg_max: room for the header and status descriptors
    this.set32(20, SECTOR_SIZE);
    this.set16(34, 1);
  }

  get name(): string {
    return 'virtio-blk';
  }

  protected queueNotified(q: number): void {
    const queue = this.queues[q]!;
    let served = 0;
    for (let chain = queue.pop(); chain; chain = queue.pop()) {
      queue.push(chain, this.execute(chain));
      served++;
    }
    if (served) this.usedBuffersAdded(q);
  }

  /** Carry out one request; returns the bytes written into its buffers (data and status). */
  private execute(chain: DescriptorChain): number {
    if (chain.readableLength < HEADER_SIZE) throw new VirtioError(`request without its ${HEADER_SIZE}-byte header`);
    if (chain.writableLength < 1) throw new VirtioError('request without a status byte');
    const h = chain.read(0, HEADER_SIZE);
    const view = new DataView(h.buffer);
    const type = view.getUint32(0, true) & ~VIRTIO_BLK_T_BARRIER;
    const sector = view.getUint32(8, true) + view.getUint32(12, true) * 2 ** 32;
    const statusAt = chain.writableLength - 1;
    let written = 0;
    let status = VIRTIO_BLK_S_OK;
    switch (type) {
      case VIRTIO_BLK_T_IN: {
        const len = statusAt;
        if (!this.inRange(sector, len)) {
          status = VIRTIO_BLK_S_IOERR;
          break;
        }
        const data = new Uint8Array(len);
        status = this.io(() => this.backend.read(sector * SECTOR_SIZE, data));
        if (status === VIRTIO_BLK_S_OK) written = chain.write(0, data);
        break;
      }
      case VIRTIO_BLK_T_OUT: {
        const len = chain.readableLength - HEADER_SIZE;
        if (this.backend.readOnly || !this.inRange(sector, len)) {
          status = VIRTIO_BLK_S_IOERR;
          break;
        }
        const data = chain.read(HEADER_SIZE, len);
        status = this.io(() => this.backend.write(sector * SECTOR_SIZE, data));
        break;
      }
      case VIRTIO_BLK_T_FLUSH:
        status = this.io(() => this.backend.flush());
        break;
      case VIRTIO_BLK_T_GET_ID:
        written = chain.write(0, this.serial.subarray(0, Math.min(BLK_ID_BYTES, statusAt)));
        break;
      default:
        status = VIRTIO_BLK_S_UNSUPP;
    }
    chain.write(statusAt, Uint8Array.of(status));
    return written + 1;
  }

  /** A transfer of `len` bytes at `sector`: whole sectors, within the disk. */
  private inRange(sector: number, len: number): boolean {
    return len % SECTOR_SIZE === 0 && sector + len / SECTOR_SIZE <= this.capacity;
  }

  /** A host I/O call: an exception from the host (EIO, ENOSPC) is the guest's IOERR, as QEMU's rerror/werror=report. */
  private io(op: () => void): number {
    try {
      op();
      return VIRTIO_BLK_S_OK;
    } catch {
      return VIRTIO_BLK_S_IOERR;
    }
  }
}

/**
 * A virtio-blk disk on the PCI bus: what `-drive file=IMG,if=virtio,format=raw`
 * (with `readonly=on` for a read-only `FileBlockBackend`) makes.
 */
export function addVirtioBlk(pci: PciBus, mem: PhysicalMemory, options: VirtioBlkOptions & { slot?: number }): { device: VirtioBlk; pci: VirtioPciFunction } {
  const device = new VirtioBlk(mem, options);
  return { device, pci: addVirtioPci(pci, device, options.slot) };
}
