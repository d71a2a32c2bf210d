/**
 * Virtio over PCI through the legacy interface only (virtio 1.2, 4.1.4.8
 * "Legacy Interfaces: A Note on PCI Device Layout"; virtio 0.9.5 appendix
 * "PCI Discovery"): a transitional device ID (0x1000 + ...), revision 0,
 * the virtio device ID as PCI subsystem ID, and BAR 0 an I/O BAR holding
 *
 *   0x00 device features (32 bits, R)    0x0C queue size (16, R)
 *   0x04 driver features (32, R/W)       0x0E queue select (16, R/W)
 *   0x08 queue address, a PFN (32, R/W)  0x10 queue notify (16, W)
 *   0x12 device status (8, R/W)          0x13 ISR status (8, R, read clears)
 *   0x14 device configuration (no MSI-X, so it starts here)
 *
 * INTx# (INTA#) is asserted while ISR status is non-zero. There is no
 * capability list, so Linux's virtio_pci finds no modern interface and
 * binds the legacy driver ("leaving for legacy driver").
 *
 * Access sizes: each byte of an access reads or writes the register byte
 * it lands on, so any width at any offset works; a write that covers part
 * of a register merges with its current value (queue notify: with 0) and
 * then acts. Queue notify, write-only in practice, reads as all-ones; a
 * read that covers ISR status clears it.
 */
import type { PciBus } from '../pci.js';
import { PciFunction } from '../pci.js';
import { VirtioDeviceId, type VirtioDevice } from './device.js';

export const VIRTIO_PCI_VENDOR = 0x1af4;

const enum LegacyReg {
  HostFeatures = 0x00,
  GuestFeatures = 0x04,
  QueuePfn = 0x08,
  QueueSize = 0x0c,
  QueueSelect = 0x0e,
  QueueNotify = 0x10,
  Status = 0x12,
  Isr = 0x13,
  Config = 0x14,
}

/** The registers before the device configuration: [offset, width]. */
const REGISTERS: readonly (readonly [LegacyReg, number])[] = [
  [LegacyReg.HostFeatures, 4],
  [LegacyReg.GuestFeatures, 4],
  [LegacyReg.QueuePfn, 4],
  [LegacyReg.QueueSize, 2],
  [LegacyReg.QueueSelect, 2],
  [LegacyReg.QueueNotify, 2],
  [LegacyReg.Status, 1],
  [LegacyReg.Isr, 1],
];

/** PCI identity by virtio device ID: transitional device ID (4.1.2.3) and the class code QEMU gives. */
const PCI_IDS: Readonly<Record<number, { deviceId: number; classCode: number }>> = {
  [VirtioDeviceId.Net]: { deviceId: 0x1000, classCode: 0x020000 }, // Ethernet controller
  [VirtioDeviceId.Block]: { deviceId: 0x1001, classCode: 0x010000 }, // SCSI storage controller
  [VirtioDeviceId.Console]: { deviceId: 0x1003, classCode: 0x078000 }, // other communication controller
};

export class VirtioPciFunction extends PciFunction {
  private queueSelect = 0;

  constructor(readonly device: VirtioDevice) {
    const ids = PCI_IDS[device.deviceId];
    if (!ids) throw new RangeError(`no transitional PCI device ID for virtio device ${device.deviceId}`);
    super({
      vendorId: VIRTIO_PCI_VENDOR,
      deviceId: ids.deviceId,
      classCode: ids.classCode,
      revisionId: 0, // VIRTIO_PCI_ABI_VERSION: the legacy driver takes only revision 0
      subsystemVendorId: VIRTIO_PCI_VENDOR,
      subsystemId: device.deviceId,
      interruptPin: 1,
    });
    const span = LegacyReg.Config + device.configSize;
    this.declareIoBar(0, Math.max(32, 2 ** Math.ceil(Math.log2(span))), {
      read: (offset, size) => this.readRegisters(offset, size),
      write: (offset, size, value) => this.writeRegisters(offset, size, value),
    });
    device.attach({ interrupt: (level) => this.setIntx(level), dmaAllowed: () => this.busMaster });
  }

  protected override busMasterEnabled(): void {
    this.device.resume();
  }

  /** PCI reset: the virtio device resets too. */
  protected override resetDevice(): void {
    this.queueSelect = 0;
    this.device.reset();
  }

  private readRegisters(offset: number, size: 1 | 2 | 4): number {
    let v = 0;
    for (let i = 0; i < size; i++) v |= this.readByte(offset + i) << (8 * i);
    return size === 4 ? v | 0 : v;
  }

  private readByte(at: number): number {
    if (at >= LegacyReg.Config) return this.device.readConfig(at - LegacyReg.Config);
    if (at === LegacyReg.Isr) return this.device.readIsr();
    const [reg] = REGISTERS.find(([r, w]) => at >= r && at < r + w)!;
    return (this.registerValue(reg) >>> (8 * (at - reg))) & 0xff;
  }

  private registerValue(reg: LegacyReg): number {
    const q = this.device.queues[this.queueSelect];
    switch (reg) {
      case LegacyReg.HostFeatures:
        return this.device.hostFeatures;
      case LegacyReg.GuestFeatures:
        return this.device.guestFeatures;
      case LegacyReg.QueuePfn:
        return q?.pfn ?? 0;
      case LegacyReg.QueueSize:
        return q?.size ?? 0; // 0: no such queue
      case LegacyReg.QueueSelect:
        return this.queueSelect;
      case LegacyReg.QueueNotify:
        return 0xffff;
      case LegacyReg.Status:
        return this.device.status;
      default:
        return 0;
    }
  }

  private writeRegisters(offset: number, size: 1 | 2 | 4, value: number): void {
    const end = offset + size;
    for (const [reg, width] of REGISTERS) {
      if (end <= reg || offset >= reg + width) continue;
      // Merge the bytes written with the register's others, then act once.
      let v = reg === LegacyReg.QueueNotify ? 0 : this.registerValue(reg);
      for (let at = Math.max(offset, reg); at < Math.min(end, reg + width); at++) {
        const shift = 8 * (at - reg);
        v = (v & ~(0xff << shift)) | (((value >>> (8 * (at - offset))) & 0xff) << shift);
      }
      this.writeRegister(reg, v >>> 0);
    }
    for (let at = Math.max(offset, LegacyReg.Config); at < end; at++) {
      this.device.writeConfig(at - LegacyReg.Config, (value >>> (8 * (at - offset))) & 0xff);
    }
  }

  private writeRegister(reg: LegacyReg, v: number): void {
    switch (reg) {
      case LegacyReg.GuestFeatures:
        this.device.setGuestFeatures(v);
        return;
      case LegacyReg.QueuePfn:
        this.device.setQueuePfn(this.queueSelect, v);
        return;
      case LegacyReg.QueueSelect:
        this.queueSelect = v & 0xffff;
        return;
      case LegacyReg.QueueNotify:
        this.device.notify(v & 0xffff);
        return;
      case LegacyReg.Status:
        this.device.setStatus(v);
        return;
      default:
        return; // device features, queue size and ISR are read-only
    }
  }
}

/** Put `device` on `pci` (at `slot`, or the first free one) behind the legacy virtio PCI interface. */
export function addVirtioPci(pci: PciBus, device: VirtioDevice, slot?: number): VirtioPciFunction {
  const fn = new VirtioPciFunction(device);
  pci.add(fn, slot);
  return fn;
}
