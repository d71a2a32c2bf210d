import { describe, expect, it } from 'vitest';
import { ManualTimeSource, VirtualClock } from '../../runtime/devices/clock.js';
import { RtcCmos, RTC_UIP_LEAD_NS, RTC_UPDATE_NS } from '../../runtime/devices/rtc-cmos.js';

const S = 1_000_000_000;

function setup(iso: string) {
  const src = new ManualTimeSource();
  const clock = new VirtualClock(src);
  const irq: boolean[] = [];
  const rtc = new RtcCmos(clock, (l) => irq.push(l), { time: Date.parse(iso) });
  const read = (i: number): number => {
    rtc.ports.write(0x70, 1, i);
    return rtc.ports.read(0x71, 1);
  };
  const write = (i: number, v: number): void => {
    rtc.ports.write(0x70, 1, i);
    rtc.ports.write(0x71, 1, v);
  };
  const at = (ns: number): void => {
    src.set(ns);
    clock.poll();
  };
  const time = (): number[] => [9, 8, 7, 6, 4, 2, 0].map(read);
  return { rtc, clock, irq, read, write, at, time };
}

describe('MC146818 RTC', () => {
  it('starts with the given time in BCD, 24-hour mode, and the PC firmware register values', () => {
    const h = setup('2024-02-28T23:59:58.000Z');
    // year, month, date, day of week (Wednesday = 4), hours, minutes, seconds
    expect(h.time()).toEqual([0x24, 0x02, 0x28, 0x04, 0x23, 0x59, 0x58]);
    expect(h.read(0x0a)).toBe(0x26);
    expect(h.read(0x0b)).toBe(0x02);
    expect(h.read(0x0d)).toBe(0x80);
    expect(h.read(0x32)).toBe(0x20); // century
  });

  it('advances through midnight into 29 February of a leap year', () => {
    const h = setup('2024-02-28T23:59:58.000Z');
    h.at(2 * S);
    expect(h.time()).toEqual([0x24, 0x02, 0x29, 0x05, 0x00, 0x00, 0x00]);
    h.write(0x07, 0x28);
    h.write(0x09, 0x23); // 2023 is no leap year
    h.write(0x04, 0x23);
    h.write(0x02, 0x59);
    h.write(0x00, 0x59);
    h.at(3 * S);
    expect(h.time().slice(0, 3)).toEqual([0x23, 0x03, 0x01]);
  });

  it('raises UIP 244 µs before the update cycle and drops it when the cycle ends 1984 µs later', () => {
    const h = setup('2024-01-01T00:00:00.000Z');
    const end = S; // the first update after a whole-second start ends one second later
    h.at(end - RTC_UPDATE_NS - RTC_UIP_LEAD_NS - 1);
    expect(h.read(0x0a) & 0x80).toBe(0);
    h.at(end - RTC_UPDATE_NS - RTC_UIP_LEAD_NS);
    expect(h.read(0x0a) & 0x80).toBe(0x80);
    h.at(end - 1);
    expect(h.read(0x0a) & 0x80).toBe(0x80);
    expect(h.read(0x00)).toBe(0x00); // the registers change at the end of the cycle
    h.at(end);
    expect(h.read(0x0a) & 0x80).toBe(0);
    expect(h.read(0x00)).toBe(0x01);
  });

  it('follows the sub-second phase of its start time', () => {
    const h = setup('2024-01-01T00:00:00.750Z');
    h.at(S / 4 - 1);
    expect(h.read(0x00)).toBe(0x00);
    h.at(S / 4);
    expect(h.read(0x00)).toBe(0x01);
  });

  it('counts in binary and 12-hour mode: 11:59:59 PM becomes 12:00:00 AM of the next day', () => {
    const h = setup('2024-01-01T00:00:00.000Z');
    h.write(0x0b, 0x80 | 0x04); // SET while loading, binary, 12-hour
    h.write(0x04, 0x80 | 11);
    h.write(0x02, 59);
    h.write(0x00, 59);
    h.write(0x07, 31);
    h.write(0x08, 12);
    h.write(0x09, 99);
    h.write(0x06, 7);
    h.write(0x0b, 0x04);
    h.at(S);
    expect(h.time()).toEqual([0, 1, 1, 1, 12, 0, 0]);
    // 11:59:59 AM -> 12:00:00 PM (noon), then 12:59:59 PM -> 1:00:00 PM.
    h.write(0x04, 11);
    h.write(0x02, 59);
    h.write(0x00, 59);
    h.at(2 * S);
    expect(h.read(0x04)).toBe(0x80 | 12);
    h.write(0x02, 59);
    h.write(0x00, 59);
    h.at(3 * S);
    expect(h.read(0x04)).toBe(0x80 | 1);
  });

  it('stops updating while SET is 1, and setting SET clears UIE', () => {
    const h = setup('2024-01-01T00:00:00.000Z');
    h.write(0x0b, 0x02 | 0x10);
    h.write(0x0b, 0x80 | 0x02 | 0x10);
    expect(h.read(0x0b)).toBe(0x82);
    h.at(5 * S);
    expect(h.read(0x00)).toBe(0x00);
    expect(h.read(0x0a) & 0x80).toBe(0);
    h.write(0x0b, 0x02);
    h.at(6 * S);
    expect(h.read(0x00)).toBe(0x01);
  });

  it('raises IRQ 8 for the update-ended interrupt and clears it when register C is read', () => {
    const h = setup('2024-01-01T00:00:00.000Z');
    h.write(0x0a, 0x20); // no periodic taps: only UF below
    h.read(0x0c);
    h.write(0x0b, 0x02 | 0x10); // UIE
    h.at(S - 1);
    expect(h.irq).toEqual([]);
    h.at(S);
    expect(h.irq).toEqual([true]);
    expect(h.read(0x0c)).toBe(0x90); // IRQF | UF
    expect(h.irq).toEqual([true, false]);
    expect(h.read(0x0c)).toBe(0x00);
  });

  it('sets the flags whether or not their interrupts are enabled', () => {
    const h = setup('2024-01-01T00:00:00.000Z');
    h.at(S + 1);
    expect(h.read(0x0c)).toBe(0x40 | 0x10); // PF (1024 Hz taps) and UF, no IRQF
    expect(h.irq).toEqual([]);
  });

  it('raises periodic interrupts at the rate RS selects', () => {
    const h = setup('2024-01-01T00:00:00.000Z');
    h.write(0x0a, 0x2f); // RS = 1111: 500 ms
    h.read(0x0c);
    h.write(0x0b, 0x02 | 0x40); // PIE
    const taps: number[] = [];
    for (let i = 0; i < 4; i++) {
      const t = h.clock.nextDeadline();
      h.at(t);
      expect(h.irq.at(-1)).toBe(true);
      expect(h.read(0x0c) & 0xc0).toBe(0xc0);
      expect(h.irq.at(-1)).toBe(false);
      taps.push(t);
    }
    for (let i = 1; i < taps.length; i++) expect(taps[i]! - taps[i - 1]!).toBe(500_000_000);
    // The taps are in phase with the divider: the update cycles end a whole number of half seconds plus tUC after them.
    expect((S - RTC_UPDATE_NS - taps[0]!) % 500_000_000).toBe(0);
  });

  it('times the 1024 Hz periodic interrupt to 976.5625 µs', () => {
    const h = setup('2024-01-01T00:00:00.000Z');
    h.read(0x0c);
    h.write(0x0b, 0x02 | 0x40);
    const first = h.clock.nextDeadline();
    h.at(first);
    expect(h.read(0x0c)).toBe(0xc0);
    const second = h.clock.nextDeadline();
    expect(second - first === 976_562 || second - first === 976_563).toBe(true);
  });

  it('raises the alarm when seconds, minutes and hours match, with 0xC0-0xFF as "don\'t care"', () => {
    const h = setup('2024-01-01T10:20:30.000Z');
    h.write(0x01, 0x33);
    h.write(0x03, 0xc0);
    h.write(0x05, 0xff);
    h.read(0x0c);
    h.write(0x0b, 0x02 | 0x20); // AIE
    h.at(2 * S);
    expect(h.irq).toEqual([]);
    h.at(3 * S);
    expect(h.irq).toEqual([true]);
    expect(h.read(0x0c) & 0xa0).toBe(0xa0);
  });

  it('holds the divider in reset (DV = 11x) and makes the first update come 500 ms after release', () => {
    const h = setup('2024-01-01T00:00:00.000Z');
    h.write(0x0a, 0x70);
    h.at(10 * S);
    expect(h.read(0x00)).toBe(0x00);
    h.write(0x0a, 0x26);
    h.at(10 * S + S / 2 + RTC_UPDATE_NS - 1);
    expect(h.read(0x00)).toBe(0x00);
    h.at(10 * S + S / 2 + RTC_UPDATE_NS);
    expect(h.read(0x00)).toBe(0x01);
  });

  it('applies the datasheet daylight-saving rule on the last Sunday of April', () => {
    const h = setup('2024-04-28T01:59:59.000Z'); // a Sunday, the last in April
    h.write(0x0b, 0x02 | 0x01); // DSE
    h.at(S);
    expect([h.read(0x04), h.read(0x02), h.read(0x00)]).toEqual([0x03, 0x00, 0x00]);
  });

  it('keeps the memory-size bytes and checksum a BIOS would write', () => {
    const h = setup('2024-01-01T00:00:00.000Z');
    h.rtc.setMemorySize(32 * 1024 * 1024);
    expect(h.read(0x15) | (h.read(0x16) << 8)).toBe(640);
    expect(h.read(0x17) | (h.read(0x18) << 8)).toBe(31 * 1024);
    expect(h.read(0x30) | (h.read(0x31) << 8)).toBe(31 * 1024);
    expect(h.read(0x34) | (h.read(0x35) << 8)).toBe((16 * 1024 * 1024) / 65536);
    h.rtc.setMemorySize(128 * 1024 * 1024);
    expect(h.read(0x17) | (h.read(0x18) << 8)).toBe(0xffff); // extended memory saturates at 64 MiB
    expect(h.read(0x34) | (h.read(0x35) << 8)).toBe((112 * 1024 * 1024) / 65536);
    let sum = 0;
    for (let i = 0x10; i <= 0x2d; i++) sum += h.read(i);
    expect((h.read(0x2e) << 8) | h.read(0x2f)).toBe(sum);
    h.write(0x40, 0x5a); // battery-backed RAM
    expect(h.read(0x40)).toBe(0x5a);
    h.rtc.ports.write(0x70, 1, 0x8f); // bit 7: NMI mask
    expect(h.rtc.nmiMasked).toBe(true);
    expect(h.rtc.ports.read(0x70, 1)).toBe(0xff);
  });
});
