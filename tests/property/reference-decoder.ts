/**
 * A deliberately naive decoder for the differential properties: it sees the whole stream at once and walks it
 * frame by frame, with the rules of docs/protocol.md written out again (not shared with src/protocol), so the
 * incremental FrameDecoder can be compared against it on any input.
 */
import { HEADER_SIZE, isFrameType } from "../../src/protocol/constants.ts";
import { type FrameSpec, payloadLimit } from "./arbitraries.ts";

export interface ReferenceResult {
  /** The complete frames before the end of the stream or the first violation. */
  frames: FrameSpec[];
  /** The first violation, if any: what it is. */
  violation: "unknown-type" | "first-frame" | "too-long" | null;
  /**
   * What an incremental decoder must still hold of an incomplete last frame (when there is no violation): the
   * bytes of a partial header, or the payload bytes received after a complete header (the header itself has
   * been read into fields by then).
   */
  held: number;
}

export function referenceDecode(
  bytes: Uint8Array,
  maxMessage: number,
  firstFrame: readonly number[] | undefined,
): ReferenceResult {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const frames: FrameSpec[] = [];
  let at = 0;
  while (at < bytes.length) {
    const type = bytes[at] as number;
    if (!isFrameType(type)) return { frames, violation: "unknown-type", held: 0 };
    if (frames.length === 0 && firstFrame && !firstFrame.includes(type)) {
      return { frames, violation: "first-frame", held: 0 };
    }
    if (bytes.length - at < HEADER_SIZE) return { frames, violation: null, held: bytes.length - at };
    const id = view.getUint32(at + 1);
    const length = view.getUint32(at + 5);
    if (length > payloadLimit(type, maxMessage)) return { frames, violation: "too-long", held: 0 };
    if (bytes.length - at - HEADER_SIZE < length) {
      return { frames, violation: null, held: bytes.length - at - HEADER_SIZE };
    }
    frames.push({ type, id, payload: bytes.slice(at + HEADER_SIZE, at + HEADER_SIZE + length) });
    at += HEADER_SIZE + length;
  }
  return { frames, violation: null, held: 0 };
}
