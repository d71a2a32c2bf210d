/**
 * The Motorola MC146818A real-time clock and its CMOS RAM, at ports 0x70
 * (index; bit 7 is the PC's NMI mask) and 0x71 (data), with IRQ 8.
 *
 * From the datasheet, with the 32.768 kHz time base of every PC:
 * - registers 0-9 (seconds, alarms, hours, day of week, date, month, year)
 *   counted in BCD or binary (register B DM) and 12-hour (bit 7 = PM) or
 *   24-hour mode (B 24/12), with month lengths and leap years (year % 4),
 *   the alarm's "don't care" codes (0xC0-0xFF), and daylight-saving
 *   (B DSE: last Sunday in April 1:59:59 -> 3:00:00, last Sunday in October
 *   1:59:59 -> 1:00:00 once, as the chip implements it);
 * - register A: UIP is 1 from 244 µs before an update cycle until it ends
 *   1984 µs later (the time registers change at its end), DV2-0 (010 runs
 *   the divider; 11x holds it in reset and the first update after release
 *   comes half a second later; other values stop it, as with no matching
 *   crystal), RS3-0 the periodic interrupt rate (122.070 µs to 500 ms);
 * - register B: SET (stops updates; setting it clears UIE), PIE/AIE/UIE;
 * - register C: IRQF, PF, AF, UF, set whether or not enabled, cleared by
 *   reading C; the IRQ line (IRQ 8) is IRQF;
 * - register D: VRT = 1 (the battery is good).
 * The registers change only at update-cycle ends, so the clock is caught up
 * lazily at each access; a timer runs only when an enabled interrupt can
 * fire. Bytes 14-127 are battery-backed RAM, initialised with the IBM PC/AT
 * layout and the memory-size fields firmware and boot loaders read.
 *
 * Departures: SQWE drives no pin; the 0x72/0x73 extended bank is absent.
 */
import { type ClockTimer, type VirtualClock, nsForTicks, ticksIn } from './clock.js';
import type { IrqOutput } from './irq.js';
import type { PortDevice } from '../io-bus.js';
import { type ByteDevice, byteDevicePorts } from './port-bytes.js';

export const RTC_BASE = 0x70;

export const enum RtcReg {
  Seconds = 0x00,
  SecondsAlarm = 0x01,
  Minutes = 0x02,
  MinutesAlarm = 0x03,
  Hours = 0x04,
  HoursAlarm = 0x05,
  DayOfWeek = 0x06,
  Date = 0x07,
  Month = 0x08,
  Year = 0x09,
  A = 0x0a,
  B = 0x0b,
  C = 0x0c,
  D = 0x0d,
}

/** CMOS RAM bytes outside the clock (IBM PC/AT, with the extensions Bochs and QEMU firmware read). */
export const enum CmosByte {
  ShutdownStatus = 0x0f,
  FloppyTypes = 0x10,
  HardDiskTypes = 0x12,
  Equipment = 0x14,
  BaseMemoryLow = 0x15,
  BaseMemoryHigh = 0x16,
  ExtendedMemoryLow = 0x17,
  ExtendedMemoryHigh = 0x18,
  ChecksumHigh = 0x2e,
  ChecksumLow = 0x2f,
  PostExtendedMemoryLow = 0x30,
  PostExtendedMemoryHigh = 0x31,
  Century = 0x32,
  /** Memory above 16 MiB in 64 KiB units (AMI, Bochs, QEMU). */
  HighMemoryLow = 0x34,
  HighMemoryHigh = 0x35,
  /** Number of CPUs minus one (QEMU's convention, read by its firmware). */
  CpuCountMinusOne = 0x5f,
}

