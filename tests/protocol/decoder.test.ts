import { describe, expect, test } from "bun:test";
import { ByteParts, ByteRange, type Bytes, flat } from "../../src/protocol/bytes.ts";
import {
  FrameType,
  HEADER_SIZE,
  MAX_CONTROL_PAYLOAD,
  MAX_PING_PAYLOAD,
} from "../../src/protocol/constants.ts";
import { type Frame, FrameDecoder } from "../../src/protocol/decoder.ts";
import { ProtocolError } from "../../src/protocol/errors.ts";
import {
  concat,
  cutAt,
  decodeChunks,
  frameBytes,
  helloFrame,
  type PlainFrame,
  plain,
  rawFrame,
  utf8,
} from "../helpers/frames.ts";

const MAX = 1024;
const options = { maxMessage: MAX };

/** A little conversation with every frame type, empty and non-empty payloads, and ids that use all 4 bytes. */
function sampleFrames(): PlainFrame[] {
  const frames: PlainFrame[] = [
    { type: FrameType.HELLO, id: 0, payload: Array.from(helloFrame(MAX).subarray(HEADER_SIZE)) },
    { type: FrameType.MSG, id: 1, payload: Array.from(utf8("hello there")) },
    { type: FrameType.MSG, id: 2, payload: [] },
    { type: FrameType.ACK, id: 1, payload: [] },
    { type: FrameType.PING, id: 0x01020304, payload: [0, 255, 7] },
    { type: FrameType.PONG, id: 0xfffffffe, payload: [] },
    { type: FrameType.MSG, id: 0xffffffff, payload: Array.from({ length: 40 }, (_, i) => (i * 37) & 0xff) },
    { type: FrameType.BYE, id: 0, payload: Array.from(utf8("bye")) },
  ];
  return frames;
}

const encodeAll = (frames: readonly PlainFrame[]): Uint8Array =>
  concat(frames.map((f) => frameBytes(f.type, f.id, new Uint8Array(f.payload))));

/** Runs `push` and returns the ProtocolError it threw; fails the test if it threw nothing or something else. */
function protocolErrorOf(push: () => void): ProtocolError {
  try {
    push();
  } catch (error) {
    expect(error).toBeInstanceOf(ProtocolError);
    return error as ProtocolError;
  }
  throw new Error("expected a ProtocolError, but nothing was thrown");
}

const ignore = (_frame: Frame): void => {};

