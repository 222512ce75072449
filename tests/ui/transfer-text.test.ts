import { expect, test } from "bun:test";
import { describeDone } from "../../src/ui/transfer-text.ts";

test("a fast transfer's done line gives its time in tenths of a second, not `in 0 s`", () => {
  const transfer = {
    id: 3,
    direction: "out" as const,
    name: "big.bin",
    totalBytes: 30_000_000,
    files: 1,
    entries: 1,
  };
  const done = (flowMs: number) => ({
    type: "done" as const,
    transfer,
    localName: null,
    resumedFrom: 0,
    flowMs,
  });
  expect(describeDone(done(140), "server")).toBe(
    "✓ #3 big.bin delivered: the server has it all, checked (28.6 MiB in 0.1 s, 214.3 MB/s)",
  );
  expect(describeDone(done(2_400), "server")).toContain("(28.6 MiB in 2.4 s, 12.5 MB/s)");
  expect(describeDone(done(75_000), "server")).toContain("(28.6 MiB in 1 min 15 s, 400 kB/s)");
});
