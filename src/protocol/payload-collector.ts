import { ByteParts, type Bytes } from "./bytes.ts";

/** Pieces at least this long are kept as they are; shorter ones are copied together. */
const KEPT_PIECE = 64 * 1024;

/**
 * Collects the payload of one frame that spans received chunks, `length` bytes (announced by a header the
 * decoder has already checked against its limits).
 *
 * A large payload is kept as the pieces it arrived in (views of the received chunks), not copied into one
 * array of its full length: for a 256 MiB message that copy, into 256 MiB of fresh memory, was most of the
 * receiver's work (docs/performance.md). Pieces shorter than KEPT_PIECE are copied into a small buffer
 * instead, so that a peer trickling bytes cannot make this hold an object per byte, nor a large chunk for a
 * few of its bytes: what is held stays within the payload's length plus the chunk before and after it and
 * one small buffer. A payload shorter than KEPT_PIECE thus ends up as one array of exactly its length.
 *
 * Keeping views means the chunks must not change after they were handed over: the transport must give
 * every read its own buffer (Bun does).
 */
export class PayloadCollector {
  private readonly parts: Uint8Array[] = [];
  private collected = 0;
  // The buffer short pieces are copied into; [smallStart, smallEnd) of it is not yet in `parts`.
  private small: Uint8Array | null = null;
  private smallStart = 0;
  private smallEnd = 0;

  constructor(readonly length: number) {}

  /** Bytes collected so far. */
  get size(): number {
    return this.collected;
  }

  /** Adds the next piece; it must not take the payload past `length`. */
  add(piece: Uint8Array): void {
    this.collected += piece.length;
    if (piece.length >= KEPT_PIECE) {
      this.endSmall();
      this.parts.push(piece);
      return;
    }
    let rest = piece;
    while (rest.length > 0) {
      if (!this.small || this.smallEnd === this.small.length) {
        this.endSmall();
        // Never larger than what is still to come, so a short payload gets one array of its exact length.
        const toCome = rest.length + (this.length - this.collected);
        this.small = new Uint8Array(Math.min(KEPT_PIECE, toCome));
        this.smallStart = 0;
        this.smallEnd = 0;
      }
      const take = Math.min(rest.length, this.small.length - this.smallEnd);
      this.small.set(take === rest.length ? rest : rest.subarray(0, take), this.smallEnd);
      this.smallEnd += take;
      rest = rest.subarray(take);
    }
  }

  /** The whole payload, once `size` has reached `length`. */
  take(): Bytes {
    this.endSmall();
    const parts = this.parts;
    return parts.length === 1 ? (parts[0] as Uint8Array) : new ByteParts(parts);
  }

  /** Moves what the small buffer gathered onto the parts; the rest of that buffer is used for later pieces. */
  private endSmall(): void {
    if (this.small && this.smallEnd > this.smallStart) {
      this.parts.push(this.small.subarray(this.smallStart, this.smallEnd));
      this.smallStart = this.smallEnd;
    }
  }
}