describe("FrameDecoder: splitting", () => {
  const frames = sampleFrames();
  const stream = encodeAll(frames);

  test("a frame sequence in one chunk decodes to the same frames", () => {
    expect(decodeChunks([stream], options)).toEqual(frames);
  });

  test("the sequence cut at every single byte position decodes to the same frames", () => {
    for (let cut = 0; cut <= stream.length; cut++) {
      expect({ cut, frames: decodeChunks(cutAt(stream, [cut]), options) }).toEqual({ cut, frames });
    }
  });

  test("the sequence cut at every pair of positions decodes to the same frames", () => {
    // Two cuts put a header boundary and a payload boundary in the same run, and give 1-byte middle chunks.
    for (let a = 0; a <= stream.length; a++) {
      for (let b = a; b <= stream.length; b += 3) {
        expect({ a, b, frames: decodeChunks(cutAt(stream, [a, b]), options) }).toEqual({ a, b, frames });
      }
    }
  });

  // Regression: a chunk that ended exactly after a header made the decoder allocate that frame's payload
  // buffer with nothing to put in it; the fast path then delivered the payload as a view and left the buffer
  // behind, and the next payload that spanned chunks was written into the stale buffer.
  test("a chunk ending right after a header leaves no stale buffer for the next split payload", () => {
    const small = frameBytes(FrameType.MSG, 1, utf8("small"));
    const large = frameBytes(FrameType.MSG, 2, new Uint8Array(100).fill(7));
    // Stale 5-byte buffer, 100-byte payload: used to throw RangeError (not a ProtocolError: a crash).
    expect(decodeChunks(cutAt(concat([small, large]), [HEADER_SIZE, small.length + 20]), options)).toEqual([
      { type: FrameType.MSG, id: 1, payload: Array.from(utf8("small")) },
      { type: FrameType.MSG, id: 2, payload: Array(100).fill(7) },
    ]);
    // Stale 100-byte buffer, 5-byte payload: used to deliver 100 bytes, the last 95 of them garbage.
    expect(decodeChunks(cutAt(concat([large, small]), [HEADER_SIZE, large.length + 11]), options)).toEqual([
      { type: FrameType.MSG, id: 2, payload: Array(100).fill(7) },
      { type: FrameType.MSG, id: 1, payload: Array.from(utf8("small")) },
    ]);
  });

  test("the sequence fed one byte at a time decodes to the same frames", () => {
    const bytes = Array.from(stream, (_, i) => stream.subarray(i, i + 1));
    expect(decodeChunks(bytes, options)).toEqual(frames);
  });

  test("empty chunks anywhere change nothing", () => {
    const empty = new Uint8Array(0);
    const chunks = cutAt(stream, [0, 0, 5, 5, 9, 30, 30, stream.length, stream.length]);
    expect(chunks.filter((c) => c.length === 0).length).toBeGreaterThan(3);
    expect(decodeChunks([empty, ...chunks, empty], options)).toEqual(frames);
  });

  test("200 frames in one chunk all come out, in order", () => {
    const many: PlainFrame[] = Array.from({ length: 200 }, (_, i) => ({
      type: i % 2 === 0 ? FrameType.MSG : FrameType.ACK,
      id: i + 1,
      payload: i % 2 === 0 ? Array.from(utf8(`message number ${i}`)) : [],
    }));
    const decoded = decodeChunks([encodeAll(many)], options);
    expect(decoded.length).toBe(200);
    expect(decoded).toEqual(many);
  });

  test("nothing is buffered between complete frames, and a partial frame is counted", () => {
    const decoder = new FrameDecoder(options);
    const one = frameBytes(FrameType.MSG, 1, utf8("abcdef"));
    decoder.push(one, ignore);
    expect(decoder.bufferedBytes).toBe(0);
    decoder.push(one.subarray(0, 4), ignore);
    expect(decoder.bufferedBytes).toBe(4);
    decoder.push(one.subarray(4, 11), ignore);
    expect(decoder.bufferedBytes).toBe(2); // the header is parsed; 2 payload bytes are held
    decoder.push(one.subarray(11), ignore);
    expect(decoder.bufferedBytes).toBe(0);
  });
});