export const RTC_A_UIP = 0x80;
export const RTC_B_SET = 0x80;
export const RTC_B_PIE = 0x40;
export const RTC_B_AIE = 0x20;
export const RTC_B_UIE = 0x10;
export const RTC_B_SQWE = 0x08;
export const RTC_B_DM_BINARY = 0x04;
export const RTC_B_24H = 0x02;
export const RTC_B_DSE = 0x01;
export const RTC_C_IRQF = 0x80;
export const RTC_C_PF = 0x40;
export const RTC_C_AF = 0x20;
export const RTC_C_UF = 0x10;
export const RTC_D_VRT = 0x80;

const SECOND_NS = 1_000_000_000;
/** UIP rises this long before an update cycle (datasheet tBUC). */
export const RTC_UIP_LEAD_NS = 244_000;
/** An update cycle's length with a 32.768 kHz time base (datasheet tUC). */
export const RTC_UPDATE_NS = 1_984_000;
const TIME_BASE_HZ = 32768;

const bcd = (v: number): number => ((Math.floor(v / 10) % 10) << 4) | (v % 10);
const unbcd = (v: number): number => (v >> 4) * 10 + (v & 0x0f);

export interface RtcOptions {
  /** The wall-clock time the RTC holds at creation, in ms since the Unix epoch (UTC). Default: now. */
  time?: number;
}

export class RtcCmos implements ByteDevice {
  readonly ram = new Uint8Array(128);
  readonly ports: PortDevice = byteDevicePorts(this);
  private index = 0;
  /** Port 0x70 bit 7: NMI sources are masked from the CPU. */
  nmiMasked = true;
  /** The divider chain's origin: update cycles end at origin + 0.5 s + tUC + k s, periodic taps at origin + j P. */
  private origin = 0;
  /** Guest time up to which updates and periodic flags have been applied. */
  private synced: number;
  private octoberRepeatDone = false;
  private irqLevel = false;
  private readonly timer: ClockTimer;

  constructor(private readonly clock: VirtualClock, private readonly irq: IrqOutput = () => {}, options: RtcOptions = {}) {
    this.timer = clock.timer(() => this.service());
    const now = clock.now();
    this.synced = now;
    const r = this.ram;
    r[RtcReg.A] = 0x26; // DV = 010 (32.768 kHz, running), RS = 0110 (1024 Hz): what PC firmware sets
    r[RtcReg.B] = RTC_B_24H; // BCD, 24-hour
    r[RtcReg.D] = RTC_D_VRT;
    r[CmosByte.Equipment] = 0x02; // math coprocessor present, EGA/VGA display, no floppy drives
    this.setTime(options.time ?? Date.now());
  }

  /**
   * Set the clock registers to `ms` (Unix epoch, UTC) in the current
   * format, with the divider phase following the sub-second part so the
   * next update comes when the next whole second does.
   */
  setTime(ms: number): void {
    const d = new Date(ms);
    const r = this.ram;
    const binary = (r[RtcReg.B]! & RTC_B_DM_BINARY) !== 0;
    const enc = (v: number): number => (binary ? v : bcd(v));
    r[RtcReg.Seconds] = enc(d.getUTCSeconds());
    r[RtcReg.Minutes] = enc(d.getUTCMinutes());
    const h = d.getUTCHours();
    if (r[RtcReg.B]! & RTC_B_24H) r[RtcReg.Hours] = enc(h);
    else r[RtcReg.Hours] = enc(h % 12 || 12) | (h >= 12 ? 0x80 : 0);
    r[RtcReg.DayOfWeek] = enc(d.getUTCDay() + 1);
    r[RtcReg.Date] = enc(d.getUTCDate());
    r[RtcReg.Month] = enc(d.getUTCMonth() + 1);
    r[RtcReg.Year] = enc(d.getUTCFullYear() % 100);
    r[CmosByte.Century] = bcd(Math.floor(d.getUTCFullYear() / 100) % 100);
    const now = this.clock.now();
    const subsecondNs = (((ms % 1000) + 1000) % 1000) * 1_000_000;
    // The update that ends at the next whole second is k = 1 from this origin (k = 0 is already past).
    this.origin = now + (SECOND_NS - subsecondNs) - 1.5 * SECOND_NS - RTC_UPDATE_NS;
    this.synced = now;
    this.checksum();
  }

