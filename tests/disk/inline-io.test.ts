import { describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { InlineIo, type InlineIoOptions } from "../../src/disk/inline-io.ts";
import { listSource } from "../../src/disk/list-source.ts";
import type { DiskAction } from "../../src/transfer/types.ts";
import { DiskHarness, withFolders } from "../helpers/disk.ts";

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

describe("InlineIo: when the Disk's file calls run on the main thread", () => {
  test("inline until a call is slow; from then on, on the pool for good", () => {
    const io = new InlineIo({ slowMs: 10 });
    expect(io.inline).toBe(true);
    io.took(0, 10); // 10 ms is not more than slowMs
    expect(io.inline).toBe(true);
    io.took(100, 111);
    expect(io.inline).toBe(false);
    io.took(200, 200); // a fast call made before it knew (none is made inline after) changes nothing
    expect(io.inline).toBe(false);
  });

  test("the default: over 10 ms is slow", () => {
    const fast = new InlineIo();
    fast.took(0, 10);
    expect(fast.inline).toBe(true);
    const slow = new InlineIo();
    slow.took(0, 10.5);
    expect(slow.inline).toBe(false);
  });

  test("a negative slowMs counts every call as slow (tests use it to reach the pool)", () => {
    const io = new InlineIo({ slowMs: -1 });
    expect(io.inline).toBe(true);
    io.took(0, 0);
    expect(io.inline).toBe(false);
  });
});

/** Inline throughout (the default on a fast disk), and the first call inline, every later one on the pool. */
const MODES: [string, InlineIoOptions | undefined][] = [
  ["inline", undefined],
  ["on the thread pool after the first call", { slowMs: -1 }],
];

describe.each(MODES)("the Disk's file data, %s", (_mode, inlineIo) => {
  test("writes land in order, single and batched (writev), and the file is the bytes sent", async () => {
    await withFolders(async ({ downloads }) => {
      const h = new DiskHarness({ downloadDir: downloads, inlineIo });
      await h.ok("open", { kind: "open", key: "r1", path: ["data.bin"], offset: 0, root: true });
      const pieces = Array.from({ length: 24 }, (_, i) => new Uint8Array(65_527 + i).fill(i + 1));
      // One at a time (single writes), then the rest submitted together (they join one batch).
      for (const bytes of pieces.slice(0, 4)) await h.ok("write", { kind: "write", key: "r1", bytes });
      let seq = 1000;
      for (const bytes of pieces.slice(4))
        h.disk.submit({ kind: "write", key: "r1", bytes, seq: seq++ } as DiskAction);
      await h.disk.idle();
      expect(h.results.filter((r) => r.kind === "failed")).toEqual([]);
      await h.ok("finalize", { kind: "finalize", key: "r1", path: ["data.bin"], mode: 0o644, root: true });
      expect(sha256(await readFile(join(downloads, "data.bin")))).toBe(sha256(Buffer.concat(pieces)));
    });
  });

  test("reads give the file's bytes, piece by piece", async () => {
    await withFolders(async ({ base }) => {
      const content = new Uint8Array(1_000_000).map((_, i) => (i * 31) & 0xff);
      const path = join(base, "source.bin");
      await writeFile(path, content);
      const h = new DiskHarness({ inlineIo });
      h.disk.registerSource("s1", await listSource(path));
      const got: Uint8Array[] = [];
      for (let offset = 0; offset < content.length; offset += 512 * 1024) {
        const length = Math.min(512 * 1024, content.length - offset);
        got.push((await h.ok("read", { kind: "read", key: "s1", entry: 0, offset, length })).bytes);
      }
      expect(sha256(Buffer.concat(got))).toBe(sha256(content));
    });
  });
});
