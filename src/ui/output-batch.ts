import { ByteRange, type Bytes } from "../protocol/bytes.ts";

/** Pieces at least this large are written on their own instead of being copied into the batch. */
const COPY_LIMIT = 64 * 1024;
const BLOCK_SIZE = 256 * 1024;
/** Written-out blocks kept for reuse, at most. */
const SPARE_BLOCKS = 8;
/** Pieces up to this size are copied in a loop rather than by `set`. */
const SMALL_PIECE = 32;
/** Digits of Number.MAX_SAFE_INTEGER. */
const MAX_SAFE_DIGITS = 16;

/**
 * Gathers what one burst of work has to say on a stream (all the messages of one received chunk, all the
 * `sent` events of one stdin chunk) and writes it with one `write` when `flush()` is called, so a burst of
 * small messages costs one system call, not one each.
 *
 * Pieces are copied (text encoded) straight into one block of memory: at a million small events a second,
 * a Buffer per piece, or encoding a long string at the end, cost more than everything else the program
 * does with a message (docs/performance.md). What was handed to the stream is not written again until the
 * stream has called back for it; a full block is written out and the next one started. Blocks are reused
 * once the stream is done with them, since a fresh block costs a page fault per 4 KiB on first use.
 */
export class OutputBatch {
  private current = newBlock();
  private block = this.current.bytes;
  /** The block as a DataView, to write four bytes at a time. */
  private blockView = dataViewOf(this.block);
  private readonly spares: Block[] = [];
  private start = 0; // first byte of the block not yet written out
  private end = 0; // first free byte of the block
  private backedUp = false;
  private waiters: (() => void)[] = [];
  /** Writes given to the stream, and of those the ones it has called back for: handed to the OS. */
  private writesIssued = 0;
  private writesDone = 0;
  /** `handedOver()` promises, each with the count of writes it waits for, in that order. */
  private handoverWaiters: { writes: number; resolve: () => void }[] = [];
  /** Why the stream can take nothing more (its reader went away: EPIPE), once it is so. */
  private closedBy: Error | null = null;
  private onClosed: ((error: Error) => void) | null = null;

  constructor(private readonly stream: NodeJS.WritableStream) {
    stream.on("drain", () => {
      this.backedUp = false;
      for (const wake of this.waiters.splice(0)) wake();
    });
    stream.on("error", (error: Error) => this.closed(error));
  }

  /**
   * Calls `react` once when the stream fails (its reader went away, as when `head` has read enough): what
   * is pushed from then on is dropped. What was in the failed write never reached anyone, so the
   * `handedOver()` promises that wait for it never settle: an ACK means the user has the message.
   *
   * `react` runs in a microtask, never inside the failed `write`: a failure met while a delivery is being
   * handed over must not let the reaction (leaving, which writes out what the session has queued) run
   * before the caller has asked `handedOver()` and held the ACKs of that delivery back.
   */
  whenClosed(react: (error: Error) => void): void {
    this.onClosed = react;
    const closedBy = this.closedBy;
    if (closedBy) queueMicrotask(() => react(closedBy));
  }

  /** True while the stream holds more than its high-water mark. */
  get congested(): boolean {
    return this.backedUp;
  }

  push(piece: Uint8Array | string): void {
    if (typeof piece === "string") {
      // A UTF-8 character takes at most 3 bytes per UTF-16 unit.
      if (piece.length * 3 >= COPY_LIMIT) this.pushLarge(Buffer.from(piece));
      else {
        this.reserve(piece.length * 3);
        this.end += this.block.write(piece, this.end);
      }
      return;
    }
    if (piece.length >= COPY_LIMIT) {
      this.pushLarge(piece);
      return;
    }
    this.reserve(piece.length);
    if (piece.length <= SMALL_PIECE) {
      // Copied byte by byte: cheaper than a call into native code for a few bytes.
      const block = this.block;
      let at = this.end;
      for (let i = 0; i < piece.length; i++) block[at++] = piece[i] as number;
    } else {
      this.block.set(piece, this.end);
    }
    this.end += piece.length;
  }

  /**
   * Bytes in any of their shapes: a range copied from where it lies, parts one by one. (Not a case of `push`:
   * testing for them on every small piece of every JSON event slowed the pipelined benchmark down.)
   */
  pushBytes(bytes: Bytes): void {
    if (bytes instanceof Uint8Array) this.push(bytes);
    else if (bytes instanceof ByteRange) this.pushRange(bytes);
    else for (const part of bytes.parts) this.push(part);
  }

  /** A piece of text that never changes (a JSON key), four bytes at a time: three times faster than by byte. */
  pushFixed(text: FixedText): void {
    const { bytes, words } = text;
    this.reserve(bytes.length);
    const view = this.blockView;
    let at = this.end;
    for (let i = 0; i < words.length; i++, at += 4) view.setUint32(at, words[i] as number, true);
    for (let i = words.length * 4; i < bytes.length; i++) this.block[at++] = bytes[i] as number;
    this.end = at;
  }

