import { describe, expect, it } from 'vitest';
import { ManualTimeSource, VirtualClock } from '../../runtime/devices/clock.js';
import { Pit8254, pitTimeOfTick } from '../../runtime/devices/pit8254.js';
import { Port61 } from '../../runtime/devices/port61.js';

/** A PIT on a manual clock, with counter 0's OUT transitions recorded as [CLK edge, level]. */
function setup() {
  const src = new ManualTimeSource();
  const clock = new VirtualClock(src);
  const edges: [number, boolean][] = [];
  let pit: Pit8254 | null = null;
  pit = new Pit8254(clock, (level) => edges.push([pit ? pit.tick() : 0, level]));
  const out = (port: number, v: number): void => pit!.ports.write(port, 1, v);
  const inb = (port: number): number => pit!.ports.read(port, 1);
  /** Move to CLK edge k and fire what is due. */
  const at = (k: number): void => {
    src.set(pitTimeOfTick(k));
    clock.poll();
  };
  return { pit, clock, edges, out, inb, at };
}

describe('8254 PIT', () => {
  it('mode 2 (rate generator): OUT low for one CLK every N, first low N-1 CLKs after the load', () => {
    const h = setup();
    expect(h.edges).toEqual([[0, false]]); // power-on: no count, OUT low
    h.out(0x43, 0x34); // counter 0, LSB then MSB, mode 2, binary: Linux's PIT clockevent
    h.out(0x40, 4);
    h.out(0x40, 0); // written at edge 0: CE loaded at edge 1
    h.at(14);
    // Datasheet waveform for N = 4: load (CE 4), 3, 2, 1 (OUT low), reload 4 (OUT high), ...
    expect(h.edges).toEqual([[0, false], [0, true], [4, false], [5, true], [8, false], [9, true], [12, false], [13, true]]);
  });

  it('mode 2 counts down from N and reads back through the LSB/MSB flip-flop', () => {
    const h = setup();
    h.out(0x43, 0x34);
    h.out(0x40, 0x00);
    h.out(0x40, 0x10); // 0x1000
    h.at(1);
    expect([h.inb(0x40), h.inb(0x40)]).toEqual([0x00, 0x10]);
    h.at(0x101);
    expect([h.inb(0x40), h.inb(0x40)]).toEqual([0x00, 0x0f]);
    h.at(0x1000); // CE = 1
    expect([h.inb(0x40), h.inb(0x40)]).toEqual([0x01, 0x00]);
    h.at(0x1001); // reloaded
    expect([h.inb(0x40), h.inb(0x40)]).toEqual([0x00, 0x10]);
  });

  it('mode 2: a count written while counting takes over at the end of the current period', () => {
    const h = setup();
    h.out(0x43, 0x34);
    h.out(0x40, 10);
    h.out(0x40, 0);
    h.at(4); // CE = 7
    h.out(0x40, 3);
    h.out(0x40, 0);
    h.at(30);
    // Old period ends: low at 10, reload with 3 at 11: lows at 13, 16, 19, ...
    expect(h.edges.slice(2, 8)).toEqual([[10, false], [11, true], [13, false], [14, true], [16, false], [17, true]]);
  });

  it('mode 0 (interrupt on terminal count): OUT rises N+1 CLKs after the count is written and stays high', () => {
    const h = setup();
    h.out(0x43, 0x30);
    h.out(0x40, 5);
    h.out(0x40, 0);
    h.at(100);
    expect(h.edges).toEqual([[0, false], [6, true]]);
    // The counter wraps and goes on counting: one CLK past terminal count CE = 0xFFFF, and OUT stays high.
    const k = setup();
    k.out(0x43, 0x30);
    k.out(0x40, 5);
    k.out(0x40, 0);
    k.at(7);
    k.out(0x43, 0x00); // latch
    expect([k.inb(0x40), k.inb(0x40)]).toEqual([0xff, 0xff]);
    k.at(7 + 0x1000);
    expect([k.inb(0x40), k.inb(0x40)]).toEqual([0xff, 0xef]);
    expect(k.edges).toEqual([[0, false], [6, true]]);
  });

  it('mode 0: the first byte of a new count drops OUT at once and stops counting', () => {
    const h = setup();
    h.out(0x43, 0x30);
    h.out(0x40, 5);
    h.out(0x40, 0);
    h.at(10); // OUT high since edge 6
    h.out(0x40, 8);
    expect(h.edges.at(-1)).toEqual([10, false]);
    h.at(50);
    expect(h.edges.at(-1)).toEqual([10, false]); // no count yet: stopped
    h.out(0x40, 0); // count 8 complete at edge 50
    h.at(100);
    expect(h.edges.at(-1)).toEqual([59, true]);
  });

  it('mode 3 (square wave): N/2 high and N/2 low for even N, (N+1)/2 and (N-1)/2 for odd', () => {
    const even = setup();
    even.out(0x43, 0x36);
    even.out(0x40, 6);
    even.out(0x40, 0);
    even.at(14);
    expect(even.edges).toEqual([[0, false], [0, true], [4, false], [7, true], [10, false], [13, true]]);
    const odd = setup();
    odd.out(0x43, 0x36);
    odd.out(0x40, 5);
    odd.out(0x40, 0);
    odd.at(12);
    expect(odd.edges).toEqual([[0, false], [0, true], [4, false], [6, true], [9, false], [11, true]]);
    // CE steps by two: even N reads 6, 4, 2 in each half (edges 13, 14, 15 are a high half).
    even.at(14);
    expect([even.inb(0x40), even.inb(0x40)]).toEqual([4, 0]);
    even.at(15);
    expect([even.inb(0x40), even.inb(0x40)]).toEqual([2, 0]);
  });

  it('mode 4 (software strobe): one CLK low, N+1 CLKs after the count is written', () => {
    const h = setup();
    h.out(0x43, 0x38);
    h.out(0x40, 3);
    h.out(0x40, 0);
    h.at(20);
    expect(h.edges).toEqual([[0, false], [0, true], [4, false], [5, true]]);
  });

  it('counts in BCD', () => {
    const h = setup();
    h.out(0x43, 0x31); // mode 0, BCD
    h.out(0x40, 0x00);
    h.out(0x40, 0x01); // 100 decimal
    h.at(2); // one decrement
    expect([h.inb(0x40), h.inb(0x40)]).toEqual([0x99, 0x00]);
    h.at(1 + 100 + 1); // one past terminal count: 9999
    expect([h.inb(0x40), h.inb(0x40)]).toEqual([0x99, 0x99]);
  });

  it('holds a latched count until it is read, ignoring further latch commands', () => {
    const h = setup();
    h.out(0x43, 0x34);
    h.out(0x40, 0x00);
    h.out(0x40, 0x00); // 65536
    h.at(1001);
    h.out(0x43, 0x00);
    h.at(5000);
    h.out(0x43, 0x00); // ignored: a count is already latched
    expect(h.inb(0x40)).toBe((65536 - 1000) & 0xff);
    expect(h.inb(0x40)).toBe((65536 - 1000) >> 8);
    expect(h.inb(0x40)).toBe((65536 - 4999) & 0xff); // unlatched again
  });

  it('read-back returns status (OUT, NULL COUNT, access, mode, BCD) before the count', () => {
    const h = setup();
    h.out(0x43, 0xb4); // counter 2, LSB/MSB, mode 2
    h.out(0x43, 0xc8); // read-back count and status of counter 2
    expect(h.inb(0x42)).toBe(0x80 | 0x40 | 0x30 | 0x04); // OUT high, null count: no count yet
    h.inb(0x42);
    h.inb(0x42);
    h.out(0x42, 0x20);
    h.out(0x42, 0x00);
    h.out(0x43, 0xe8); // status only (COUNT bit 5 set = do not latch count)
    expect(h.inb(0x42)).toBe(0xf4); // written, not yet loaded: NULL COUNT still 1
    h.at(1);
    h.out(0x43, 0xe8);
    expect(h.inb(0x42)).toBe(0xb4);
    h.out(0x43, 0xd8); // count only
    expect([h.inb(0x42), h.inb(0x42)]).toEqual([0x20, 0x00]);
  });

  it('mode 6 and 7 are modes 2 and 3 and read back as programmed', () => {
    const h = setup();
    h.out(0x43, 0x3c); // mode 6
    h.out(0x40, 4);
    h.out(0x40, 0);
    h.at(6);
    expect(h.edges).toEqual([[0, false], [0, true], [4, false], [5, true]]);
    h.out(0x43, 0xe2);
    expect(h.inb(0x40) & 0x0e).toBe(0x0c);
  });

  it("drives port 0x61 bit 5 from counter 2 gated by bit 0: Linux's pit_calibrate_tsc()", () => {
    const src = new ManualTimeSource();
    const clock = new VirtualClock(src);
    const pit = new Pit8254(clock);
    const p61 = new Port61(pit, clock);
    const inb61 = (): number => p61.ports.read(0x61, 1);
    // outb((inb(0x61) & ~0x02) | 0x01, 0x61): gate high, speaker off.
    p61.ports.write(0x61, 1, (inb61() & ~0x02) | 0x01);
    pit.ports.write(0x43, 1, 0xb0); // counter 2, LSB/MSB, mode 0
    const latch = 1193; // about 1 ms
    pit.ports.write(0x42, 1, latch & 0xff);
    pit.ports.write(0x42, 1, latch >> 8);
    expect(inb61() & 0x21).toBe(0x01);
    src.set(pitTimeOfTick(latch));
    expect(inb61() & 0x20).toBe(0);
    src.set(pitTimeOfTick(latch + 1));
    expect(inb61() & 0x20).toBe(0x20);
    // Gate low in mode 0 pauses counting.
    pit.ports.write(0x43, 1, 0xb0);
    pit.ports.write(0x42, 1, 100);
    pit.ports.write(0x42, 1, 0);
    const t0 = latch + 1;
    src.set(pitTimeOfTick(t0 + 11)); // 10 decrements
    p61.ports.write(0x61, 1, 0x00);
    src.set(pitTimeOfTick(t0 + 500));
    pit.ports.write(0x43, 1, 0x80);
    expect(pit.ports.read(0x42, 1)).toBe(90);
    expect(inb61() & 0x01).toBe(0);
  });

  it('toggles the refresh bit (port 0x61 bit 4) every 18 PIT clocks', () => {
    const src = new ManualTimeSource();
    const clock = new VirtualClock(src);
    const pit = new Pit8254(clock);
    const p61 = new Port61(pit, clock);
    src.set(pitTimeOfTick(17));
    expect(p61.ports.read(0x61, 1) & 0x10).toBe(0);
    src.set(pitTimeOfTick(18));
    expect(p61.ports.read(0x61, 1) & 0x10).toBe(0x10);
    src.set(pitTimeOfTick(36));
    expect(p61.ports.read(0x61, 1) & 0x10).toBe(0);
  });

  it('mode 1 (counter 2): the gate rising edge triggers a one-shot low pulse of N CLKs, retriggerable', () => {
    const src = new ManualTimeSource();
    const clock = new VirtualClock(src);
    const pit = new Pit8254(clock);
    pit.ports.write(0x43, 1, 0xb2); // counter 2, mode 1
    pit.ports.write(0x42, 1, 10);
    pit.ports.write(0x42, 1, 0);
    expect(pit.out(2)).toBe(true);
    src.set(pitTimeOfTick(5));
    pit.setGate(2, true); // trigger at edge 5: load at 6
    src.set(pitTimeOfTick(6));
    expect(pit.out(2)).toBe(false);
    src.set(pitTimeOfTick(12));
    pit.setGate(2, false);
    pit.setGate(2, true); // retrigger at 12: load at 13, OUT high at 23
    src.set(pitTimeOfTick(22));
    expect(pit.out(2)).toBe(false);
    src.set(pitTimeOfTick(23));
    expect(pit.out(2)).toBe(true);
  });

  it('mode 5 (hardware strobe, counter 2): one CLK low N CLKs after the load that follows the gate trigger', () => {
    const src = new ManualTimeSource();
    const clock = new VirtualClock(src);
    const pit = new Pit8254(clock);
    pit.ports.write(0x43, 1, 0xba); // counter 2, mode 5
    pit.ports.write(0x42, 1, 3);
    pit.ports.write(0x42, 1, 0);
    src.set(pitTimeOfTick(4));
    expect(pit.out(2)).toBe(true); // no trigger yet
    pit.setGate(2, true); // trigger at edge 4: load at 5, CE 3, 2, 1, 0 at edge 8
    src.set(pitTimeOfTick(7));
    expect(pit.out(2)).toBe(true);
    src.set(pitTimeOfTick(8));
    expect(pit.out(2)).toBe(false);
    src.set(pitTimeOfTick(9));
    expect(pit.out(2)).toBe(true);
  });

  it('mode 2 on a gated counter: gate low forces OUT high, the rising edge reloads', () => {
    const src = new ManualTimeSource();
    const clock = new VirtualClock(src);
    const pit = new Pit8254(clock);
    pit.setGate(2, true);
    pit.ports.write(0x43, 1, 0xb4);
    pit.ports.write(0x42, 1, 5);
    pit.ports.write(0x42, 1, 0);
    src.set(pitTimeOfTick(5)); // CE = 1: OUT low
    expect(pit.out(2)).toBe(false);
    pit.setGate(2, false);
    expect(pit.out(2)).toBe(true);
    src.set(pitTimeOfTick(20));
    pit.setGate(2, true); // reload at 21
    src.set(pitTimeOfTick(24));
    expect(pit.out(2)).toBe(true);
    src.set(pitTimeOfTick(25));
    expect(pit.out(2)).toBe(false);
  });
});
