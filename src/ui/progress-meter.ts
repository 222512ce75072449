/**
 * Rate and time left of a transfer, from the receiver's progress reports as they arrive: bytes per second
 * over the last few seconds (so a stall shows soon), and the time the rest would take at that rate.
 */
const SPAN_MS = 3000;

export class ProgressMeter {
  private readonly samples: [at: number, bytes: number][] = [];

  add(bytes: number, now: number): void {
    this.samples.push([now, bytes]);
    while (this.samples.length > 2 && now - (this.samples[1] as [number, number])[0] >= SPAN_MS) {
      this.samples.shift();
    }
  }

  /** Bytes per second lately; NaN before two reports. */
  rate(): number {
    const first = this.samples[0];
    const last = this.samples[this.samples.length - 1];
    if (!first || !last || last[0] <= first[0]) return Number.NaN;
    return ((last[1] - first[1]) / (last[0] - first[0])) * 1000;
  }

  /** Seconds until `total` at the current rate; NaN when unknown. */
  secondsLeft(total: number): number {
    const last = this.samples[this.samples.length - 1];
    const rate = this.rate();
    if (!last || !(rate > 0)) return Number.NaN;
    return (total - last[1]) / rate;
  }
}

/** A duration for people: `0.3 s`, `2.4 s`, `45 s`, `3 min 20 s`, `2 h 5 min`. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return "?";
  // Tenths under 10 s (a fast transfer is not done "in 0 s"), decided on the rounded value: 9.96 is `10 s`.
  const tenths = Math.max(0, seconds).toFixed(1);
  if (Number(tenths) < 10) return `${tenths} s`;
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

/** A rate for people, in decimal units as networks count: `850 kB/s`, `3.2 MB/s`. */
export function formatRate(bytesPerSecond: number): string {
  if (!Number.isFinite(bytesPerSecond)) return "? MB/s";
  if (bytesPerSecond < 1e6) return `${Math.round(bytesPerSecond / 1e3)} kB/s`;
  return `${(bytesPerSecond / 1e6).toFixed(1)} MB/s`;
}
