/**
 * Guest time: a virtual clock in integer nanoseconds on which the timer
 * devices (8254 PIT, MC146818 RTC, local APIC timer, the UART's line
 * timing) schedule callbacks.
 *
 * Interface:
 * - `clock.now()`: guest nanoseconds. Devices compute counters from it
 *   (the PIT's count, the APIC's current count) rather than ticking.
 * - `clock.timer(callback)`: a re-armable timer; `arm(deadline)` /
 *   `cancel()`. A callback runs with the clock reading exactly its deadline,
 *   so a device that re-arms from the deadline it was given never drifts.
 * - `clock.poll()`: the run loop calls it (at block boundaries, before it
 *   asks the interrupt controller) to fire every timer that is due; device
 *   accesses call it too (createPcChipset wraps the ports), so a guest that
 *   polls a device sees every event up to the present.
 * - `clock.nextDeadline()`: when HLT has nothing to wake it, the run loop
 *   either sleeps that long (host time) or calls `clock.idle()`, which
 *   moves guest time to the deadline at once (deterministic runs).
 *
 * Where time comes from is a `TimeSource`: host monotonic time, retired
 * instructions (deterministic: the same guest sees the same interrupts at
 * the same instructions on every run), or a manual source for tests.
 */

const NS_PER_S = 1e9;

/** floor(x / d) for non-negative integers below 2^53, exactly. */
function floorDiv(x: number, d: number): number {
  let q = Math.floor(x / d);
  if (q * d > x) q--;
  else if ((q + 1) * d <= x) q++;
  return q;
}

/**
 * Whole periods of a clock of `hz` (an integer below 9 * 10^6, so that no
 * intermediate product leaves the doubles' exact integers) elapsed in `ns`
 * nanoseconds (a non-negative integer): floor(ns * hz / 1e9), exactly.
 */
export function ticksIn(ns: number, hz: number): number {
  const q = Math.floor(ns / NS_PER_S);
  return q * hz + floorDiv((ns - q * NS_PER_S) * hz, NS_PER_S);
}

/** The first nanosecond at which `k` periods of a clock of `hz` have elapsed: ceil(k * 1e9 / hz), exactly. */
export function nsForTicks(k: number, hz: number): number {
  const q = Math.floor(k / hz);
  const x = (k - q * hz) * NS_PER_S;
  const c = floorDiv(x, hz);
  return q * NS_PER_S + (c * hz === x ? c : c + 1);
}

/** Where guest time comes from. `now()` must not decrease. */
export interface TimeSource {
  /** Guest nanoseconds now (an integer). */
  now(): number;
  /** Let guest time jump forward by `ns` (an idle CPU waiting for the next timer). */
  skip(ns: number): void;
  /**
   * A source that only retired instructions move (between skips): how
   * many more must retire before now() reaches `ns` (0 if it has). Absent
   * where time moves by itself (the host's clock).
   */
  instructionsUntil?(ns: number): number;
}

/** Guest time follows the host's monotonic clock, plus whatever idle time was skipped. */
export class HostTimeSource implements TimeSource {
  private readonly origin = performance.now();
  private skipped = 0;

  now(): number {
    return Math.floor((performance.now() - this.origin) * 1e6) + this.skipped;
  }

  skip(ns: number): void {
    this.skipped += Math.max(0, Math.ceil(ns));
  }
}

/**
 * Guest time is a fixed number of nanoseconds per retired instruction, plus
 * skipped idle time: runs are reproducible, whatever the host's speed.
 */
export class InstructionTimeSource implements TimeSource {
  private skipped = 0;

  /** `retired` reads the vCPU's retired-instruction count. */
  constructor(private readonly retired: () => number, readonly nsPerInstruction = 1) {
    if (!(nsPerInstruction > 0)) throw new RangeError(`nanoseconds per instruction must be positive, got ${nsPerInstruction}`);
  }

  now(): number {
    return Math.floor(this.retired() * this.nsPerInstruction) + this.skipped;
  }

  skip(ns: number): void {
    this.skipped += Math.max(0, Math.ceil(ns));
  }

  instructionsUntil(ns: number): number {
    if (ns === Infinity) return Infinity;
    const retired = this.retired();
    const at = (n: number): number => Math.floor(n * this.nsPerInstruction) + this.skipped;
    if (at(retired) >= ns) return 0;
    // The least n with at(n) >= ns: an estimate, then corrected for the rounding of the product.
    let n = Math.max(retired + 1, Math.ceil((ns - this.skipped) / this.nsPerInstruction));
    while (at(n) < ns) n++;
    while (n - 1 > retired && at(n - 1) >= ns) n--;
    return n - retired;
  }
}

