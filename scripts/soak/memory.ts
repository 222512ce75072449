import { readFileSync } from "node:fs";

/** Resident set size of `pid` in bytes (VmRSS), or NaN once the process is gone. */
export function rssBytes(pid: number): number {
  try {
    const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match ? Number(match[1]) * 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

export interface MemoryVerdict {
  warmupSeconds: number;
  windowSeconds: number;
  first: WindowSummary;
  last: WindowSummary;
  /** last.floor / first.floor − 1. */
  growth: number;
  /** The growth allowed for windows this long (growthLimit). */
  limit: number;
  flat: boolean;
}

export interface WindowSummary {
  min: number;
  median: number;
  max: number;
  /** The median of the window's per-second minima: where RSS lands after the collector ran. */
  floor: number;
}

/**
 * Allowed growth of the floor from the first window after warm-up to the last window: 10% for windows of ten
 * seconds (a run of 24 s or more). Shorter windows hold fewer seconds' minima, and their floors differed by
 * up to ±9% between runs with nothing kept (10 s runs), so they are allowed 20%: still far below what a
 * real leak does in such a run (keeping every message received: +52% to +61% in a 20 s run).
 */
export function growthLimit(windowSeconds: number): number {
  return windowSeconds >= 10 ? 0.1 : 0.2;
}
/** RSS is read this many times a second: each second then holds the low point of a collection. */
export const SAMPLES_PER_SECOND = 10;

/**
 * "Flat": RSS's floor over the last ten seconds is within 10% of its floor over the first ten after a
 * warm-up of ten seconds. The garbage collector makes RSS a saw (70 to 115 MiB within a second here), and
 * how high a tooth reaches says how much garbage there was, not what is kept: judged by the windows'
 * medians, runs with nothing kept differed by up to ±10% (CI once failed a 10 s run on +17%). What a leak
 * raises is the floor, the low point each second reaches after a collection, so a window is taken by the
 * median of its seconds' minima. Shorter runs scale down: warm-up a fifth of the run (at least 2 s: the
 * heap's first growth), windows half the rest, and the limit widens (growthLimit).
 */
export function judgeMemory(samples: number[]): MemoryVerdict {
  const seconds = Math.floor(samples.length / SAMPLES_PER_SECOND);
  const warmupSeconds = Math.min(10, Math.max(2, Math.floor(seconds / 5)));
  const windowSeconds = Math.max(1, Math.min(10, Math.floor((seconds - warmupSeconds) / 2)));
  const at = (second: number) => second * SAMPLES_PER_SECOND;
  const first = summarize(samples.slice(at(warmupSeconds), at(warmupSeconds + windowSeconds)));
  const last = summarize(samples.slice(at(seconds - windowSeconds), at(seconds)));
  const growth = last.floor / first.floor - 1;
  const limit = growthLimit(windowSeconds);
  return { warmupSeconds, windowSeconds, first, last, growth, limit, flat: growth <= limit };
}

/** The median of each whole second's samples, for the report. */
export function perSecondMedians(samples: number[]): number[] {
  return eachSecond(samples).map(median);
}

/** The lowest sample of each whole second. */
export function perSecondMinima(samples: number[]): number[] {
  return eachSecond(samples).map((second) => Math.min(...second));
}

function eachSecond(samples: number[]): number[][] {
  const out: number[][] = [];
  for (let at = 0; at + SAMPLES_PER_SECOND <= samples.length; at += SAMPLES_PER_SECOND) {
    out.push(samples.slice(at, at + SAMPLES_PER_SECOND));
  }
  return out;
}

function summarize(values: number[]): WindowSummary {
  return {
    min: Math.min(...values),
    median: median(values),
    max: Math.max(...values),
    floor: median(perSecondMinima(values)),
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length / 2;
  return sorted.length % 2 === 1
    ? (sorted[Math.floor(middle)] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/** CPU time (user + system) `pid` has used so far, in seconds, or NaN once it is gone. */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const ticks = Number(fields[11]) + Number(fields[12]);
    return ticks / CLOCK_TICKS_PER_SECOND;
  } catch {
    return Number.NaN;
  }
}

/** USER_HZ: 100 on every Linux this runs on (getconf CLK_TCK). */
const CLOCK_TICKS_PER_SECOND = 100;
