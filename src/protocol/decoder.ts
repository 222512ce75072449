import { ByteRange, type Bytes } from "./bytes.ts";
import {
  FrameType,
  frameTypeName,
  HEADER_SIZE,
  isFrameType,
  MAX_CONTROL_PAYLOAD,
  MAX_PING_PAYLOAD,
} from "./constants.ts";
import { EMPTY } from "./encoder.ts";
import { ProtocolError } from "./errors.ts";
import { PayloadCollector } from "./payload-collector.ts";

export interface Frame {
  type: FrameType;
  id: number;
  /**
   * The payload bytes, where they lie: a range of the received chunk when the frame lay whole in it; a short
   * payload that spanned chunks as one array; a large one as the pieces it arrived in (see PayloadCollector;
   * only a MSG can be that large).
   */
  payload: Bytes;
}

/** A frame handed out as its fields, without an object: what `pushFields` calls back with. */
export type FrameHandler = (type: FrameType, id: number, payload: Bytes) => void;

export interface DecoderOptions {
  /** The largest MSG payload accepted; a longer one is refused from its header, before any payload is buffered. */
  maxMessage: number;
  /** The frame types allowed as the very first frame (the handshake rule); any type when omitted. */
  firstFrame?: readonly FrameType[];
  /** Which frame types exist at all: version 1's by default; version 2's records allow others. */
  isKnownType?: (type: number) => boolean;
}

/**
 * An incremental frame decoder: feed it chunks of any size, split anywhere, and it calls back once per
 * complete frame, in order.
 *
 * It never concatenates what it has seen. The payload of a frame that lies whole inside one chunk is handed
 * out as where it lies in that chunk (a ByteRange: no copy, not even a view). A payload that spans chunks is
 * collected only after its header has passed every size check, as views of its pieces (a short one copied
 * into one array of its length; see PayloadCollector). So what it holds is at most one header and one
 * checked payload, whatever the peer sends.
 *
 * Every violation throws ProtocolError as early as the bytes allow (the type on the first byte, the length on
 * the ninth); after that the decoder refuses further input.
 */
export class FrameDecoder {
  private readonly maxMessage: number;
  private readonly isKnownType: (type: number) => boolean;
  private firstFrame: readonly FrameType[] | undefined;
  private failed: ProtocolError | null = null;

  // Header being assembled when it spans chunks.
  private readonly header = new Uint8Array(HEADER_SIZE);
  private headerFill = 0;

  // Frame whose header is complete and whose payload is being collected.
  private inFrame = false;
  private type: FrameType = FrameType.HELLO;
  private id = 0;
  private length = 0;
  private payload: PayloadCollector | null = null;

  constructor(options: DecoderOptions) {
    this.maxMessage = options.maxMessage;
    this.firstFrame = options.firstFrame;
    this.isKnownType = options.isKnownType ?? isFrameType;
  }

  /** Bytes of a payload being collected across chunks (views or copies of them): 0 between payloads. */
  get payloadBytesHeld(): number {
    return this.payload?.size ?? 0;
  }

  /** The most `bufferedBytes` has been; kept for tests (see `peakBufferedBytes`). */
  private peak = 0;

  /** Bytes held for an incomplete frame. */
  get bufferedBytes(): number {
    return this.headerFill + (this.payload?.size ?? 0);
  }

  /**
   * The most bytes ever held for an incomplete frame, including what was held at the moment a violation was
   * found (after which it is dropped). For tests: `bufferedBytes` after an error is always small, so only this
   * shows whether a payload was buffered before its header's size check threw.
   */
  get peakBufferedBytes(): number {
    return this.peak;
  }

  /**
   * Decodes `chunk`, calling `onFrame` for every frame it completes. Throws ProtocolError on a violation.
   * Payloads are handed out where they lie in the chunks, and a large one is collected as views of them across
   * calls: a chunk must not be changed once pushed.
   */
  push(chunk: Uint8Array, onFrame: (frame: Frame) => void): void {
    this.pushFields(chunk, (type, id, payload) => onFrame({ type, id, payload }));
  }

  /**
   * `push`, calling back with each frame's fields instead of a Frame object: the session's way, at millions
   * of frames a second, where an object per frame was a measurable part of the cost (docs/performance.md).
   */
  pushFields(chunk: Uint8Array, onFrame: FrameHandler): void {
    if (this.failed) throw this.failed;
    try {
      this.decode(chunk, onFrame);
    } catch (error) {
      if (error instanceof ProtocolError) {
        this.notePeak();
        this.failed = error;
        this.payload = null;
      }
      throw error;
    }
  }

