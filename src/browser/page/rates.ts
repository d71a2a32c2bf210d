/**
 * From the worker's cumulative counters to what the charts draw: guest
 * MIPS and VM exits per second by reason over each interval between two
 * samples, and the translation cache's size at each sample. Pure.
 */
import type { StatsSample } from '../protocol.js';

/** One interval: its end (seconds since the first sample of the boot) and the rates over it. */
export interface RatePoint {
  readonly t: number;
  readonly mips: number;
  /** VM exits per second by reason, over the interval. */
  readonly exitsPerSecond: Readonly<Record<string, number>>;
  readonly exitsTotalPerSecond: number;
  /** The cache at the interval's end (null under the interpreter or when the tier does not say). */
  readonly translations: number | null;
  readonly wasmBytes: number | null;
}

export class RateHistory {
  private first: StatsSample | null = null;
  private last: StatsSample | null = null;
  private readonly kept: RatePoint[] = [];

  /** `capacity`: points kept (at one sample every 250 ms, 480 is two minutes). */
  constructor(private readonly capacity = 480) {}

  get points(): readonly RatePoint[] {
    return this.kept;
  }

  /** The latest point, or null before the second sample. */
  get latest(): RatePoint | null {
    return this.kept[this.kept.length - 1] ?? null;
  }

  /** Forget everything (a new boot starts its counters at zero). */
  clear(): void {
    this.first = null;
    this.last = null;
    this.kept.length = 0;
  }

  /** Add a sample; returns the point for the interval it closes (null for the first sample, or one no later than the last). */
  add(sample: StatsSample): RatePoint | null {
    const prev = this.last;
    if (!this.first) this.first = sample;
    if (!prev) {
      this.last = sample;
      return null;
    }
    const seconds = (sample.t - prev.t) / 1000;
    if (seconds <= 0) return null;
    this.last = sample;
    const exitsPerSecond: Record<string, number> = {};
    let total = 0;
    for (const [reason, count] of Object.entries(sample.exits)) {
      const rate = (count - (prev.exits[reason] ?? 0)) / seconds;
      exitsPerSecond[reason] = rate;
      total += rate;
    }
    const point: RatePoint = {
      t: (sample.t - this.first.t) / 1000,
      mips: (sample.retired - prev.retired) / seconds / 1e6,
      exitsPerSecond,
      exitsTotalPerSecond: total,
      translations: sample.cache?.translations ?? null,
      wasmBytes: sample.cache?.wasmBytes ?? null,
    };
    this.kept.push(point);
    if (this.kept.length > this.capacity) this.kept.splice(0, this.kept.length - this.capacity);
    return point;
  }
}

/**
 * The exit reasons worth a line of their own in the window: the `count`
 * with the most exits, busiest first; the rest are drawn summed as "other".
 */
export function busiestReasons(points: readonly RatePoint[], count: number): string[] {
  const sums = new Map<string, number>();
  for (const p of points) for (const [reason, rate] of Object.entries(p.exitsPerSecond)) sums.set(reason, (sums.get(reason) ?? 0) + rate);
  return [...sums].filter(([, s]) => s > 0).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, count).map(([r]) => r);
}

/**
 * Colours for the lines shown, all different: a reason keeps the colour it
 * had while that colour is free, the others take the free ones in order.
 * `previous` is updated (it remembers the colours between redraws).
 */
export function assignColors(lines: readonly string[], previous: Map<string, string>, palette: readonly string[]): Map<string, string> {
  const shown = new Map<string, string>();
  const taken = new Set<string>();
  for (const line of lines) {
    const color = previous.get(line);
    if (color !== undefined && !taken.has(color)) {
      shown.set(line, color);
      taken.add(color);
    }
  }
  const free = palette.filter((c) => !taken.has(c));
  for (const line of lines) {
    if (shown.has(line)) continue;
    const color = free.shift() ?? palette[shown.size % palette.length]!;
    shown.set(line, color);
    previous.set(line, color);
  }
  return shown;
}

/** A count for people: 950, 12.3k, 4.56M. */
export function compact(v: number): string {
  const a = Math.abs(v);
  if (a >= 1e9) return `${(v / 1e9).toPrecision(3)}G`;
  if (a >= 1e6) return `${(v / 1e6).toPrecision(3)}M`;
  if (a >= 1e3) return `${(v / 1e3).toPrecision(3)}k`;
  if (a >= 10 || Number.isInteger(v)) return v.toFixed(0);
  return v.toPrecision(2);
}

/** A size for people: 512 B, 39 KiB, 6.8 MiB. */
export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${Math.round(n / 1024)} KiB`;
  return `${(n / (1024 * 1024)).toPrecision(2)} MiB`;
}
