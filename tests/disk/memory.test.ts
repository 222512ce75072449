import { expect, test } from "bun:test";
import { truncate, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { withFolders } from "../helpers/disk.ts";

const MIB = 1024 * 1024;
const SIZE = 2 * 1024 * MIB; // 2 GiB, sparse: no disk space, all of it read
/** Far below the file's size: what bounded buffers may add to a process (GC slack included). */
const MAX_GROWTH = 64 * MIB;

/**
 * Memory does not grow with a file's size (issue 11): hashing (hash-prefix; inspect uses the same code) and
 * reading a 2 GiB sparse file through the Disk, in a process of its own. The RSS peak over the baseline is
 * printed, and must stay far below the file's size. No timing is asserted.
 */
test("hashing and reading a 2 GiB file keep the memory bounded", async () => {
  await withFolders(async ({ base }) => {
    const file = join(base, "sparse.bin");
    await writeFile(file, "");
    await truncate(file, SIZE);
    const probe = Bun.spawnSync([process.execPath, join(import.meta.dir, "support/memory-probe.ts"), file], {
      stdout: "pipe",
      stderr: "pipe",
    });
    expect(probe.stderr.toString()).toBe("");
    expect(probe.exitCode).toBe(0);
    const { size, hashing, reading } = JSON.parse(probe.stdout.toString());
    expect(size).toBe(SIZE);
    for (const [what, m] of [
      ["hash-prefix of 2 GiB", hashing],
      ["reading 2 GiB in 64 KiB pieces", reading],
    ]) {
      console.log(
        `memory: ${what}: RSS ${(m.baseline / MIB).toFixed(0)} MiB, peak +${(m.growth / MIB).toFixed(1)} MiB (${(m.ms / 1000).toFixed(1)} s)`,
      );
      expect(m.growth).toBeLessThan(MAX_GROWTH);
    }
  });
}, 120_000);
