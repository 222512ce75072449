import { expect, test } from "bun:test";
import { formatDuration, formatRate, ProgressMeter } from "../../src/ui/progress-meter.ts";

test("the rate comes from the reports of the last few seconds; time left from the rate", () => {
  const meter = new ProgressMeter();
  expect(meter.rate()).toBeNaN();
  meter.add(0, 10_000);
  meter.add(5_000_000, 11_000);
  expect(meter.rate()).toBe(5_000_000);
  expect(meter.secondsLeft(20_000_000)).toBe(3);
  // A stall shows within seconds: old reports fall out of the span.
  meter.add(5_000_000, 15_000);
  meter.add(5_000_000, 16_000);
  expect(meter.rate()).toBe(0);
  expect(meter.secondsLeft(20_000_000)).toBeNaN();
});

test("durations and rates for people", () => {
  expect(formatDuration(0.06)).toBe("0.1 s");
  expect(formatDuration(2.44)).toBe("2.4 s");
  expect(formatDuration(9.94)).toBe("9.9 s");
  expect(formatDuration(9.96)).toBe("10 s");
  expect(formatDuration(-1)).toBe("0.0 s");
  expect(formatDuration(44.6)).toBe("45 s");
  expect(formatDuration(200)).toBe("3 min 20 s");
  expect(formatDuration(7500)).toBe("2 h 5 min");
  expect(formatDuration(Number.NaN)).toBe("?");
  expect(formatRate(850_000)).toBe("850 kB/s");
  expect(formatRate(3_210_000)).toBe("3.2 MB/s");
});
