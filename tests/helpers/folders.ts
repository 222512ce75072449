import { expect } from "bun:test";
import { readdir } from "node:fs/promises";

/** Every name in `dir` (recursively), relative to it, in order. */
export async function namesIn(dir: string): Promise<string[]> {
  return ((await readdir(dir, { recursive: true })) as string[]).sort();
}

/**
 * `dir` holds exactly `expected` once the receiving program's disk has caught up (its disk actions run after
 * the frames that caused them: a part file is removed shortly after the cancel is said), and still does a
 * little later.
 */
export async function expectFolderSettles(dir: string, expected: string[]): Promise<void> {
  const deadline = Date.now() + 5000;
  while (JSON.stringify(await namesIn(dir)) !== JSON.stringify(expected) && Date.now() < deadline) {
    await Bun.sleep(20);
  }
  await Bun.sleep(100);
  expect(await namesIn(dir)).toEqual(expected);
}
