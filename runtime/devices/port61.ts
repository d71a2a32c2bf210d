/**
 * Port 0x61, the AT's system control port B / NMI status and control
 * register (as in the PIIX datasheet, "NMI Status and Control Register"):
 *   bit 0  timer counter 2 GATE (read/write)
 *   bit 1  speaker data enable (read/write; there is no speaker)
 *   bit 2  parity check (PCI SERR#) NMI disable (read/write)
 *   bit 3  IOCHK NMI disable (read/write)
 *   bit 4  refresh cycle toggle (read-only): flips every 15.085 µs
 *   bit 5  timer counter 2 OUT (read-only)
 *   bit 6  IOCHK NMI source status (read-only; nothing raises it here)
 *   bit 7  SERR#/parity NMI source status (read-only; nothing raises it here)
 * Linux's TSC calibration gates counter 2 with bit 0 and polls bit 5.
 *
 * The refresh toggle runs off the PIT's clock (18 CLKs per half period, what
 * firmware programs counter 1 with), not off counter 1 itself, as the PIIX
 * generates it internally.
 */
import { type Pit8254, pitTicksAt } from './pit8254.js';
import type { VirtualClock } from './clock.js';
import type { PortDevice } from '../io-bus.js';
import { type ByteDevice, byteDevicePorts } from './port-bytes.js';

export const PORT61 = 0x61;
/** PIT clocks per half period of the refresh toggle (15.085 µs). */
const REFRESH_TICKS = 18;

export class Port61 implements ByteDevice {
  private bits = 0;
  readonly ports: PortDevice = byteDevicePorts(this);

  constructor(private readonly pit: Pit8254, private readonly clock: VirtualClock) {}

  reset(): void {
    this.bits = 0;
    this.pit.setGate(2, false);
  }

  owns(port: number): boolean {
    return port === PORT61;
  }

  readByte(): number {
    const refresh = Math.floor(pitTicksAt(this.clock.now()) / REFRESH_TICKS) & 1;
    return this.bits | (refresh << 4) | (this.pit.out(2) ? 0x20 : 0);
  }

  writeByte(_port: number, v: number): void {
    this.bits = v & 0x0f;
    this.pit.setGate(2, (v & 1) !== 0);
  }
}