describe("FrameDecoder: payloads", () => {
  test("all 256 byte values in a payload survive, whole and split", () => {
    const payload = Uint8Array.from({ length: 256 }, (_, i) => i);
    const bytes = frameBytes(FrameType.MSG, 9, payload);
    const expected = [{ type: FrameType.MSG, id: 9, payload: Array.from(payload) }];
    expect(decodeChunks([bytes], options)).toEqual(expected);
    expect(decodeChunks(cutAt(bytes, [3, 100, 200]), options)).toEqual(expected);
  });

  test("an empty payload gives a frame with an empty payload, without waiting for more bytes", () => {
    const frames: Frame[] = [];
    new FrameDecoder(options).push(frameBytes(FrameType.MSG, 5), (f) => frames.push(f));
    expect(frames.length).toBe(1);
    expect(frames[0]?.payload.length).toBe(0);
    expect(frames[0]?.id).toBe(5);
  });

  test("a MSG of exactly max_message bytes is accepted; max_message 0 accepts only empty messages", () => {
    const full = new Uint8Array(MAX).fill(0xab);
    expect(decodeChunks([frameBytes(FrameType.MSG, 1, full)], options)[0]?.payload.length).toBe(MAX);
    expect(decodeChunks([frameBytes(FrameType.MSG, 1)], { maxMessage: 0 }).length).toBe(1);
    expect(() => decodeChunks([rawFrame(FrameType.MSG, 1, 1)], { maxMessage: 0 })).toThrow(ProtocolError);
  });

  test("a payload lying whole in one chunk is handed out as where it lies in that chunk (no copy, no view)", () => {
    const chunk = concat([
      frameBytes(FrameType.MSG, 1, utf8("first")),
      frameBytes(FrameType.MSG, 2, utf8("two")),
    ]);
    const payloads: Bytes[] = [];
    new FrameDecoder(options).push(chunk, (f) => payloads.push(f.payload));
    expect(payloads).toEqual([
      new ByteRange(chunk, HEADER_SIZE, 5),
      new ByteRange(chunk, 2 * HEADER_SIZE + 5, 3),
    ]);
    expect(payloads.every((p) => p instanceof ByteRange && p.source === chunk)).toBe(true);
  });

  test("pushFields hands out the same frames as push, as fields", () => {
    const chunks = cutAt(encodeAll(sampleFrames()), [3, 20, 21, 50]);
    const fields: PlainFrame[] = [];
    const decoder = new FrameDecoder(options);
    for (const chunk of chunks) {
      decoder.pushFields(chunk, (type, id, payload) =>
        fields.push({ type, id, payload: Array.from(flat(payload)) }),
      );
    }
    expect(fields).toEqual(sampleFrames());
  });

  test("a short payload split across chunks is copied into its own array of exactly its length", () => {
    const bytes = frameBytes(FrameType.MSG, 1, utf8("spanning two chunks"));
    const frames: Frame[] = [];
    const decoder = new FrameDecoder(options);
    for (const chunk of cutAt(bytes, [15])) decoder.push(chunk, (f) => frames.push(f));
    const payload = frames[0]?.payload;
    expect(payload).toBeInstanceOf(Uint8Array);
    const array = payload as Uint8Array;
    expect(new TextDecoder().decode(array)).toBe("spanning two chunks");
    expect(array.buffer).not.toBe(bytes.buffer);
    expect(array.buffer.byteLength).toBe(array.length);
  });

  test("a large payload split across chunks comes as the chunks themselves, not copied", () => {
    const payload = Uint8Array.from({ length: 600_000 }, (_, i) => (i * 7) & 0xff);
    const stream = frameBytes(FrameType.MSG, 1, payload);
    // As a socket hands them over: each chunk in a buffer of its own.
    const chunks = cutAt(stream, [100_000, 400_000]).map((chunk) => chunk.slice());
    const frames: Frame[] = [];
    const decoder = new FrameDecoder({ maxMessage: 1 << 20 });
    for (const chunk of chunks) decoder.push(chunk, (f) => frames.push(f));
    const received = frames[0]?.payload;
    expect(received).toBeInstanceOf(ByteParts);
    const parts = (received as ByteParts).parts;
    expect(parts.map((part) => part.buffer)).toEqual(chunks.map((chunk) => chunk.buffer));
    expect(Buffer.compare((received as ByteParts).join(), payload)).toBe(0);
    expect(decoder.bufferedBytes).toBe(0);
  });
});

