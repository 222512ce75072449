import type { Stats } from "node:fs";
import { lstat, readdir } from "node:fs/promises";
import { join } from "node:path";

/**
 * What the two download-folder properties (the disk adapter's and the whole receiver's) check alike: in a
 * `base` that held only `downloads` and `outside`, the outside is as it was and nothing was made beside the
 * download folder. `before` and `after` are each property's own snapshots of the outside.
 */
export async function expectConfined(base: string, before: unknown, after: unknown): Promise<void> {
  if (JSON.stringify(after) !== JSON.stringify(before)) {
    throw new Error(
      `outside the download folder changed:\nbefore ${JSON.stringify(before)}\nafter  ${JSON.stringify(after)}`,
    );
  }
  const siblings = (await readdir(base)).sort();
  if (JSON.stringify(siblings) !== JSON.stringify(["downloads", "outside"])) {
    throw new Error(`something was made beside the download folder: ${siblings.join(", ")}`);
  }
}

/** Every path under `root`, depth first in name order, with its lstat (links not followed). */
export async function walk(root: string): Promise<[string, Stats][]> {
  const out: [string, Stats][] = [];
  const visit = async (dir: string) => {
    for (const name of (await readdir(dir)).sort()) {
      const abs = join(dir, name);
      const info = await lstat(abs);
      out.push([abs, info]);
      if (info.isDirectory()) await visit(abs);
    }
  };
  await visit(root);
  return out;
}
