import { expect, test } from "bun:test";
import { caretAt, layoutText, truncateToWidth } from "../../src/ui/text-layout.ts";

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

test("a line break starts a new row at column 0", () => {
  expect(layoutText("ab\ncd", 10)).toEqual({ rows: 2, column: 2 });
  expect(layoutText("ab\n", 10)).toEqual({ rows: 2, column: 0 });
  // A full row then a break: the break ends that row, it does not add an empty one.
  expect(layoutText(`${"a".repeat(10)}\nb`, 10)).toEqual({ rows: 2, column: 1 });
  expect(layoutText("\r\n", 10)).toEqual({ rows: 2, column: 0 });
});

test("the caret stands where the next character goes", () => {
  expect(caretAt("abc", "", 10)).toEqual({ row: 0, column: 3 });
  expect(caretAt("abc", "def", 10)).toEqual({ row: 0, column: 3 });
  // A full row: the next character, or the cursor at the end, is at the start of the next row.
  expect(caretAt("a".repeat(10), "", 10)).toEqual({ row: 1, column: 0 });
  expect(caretAt("a".repeat(10), "b", 10)).toEqual({ row: 1, column: 0 });
  // A wide character that does not fit in the last column starts the next row, and so does the caret.
  expect(caretAt("a".repeat(9), "日", 10)).toEqual({ row: 1, column: 0 });
  expect(caretAt("a".repeat(9), "b", 10)).toEqual({ row: 0, column: 9 });
  expect(caretAt("ab\n  c", "d", 10)).toEqual({ row: 1, column: 3 });
  expect(caretAt("ab", "\ncd", 10)).toEqual({ row: 0, column: 2 });
});

test("truncation keeps whole characters within the width and says where it cut", () => {
  expect(truncateToWidth("short", 10)).toBe("short");
  expect(truncateToWidth("exactly 10", 10)).toBe("exactly 10");
  expect(truncateToWidth("one too many", 11)).toBe("one too ma…");
  // Wide characters: never half of one.
  expect(truncateToWidth("日本語の文", 6)).toBe("日本…");
  expect(truncateToWidth("日本語の文", 7)).toBe("日本語…");
  expect(truncateToWidth("abc", 0)).toBe("");
});
