/**
 * A small line chart on a canvas: a time window ending now, one or more
 * series, the y axis from zero to a round number above the highest value
 * in view, three grid lines labelled at the left. The caption and legend
 * are HTML beside it (sharper text, and readable by tests).
 */

export interface ChartSeries {
  readonly color: string;
  /** (seconds, value) pairs, oldest first. */
  readonly points: readonly (readonly [number, number])[];
}

/** The smallest of 1, 2, 5 × 10^k that is at least `v` (1 for v ≤ 0). */
export function niceCeiling(v: number): number {
  if (!(v > 0)) return 1;
  const decade = 10 ** Math.floor(Math.log10(v));
  for (const step of [1, 2, 5, 10]) if (step * decade >= v * (1 - 1e-12)) return step * decade;
  return 10 * decade;
}

export class LineChart {
  private readonly ctx: CanvasRenderingContext2D;

  constructor(
    private readonly canvas: HTMLCanvasElement,
    /** Axis labels: the value as people read it ('12M', '3.5'). */
    private readonly label: (v: number) => string,
    /** Seconds of history in view. */
    private readonly windowSeconds = 60,
  ) {
    const ctx = canvas.getContext('2d');
    if (!ctx) throw new Error('no 2D canvas context');
    this.ctx = ctx;
  }

  /** Draw the series; `now` is the right edge, in the points' seconds. */
  draw(series: readonly ChartSeries[], now: number): void {
    const { canvas, ctx } = this;
    const dpr = globalThis.devicePixelRatio || 1;
    const width = Math.max(1, Math.round(canvas.clientWidth * dpr));
    const height = Math.max(1, Math.round(canvas.clientHeight * dpr));
    if (canvas.width !== width || canvas.height !== height) {
      canvas.width = width;
      canvas.height = height;
    }
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    const w = width / dpr;
    const h = height / dpr;
    ctx.clearRect(0, 0, w, h);

    const start = now - this.windowSeconds;
    let max = 0;
    for (const s of series) for (const [t, v] of s.points) if (t >= start && v > max) max = v;
    const top = niceCeiling(max);
    const left = 40;
    const right = w - 4;
    const y0 = h - 6;
    const y1 = 8;
    const x = (t: number): number => left + ((t - start) / this.windowSeconds) * (right - left);
    const y = (v: number): number => y0 - (v / top) * (y0 - y1);

    ctx.font = '10px system-ui, sans-serif';
    ctx.textAlign = 'right';
    ctx.textBaseline = 'middle';
    ctx.lineWidth = 1;
    for (let k = 0; k <= 2; k++) {
      const v = (top * k) / 2;
      ctx.strokeStyle = k === 0 ? 'rgba(200, 210, 230, 0.35)' : 'rgba(200, 210, 230, 0.12)';
      ctx.beginPath();
      ctx.moveTo(left, Math.round(y(v)) + 0.5);
      ctx.lineTo(right, Math.round(y(v)) + 0.5);
      ctx.stroke();
      ctx.fillStyle = 'rgba(200, 210, 230, 0.7)';
      ctx.fillText(this.label(v), left - 6, y(v));
    }

    ctx.lineWidth = 1.5;
    ctx.lineJoin = 'round';
    for (const s of series) {
      ctx.strokeStyle = s.color;
      ctx.beginPath();
      let started = false;
      for (const [t, v] of s.points) {
        if (t < start - 1) continue;
        const px = Math.max(left, x(t));
        if (started) ctx.lineTo(px, y(v));
        else ctx.moveTo(px, y(v));
        started = true;
      }
      ctx.stroke();
      // The latest value as a dot: visible even when there is a single point.
      const last = s.points[s.points.length - 1];
      if (last && last[0] >= start) {
        ctx.fillStyle = s.color;
        ctx.beginPath();
        ctx.arc(Math.max(left, x(last[0])), y(last[1]), 2.5, 0, 2 * Math.PI);
        ctx.fill();
      }
    }
  }
}
