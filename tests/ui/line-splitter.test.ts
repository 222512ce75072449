import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { ByteParts, flat } from "../../src/protocol/bytes.ts";
import { type InputLine, LineSplitter } from "../../src/ui/line-splitter.ts";

const bytes = (text: string) => new TextEncoder().encode(text);
const decoder = new TextDecoder();

/** Lines as plain arrays (or { tooLong }), easy to compare. */
function plain(lines: (InputLine | null)[]): (number[] | { tooLong: number } | null)[] {
  return lines.map((line) => {
    if (line === null) return null;
    if (line.tooLong !== undefined) return { tooLong: line.tooLong };
    return [...flat(line.bytes)];
  });
}

/** Feeds all chunks, then end(); returns every line in order. */
function split(chunks: Uint8Array[], limit = Number.POSITIVE_INFINITY): InputLine[] {
  const splitter = new LineSplitter(limit);
  const lines = chunks.flatMap((chunk) => splitter.push(chunk));
  const last = splitter.end();
  return last ? [...lines, last] : lines;
}

/** What splitting must give: the pieces between `\n` bytes; the last only when not empty. */
function expectedLines(input: Uint8Array, limit: number): (number[] | { tooLong: number })[] {
  const lines: number[][] = [[]];
  for (const byte of input) {
    if (byte === 0x0a) lines.push([]);
    else (lines[lines.length - 1] as number[]).push(byte);
  }
  if ((lines[lines.length - 1] as number[]).length === 0) lines.pop();
  return lines.map((line) => (line.length > limit ? { tooLong: line.length } : line));
}

describe("splitting at \\n", () => {
  test("several lines in one chunk, byte for byte", () => {
    const splitter = new LineSplitter(1024);
    expect(plain(splitter.push(bytes("one\ntwo\nthree\n")))).toEqual([
      [...bytes("one")],
      [...bytes("two")],
      [...bytes("three")],
    ]);
    expect(splitter.end()).toBeNull();
  });

  test("\\r stays part of its line (CRLF input is sent as typed)", () => {
    expect(plain(split([bytes("a\r\nb\r\n\r\n")]))).toEqual([[0x61, 0x0d], [0x62, 0x0d], [0x0d]]);
  });

  test("empty lines are lines (empty messages)", () => {
    expect(plain(split([bytes("\n\nx\n\n")]))).toEqual([[], [], [0x78], []]);
  });

  test("nothing is decoded: invalid UTF-8 and NUL bytes pass unchanged", () => {
    const input = new Uint8Array([0xff, 0x00, 0xc3, 0x0a, 0x80, 0x1b, 0x5b]);
    expect(plain(split([input]))).toEqual([
      [0xff, 0x00, 0xc3],
      [0x80, 0x1b, 0x5b],
    ]);
  });

  test("a line split across chunks, also at the \\n itself", () => {
    const splitter = new LineSplitter(1024);
    expect(splitter.push(bytes("hel"))).toEqual([]);
    expect(splitter.push(bytes("lo wo"))).toEqual([]);
    expect(plain(splitter.push(bytes("rld")))).toEqual([]);
    expect(plain(splitter.push(bytes("\n")))).toEqual([[...bytes("hello world")]]);
    expect(plain(splitter.push(bytes("\nx")))).toEqual([[]]);
    expect(plain([splitter.end()])).toEqual([[0x78]]);
    expect(splitter.end()).toBeNull();
  });

  test("a line over several chunks comes as views of those chunks, not joined into a copy", () => {
    const splitter = new LineSplitter(1024);
    const first = bytes("hello ");
    const second = bytes("world\nnext");
    splitter.push(first);
    const lines = splitter.push(second);
    expect(lines).toHaveLength(1);
    const line = lines[0]?.bytes as ByteParts;
    expect(line).toBeInstanceOf(ByteParts);
    expect(line.parts.map((part) => part.buffer)).toEqual([first.buffer, second.buffer]);
    expect(decoder.decode(line.join())).toBe("hello world");
  });

  test("empty chunks change nothing", () => {
    const splitter = new LineSplitter(1024);
    expect(splitter.push(new Uint8Array(0))).toEqual([]);
    splitter.push(bytes("ab"));
    expect(splitter.push(new Uint8Array(0))).toEqual([]);
    expect(plain(splitter.push(bytes("\n")))).toEqual([[0x61, 0x62]]);
  });
});

