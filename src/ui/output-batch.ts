/** Pieces at least this large are written on their own instead of being copied into the batch. */
const COPY_LIMIT = 64 * 1024;

/**
 * Gathers what one burst of work has to say on a stream (all the messages of one received chunk, all the
 * `sent` events of one stdin chunk) and writes it with one `write` when `flush()` is called, so a burst of
 * small messages costs one system call, not one each.
 */
export class OutputBatch {
  private pieces: Uint8Array[] = [];
  private size = 0;
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
    const bytes = typeof piece === "string" ? Buffer.from(piece) : piece;
    if (bytes.length >= COPY_LIMIT) {
      this.flush();
      this.write(bytes);
      return;
    }
    this.pieces.push(bytes);
    this.size += bytes.length;
  }

  flush(): void {
    if (this.size === 0) return;
    const data =
      this.pieces.length === 1 ? (this.pieces[0] as Uint8Array) : Buffer.concat(this.pieces, this.size);
    this.pieces = [];
    this.size = 0;
    this.write(data);
  }

  /** Resolves when the stream has taken what it was given (at once when it is not backed up). */
  drained(): Promise<void> {
    if (!this.backedUp) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private write(data: Uint8Array): void {
    if (!this.stream.write(data)) this.backedUp = true;
  }
}
