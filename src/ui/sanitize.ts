/**
 * Turns a peer's bytes into text that is safe to put on a terminal.
 *
 * The peer controls these bytes, so nothing in them may reach the terminal as a control: C0 controls (ESC
 * among them, so no escape sequence ever starts), DEL, C1 controls (U+0080–U+009F, which some terminals
 * obey as CSI and friends) and the bidirectional overrides that can make text read differently from what it
 * is are all shown as escapes. Bytes that are not UTF-8 are shown as `\xNN`, never dropped.
 */

/** A run of ordinary text, or of escapes standing for bytes that must not reach the terminal as they are. */
export interface Segment {
  text: string;
  escape: boolean;
}

const NAMED: Record<number, string> = { 9: "\\t", 10: "\\n", 13: "\\r", 27: "\\e" };

/** Code points that must be escaped: C0, DEL, C1, bidi controls, line/paragraph separators, BOM. */
function needsEscape(cp: number): boolean {
  return (
    cp < 0x20 ||
    (cp >= 0x7f && cp <= 0x9f) ||
    cp === 0x061c ||
    (cp >= 0x200e && cp <= 0x200f) ||
    (cp >= 0x2028 && cp <= 0x202e) ||
    (cp >= 0x2066 && cp <= 0x2069) ||
    cp === 0xfeff
  );
}

/**
 * `\xNN` always stands for one byte (an ASCII control, or a byte that is not UTF-8) and `\u{...}` for a
 * code point, so a C1 control sent as UTF-8 (C2 85) and a stray byte 0x85 look different.
 */
function escapeCodePoint(cp: number): string {
  const named = NAMED[cp];
  if (named) return named;
  if (cp < 0x80) return `\\x${cp.toString(16).padStart(2, "0")}`;
  return `\\u{${cp.toString(16)}}`;
}

const strict = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
/**
 * A character that must be escaped (needsEscape's set, as a pattern). Here the quick test for the common
 * case, valid UTF-8 without anything to escape; the input line (message-block.ts) draws the same set.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
export const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ufeff]/;

/** Splits `bytes` into runs of ordinary text and of escapes. */
export function sanitize(bytes: Uint8Array): Segment[] {
  try {
    const text = strict.decode(bytes);
    if (!UNSAFE.test(text)) return text === "" ? [] : [{ text, escape: false }];
  } catch {
    // not valid UTF-8: handled byte by byte below
  }
  const segments: Segment[] = [];
  const add = (text: string, isEscape: boolean) => {
    const last = segments[segments.length - 1];
    if (last && last.escape === isEscape) last.text += text;
    else segments.push({ text, escape: isEscape });
  };
  let i = 0;
  while (i < bytes.length) {
    const decoded = decodeOne(bytes, i);
    if (decoded === null) {
      add(`\\x${(bytes[i] as number).toString(16).padStart(2, "0")}`, true);
      i++;
      continue;
    }
    const [cp, size] = decoded;
    if (needsEscape(cp)) add(escapeCodePoint(cp), true);
    else add(String.fromCodePoint(cp), false);
    i += size;
  }
  return segments;
}

/** The text with escapes, without any styling (for tests and for logs). */
export function sanitizeToString(bytes: Uint8Array): string {
  return sanitize(bytes)
    .map((segment) => segment.text)
    .join("");
}

/** Decodes one UTF-8 sequence at `i`: [code point, length], or null where the bytes are not well-formed. */
function decodeOne(bytes: Uint8Array, i: number): [number, number] | null {
  const b0 = bytes[i] as number;
  if (b0 < 0x80) return [b0, 1];
  let size: number;
  let cp: number;
  let min: number;
  if (b0 >= 0xc2 && b0 <= 0xdf) {
    size = 2;
    cp = b0 & 0x1f;
    min = 0x80;
  } else if (b0 >= 0xe0 && b0 <= 0xef) {
    size = 3;
    cp = b0 & 0x0f;
    min = 0x800;
  } else if (b0 >= 0xf0 && b0 <= 0xf4) {
    size = 4;
    cp = b0 & 0x07;
    min = 0x10000;
  } else {
    return null;
  }
  if (i + size > bytes.length) return null;
  for (let k = 1; k < size; k++) {
    const b = bytes[i + k] as number;
    if ((b & 0xc0) !== 0x80) return null;
    cp = (cp << 6) | (b & 0x3f);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return null;
  return [cp, size];
}