describe("FrameDecoder: limits, checked on the header", () => {
  test("an over-limit MSG is refused from its 9-byte header alone, before any payload arrives", () => {
    const decoder = new FrameDecoder(options);
    const header = rawFrame(FrameType.MSG, 1, MAX + 1);
    expect(header.length).toBe(HEADER_SIZE);
    const error = protocolErrorOf(() => decoder.push(header, ignore));
    expect(error.message).toBe(`MSG of ${MAX + 1} bytes exceeds the limit of ${MAX} bytes`);
    expect(decoder.bufferedBytes).toBeLessThanOrEqual(HEADER_SIZE);
  });

  test("an over-limit header trickled in byte by byte is refused on its ninth byte", () => {
    const decoder = new FrameDecoder(options);
    const header = rawFrame(FrameType.MSG, 1, 0xffffffff);
    for (let i = 0; i < HEADER_SIZE - 1; i++) decoder.push(header.subarray(i, i + 1), ignore);
    expect(decoder.bufferedBytes).toBe(HEADER_SIZE - 1);
    const error = protocolErrorOf(() => decoder.push(header.subarray(HEADER_SIZE - 1), ignore));
    expect(error.message).toContain("4294967295 bytes exceeds the limit of 1024 bytes");
    expect(decoder.bufferedBytes).toBeLessThanOrEqual(HEADER_SIZE);
  });

  test("a 4 GiB MSG header followed by payload bytes is refused without buffering them", () => {
    // bufferedBytes after the error says nothing (the decoder drops what it held when it fails): the peak
    // shows what was held up to the error, so "buffer this chunk's payload, then throw" fails here.
    for (const split of [false, true]) {
      const decoder = new FrameDecoder({ maxMessage: 16 * 1024 * 1024 });
      const header = rawFrame(FrameType.MSG, 1, 0xffffffff);
      const chunk = concat([header, new Uint8Array(100_000)]);
      // Whole, or the header's first byte alone first: the header then takes the slow path.
      const chunks = split ? [chunk.subarray(0, 1), chunk.subarray(1)] : [chunk];
      protocolErrorOf(() => {
        for (const part of chunks) decoder.push(part, ignore);
      });
      expect(decoder.bufferedBytes).toBeLessThanOrEqual(HEADER_SIZE);
      expect(decoder.peakBufferedBytes, `split ${split}: held before the error`).toBeLessThanOrEqual(
        HEADER_SIZE,
      );
    }
  });

  test("the peak shows what a payload spanning chunks held (so a zero peak means nothing was held)", () => {
    const decoder = new FrameDecoder({ maxMessage: 1 << 20 });
    const stream = frameBytes(FrameType.MSG, 1, new Uint8Array(50_000));
    const [first, second, third] = cutAt(stream, [5, 20_000]) as [Uint8Array, Uint8Array, Uint8Array];
    decoder.push(first, ignore);
    expect(decoder.peakBufferedBytes).toBe(5); // part of the header
    decoder.push(second, ignore);
    expect(decoder.peakBufferedBytes).toBe(20_000 - HEADER_SIZE); // the start of the payload
    decoder.push(third, ignore);
    expect(decoder.bufferedBytes).toBe(0);
    expect(decoder.peakBufferedBytes).toBe(50_000); // the whole payload, the moment it was complete
  });

  test("a control frame may carry up to 64 KiB, and one byte more is refused from the header", () => {
    const limit = new Uint8Array(MAX_CONTROL_PAYLOAD);
    expect(decodeChunks([frameBytes(FrameType.BYE, 0, limit)], options)[0]?.payload.length).toBe(
      MAX_CONTROL_PAYLOAD,
    );
    for (const type of [FrameType.HELLO, FrameType.ACK, FrameType.BYE, FrameType.BUSY, FrameType.ERROR]) {
      const decoder = new FrameDecoder(options);
      const error = protocolErrorOf(() => decoder.push(rawFrame(type, 0, MAX_CONTROL_PAYLOAD + 1), ignore));
      expect(error.message).toContain(`of ${MAX_CONTROL_PAYLOAD + 1} bytes exceeds the limit of 65536 bytes`);
    }
  });

  test("the 64 KiB control limit applies even when max_message is larger", () => {
    const decoder = new FrameDecoder({ maxMessage: 1 << 24 });
    protocolErrorOf(() => decoder.push(rawFrame(FrameType.ERROR, 0, MAX_CONTROL_PAYLOAD + 1), ignore));
  });

  test("PING and PONG carry at most 64 bytes", () => {
    const ping = new Uint8Array(MAX_PING_PAYLOAD).fill(1);
    expect(decodeChunks([frameBytes(FrameType.PING, 3, ping)], options)[0]?.payload.length).toBe(64);
    for (const type of [FrameType.PING, FrameType.PONG]) {
      const decoder = new FrameDecoder(options);
      const error = protocolErrorOf(() => decoder.push(rawFrame(type, 3, MAX_PING_PAYLOAD + 1), ignore));
      expect(error.message).toContain("65 bytes exceeds the limit of 64 bytes");
    }
  });
});

