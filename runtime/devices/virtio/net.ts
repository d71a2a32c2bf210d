/**
 * virtio-net (virtio 1.2, 5.1 "Network Device") with one receive queue (0)
 * and one transmit queue (1), no control queue and no offloads: every
 * buffer starts with the 10-byte legacy header {flags, gso_type, hdr_len,
 * gso_size, csum_start, csum_offset}, which the device ignores on transmit
 * (the driver cannot ask for checksum or segmentation offload, as neither
 * is offered) and writes as zeros on receive. Without MRG_RXBUF a frame
 * must fit in one receive chain; one that does not is dropped and the
 * chain kept for the next frame.
 *
 * Offered: MAC (the address in the configuration space, which a legacy
 * driver may also write), STATUS (link up unless `setLink(false)`; a change
 * raises a configuration interrupt), and the common ring features.
 *
 * Frames from the backend wait in its inbox and are delivered by `poll()`
 * (or when the driver adds receive buffers) once the driver is ready; with
 * the link down, frames are dropped both ways.
 *
 * Configuration: mac[6] @0, status u16 @6.
 */
import type { PhysicalMemory } from '../../memory.js';
import type { PciBus } from '../pci.js';
import { COMMON_FEATURES, VirtioDevice, VirtioDeviceId, type VirtioDeviceOptions } from './device.js';
import type { NetBackend } from './net-backend.js';
import { addVirtioPci, type VirtioPciFunction } from './pci-transport.js';
import { VirtioError } from './virtqueue.js';

export const VIRTIO_NET_F_MAC = 1 << 5;
export const VIRTIO_NET_F_STATUS = 1 << 16;
export const VIRTIO_NET_S_LINK_UP = 1;
/** struct virtio_net_hdr without num_buffers (no MRG_RXBUF). */
export const VIRTIO_NET_HDR_SIZE = 10;
export const NET_RX_QUEUE = 0;
export const NET_TX_QUEUE = 1;
export const DEFAULT_NET_QUEUE_SIZE = 256;
const CONFIG_SIZE = 8;

let nextDefaultMac = 0x56;

/** 52:54:00:12:34:56, then :57, ... for each NIC made without a MAC (QEMU's scheme); two guests that talk need different ones. */
export function defaultMac(): Uint8Array {
  return Uint8Array.of(0x52, 0x54, 0x00, 0x12, 0x34, nextDefaultMac++ & 0xff);
}

/** "52:54:00:12:34:56" to bytes. */
export function parseMac(text: string): Uint8Array {
  const parts = text.split(':');
  if (parts.length !== 6 || parts.some((p) => !/^[0-9a-fA-F]{2}$/.test(p))) throw new Error(`'${text}' is not a MAC address (xx:xx:xx:xx:xx:xx)`);
  return Uint8Array.from(parts, (p) => parseInt(p, 16));
}

export interface VirtioNetOptions extends VirtioDeviceOptions {
  backend: NetBackend;
  /** The NIC's address (default: `defaultMac()`). */
  mac?: Uint8Array | string;
  /** Entries per queue (default 256). */
  queueSize?: number;
}

export class VirtioNet extends VirtioDevice {
  readonly backend: NetBackend;
  private readonly initialMac: Uint8Array;
  private linkUp = true;
  /** Frames dropped: received with the link down or too big for the guest's buffer, or sent with the link down. */
  dropped = 0;

  constructor(mem: PhysicalMemory, options: VirtioNetOptions) {
    const size = options.queueSize ?? DEFAULT_NET_QUEUE_SIZE;
    super(mem, VirtioDeviceId.Net, COMMON_FEATURES | VIRTIO_NET_F_MAC | VIRTIO_NET_F_STATUS, [size, size], CONFIG_SIZE, options);
    this.backend = options.backend;
    const mac = typeof options.mac === 'string' ? parseMac(options.mac) : (options.mac ?? defaultMac());
    if (mac.length !== 6) throw new RangeError('a MAC address has 6 bytes');
    this.initialMac = mac.slice();
    this.resetDevice();
  }

  get name(): string {
    return 'virtio-net';
  }

  /** The address in the configuration space now. */
  get mac(): Uint8Array {
    return this.config.slice(0, 6);
  }

  /** Plug or unplug the cable: STATUS changes and the driver gets a configuration interrupt. */
  setLink(up: boolean): void {
    if (up === this.linkUp) return;
    this.linkUp = up;
    this.set16(6, up ? VIRTIO_NET_S_LINK_UP : 0);
    this.configChanged();
  }

  protected override resetDevice(): void {
    this.config.set(this.initialMac, 0);
    this.set16(6, this.linkUp ? VIRTIO_NET_S_LINK_UP : 0);
  }

  protected override configWritable(offset: number): boolean {
    return offset < 6; // legacy drivers set the MAC through the configuration space
  }

  protected queueNotified(q: number): void {
    if (q === NET_TX_QUEUE) this.transmit();
    else this.deliver();
  }

  protected override hostWork(): void {
    this.deliver();
  }

  private transmit(): void {
    const queue = this.queues[NET_TX_QUEUE]!;
    let served = 0;
    for (let chain = queue.pop(); chain; chain = queue.pop()) {
      if (chain.readableLength < VIRTIO_NET_HDR_SIZE) throw new VirtioError(`transmit buffer of ${chain.readableLength} bytes has no header`);
      const frame = chain.read(VIRTIO_NET_HDR_SIZE, chain.readableLength - VIRTIO_NET_HDR_SIZE);
      if (this.linkUp) this.backend.send(frame);
      else this.dropped++;
      queue.push(chain, 0);
      served++;
    }
    if (served) this.usedBuffersAdded(NET_TX_QUEUE);
  }

  /** Move waiting frames into receive buffers while there are both. */
  private deliver(): void {
    const inbox = this.backend.inbox;
    if (!this.linkUp) {
      this.dropped += inbox.length;
      inbox.clear();
      return;
    }
    if (!this.driverReady() || !this.canRun(NET_RX_QUEUE)) return;
    const queue = this.queues[NET_RX_QUEUE]!;
    let served = 0;
    for (let frame = inbox.peek(); frame; frame = inbox.peek()) {
      const chain = queue.pop();
      if (!chain) break;
      inbox.shift();
      const total = VIRTIO_NET_HDR_SIZE + frame.length;
      if (chain.writableLength < total) {
        queue.unpop();
        this.dropped++;
        continue;
      }
      chain.write(0, new Uint8Array(VIRTIO_NET_HDR_SIZE)); // no checksum or GSO information
      chain.write(VIRTIO_NET_HDR_SIZE, frame);
      queue.push(chain, total);
      served++;
    }
    if (served) this.usedBuffersAdded(NET_RX_QUEUE);
  }
}

/**
 * A virtio-net NIC on the PCI bus: what `-netdev socket,id=n0,listen=:1234
 * -device virtio-net-pci,netdev=n0[,mac=...]` makes, with
 * `socketNetBackend({ listen: ':1234' })` as the backend.
 */
export function addVirtioNet(pci: PciBus, mem: PhysicalMemory, options: VirtioNetOptions & { slot?: number }): { device: VirtioNet; pci: VirtioPciFunction } {
  const device = new VirtioNet(mem, options);
  return { device, pci: addVirtioPci(pci, device, options.slot) };
}
