import { test } from "bun:test";
import { assertProperty } from "./properties.ts";

// Fixed seeds keep `bun test` reproducible; scripts/fuzz.ts runs the same properties with many more cases.
const SEED = 121;

test("property: rows and columns of text with wide and zero-width characters agree with Bun.stringWidth", () => {
  assertProperty("layout-width", { numRuns: 2000, seed: SEED });
});

test("property: narrow text fills rows exactly", () => {
  assertProperty("layout-narrow", { numRuns: 1000, seed: SEED });
});

test("property: zero-width characters take no room; a line break adds the rows of both sides", () => {
  assertProperty("layout-compose", { numRuns: 1000, seed: SEED });
});

test("property: the caret stands within the text's rows and the width, at or after the text before it", () => {
  assertProperty("layout-caret", { numRuns: 1000, seed: SEED });
});

test("property: text cut to a width takes at most that width and keeps its start", () => {
  assertProperty("layout-truncate", { numRuns: 1000, seed: SEED });
});

test("property: the rows a text is cut into for drawing are the rows layoutText counts", () => {
  assertProperty("layout-rows", { numRuns: 1000, seed: SEED });
});

test("property: an input clipped to a number of rows takes no more when drawn, cursor in place", () => {
  assertProperty("layout-clip", { numRuns: 1000, seed: SEED });
});
