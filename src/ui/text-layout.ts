// biome-ignore lint/suspicious/noControlCharactersInRegex: strips the SGR sequences we emit ourselves.
const SGR = /\x1b\[[0-9;]*m/g;
const graphemes = new Intl.Segmenter(undefined, { granularity: "grapheme" });

/**
 * Pure arithmetic of where text lands on a terminal `columns` wide, written from column 0. Everything that
 * draws or finds things on the interactive screen (the input, the status line, the ✓ of an ACK) counts rows
 * with these functions, so that they all agree with each other and with the terminal.
 *
 * Widths are Bun.stringWidth's, per grapheme; our own colour (SGR) sequences take no room.
 */

/** Where text written from column 0 ends: the rows it takes and the column just after its last character. */
export interface TextEnd {
  rows: number;
  column: number;
}

/** A cell on the screen, counted from the row where the text started (0) and from column 0. */
export interface Cell {
  row: number;
  column: number;
}

/** The width of `text` on a terminal, our colour sequences ignored. */
export function textWidth(text: string): number {
  return Bun.stringWidth(text.replace(SGR, ""));
}

/**
 * How a terminal `columns` wide lays out `text`. A wide character that does not fit in the last column of
 * a row goes to the next row and leaves that column empty, as terminals do; counting widths alone would
 * then put later rows and columns one off. A `\n` starts a new row (the caller writes it as CR LF).
 *
 * A row filled exactly leaves the column at `columns`: the terminal keeps its cursor on that row until
 * something more is written, so no new row is counted yet.
 */
export function layoutText(text: string, columns: number): TextEnd {
  let rows = 1;
  let column = 0;
  for (const { segment } of graphemes.segment(text.replace(SGR, ""))) {
    if (segment === "\n" || segment === "\r\n") {
      rows++;
      column = 0;
      continue;
    }
    const width = Bun.stringWidth(segment);
    // (At column 0 nothing is gained by wrapping: a character wider than the whole row stays.)
    if (column + width > columns && column > 0) {
      rows++;
      column = 0;
    }
    column += width;
  }
  return { rows, column };
}

/**
 * Where the cursor stands in an input line written from column 0, with `before` the text before the
 * cursor and `after` the rest: on the cell where the next character goes. After a row filled exactly, or
 * before a wide character that will not fit on the row, that is the start of the next row.
 */
export function caretAt(before: string, after: string, columns: number): Cell {
  const end = layoutText(before, columns);
  const next = firstGrapheme(after.replace(SGR, ""));
  const nextWidth = next === "" || next === "\n" || next === "\r\n" ? 0 : Bun.stringWidth(next);
  if (end.column >= columns || (end.column > 0 && end.column + nextWidth > columns)) {
    return { row: end.rows, column: 0 };
  }
  return { row: end.rows - 1, column: end.column };
}

/** `text` (plain, one line) cut to at most `width` columns, with `…` where it was cut. */
export function truncateToWidth(text: string, width: number): string {
  if (Bun.stringWidth(text) <= width) return text;
  if (width <= 0) return "";
  let kept = "";
  let used = 0;
  for (const { segment } of graphemes.segment(text)) {
    const w = Bun.stringWidth(segment);
    if (used + w > width - 1) break;
    kept += segment;
    used += w;
  }
  return `${kept}…`;
}

function firstGrapheme(text: string): string {
  for (const { segment } of graphemes.segment(text)) return segment;
  return "";
}
