import { test } from "bun:test";
import { assertProperty } from "./properties.ts";

// Fixed seeds keep `bun test` reproducible; scripts/fuzz.ts runs the same properties with many more cases.
const SEED = 121;

test("property: valid frames cut into chunks at arbitrary points decode to exactly the same frames", () => {
  assertProperty("decoder-chunking", { numRuns: 2000, seed: SEED });
});

test("property: random and mutated bytes raise only ProtocolError and never buffer past the limit", () => {
  assertProperty("decoder-hostile", { numRuns: 2000, seed: SEED });
});

test("property: a large payload in chunks of any sizes arrives whole, and what is kept for it stays bounded", () => {
  assertProperty("decoder-large-payload", { numRuns: 300, seed: SEED });
});
