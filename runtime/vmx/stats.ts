/**
 * VM-exit statistics per basic exit reason, as kvm_stat shows them: how
 * many exits, and the host time spent handling them (in the default VMM,
 * or in the embedder between an exit run() returned and the next run()).
 */
export interface ExitStat {
  readonly reason: number;
  readonly count: number;
  /** Host milliseconds spent handling these exits. */
  readonly ms: number;
}

export class ExitStats {
  private readonly counts = new Map<number, number>();
  private readonly times = new Map<number, number>();

  /** The host clock the handling time is measured with (ms; the global `performance` of Node and browsers). */
  static now(): number {
    return performance.now();
  }

  /** One exit of `reason`. */
  count(reason: number): void {
    this.counts.set(reason, (this.counts.get(reason) ?? 0) + 1);
  }

  /** Host time spent handling an exit of `reason`. */
  addTime(reason: number, ms: number): void {
    this.times.set(reason, (this.times.get(reason) ?? 0) + ms);
  }

  /** Exits so far, by reason in the SDM's order. */
  entries(): ExitStat[] {
    return [...this.counts].sort((a, b) => a[0] - b[0]).map(([reason, count]) => ({ reason, count, ms: this.times.get(reason) ?? 0 }));
  }

  /** Exit counts by reason. */
  countsByReason(): Map<number, number> {
    return new Map(this.entries().map((e) => [e.reason, e.count]));
  }

  get total(): number {
    let n = 0;
    for (const c of this.counts.values()) n += c;
    return n;
  }

  reset(): void {
    this.counts.clear();
    this.times.clear();
  }
}
