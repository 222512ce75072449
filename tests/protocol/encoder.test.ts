import { describe, expect, test } from "bun:test";
import { ByteParts } from "../../src/protocol/bytes.ts";
import { FrameType, HEADER_SIZE } from "../../src/protocol/constants.ts";
import { encodeFrame, FrameWriter, writeHeader } from "../../src/protocol/encoder.ts";
import { concat, decodeOutput, frameBytes, utf8 } from "../helpers/frames.ts";

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex");

describe("encodeFrame", () => {
  test("writes type, id and length big-endian, then the payload", () => {
    expect(hex(encodeFrame(FrameType.MSG, 0x01020304, utf8("hi")))).toBe(
      "02" + "01020304" + "00000002" + "6869",
    );
  });

  test("an ACK has an empty payload and the largest id fits", () => {
    expect(hex(encodeFrame(FrameType.ACK, 0xffffffff))).toBe("03ffffffff00000000");
  });

  test("writeHeader writes at an offset and touches nothing else", () => {
    const target = new Uint8Array(HEADER_SIZE + 4).fill(0xee);
    writeHeader(target, 2, FrameType.PING, 7, 0x10000);
    expect(hex(target)).toBe("eeee" + "06" + "00000007" + "00010000" + "eeee");
  });
});

describe("FrameWriter", () => {
  test("take() is empty when nothing was written", () => {
    const writer = new FrameWriter();
    expect(writer.take()).toEqual([]);
    expect(writer.pendingBytes).toBe(0);
  });

  test("small frames are coalesced into one chunk, byte for byte what encodeFrame gives", () => {
    const writer = new FrameWriter();
    for (let id = 1; id <= 100; id++) writer.frame(FrameType.ACK, id);
    writer.frame(FrameType.MSG, 1, utf8("and a message"));
    const expected = concat([
      ...Array.from({ length: 100 }, (_, i) => frameBytes(FrameType.ACK, i + 1)),
      frameBytes(FrameType.MSG, 1, utf8("and a message")),
    ]);
    expect(writer.pendingBytes).toBe(expected.length);
    const chunks = writer.take();
    expect(chunks.length).toBe(1);
    expect(hex(chunks[0] as Uint8Array)).toBe(hex(expected));
    expect(writer.pendingBytes).toBe(0);
    expect(writer.take()).toEqual([]);
  });

  test("a large payload is passed on by reference, not copied, between its header and the next frame", () => {
    const writer = new FrameWriter();
    const large = new Uint8Array(16 * 1024).fill(0x5a);
    writer.frame(FrameType.ACK, 1);
    writer.frame(FrameType.MSG, 2, large);
    writer.frame(FrameType.ACK, 3);
    const chunks = writer.take();
    expect(chunks.length).toBe(3);
    expect(chunks[1]).toBe(large); // the very same array
    expect(hex(chunks[0] as Uint8Array)).toBe(
      hex(
        concat([frameBytes(FrameType.ACK, 1), encodeFrame(FrameType.MSG, 2, large).subarray(0, HEADER_SIZE)]),
      ),
    );
    expect(decodeOutput(chunks).map((f) => [f.type, f.id, f.payload.length])).toEqual([
      [FrameType.ACK, 1, 0],
      [FrameType.MSG, 2, large.length],
      [FrameType.ACK, 3, 0],
    ]);
  });

  test("a payload in parts is one frame: large parts by reference, short ones copied, in order", () => {
    const writer = new FrameWriter();
    const large = new Uint8Array(20 * 1024).fill(0x41);
    const parts = [utf8("short "), large, utf8(" tail")];
    writer.frame(FrameType.MSG, 5, new ByteParts(parts));
    writer.frame(FrameType.ACK, 6);
    const chunks = writer.take();
    expect(chunks).toContain(large); // the very same array, not a copy
    const whole = concat(parts);
    expect(hex(concat(chunks))).toBe(
      hex(concat([frameBytes(FrameType.MSG, 5, whole), frameBytes(FrameType.ACK, 6)])),
    );
    expect(writer.pendingBytes).toBe(0);
  });

  test("a payload just under the copy limit is copied", () => {
    const writer = new FrameWriter();
    const payload = new Uint8Array(16 * 1024 - 1).fill(1);
    writer.frame(FrameType.MSG, 1, payload);
    const chunks = writer.take();
    expect(chunks.length).toBe(1);
    expect(chunks[0]?.buffer).not.toBe(payload.buffer);
  });

  test("views handed out by take() are never overwritten by later frames", () => {
    const writer = new FrameWriter();
    const taken: { chunk: Uint8Array; copy: string }[] = [];
    // Enough frames of varied sizes to fill several 64 KiB blocks, with a take() after each.
    for (let i = 1; i <= 600; i++) {
      writer.frame(FrameType.MSG, i, new Uint8Array((i * 97) % 1000).fill(i & 0xff));
      for (const chunk of writer.take()) taken.push({ chunk, copy: hex(chunk) });
    }
    for (const { chunk, copy } of taken) expect(hex(chunk)).toBe(copy);
    const frames = decodeOutput(taken.map((t) => t.chunk));
    expect(frames.length).toBe(600);
    expect(frames.every((f, i) => f.id === i + 1 && f.payload.every((b) => b === ((i + 1) & 0xff)))).toBe(
      true,
    );
  });

  test("frames that overflow the block without a take() all come out, in order", () => {
    const writer = new FrameWriter();
    const payload = new Uint8Array(10_000);
    for (let id = 1; id <= 20; id++) writer.frame(FrameType.MSG, id, payload.fill(id));
    expect(writer.pendingBytes).toBe(20 * (HEADER_SIZE + 10_000));
    const chunks = writer.take();
    expect(chunks.length).toBeGreaterThan(1);
    const frames = decodeOutput(chunks);
    expect(frames.map((f) => f.id)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(frames.every((f) => f.payload.length === 10_000 && f.payload[0] === f.id)).toBe(true);
  });
});
