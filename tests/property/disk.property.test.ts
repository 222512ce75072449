import { test } from "bun:test";
import { assertAsyncProperty } from "./properties.ts";

// Fixed seeds keep `bun test` reproducible; scripts/fuzz.ts runs the same properties with many more cases.
const SEED = 121;

test("property: hostile disk actions and planted links never reach outside the download folder", async () => {
  await assertAsyncProperty("disk-inside", { numRuns: 300, seed: SEED });
});
