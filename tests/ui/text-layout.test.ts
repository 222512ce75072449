import { describe, expect, test } from "bun:test";
import { caretAt, layoutText, textWidth, truncateToWidth, wrapWords } from "../../src/ui/text-layout.ts";

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

describe("wrapWords: the program's own lines broken at spaces", () => {
  const connected = "● connected to 127.0.0.1:7121 — end-to-end encrypted · Enter sends; /help for commands";
  const rowsOf = (text: string) => text.split("\n");

  test("no row wider than the terminal, breaks only where there were spaces, continuation indented", () => {
    for (const columns of [20, 33, 40, 60, 80]) {
      const wrapped = wrapWords(connected, columns);
      for (const row of rowsOf(wrapped)) expect(textWidth(row)).toBeLessThanOrEqual(columns);
      // Nothing but the breaks and their indent was added, and each break replaced a space.
      expect(wrapped.replace(/\n {2}/g, " ")).toBe(connected);
      expect(
        rowsOf(wrapped)
          .slice(1)
          .every((row) => row.startsWith("  ") && row[2] !== " "),
      ).toBe(true);
    }
    // Where a terminal 40 wide would have cut "end-to-" from "end" and "c" from "ommands".
    expect(rowsOf(wrapWords(connected, 40))).toEqual([
      "● connected to 127.0.0.1:7121 —",
      "  end-to-end encrypted · Enter sends;",
      "  /help for commands",
    ]);
  });

  test("a line that fits, or a terminal too narrow to help, is left as it is", () => {
    expect(wrapWords(connected, connected.length)).toBe(connected);
    expect(wrapWords(connected, 19)).toBe(connected);
  });

  test("an indented line keeps its indent, two more on the rows after; its own indent is no place to break", () => {
    const line = "    others can dial: 121chat client 192.0.2.2:7121";
    expect(rowsOf(wrapWords(line, 30))).toEqual([
      "    others can dial: 121chat",
      "      client 192.0.2.2:7121",
    ]);
  });

  test("colour sequences take no room and stay where they were", () => {
    const coloured = `\x1b[32m●\x1b[39m connected to \x1b[1mhost\x1b[22m \x1b[2m· Enter sends; /help for commands\x1b[22m`;
    const wrapped = wrapWords(coloured, 30);
    for (const row of rowsOf(wrapped)) expect(textWidth(row)).toBeLessThanOrEqual(30);
    expect(wrapped.replace(/\n {2}/g, " ")).toBe(coloured);
  });

  test("a word too long for a row is left where it is, for the terminal to break; the rest goes on", () => {
    const long = `path ${"x".repeat(50)} end`;
    expect(wrapWords(long, 20)).toBe(long);
    // After it, the terminal's row ends 19 columns in (59 = 2 × 20 + 19): " more" goes to the next row.
    expect(wrapWords(`${long} more words`, 20)).toBe(`${long}\n  more words`);
    expect(wrapWords(`path ${"x".repeat(45)} more words`, 20)).toBe(`path ${"x".repeat(45)} more\n  words`);
  });

  test("a word that fits only on a row of its own, without the indent, stays put", () => {
    const line = `● a ${"b".repeat(19)} c`;
    expect(wrapWords(line, 20)).toBe(line);
  });

  test("spaces at the end of a line never make a row of their own", () => {
    expect(wrapWords(`${"a".repeat(20)} `, 20)).toBe("a".repeat(20));
    expect(wrapWords(`${"a".repeat(18)} `, 20)).toBe(`${"a".repeat(18)} `);
  });

  test("each line of a text with line breaks keeps its own indent", () => {
    expect(wrapWords("first line\n    second line with words that wrap", 24)).toBe(
      "first line\n    second line with\n      words that wrap",
    );
  });

  test("a row full just before a space breaks there", () => {
    expect(wrapWords(`${"a".repeat(20)} next`, 20)).toBe(`${"a".repeat(20)}\n  next`);
  });
});
