import { expect, test } from "bun:test";
import { ByteParts, type Bytes, flat } from "../../src/protocol/bytes.ts";
import { PayloadCollector } from "../../src/protocol/payload-collector.ts";

const KIB = 1024;

/** `length` bytes in a pattern, in an array of their own (as a socket read gives them). */
const piece = (length: number, seed = 0) => Uint8Array.from({ length }, (_, i) => (i * 13 + seed) & 0xff);

function collect(length: number, pieces: Uint8Array[]): Bytes {
  const collector = new PayloadCollector(length);
  for (const p of pieces) collector.add(p);
  expect(collector.size).toBe(length);
  return collector.take();
}

const joined = (pieces: Uint8Array[]) => new ByteParts(pieces).join();

test("a short payload comes out as one array of exactly its length, copied from its pieces", () => {
  const pieces = [piece(100, 1), piece(1, 2), piece(900, 3)];
  const payload = collect(1001, pieces);
  expect(payload).toBeInstanceOf(Uint8Array);
  const array = payload as Uint8Array;
  expect(array.buffer.byteLength).toBe(1001);
  expect(pieces.some((p) => p.buffer === array.buffer)).toBe(false);
  expect(Buffer.compare(array, joined(pieces))).toBe(0);
});

test("large pieces are kept as they came (the same arrays), not copied", () => {
  const pieces = [piece(100 * KIB, 1), piece(512 * KIB, 2), piece(64 * KIB, 3)];
  const payload = collect(676 * KIB, pieces);
  expect(payload).toBeInstanceOf(ByteParts);
  expect((payload as ByteParts).parts).toEqual(pieces);
  (payload as ByteParts).parts.forEach((part, i) => {
    expect(part).toBe(pieces[i] as Uint8Array);
  });
});

test("short pieces between large ones are gathered in order, sharing one small buffer", () => {
  const pieces = [
    piece(10, 1),
    piece(70 * KIB, 2),
    piece(3, 3),
    piece(5, 4),
    piece(80 * KIB, 5),
    piece(7, 6),
  ];
  const length = pieces.reduce((sum, p) => sum + p.length, 0);
  const payload = collect(length, pieces) as ByteParts;
  expect(payload.parts.map((p) => p.length)).toEqual([10, 70 * KIB, 8, 80 * KIB, 7]);
  expect(payload.parts[1]).toBe(pieces[1] as Uint8Array);
  // The three gathered runs lie one after the other in the same buffer: no buffer per run.
  const gathered = [payload.parts[0], payload.parts[2], payload.parts[4]] as Uint8Array[];
  expect(new Set(gathered.map((p) => p.buffer)).size).toBe(1);
  expect(gathered.map((p) => p.byteOffset)).toEqual([0, 10, 18]);
  expect(Buffer.compare(flat(payload), joined(pieces))).toBe(0);
});

test("a payload trickling in byte by byte is held in a few buffers, not an array per byte", () => {
  const length = 300 * KIB;
  const source = piece(length, 9);
  const collector = new PayloadCollector(length);
  for (let i = 0; i < length; i++) collector.add(source.subarray(i, i + 1).slice());
  const payload = collector.take() as ByteParts;
  expect(payload.parts.length).toBe(Math.ceil(length / (64 * KIB)));
  const buffers = new Set(payload.parts.map((p) => p.buffer));
  let held = 0;
  for (const buffer of buffers) held += buffer.byteLength;
  expect(held).toBe(length); // the last buffer is only as large as what was still to come
  expect(Buffer.compare(flat(payload), source)).toBe(0);
});
