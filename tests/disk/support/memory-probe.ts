/**
 * Run by tests/disk/memory.test.ts in a process of its own (the test runner's heap, shared by every test
 * file, would make RSS say more about the other tests than about the Disk): hashes and reads the file
 * given through a Disk and prints, as JSON, the RSS peak over the baseline of each.
 *
 *   bun tests/disk/support/memory-probe.ts FILE
 */
import { Disk } from "../../../src/disk/disk.ts";
import { listSource } from "../../../src/disk/list-source.ts";
import type { DiskResult } from "../../../src/transfer/types.ts";

const PIECE = 64 * 1024;
const AHEAD = 16; // reads in flight, as the sender keeps some read ahead

const file = process.argv[2];
if (!file) throw new Error("usage: memory-probe.ts FILE");
const listing = await listSource(file);
const size = listing.totalBytes;

let peak = 0;
let last: DiskResult | undefined;
let readBytes = 0;
const disk = new Disk({
  onResult: (result) => {
    peak = Math.max(peak, process.memoryUsage.rss());
    if (result.kind === "read")
      readBytes += result.bytes.length; // dropped at once, as a socket would
    else last = result;
  },
});
disk.registerSource("out:1", listing);

async function measure(work: () => Promise<void>): Promise<{ baseline: number; growth: number; ms: number }> {
  Bun.gc(true);
  const baseline = process.memoryUsage.rss();
  peak = baseline;
  const started = performance.now();
  await work();
  return { baseline, growth: peak - baseline, ms: performance.now() - started };
}

const hashing = await measure(async () => {
  disk.submit({ kind: "hash-prefix", key: "out:1", seq: 1, entry: 0, length: size });
  await disk.idle();
  if (last?.kind !== "hash-prefix") throw new Error(`hash-prefix gave ${JSON.stringify(last)}`);
});
const reading = await measure(async () => {
  for (let offset = 0; offset < size; offset += AHEAD * PIECE) {
    for (let i = 0; i < AHEAD && offset + i * PIECE < size; i++) {
      disk.submit({
        kind: "read",
        key: "out:1",
        seq: 1,
        entry: 0,
        offset: offset + i * PIECE,
        length: PIECE,
      });
    }
    await disk.idle();
  }
  if (readBytes !== size) throw new Error(`read ${readBytes} of ${size} bytes: ${JSON.stringify(last)}`);
});
await disk.close();
console.log(JSON.stringify({ size, hashing, reading }));
