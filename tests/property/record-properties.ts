/**
 * Properties of version 2's record layer (issue 8, protocol-v2 section 2): RecordSealer and RecordOpener
 * over byte streams cut anywhere, across key updates, and with records damaged, lost, repeated, reordered or
 * cut short.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { IntegrityError } from "../../src/protocol/errors.ts";
import {
  MAX_RECORD,
  MIN_RECORD,
  RecordOpener,
  type RecordOptions,
  RecordSealer,
} from "../../src/secure/records.ts";
import { concat } from "../helpers/frames.ts";
import {
  applyRecordCuts,
  directionKeysArb,
  type Fill,
  fillBytes,
  keyGeneration,
  pieceArb,
  type ReferenceOutcome,
  recordCutsArb,
  recordStarts,
  recordsPerKeyArb,
  referenceOpen,
  sealCallArb,
  sealCalls,
} from "./secure-arbitraries.ts";

const recordOptions = (recordsPerKey: number | undefined): RecordOptions =>
  recordsPerKey === undefined ? {} : { recordsPerKey };

/**
 * Feeds `chunks` to `opener` one `open` call each and checks every call against `expected`: a call hands
 * out exactly the records its chunk completes (whole, in order, nothing of an incomplete one), and throws
 * IntegrityError exactly in the call whose chunk holds the byte that reveals a failing record, after handing
 * out every authentic record before it; after that, the opener refuses everything. Between calls it holds
 * exactly the bytes of the record in progress. Returns the plaintext handed out, concatenated.
 */
export function feedAndCheck(
  opener: RecordOpener,
  chunks: readonly Uint8Array[],
  expected: ReferenceOutcome,
): Uint8Array {
  const handedOut: Uint8Array[] = [];
  let from = 0;
  let next = 0;
  let lastEnd = 0;
  for (const chunk of chunks) {
    const to = from + chunk.length;
    const handed: Uint8Array[] = [];
    let error: unknown = null;
    try {
      opener.open(chunk, (plaintext) => handed.push(plaintext));
    } catch (caught) {
      error = caught;
    }
    const wanted: Uint8Array[] = [];
    while (next < expected.delivered.length && (expected.delivered[next]?.end as number) <= to) {
      lastEnd = expected.delivered[next]?.end as number;
      wanted.push(expected.delivered[next++]?.plaintext as Uint8Array);
    }
    assert.deepEqual(
      handed.map((p) => p.length),
      wanted.map((p) => p.length),
      `bytes ${from}–${to}: records handed out (their lengths) differ`,
    );
    handed.forEach((plaintext, i) => {
      assert.equal(Buffer.compare(plaintext, wanted[i] as Uint8Array), 0, `a record's plaintext differs`);
    });
    handedOut.push(...handed);
    if (expected.failAt !== null && expected.failAt < to) {
      assert.ok(
        error instanceof IntegrityError,
        `the record failing at byte ${expected.failAt} must throw IntegrityError in the chunk ${from}–${to}; got ${error}`,
      );
      let more = 0;
      assert.throws(
        () => opener.open(new Uint8Array(64), () => more++),
        (later) => later === error,
        "a failed opener must refuse further input with the same error",
      );
      assert.equal(more, 0, "a failed opener handed something out");
      return concat(handedOut);
    }
    if (error !== null) throw new Error(`unexpected failure in the chunk ${from}–${to}: ${error}`);
    assert.equal(opener.bufferedBytes, to - lastEnd, "bytes held beyond the record in progress");
    from = to;
  }
  assert.equal(next, expected.delivered.length, "records not handed out at the end of the stream");
  return concat(handedOut);
}

/**
 * Any plaintext, sealed in one or many `seal` calls of small and large pieces (up to about 200 KiB, so a
 * call can make several records), cut into chunks anywhere (headers split included) and fed to an opener,
 * comes out exactly, in order, each record as soon as its last byte arrives. The key update every
 * `recordsPerKey` records (small here) keeps sealer and opener in step; an opener with another interval
 * fails with IntegrityError at the first record where the two disagree, the one right after the first
 * update only one side made, having handed out every record before it.
 */
