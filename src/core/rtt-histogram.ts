/**
 * Round-trip times in constant memory, so a session that runs for days keeps a flat footprint.
 *
 * Samples fall into logarithmic buckets 1/64 (≈1.6 %) wide, from 1 µs to about 1000 s; a percentile is
 * reported as its bucket's geometric middle, so it is within ±0.8 % of the true sample. Count, minimum and
 * maximum are exact.
 */
const STEP = Math.log1p(1 / 64);
const BUCKETS = 1400; // e^(1400·STEP) µs ≈ 2.8e9 µs: anything slower shares the last bucket.

export interface RttSummary {
  count: number;
  minMs: number;
  medianMs: number;
  p99Ms: number;
  maxMs: number;
}

export class RttHistogram {
  private readonly buckets = new Uint32Array(BUCKETS);
  private n = 0;
  private min = Number.POSITIVE_INFINITY;
  private max = 0;

  get count(): number {
    return this.n;
  }

  record(ms: number): void {
    const us = ms * 1000;
    const index = us <= 1 ? 0 : Math.min(BUCKETS - 1, Math.floor(Math.log(us) / STEP));
    this.buckets[index] = (this.buckets[index] as number) + 1;
    this.n++;
    if (ms < this.min) this.min = ms;
    if (ms > this.max) this.max = ms;
  }

  /** The nearest-rank percentile `p` (0–100) in ms; NaN when there are no samples. */
  percentile(p: number): number {
    if (this.n === 0) return Number.NaN;
    const rank = Math.max(1, Math.ceil((p / 100) * this.n));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.buckets[i] as number;
      if (seen >= rank) {
        const middleMs = Math.exp((i + 0.5) * STEP) / 1000;
        return Math.min(this.max, Math.max(this.min, middleMs));
      }
    }
    return this.max;
  }

  summary(): RttSummary | null {
    if (this.n === 0) return null;
    return {
      count: this.n,
      minMs: this.min,
      medianMs: this.percentile(50),
      p99Ms: this.percentile(99),
      maxMs: this.max,
    };
  }
}
