/**
 * Whether the Disk reads a file being sent, or writes one being received, from the main thread (a
 * synchronous call) or through the runtime's thread pool (an asynchronous one). Pure: the caller gives the
 * time. The Disk keeps one for its reads and one for its writes (a file is sent from one disk and received
 * onto another).
 *
 * Why both. A read from the page cache or a write into it is a copy: ~0.1 ms for the 512 KiB the sender
 * reads ahead. Handing each to a pool thread costs more than that in wake-ups and context switches, on the
 * CPU the two programs of a transfer are already short of: on this 2-CPU machine, a 1 GiB loopback transfer
 * went ~10 % faster with them inline (docs/performance.md, "Files"). But a call can also block: a cold read
 * from a slow disk, a full disk, the kernel throttling a writer that has dirtied too much memory (up to
 * ~200 ms a call, again and again). Inline, that stalls the chat and its acknowledgements as long. So the
 * first call that takes longer than `slowMs` sends every later one to the pool, where a slow disk delays
 * only the file: at most one slow call holds the chat up, per session and direction.
 *
 * What this cannot help: a call that never returns (a network file system whose server stopped answering)
 * freezes the program if it is made inline; on the pool it froze only the transfer.
 */
export interface InlineIoOptions {
  /** A call that took longer than this (ms) is slow (default 10; negative: every call is). */
  slowMs?: number;
}

const DEFAULT_SLOW_MS = 10;

export class InlineIo {
  private readonly slowMs: number;
  /** False once a call was slow: from then on, every call goes to the pool. */
  private inlineOk = true;

  constructor(options: InlineIoOptions = {}) {
    this.slowMs = options.slowMs ?? DEFAULT_SLOW_MS;
  }

  /** Whether the next call runs inline. */
  get inline(): boolean {
    return this.inlineOk;
  }

  /** An inline call that started at `started` returned (or threw) at `now`. */
  took(started: number, now: number): void {
    if (now - started > this.slowMs) this.inlineOk = false;
  }
}
