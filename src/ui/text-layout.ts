// biome-ignore lint/suspicious/noControlCharactersInRegex: finds the SGR sequences we emit ourselves.
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

/** One screen row of a text: the code units [start, end) of the text it shows (a line break is in none). */
export interface RowSpan {
  start: number;
  end: number;
}

/** The width of `text` on a terminal, our colour sequences ignored. */
export function textWidth(text: string): number {
  return Bun.stringWidth(text.replace(SGR, ""));
}

/** A piece of text as a terminal takes it: a grapheme with its width, a line break, or our colour code. */
interface Piece {
  index: number;
  length: number;
  width: number;
  kind: "char" | "break" | "style";
}

function* pieces(text: string): Generator<Piece> {
  let at = 0;
  for (const match of text.matchAll(SGR)) {
    yield* graphemePieces(text.slice(at, match.index), at);
    yield { index: match.index, length: match[0].length, width: 0, kind: "style" };
    at = match.index + match[0].length;
  }
  yield* graphemePieces(text.slice(at), at);
}

function* graphemePieces(text: string, offset: number): Generator<Piece> {
  for (const { segment, index } of graphemes.segment(text)) {
    const isBreak = segment === "\n" || segment === "\r\n";
    yield {
      index: offset + index,
      length: segment.length,
      width: isBreak ? 0 : Bun.stringWidth(segment),
      kind: isBreak ? "break" : "char",
    };
  }
}

/**
 * Whether a character of `width` starting at `column` goes to the next row. A wide character that does
 * not fit in the last column of a row goes to the next row and leaves that column empty, as terminals do;
 * counting widths alone would then put later rows and columns one off. (At column 0 nothing is gained by
 * wrapping: a character wider than the whole row stays.)
 */
const wraps = (column: number, width: number, columns: number) => column + width > columns && column > 0;

/**
 * How a terminal `columns` wide lays out `text`. A `\n` starts a new row (the caller writes it as CR LF).
 *
 * A row filled exactly leaves the column at `columns`: the terminal keeps its cursor on that row until
 * something more is written, so no new row is counted yet.
 */
export function layoutText(text: string, columns: number): TextEnd {
  let rows = 1;
  let column = 0;
  for (const piece of pieces(text)) {
    if (piece.kind === "break" || (piece.kind === "char" && wraps(column, piece.width, columns))) {
      rows++;
      column = 0;
    }
    column += piece.width;
  }
  return { rows, column };
}

/** The rows `text` takes at `columns` (as many as layoutText counts), each as the part of `text` it shows. */
export function wrapRows(text: string, columns: number): RowSpan[] {
  const rows: RowSpan[] = [];
  let start = 0;
  let column = 0;
  for (const piece of pieces(text)) {
    if (piece.kind === "break") {
      rows.push({ start, end: piece.index });
      start = piece.index + piece.length;
      column = 0;
      continue;
    }
    if (piece.kind === "char" && wraps(column, piece.width, columns)) {
      rows.push({ start, end: piece.index });
      start = piece.index;
      column = 0;
    }
    column += piece.width;
  }
  rows.push({ start, end: text.length });
  return rows;
}

/**
 * `text` (lines of ours, colour allowed) broken between words so that no row is wider than `columns`: the
 * spaces where a row breaks give way to a line break, and the next row starts with the line's own indent
 * and two spaces more. A word too long for a row even so is left where it is, for the terminal to break;
 * so is everything on a terminal too narrow for an indent to help (under 20 columns). For the program's
 * own lines only: a message's text is the sender's, and a copy of it from the screen must not gain line
 * breaks.
 */
export function wrapWords(text: string, columns: number): string {
  if (columns < 20) return text;
  let out = "";
  let row = ""; // the current row as written: where it ends is layoutText's (a long word wraps there)
  let indent = ""; // the current line's own indent
  let started = false; // a word of the line is written: spaces from here on are places to break
  let gap = ""; // the spaces (and colour codes among them) since the last word, not written yet
  let word = "";
  let wordWidth = 0;
  const put = (part: string) => {
    out += part;
    row += part;
  };
  const fits = (width: number) => layoutText(row, columns).column + width <= columns;
  // The gap at the end of a line: its spaces only if they fit (else they would make a row of their own).
  const endLine = () => put(fits(textWidth(gap)) ? gap : gap.replaceAll(" ", ""));
  const endWord = () => {
    if (wordWidth === 0) {
      gap += word; // colour codes alone: they wait with the spaces
    } else if (!started) {
      indent = " ".repeat(textWidth(gap));
      put(gap + word);
      started = true;
    } else if (fits(textWidth(gap) + wordWidth) || indent.length + 2 + wordWidth > columns) {
      put(gap + word);
    } else {
      out += "\n";
      row = "";
      put(`${indent}  ${gap.replaceAll(" ", "")}${word}`);
    }
    if (wordWidth > 0) gap = "";
    word = "";
    wordWidth = 0;
  };
  for (const piece of pieces(text)) {
    const part = text.slice(piece.index, piece.index + piece.length);
    if (piece.kind === "style") word += part;
    else if (piece.kind === "break") {
      endWord();
      endLine();
      out += part;
      [row, gap, started] = ["", "", false];
    } else if (part === " ") {
      endWord();
      gap += part;
    } else {
      word += part;
      wordWidth += piece.width;
    }
  }
  endWord();
  endLine();
  return out;
}

/**
 * Where the cursor stands in an input line written from column 0, with `before` the text before the
 * cursor and `after` the rest: on the cell where the next character goes. After a row filled exactly, or
 * before a wide character that will not fit on the row, that is the start of the next row.
 */
export function caretAt(before: string, after: string, columns: number): Cell {
  const end = layoutText(before, columns);
  let nextWidth = 0;
  for (const piece of pieces(after)) {
    if (piece.kind === "style") continue;
    nextWidth = piece.width;
    break;
  }
  if (end.column >= columns || wraps(end.column, nextWidth, columns)) return { row: end.rows, column: 0 };
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
