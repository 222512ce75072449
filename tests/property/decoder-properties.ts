/**
 * Properties of the incremental frame decoder (issue 3): what it does with valid streams cut anywhere, and with
 * damaged or random bytes.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { ByteParts, flat } from "../../src/protocol/bytes.ts";
import { FrameType, HEADER_SIZE, MAX_CONTROL_PAYLOAD } from "../../src/protocol/constants.ts";
import { type DecoderOptions, type Frame, FrameDecoder } from "../../src/protocol/decoder.ts";
import { ProtocolError } from "../../src/protocol/errors.ts";
import { cutAt } from "../helpers/frames.ts";
import {
  applyChunking,
  chunkingArb,
  encodeSpecs,
  type FrameSpec,
  hostileStreamArb,
  isAllowedPayload,
  maxMessageArb,
  validFrameArb,
} from "./arbitraries.ts";
import { referenceDecode } from "./reference-decoder.ts";

const firstFrameArb: fc.Arbitrary<readonly FrameType[] | undefined> = fc.constantFrom(
  undefined,
  [FrameType.HELLO],
  [FrameType.HELLO, FrameType.BUSY, FrameType.ERROR],
);

/** A frame as plain numbers, its payload copied at once (a payload may be a view into the chunk). */
const snapshot = (frame: Frame) => ({
  type: frame.type,
  id: frame.id,
  payload: Array.from(flat(frame.payload)),
});
const snapshotSpec = (frame: FrameSpec) => ({
  type: frame.type,
  id: frame.id,
  payload: Array.from(frame.payload),
});

/**
 * Any sequence of valid frames, cut into chunks at arbitrary points (or byte by byte), decodes to exactly the
 * same frames, and leaves nothing buffered.
 */
export function framesSurviveAnyChunking() {
  const caseArb = maxMessageArb.chain((maxMessage) =>
    fc.record({
      maxMessage: fc.constant(maxMessage),
      frames: fc.array(validFrameArb(maxMessage), { maxLength: 12 }),
      chunking: chunkingArb,
      restrictFirst: fc.boolean(),
    }),
  );
  return fc.property(caseArb, ({ maxMessage, frames, chunking, restrictFirst }) => {
    const first = frames[0];
    const options: DecoderOptions = {
      maxMessage,
      // When restricted, the first frame must be of the type it is: the rule must not refuse a valid start.
      ...(restrictFirst && first ? { firstFrame: [first.type] } : {}),
    };
    const decoder = new FrameDecoder(options);
    const decoded: ReturnType<typeof snapshot>[] = [];
    for (const chunk of applyChunking(encodeSpecs(frames), chunking)) {
      decoder.push(chunk, (frame) => decoded.push(snapshot(frame)));
    }
    assert.deepEqual(decoded, frames.map(snapshotSpec));
    assert.equal(decoder.bufferedBytes, 0, "bytes left buffered after the last complete frame");
  });
}

/**
 * Random and damaged byte streams (bytes flipped, lengths changed, types swapped, truncated, bytes inserted or
 * lost), in random chunks: the decoder raises nothing but ProtocolError, never buffers more than one header
 * plus the largest payload its limits allow, refuses input after an error, and agrees frame for frame with a
 * naive whole-stream decoder on what the stream contains.
 */
export function hostileBytesOnlyRaiseProtocolError() {
  const caseArb = maxMessageArb.chain((maxMessage) =>
    fc.record({
      maxMessage: fc.constant(maxMessage),
      firstFrame: firstFrameArb,
      bytes: hostileStreamArb(maxMessage),
      chunking: chunkingArb,
    }),
  );
  return fc.property(caseArb, ({ maxMessage, firstFrame, bytes, chunking }) => {
    const decoder = new FrameDecoder(firstFrame ? { maxMessage, firstFrame } : { maxMessage });
    const bound = HEADER_SIZE + Math.max(maxMessage, MAX_CONTROL_PAYLOAD);
    const decoded: ReturnType<typeof snapshot>[] = [];
    let failure: ProtocolError | null = null;
    const onFrame = (frame: Frame) => {
      assert.ok(isAllowedPayload(frame.type, frame.payload.length, maxMessage), "a frame over its limit");
      assert.ok(decoder.bufferedBytes <= bound, `buffered ${decoder.bufferedBytes} > ${bound}`);
      decoded.push(snapshot(frame));
    };
    for (const chunk of applyChunking(bytes, chunking)) {
      try {
        decoder.push(chunk, onFrame);
      } catch (error) {
        if (!(error instanceof ProtocolError))
          throw new Error(`decoder raised a non-protocol error: ${error}`);
        failure = error;
        break;
      }
      assert.ok(decoder.bufferedBytes <= bound, `buffered ${decoder.bufferedBytes} > ${bound}`);
    }

    const reference = referenceDecode(bytes, maxMessage, firstFrame);
    assert.deepEqual(decoded, reference.frames.map(snapshotSpec), "frames differ from the reference decoder");
    assert.equal(
      failure !== null,
      reference.violation !== null,
      `violation: ${reference.violation}, error: ${failure}`,
    );
    if (failure) {
      let called = false;
      assert.throws(
        () => decoder.push(Uint8Array.of(FrameType.ACK, 0, 0, 0, 1, 0, 0, 0, 0), () => (called = true)),
        (error) => error === failure,
        "a failed decoder must refuse further input with the same error",
      );
      assert.equal(called, false);
    } else {
      assert.equal(decoder.bufferedBytes, reference.held, "buffered bytes differ from the incomplete tail");
    }
  });
}