  /**
   * Fill the memory-size bytes as a PC BIOS does: 640 KiB base memory,
   * extended memory above 1 MiB in KiB (at most 0xFFFF) at 0x17 and 0x30,
   * memory above 16 MiB in 64 KiB units at 0x34.
   */
  setMemorySize(bytes: number): void {
    const r = this.ram;
    const put16 = (at: number, v: number): void => {
      r[at] = v & 0xff;
      r[at + 1] = (v >> 8) & 0xff;
    };
    put16(CmosByte.BaseMemoryLow, 640);
    const extKiB = Math.min(0xffff, Math.max(0, Math.floor(bytes / 1024) - 1024));
    put16(CmosByte.ExtendedMemoryLow, extKiB);
    put16(CmosByte.PostExtendedMemoryLow, extKiB);
    put16(CmosByte.HighMemoryLow, Math.min(0xffff, Math.max(0, Math.floor((bytes - 16 * 1024 * 1024) / 65536))));
    this.checksum();
  }

  setCpuCount(n: number): void {
    this.ram[CmosByte.CpuCountMinusOne] = Math.max(0, n - 1) & 0xff;
  }

  /** The standard checksum: the 16-bit sum of bytes 0x10-0x2D, big-endian at 0x2E. */
  private checksum(): void {
    let sum = 0;
    for (let i = 0x10; i <= 0x2d; i++) sum += this.ram[i]!;
    this.ram[CmosByte.ChecksumHigh] = (sum >> 8) & 0xff;
    this.ram[CmosByte.ChecksumLow] = sum & 0xff;
  }

  /** System reset: the RTC keeps time and RAM; its interrupt enables and flags clear (as QEMU's RESET does). */
  reset(): void {
    this.sync();
    this.ram[RtcReg.B] &= ~(RTC_B_PIE | RTC_B_AIE | RTC_B_UIE | RTC_B_SQWE);
    this.ram[RtcReg.C] = 0;
    this.index = 0;
    this.nmiMasked = true;
    this.updateIrq();
  }

  owns(port: number): boolean {
    return port === RTC_BASE || port === RTC_BASE + 1;
  }

  readByte(port: number): number {
    if (port === RTC_BASE) return 0xff; // the index register is write-only on the AT
    this.sync();
    const i = this.index;
    const r = this.ram;
    switch (i) {
      case RtcReg.A:
        return (r[RtcReg.A]! & 0x7f) | (this.updateInProgress() ? RTC_A_UIP : 0);
      case RtcReg.C: {
        const v = r[RtcReg.C]!;
        r[RtcReg.C] = 0;
        this.updateIrq();
        return v;
      }
      default:
        return r[i]!;
    }
  }

  writeByte(port: number, v: number): void {
    if (port === RTC_BASE) {
      this.index = v & 0x7f;
      this.nmiMasked = (v & 0x80) !== 0;
      return;
    }
    this.sync();
    const r = this.ram;
    switch (this.index) {
      case RtcReg.A: {
        const running = this.dividerRunning();
        r[RtcReg.A] = v & 0x7f;
        // Leaving divider reset (or starting it): the first update cycle begins half a second later.
        if (!running && this.dividerRunning()) this.origin = this.clock.now();
        break;
      }
      case RtcReg.B:
        if (v & RTC_B_SET) v &= ~RTC_B_UIE;
        r[RtcReg.B] = v;
        break;
      case RtcReg.C:
      case RtcReg.D:
        return; // read-only
      default:
        r[this.index] = v;
    }
    this.updateIrq();
  }

  /** DV2-0 = 010: a 32.768 kHz time base with the divider running. */
  private dividerRunning(): boolean {
    return ((this.ram[RtcReg.A]! >> 4) & 7) === 2;
  }

  private get firstUpdate(): number {
    return this.origin + SECOND_NS / 2 + RTC_UPDATE_NS;
  }

