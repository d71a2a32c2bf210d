/**
 * Port 0x80, the POST diagnostic port. Firmware writes progress codes to it
 * and Linux writes it as an I/O delay (outb_p), so writes must be cheap:
 * the last code is kept (and optionally reported); nothing on the board
 * drives a read, which floats to 0xFF as on the PIIX's ISA bus.
 */
import type { PortDevice } from '../io-bus.js';

export const PORT80 = 0x80;

export class Port80 implements PortDevice {
  /** The last byte written. */
  last = 0;
  /** Writes since creation. */
  writes = 0;

  constructor(private readonly onPost?: (code: number) => void) {}

  read(_port: number, size: 1 | 2 | 4): number {
    return size === 4 ? -1 : (1 << (size * 8)) - 1;
  }

  write(_port: number, _size: 1 | 2 | 4, value: number): void {
    this.last = value & 0xff;
    this.writes++;
    this.onPost?.(this.last);
  }
}
