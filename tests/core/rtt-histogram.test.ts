import { describe, expect, test } from "bun:test";
import { RttHistogram } from "../../src/core/rtt-histogram.ts";
import { seeded } from "../helpers/seeded.ts";

/** The stated precision: a percentile is within ±0.8 % of the true sample. */
const TOLERANCE = 0.008;

/** The exact nearest-rank percentile of `samples`, the definition RttHistogram approximates. */
function exactPercentile(samples: readonly number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1] as number;
}

function histogramOf(samples: readonly number[]): RttHistogram {
  const histogram = new RttHistogram();
  for (const ms of samples) histogram.record(ms);
  return histogram;
}

const relativeError = (reported: number, exact: number): number => Math.abs(reported / exact - 1);

describe("RttHistogram", () => {
  test("with no samples: count 0, no summary, NaN percentiles", () => {
    const histogram = new RttHistogram();
    expect(histogram.count).toBe(0);
    expect(histogram.summary()).toBeNull();
    expect(histogram.percentile(50)).toBeNaN();
  });

  test("one sample is every percentile, exactly", () => {
    const summary = histogramOf([0.42]).summary();
    expect(summary).toEqual({ count: 1, minMs: 0.42, medianMs: 0.42, p99Ms: 0.42, maxMs: 0.42 });
  });

  test("count, min and max are exact", () => {
    const samples = [3.25, 0.0123, 812.5, 0.0123, 42];
    const summary = histogramOf(samples).summary();
    expect(summary?.count).toBe(5);
    expect(summary?.minMs).toBe(0.0123);
    expect(summary?.maxMs).toBe(812.5);
  });

  test("percentiles of 1..100 ms follow nearest rank, within ±0.8 %", () => {
    const histogram = histogramOf(Array.from({ length: 100 }, (_, i) => i + 1));
    for (const [p, exact] of [
      [1, 1],
      [50, 50],
      [90, 90],
      [99, 99],
      [100, 100],
    ] as const) {
      expect(relativeError(histogram.percentile(p), exact)).toBeLessThanOrEqual(TOLERANCE);
    }
    expect(histogram.percentile(0)).toBe(1); // p0 is the minimum
  });

  test("random samples from 1 µs to 1000 s: every percentile within ±0.8 % of the exact one", () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const next = seeded(seed);
      const count = 1 + Math.floor(next() * 5000);
      // Log-uniform: as many samples near a microsecond as near a quarter of an hour.
      const samples = Array.from({ length: count }, () => 10 ** (next() * 9 - 3));
      const histogram = histogramOf(samples);
      for (const p of [0.1, 1, 10, 25, 50, 75, 90, 99, 99.9, 100]) {
        const exact = exactPercentile(samples, p);
        const reported = histogram.percentile(p);
        if (relativeError(reported, exact) > TOLERANCE) {
          expect({ seed, p, exact, reported }).toEqual({ seed, p, exact, reported: exact });
        }
      }
      const summary = histogram.summary();
      expect(summary?.minMs).toBe(Math.min(...samples));
      expect(summary?.maxMs).toBe(Math.max(...samples));
    }
  });

  test("samples on bucket edges are still within ±0.8 %", () => {
    const step = Math.log1p(1 / 64);
    const samples = Array.from({ length: 400 }, (_, i) => Math.exp(i * step) / 1000);
    const histogram = histogramOf(samples);
    for (let p = 1; p <= 100; p++) {
      expect(relativeError(histogram.percentile(p), exactPercentile(samples, p))).toBeLessThanOrEqual(
        TOLERANCE,
      );
    }
  });

  test("sub-microsecond and zero samples are reported inside [min, max], never below 0", () => {
    expect(histogramOf([0, 0, 0]).summary()).toEqual({ count: 3, minMs: 0, medianMs: 0, p99Ms: 0, maxMs: 0 });
    const summary = histogramOf([0, 0.0001, 0.0005]).summary();
    expect(summary?.medianMs).toBeGreaterThanOrEqual(0);
    expect(summary?.medianMs).toBeLessThanOrEqual(0.0005);
  });

  test("samples beyond the top bucket still give percentiles no larger than the maximum", () => {
    const summary = histogramOf([5e6, 1e7, 2e7]).summary();
    expect(summary?.maxMs).toBe(2e7);
    expect(summary?.p99Ms).toBeLessThanOrEqual(2e7);
    expect(summary?.medianMs).toBeGreaterThanOrEqual(5e6);
  });

  test("a million samples keep the same fixed memory and exact count", () => {
    const histogram = new RttHistogram();
    for (let i = 0; i < 1_000_000; i++) histogram.record(0.05 + (i % 1000) / 1000);
    expect(histogram.count).toBe(1_000_000);
    expect(relativeError(histogram.percentile(50), 0.05 + 0.499)).toBeLessThanOrEqual(TOLERANCE);
  });
});
