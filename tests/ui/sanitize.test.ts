import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { type Segment, sanitize, sanitizeToString } from "../../src/ui/sanitize.ts";

const bytes = (...values: number[]) => new Uint8Array(values);
const utf8 = (text: string) => new TextEncoder().encode(text);
const shown = (text: string) => sanitizeToString(utf8(text));

/** A character a terminal could act on: C0, DEL, C1. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point.
const TERMINAL_CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
/** Those, plus the invisible characters that reorder or break text. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point.
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ufeff]/;

/**
 * Reads the bytes back out of the segments: text as UTF-8, escapes token by token. If this gives back the
 * input for every input, nothing was dropped or changed, and every escape is one of the documented forms.
 */
function bytesBack(segments: Segment[]): Uint8Array {
  const out: number[] = [];
  const named: Record<string, number> = { t: 9, n: 10, r: 13, e: 27 };
  for (const segment of segments) {
    if (!segment.escape) {
      out.push(...utf8(segment.text));
      continue;
    }
    const token = /\\(?:([tnre])|x([0-9a-f]{2})|u\{([0-9a-f]+)\})/y;
    let at = 0;
    while (at < segment.text.length) {
      token.lastIndex = at;
      const match = token.exec(segment.text);
      if (!match) throw new Error(`not an escape at ${at} in ${JSON.stringify(segment.text)}`);
      if (match[1]) out.push(named[match[1]] as number);
      else if (match[2]) out.push(Number.parseInt(match[2], 16));
      else out.push(...utf8(String.fromCodePoint(Number.parseInt(match[3] as string, 16))));
      at = token.lastIndex;
    }
  }
  return new Uint8Array(out);
}

describe("escape sequences are shown, never passed through", () => {
  test("clear screen: ESC[2J", () => {
    const out = sanitizeToString(utf8("\x1b[2J"));
    expect(out).toBe("\\e[2J");
    expect(out).not.toContain("\x1b");
  });

  test("CSI and OSC sequences, with BEL and ST terminators", () => {
    const hostile = [
      "\x1b[31mred\x1b[0m",
      "\x1b[H\x1b[2J\x1b[3J",
      "\x1b]0;pwned title\x07",
      "\x1b]52;c;Y2xpcGJvYXJk\x1b\\",
      "\x1b]8;;http://evil.example/\x1b\\link\x1b]8;;\x1b\\",
      "\x1bP+q\x1b\\",
      "\x1b[6n",
    ];
    for (const text of hostile) {
      const out = shown(text);
      expect(out).not.toMatch(TERMINAL_CONTROL);
      expect(out.split("\\e").length - 1).toBe(text.split("\x1b").length - 1);
    }
    expect(shown("\x1b]0;t\x07")).toBe("\\e]0;t\\x07");
  });

  test("8-bit CSI: the byte 0x9b alone and U+009B as UTF-8 both escaped, distinguishably", () => {
    expect(sanitizeToString(bytes(0x9b, 0x32, 0x4a))).toBe("\\x9b2J");
    expect(sanitizeToString(bytes(0xc2, 0x9b, 0x32, 0x4a))).toBe("\\u{9b}2J");
  });
});

describe("control characters", () => {
  test("every C0 control and DEL, each alone and amid text", () => {
    const named: Record<number, string> = { 9: "\\t", 10: "\\n", 13: "\\r", 27: "\\e" };
    for (let b = 0; b <= 0x7f; b++) {
      if (b >= 0x20 && b < 0x7f) continue;
      const expected = named[b] ?? `\\x${b.toString(16).padStart(2, "0")}`;
      expect(sanitizeToString(bytes(b))).toBe(expected);
      expect(sanitizeToString(bytes(0x61, b, 0x62))).toBe(`a${expected}b`);
      expect(sanitize(bytes(0x61, b, 0x62))).toEqual([
        { text: "a", escape: false },
        { text: expected, escape: true },
        { text: "b", escape: false },
      ]);
    }
  });

  test("every C1 control (U+0080–U+009F as UTF-8)", () => {
    for (let cp = 0x80; cp <= 0x9f; cp++) {
      const out = sanitizeToString(utf8(`x${String.fromCodePoint(cp)}y`));
      expect(out).toBe(`x\\u{${cp.toString(16)}}y`);
      expect(out).not.toMatch(TERMINAL_CONTROL);
    }
  });

  test("bidi overrides and isolates, marks, line separators and BOM", () => {
    const invisible = [
      0x061c, 0x200e, 0x200f, 0x2028, 0x2029, 0x202a, 0x202b, 0x202c, 0x202d, 0x202e, 0x2066, 0x2067, 0x2068,
      0x2069, 0xfeff,
    ];
    for (const cp of invisible) {
      expect(shown(`a${String.fromCodePoint(cp)}b`)).toBe(`a\\u{${cp.toString(16)}}b`);
    }
    // The "Trojan Source" shape: an RLO that would make the line read backwards.
    expect(shown("access\u202e\u2066// admin\u2069\u2066")).toBe(
      "access\\u{202e}\\u{2066}// admin\\u{2069}\\u{2066}",
    );
  });

  test("a BOM at the very start is shown too, not swallowed by the decoder", () => {
    expect(sanitizeToString(bytes(0xef, 0xbb, 0xbf, 0x68, 0x69))).toBe("\\u{feff}hi");
  });
});

