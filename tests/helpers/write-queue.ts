/** What a WriteQueue writes to: a Bun socket, whose `write` may take only part of a buffer (or none: -1). */
export interface PartialWriter {
  write(bytes: Uint8Array): number;
  end(): void;
}

/**
 * Writes chunks to a socket in order: what `write` does not take now is written on the socket's `drain`
 * (call `flush` then). Once everything queued is written, the socket is ended if `endAfterQueue` was called,
 * and the `onDrained` hooks run, once each.
 */
export class WriteQueue {
  private readonly chunks: Uint8Array[] = [];
  private ending = false;
  private drained: (() => void)[] = [];

  constructor(private readonly socket: PartialWriter) {}

  /** Nothing waits to be written. */
  get empty(): boolean {
    return this.chunks.length === 0;
  }

  send(bytes: Uint8Array): void {
    this.chunks.push(bytes);
    this.flush();
  }

  flush(): void {
    while (this.chunks.length > 0) {
      const chunk = this.chunks[0] as Uint8Array;
      const written = this.socket.write(chunk);
      if (written < 0) return; // closing
      if (written < chunk.length) {
        this.chunks[0] = chunk.subarray(written);
        return; // the rest on `drain`
      }
      this.chunks.shift();
    }
    if (this.ending) this.socket.end();
    for (const then of this.drained.splice(0)) then();
  }

  /** Ends the socket once what is queued has been written. */
  endAfterQueue(): void {
    this.ending = true;
    this.flush();
  }

  /** Runs `then` the next time the queue has been written out (not now, even when it is empty). */
  onDrained(then: () => void): void {
    this.drained.push(then);
  }

  /** Runs the `onDrained` hooks now, whatever is still queued (the socket closed: nothing more is written). */
  releaseDrained(): void {
    for (const then of this.drained.splice(0)) then();
  }
}
