/**
 * Building and reading frames by hand, for the tests of src/protocol and src/core. Deliberately independent
 * of FrameWriter and the decoder where it matters: `rawFrame` writes a header byte by byte, so a test can
 * announce a length that does not match the payload, or a type that does not exist.
 */
import { type Bytes, flat } from "../../src/protocol/bytes.ts";
import { FrameType, HEADER_SIZE, MAGIC, PROTOCOL_VERSION } from "../../src/protocol/constants.ts";
import { type DecoderOptions, type Frame, FrameDecoder } from "../../src/protocol/decoder.ts";

export const textEncoder = new TextEncoder();
export const utf8 = (text: string): Uint8Array => textEncoder.encode(text);

/** A header with any type, id and announced length (nothing checked), followed by `payload` as given. */
export function rawFrame(
  type: number,
  id: number,
  announced: number,
  payload: Uint8Array = new Uint8Array(0),
): Uint8Array {
  const out = new Uint8Array(HEADER_SIZE + payload.length);
  const view = new DataView(out.buffer);
  view.setUint8(0, type);
  view.setUint32(1, id);
  view.setUint32(5, announced);
  out.set(payload, HEADER_SIZE);
  return out;
}

/** A well-formed frame, built without the encoder under test. */
export const frameBytes = (type: number, id: number, payload: Uint8Array = new Uint8Array(0)): Uint8Array =>
  rawFrame(type, id, payload.length, payload);

export interface HelloParts {
  magic?: Uint8Array;
  version?: number;
  /** Bytes after the 12 that version 1 defines (a receiver ignores them). */
  extra?: Uint8Array;
}

/** A HELLO payload with any magic, version and max_message, plus optional trailing bytes. */
export function helloPayload(maxMessage: number, parts: HelloParts = {}): Uint8Array {
  const { magic = MAGIC, version = PROTOCOL_VERSION, extra = new Uint8Array(0) } = parts;
  const out = new Uint8Array(magic.length + 1 + 4 + extra.length);
  out.set(magic, 0);
  out[magic.length] = version;
  new DataView(out.buffer).setUint32(magic.length + 1, maxMessage);
  out.set(extra, magic.length + 5);
  return out;
}

export const helloFrame = (maxMessage: number, parts?: HelloParts): Uint8Array =>
  frameBytes(FrameType.HELLO, 0, helloPayload(maxMessage, parts));

export function concat(parts: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const part of parts) length += part.length;
  const out = new Uint8Array(length);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** A frame as plain data, its payload copied, so it can be compared with toEqual after the callback. */
export interface PlainFrame {
  type: number;
  id: number;
  payload: number[];
}

export const plain = (frame: Frame): PlainFrame => ({
  type: frame.type,
  id: frame.id,
  payload: Array.from(flat(frame.payload)),
});

/** Feeds `chunks` to a fresh decoder and returns every frame it produced. */
export function decodeChunks(chunks: readonly Uint8Array[], options: DecoderOptions): PlainFrame[] {
  const decoder = new FrameDecoder(options);
  const frames: PlainFrame[] = [];
  for (const chunk of chunks) decoder.push(chunk, (frame) => frames.push(plain(frame)));
  return frames;
}

/** Every frame in a byte stream, for reading what a Session wrote (throws if it is not a frame sequence). */
export function decodeOutput(chunks: readonly Uint8Array[]): PlainFrame[] {
  return decodeChunks(chunks, { maxMessage: 0xffff_ffff });
}

/** `bytes` cut at the given positions (sorted, each from 0 to bytes.length). */
export function cutAt(bytes: Uint8Array, positions: readonly number[]): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  let from = 0;
  for (const to of positions) {
    chunks.push(bytes.subarray(from, to));
    from = to;
  }
  chunks.push(bytes.subarray(from));
  return chunks;
}

export const decodeText = (bytes: Bytes | number[]): string =>
  new TextDecoder().decode(Array.isArray(bytes) ? new Uint8Array(bytes) : flat(bytes));