describe("end of input", () => {
  test("a last line without \\n comes from end()", () => {
    const splitter = new LineSplitter(1024);
    expect(plain(splitter.push(bytes("a\nlast")))).toEqual([[0x61]]);
    expect(plain([splitter.end()])).toEqual([[...bytes("last")]]);
  });

  test("nothing after the last \\n: end() has no line", () => {
    const splitter = new LineSplitter(1024);
    splitter.push(bytes("a\n"));
    expect(splitter.end()).toBeNull();
    expect(new LineSplitter(8).end()).toBeNull();
  });
});

describe("lines longer than the limit", () => {
  test("a line of exactly the limit is kept; one byte more is too long, with its full length", () => {
    expect(plain(split([bytes("12345\n123456\nok\n")], 5))).toEqual([
      [...bytes("12345")],
      { tooLong: 6 },
      [...bytes("ok")],
    ]);
  });

  test("a long line over many chunks is counted, not held", () => {
    const limit = 100;
    const splitter = new LineSplitter(limit);
    const chunk = new Uint8Array(64).fill(0x61);
    for (let i = 0; i < 1000; i++) {
      expect(splitter.push(chunk)).toEqual([]);
      // what it holds never goes past the limit
      expect(heldBytes(splitter)).toBeLessThanOrEqual(limit);
    }
    expect(plain(splitter.push(bytes("bb\nnext\n")))).toEqual([{ tooLong: 64_002 }, [...bytes("next")]]);
    expect(heldBytes(splitter)).toBe(0);
  });

  test("a too-long last line without \\n is reported by end()", () => {
    const splitter = new LineSplitter(3);
    splitter.push(bytes("ab"));
    splitter.push(bytes("cd"));
    expect(plain([splitter.end()])).toEqual([{ tooLong: 4 }]);
    expect(splitter.end()).toBeNull();
  });

  test("limit 0: only empty lines pass", () => {
    expect(plain(split([bytes("\nx\n\n")], 0))).toEqual([[], { tooLong: 1 }, []]);
  });

  test("the limit can be set between chunks (it becomes known when the peer's HELLO arrives)", () => {
    const splitter = new LineSplitter(Number.POSITIVE_INFINITY);
    splitter.limit = 4;
    expect(plain(splitter.push(bytes("abcd\nabcde\n")))).toEqual([[...bytes("abcd")], { tooLong: 5 }]);
  });
});

test("property: any bytes, cut into any chunks, give the same lines as splitting the whole", () => {
  const input = fc.uint8Array({ maxLength: 200 }).chain((data) =>
    fc.record({
      data: fc.constant(data),
      cuts: fc.uniqueArray(fc.integer({ min: 0, max: data.length }), { maxLength: 12 }),
      limit: fc.integer({ min: 0, max: 40 }),
    }),
  );
  // bias toward newlines, so that lines are short and many
  const newlineHeavy = input.map(({ data, cuts, limit }) => ({
    data: data.map((b) => (b % 5 === 0 ? 0x0a : b)),
    cuts,
    limit,
  }));
  fc.assert(
    fc.property(newlineHeavy, ({ data, cuts, limit }) => {
      const points = [0, ...cuts.sort((a, b) => a - b), data.length];
      const chunks = points.slice(1).map((end, i) => data.subarray(points[i] as number, end));
      expect(plain(split(chunks, limit))).toEqual(expectedLines(data, limit));
    }),
    { seed: 121, numRuns: 2000 },
  );
});

/** How many bytes the splitter holds for the current line (its private buffer; tests only). */
function heldBytes(splitter: LineSplitter): number {
  return (splitter as unknown as { parts: Uint8Array[] }).parts.reduce((sum, part) => sum + part.length, 0);
}
