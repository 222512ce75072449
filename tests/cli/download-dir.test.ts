import { describe, expect, test } from "bun:test";
import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { checkDownloadDir, checkSendPath } from "../../src/cli/download-dir.ts";
import { UsageError } from "../../src/cli/usage-error.ts";
import { skipBecause } from "../helpers/skip.ts";

async function withDir(body: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "121chat-download-dir-"));
  try {
    await body(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function usageError(given: string): string {
  try {
    checkDownloadDir(given);
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return (error as Error).message;
  }
  throw new Error(`expected a usage error for ${given}`);
}

test("no --download-dir: the current folder, unchecked", () => {
  expect(checkDownloadDir(undefined, "/some/cwd")).toBe("/some/cwd");
});

test("an existing folder, resolved through links", async () => {
  await withDir(async (dir) => {
    await mkdir(join(dir, "in"));
    await symlink(join(dir, "in"), join(dir, "link"));
    expect(checkDownloadDir(join(dir, "link"))).toBe(join(dir, "in"));
  });
});

test("missing, a file, or a dangling link: a usage error naming the flag and the path", async () => {
  await withDir(async (dir) => {
    await writeFile(join(dir, "file"), "x");
    await symlink(join(dir, "gone"), join(dir, "dangling"));
    expect(usageError(join(dir, "nope"))).toBe(`--download-dir '${join(dir, "nope")}' does not exist`);
    expect(usageError(join(dir, "file"))).toBe(`--download-dir '${join(dir, "file")}' is not a folder`);
    expect(usageError(join(dir, "dangling"))).toContain("does not exist");
    expect(usageError(join(dir, "file", "below"))).toContain("is not a folder");
  });
});

const asRoot = process.getuid?.() === 0 ? "root may write in any folder: no folder it cannot write in" : null;

test.skipIf(skipBecause(asRoot, "--download-dir that cannot be written in"))(
  "a folder this user cannot write in",
  async () => {
    await withDir(async (dir) => {
      await mkdir(join(dir, "ro"));
      await chmod(join(dir, "ro"), 0o555);
      expect(usageError(join(dir, "ro"))).toContain("permission denied");
    });
  },
);

describe("--send's path", () => {
  test("a path that does not exist is a usage error before anything starts", () => {
    expect(() => checkSendPath("/no/such/file/here")).toThrow("--send '/no/such/file/here' does not exist");
  });

  test("an existing file or folder passes; no --send passes", () => {
    expect(() => checkSendPath(import.meta.path)).not.toThrow();
    expect(() => checkSendPath(import.meta.dir)).not.toThrow();
    expect(() => checkSendPath(undefined)).not.toThrow();
  });
});
