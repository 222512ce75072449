import { expect, test } from "bun:test";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { Disk } from "../../src/disk/disk.ts";
import type { DiskAction, DiskResult } from "../../src/transfer/types.ts";
import { skipBecause } from "../helpers/skip.ts";
import { tmpfsUnavailable, withTmpfs } from "../helpers/tmpfs.ts";

const MIB = 1024 * 1024;
const FULL = { kind: "failed", full: true, reason: "receiver's disk is full" };

/** A Disk on `downloads` and a function that runs one action (of transfer in:1) and returns its answer. */
function diskOn(downloads: string) {
  const results: DiskResult[] = [];
  const disk = new Disk({ downloadDir: downloads, onResult: (r) => results.push(r) });
  let seq = 0;
  const run = async (action: Record<string, unknown>): Promise<DiskResult> => {
    disk.submit({ ...action, key: "in:1", seq: ++seq } as DiskAction);
    await disk.idle();
    return results.at(-1) as DiskResult;
  };
  return { disk, run };
}

test.skipIf(skipBecause(tmpfsUnavailable(), "the disk adapter on a full disk"))(
  "a full disk: the write fails with full and the spec's reason, and the cancel leaves no file behind",
  async () => {
    await withTmpfs({ bytes: MIB }, async (downloads) => {
      const { disk, run } = diskOn(downloads);
      const inspected = await run({ kind: "inspect", name: "big.bin", oneFile: true });
      expect(inspected.kind === "inspect" && inspected.freeBytes).toBeLessThanOrEqual(MIB);
      expect(await run({ kind: "open", path: ["big.bin"], offset: 0, root: true })).toMatchObject({
        kind: "open",
      });
      const chunk = new Uint8Array(64 * 1024).fill(0x5a);
      let failed: DiskResult | undefined;
      for (let written = 0; written < 4 * MIB && !failed; written += chunk.length) {
        const answer = await run({ kind: "write", bytes: chunk });
        if (answer.kind === "failed") failed = answer;
        else expect(answer).toMatchObject({ kind: "write", bytes: chunk.length });
      }
      expect(failed).toMatchObject({ ...FULL, action: "write" });
      await run({ kind: "discard" });
      expect(await readdir(downloads)).toEqual([]);
      await disk.close();
    });
  },
);

test.skipIf(skipBecause(tmpfsUnavailable(), "the disk adapter on a full disk"))(
  "no room for one more folder or file (no inodes left) is a full disk too",
  async () => {
    // Three inodes: the file system's root, the transfer's folder, and one more.
    await withTmpfs({ bytes: MIB, inodes: 3 }, async (downloads) => {
      const { disk, run } = diskOn(downloads);
      expect(await run({ kind: "mkdir", path: ["t"], mode: 0o755, root: true })).toMatchObject({
        kind: "mkdir",
      });
      expect(await run({ kind: "mkdir", path: ["t", "a"], mode: 0o755, root: false })).toMatchObject({
        kind: "mkdir",
      });
      expect(await run({ kind: "mkdir", path: ["t", "b"], mode: 0o755, root: false })).toMatchObject({
        ...FULL,
        action: "mkdir",
      });
      expect(await run({ kind: "open", path: ["t", "f"], offset: 0, root: false })).toMatchObject({
        ...FULL,
        action: "open",
      });
      expect(await readdir(join(downloads, "t"))).toEqual(["a"]);
      await disk.close();
    });
  },
);
