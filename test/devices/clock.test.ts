import { describe, expect, it } from 'vitest';
import { InstructionTimeSource, ManualTimeSource, VirtualClock, nsForTicks, ticksIn } from '../../runtime/devices/clock.js';

describe('virtual clock', () => {
  it('fires due timers in deadline order, each seeing its own deadline as now', () => {
    const src = new ManualTimeSource();
    const clock = new VirtualClock(src);
    const seen: [string, number, number][] = [];
    const a = clock.timer((t) => seen.push(['a', t, clock.now()]));
    const b = clock.timer((t) => seen.push(['b', t, clock.now()]));
    b.arm(300);
    a.arm(100);
    expect(clock.nextDeadline()).toBe(100);
    src.set(250);
    expect(clock.poll()).toBe(true);
    expect(seen).toEqual([['a', 100, 100]]);
    expect(clock.now()).toBe(250);
    src.set(1000);
    clock.poll();
    expect(seen).toEqual([['a', 100, 100], ['b', 300, 300]]);
    expect(clock.nextDeadline()).toBe(Infinity);
  });

  it('lets a callback re-arm its timer from its deadline without drift, and fires every period that is due', () => {
    const src = new ManualTimeSource();
    const clock = new VirtualClock(src);
    const fired: number[] = [];
    const t = clock.timer((at) => {
      fired.push(at);
      t.arm(at + 1000);
    });
    t.arm(1000);
    src.set(3500);
    clock.poll();
    expect(fired).toEqual([1000, 2000, 3000]);
    expect(clock.nextDeadline()).toBe(4000);
  });

  it('runs simultaneous deadlines in arming order and ignores cancelled timers', () => {
    const clock = new VirtualClock();
    const order: string[] = [];
    const x = clock.timer(() => order.push('x'));
    const y = clock.timer(() => order.push('y'));
    const z = clock.timer(() => order.push('z'));
    y.arm(10);
    x.arm(10);
    z.arm(5);
    z.cancel();
    clock.idle();
    expect(order).toEqual(['y', 'x']);
    expect(clock.now()).toBe(10);
  });

  it('idle() jumps guest time to the next deadline (a halted CPU), bounded by maxNs', () => {
    const src = new ManualTimeSource();
    const clock = new VirtualClock(src);
    let hit = 0;
    clock.timer(() => hit++).arm(5_000_000);
    expect(clock.idle(1_000_000)).toBe(false);
    expect(clock.now()).toBe(1_000_000);
    expect(clock.idle()).toBe(true);
    expect(clock.now()).toBe(5_000_000);
    expect(hit).toBe(1);
    expect(clock.idle()).toBe(false); // nothing armed: time stays
    expect(clock.now()).toBe(5_000_000);
  });

  it('derives deterministic time from retired instructions plus skipped idle time', () => {
    let retired = 0;
    const src = new InstructionTimeSource(() => retired, 2.5);
    const clock = new VirtualClock(src);
    retired = 1000;
    expect(clock.now()).toBe(2500);
    clock.timer(() => {}).arm(10_000);
    clock.idle();
    expect(clock.now()).toBe(10_000);
    retired = 1002;
    expect(clock.now()).toBe(10_005);
  });

  it('converts between nanoseconds and clock periods exactly', () => {
    // The PIT's 1.193182 MHz: edge 1 at 838.095... ns rounds up to 839.
    expect(nsForTicks(1, 1_193_182)).toBe(839);
    expect(ticksIn(838, 1_193_182)).toBe(0);
    expect(ticksIn(839, 1_193_182)).toBe(1);
    expect(ticksIn(1e9, 1_193_182)).toBe(1_193_182);
    // Far into a run (about 97 days), still exact: no rounding of the product.
    const k = 10_000_000_000_000;
    const t = nsForTicks(k, 1_193_182);
    expect(ticksIn(t, 1_193_182)).toBe(k);
    expect(ticksIn(t - 1, 1_193_182)).toBe(k - 1);
    expect(nsForTicks(32768, 32768)).toBe(1e9);
  });
});
