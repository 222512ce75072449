import { test } from "bun:test";
import { assertProperty } from "./properties.ts";

// Fixed seeds keep `bun test` reproducible; scripts/fuzz.ts runs the same properties with many more cases.
const SEED = 121;

test("property: two sessions under random interleavings keep the ack, id and stats invariants", () => {
  assertProperty("session-pair", { numRuns: 1000, seed: SEED });
});

test("property: a session fed hostile bytes never throws and writes only frames its peer accepts", () => {
  assertProperty("session-hostile", { numRuns: 1000, seed: SEED });
});

test("property: drops at any byte and resumes deliver every message exactly once, in order", () => {
  assertProperty("session-resume", { numRuns: 1000, seed: SEED });
});
