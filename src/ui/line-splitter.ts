import { ByteParts, type Bytes } from "../protocol/bytes.ts";

/**
 * A line from the input: its bytes without the `\n` (views of the input chunks, in as many parts as the line
 * was read in), or the fact that it was too long to keep.
 */
export type InputLine = { bytes: Bytes; tooLong?: undefined } | { tooLong: number; bytes?: undefined };

const NEWLINE = 0x0a;

/**
 * Splits a byte stream into lines at `\n`, byte for byte: nothing is decoded, a `\r` stays part of its line.
 * A line that grows past `limit` is not buffered any further; it is reported as too long (with its length)
 * when its end arrives, so no input can make this hold more than `limit` bytes. A line is not joined into one
 * array: a long line is handed out as the chunks it came in (the input must not reuse its chunks).
 */
export class LineSplitter {
  private parts: Uint8Array[] = [];
  private held = 0;
  private overflow = 0; // length of a too-long line being skipped; 0 when none

  constructor(public limit: number) {}

  push(chunk: Uint8Array): InputLine[] {
    const lines: InputLine[] = [];
    let start = 0;
    for (let nl = chunk.indexOf(NEWLINE); nl !== -1; nl = chunk.indexOf(NEWLINE, start)) {
      this.take(chunk.subarray(start, nl));
      lines.push(this.finish());
      start = nl + 1;
    }
    if (start < chunk.length) this.take(chunk.subarray(start));
    return lines;
  }

  /** The last line, when the input ended without a `\n` after it. */
  end(): InputLine | null {
    return this.held > 0 || this.overflow > 0 ? this.finish() : null;
  }

  private take(bytes: Uint8Array): void {
    if (this.overflow > 0 || this.held + bytes.length > this.limit) {
      this.overflow += (this.overflow > 0 ? 0 : this.held) + bytes.length;
      this.parts = [];
      this.held = 0;
      return;
    }
    if (bytes.length > 0) {
      this.parts.push(bytes);
      this.held += bytes.length;
    }
  }

  private finish(): InputLine {
    if (this.overflow > 0) {
      const tooLong = this.overflow;
      this.overflow = 0;
      return { tooLong };
    }
    const parts = this.parts;
    this.parts = [];
    this.held = 0;
    if (parts.length === 1) return { bytes: parts[0] as Uint8Array };
    return { bytes: parts.length === 0 ? new Uint8Array(0) : new ByteParts(parts) };
  }
}
