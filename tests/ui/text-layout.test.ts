import { expect, test } from "bun:test";
import { layoutText } from "../../src/ui/text-layout.ts";

test("narrow text takes as many rows as its width needs", () => {
  expect(layoutText("", 10)).toEqual({ rows: 1, column: 0 });
  expect(layoutText("abc", 10)).toEqual({ rows: 1, column: 3 });
  // Exactly full: the cursor waits at the end of the row, no new row yet.
  expect(layoutText("a".repeat(10), 10)).toEqual({ rows: 1, column: 10 });
  expect(layoutText("a".repeat(11), 10)).toEqual({ rows: 2, column: 1 });
  expect(layoutText("a".repeat(25), 10)).toEqual({ rows: 3, column: 5 });
});

test("our own colour sequences take no room", () => {
  expect(layoutText("\x1b[1m\x1b[36myou › \x1b[39m\x1b[22mhi", 10)).toEqual({ rows: 1, column: 8 });
});

test("a wide character that does not fit at the end of a row moves to the next one", () => {
  // "a" + 5 wide: a(1) 日(2) 日(2) 日(2) 日(2) = 9 columns; the fifth 日 does not fit in column 10.
  expect(layoutText(`a${"日".repeat(5)}`, 10)).toEqual({ rows: 2, column: 2 });
  expect(layoutText("日".repeat(5), 10)).toEqual({ rows: 1, column: 10 });
  // 9 columns hold 4 wide characters and lose one column on every row: 27 of them take 7 rows, where
  // their width alone (54 = 6 × 9) would say 6.
  expect(layoutText("日".repeat(27), 9)).toEqual({ rows: 7, column: 6 });
});

test("a grapheme made of several code points is laid out as one", () => {
  expect(layoutText("e\u0301".repeat(10), 10)).toEqual({ rows: 1, column: 10 });
});
