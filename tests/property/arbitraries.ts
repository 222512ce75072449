/**
 * fast-check generators for frames, byte streams, their mutations and the ways a stream is cut into chunks.
 * Sizes are kept small (most payloads under 100 bytes) so that a million cases run in minutes; a few large
 * payloads still appear so that payloads spanning many chunks are exercised.
 */
import fc from "fast-check";
import {
  FrameType,
  HEADER_SIZE,
  isFrameType,
  MAX_CONTROL_PAYLOAD,
  MAX_PING_PAYLOAD,
  MAX_U32,
} from "../../src/protocol/constants.ts";
import { concat, cutAt, frameBytes } from "../helpers/frames.ts";

export interface FrameSpec {
  type: FrameType;
  id: number;
  payload: Uint8Array;
}

/** Version 1's frame types: what the decoder knows by default (version 2's records are tested elsewhere). */
export const FRAME_TYPES: readonly FrameType[] = Object.values(FrameType).filter(isFrameType);

/** The largest payload a frame of `type` may carry when the receiver accepts MSGs up to `maxMessage`. */
export function payloadLimit(type: number, maxMessage: number): number {
  if (type === FrameType.MSG) return maxMessage;
  if (type === FrameType.PING || type === FrameType.PONG) return MAX_PING_PAYLOAD;
  return MAX_CONTROL_PAYLOAD;
}

export const idArb: fc.Arbitrary<number> = fc.oneof(
  { arbitrary: fc.integer({ min: 0, max: 10 }), weight: 3 },
  { arbitrary: fc.constantFrom(0x7fffffff, 0x80000000, MAX_U32 - 1, MAX_U32), weight: 1 },
  { arbitrary: fc.nat({ max: MAX_U32 }), weight: 2 },
);

export const payloadArb: fc.Arbitrary<Uint8Array> = fc.oneof(
  { arbitrary: fc.uint8Array({ maxLength: 24 }), weight: 12 },
  { arbitrary: fc.uint8Array({ minLength: 25, maxLength: 100 }), weight: 4 },
  { arbitrary: fc.uint8Array({ minLength: 100, maxLength: 3000 }), weight: 1 },
);

/** A frame that a decoder accepting MSGs up to `maxMessage` must take (payload cut to its type's limit). */
export const validFrameArb = (maxMessage: number): fc.Arbitrary<FrameSpec> =>
  fc
    .record({ type: fc.constantFrom(...FRAME_TYPES), id: idArb, payload: payloadArb })
    .map((f) => ({ ...f, payload: f.payload.subarray(0, payloadLimit(f.type, maxMessage)) }));

export const maxMessageArb: fc.Arbitrary<number> = fc.oneof(
  fc.constantFrom(0, 1, MAX_PING_PAYLOAD, 1024, MAX_CONTROL_PAYLOAD, 16 * 1024 * 1024, MAX_U32),
  fc.nat({ max: 5000 }),
);

export const encodeSpecs = (frames: readonly FrameSpec[]): Uint8Array =>
  concat(frames.map((f) => frameBytes(f.type, f.id, f.payload)));

/**
 * How a stream is cut into chunks: at arbitrary positions (duplicates give empty chunks), one byte at a
 * time, or not at all. Positions are drawn large and reduced modulo the stream length, so they shrink well.
 */
export type Chunking = { kind: "cuts"; at: number[] } | { kind: "bytes" } | { kind: "whole" };

export const chunkingArb: fc.Arbitrary<Chunking> = fc.oneof(
  {
    arbitrary: fc.record({ kind: fc.constant("cuts" as const), at: fc.array(fc.nat(), { maxLength: 12 }) }),
    weight: 8,
  },
  { arbitrary: fc.constant({ kind: "bytes" as const }), weight: 1 },
  { arbitrary: fc.constant({ kind: "whole" as const }), weight: 1 },
);

export function applyChunking(bytes: Uint8Array, chunking: Chunking): Uint8Array[] {
  if (chunking.kind === "whole") return [bytes];
  if (chunking.kind === "bytes") return Array.from(bytes, (_, i) => bytes.subarray(i, i + 1));
  return cutAt(
    bytes,
    chunking.at.map((p) => p % (bytes.length + 1)).sort((a, b) => a - b),
  );
}

