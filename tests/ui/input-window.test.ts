import { expect, test } from "bun:test";
import { clipInput } from "../../src/ui/input-window.ts";
import { caretAt, layoutText } from "../../src/ui/text-layout.ts";

// (The screen cuts its notes to the width; these tests keep them narrower than it.)
const note = (text: string) => `[${text}]`;
/** 30 lines "line 1" … "line 30" under a prompt, as the screen draws a pasted block. */
const lines = Array.from({ length: 30 }, (_, i) => `line ${i + 1}`);
const text = `> ${lines.join("\n  ")}`;

test("input that fits is drawn as it is", () => {
  const view = { before: "> abc", after: "def" };
  expect(clipInput(view, 20, 5, note)).toBe(view);
});

test("with the cursor at the end, the last rows are shown under a note of how many are above", () => {
  const clipped = clipInput({ before: text, after: "" }, 20, 10, note);
  // 9 rows: the note, then the last 8 lines; the cursor after the last.
  expect(clipped.before.split("\n")).toEqual([
    "[⋮ 22 more rows above]",
    ...lines.slice(22).map((l) => `  ${l}`),
  ]);
  expect(clipped.before.split("\n")[1]).toBe("  line 23");
  expect(clipped.after).toBe("");
});

test("with the cursor at the start, the first rows are shown over a note of how many are below", () => {
  const clipped = clipInput({ before: "> ", after: text.slice(2) }, 20, 10, note);
  expect(clipped.before).toBe("> ");
  const shown = clipped.after.split("\n");
  expect(shown.length).toBe(9);
  expect(shown[0]).toBe("line 1");
  expect(shown[8]).toBe("[⋮ 22 more rows below]");
});

test("in the middle, both notes, the cursor's row last but one, cut where the cursor is", () => {
  const cursor = text.indexOf("line 15") + 3;
  const clipped = clipInput({ before: text.slice(0, cursor), after: text.slice(cursor) }, 30, 10, note);
  const before = clipped.before.split("\n");
  const after = clipped.after.split("\n");
  expect(before[0]).toBe("[⋮ 8 more rows above]");
  expect(before[before.length - 1]).toBe("  lin");
  expect(after).toEqual(["e 15", "[⋮ 15 more rows below]"]);
  // The window with its notes stays within the rows allowed, and the caret is on the window's rows.
  const all = clipped.before + clipped.after;
  expect(layoutText(all, 30).rows).toBeLessThanOrEqual(10);
  expect(caretAt(clipped.before, clipped.after, 30)).toEqual({ row: before.length - 1, column: 5 });
});

test("rows wrapped by the width are rows of the window; the caret after a full last row gets its own", () => {
  const long = `> ${"x".repeat(30 * 12 - 2)}`; // exactly 12 full rows of 30
  const clipped = clipInput({ before: long, after: "" }, 30, 6, note);
  const rows = clipped.before.split("\n");
  expect(rows[0]).toBe("[⋮ 9 more rows above]");
  expect(rows.slice(1)).toEqual(["x".repeat(30), "x".repeat(30), "x".repeat(30), ""]);
  expect(caretAt(clipped.before, clipped.after, 30)).toEqual({ row: 4, column: 0 });
});
