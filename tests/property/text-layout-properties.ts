/**
 * Properties of the screen's layout arithmetic (issue 9, src/ui/text-layout.ts): the rows and columns a
 * string takes on a terminal of a given width, checked against Bun.stringWidth, the width the rest of the
 * program and its tests go by. Strings are built from pieces chosen to be awkward: wide (CJK, fullwidth,
 * emoji, flags, emoji sequences), zero-width (combining marks, zero-width space, variation selectors) and
 * narrow characters, mixed at random.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { clipInput } from "../../src/ui/input-window.ts";
import { caretAt, layoutText, truncateToWidth, wrapRows } from "../../src/ui/text-layout.ts";

const NARROW = ["a", "Z", " ", "7", "é", "ｱ", "ß"];
const WIDE = ["日", "本", "語", "한", "Ａ", "😀", "👍🏽", "🇯🇵", "👨‍👩‍👧", "❤️"];
const ZERO = ["\u0301", "\u200b", "\ufe0f", "\u0308"];
const graphemes = new Intl.Segmenter(undefined, { granularity: "grapheme" });

const pieceArb = fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom(...NARROW) },
  { weight: 3, arbitrary: fc.constantFrom(...WIDE) },
  { weight: 1, arbitrary: fc.constantFrom(...ZERO) },
);
const textArb = fc.array(pieceArb, { maxLength: 120 }).map((pieces) => pieces.join(""));
/** Text with line breaks, as a pasted block is drawn. */
const blockArb = fc
  .array(fc.oneof({ weight: 8, arbitrary: pieceArb }, { weight: 1, arbitrary: fc.constant("\n") }), {
    maxLength: 400,
  })
  .map((pieces) => pieces.join(""));
const narrowTextArb = fc.array(fc.constantFrom(...NARROW), { maxLength: 300 }).map((p) => p.join(""));
const columnsArb = fc.integer({ min: 2, max: 160 });

/** The width of each grapheme, as the layout sees the string. */
const widths = (text: string) => Array.from(graphemes.segment(text), (g) => Bun.stringWidth(g.segment));

/**
 * Rows and columns agree with Bun.stringWidth: text that fits takes one row and its width; otherwise the
 * rows hold all of its width, each row at most `columns`, and no more than one column is lost per wrap
 * (a wide character moved to the next row). Narrow text fills rows exactly.
 */
export function layoutAgreesWithStringWidth(): fc.IProperty<[string, number]> {
  return fc.property(textArb, columnsArb, (text, columns) => {
    const width = Bun.stringWidth(text);
    // The per-grapheme widths the layout adds up are Bun's width of the whole.
    assert.equal(
      widths(text).reduce((a, b) => a + b, 0),
      width,
    );
    const { rows, column } = layoutText(text, columns);
    assert.ok(column >= 0 && column <= columns, `column ${column} within 0..${columns}`);
    if (width <= columns) {
      assert.deepEqual({ rows, column }, { rows: 1, column: width });
      return;
    }
    const cells = (rows - 1) * columns + column;
    assert.ok(cells >= width, `${rows} rows hold the width ${width}`);
    assert.ok(cells - width <= rows - 1, `at most one column lost per wrap (${cells - width} in ${rows})`);
    assert.ok(rows >= Math.ceil(width / columns));
  });
}

export function narrowTextFillsRowsExactly(): fc.IProperty<[string, number]> {
  return fc.property(narrowTextArb, columnsArb, (text, columns) => {
    const width = Bun.stringWidth(text);
    const rows = Math.max(1, Math.ceil(width / columns));
    assert.deepEqual(layoutText(text, columns), { rows, column: width - (rows - 1) * columns });
  });
}

/**
 * Zero-width characters take no room: adding them after any character changes nothing. A line break
 * starts a row: the rows of `a\nb` are those of `a` and of `b` together, and it ends where `b` does.
 */
export function zeroWidthAndBreaksCompose(): fc.IProperty<[string, string, number, number, number]> {
  return fc.property(
    textArb,
    textArb,
    fc.nat(),
    fc.constantFrom("\u200b", "\u0301"),
    columnsArb,
    (a, b, at, zero, columns) => {
      const pieces = Array.from(graphemes.segment(a), (g) => g.segment);
      if (pieces.length > 0) {
        const i = at % pieces.length;
        const withZero = [...pieces.slice(0, i + 1), zero, ...pieces.slice(i + 1)].join("");
        assert.equal(Bun.stringWidth(withZero), Bun.stringWidth(a));
        assert.deepEqual(layoutText(withZero, columns), layoutText(a, columns));
      }
      const joined = layoutText(`${a}\n${b}`, columns);
      const first = layoutText(a, columns);
      const second = layoutText(b, columns);
      assert.deepEqual(joined, { rows: first.rows + second.rows, column: second.column });
    },
  ) as unknown as fc.IProperty<[string, string, number, number, number]>;
}

