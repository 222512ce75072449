// biome-ignore lint/suspicious/noControlCharactersInRegex: strips the SGR sequences we emit ourselves.
const SGR = /\x1b\[[0-9;]*m/g;
const graphemes = new Intl.Segmenter(undefined, { granularity: "grapheme" });

/** Where text written from column 0 ends: the rows it takes and the column just after its last character. */
export interface TextEnd {
  rows: number;
  column: number;
}

/**
 * How a terminal `columns` wide lays out `text` (our own colour sequences ignored). A wide character that
 * does not fit in the last column of a row goes to the next row and leaves that column empty, as terminals
 * do; counting widths alone would then put later rows and columns one off.
 */
export function layoutText(text: string, columns: number): TextEnd {
  let rows = 1;
  let column = 0;
  for (const { segment } of graphemes.segment(text.replace(SGR, ""))) {
    const width = Bun.stringWidth(segment);
    if (column + width > columns) {
      rows++;
      column = 0;
    }
    column += width;
  }
  return { rows, column };
}
