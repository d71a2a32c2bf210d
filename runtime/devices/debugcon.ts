/**
 * QEMU's debug console (`-debugcon`, the Bochs "port E9h hack"): a byte
 * written to its port goes to the host as it is; reading the port returns
 * E9h, which is how a guest detects it. Only byte accesses are decoded, as
 * in QEMU (its region accepts 1-byte accesses only): a 16- or 32-bit OUT
 * is dropped and a 16- or 32-bit IN reads 0.
 */
import type { PortDevice } from '../io-bus.js';

/** QEMU's default port for `-debugcon`. */
export const DEBUGCON_PORT = 0xe9;
/** What a byte read of the port returns (QEMU's `readback` property). */
export const DEBUGCON_READBACK = 0xe9;

export class DebugCon implements PortDevice {
  constructor(
    /** Receives each byte the guest writes. */
    private readonly sink: (byte: number) => void,
    private readonly readback = DEBUGCON_READBACK,
  ) {}

  read(port: number, size: 1 | 2 | 4): number {
    void port;
    return size === 1 ? this.readback : 0;
  }

  write(port: number, size: 1 | 2 | 4, value: number): void {
    void port;
    if (size === 1) this.sink(value & 0xff);
  }
}

/** A sink that collects the bytes in memory, for tests and the runner. */
export class DebugConBuffer {
  private chunks: number[] = [];

  readonly sink = (byte: number): void => {
    this.chunks.push(byte);
  };

  /** Everything written so far, decoded as Latin-1 (bytes map to code points one to one). */
  text(): string {
    let s = '';
    for (let i = 0; i < this.chunks.length; i += 8192) s += String.fromCharCode(...this.chunks.slice(i, i + 8192));
    return s;
  }

  get length(): number {
    return this.chunks.length;
  }
}
