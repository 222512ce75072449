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
  /** last.median / first.median − 1. */
  growth: number;
  flat: boolean;
}

export interface WindowSummary {
  min: number;
  median: number;
  max: number;
}

/** Allowed growth from the first window after warm-up to the last window. */
export const MAX_GROWTH = 0.1;
/** RSS is read this many times a second: a window's median then spans several garbage-collection cycles. */
export const SAMPLES_PER_SECOND = 10;

/**
 * "Flat": RSS over the last ten seconds is within 10% of RSS over the first ten after a warm-up of ten
 * seconds. The garbage collector makes RSS a saw (±15% within a second here), so each window is taken by
 * the median of its samples (SAMPLES_PER_SECOND a second), which a single tooth does not move. Shorter
 * runs scale down: warm-up a fifth of the run (at least 2 s: the heap's first growth), windows half the rest.
 */
export function judgeMemory(samples: number[]): MemoryVerdict {
  const seconds = Math.floor(samples.length / SAMPLES_PER_SECOND);
  const warmupSeconds = Math.min(10, Math.max(2, Math.floor(seconds / 5)));
  const windowSeconds = Math.max(1, Math.min(10, Math.floor((seconds - warmupSeconds) / 2)));
  const at = (second: number) => second * SAMPLES_PER_SECOND;
  const first = summarize(samples.slice(at(warmupSeconds), at(warmupSeconds + windowSeconds)));
  const last = summarize(samples.slice(at(seconds - windowSeconds), at(seconds)));
  const growth = last.median / first.median - 1;
  return { warmupSeconds, windowSeconds, first, last, growth, flat: growth <= MAX_GROWTH };
}

/** The median of each whole second's samples, for the report. */
export function perSecondMedians(samples: number[]): number[] {
  const out: number[] = [];
  for (let at = 0; at + SAMPLES_PER_SECOND <= samples.length; at += SAMPLES_PER_SECOND) {
    out.push(summarize(samples.slice(at, at + SAMPLES_PER_SECOND)).median);
  }
  return out;
}

function summarize(values: number[]): WindowSummary {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length / 2;
  const median =
    sorted.length % 2 === 1
      ? (sorted[Math.floor(middle)] as number)
      : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
  return { min: sorted[0] as number, median, max: sorted[sorted.length - 1] as number };
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
