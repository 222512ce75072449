import { expect, test } from "bun:test";
import { parseSize } from "../../src/cli/size.ts";
import { UsageError } from "../../src/cli/usage-error.ts";

const U32 = 0xffff_ffff;
const size = (text: string, min = 0, max = U32) => parseSize(text, "--size", min, max);

test("plain bytes and binary units, any case, optional i/b suffix", () => {
  const cases: [string, number][] = [
    ["0", 0],
    ["65536", 65536],
    ["64k", 65536],
    ["64K", 65536],
    ["64kb", 65536],
    ["64KiB", 65536],
    ["64 k", 65536],
    ["16m", 16 * 1024 ** 2],
    ["16MiB", 16 * 1024 ** 2],
    ["1g", 1024 ** 3],
    ["1G", 1024 ** 3],
    ["3g", 3 * 1024 ** 3],
    ["100b", 100],
    ["1.5k", 1536],
    ["0.5m", 512 * 1024],
    [" 64k ", 65536],
    ["4294967295", U32],
  ];
  for (const [text, bytes] of cases) expect([text, size(text)]).toEqual([text, bytes]);
});

test("fractions of a byte are cut down to whole bytes", () => {
  expect(size("1.9")).toBe(1);
  expect(size("1.0001k")).toBe(1024);
});

test("garbage is refused with the option, the text and examples", () => {
  for (const text of [
    "",
    "k",
    "abc",
    "-1",
    "+1",
    "1e6",
    "0x100",
    "1.2.3",
    "16q",
    "16t",
    "1,5k",
    "64ki",
    ".5k",
    "5.k",
  ]) {
    let message = "";
    try {
      size(text);
    } catch (error) {
      expect(error).toBeInstanceOf(UsageError);
      message = (error as Error).message;
    }
    expect([text, message]).toEqual([
      text,
      `--size: '${text}' is not a size (examples: 65536, 64k, 16m, 1g)`,
    ]);
  }
});

test("values outside [min, max] are refused with the range", () => {
  expect(() => size("4g")).toThrow("out of range (0 to 4294967295 bytes)");
  expect(() => size("4294967296")).toThrow(UsageError);
  expect(() => size("99999999999999999999999")).toThrow("out of range");
  expect(() => size("1k", 2048)).toThrow("out of range (2048 to");
  expect(() => size("3k", 0, 2048)).toThrow("out of range (0 to 2048 bytes)");
  expect(size("2k", 2048, 2048)).toBe(2048);
});