export function recordsSurviveAnyCut() {
  const caseArb = fc.record({
    keys: directionKeysArb,
    calls: fc.array(sealCallArb, { maxLength: 12 }),
    cuts: recordCutsArb,
    sealerEvery: recordsPerKeyArb,
    opener: fc.oneof(
      { arbitrary: fc.constant({ same: true as const }), weight: 4 },
      {
        arbitrary: recordsPerKeyArb.map((every) => ({ same: false as const, every })),
        weight: 1,
      },
    ),
  });
  return fc.property(caseArb, ({ keys, calls, cuts, sealerEvery, opener }) => {
    const openerEvery = opener.same ? sealerEvery : opener.every;
    const sealed = sealCalls(new RecordSealer(keys, recordOptions(sealerEvery)), calls);
    const stream = concat(sealed.map((r) => r.bytes));
    const sameKey = (seq: number) => keyGeneration(seq, sealerEvery) === keyGeneration(seq, openerEvery);
    const expected = referenceOpen(stream, sealed, sameKey);

    // The model stands for the claims above: everything, or everything up to the first missed update.
    const missed = sealed.findIndex((_, seq) => !sameKey(seq));
    if (missed === -1) {
      assert.equal(expected.failAt, null);
      assert.equal(expected.delivered.length, sealed.length);
    } else {
      const every = [sealerEvery, openerEvery].map((n) => n ?? Number.POSITIVE_INFINITY);
      assert.equal(missed, Math.min(...every), "the first record after one side's update");
      assert.equal(expected.delivered.length, missed);
      assert.equal(
        expected.failAt,
        (expected.delivered.at(-1)?.end ?? 0) + (sealed[missed]?.bytes.length ?? 0) - 1,
      );
    }

    const out = feedAndCheck(
      new RecordOpener(keys, recordOptions(openerEvery)),
      applyRecordCuts(stream, recordStarts(sealed.map((r) => r.bytes)), cuts),
      expected,
    );
    if (missed === -1) {
      const plaintext = concat(calls.flat().map(fillBytes));
      assert.equal(Buffer.compare(out, plaintext), 0, "the plaintext came out different");
    }
  });
}

/** Damage to a stream of records (`record` and `at` are reduced modulo what exists). */
export type Tamper =
  | { kind: "flip"; record: number; at: number; bit: number } // one bit anywhere: length, ciphertext, tag
  | { kind: "length"; record: number; value: number; endAfter: boolean } // a length out of range
  | { kind: "drop"; record: number }
  | { kind: "repeat"; record: number } // sent again right after itself
  | { kind: "swap"; record: number } // with the next one
  | { kind: "truncate"; record: number; keep: number; after: "end" | "continue" };

const outOfRangeArb = fc.oneof(
  fc.integer({ min: 0, max: MIN_RECORD - 1 }),
  fc.integer({ min: MAX_RECORD + 1, max: MAX_RECORD + 100 }),
  fc.integer({ min: MAX_RECORD + 1, max: 0xffff_ffff }),
);

export const tamperArb: fc.Arbitrary<Tamper> = fc.oneof(
  {
    arbitrary: fc.record({
      kind: fc.constant("flip" as const),
      record: fc.nat(),
      // Half of the flips land in the length field, the rest anywhere in the record.
      at: fc.oneof(fc.nat({ max: 3 }), fc.nat()),
      bit: fc.nat({ max: 7 }),
    }),
    weight: 4,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant("length" as const),
      record: fc.nat(),
      value: outOfRangeArb,
      endAfter: fc.boolean(),
    }),
    weight: 1,
  },
  { arbitrary: fc.record({ kind: fc.constant("drop" as const), record: fc.nat() }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant("repeat" as const), record: fc.nat() }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant("swap" as const), record: fc.nat() }), weight: 1 },
  {
    arbitrary: fc.record({
      kind: fc.constant("truncate" as const),
      record: fc.nat(),
      keep: fc.oneof(fc.nat({ max: 8 }), fc.nat()),
      after: fc.constantFrom("end" as const, "continue" as const),
    }),
    weight: 2,
  },
);

