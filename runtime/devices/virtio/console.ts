/**
 * virtio-console (virtio 1.2, 5.3 "Console Device") with one port and no
 * MULTIPORT: queue 0 is port 0's receiveq (host to guest), queue 1 its
 * transmitq. Linux binds it as /dev/hvc0 (boot with console=hvc0 to use it
 * as the console).
 *
 * Output: each transmit buffer goes to the sink as it is taken (the
 * driver's hvc path busy-waits for it to be used, which happens before its
 * notify returns). Input: `receive()` queues bytes and places them in the
 * driver's receive buffers as soon as there are any and the driver is
 * ready; what does not fit waits for more buffers (on the driver's notify
 * or the next `poll()`).
 *
 * Offered: SIZE (cols and rows; `setSize()` raises a configuration
 * interrupt) and the common ring features. Configuration: cols u16 @0,
 * rows u16 @2, max_nr_ports u32 @4 (1), emerg_wr u32 @8 (EMERG_WRITE is
 * not offered, so writes to it are ignored).
 */
import type { PhysicalMemory } from '../../memory.js';
import type { PciBus } from '../pci.js';
import { COMMON_FEATURES, VirtioDevice, VirtioDeviceId, type VirtioDeviceOptions } from './device.js';
import { addVirtioPci, type VirtioPciFunction } from './pci-transport.js';

export const VIRTIO_CONSOLE_F_SIZE = 1 << 0;
export const CONSOLE_RX_QUEUE = 0;
export const CONSOLE_TX_QUEUE = 1;
export const DEFAULT_CONSOLE_QUEUE_SIZE = 128;
const CONFIG_SIZE = 12;
/** Input bytes held for the guest at most; beyond that input is dropped, as a full FIFO drops it. */
const INPUT_LIMIT = 1 << 20;

/** Where the guest's output goes; the array is only valid during the call. */
export type ConsoleSink = (bytes: Uint8Array) => void;

export interface VirtioConsoleOptions extends VirtioDeviceOptions {
  sink?: ConsoleSink;
  /** The terminal's size (default 80 x 25). */
  cols?: number;
  rows?: number;
  queueSize?: number;
}

export class VirtioConsole extends VirtioDevice {
  private readonly sink: ConsoleSink;
  private input: Uint8Array[] = [];
  private inputBytes = 0;
  /** Input bytes dropped because too much was waiting. */
  dropped = 0;

  constructor(mem: PhysicalMemory, options: VirtioConsoleOptions = {}) {
    const size = options.queueSize ?? DEFAULT_CONSOLE_QUEUE_SIZE;
    super(mem, VirtioDeviceId.Console, COMMON_FEATURES | VIRTIO_CONSOLE_F_SIZE, [size, size], CONFIG_SIZE, options);
    this.sink = options.sink ?? (() => {});
    this.set16(0, options.cols ?? 80);
    this.set16(2, options.rows ?? 25);
    this.set32(4, 1);
  }

  get name(): string {
    return 'virtio-console';
  }

  /** The terminal was resized. */
  setSize(cols: number, rows: number): void {
    this.set16(0, cols);
    this.set16(2, rows);
    this.configChanged();
  }

  /** Bytes typed for the guest. Delivered now if the driver has buffers, else kept for later. */
  receive(bytes: Uint8Array | Iterable<number>): void {
    const chunk = bytes instanceof Uint8Array ? bytes.slice() : Uint8Array.from(bytes);
    const room = INPUT_LIMIT - this.inputBytes;
    if (chunk.length > room) this.dropped += chunk.length - room;
    if (room > 0 && chunk.length) {
      const kept = chunk.subarray(0, room);
      this.input.push(kept);
      this.inputBytes += kept.length;
    }
    this.poll();
  }

  /** Input bytes waiting for receive buffers. */
  get pendingInput(): number {
    return this.inputBytes;
  }

  protected queueNotified(q: number): void {
    if (q === CONSOLE_TX_QUEUE) this.transmit();
    else this.deliver();
  }

  protected override hostWork(): void {
    this.deliver();
  }

  private transmit(): void {
    const queue = this.queues[CONSOLE_TX_QUEUE]!;
    let served = 0;
    for (let chain = queue.pop(); chain; chain = queue.pop()) {
      if (chain.readableLength) this.sink(chain.readAll());
      queue.push(chain, 0);
      served++;
    }
    if (served) this.usedBuffersAdded(CONSOLE_TX_QUEUE);
  }

  private deliver(): void {
    if (!this.inputBytes || !this.driverReady() || !this.canRun(CONSOLE_RX_QUEUE)) return;
    const queue = this.queues[CONSOLE_RX_QUEUE]!;
    let served = 0;
    while (this.inputBytes) {
      const chain = queue.pop();
      if (!chain) break;
      let written = 0;
      while (this.input.length && written < chain.writableLength) {
        const head = this.input[0]!;
        const n = chain.write(written, head);
        written += n;
        this.inputBytes -= n;
        if (n === head.length) this.input.shift();
        else this.input[0] = head.subarray(n);
      }
      queue.push(chain, written);
      served++;
    }
    if (served) this.usedBuffersAdded(CONSOLE_RX_QUEUE);
  }
}

/** A virtio console on the PCI bus (QEMU's `-device virtio-serial-pci` with a console on port 0, minus MULTIPORT). */
export function addVirtioConsole(pci: PciBus, mem: PhysicalMemory, options: VirtioConsoleOptions & { slot?: number } = {}): { device: VirtioConsole; pci: VirtioPciFunction } {
  const device = new VirtioConsole(mem, options);
  return { device, pci: addVirtioPci(pci, device, options.slot) };
}
