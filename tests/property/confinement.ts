import type { Stats } from "node:fs";
import { lstat, mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A case's folders: `base` holds the download folder and, beside it, what nothing may touch. */
export interface Scene {
  base: string;
  downloads: string;
  outside: string;
}

/**
 * Runs `run` in a fresh scene, removed afterwards: an empty download folder, and outside it a file and a
 * folder holding another file (the targets planted links point at).
 */
export async function inScene(prefix: string, run: (scene: Scene) => Promise<void>): Promise<void> {
  const base = await mkdtemp(join(tmpdir(), prefix));
  try {
    const downloads = join(base, "downloads");
    const outside = join(base, "outside");
    await mkdir(downloads);
    await mkdir(join(outside, "folder"), { recursive: true });
    await writeFile(join(outside, "victim"), "precious");
    await writeFile(join(outside, "folder", "inner"), "also precious");
    await run({ base, downloads, outside });
  } finally {
    await rm(base, { recursive: true, force: true });
  }
}

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
