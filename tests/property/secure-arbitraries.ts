/**
 * Generators and models for the properties of protocol version 2's secure channel (issue 8): plaintext
 * described by its length (so that a 200 KiB case prints as two numbers), sealed streams with their record
 * boundaries, the ways a stream of records is cut into chunks, damaged, and what a correct record opener must
 * make of any such stream (`referenceOpen`).
 */
import fc from "fast-check";
import { readU32 } from "../../src/protocol/decoder.ts";
import type { DirectionKeys } from "../../src/secure/key-schedule.ts";
import {
  MAX_PLAINTEXT,
  MAX_RECORD,
  MIN_RECORD,
  RECORD_HEADER,
  RECORDS_PER_KEY,
  type RecordSealer,
  TAG_SIZE,
  WHOLE_PIECE,
} from "../../src/secure/records.ts";
import { concat, cutAt } from "../helpers/frames.ts";

/** Plaintext as a length and a pattern seed: cheap to print and to shrink, and not periodic. */
export interface Fill {
  length: number;
  fill: number;
}

export function fillBytes({ length, fill }: Fill): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = (i * 31 + fill + (i >>> 8) * 7) & 0xff;
  return out;
}

const fillArb = (min: number, max: number): fc.Arbitrary<Fill> =>
  fc.record({ length: fc.integer({ min, max }), fill: fc.nat({ max: 255 }) });

/**
 * A piece of plaintext: mostly small (many frames share a record), sometimes a few KiB, now and then right
 * around one record's capacity (64 KiB), a piece the sealer keeps whole in one record (16–64 KiB: a
 * FILE_DATA payload), or up to about 200 KiB (a payload over several records).
 */
export const pieceArb: fc.Arbitrary<Fill> = fc.oneof(
  { arbitrary: fillArb(0, 64), weight: 40 },
  { arbitrary: fillArb(65, 3000), weight: 6 },
  { arbitrary: fillArb(MAX_PLAINTEXT - 40, MAX_PLAINTEXT + 40), weight: 1 },
  { arbitrary: fillArb(WHOLE_PIECE - 40, MAX_PLAINTEXT), weight: 2 },
  { arbitrary: fillArb(0, 200 * 1024), weight: 1 },
);

/** The plaintext of one `seal` call: a few pieces (often one; empty pieces and empty calls included). */
export const sealCallArb: fc.Arbitrary<Fill[]> = fc.array(pieceArb, { maxLength: 4 });

export const directionKeysArb: fc.Arbitrary<DirectionKeys> = fc.record({
  key: fc.uint8Array({ minLength: 32, maxLength: 32 }),
  iv: fc.uint8Array({ minLength: 12, maxLength: 12 }),
});

/** The key-update interval (test seam): small, so that streams cross updates, or the real 2^24. */
export const recordsPerKeyArb: fc.Arbitrary<number | undefined> = fc.constantFrom(undefined, 1, 2, 3, 5);

/** One record as it went on the wire, with the plaintext it carries. */
export interface SealedRecord {
  bytes: Uint8Array;
  plaintext: Uint8Array;
}

/**
 * Seals each call's pieces with one `seal` call and splits the output into its records by their length
 * fields, checking on the way what any sealer must do: every record's length in range, the plaintexts in
 * order, none for an empty call; and how this one fills them: as full as they go, except that a piece of
 * WHOLE_PIECE to 64 KiB lies whole in one record (a record ends early only right before such a piece, when
 * the piece would not have fit in it).
 */
export function sealCalls(sealer: RecordSealer, calls: readonly Fill[][]): SealedRecord[] {
  const records: SealedRecord[] = [];
  for (const call of calls) {
    const pieces = call.map(fillBytes);
    const plaintext = concat(pieces);
    const before = sealer.records;
    const out = sealer.seal(pieces);
    let at = 0;
    let taken = 0;
    let count = 0;
    const ends: number[] = [];
    while (at < out.length) {
      if (at + RECORD_HEADER > out.length) throw new Error("the sealer wrote a partial record header");
      const length = readU32(out, at);
      if (length < MIN_RECORD || length > MAX_RECORD) throw new Error(`the sealer wrote length ${length}`);
      const end = at + RECORD_HEADER + length;
      if (end > out.length) throw new Error("the sealer wrote a partial record");
      const size = length - TAG_SIZE;
      records.push({ bytes: out.subarray(at, end), plaintext: plaintext.subarray(taken, taken + size) });
      taken += size;
      ends.push(taken);
      at = end;
      count++;
    }
    if (taken !== plaintext.length) throw new Error(`sealed ${taken} of ${plaintext.length} bytes`);
    if (sealer.records - before !== count)
      throw new Error(`${count} records sealed, the counter says otherwise`);
    checkRecordFill(pieces, ends);
  }
  return records;
}

