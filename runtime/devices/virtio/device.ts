/**
 * What every virtio device has, independent of the transport (virtio 1.2,
 * 2 "Basic Facilities of a Virtio Device", as the legacy interface
 * presents them): the device status field, 32 feature bits each way, the
 * ISR status (bit 0: a used buffer notification, bit 1: a configuration
 * change; reading it clears it and drops the interrupt), the device
 * configuration space, and its virtqueues.
 *
 * A device does its work when the driver notifies a queue, or when the
 * machine calls `poll()` (for work that arrives from the host: network
 * frames, console input). Either way it runs on the machine's thread
 * between guest instructions, so the device may write guest memory and
 * raise its interrupt at once.
 *
 * Following the legacy interface (3.1.2: legacy drivers often used the
 * device before DRIVER_OK), queues the driver notifies are served as soon
 * as they are set up; only work the device starts itself (received
 * frames, console input) waits for DRIVER_OK, as QEMU's
 * virtio_net_can_receive does. Nothing is done while the transport forbids
 * DMA (PCI bus mastering off) or after the device stopped on a protocol
 * error; work that waited is picked up when DRIVER_OK or bus mastering is
 * turned on.
 */
import type { PhysicalMemory } from '../../memory.js';
import { Virtqueue, VirtioError } from './virtqueue.js';

export const enum VirtioStatus {
  Acknowledge = 1,
  Driver = 2,
  DriverOk = 4,
  FeaturesOk = 8,
  NeedsReset = 64,
  Failed = 128,
}

/** Feature bits every device here offers. */
export const VIRTIO_F_ANY_LAYOUT = 1 << 27;
export const VIRTIO_RING_F_INDIRECT_DESC = 1 << 28;
export const VIRTIO_RING_F_EVENT_IDX = 1 << 29;
/** What all our devices offer: they never assume how a request is split into buffers, and read indirect tables and event indices. */
export const COMMON_FEATURES = VIRTIO_F_ANY_LAYOUT | VIRTIO_RING_F_INDIRECT_DESC | VIRTIO_RING_F_EVENT_IDX;

export const VIRTIO_ISR_QUEUE = 0x1;
export const VIRTIO_ISR_CONFIG = 0x2;

/** Virtio device IDs (5 "Device Types"). */
export const enum VirtioDeviceId {
  Net = 1,
  Block = 2,
  Console = 3,
}

/** How a device reaches the driver: the transport's interrupt and whether it may use guest memory now. */
export interface VirtioTransport {
  /** The interrupt line (PCI INTx#) follows ISR != 0. */
  interrupt(level: boolean): void;
  /** Whether DMA is allowed (PCI: Bus Master Enable). */
  dmaAllowed(): boolean;
}

export interface VirtioDeviceOptions {
  /** Told when the driver breaks the protocol and the device stops (QEMU prints these). */
  onError?: (message: string) => void;
}

export abstract class VirtioDevice {
  readonly queues: readonly Virtqueue[];
  /** Device-specific configuration space (the device fills and may update it). */
  protected readonly config: Uint8Array;
  /** Features the driver accepted (a subset of `hostFeatures`). */
  guestFeatures = 0;
  private statusValue = 0;
  private isrValue = 0;
  /** The device stopped after a protocol error; a reset revives it. */
  private brokenMessage: string | null = null;
  private transport: VirtioTransport | null = null;
  private readonly onError: ((message: string) => void) | null;

  constructor(
    protected readonly mem: PhysicalMemory,
    /** Virtio device ID (1 net, 2 block, 3 console). */
    readonly deviceId: number,
    /** Feature bits 0-31 the device offers. */
    readonly hostFeatures: number,
    queueSizes: readonly number[],
    configSize: number,
    options: VirtioDeviceOptions = {},
  ) {
    this.queues = queueSizes.map((size, i) => new Virtqueue(mem, i, size));
    this.config = new Uint8Array(configSize);
    this.onError = options.onError ?? null;
  }

  /** A short name for messages ("virtio-blk"). */
  abstract get name(): string;

  /** Connect the transport (done once, by the transport). */
  attach(transport: VirtioTransport): void {
    this.transport = transport;
  }

  get status(): number {
    return this.statusValue;
  }

  /** Why the device stopped, or null while it works. */
  get broken(): string | null {
    return this.brokenMessage;
  }

  get configSize(): number {
    return this.config.length;
  }

  // --- the driver's side (transport registers) ---

  /** The driver writes its features: only offered bits are kept (bits the device never offered cannot be accepted). */
  setGuestFeatures(value: number): void {
    this.guestFeatures = (value & this.hostFeatures) >>> 0;
    const features = {
      indirect: (this.guestFeatures & VIRTIO_RING_F_INDIRECT_DESC) !== 0,
      eventIdx: (this.guestFeatures & VIRTIO_RING_F_EVENT_IDX) !== 0,
    };
    for (const q of this.queues) q.features = features;
  }

