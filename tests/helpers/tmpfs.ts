import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * A small tmpfs for "the disk is full" (issue 11): mounting needs root, and a container may refuse it even
 * then. `tmpfsUnavailable()` is the reason it cannot be had here (for skipBecause), or null when it can.
 */
let probed: string | null | undefined;

export function tmpfsUnavailable(): string | null {
  if (probed === undefined) probed = probeTmpfs();
  return probed;
}

function probeTmpfs(): string | null {
  if (process.getuid?.() !== 0) return "mounting a tmpfs needs root";
  if (!Bun.which("mount") || !Bun.which("umount")) return "the 'mount' command is not installed here";
  const dir = join(tmpdir(), `121chat-tmpfs-probe-${process.pid}`);
  Bun.spawnSync(["mkdir", "-p", dir]);
  const mounted = Bun.spawnSync(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", dir], { stderr: "pipe" });
  if (mounted.exitCode === 0) Bun.spawnSync(["umount", dir]);
  Bun.spawnSync(["rmdir", dir]);
  return mounted.exitCode === 0 ? null : `'mount -t tmpfs' failed: ${mounted.stderr.toString().trim()}`;
}

/**
 * Runs `body` with a fresh tmpfs of `bytes` (and at most `inodes` files and folders, when given) mounted
 * on a temp folder; unmounted and removed after.
 */
export async function withTmpfs(
  limits: { bytes: number; inodes?: number },
  body: (dir: string) => Promise<void>,
): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "121chat-tmpfs-"));
  const options = [`size=${limits.bytes}`, "mode=0755"];
  if (limits.inodes !== undefined) options.push(`nr_inodes=${limits.inodes}`);
  const mounted = Bun.spawnSync(["mount", "-t", "tmpfs", "-o", options.join(","), "tmpfs", dir], {
    stderr: "pipe",
  });
  if (mounted.exitCode !== 0) {
    await rm(dir, { recursive: true, force: true });
    throw new Error(`mount -t tmpfs failed: ${mounted.stderr.toString().trim()}`);
  }
  try {
    await body(dir);
  } finally {
    Bun.spawnSync(["umount", dir]);
    await rm(dir, { recursive: true, force: true });
  }
}