describe("FrameDecoder: hostile input", () => {
  test("an unknown type is refused on its first byte", () => {
    for (const type of [0x00, 0x09, 0x47, 0xff]) {
      const decoder = new FrameDecoder(options);
      const error = protocolErrorOf(() => decoder.push(Uint8Array.of(type), ignore));
      expect(error.message).toBe(`unknown frame type 0x${type.toString(16).padStart(2, "0")}`);
    }
  });

  test("an unknown type after valid frames is refused; the frames before it were delivered", () => {
    const decoder = new FrameDecoder(options);
    const frames: PlainFrame[] = [];
    const chunk = concat([frameBytes(FrameType.MSG, 1, utf8("ok")), Uint8Array.of(0x09)]);
    protocolErrorOf(() => decoder.push(chunk, (f) => frames.push(plain(f))));
    expect(frames).toEqual([{ type: FrameType.MSG, id: 1, payload: Array.from(utf8("ok")) }]);
  });

  test('"GET / HTTP/1.1" is refused on its first byte', () => {
    const decoder = new FrameDecoder({ ...options, firstFrame: [FrameType.HELLO] });
    const error = protocolErrorOf(() => decoder.push(utf8("GET / HTTP/1.1\r\n\r\n"), ignore));
    expect(error.message).toBe("unknown frame type 0x47");
  });

  test("with firstFrame [HELLO], a frame before HELLO is refused on its first byte", () => {
    const decoder = new FrameDecoder({ ...options, firstFrame: [FrameType.HELLO] });
    const error = protocolErrorOf(() => decoder.push(Uint8Array.of(FrameType.MSG), ignore));
    expect(error.message).toBe("MSG before HELLO: the first frame must be HELLO");
  });

  test("firstFrame applies only to the first frame", () => {
    const decoder = new FrameDecoder({ ...options, firstFrame: [FrameType.HELLO, FrameType.BUSY] });
    const frames: PlainFrame[] = [];
    const stream = concat([helloFrame(MAX), frameBytes(FrameType.MSG, 1), frameBytes(FrameType.HELLO, 0)]);
    decoder.push(stream, (f) => frames.push(plain(f)));
    expect(frames.map((f) => f.type)).toEqual([FrameType.HELLO, FrameType.MSG, FrameType.HELLO]);
  });

  test("the error message lists every allowed first frame", () => {
    const decoder = new FrameDecoder({ ...options, firstFrame: [FrameType.HELLO, FrameType.BUSY] });
    const error = protocolErrorOf(() => decoder.push(frameBytes(FrameType.ACK, 1), ignore));
    expect(error.message).toBe("ACK before HELLO: the first frame must be HELLO or BUSY");
  });

  test("after an error the decoder refuses all further input with the same error", () => {
    const decoder = new FrameDecoder(options);
    const first = protocolErrorOf(() => decoder.push(Uint8Array.of(0x00), ignore));
    let called = false;
    const again = protocolErrorOf(() => decoder.push(frameBytes(FrameType.MSG, 1), () => (called = true)));
    expect(again).toBe(first);
    expect(called).toBe(false);
  });

  test("an error thrown by the frame callback passes through as it is", () => {
    const boom = new Error("callback failed");
    const decoder = new FrameDecoder(options);
    expect(() =>
      decoder.push(frameBytes(FrameType.MSG, 1), () => {
        throw boom;
      }),
    ).toThrow(boom);
  });
});
