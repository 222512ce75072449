import { ByteRange, type Bytes } from "./bytes.ts";
import { type FrameType, HEADER_SIZE } from "./constants.ts";

export const EMPTY = new Uint8Array(0);

/** Writes a frame header at `offset` of `target`. */
export function writeHeader(
  target: Uint8Array,
  offset: number,
  type: FrameType,
  id: number,
  length: number,
): void {
  target[offset] = type;
  target[offset + 1] = id >>> 24;
  target[offset + 2] = id >>> 16;
  target[offset + 3] = id >>> 8;
  target[offset + 4] = id;
  target[offset + 5] = length >>> 24;
  target[offset + 6] = length >>> 16;
  target[offset + 7] = length >>> 8;
  target[offset + 8] = length;
}

/** A u32 payload (SESSION's window, RESUME's last id), big-endian. */
export function encodeU32(value: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, value);
  return out;
}

/** A u64 payload (FILE_PROGRESS's bytes), big-endian. */
export function encodeU64(value: number): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt(value));
  return out;
}

/** One frame as one fresh byte array. Convenient for tests and one-off frames; the session uses FrameWriter. */
export function encodeFrame(type: FrameType, id: number, payload: Uint8Array = EMPTY): Uint8Array {
  const out = new Uint8Array(HEADER_SIZE + payload.length);
  writeHeader(out, 0, type, id, payload.length);
  out.set(payload, HEADER_SIZE);
  return out;
}

/** Payloads at least this large are passed on by reference instead of being copied into the shared block. */
const COPY_LIMIT = 16 * 1024;
const BLOCK_SIZE = 64 * 1024;

/**
 * Collects outgoing frames as a few large byte arrays, so that a burst of frames (say, the ACKs for every
 * MSG in one received chunk) leaves in one socket write rather than one write per frame.
 *
 * Small frames are copied into a shared block; a large payload is never copied: its header goes into the
 * block and the payload itself is queued by reference (a payload in parts, part by part). `take()` hands out
 * views of the block that are never written again, so the transport may hold them as long as it needs to.
 */
export class FrameWriter {
  private block = new Uint8Array(BLOCK_SIZE);
  private start = 0; // first byte of the block not yet taken
  private end = 0; // first free byte of the block
  private chunks: Uint8Array[] = [];
  private queued = 0;

  /** Bytes written and not yet taken. */
  get pendingBytes(): number {
    return this.queued + (this.end - this.start);
  }

  frame(type: FrameType, id: number, payload: Bytes = EMPTY): void {
    // A small frame's header and payload go into the block together.
    this.reserve(HEADER_SIZE + (payload.length < COPY_LIMIT ? payload.length : 0));
    writeHeader(this.block, this.end, type, id, payload.length);
    this.end += HEADER_SIZE;
    if (payload instanceof Uint8Array) this.append(payload);
    else if (payload instanceof ByteRange) this.append(payload.view());
    else for (const part of payload.parts) this.append(part);
  }

  /** Everything written since the last call, in order; empty when there is nothing. */
  take(): Uint8Array[] {
    this.cut();
    const out = this.chunks;
    this.chunks = [];
    this.queued = 0;
    return out;
  }

  private append(bytes: Uint8Array): void {
    if (bytes.length >= COPY_LIMIT) {
      this.cut();
      this.chunks.push(bytes);
      this.queued += bytes.length;
    } else if (bytes.length > 0) {
      // (Skipped for the empty payload of every ACK: even an empty `set` is a call into native code.)
      this.reserve(bytes.length);
      this.block.set(bytes, this.end);
      this.end += bytes.length;
    }
  }

  /** Moves the untaken part of the block onto the chunk list. */
  private cut(): void {
    if (this.end > this.start) {
      this.chunks.push(this.block.subarray(this.start, this.end));
      this.queued += this.end - this.start;
      this.start = this.end;
    }
  }

  private reserve(bytes: number): void {
    if (this.end + bytes <= this.block.length) return;
    this.cut();
    this.block = new Uint8Array(Math.max(BLOCK_SIZE, bytes));
    this.start = 0;
    this.end = 0;
  }
}