/**
 * The caret stands inside the text's rows (or at the start of the row after a full last row), never past
 * the width, and never before the end of the text before it.
 */
export function caretStaysInTheText(): fc.IProperty<[string, number, number]> {
  return fc.property(textArb, fc.nat(), columnsArb, (text, at, columns) => {
    const pieces = Array.from(graphemes.segment(text), (g) => g.segment);
    const cut = pieces.length === 0 ? 0 : at % (pieces.length + 1);
    const before = pieces.slice(0, cut).join("");
    const after = pieces.slice(cut).join("");
    const caret = caretAt(before, after, columns);
    const whole = layoutText(text, columns);
    const lastRow = whole.column >= columns ? whole.rows : whole.rows - 1;
    assert.ok(caret.row >= 0 && caret.row <= lastRow, `row ${caret.row} within 0..${lastRow}`);
    assert.ok(caret.column >= 0 && caret.column < columns, `column ${caret.column} within the width`);
    const end = layoutText(before, columns);
    assert.ok(
      caret.row > end.rows - 1 || (caret.row === end.rows - 1 && caret.column === end.column),
      "at the end of the text before it, or at the start of a later row",
    );
  });
}

/** Cut to a width, text takes at most that width and keeps its start whole. */
export function truncationFitsTheWidth(): fc.IProperty<[string, number]> {
  return fc.property(textArb, fc.integer({ min: 0, max: 80 }), (text, width) => {
    const cut = truncateToWidth(text, width);
    assert.ok(Bun.stringWidth(cut) <= width, `"${cut}" within ${width} columns`);
    if (Bun.stringWidth(text) <= width) assert.equal(cut, text);
    else if (width > 0) assert.ok(cut.endsWith("…") && text.startsWith(cut.slice(0, -1)));
  });
}

/** The rows of a text, as cut for drawing a window of them, are the rows layoutText counts, in order. */
export function rowsAreTheLayoutsRows(): fc.IProperty<[string, number]> {
  return fc.property(blockArb, columnsArb, (text, columns) => {
    const rows = wrapRows(text, columns);
    assert.equal(rows.length, layoutText(text, columns).rows);
    let at = 0;
    for (const row of rows) {
      // Rows follow each other, with at most a line break between two.
      const gap = text.slice(at, row.start);
      assert.ok(gap === "" || gap === "\n", `only a line break between rows, not ${JSON.stringify(gap)}`);
      const shown = text.slice(row.start, row.end);
      assert.ok(!shown.includes("\n"));
      const width = Bun.stringWidth(shown);
      assert.ok(width <= columns || graphemeCount(shown) === 1, `row "${shown}" within ${columns} columns`);
      assert.equal(layoutText(shown, columns).rows, 1);
      at = row.end;
    }
    assert.equal(at, text.length);
  });
}

const graphemeCount = (text: string) => Array.from(graphemes.segment(text)).length;

/**
 * An input clipped to a number of rows takes no more than that when drawn, the cursor where it was in the
 * text, and input that fits is left alone.
 */
export function clippedInputFits(): fc.IProperty<[string, number, number, number]> {
  return fc.property(
    blockArb,
    fc.nat(),
    fc.integer({ min: 30, max: 120 }),
    fc.integer({ min: 4, max: 30 }),
    (text, at, columns, maxRows) => {
      const pieces = Array.from(graphemes.segment(text), (g) => g.segment);
      const cut = pieces.length === 0 ? 0 : at % (pieces.length + 1);
      const view = { before: pieces.slice(0, cut).join(""), after: pieces.slice(cut).join("") };
      const clipped = clipInput(view, columns, maxRows, (note) => note);
      const end = layoutText(clipped.before + clipped.after, columns);
      const drawn = end.rows + (end.column >= columns ? 1 : 0);
      const whole = layoutText(text, columns);
      if (whole.rows + (whole.column >= columns ? 1 : 0) <= maxRows) {
        assert.equal(clipped, view);
        return;
      }
      assert.ok(drawn <= maxRows, `${drawn} rows drawn, at most ${maxRows}`);
      // The window is consecutive rows of the input, cut at the same place: without the notes and the
      // line breaks, what is before the cursor ends the input's text before it, and what is after
      // starts the text after it.
      const content = (part: string) =>
        part
          .split("\n")
          .filter((line) => !line.startsWith("⋮"))
          .join("");
      const flat = (part: string) => part.replaceAll("\n", "");
      assert.ok(
        flat(view.before).endsWith(content(clipped.before)),
        "before the cursor: the end of the same",
      );
      assert.ok(
        flat(view.after).startsWith(content(clipped.after)),
        "after the cursor: the start of the same",
      );
    },
  );
}