  /** Update-cycle ends at or before t. */
  private updatesBy(t: number): number {
    const first = this.firstUpdate;
    return t < first ? 0 : Math.floor((t - first) / SECOND_NS) + 1;
  }

  /** The periodic interrupt period in 32.768 kHz cycles, or 0 (RS = 0). */
  private periodCycles(): number {
    const rs = this.ram[RtcReg.A]! & 0x0f;
    if (rs === 0) return 0;
    return 1 << ((rs <= 2 ? rs + 7 : rs) - 1); // RS 1 and 2 give the same rates as 8 and 9 with this time base
  }

  /** Periodic taps at or before t. */
  private tapsBy(t: number, period: number): number {
    return t <= this.origin ? 0 : Math.floor(ticksIn(t - this.origin, TIME_BASE_HZ) / period);
  }

  private updateInProgress(): boolean {
    if (!this.dividerRunning() || this.ram[RtcReg.B]! & RTC_B_SET) return false;
    const now = this.clock.now();
    const nextEnd = this.firstUpdate + this.updatesBy(now) * SECOND_NS;
    return now >= nextEnd - RTC_UPDATE_NS - RTC_UIP_LEAD_NS;
  }

  /** Apply the update cycles and periodic taps between the last access and now (and the IRQ they raise). */
  private sync(): void {
    const now = this.clock.now();
    const from = this.synced;
    if (now <= from) return;
    this.synced = now;
    if (!this.dividerRunning()) return;
    const flags = this.ram[RtcReg.C]!;
    if (!(this.ram[RtcReg.B]! & RTC_B_SET)) {
      for (let n = this.updatesBy(now) - this.updatesBy(from); n > 0; n--) this.updateCycle();
    }
    const period = this.periodCycles();
    if (period && this.tapsBy(now, period) > this.tapsBy(from, period)) this.ram[RtcReg.C] |= RTC_C_PF;
    if (this.ram[RtcReg.C] !== flags) this.updateIrq();
  }

  /** The end of one update cycle: advance one second, compare the alarm, set UF. */
  private updateCycle(): void {
    const r = this.ram;
    const b = r[RtcReg.B]!;
    const binary = (b & RTC_B_DM_BINARY) !== 0;
    const dec = (v: number): number => (binary ? v : unbcd(v));
    const enc = (v: number): number => (binary ? v : bcd(v));
    const twentyFour = (b & RTC_B_24H) !== 0;

    let dayCarry = false;
    const sec = dec(r[RtcReg.Seconds]!) + 1;
    if (sec < 60) {
      r[RtcReg.Seconds] = enc(sec);
    } else {
      r[RtcReg.Seconds] = enc(0);
      const min = dec(r[RtcReg.Minutes]!) + 1;
      if (min < 60) {
        r[RtcReg.Minutes] = enc(min);
      } else {
        r[RtcReg.Minutes] = enc(0);
        dayCarry = this.nextHour(twentyFour, dec, enc);
      }
    }
    if (dayCarry) this.nextDay(dec, enc);

    const matches = (value: number, alarm: number): boolean => (alarm & 0xc0) === 0xc0 || value === alarm;
    if (matches(r[RtcReg.Seconds]!, r[RtcReg.SecondsAlarm]!) && matches(r[RtcReg.Minutes]!, r[RtcReg.MinutesAlarm]!)
      && matches(r[RtcReg.Hours]!, r[RtcReg.HoursAlarm]!)) {
      r[RtcReg.C] |= RTC_C_AF;
    }
    r[RtcReg.C] |= RTC_C_UF;
  }

