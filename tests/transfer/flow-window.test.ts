import { describe, expect, test } from "bun:test";
import {
  FINE_FLOOR,
  FINE_STEP,
  FlowWindow,
  MAX_WINDOW,
  SPEC_FLOOR,
  TARGET_DELAY_MS,
} from "../../src/transfer/flow-window.ts";

/** Sends `bytes` at `now` and has them reported `delayMs` later, in steps of `step`. */
function stream(w: FlowWindow, from: number, bytes: number, step: number, now: number, delayMs: number) {
  for (let at = from; at < from + bytes; at += step) {
    const size = Math.min(step, from + bytes - at);
    w.sentBytes(size, now);
    w.progress(at + size, now + delayMs);
    now += delayMs;
  }
  return now;
}

/**
 * `count` chunks of `step` bytes, one at a time: each is sent, heard of 1 ms later (a report of everything so
 * far), and the next goes `gapMs` after that report. Returns the time after the last.
 */
function sendAndHear(w: FlowWindow, count: number, step: number, gapMs: number): number {
  let now = 0;
  for (let at = 0; at < count * step; at += step) {
    w.sentBytes(step, now);
    now += 1;
    w.progress(at + step, now);
    now += gapMs;
  }
  return now;
}

describe("the flow window", () => {
  test("starts at the spec's floor of 1 MiB: nothing is known yet", () => {
    const w = new FlowWindow(0, 0);
    expect(w.size).toBe(SPEC_FLOOR);
    expect(w.allowance(0)).toBe(SPEC_FLOOR);
    w.sentBytes(SPEC_FLOOR, 0);
    expect(w.allowance(1)).toBe(0);
  });

  test("counts from a resume point: what the receiver held is not in flight", () => {
    const w = new FlowWindow(0, 0);
    w.sentBytes(500_000, 0);
    w.restart(300_000, 5);
    expect(w.inFlight).toBe(0);
    w.sentBytes(10, 6);
    w.progress(300_010, 7);
    expect(w.inFlight).toBe(0);
  });

  test("a fast link: rate × (base delay + target) grows the window, up to its cap", () => {
    const w = new FlowWindow(0, 0);
    // 256 KiB every 0.25 ms: about 1 GB/s, reported coarsely.
    stream(w, 0, 64 * 256 * 1024, 256 * 1024, 0, 0.25);
    expect(w.size).toBeGreaterThan(SPEC_FLOOR);
    expect(w.size).toBeLessThanOrEqual(MAX_WINDOW);
  });

  test("a slow link with fine-grained reports: the window shrinks to about one round trip, not 1 MiB", () => {
    const w = new FlowWindow(0, 0);
    // 64 KiB every 26 ms: 2.5 MB/s (20 Mbit/s), each byte heard of 1 ms after it went out at best.
    sendAndHear(w, 40, 65536, 25);
    // 2.5 MB/s × (1 + 25) ms is 65 KB: below the fine floor, so the floor it is (128 KiB, about 50 ms).
    expect((2.5e6 / 1000) * (1 + TARGET_DELAY_MS)).toBeLessThan(FINE_FLOOR);
    expect(w.size).toBe(FINE_FLOOR);
  });

  test("coarse reports (every 256 KiB, as the spec allows) keep the floor at 1 MiB", () => {
    const w = new FlowWindow(0, 0);
    sendAndHear(w, 40, 262144, 100);
    expect(w.size).toBe(SPEC_FLOOR);
  });

  test("a full window with no report for a while goes back to 1 MiB for good", () => {
    const w = new FlowWindow(0, 0);
    const now = sendAndHear(w, 40, 65536, 25);
    expect(w.size).toBeLessThan(SPEC_FLOOR);
    w.sentBytes(w.allowance(now), now);
    expect(w.allowance(now + 10)).toBe(0);
    w.allowance(now + 400); // stalled
    expect(w.size).toBe(SPEC_FLOOR);
  });

  test("a 20 Mbit/s link simulated: the first burst does not inflate the base delay; the window settles near the fine floor", () => {
    // The sender hands 64 KiB chunks to a link that carries 2.5 MB/s and queues the rest; the receiver reports
    // every chunk 1 ms after its last byte arrived. At the start the window is 1 MiB: a burst of 16 chunks in
    // the same millisecond, the last of them 400 ms behind the first.
    const w = new FlowWindow(0, 0);
    const chunk = 65536;
    const bytesPerMs = 2500;
    let linkFreeAt = 0;
    const arrivals: [number, number][] = []; // [offset reported, time]
    let sent = 0;
    for (let now = 0; now < 3000; now++) {
      while (arrivals.length > 0 && (arrivals[0] as [number, number])[1] <= now) {
        w.progress((arrivals.shift() as [number, number])[0], now);
      }
      while (w.allowance(now) >= chunk) {
        w.sentBytes(chunk, now);
        sent += chunk;
        linkFreeAt = Math.max(linkFreeAt, now) + chunk / bytesPerMs;
        arrivals.push([sent, Math.ceil(linkFreeAt) + 1]);
      }
    }
    // 2.5 MB/s × (~27 ms + 25 ms) is about 130 KB: near the fine floor, not the ~300 KB a 100 ms base gave.
    expect(w.size).toBeGreaterThanOrEqual(FINE_FLOOR);
    expect(w.size).toBeLessThan(FINE_FLOOR * 1.25);
    expect(w.inFlight).toBeLessThanOrEqual(w.size);
  });

  test("report steps a little over 64 KiB (writes finishing together) still count as fine-grained", () => {
    const w = new FlowWindow(0, 0);
    let now = 0;
    const step = FINE_STEP - 1024;
    for (let at = 0; at < 40 * step; at += step) {
      w.sentBytes(step, now);
      now += 1;
      w.progress(at + step, now);
      now += 30;
    }
    expect(w.size).toBe(FINE_FLOOR);
  });
});
