/**
 * Port 0x92, the PS/2 "system control port A" (fast A20 and fast reset, as
 * in the PIIX datasheet's Port 92 register):
 *   bit 0  fast init: a 0-to-1 transition resets the CPU (reads back as written)
 *   bit 1  A20 enable (ORed with the keyboard controller's A20 gate)
 *   bit 3  power-on password lock (stored only)
 *   bits 6-7  disk activity lights (stored only)
 * Reset and A20 are reported to the machine through callbacks.
 */
import type { PortDevice } from '../io-bus.js';
import { type ByteDevice, byteDevicePorts } from './port-bytes.js';

export const PORT92 = 0x92;

export interface Port92Options {
  onReset?: () => void;
  onA20?: (enabled: boolean) => void;
}

export class Port92 implements ByteDevice {
  private value = 0;
  readonly ports: PortDevice = byteDevicePorts(this);

  constructor(private readonly options: Port92Options = {}) {}

  get a20(): boolean {
    return (this.value & 0x02) !== 0;
  }

  reset(): void {
    const hadA20 = this.a20;
    this.value = 0;
    if (hadA20) this.options.onA20?.(false);
  }

  owns(port: number): boolean {
    return port === PORT92;
  }

  readByte(): number {
    return this.value;
  }

  writeByte(_port: number, v: number): void {
    const old = this.value;
    this.value = v & 0xcb;
    if ((old ^ v) & 0x02) this.options.onA20?.((v & 0x02) !== 0);
    if (!(old & 0x01) && v & 0x01) this.options.onReset?.();
  }
}
