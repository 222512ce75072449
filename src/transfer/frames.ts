import { ByteParts } from "../protocol/bytes.ts";
import { encodeU32, encodeU64 } from "../protocol/encoder.ts";
import { ProtocolError } from "../protocol/errors.ts";

/**
 * The payloads of version 2's file frames (protocol-v2 section 4), encoded and read back. Sizes are 64-bit
 * on the wire; here they are numbers, which hold any size up to 2^53 − 1 (8 PiB) exactly: a larger one is
 * refused as unsupported rather than rounded.
 */

const utf8 = new TextEncoder();
const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

export interface FileOffer {
  totalBytes: number;
  entries: number;
  name: string;
}

export interface FileAnswer {
  accept: boolean;
  resumeFrom: number;
  /** SHA-256 of the held part of the entry resume_from falls in (zeros when that part is empty). */
  prefixSha256: Uint8Array;
  reason: string;
}

export interface FileEntry {
  kind: "file" | "folder";
  mode: number;
  size: number;
  offset: number;
  path: string;
}

/** FILE_CANCEL's side: 0, a transfer the frame's sender is sending; 1, one it is receiving. */
export type CancelSide = 0 | 1;

export interface FileCancel {
  side: CancelSide;
  reason: string;
}

export const SHA256_SIZE = 32;
export const MAX_NAME_BYTES = 255;
export const ZERO_HASH = new Uint8Array(SHA256_SIZE);

class Writer {
  private readonly parts: Uint8Array[] = [];

  u8(value: number): this {
    return this.bytes(Uint8Array.of(value));
  }

  u16(value: number): this {
    const out = new Uint8Array(2);
    new DataView(out.buffer).setUint16(0, value);
    return this.bytes(out);
  }

  u32(value: number): this {
    return this.bytes(encodeU32(value));
  }

  u64(value: number): this {
    return this.bytes(encodeU64(value));
  }

  bytes(value: Uint8Array): this {
    this.parts.push(value);
    return this;
  }

  text(value: string): this {
    return this.bytes(utf8.encode(value));
  }

  done(): Uint8Array {
    return new ByteParts(this.parts).join();
  }
}

class Reader {
  private at = 0;
  private readonly view: DataView;

  constructor(
    private readonly payload: Uint8Array,
    private readonly frame: string,
  ) {
    this.view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  }

  private need(bytes: number): void {
    if (this.at + bytes > this.payload.length) {
      throw new ProtocolError(`malformed ${this.frame}: ${this.payload.length} bytes is too short`);
    }
  }

  u8(): number {
    this.need(1);
    return this.view.getUint8(this.at++);
  }

  u16(): number {
    this.need(2);
    const value = this.view.getUint16(this.at);
    this.at += 2;
    return value;
  }

  u32(): number {
    this.need(4);
    const value = this.view.getUint32(this.at);
    this.at += 4;
    return value;
  }

  u64(what: string): number {
    this.need(8);
    const value = this.view.getBigUint64(this.at);
    this.at += 8;
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new ProtocolError(`${this.frame}: ${what} of ${value} bytes is more than this side supports`);
    }
    return Number(value);
  }

  bytes(length: number): Uint8Array {
    this.need(length);
    const value = this.payload.slice(this.at, this.at + length);
    this.at += length;
    return value;
  }

  /** The rest, as UTF-8 text; invalid UTF-8 is malformed. */
  rest(what: string): string {
    const value = this.payload.subarray(this.at);
    this.at = this.payload.length;
    try {
      return strictUtf8.decode(value);
    } catch {
      throw new ProtocolError(`malformed ${this.frame}: the ${what} is not UTF-8`);
    }
  }
}

export function encodeOffer(offer: FileOffer): Uint8Array {
  return new Writer().u64(offer.totalBytes).u32(offer.entries).text(offer.name).done();
}

export function parseOffer(payload: Uint8Array): FileOffer {
  const r = new Reader(payload, "FILE_OFFER");
  const totalBytes = r.u64("total_bytes");
  const entries = r.u32();
  const name = r.rest("name");
  if (utf8.encode(name).length > MAX_NAME_BYTES) {
    throw new ProtocolError(`malformed FILE_OFFER: the name is longer than ${MAX_NAME_BYTES} bytes`);
  }
  return { totalBytes, entries, name };
}

export function encodeAnswer(answer: FileAnswer): Uint8Array {
  return new Writer()
    .u8(answer.accept ? 1 : 0)
    .u64(answer.resumeFrom)
    .bytes(answer.prefixSha256)
    .text(answer.reason)
    .done();
}

export function parseAnswer(payload: Uint8Array): FileAnswer {
  const r = new Reader(payload, "FILE_ANSWER");
  const accept = r.u8();
  if (accept > 1) throw new ProtocolError(`malformed FILE_ANSWER: accept is ${accept}`);
  const resumeFrom = r.u64("resume_from");
  const prefixSha256 = r.bytes(SHA256_SIZE);
  return { accept: accept === 1, resumeFrom, prefixSha256, reason: r.rest("reason") };
}

export function encodeEntry(entry: FileEntry): Uint8Array {
  return new Writer()
    .u8(entry.kind === "file" ? 0 : 1)
    .u16(entry.mode)
    .u64(entry.size)
    .u64(entry.offset)
    .text(entry.path)
    .done();
}

export function parseEntry(payload: Uint8Array): FileEntry {
  const r = new Reader(payload, "FILE_ENTRY");
  const kind = r.u8();
  if (kind > 1) throw new ProtocolError(`malformed FILE_ENTRY: unknown kind ${kind}`);
  const mode = r.u16();
  const size = r.u64("size");
  const offset = r.u64("offset");
  return { kind: kind === 0 ? "file" : "folder", mode, size, offset, path: r.rest("path") };
}

/** FILE_PROGRESS: the bytes of the transfer written to disk so far (encodeU64 of protocol/encoder.ts). */
export function parseProgress(payload: Uint8Array): number {
  const r = new Reader(payload, "FILE_PROGRESS");
  return r.u64("bytes");
}

export function parseSum(payload: Uint8Array): Uint8Array {
  if (payload.length !== SHA256_SIZE) {
    throw new ProtocolError(`malformed FILE_SUM: ${payload.length} bytes, expected ${SHA256_SIZE}`);
  }
  return payload.slice();
}

export function encodeCancel(cancel: FileCancel): Uint8Array {
  return new Writer().u8(cancel.side).text(cancel.reason).done();
}

export function parseCancel(payload: Uint8Array): FileCancel {
  const r = new Reader(payload, "FILE_CANCEL");
  const side = r.u8();
  if (side > 1) throw new ProtocolError(`malformed FILE_CANCEL: side is ${side}`);
  // A reason that is not UTF-8 is shown escaped rather than refused: the transfer ends either way.
  return { side: side as CancelSide, reason: new TextDecoder().decode(payload.subarray(1)) };
}
