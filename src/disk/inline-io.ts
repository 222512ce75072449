/**
 * Whether the Disk reads a file being sent, or writes one being received, from the main thread (a
 * synchronous call) or through the runtime's thread pool (an asynchronous one). Pure: the caller gives the
 * time. The Disk keeps one for its reads and one for its writes (a file is sent from one disk and received
 * onto another).
 *
 * Why both. A read from the page cache or a write into it is a copy: ~0.1 ms for the 512 KiB the sender
 * reads ahead. Handing each to a pool thread costs more than that in wake-ups and context switches, on the
 * CPU the two programs of a transfer are already short of: on this 2-CPU machine, a 1 GiB loopback transfer
 * went ~15 % faster with them inline (docs/performance.md, "Files"). But a call can also block: a cold read
 * from a slow disk, a full disk, the kernel throttling a writer that has dirtied too much memory (hundreds
 * of milliseconds a call). Inline, that would stall the chat and its acknowledgements as long. So a call
 * that took longer than `slowMs` sends the calls of the next `pauseMs` to the pool, where a slow disk delays
 * only the file; then the next call tries inline again. At worst, one slow call in each pause holds the
 * chat up.
 */
export interface InlineIoOptions {
  /** A call that took longer than this (ms) is slow (default 10; negative: every call is). */
  slowMs?: number;
  /** After a slow call, this long (ms) with calls on the pool (default 2000). */
  pauseMs?: number;
}

const DEFAULT_SLOW_MS = 10;
const DEFAULT_PAUSE_MS = 2000;

export class InlineIo {
  private readonly slowMs: number;
  private readonly pauseMs: number;
  /** Until when (the caller's clock, ms) calls go to the pool. */
  private pausedUntil = Number.NEGATIVE_INFINITY;

  constructor(options: InlineIoOptions = {}) {
    this.slowMs = options.slowMs ?? DEFAULT_SLOW_MS;
    this.pauseMs = options.pauseMs ?? DEFAULT_PAUSE_MS;
  }

  /** Whether a call starting at `now` runs inline. */
  inline(now: number): boolean {
    return now >= this.pausedUntil;
  }

  /** An inline call that started at `started` returned (or threw) at `now`. */
  took(started: number, now: number): void {
    if (now - started > this.slowMs) this.pausedUntil = now + this.pauseMs;
  }
}