  /** The device status register: 0 resets the device (2.1.1 / 4.1.4.8's legacy reset). */
  setStatus(value: number): void {
    value &= 0xff;
    if (value === 0) {
      this.reset();
      return;
    }
    const wasReady = (this.statusValue & VirtioStatus.DriverOk) !== 0;
    this.statusValue = value;
    if (!wasReady && value & VirtioStatus.DriverOk) this.resume();
  }

  /** Reading ISR status returns it and clears it, dropping the interrupt. */
  readIsr(): number {
    const v = this.isrValue;
    if (v) {
      this.isrValue = 0;
      this.transport?.interrupt(false);
    }
    return v;
  }

  /** The legacy Queue Address register of queue `q`. */
  setQueuePfn(q: number, pfn: number): void {
    const queue = this.queues[q];
    if (!queue) return;
    queue.setPfn(pfn);
    this.queueAddressChanged(q);
  }

  /** The driver notified queue `q` (Queue Notify). */
  notify(q: number): void {
    if (!this.queues[q]) return;
    this.guard(() => {
      if (this.canRun(q)) this.queueNotified(q);
    });
  }

  readConfig(offset: number): number {
    return offset < this.config.length ? this.config[offset]! : 0xff;
  }

  /** The driver writes a configuration byte; only the fields the device lets it write change. */
  writeConfig(offset: number, value: number): void {
    if (offset < this.config.length && this.configWritable(offset)) {
      this.config[offset] = value & 0xff;
      this.configWritten(offset);
    }
  }

  // --- the host's side ---

  /** Do work that arrived from the host (the machine calls this between time slices). */
  poll(): void {
    this.guard(() => this.hostWork());
  }

  /** DRIVER_OK or DMA came on: serve every queue the driver may have notified meanwhile, then host work. */
  resume(): void {
    this.guard(() => {
      for (let q = 0; q < this.queues.length; q++) if (this.canRun(q)) this.queueNotified(q);
      this.hostWork();
    });
  }

  // --- for device implementations ---

  /** The driver notified queue `q`, which is set up and may be used. */
  protected abstract queueNotified(q: number): void;

  /** Work from the host (received data); by default none. Called only through poll()/resume(). */
  protected hostWork(): void {}

  /** Whether the driver may write configuration byte `offset` (default: no field is writable). */
  protected configWritable(offset: number): boolean {
    void offset;
    return false;
  }

  /** A configuration byte was written. */
  protected configWritten(offset: number): void {
    void offset;
  }

  /** Queue `q`'s address was written (0 = the driver stopped using it). */
  protected queueAddressChanged(q: number): void {
    void q;
  }

  /** The device's own state back to its reset values. */
  protected resetDevice(): void {}

  /** Whether queue `q` can be used now: set up, DMA allowed, device working. */
  protected canRun(q: number): boolean {
    return this.brokenMessage === null && this.queues[q]!.ready && (this.transport?.dmaAllowed() ?? false);
  }

  /** Whether the device may start work on its own (received data): the driver is ready too. */
  protected driverReady(): boolean {
    return (this.statusValue & VirtioStatus.DriverOk) !== 0;
  }

  /** After pushing used buffers to queue `q`: interrupt if the driver asked for it. */
  protected usedBuffersAdded(q: number): void {
    if (this.queues[q]!.shouldInterrupt()) this.raiseIsr(VIRTIO_ISR_QUEUE);
  }

  /** The configuration changed (4.1.4.5: ISR bit 1). Only once the driver is there to see it. */
  protected configChanged(): void {
    if (this.statusValue & VirtioStatus.DriverOk) this.raiseIsr(VIRTIO_ISR_CONFIG);
  }

  private raiseIsr(bit: number): void {
    const was = this.isrValue;
    this.isrValue |= bit;
    if (!was) this.transport?.interrupt(true);
  }

  /** Run device work; a protocol error stops the device (QEMU's virtio_error), anything else is our bug and propagates. */
  private guard(work: () => void): void {
    if (this.brokenMessage !== null) return;
    try {
      work();
    } catch (e) {
      if (!(e instanceof VirtioError)) throw e;
      this.brokenMessage = e.message;
      this.statusValue |= VirtioStatus.NeedsReset;
      this.onError?.(`${this.name}: ${e.message}; the device stops until the driver resets it`);
    }
  }

  /** Device reset: status, features, ISR and queues to zero, then the device's own state. */
  reset(): void {
    this.statusValue = 0;
    this.setGuestFeatures(0);
    if (this.isrValue) {
      this.isrValue = 0;
      this.transport?.interrupt(false);
    }
    this.brokenMessage = null;
    for (const q of this.queues) q.reset();
    this.resetDevice();
  }

  protected get16(at: number): number {
    return this.config[at]! | (this.config[at + 1]! << 8);
  }

  protected set16(at: number, v: number): void {
    this.config[at] = v & 0xff;
    this.config[at + 1] = (v >>> 8) & 0xff;
  }

  protected set32(at: number, v: number): void {
    this.set16(at, v & 0xffff);
    this.set16(at + 2, v >>> 16);
  }

  protected set64(at: number, v: number): void {
    this.set32(at, v % 2 ** 32);
    this.set32(at + 4, Math.floor(v / 2 ** 32));
  }
}
