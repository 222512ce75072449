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
  private readonly spares: Block[] = [];
  private start = 0; // first byte of the block not yet written out
  private end = 0; // first free byte of the block
  private backedUp = false;
  private waiters: (() => void)[] = [];

  constructor(private readonly stream: NodeJS.WritableStream) {
    stream.on("drain", () => {
      this.backedUp = false;
      for (const wake of this.waiters.splice(0)) wake();
    });
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
      // Copied byte by byte: cheaper than a call into native code for the few bytes of a JSON key.
      const block = this.block;
      let at = this.end;
      for (let i = 0; i < piece.length; i++) block[at++] = piece[i] as number;
    } else {
      this.block.set(piece, this.end);
    }
    this.end += piece.length;
  }

  /** Writes a whole number from 0 to 2^53 in decimal, as JSON and `String(n)` would, without making a string. */
  pushInteger(n: number): void {
    this.reserve(MAX_SAFE_DIGITS);
    let digits = 1;
    for (let power = 10; power <= n; power *= 10) digits++;
    let at = this.end + digits;
    this.end = at;
    let rest = n;
    do {
      const digit = rest % 10;
      this.block[--at] = 0x30 + digit;
      rest = (rest - digit) / 10;
    } while (rest > 0);
  }

  flush(): void {
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

  /** Resolves when the stream has taken what it was given (at once when it is not backed up). */
  drained(): Promise<void> {
    if (!this.backedUp) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
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
    this.start = 0;
    this.end = 0;
  }

  private recycle(block: Block): void {
    if (this.spares.length < SPARE_BLOCKS) this.spares.push(block);
  }

  private write(data: Uint8Array, done?: () => void): void {
    if (!this.stream.write(data, done)) this.backedUp = true;
  }
}

interface Block {
  bytes: Buffer;
  /** Writes of this block the stream has not called back for yet. */
  writing: number;
  /** Full: once nothing of it is being written, it may be reused. */
  retired: boolean;
}

const newBlock = (): Block => ({ bytes: Buffer.allocUnsafe(BLOCK_SIZE), writing: 0, retired: false });
