/**
 * Port I/O dispatch. Devices claim port ranges; unclaimed ports read as
 * all-ones and ignore writes, as on a PC bus.
 */
export interface PortDevice {
  read(port: number, size: 1 | 2 | 4): number;
  write(port: number, size: 1 | 2 | 4, value: number): void;
}

export class IoBus {
  private readonly ports = new Map<number, PortDevice>();
  /** Called after every access that returns (the machine hands it to the vCPU: Vcpu.deviceAccessed). */
  accessed: () => void = () => {};

  register(first: number, count: number, dev: PortDevice): void {
    for (let p = first; p < first + count; p++) {
      if (this.ports.has(p)) throw new Error(`I/O port ${p.toString(16)} is claimed twice`);
      this.ports.set(p, dev);
    }
  }

  /**
   * Is `port` answered by a device of this bus, i.e. of the VMM core? The
   * inline strategy's IN/OUT do such accesses from translated code; a port
   * no device claims (open bus) goes through the trap path.
   */
  owns(port: number): boolean {
    return this.ports.has(port & 0xffff);
  }

  read(port: number, size: 1 | 2 | 4): number {
    const dev = this.ports.get(port & 0xffff);
    const v = dev ? dev.read(port & 0xffff, size) : size === 4 ? -1 : (1 << (size * 8)) - 1;
    this.accessed();
    return v;
  }

  write(port: number, size: 1 | 2 | 4, value: number): void {
    this.ports.get(port & 0xffff)?.write(port & 0xffff, size, value);
    this.accessed();
  }
}