  private decode(chunk: Uint8Array, onFrame: FrameHandler): void {
    let pos = 0;
    const end = chunk.length;
    while (pos < end) {
      if (!this.inFrame) {
        if (this.headerFill === 0 && end - pos >= HEADER_SIZE) {
          // Fast path: the whole header is in this chunk.
          this.checkType(chunk[pos] as number);
          this.startFrame(chunk, pos);
          pos += HEADER_SIZE;
        } else {
          const take = Math.min(HEADER_SIZE - this.headerFill, end - pos);
          this.header.set(chunk.subarray(pos, pos + take), this.headerFill);
          if (this.headerFill === 0) this.checkType(this.header[0] as number);
          this.headerFill += take;
          pos += take;
          this.notePeak();
          if (this.headerFill < HEADER_SIZE) return;
          this.headerFill = 0;
          this.startFrame(this.header, 0);
        }
        if (this.length === 0) {
          this.emit(EMPTY, onFrame);
          continue;
        }
      }

      const missing = this.length - (this.payload?.size ?? 0);
      const available = end - pos;
      // The header ended the chunk: wait for the payload. (Starting a collector here would take the next chunk
      // off the fast path below, even when it holds the whole payload.)
      if (available === 0) return;
      if (this.payload === null && available >= missing) {
        // Fast path: the whole payload is in this chunk; hand out where it lies.
        const range = new ByteRange(chunk, pos, missing);
        pos += missing;
        this.emit(range, onFrame);
        continue;
      }
      const take = Math.min(missing, available);
      this.payload ??= new PayloadCollector(this.length);
      this.payload.add(chunk.subarray(pos, pos + take));
      pos += take;
      this.notePeak();
      if (take === missing) {
        const payload = this.payload.take();
        this.payload = null;
        this.emit(payload, onFrame);
      }
    }
  }

  /** Only the slow paths, which buffer, call this: the fast paths hold nothing. */
  private notePeak(): void {
    const held = this.bufferedBytes;
    if (held > this.peak) this.peak = held;
  }

  private checkType(type: number): void {
    if (!this.isKnownType(type)) {
      throw new ProtocolError(`unknown frame type 0x${type.toString(16).padStart(2, "0")}`);
    }
    const first = this.firstFrame;
    if (first && !first.includes(type as FrameType)) {
      // "MSG before HELLO" (version 1), "MSG before SESSION" (version 2's records).
      throw new ProtocolError(
        `${frameTypeName(type)} before ${frameTypeName(first[0] as number)}: the first frame must be ${first.map(frameTypeName).join(" or ")}`,
      );
    }
  }

  /** Reads a header from `bytes` at `at` and checks its length against the limits for its type. */
  private startFrame(bytes: Uint8Array, at: number): void {
    const type = bytes[at] as FrameType;
    const id = readU32(bytes, at + 1);
    const length = readU32(bytes, at + 5);
    const limit = payloadLimit(type, this.maxMessage);
    if (length > limit) {
      throw new ProtocolError(
        `${frameTypeName(type)} of ${length} bytes exceeds the limit of ${limit} bytes`,
      );
    }
    this.firstFrame = undefined;
    this.inFrame = true;
    this.type = type;
    this.id = id;
    this.length = length;
  }

  private emit(payload: Bytes, onFrame: FrameHandler): void {
    this.inFrame = false;
    onFrame(this.type, this.id, payload);
  }
}

/** The big-endian u32 at `at` (the header's id and length fields). */
export function readU32(bytes: Uint8Array, at: number): number {
  return (
    (((bytes[at] as number) << 24) |
      ((bytes[at + 1] as number) << 16) |
      ((bytes[at + 2] as number) << 8) |
      (bytes[at + 3] as number)) >>>
    0
  );
}

/** The largest payload a frame of `type` may announce. */
function payloadLimit(type: FrameType, maxMessage: number): number {
  if (type === FrameType.MSG) return maxMessage;
  if (type === FrameType.PING || type === FrameType.PONG) return MAX_PING_PAYLOAD;
  return MAX_CONTROL_PAYLOAD;
}
