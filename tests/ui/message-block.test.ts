import { expect, test } from "bun:test";
import { blockLines, inputDisplay, splitLines } from "../../src/ui/message-block.ts";

const bytes = (text: string) => new TextEncoder().encode(text);
const texts = (lines: Uint8Array[]) => lines.map((line) => new TextDecoder().decode(line));

test("a payload is cut at \\n and at \\r\\n; a lone \\r stays (it is escaped when shown)", () => {
  expect(texts(splitLines(bytes("one")))).toEqual(["one"]);
  expect(texts(splitLines(bytes("one\ntwo\r\nthree\rfour")))).toEqual(["one", "two", "three\rfour"]);
  expect(texts(splitLines(bytes("\n")))).toEqual(["", ""]);
  expect(texts(splitLines(bytes("")))).toEqual([""]);
});

test("continuation lines are indented to the width of the head, its colours not counted", () => {
  expect(blockLines("client › ", ["one", "two"])).toEqual(["client › one", "         two"]);
  expect(blockLines("\x1b[1mclient › \x1b[22m", ["one", "two"])[1]).toBe("         two");
  expect(blockLines("you › ", ["only"])).toEqual(["you › only"]);
});

test("the input as drawn: breaks indented, tab as a space, controls as �, one character for one", () => {
  expect(inputDisplay("a\nb", "  ")).toBe("a\n  b");
  expect(inputDisplay("a\tb\x1bc\u202ed", "")).toBe("a b\ufffdc\ufffdd");
  const text = "x\ty\u0085z";
  expect(inputDisplay(text, "").length).toBe(text.length);
});