/** The fill rule of RecordSealer, for records ending at plaintext offsets `ends`, made of `pieces`. */
function checkRecordFill(pieces: readonly Uint8Array[], ends: readonly number[]): void {
  const whole: { start: number; length: number }[] = [];
  let offset = 0;
  for (const piece of pieces) {
    if (piece.length >= WHOLE_PIECE && piece.length <= MAX_PLAINTEXT)
      whole.push({ start: offset, length: piece.length });
    offset += piece.length;
  }
  let start = 0;
  for (const end of ends) {
    const size = end - start;
    if (size < MAX_PLAINTEXT && end < offset) {
      const reason = whole.some((p) => p.start === end && size + p.length > MAX_PLAINTEXT);
      if (!reason)
        throw new Error(`a record of ${size} bytes ended early at ${end}, not before a whole piece`);
    }
    start = end;
  }
  for (const piece of whole) {
    const inside = ends.some((end, i) => {
      const from = i === 0 ? 0 : (ends[i - 1] as number);
      return from <= piece.start && piece.start + piece.length <= end;
    });
    if (!inside) throw new Error(`a piece of ${piece.length} bytes at ${piece.start} straddles two records`);
  }
}

/** Which key generation record `seq` is sealed under, for a key update every `recordsPerKey` records. */
export const keyGeneration = (seq: number, recordsPerKey: number | undefined): number =>
  Math.floor(seq / (recordsPerKey ?? RECORDS_PER_KEY));

/**
 * What a correct opener makes of `stream`, given the records the sealer made (`sealed`, by sequence number):
 * it reads records one after another; the record it reads as number k authenticates exactly when it is,
 * byte for byte, the sealer's record k under the same key generation (anything else fails but with
 * negligible probability). It stops at the first record that fails (`failAt`: the offset of the byte whose
 * arrival reveals it: the header's last byte for a length out of range, else the record's last byte), or
 * at a record that the stream ends inside (then nothing fails and nothing of it is delivered).
 */
export interface ReferenceOutcome {
  /** The records handed out, in order, with the stream offset just after each. */
  delivered: { end: number; plaintext: Uint8Array }[];
  failAt: number | null;
}

export function referenceOpen(
  stream: Uint8Array,
  sealed: readonly SealedRecord[],
  sameKey: (seq: number) => boolean = () => true,
): ReferenceOutcome {
  const delivered: ReferenceOutcome["delivered"] = [];
  let at = 0;
  for (let seq = 0; ; seq++) {
    if (at + RECORD_HEADER > stream.length) return { delivered, failAt: null };
    const length = readU32(stream, at);
    if (length < MIN_RECORD || length > MAX_RECORD) return { delivered, failAt: at + RECORD_HEADER - 1 };
    const end = at + RECORD_HEADER + length;
    if (end > stream.length) return { delivered, failAt: null };
    const original = sealed[seq];
    if (!original || !sameKey(seq) || Buffer.compare(stream.subarray(at, end), original.bytes) !== 0)
      return { delivered, failAt: end - 1 };
    delivered.push({ end, plaintext: original.plaintext });
    at = end;
  }
}

/**
 * How a stream of records is cut into chunks: at positions anywhere or near a record boundary (where the
 * header's four bytes get split), each followed by a run of 1-byte chunks; one byte at a time; or not at all.
 */
export type RecordCuts =
  | { kind: "cuts"; cuts: { at: number; nearRecord: boolean; offset: number; run: number }[] }
  | { kind: "bytes" }
  | { kind: "whole" };

export const recordCutsArb: fc.Arbitrary<RecordCuts> = fc.oneof(
  {
    arbitrary: fc.record({
      kind: fc.constant("cuts" as const),
      cuts: fc.array(
        fc.record({
          at: fc.nat(),
          nearRecord: fc.boolean(),
          offset: fc.integer({ min: -5, max: 5 }),
          run: fc.nat({ max: 6 }),
        }),
        { maxLength: 16 },
      ),
    }),
    weight: 8,
  },
  { arbitrary: fc.constant({ kind: "bytes" as const }), weight: 1 },
  { arbitrary: fc.constant({ kind: "whole" as const }), weight: 1 },
);

/** Byte-by-byte feeding of a large stream would make a case take seconds: past this, only around records. */
const BYTEWISE_LIMIT = 8192;

/** The record boundaries of a stream built from `records` (its start offsets). */
export function recordStarts(records: readonly Uint8Array[]): number[] {
  const starts: number[] = [];
  let at = 0;
  for (const record of records) {
    starts.push(at);
    at += record.length;
  }
  return starts;
}

export function applyRecordCuts(
  stream: Uint8Array,
  starts: readonly number[],
  cuts: RecordCuts,
): Uint8Array[] {
  if (cuts.kind === "whole") return [stream];
  if (cuts.kind === "bytes" && stream.length <= BYTEWISE_LIMIT)
    return Array.from(stream, (_, i) => stream.subarray(i, i + 1));
  const specs =
    cuts.kind === "cuts"
      ? cuts.cuts
      : starts.map((_, i) => ({ at: i, nearRecord: true, offset: -4, run: 8 })); // around every boundary
  const positions: number[] = [];
  for (const { at, nearRecord, offset, run } of specs) {
    const base =
      nearRecord && starts.length > 0
        ? (starts[at % starts.length] as number) + offset
        : at % (stream.length + 1);
    for (let i = 0; i <= run; i++) {
      const position = base + i;
      if (position >= 0 && position <= stream.length) positions.push(position);
    }
  }
  return cutAt(
    stream,
    positions.sort((a, b) => a - b),
  );
}
