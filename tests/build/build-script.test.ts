import { describe, expect, test } from "bun:test";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseBuildArgs } from "../../scripts/build-options.ts";
import { CHECKSUMS_FILE, writeChecksums } from "../../scripts/checksums.ts";
import { describeCommit } from "../../scripts/git-commit.ts";
import { hostTarget, TARGET_NAMES, type TargetName } from "../../scripts/targets.ts";
import { ROOT } from "../helpers/program.ts";
import { missingCommand, skipBecause } from "../helpers/skip.ts";

async function withTempDir(body: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "121chat-build-test-"));
  try {
    await body(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function run(command: string[], cwd: string) {
  const result = Bun.spawnSync(command, { cwd, stdout: "pipe", stderr: "pipe" });
  return { code: result.exitCode, stdout: result.stdout.toString(), stderr: result.stderr.toString() };
}

describe("bun run build: its command line", () => {
  test("no --target builds all five targets", () => {
    expect(parseBuildArgs([])).toEqual({ help: false, targets: [...TARGET_NAMES], all: true });
    expect(TARGET_NAMES).toEqual(["linux-x64", "linux-arm64", "darwin-x64", "darwin-arm64", "windows-x64"]);
  });

  test("--target picks targets, once each; host is this machine", () => {
    expect(
      parseBuildArgs(["--target", "linux-arm64", "--target=windows-x64", "--target", "linux-arm64"]),
    ).toEqual({ help: false, targets: ["linux-arm64", "windows-x64"], all: false });
  });

  const host = hostTarget();
  test.skipIf(
    skipBecause(
      host ? null : `no executable is built for ${process.platform}-${process.arch}`,
      "the test of --target host",
    ),
  )("--target host is this machine's target", () => {
    expect(parseBuildArgs(["--target", "host"])).toEqual({
      help: false,
      targets: [host as TargetName],
      all: false,
    });
  });

  test("an unknown option, an unknown target or a missing value: one line and a hint, exit 2", () => {
    for (const args of [["--bogus"], ["--target", "mars"], ["--target"], ["linux-x64"]]) {
      const result = run([process.execPath, "scripts/build.ts", ...args], ROOT);
      expect(result.code).toBe(2);
      expect(result.stdout).toBe("");
      const lines = result.stderr.trimEnd().split("\n");
      expect(lines).toHaveLength(2);
      expect(lines[0]).toStartWith("build: ");
      expect(lines[1]).toBe("Try 'bun run build --help' for more information.");
    }
  });

  test("--help names every target and exits 0", () => {
    const result = run([process.execPath, "scripts/build.ts", "--help"], ROOT);
    expect(result.code).toBe(0);
    for (const target of TARGET_NAMES) expect(result.stdout).toContain(target);
  });
});

describe("dist/SHA256SUMS", () => {
  test("is in sha256sum's format, for the executables only", async () => {
    await withTempDir(async (dir) => {
      await writeFile(join(dir, "121chat-linux-x64"), "abc");
      await writeFile(join(dir, "121chat-darwin-arm64"), "");
      await writeFile(join(dir, "notes.txt"), "not an executable");
      await writeChecksums(dir, "121chat-");
      expect(await Bun.file(join(dir, CHECKSUMS_FILE)).text()).toBe(
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855  121chat-darwin-arm64\n" +
          "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad  121chat-linux-x64\n",
      );
    });
  });

  test.skipIf(skipBecause(missingCommand("sha256sum"), "the check of SHA256SUMS by sha256sum -c"))(
    "sha256sum -c accepts it, and refuses a changed executable",
    async () => {
      await withTempDir(async (dir) => {
        await writeFile(join(dir, "121chat-linux-x64"), "abc");
        await writeChecksums(dir, "121chat-");
        expect(run(["sha256sum", "-c", CHECKSUMS_FILE], dir).code).toBe(0);
        await writeFile(join(dir, "121chat-linux-x64"), "abd");
        expect(run(["sha256sum", "-c", CHECKSUMS_FILE], dir).code).not.toBe(0);
      });
    },
  );
});

describe.skipIf(skipBecause(missingCommand("git"), "the tests of the commit shown by --version"))(
  "the commit shown by --version",
  () => {
    test("is the short hash, with -dirty when files changed, and unknown outside a repository", async () => {
      await withTempDir(async (dir) => {
        expect(describeCommit(dir)).toBe("unknown");
        const git = (...args: string[]) =>
          run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", ...args], dir);
        git("init", "-q");
        await writeFile(join(dir, "file.txt"), "one");
        git("add", "file.txt");
        git("commit", "-q", "-m", "first");
        const hash = git("rev-parse", "--short", "HEAD").stdout.trim();
        expect(hash).toMatch(/^[0-9a-f]{7,}$/);
        expect(describeCommit(dir)).toBe(hash);
        await writeFile(join(dir, "file.txt"), "two");
        expect(describeCommit(dir)).toBe(`${hash}-dirty`);
      });
    });
  },
);
