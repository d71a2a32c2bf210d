/**
 * Memory-mapped I/O dispatch for guest physical addresses that are not RAM
 * (the local APIC at 0xFEE00000, the I/O APIC at 0xFEC00000, later PCI BARs).
 * Devices claim [base, base + size); an access is handed to the device with
 * its offset from the base and its full width, once, as the bus delivers it.
 * Unclaimed addresses read as all-ones and ignore writes (open bus), which is
 * what PhysicalMemory answers for them today.
 *
 * Who calls it: the physical-memory slow path. The MMU already marks frames
 * beyond RAM TLB_NOT_RAM, so translated code takes the slow path for them
 * and every such access reaches PhysicalMemory.read8/16/32 / write8/16/32
 * with an address >= its size; those methods forward to `read`/`write` here.
 */

export type MmioSize = 1 | 2 | 4;

export interface MmioDevice {
  read(offset: number, size: MmioSize): number;
  write(offset: number, size: MmioSize, value: number): void;
}

interface Region {
  base: number;
  size: number;
  dev: MmioDevice;
}

export class MmioBus {
  private readonly regions: Region[] = [];
  private last: Region | null = null;
  /** Called after every access that returns (the machine hands it to the vCPU: Vcpu.deviceAccessed). */
  accessed: () => void = () => {};

  /** Claim [base, base + size). Overlapping claims are an error, as two devices decoding one address would be. */
  register(base: number, size: number, dev: MmioDevice): void {
    base >>>= 0;
    if (!(size > 0) || base + size > 2 ** 32) throw new RangeError(`MMIO region ${base.toString(16)}+${size.toString(16)} is not in the 4 GiB physical space`);
    for (const r of this.regions) {
      if (base < r.base + r.size && r.base < base + size) {
        throw new Error(`MMIO region ${base.toString(16)}+${size.toString(16)} overlaps ${r.base.toString(16)}+${r.size.toString(16)}`);
      }
    }
    this.regions.push({ base, size, dev });
  }

  /** Release every region `dev` holds (a device that moves, like the local APIC on an IA32_APIC_BASE write). */
  unregister(dev: MmioDevice): void {
    for (let i = this.regions.length - 1; i >= 0; i--) if (this.regions[i]!.dev === dev) this.regions.splice(i, 1);
    this.last = null;
  }

  /** Whether a device claims physical address `pa` (a number: PAE addresses go beyond 32 bits). */
  claims(pa: number): boolean {
    return this.find(pa) !== null;
  }

  read(pa: number, size: MmioSize): number {
    const r = this.find(pa);
    const v = r ? r.dev.read(pa - r.base, size) : size === 4 ? -1 : (1 << (size * 8)) - 1;
    this.accessed();
    return v;
  }

  write(pa: number, size: MmioSize, value: number): void {
    const r = this.find(pa);
    if (r) r.dev.write(pa - r.base, size, value);
    this.accessed();
  }

  private find(pa: number): Region | null {
    const l = this.last;
    if (l && pa >= l.base && pa - l.base < l.size) return l;
    for (const r of this.regions) {
      if (pa >= r.base && pa - r.base < r.size) {
        this.last = r;
        return r;
      }
    }
    return null;
  }
}
