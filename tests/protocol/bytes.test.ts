import { expect, test } from "bun:test";
import { ByteParts, ByteRange, flat, prefix } from "../../src/protocol/bytes.ts";

const bytes = (...values: number[]) => Uint8Array.from(values);

test("ByteParts: its length is the parts' together, and join() gives their bytes in order", () => {
  const parts = new ByteParts([bytes(1, 2), bytes(), bytes(3), bytes(4, 5, 6)]);
  expect(parts.length).toBe(6);
  expect(Array.from(parts.join())).toEqual([1, 2, 3, 4, 5, 6]);
  expect(new ByteParts([]).join()).toEqual(new Uint8Array(0));
});

test("flat: one array is returned as it is; parts are joined into a fresh array", () => {
  const one = bytes(7, 8);
  expect(flat(one)).toBe(one);
  const parts = new ByteParts([one, bytes(9)]);
  const joined = flat(parts);
  expect(Array.from(joined)).toEqual([7, 8, 9]);
  joined[0] = 0;
  expect(one[0]).toBe(7); // a copy: the parts are untouched
});

test("ByteRange: a range of its source, which flat() and prefix() view without copying", () => {
  const source = bytes(0, 1, 2, 3, 4, 5, 6);
  const range = new ByteRange(source, 2, 4);
  expect(range.length).toBe(4);
  expect(Array.from(flat(range))).toEqual([2, 3, 4, 5]);
  expect(flat(range).buffer).toBe(source.buffer);
  expect(Array.from(prefix(range, 3))).toEqual([2, 3, 4]);
  expect(Array.from(prefix(range, 9))).toEqual([2, 3, 4, 5]);
  expect(flat(new ByteRange(source, 7, 0)).length).toBe(0);
});

test("prefix: the first bytes only, across parts, or everything when there are fewer", () => {
  const one = bytes(1, 2, 3, 4);
  expect(Array.from(prefix(one, 2))).toEqual([1, 2]);
  expect(prefix(one, 2).buffer).toBe(one.buffer); // a view, not a copy
  expect(prefix(one, 10)).toBe(one);
  const parts = new ByteParts([bytes(1, 2), bytes(3, 4), bytes(5, 6)]);
  expect(Array.from(prefix(parts, 0))).toEqual([]);
  expect(Array.from(prefix(parts, 3))).toEqual([1, 2, 3]);
  expect(Array.from(prefix(parts, 4))).toEqual([1, 2, 3, 4]);
  expect(Array.from(prefix(parts, 6))).toEqual([1, 2, 3, 4, 5, 6]);
  expect(Array.from(prefix(parts, 100))).toEqual([1, 2, 3, 4, 5, 6]);
});