  /** Writes a whole number from 0 to 2^53 in decimal, as JSON and `String(n)` would, without making a string. */
  pushInteger(n: number): void {
    this.reserve(MAX_SAFE_DIGITS);
    let digits = 1;
    for (let power = 10; power <= n; power *= 10) digits++;
    let at = this.end + digits;
    this.end = at;
    const block = this.block;
    let rest = n;
    while (rest > 0x7fff_ffff) {
      const digit = rest % 10;
      block[--at] = 0x30 + digit;
      rest = (rest - digit) / 10;
    }
    // The rest (all of any id or length below 2^31) in 32-bit integers: the JIT divides those twice as fast.
    let small = rest | 0;
    do {
      const tens = (small / 10) | 0;
      block[--at] = 0x30 + small - tens * 10;
      small = tens;
    } while (small !== 0);
  }

  flush(): void {
    if (this.closedBy) this.start = this.end = 0; // nobody reads any more
    if (this.end === this.start) return;
    const data = this.block.subarray(this.start, this.end);
    this.start = this.end;
    const block = this.current;
    block.writing++;
    this.write(data, () => {
      block.writing--;
      if (block.retired && block.writing === 0) this.recycle(block);
    });
  }

  /**
   * Null when everything flushed so far is out of this process; otherwise a promise that settles once it is.
   * A stream calls a write back when the write has been handed to the OS: Bun's stdout does so before
   * `write` returns whenever the pipe or terminal took all of it, so only a backed-up stdout gives a promise.
   */
  handedOver(): Promise<void> | null {
    if (this.closedBy) return new Promise(() => {}); // never: see whenClosed
    if (this.writesDone === this.writesIssued) return null;
    const writes = this.writesIssued;
    return new Promise((resolve) => this.handoverWaiters.push({ writes, resolve }));
  }

  /** Resolves when the stream has taken what it was given (at once when it is not backed up). */
  drained(): Promise<void> {
    if (!this.backedUp) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Copies a range straight from its source: `Buffer#copy` needs no view of it, unlike `set`. */
  private pushRange(range: ByteRange): void {
    if (range.length >= COPY_LIMIT) {
      this.pushLarge(range.view());
      return;
    }
    this.reserve(range.length);
    copyBytes.call(range.source, this.block, this.end, range.start, range.start + range.length);
    this.end += range.length;
  }

  /** Written as it is (not copied), after what was gathered before it. */
  private pushLarge(bytes: Uint8Array): void {
    this.flush();
    this.write(bytes);
  }

  /** Makes room for `bytes` more, writing out what the block holds when it is full. */
  private reserve(bytes: number): void {
    if (this.end + bytes <= this.block.length) return;
    this.flush();
    const full = this.current;
    full.retired = true;
    if (full.writing === 0) this.recycle(full);
    this.current = this.spares.pop() ?? newBlock();
    this.current.retired = false;
    this.block = this.current.bytes;
    this.blockView = dataViewOf(this.block);
    this.start = 0;
    this.end = 0;
  }

  private recycle(block: Block): void {
    if (this.spares.length < SPARE_BLOCKS) this.spares.push(block);
  }

  private write(data: Uint8Array, done?: () => void): void {
    if (this.closedBy) return;
    this.writesIssued++;
    const written = (error?: Error | null) => {
      if (error) {
        this.closed(error);
        return;
      }
      this.writesDone++;
      done?.();
      // Streams call writes back in order: the waiters are settled from the front.
      const waiters = this.handoverWaiters;
      while (waiters.length > 0 && (waiters[0] as { writes: number }).writes <= this.writesDone) {
        (waiters.shift() as { resolve: () => void }).resolve();
      }
    };
    try {
      if (!this.stream.write(data, written)) this.backedUp = true;
    } catch (error) {
      // Bun's stdout throws EPIPE from `write` itself when the reading end is closed.
      this.closed(error instanceof Error ? error : new Error(String(error)));
    }
  }

  private closed(error: Error): void {
    if (this.closedBy) return;
    this.closedBy = error;
    this.backedUp = false;
    for (const wake of this.waiters.splice(0)) wake();
    const react = this.onClosed;
    if (react) queueMicrotask(() => react(error));
  }
}

interface Block {
  bytes: Buffer;
  /** Writes of this block the stream has not called back for yet. */
  writing: number;
  /** Full: once nothing of it is being written, it may be reused. */
  retired: boolean;
}

/** Text that never changes, kept as its UTF-8 bytes and as 32-bit words of them, for `pushFixed`. */
export class FixedText {
  readonly bytes: Uint8Array;
  /** The bytes four at a time (little-endian), as far as they go; the last 0 to 3 bytes are not in here. */
  readonly words: Uint32Array;

  constructor(text: string) {
    this.bytes = new TextEncoder().encode(text);
    const view = dataViewOf(this.bytes);
    this.words = Uint32Array.from({ length: this.bytes.length >> 2 }, (_, i) => view.getUint32(i * 4, true));
  }
}

const dataViewOf = (bytes: Uint8Array) => new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);

/** Copies between byte arrays at offsets, without the view of the source that `set` needs. */
const copyBytes = Buffer.prototype.copy;

const newBlock = (): Block => ({ bytes: Buffer.allocUnsafe(BLOCK_SIZE), writing: 0, retired: false });