/** Ways a peer (or a bad network, or a port scanner) can damage a valid stream. */
export type Mutation =
  | { kind: "flip"; at: number; mask: number } // one byte XORed
  | { kind: "set"; at: number; value: number } // one byte replaced
  | { kind: "length"; frame: number; value: number } // a frame's announced length changed
  | { kind: "type"; frame: number; value: number } // a frame's type byte changed (also to unknown types)
  | { kind: "truncate"; at: number } // the stream ends early
  | { kind: "insert"; at: number; bytes: Uint8Array } // stray bytes
  | { kind: "delete"; at: number; count: number }; // bytes lost

const lengthValueArb = fc.oneof(
  fc.nat({ max: 200 }),
  fc.constantFrom(
    MAX_PING_PAYLOAD,
    MAX_PING_PAYLOAD + 1,
    MAX_CONTROL_PAYLOAD,
    MAX_CONTROL_PAYLOAD + 1,
    MAX_U32,
  ),
  fc.nat({ max: MAX_U32 }),
);

export const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant("flip" as const), at: fc.nat(), mask: fc.integer({ min: 1, max: 255 }) }),
  fc.record({ kind: fc.constant("set" as const), at: fc.nat(), value: fc.nat({ max: 255 }) }),
  fc.record({ kind: fc.constant("length" as const), frame: fc.nat(), value: lengthValueArb }),
  fc.record({ kind: fc.constant("type" as const), frame: fc.nat(), value: fc.nat({ max: 255 }) }),
  fc.record({ kind: fc.constant("truncate" as const), at: fc.nat() }),
  fc.record({
    kind: fc.constant("insert" as const),
    at: fc.nat(),
    bytes: fc.uint8Array({ minLength: 1, maxLength: 12 }),
  }),
  fc.record({ kind: fc.constant("delete" as const), at: fc.nat(), count: fc.integer({ min: 1, max: 12 }) }),
);

/** Applies mutations to the encoding of `frames`. Header mutations go first, while frame offsets are known. */
export function mutate(frames: readonly FrameSpec[], mutations: readonly Mutation[]): Uint8Array {
  const bytes = encodeSpecs(frames);
  const starts: number[] = [];
  let at = 0;
  for (const f of frames) {
    starts.push(at);
    at += HEADER_SIZE + f.payload.length;
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (const m of mutations) {
    if (starts.length === 0) break;
    const start = starts[(m.kind === "length" || m.kind === "type" ? m.frame : 0) % starts.length] as number;
    if (m.kind === "length") view.setUint32(start + 5, m.value);
    else if (m.kind === "type") view.setUint8(start, m.value);
  }
  let out = bytes;
  for (const m of mutations) {
    const pos = (p: number) => p % (out.length + 1);
    switch (m.kind) {
      case "flip":
        if (out.length > 0) out[m.at % out.length] = (out[m.at % out.length] as number) ^ m.mask;
        break;
      case "set":
        if (out.length > 0) out[m.at % out.length] = m.value;
        break;
      case "truncate":
        out = out.slice(0, pos(m.at));
        break;
      case "insert": {
        const p = pos(m.at);
        out = concat([out.subarray(0, p), m.bytes, out.subarray(p)]);
        break;
      }
      case "delete": {
        const p = pos(m.at);
        out = concat([out.subarray(0, p), out.subarray(p + m.count)]);
        break;
      }
      default:
        break; // header mutations were applied above
    }
  }
  return out;
}

/** A byte stream a hostile or broken peer might send: pure noise, or valid frames with damage. */
export const hostileStreamArb = (maxMessage: number): fc.Arbitrary<Uint8Array> =>
  fc.oneof(
    { arbitrary: fc.uint8Array({ maxLength: 300 }), weight: 1 },
    {
      arbitrary: fc
        .tuple(
          fc.array(validFrameArb(maxMessage), { maxLength: 8 }),
          fc.array(mutationArb, { minLength: 1, maxLength: 4 }),
        )
        .map(([frames, mutations]) => mutate(frames, mutations)),
      weight: 4,
    },
  );

/** Whether a decoded frame of `type` may carry `length` bytes under the receiver's `maxMessage`. */
export const isAllowedPayload = (type: number, length: number, maxMessage: number): boolean =>
  FRAME_TYPES.includes(type as FrameType) && length <= payloadLimit(type, maxMessage);
