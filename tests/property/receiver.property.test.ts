import { expect, test } from "bun:test";
import { assertAsyncProperty } from "./properties.ts";
import { receiverCoverage } from "./receiver-properties.ts";

// Fixed seeds keep `bun test` reproducible; scripts/fuzz.ts runs the same properties with many more cases.
const SEED = 121;

test("property: hostile FILE_* frames into the real receiver and Disk never reach outside the download folder", async () => {
  receiverCoverage.reset();
  await assertAsyncProperty("receiver-inside", { numRuns: 400, seed: SEED });
  // The cases got somewhere: files and folders made, and every kind of hostile frame refused for its reason
  // (a generator that only produced offers refused at once would pass the property and prove nothing).
  expect(receiverCoverage.finalFiles).toBeGreaterThan(50);
  expect(receiverCoverage.folders).toBeGreaterThan(50);
  expect(receiverCoverage.protocolErrors).toBeGreaterThan(0);
  for (const reason of [
    "a refused path",
    "came before its folder",
    "came twice",
    "does not match its SHA-256",
    "more data than",
    "bytes offered",
    "data without an entry",
    "the offered name is refused",
  ]) {
    expect({ reason, seen: (receiverCoverage.cancels.get(reason) ?? 0) > 0 }).toEqual({ reason, seen: true });
  }
}, 120_000);