describe("bytes that are not UTF-8", () => {
  test("every byte 0x80–0xff alone is shown as \\xNN", () => {
    for (let b = 0x80; b <= 0xff; b++) {
      expect(sanitize(bytes(b))).toEqual([{ text: `\\x${b.toString(16)}`, escape: true }]);
    }
  });

  test("amid valid text nothing around them is lost", () => {
    expect(sanitizeToString(bytes(0x61, 0xff, 0x62))).toBe("a\\xffb");
    expect(sanitizeToString(bytes(0xc3, 0xa9, 0xfe, 0xc3, 0xa9))).toBe("é\\xfeé");
  });

  test("truncated, overlong, surrogate and out-of-range sequences: one \\xNN per byte", () => {
    const cases: [number[], string][] = [
      [[0xe2, 0x82], "\\xe2\\x82"], // € cut short
      [[0xe2, 0x82, 0x41], "\\xe2\\x82A"],
      [[0xf0, 0x9f, 0x98], "\\xf0\\x9f\\x98"], // emoji cut short
      [[0xc0, 0xaf], "\\xc0\\xaf"], // overlong '/'
      [[0xe0, 0x80, 0xaf], "\\xe0\\x80\\xaf"], // overlong '/'
      [[0xed, 0xa0, 0x80], "\\xed\\xa0\\x80"], // a UTF-16 surrogate
      [[0xf4, 0x90, 0x80, 0x80], "\\xf4\\x90\\x80\\x80"], // above U+10FFFF
      [[0xc3, 0x28], "\\xc3("], // lead byte without its continuation
      [[0x80, 0x80], "\\x80\\x80"], // continuations without a lead
    ];
    for (const [input, expected] of cases) expect(sanitizeToString(new Uint8Array(input))).toBe(expected);
  });

  test("the escapes of a run of bad bytes form one escape segment", () => {
    expect(sanitize(bytes(0x61, 0xff, 0x1b, 0xfe, 0x62))).toEqual([
      { text: "a", escape: false },
      { text: "\\xff\\e\\xfe", escape: true },
      { text: "b", escape: false },
    ]);
  });
});

describe("ordinary text is left alone", () => {
  test("multilingual text and emoji, unchanged and in one segment", () => {
    const texts = [
      "hello, world",
      "héllo wörld — ¿qué tal? ½ ° ÿ",
      "Привет, мир",
      "こんにちは世界",
      "你好，世界",
      "مرحبا بالعالم",
      "שלום עולם",
      "नमस्ते दुनिया",
      "😀🎉👍🏽 👨‍👩‍👧‍👦 🇫🇷",
      "e\u0301 (combining accent)",
      "\\x1b is four characters here, not an escape",
    ];
    for (const text of texts) {
      expect(sanitize(utf8(text))).toEqual([{ text, escape: false }]);
    }
  });

  test("an empty payload gives no segments", () => {
    expect(sanitize(new Uint8Array(0))).toEqual([]);
    expect(sanitizeToString(new Uint8Array(0))).toBe("");
  });

  test("the largest code points are fine", () => {
    expect(shown("\u{10ffff}\u{fffd}\u{e000}")).toBe("\u{10ffff}\u{fffd}\u{e000}");
  });
});

describe("properties over arbitrary bytes", () => {
  const settings = { seed: 0x121c, numRuns: 3000 };

  /** Bytes that are mostly near-valid UTF-8: fragments of good characters, controls and stray bytes. */
  const pieces = fc.oneof(
    fc.string({ unit: "binary", maxLength: 4 }).map((s) => [...utf8(s)]),
    fc.constantFrom(
      [0x1b],
      [0x1b, 0x5b],
      [0xc2, 0x9b],
      [0xe2, 0x80, 0xae],
      [0xef, 0xbb, 0xbf],
      [0x7f],
      [0x0a],
    ),
    fc.uint8Array({ maxLength: 3 }).map((a) => [...a]),
    fc.integer({ min: 0x80, max: 0xff }).map((b) => [b]),
  );
  const nearUtf8 = fc.array(pieces, { maxLength: 24 }).map((parts) => new Uint8Array(parts.flat()));
  const anyBytes = fc.uint8Array({ maxLength: 64 });

  for (const [name, arbitrary] of [
    ["random bytes", anyBytes],
    ["near-UTF-8 bytes", nearUtf8],
  ] as const) {
    test(`${name}: no C0, DEL or C1 character and no bidi control ever comes out`, () => {
      fc.assert(
        fc.property(arbitrary, (input) => {
          const out = sanitizeToString(input);
          expect(out).not.toMatch(TERMINAL_CONTROL);
          expect(out).not.toMatch(UNSAFE);
        }),
        settings,
      );
    });

    test(`${name}: every byte can be read back from the output (nothing dropped)`, () => {
      fc.assert(
        fc.property(arbitrary, (input) => {
          const segments = sanitize(input);
          expect(bytesBack(segments)).toEqual(input);
          // segments alternate and are never empty
          for (let i = 0; i < segments.length; i++) {
            expect((segments[i] as Segment).text.length).toBeGreaterThan(0);
            if (i > 0) expect((segments[i] as Segment).escape).not.toBe((segments[i - 1] as Segment).escape);
          }
        }),
        settings,
      );
    });
  }

  test("valid UTF-8 without controls comes out as the decoded text", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 40 }), (text) => {
        fc.pre(!UNSAFE.test(text));
        expect(shown(text)).toBe(text);
      }),
      settings,
    );
  });
});