/** Time that moves only when told to (tests). */
export class ManualTimeSource implements TimeSource {
  private t = 0;

  now(): number {
    return this.t;
  }

  /** Set the time; it never goes backwards. */
  set(ns: number): void {
    this.t = Math.max(this.t, Math.floor(ns));
  }

  skip(ns: number): void {
    this.t += Math.max(0, Math.ceil(ns));
  }
}

/** A one-shot timer that a device re-arms as it needs. */
export class ClockTimer {
  /** The armed deadline, or Infinity. */
  deadline = Infinity;
  /** Arming order: timers due at the same instant fire in the order they were armed. */
  seq = 0;

  constructor(private readonly clock: VirtualClock, readonly callback: (deadline: number) => void) {}

  get armed(): boolean {
    return this.deadline !== Infinity;
  }

  /** Fire at guest time `deadline` (ns); a deadline in the past fires at the next poll. */
  arm(deadline: number): void {
    this.deadline = Math.ceil(deadline);
    this.seq = this.clock.nextSeq();
    this.clock.changed();
  }

  cancel(): void {
    if (this.deadline === Infinity) return;
    this.deadline = Infinity;
    this.clock.changed();
  }
}

export class VirtualClock {
  private readonly timers: ClockTimer[] = [];
  private seqCounter = 0;
  private next = Infinity;
  /** While callbacks run: the time they see. */
  private firing: number | null = null;
  private last = 0;

  constructor(readonly source: TimeSource = new ManualTimeSource()) {}

  /** Guest nanoseconds now. Inside a timer callback: that timer's deadline. */
  now(): number {
    if (this.firing !== null) return this.firing;
    const t = this.source.now();
    if (t > this.last) this.last = t;
    return this.last;
  }

  /** A new timer (disarmed). */
  timer(callback: (deadline: number) => void): ClockTimer {
    const t = new ClockTimer(this, callback);
    this.timers.push(t);
    return t;
  }

  /** The earliest armed deadline, or Infinity. */
  nextDeadline(): number {
    return this.next;
  }

  /**
   * Instructions that must retire before the earliest armed deadline is
   * due (Infinity with no timer armed), when only retired instructions
   * move guest time (TimeSource.instructionsUntil); else null. The vCPU
   * sizes its time slices with it.
   */
  instructionsToNextDeadline(): number | null {
    const source = this.source;
    if (!source.instructionsUntil) return null;
    return this.next === Infinity ? Infinity : source.instructionsUntil(this.next);
  }

  /** Fire every timer due by now, in deadline order. Returns whether any fired. Re-entrant calls do nothing. */
  poll(): boolean {
    if (this.firing !== null) return false;
    if (this.next > this.source.now()) return false;
    let fired = false;
    // Callbacks see their own deadlines, never earlier than one already fired in this poll.
    let floor = -Infinity;
    try {
      for (;;) {
        const t = this.earliestDue(this.source.now());
        if (!t) break;
        const at = Math.max(t.deadline, floor);
        floor = at;
        t.deadline = Infinity;
        this.changed();
        this.firing = at;
        fired = true;
        t.callback(at);
      }
    } finally {
      this.firing = null;
    }
    return fired;
  }

  /**
   * Nothing runs until the next timer (a halted CPU): move guest time to
   * that deadline, at most `maxNs` ahead, and fire what is due. Returns
   * whether any timer fired.
   */
  idle(maxNs = Infinity): boolean {
    const now = this.now();
    const target = Math.min(this.next, now + maxNs);
    if (target === Infinity) return false;
    if (target > now) this.source.skip(target - now);
    return this.poll();
  }

  /** @internal */
  nextSeq(): number {
    return ++this.seqCounter;
  }

  /** @internal: a timer was armed or cancelled. */
  changed(): void {
    let next = Infinity;
    for (const t of this.timers) if (t.deadline < next) next = t.deadline;
    this.next = next;
  }

  private earliestDue(now: number): ClockTimer | null {
    let best: ClockTimer | null = null;
    for (const t of this.timers) {
      if (t.deadline > now) continue;
      if (!best || t.deadline < best.deadline || (t.deadline === best.deadline && t.seq < best.seq)) best = t;
    }
    return best;
  }
}
