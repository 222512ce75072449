import { type FrameType, frameTypeName, HEADER_SIZE, MAX_CONTROL_PAYLOAD } from "../protocol/constants.ts";
import { readU32 } from "../protocol/decoder.ts";
import { ProtocolError } from "../protocol/errors.ts";

/** A handshake frame: its type, and the first bytes of its payload (all a handshake needs of it). */
export interface HandshakeFrame {
  type: FrameType;
  id: number;
  /** The payload, or its first `keep` bytes when it was longer. */
  payload: Uint8Array;
  /** The payload's full length. */
  length: number;
}

/** Bytes of a payload kept: a HELLO needs 78, an ERROR's reason is shown cut to a few hundred characters. */
const KEEP = 1024;

/**
 * Reads the plaintext frames of the handshake (HELLO, CONFIRM, ERROR) one at a time, stopping after each so
 * that the caller can switch to records right after the last one: the bytes after a CONFIRM in the same TCP
 * segment are already the client's first record.
 *
 * It holds at most a header and KEEP bytes: a payload's bytes beyond those (a receiver ignores what follows
 * a HELLO; a long ERROR is cut) are skipped as they arrive, not buffered. So a peer that never completes its
 * handshake costs a few hundred bytes, whatever it sends.
 */
export class HandshakeReader {
  private readonly header = new Uint8Array(HEADER_SIZE);
  private headerFill = 0;
  private payload: Uint8Array | null = null;
  private payloadFill = 0;
  private length = 0;
  private seen = 0;

  constructor(private allowed: readonly FrameType[]) {}

  /** Which types may come next (a state machine narrows them as the handshake goes on). */
  expect(allowed: readonly FrameType[]): void {
    this.allowed = allowed;
  }

  /**
   * Reads from `chunk` at `from`: the first frame completed there and the offset just after it, or null with
   * all of the chunk consumed. Throws ProtocolError for a type that is not expected or an oversized payload.
   */
  read(chunk: Uint8Array, from: number): { frame: HandshakeFrame; end: number } | null {
    let pos = from;
    if (this.payload === null) {
      const take = Math.min(HEADER_SIZE - this.headerFill, chunk.length - pos);
      if (take === 0) return null;
      this.header.set(chunk.subarray(pos, pos + take), this.headerFill);
      if (this.headerFill === 0) this.checkType(this.header[0] as number);
      this.headerFill += take;
      pos += take;
      if (this.headerFill < HEADER_SIZE) return null;
      this.length = readU32(this.header, 5);
      if (this.length > MAX_CONTROL_PAYLOAD) {
        const type = frameTypeName(this.header[0] as number);
        throw new ProtocolError(
          `${type} of ${this.length} bytes exceeds the limit of ${MAX_CONTROL_PAYLOAD} bytes`,
        );
      }
      this.payload = new Uint8Array(Math.min(this.length, KEEP));
      this.payloadFill = 0;
      this.seen = 0;
    }
    const take = Math.min(this.length - this.seen, chunk.length - pos);
    const keep = Math.min(take, this.payload.length - this.payloadFill);
    if (keep > 0) {
      this.payload.set(chunk.subarray(pos, pos + keep), this.payloadFill);
      this.payloadFill += keep;
    }
    this.seen += take;
    pos += take;
    if (this.seen < this.length) return null;
    const frame: HandshakeFrame = {
      type: this.header[0] as FrameType,
      id: readU32(this.header, 1),
      payload: this.payload,
      length: this.length,
    };
    this.payload = null;
    this.payloadFill = 0;
    this.headerFill = 0;
    return { frame, end: pos };
  }

  /** Bytes held of an incomplete frame. */
  get bufferedBytes(): number {
    return this.headerFill + this.payloadFill;
  }

  private checkType(type: number): void {
    if (this.allowed.includes(type as FrameType)) return;
    const expected = this.allowed.map(frameTypeName).join(" or ");
    throw new ProtocolError(`unexpected ${frameTypeName(type)} in the handshake: expected ${expected}`);
  }
}
