import { caretAt, layoutText, type RowSpan, wrapRows } from "./text-layout.ts";

/**
 * An input taller than its share of the screen (a long paste) is drawn as a window of its rows around the
 * cursor, with a line above and below saying how many rows are out of view. Drawn whole, it would push
 * everything printed above it off the screen, and the screen could not climb back to its top to redraw
 * it (the cursor stops at the top of the screen). The window's rows are the input's rows as the terminal
 * would wrap them, drawn as lines of their own.
 */

/** The input as it is to be drawn, split at the cursor. */
export interface InputView {
  before: string;
  after: string;
}

/**
 * `before` + `after` (drawn from column 0, cursor between them) cut to at most `maxRows` rows at `columns`.
 * `note` turns "N rows above/below" into the line shown for them. Input that fits is returned as it is.
 */
export function clipInput(
  view: InputView,
  columns: number,
  maxRows: number,
  note: (text: string) => string,
): InputView {
  const text = view.before + view.after;
  const end = layoutText(text, columns);
  // A last row filled exactly takes one more row when drawn (the cursor's).
  const drawnRows = end.rows + (end.column >= columns ? 1 : 0);
  if (drawnRows <= maxRows) return view;

  const rows = wrapRows(text, columns);
  const caret = caretAt(view.before, view.after, columns);
  if (caret.row >= rows.length) rows.push({ start: text.length, end: text.length });
  const total = rows.length;
  // One row to spare: the last row shown may be full.
  const height = Math.max(3, maxRows - 1);
  let top: number;
  let bottom: number;
  if (caret.row < height - 1) {
    [top, bottom] = [0, height - 1];
  } else if (caret.row >= total - (height - 1)) {
    [top, bottom] = [total - (height - 1), total];
  } else {
    [top, bottom] = [caret.row - (height - 3), caret.row + 1];
  }
  top = Math.max(0, top);
  bottom = Math.min(total, bottom);

  const cursor = view.before.length;
  const at = rows[caret.row] as RowSpan;
  // The caret's row is cut where the cursor is; when a row filled exactly or a wide character moved the
  // caret to the next row, the cursor is at that row's start.
  const split = Math.min(Math.max(cursor, at.start), at.end);
  const shown = (from: number, to: number) => rows.slice(from, to).map((r) => text.slice(r.start, r.end));
  const above = top > 0 ? [note(`⋮ ${top} more ${top === 1 ? "row" : "rows"} above`)] : [];
  const below =
    bottom < total ? [note(`⋮ ${total - bottom} more ${total - bottom === 1 ? "row" : "rows"} below`)] : [];
  return {
    before: [...above, ...shown(top, caret.row), text.slice(at.start, split)].join("\n"),
    after: [text.slice(split, at.end), ...shown(caret.row + 1, bottom), ...below].join("\n"),
  };
}
