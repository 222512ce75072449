import { expect, test } from "bun:test";
import { truncate, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Disk } from "../../src/disk/disk.ts";
import { listSource } from "../../src/disk/list-source.ts";
import type { DiskAction, DiskResult } from "../../src/transfer/types.ts";
import { withFolders } from "../helpers/disk.ts";

const MIB = 1024 * 1024;
const SIZE = 2 * 1024 * MIB; // 2 GiB, sparse: no disk space, all of it read
/** Far below the file's size: what bounded buffers may add to the process (GC slack included). */
const MAX_GROWTH = 96 * MIB;

/**
 * Memory does not grow with a file's size (issue 11): hashing and reading a 2 GiB sparse file through the
 * Disk (inspect hashes a partial with the same code as hash-prefix). RSS is sampled at every result; the growth over the baseline is printed, and must stay far below
 * the file's size. No timing is asserted.
 */
test("hashing and reading a 2 GiB file keep the memory bounded", async () => {
  await withFolders(async ({ base, downloads }) => {
    const source = join(base, "sparse.bin");
    await writeFile(source, "");
    await truncate(source, SIZE);

    let peak = 0;
    let last: DiskResult | undefined;
    let readBytes = 0;
    const disk = new Disk({
      downloadDir: downloads,
      onResult: (result) => {
        peak = Math.max(peak, process.memoryUsage.rss());
        if (result.kind === "read")
          readBytes += result.bytes.length; // dropped at once, as a socket would
        else last = result;
      },
    });
    disk.registerSource("out:1", await listSource(source));
    const measure = async (what: string, work: () => Promise<void>): Promise<number> => {
      Bun.gc(true);
      const baseline = process.memoryUsage.rss();
      const t0 = performance.now();
      peak = baseline;
      await work();
      const growth = peak - baseline;
      console.log(
        `memory: ${what} (${((performance.now() - t0) / 1000).toFixed(1)} s): RSS ${(baseline / MIB).toFixed(0)} MiB, peak +${(growth / MIB).toFixed(1)} MiB`,
      );
      return growth;
    };

    const hashing = await measure("hash-prefix of 2 GiB", async () => {
      disk.submit({ kind: "hash-prefix", key: "out:1", seq: 1, entry: 0, length: SIZE });
      await disk.idle();
      expect(last?.kind).toBe("hash-prefix");
    });
    const reading = await measure("reading 2 GiB in 64 KiB pieces", async () => {
      // As the sender does: a few reads ahead at a time.
      const piece = 64 * 1024;
      for (let offset = 0; offset < SIZE; offset += 16 * piece) {
        for (let i = 0; i < 16; i++) {
          const action: DiskAction = {
            kind: "read",
            key: "out:1",
            seq: 1,
            entry: 0,
            offset: offset + i * piece,
            length: piece,
          };
          disk.submit(action);
        }
        await disk.idle();
      }
      expect(readBytes).toBe(SIZE);
    });
    await disk.close();
    expect(hashing).toBeLessThan(MAX_GROWTH);
    expect(reading).toBeLessThan(MAX_GROWTH);
  });
}, 120_000);