/**
 * The damaged stream as pieces (whole records, or the damaged one), and `target`: how many records come
 * before the first that must not be handed out. Needs at least two records.
 */
export function applyTamper(
  records: readonly Uint8Array[],
  tamper: Tamper,
): { pieces: Uint8Array[]; target: number } {
  const n = records.length;
  const r = tamper.record % n;
  const before = records.slice(0, r);
  const rest = records.slice(r + 1);
  const record = records[r] as Uint8Array;
  switch (tamper.kind) {
    case "flip": {
      const damaged = record.slice();
      const at = tamper.at % record.length;
      damaged[at] = (damaged[at] as number) ^ (1 << tamper.bit);
      return { pieces: [...before, damaged, ...rest], target: r };
    }
    case "length": {
      const damaged = record.slice();
      new DataView(damaged.buffer).setUint32(0, tamper.value);
      return {
        pieces: tamper.endAfter ? [...before, damaged.subarray(0, 4)] : [...before, damaged, ...rest],
        target: r,
      };
    }
    case "drop":
      return { pieces: [...before, ...rest], target: r };
    case "repeat":
      return { pieces: [...before, record, record, ...rest], target: r + 1 };
    case "swap": {
      const s = tamper.record % (n - 1);
      const swapped = [...records];
      [swapped[s], swapped[s + 1]] = [swapped[s + 1] as Uint8Array, swapped[s] as Uint8Array];
      return { pieces: swapped, target: s };
    }
    case "truncate": {
      const cut = record.subarray(0, 1 + (tamper.keep % (record.length - 1)));
      return { pieces: tamper.after === "end" ? [...before, cut] : [...before, cut, ...rest], target: r };
    }
  }
}

const nonEmptyCallArb: fc.Arbitrary<Fill[]> = fc.array(
  pieceArb.filter((p) => p.length > 0),
  { minLength: 1, maxLength: 3 },
);

/**
 * A stream of at least two records with one of them damaged (a bit flipped anywhere: length field,
 * ciphertext or tag; a length out of range; a record dropped, repeated, swapped with the next, or cut short
 * with the stream ending there or going on with the next record), cut into chunks anywhere: the opener
 * hands out every record before the damaged one intact, then throws IntegrityError in the very chunk that
 * reveals the damage (a length out of range on its header alone, before any body byte) and hands out
 * nothing of that record, ever. A record cut short at the very end of the stream yields nothing more: no
 * exception, nothing partial.
 */
export function tamperedRecordsFailThere() {
  const caseArb = fc.record({
    keys: directionKeysArb,
    calls: fc.array(nonEmptyCallArb, { minLength: 2, maxLength: 8 }),
    every: recordsPerKeyArb,
    tamper: tamperArb,
    cuts: recordCutsArb,
  });
  return fc.property(caseArb, ({ keys, calls, every, tamper, cuts }) => {
    const sealed = sealCalls(new RecordSealer(keys, recordOptions(every)), calls);
    const { pieces, target } = applyTamper(
      sealed.map((r) => r.bytes),
      tamper,
    );
    const stream = concat(pieces);
    const starts = recordStarts(pieces);
    const expected = referenceOpen(stream, sealed);

    // The model against the claims: everything before the damage is handed out, and the damage is found
    // where it must be.
    assert.equal(expected.delivered.length, target, "records handed out before the damaged one");
    const damaged = pieces[target];
    const damagedEnd = (starts[target] ?? 0) + (damaged?.length ?? 0) - 1;
    if (tamper.kind === "length") assert.equal(expected.failAt, (starts[target] as number) + 3);
    if (tamper.kind === "flip" && tamper.at % (damaged as Uint8Array).length >= 4)
      assert.equal(expected.failAt, damagedEnd);
    if (tamper.kind === "truncate" && tamper.after === "end") assert.equal(expected.failAt, null);
    if ((tamper.kind === "drop" && damaged) || tamper.kind === "repeat" || tamper.kind === "swap")
      assert.equal(expected.failAt, damagedEnd);

    feedAndCheck(
      new RecordOpener(keys, recordOptions(every)),
      applyRecordCuts(stream, starts, cuts),
      expected,
    );
  });
}
