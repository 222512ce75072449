import { UNSAFE } from "./sanitize.ts";
import { textWidth } from "./text-layout.ts";

/**
 * A message of several lines is shown as a block: its first line after the sender's name, the others
 * indented under it, so that where one message ends and the next begins stays plain.
 *
 *   client › first line
 *            second line
 */

/** `lines` as a block under `head` (which may carry colour): one screen line each. */
export function blockLines(head: string, lines: readonly string[]): string[] {
  const indent = " ".repeat(textWidth(head));
  return lines.map((line, i) => (i === 0 ? head + line : indent + line));
}

/**
 * A received payload cut at its line breaks (`\n`, or `\r\n`), the breaks themselves left out. Each line is
 * then escaped on its own (sanitize.ts): a break is the only control byte that shapes the display.
 */
export function splitLines(payload: Uint8Array): Uint8Array[] {
  const lines: Uint8Array[] = [];
  let start = 0;
  for (;;) {
    const end = payload.indexOf(0x0a, start);
    if (end < 0) break;
    lines.push(payload.subarray(start, end > start && payload[end - 1] === 0x0d ? end - 1 : end));
    start = end + 1;
  }
  lines.push(payload.subarray(start));
  return lines;
}

/**
 * The characters that would move the cursor or reorder text if written as they are: sanitize.ts's set, tab
 * and line feed among them (drawn below as a space and as a break).
 */
const UNSAFE_ALL = new RegExp(UNSAFE.source, "g");

/**
 * The input as drawn: each line break becomes a break plus `indent`, so that a pasted block is shown as
 * a block under the prompt; a tab is drawn as one space and any other control character as `�`. Every
 * character maps on its own, so the text before the cursor maps to the start of the whole.
 */
export function inputDisplay(text: string, indent: string): string {
  return text.replace(UNSAFE_ALL, (char) => (char === "\n" ? `\n${indent}` : char === "\t" ? " " : "\ufffd"));
}
