import { test } from "bun:test";
import { assertProperty } from "./properties.ts";

// Fixed seeds keep `bun test` reproducible; scripts/fuzz.ts runs the same properties with many more cases.
const SEED = 121;

test("property: sealed plaintext, its records cut anywhere, opens exactly and in order, across key updates", () => {
  assertProperty("records-chunking", { numRuns: 1000, seed: SEED });
});

test("property: a damaged, dropped, repeated, swapped or cut record fails there, with nothing of it handed out", () => {
  assertProperty("records-tamper", { numRuns: 1000, seed: SEED });
});

test("property: hostile bytes at each stage of the handshake fail it or leave it waiting, never throw", () => {
  assertProperty("handshake-hostile", { numRuns: 500, seed: SEED });
});

test("property: version-2 sessions over records deliver every message once; a damaged record drops the connection", () => {
  assertProperty("session-v2-secure", { numRuns: 300, seed: SEED });
});