/** Payloads from this length on are kept as the chunks they came in (PayloadCollector's KEPT_PIECE). */
const KEPT_PIECE = 64 * 1024;

/**
 * A large MSG among small frames, cut into chunks of any sizes (runs of 1-byte chunks included), each in a
 * buffer of its own as a socket hands them over: the payload comes out byte for byte, and what the decoder
 * keeps for it (the buffers its parts lie in) stays within its length plus the two chunks at its ends and one
 * small buffer, in a few parts per 64 KiB however it trickled in.
 */
export function largePayloadsStayBounded() {
  const caseArb = fc.record({
    length: fc.integer({ min: KEPT_PIECE - 1000, max: 3 * KEPT_PIECE + 1000 }),
    seed: fc.nat({ max: 255 }),
    before: fc.array(validFrameArb(1024), { maxLength: 3 }),
    after: fc.array(validFrameArb(1024), { maxLength: 3 }),
    // Cut positions, each followed by a run of 1-byte chunks.
    cuts: fc.array(fc.record({ at: fc.nat(), run: fc.nat({ max: 40 }) }), { maxLength: 16 }),
  });
  return fc.property(caseArb, ({ length, seed, before, after, cuts }) => {
    const payload = new Uint8Array(length);
    for (let i = 0; i < length; i++) payload[i] = (i * 29 + seed + (i >>> 12)) & 0xff;
    const stream = encodeSpecs([...before, { type: FrameType.MSG, id: 7, payload }, ...after]);
    const positions = cuts
      .flatMap(({ at, run }) => Array.from({ length: run + 1 }, (_, i) => (at % (stream.length + 1)) + i))
      .filter((position) => position <= stream.length)
      .sort((a, b) => a - b);
    const chunks = cutAt(stream, positions).map((chunk) => chunk.slice());
    const largestChunk = Math.max(...chunks.map((chunk) => chunk.length));

    // The large payload is checked where it comes out and stands in the list as its length (comparing
    // hundreds of KiB as arrays of numbers would make the property too slow to run often).
    const isLarge = (frame: { type: number; id: number; payload: { length: number } }) =>
      frame.type === FrameType.MSG && frame.id === 7 && frame.payload.length === length;
    const decoder = new FrameDecoder({ maxMessage: 1 << 20 });
    const decoded: unknown[] = [];
    for (const chunk of chunks) {
      decoder.push(chunk, (frame) => {
        if (!isLarge(frame)) {
          decoded.push(snapshot(frame));
          return;
        }
        const parts = frame.payload instanceof ByteParts ? frame.payload.parts : [flat(frame.payload)];
        let held = 0;
        for (const buffer of new Set(parts.map((part) => part.buffer))) held += buffer.byteLength;
        const bound = length + 2 * largestChunk + KEPT_PIECE;
        assert.ok(held <= bound, `${held} bytes held for a ${length}-byte payload (bound ${bound})`);
        const partsBound = 3 * Math.ceil(length / KEPT_PIECE) + 2;
        assert.ok(parts.length <= partsBound, `${parts.length} parts (bound ${partsBound})`);
        assert.equal(Buffer.compare(flat(frame.payload), payload), 0, "the large payload differs");
        decoded.push({ type: frame.type, id: frame.id, length });
      });
    }
    assert.deepEqual(decoded, [
      ...before.map(snapshotSpec),
      { type: FrameType.MSG, id: 7, length },
      ...after.map(snapshotSpec),
    ]);
    assert.equal(decoder.bufferedBytes, 0);
  });
}