  /** Advance the hour (minutes just wrapped); returns whether the date advances. */
  private nextHour(twentyFour: boolean, dec: (v: number) => number, enc: (v: number) => number): boolean {
    const r = this.ram;
    const raw = r[RtcReg.Hours]!;
    let hour24: number;
    let carry = false;
    if (twentyFour) {
      hour24 = dec(raw) + 1;
      if (hour24 >= 24) {
        hour24 = 0;
        carry = true;
      }
    } else {
      const pm = (raw & 0x80) !== 0;
      const h12 = dec(raw & 0x7f);
      // 11 -> 12 flips AM/PM (11:59:59 PM -> 12:00:00 AM is midnight); 12 -> 1 keeps it.
      const next = h12 >= 12 ? 1 : h12 + 1;
      const nextPm = h12 === 11 ? !pm : pm;
      if (h12 === 11 && pm) carry = true;
      hour24 = (next % 12) + (nextPm ? 12 : 0);
    }
    if (r[RtcReg.B]! & RTC_B_DSE && hour24 === 2) {
      const month = dec(r[RtcReg.Month]!);
      const date = dec(r[RtcReg.Date]!);
      const sunday = dec(r[RtcReg.DayOfWeek]!) === 1;
      if (sunday && month === 4 && date + 7 > 30) hour24 = 3;
      else if (sunday && month === 10 && date + 7 > 31 && !this.octoberRepeatDone) {
        hour24 = 1;
        this.octoberRepeatDone = true;
      }
    }
    r[RtcReg.Hours] = twentyFour ? enc(hour24) : enc(hour24 % 12 || 12) | (hour24 >= 12 ? 0x80 : 0);
    return carry;
  }

  private nextDay(dec: (v: number) => number, enc: (v: number) => number): void {
    const r = this.ram;
    this.octoberRepeatDone = false;
    const dow = dec(r[RtcReg.DayOfWeek]!);
    r[RtcReg.DayOfWeek] = enc(dow >= 7 ? 1 : dow + 1);
    const month = dec(r[RtcReg.Month]!);
    const year = dec(r[RtcReg.Year]!);
    const days = month === 2 ? (year % 4 === 0 ? 29 : 28) : [4, 6, 9, 11].includes(month) ? 30 : 31;
    const date = dec(r[RtcReg.Date]!);
    if (date < days) {
      r[RtcReg.Date] = enc(date + 1);
      return;
    }
    r[RtcReg.Date] = enc(1);
    if (month < 12) {
      r[RtcReg.Month] = enc(month + 1);
      return;
    }
    r[RtcReg.Month] = enc(1);
    r[RtcReg.Year] = enc(year >= 99 ? 0 : year + 1);
  }

  /** IRQF = PF·PIE + AF·AIE + UF·UIE drives IRQ 8; then schedule the next event an enabled interrupt needs. */
  private updateIrq(): void {
    const r = this.ram;
    const b = r[RtcReg.B]!;
    const c = r[RtcReg.C]!;
    const irqf = ((c & RTC_C_PF && b & RTC_B_PIE) || (c & RTC_C_AF && b & RTC_B_AIE) || (c & RTC_C_UF && b & RTC_B_UIE)) ? true : false;
    r[RtcReg.C] = irqf ? c | RTC_C_IRQF : c & ~RTC_C_IRQF;
    if (irqf !== this.irqLevel) {
      this.irqLevel = irqf;
      this.irq(irqf);
    }
    this.schedule();
  }

  private schedule(): void {
    const b = this.ram[RtcReg.B]!;
    let at = Infinity;
    if (!this.irqLevel && this.dividerRunning()) {
      const now = this.clock.now();
      const period = this.periodCycles();
      if (b & RTC_B_PIE && period) {
        const cycles = (this.tapsBy(now, period) + 1) * period;
        at = this.origin + nsForTicks(cycles, TIME_BASE_HZ);
      }
      if (b & (RTC_B_UIE | RTC_B_AIE) && !(b & RTC_B_SET)) {
        at = Math.min(at, this.firstUpdate + this.updatesBy(now) * SECOND_NS);
      }
    }
    if (at === Infinity) this.timer.cancel();
    else this.timer.arm(at);
  }

  private service(): void {
    this.sync();
    this.schedule();
  }
}
