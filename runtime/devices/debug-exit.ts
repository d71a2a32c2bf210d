/**
 * QEMU's isa-debug-exit device: a write of v to its port asks the host to
 * end the run with exit status (v << 1) | 1. The device itself only reports
 * the request; stopping the vCPU is the machine's business (it is an exit
 * the VMM cannot answer, so it goes back to user space, as KVM_EXIT_IO does).
 */
import type { PortDevice } from '../io-bus.js';

/** QEMU's defaults for `-device isa-debug-exit`. */
export const DEBUG_EXIT_IOBASE = 0xf4;
export const DEBUG_EXIT_IOSIZE = 4;

/** QEMU's convention: the status a write of `value` produces. */
export function debugExitStatus(value: number): number {
  return ((value << 1) | 1) >>> 0;
}

export class DebugExit implements PortDevice {
  constructor(private readonly onExit: (status: number, value: number) => void) {}

  read(port: number, size: 1 | 2 | 4): number {
    void port;
    return size === 4 ? -1 : (1 << (size * 8)) - 1; // nothing to read: open bus, as the IoBus answers
  }

  write(port: number, size: 1 | 2 | 4, value: number): void {
    void port;
    const v = size === 4 ? value >>> 0 : value & ((1 << (size * 8)) - 1);
    this.onExit(debugExitStatus(v), v);
  }
}
