import { describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import {
  chown,
  link,
  lstat,
  mkdir,
  readdir,
  readFile,
  readlink,
  rename,
  rm,
  stat,
  symlink,
  writeFile,
} from "node:fs/promises";
import { join } from "node:path";
import { Disk } from "../../src/disk/disk.ts";
import { PART_SUFFIX } from "../../src/transfer/path-rules.ts";
import { DISK_FULL, type DiskResult } from "../../src/transfer/types.ts";
import { DiskHarness, settleDisk, text, withFolders } from "../helpers/disk.ts";
import { skipBecause } from "../helpers/skip.ts";

const exists = (path: string) =>
  lstat(path).then(
    () => true,
    () => false,
  );
const names = async (dir: string) => (await readdir(dir)).sort();
const sha256 = (bytes: Uint8Array | string) => createHash("sha256").update(bytes).digest("hex");

describe("the download folder", () => {
  test("is resolved through links when a transfer first needs it: files land where the link points", async () => {
    await withFolders(async ({ base, downloads }) => {
      await symlink(downloads, join(base, "via-link"));
      const h = new DiskHarness({ downloadDir: join(base, "via-link") });
      await h.ok("inspect", { kind: "inspect", key: "in:1", name: "a.txt", oneFile: true });
      expect(await h.receiveFile("in:1", ["a.txt"], text("hello"), 0o644, true)).toMatchObject({
        kind: "finalize",
      });
      expect(await readFile(join(downloads, "a.txt"), "utf8")).toBe("hello");
    });
  });

  test("missing or not a folder: making the Disk touches nothing; each transfer that needs it fails with one clear sentence, no local path in it, until it is there", async () => {
    await withFolders(async ({ downloads }) => {
      const missing = join(downloads, "nope");
      const h = new DiskHarness({ downloadDir: missing }); // a session starts as usual
      const gone = await h.fails({ kind: "inspect", key: "in:1", name: "a.txt", oneFile: true });
      expect(gone.reason).toBe("the download folder does not exist (any more)");
      expect(gone.reason).not.toContain(downloads);
      await mkdir(missing);
      await h.ok("inspect", { kind: "inspect", key: "in:2", name: "a.txt", oneFile: true });
      // Each transfer looks again: gone after one that found it, the next is told so, in the same words.
      await rm(missing, { recursive: true });
      expect((await h.fails({ kind: "inspect", key: "in:3", name: "a.txt", oneFile: true })).reason).toBe(
        "the download folder does not exist (any more)",
      );

      await writeFile(join(downloads, "file"), "x");
      const notFolder = new DiskHarness({ downloadDir: join(downloads, "file") });
      expect((await notFolder.fails({ kind: "inspect", key: "in:1", name: "a", oneFile: true })).reason).toBe(
        "the download folder is not a folder",
      );
    });
  });

  test("a Disk without one refuses receiving actions", async () => {
    const h = new DiskHarness({});
    expect(
      (await h.fails({ kind: "mkdir", key: "r1", path: ["x"], mode: 0o755, root: true })).reason,
    ).toContain("no download folder");
  });
});

describe("a folder transfer", () => {
  test("makes the tree with its files, and reports the top folder's local name", async () => {
    await withFolders(async ({ downloads }) => {
      const h = new DiskHarness({ downloadDir: downloads });
      const made = await h.ok("mkdir", {
        kind: "mkdir",
        key: "r1",
        path: ["photos"],
        mode: 0o755,
        root: true,
      });
      expect(made.localName).toBe("photos");
      await h.ok("mkdir", { kind: "mkdir", key: "r1", path: ["photos", "2024"], mode: 0o755, root: false });
      expect(await h.receiveFile("r1", ["photos", "2024", "a.jpg"], text("jpeg"))).toEqual({
        kind: "finalize",
        key: "r1",
        seq: 5, // mkdir, mkdir, open, write, finalize: no localName below the top folder
      });
      expect(await readFile(join(downloads, "photos/2024/a.jpg"), "utf8")).toBe("jpeg");
      expect(await names(join(downloads, "photos/2024"))).toEqual(["a.jpg"]);
    });
  });

  test("a clash of the top folder's name is renamed, never merged: ' (1)', ' (2)', …", async () => {
    await withFolders(async ({ downloads }) => {
      await mkdir(join(downloads, "photos"));
      await writeFile(join(downloads, "photos/old.jpg"), "old");
      await writeFile(join(downloads, "photos (1)"), "a file in the way");
      const h = new DiskHarness({ downloadDir: downloads });
      const made = await h.ok("mkdir", {
        kind: "mkdir",
        key: "r1",
        path: ["photos"],
        mode: 0o755,
        root: true,
      });
      expect(made.localName).toBe("photos (2)");
      await h.receiveFile("r1", ["photos", "old.jpg"], text("new"));
      expect(await readFile(join(downloads, "photos/old.jpg"), "utf8")).toBe("old");
      expect(await names(join(downloads, "photos"))).toEqual(["old.jpg"]);
      expect(await readFile(join(downloads, "photos (1)"), "utf8")).toBe("a file in the way");
      expect(await readFile(join(downloads, "photos (2)/old.jpg"), "utf8")).toBe("new");
    });
  });

  test("a symbolic link planted under the transfer's name is neither followed nor replaced", async () => {
    await withFolders(async ({ downloads, outside }) => {
      await symlink(outside, join(downloads, "photos"));
      const h = new DiskHarness({ downloadDir: downloads });
      const made = await h.ok("mkdir", {
        kind: "mkdir",
        key: "r1",
        path: ["photos"],
        mode: 0o755,
        root: true,
      });
      expect(made.localName).toBe("photos (1)");
      await h.ok("mkdir", { kind: "mkdir", key: "r1", path: ["photos", "sub"], mode: 0o755, root: false });
      await h.receiveFile("r1", ["photos", "f"], text("data"));
      expect(await readdir(outside)).toEqual([]);
      expect(await readlink(join(downloads, "photos"))).toBe(outside);
    });
  });

  test("inside the top folder, creation is exclusive: a second folder or file of the same name fails", async () => {
    await withFolders(async ({ downloads }) => {
      const h = new DiskHarness({ downloadDir: downloads });
      await h.ok("mkdir", { kind: "mkdir", key: "r1", path: ["t"], mode: 0o755, root: true });
      await h.ok("mkdir", { kind: "mkdir", key: "r1", path: ["t", "d"], mode: 0o755, root: false });
      const again = await h.fails({ kind: "mkdir", key: "r1", path: ["t", "d"], mode: 0o755, root: false });
      expect(again.reason).toContain("already exists");
      expect(await h.receiveFile("r1", ["t", "f"], text("first"))).toMatchObject({ kind: "finalize" });
      // The same file again: a new part file is fine, its final name is not.
      const second = await h.receiveFile("r1", ["t", "f"], text("second"));
      expect(second).toMatchObject({ kind: "failed", action: "finalize" });
      expect(await readFile(join(downloads, "t/f"), "utf8")).toBe("first");
      // A folder entry over the file, a file over the folder: refused too.
      expect(
        await h.fails({ kind: "mkdir", key: "r1", path: ["t", "f"], mode: 0o755, root: false }),
      ).toBeTruthy();
      await h.ok("open", { kind: "open", key: "r1", path: ["t", "d"], offset: 0, root: false });
      await h.ok("write", { kind: "write", key: "r1", bytes: text("x") });
      expect(
        await h.fails({ kind: "finalize", key: "r1", path: ["t", "d"], mode: 0o644, root: false }),
      ).toMatchObject({ reason: '"t/d" already exists' });
      expect((await stat(join(downloads, "t/d"))).isDirectory()).toBe(true);
    });
  });

  test("an entry needs the transfer's own top folder first, and its path must start with its name", async () => {
    await withFolders(async ({ downloads }) => {
      await mkdir(join(downloads, "t"));
      const h = new DiskHarness({ downloadDir: downloads });
      // No top folder made by this transfer: an existing folder of that name is not written into.
      expect(
        (await h.fails({ kind: "mkdir", key: "r1", path: ["t", "d"], mode: 0o755, root: false })).reason,
      ).toContain("before the transfer's top folder");
      expect(
        await h.fails({ kind: "open", key: "r1", path: ["t", "f"], offset: 0, root: false }),
      ).toBeTruthy();
      expect(await names(join(downloads, "t"))).toEqual([]);
      await h.ok("mkdir", { kind: "mkdir", key: "r1", path: ["u"], mode: 0o755, root: true });
      expect(
        (await h.fails({ kind: "mkdir", key: "r1", path: ["t", "d"], mode: 0o755, root: false })).reason,
      ).toContain("outside the transfer's top folder");
      // A second top folder for the same transfer is refused.
      expect(await h.fails({ kind: "mkdir", key: "r1", path: ["v"], mode: 0o755, root: true })).toBeTruthy();
      expect(await names(downloads)).toEqual(["t", "u"]);
    });
  });

  test("a missing parent folder entry fails; nothing is made on the way", async () => {
    await withFolders(async ({ downloads }) => {
      const h = new DiskHarness({ downloadDir: downloads });
      await h.ok("mkdir", { kind: "mkdir", key: "r1", path: ["t"], mode: 0o755, root: true });
      await h.fails({ kind: "mkdir", key: "r1", path: ["t", "a", "b"], mode: 0o755, root: false });
      await h.fails({ kind: "open", key: "r1", path: ["t", "a", "f"], offset: 0, root: false });
      expect(await names(join(downloads, "t"))).toEqual([]);
    });
  });

  test("names the receiver's rules refuse fail in the Disk too, whatever the logic lets through", async () => {
    await withFolders(async ({ base, downloads }) => {
      const h = new DiskHarness({ downloadDir: downloads });
      const hostile = [
        ["..", "x"],
        [".."],
        ["/etc"],
        ["a/b"],
        ["..\\x"],
        ["C:x"],
        ["con.txt"],
        ["x\u001b[2J"],
        [""],
      ];
      for (const path of hostile) {
        await h.fails({ kind: "mkdir", key: "r1", path, mode: 0o755, root: true });
        await h.fails({ kind: "open", key: "r2", path, offset: 0, root: true });
      }
      await h.ok("mkdir", { kind: "mkdir", key: "r3", path: ["t"], mode: 0o755, root: true });
      for (const tail of [[".."], ["..", ".."], ["a/../.."], [".", "x"]]) {
        await h.fails({ kind: "mkdir", key: "r3", path: ["t", ...tail], mode: 0o755, root: false });
        await h.fails({ kind: "open", key: "r3", path: ["t", ...tail], offset: 0, root: false });
      }
      expect(await names(downloads)).toEqual(["t"]);
      expect(await names(join(downloads, "t"))).toEqual([]);
      expect(await names(base)).toEqual(["downloads", "outside"]);
    });
  });
});

describe("links planted while a transfer runs (never followed, never written through)", () => {
  test("a folder inside the transfer replaced by a link: nothing goes through it", async () => {
    await withFolders(async ({ downloads, outside }) => {
      const h = new DiskHarness({ downloadDir: downloads });
      await h.ok("mkdir", { kind: "mkdir", key: "r1", path: ["t"], mode: 0o755, root: true });
      await h.ok("mkdir", { kind: "mkdir", key: "r1", path: ["t", "d"], mode: 0o755, root: false });
      await rename(join(downloads, "t/d"), join(downloads, "t/d-moved"));
      await symlink(outside, join(downloads, "t/d"));
      await h.fails({ kind: "mkdir", key: "r1", path: ["t", "d", "e"], mode: 0o755, root: false });
      await h.fails({ kind: "open", key: "r1", path: ["t", "d", "f"], offset: 0, root: false });
      expect(await readdir(outside)).toEqual([]);
    });
  });

  test("the top folder replaced by a link to elsewhere: nothing goes through it", async () => {
    await withFolders(async ({ downloads, outside }) => {
      const h = new DiskHarness({ downloadDir: downloads });
      await h.ok("mkdir", { kind: "mkdir", key: "r1", path: ["t"], mode: 0o755, root: true });
      await rename(join(downloads, "t"), join(downloads, "t-moved"));
      await symlink(outside, join(downloads, "t"));
      expect(
        (await h.fails({ kind: "open", key: "r1", path: ["t", "f"], offset: 0, root: false })).reason,
      ).toContain("moved or replaced");
      // Not even another real folder of that name: it is not the one this transfer made.
      await rename(join(downloads, "t"), join(downloads, "t-link"));
      await mkdir(join(downloads, "t"));
      await h.fails({ kind: "mkdir", key: "r1", path: ["t", "d"], mode: 0o755, root: false });
      expect(await readdir(outside)).toEqual([]);
      expect(await readdir(join(downloads, "t"))).toEqual([]);
    });
  });

  test("a link planted under a file's final name: finalize fails, the target is untouched", async () => {
    await withFolders(async ({ downloads, outside }) => {
      await writeFile(join(outside, "victim"), "precious");
      const h = new DiskHarness({ downloadDir: downloads });
      await h.ok("mkdir", { kind: "mkdir", key: "r1", path: ["t"], mode: 0o755, root: true });
      await h.ok("open", { kind: "open", key: "r1", path: ["t", "f"], offset: 0, root: false });
      await h.ok("write", { kind: "write", key: "r1", bytes: text("evil") });
      await symlink(join(outside, "victim"), join(downloads, "t/f"));
      await h.fails({ kind: "finalize", key: "r1", path: ["t", "f"], mode: 0o644, root: false });
      expect(await readFile(join(outside, "victim"), "utf8")).toBe("precious");
      expect(await readlink(join(downloads, "t/f"))).toBe(join(outside, "victim"));
      // The cancel that follows removes the part file.
      await h.run({ kind: "discard", key: "r1" });
      expect(await names(join(downloads, "t"))).toEqual(["f"]);
    });
  });
});

describe("a one-file transfer", () => {
  test("data goes to NAME.121chat-part (the user's alone), renamed only at finalize", async () => {
    await withFolders(async ({ downloads }) => {
      const h = new DiskHarness({ downloadDir: downloads });
      await h.ok("open", { kind: "open", key: "r1", path: ["a.txt"], offset: 0, root: true });
      await h.ok("write", { kind: "write", key: "r1", bytes: text("hello ") });
      expect(await h.ok("write", { kind: "write", key: "r1", bytes: text("world") })).toMatchObject({
        bytes: 5,
      });
      expect(await names(downloads)).toEqual([`a.txt${PART_SUFFIX}`]);
      expect((await stat(join(downloads, `a.txt${PART_SUFFIX}`))).mode & 0o777).toBe(0o600);
      const done = await h.ok("finalize", {
        kind: "finalize",
        key: "r1",
        path: ["a.txt"],
        mode: 0o644,
        root: true,
      });
      expect(done.localName).toBe("a.txt");
      expect(await names(downloads)).toEqual(["a.txt"]);
      expect(await readFile(join(downloads, "a.txt"), "utf8")).toBe("hello world");
    });
  });

  test("an existing file of the same name is never replaced: ' (1)' before the extension", async () => {
    await withFolders(async ({ downloads }) => {
      await writeFile(join(downloads, "a.tar.gz"), "old");
      await writeFile(join(downloads, "a.tar (1).gz"), "older");
      await mkdir(join(downloads, "Makefile"));
      const h = new DiskHarness({ downloadDir: downloads });
      expect(await h.receiveFile("r1", ["a.tar.gz"], text("new"), 0o644, true)).toMatchObject({
        localName: "a.tar (2).gz",
      });
      expect(await h.receiveFile("r2", ["Makefile"], text("all:"), 0o644, true)).toMatchObject({
        localName: "Makefile (1)",
      });
      expect(await readFile(join(downloads, "a.tar.gz"), "utf8")).toBe("old");
      expect(await readFile(join(downloads, "a.tar (1).gz"), "utf8")).toBe("older");
      expect(await readFile(join(downloads, "a.tar (2).gz"), "utf8")).toBe("new");
      expect(await readFile(join(downloads, "Makefile (1)"), "utf8")).toBe("all:");
    });
  });

  test("a link planted as the final name (dangling or not) is not written through: the file gets ' (1)'", async () => {
    await withFolders(async ({ downloads, outside }) => {
      await writeFile(join(outside, "victim"), "precious");
      await symlink(join(outside, "victim"), join(downloads, "a.txt"));
      await symlink(join(outside, "created"), join(downloads, "b.txt"));
      const h = new DiskHarness({ downloadDir: downloads });
      expect(await h.receiveFile("r1", ["a.txt"], text("evil"), 0o644, true)).toMatchObject({
        localName: "a (1).txt",
      });
      expect(await h.receiveFile("r2", ["b.txt"], text("evil"), 0o644, true)).toMatchObject({
        localName: "b (1).txt",
      });
      expect(await readdir(outside)).toEqual(["victim"]);
      expect(await readFile(join(outside, "victim"), "utf8")).toBe("precious");
      expect(await readFile(join(downloads, "a (1).txt"), "utf8")).toBe("evil");
    });
  });

  test("a link, a folder or a hard link planted as NAME.121chat-part is never opened or truncated", async () => {
    await withFolders(async ({ downloads, outside }) => {
      const victim = join(outside, "victim");
      await writeFile(victim, "precious");
      await symlink(victim, join(downloads, `a${PART_SUFFIX}`));
      await symlink(join(outside, "created"), join(downloads, `b${PART_SUFFIX}`));
      await link(victim, join(downloads, `c${PART_SUFFIX}`));
      await mkdir(join(downloads, `d${PART_SUFFIX}`));
      const h = new DiskHarness({ downloadDir: downloads });
      for (const name of ["a", "b", "c", "d"]) {
        const inspected = await h.ok("inspect", { kind: "inspect", key: `i-${name}`, name, oneFile: true });
        expect(inspected.partial).toBeNull();
        await h.fails({ kind: "open", key: `r-${name}`, path: [name], offset: 0, root: true });
        await h.fails({ kind: "open", key: `s-${name}`, path: [name], offset: 3, root: true });
      }
      expect(await readFile(victim, "utf8")).toBe("precious");
      expect(await readdir(outside)).toEqual(["victim"]);
      expect(await readlink(join(downloads, `a${PART_SUFFIX}`))).toBe(victim);
    });
  });

  const notRoot = process.getuid?.() !== 0 ? "needs root to give a file to another user" : null;
  test.skipIf(skipBecause(notRoot, "a part file of another user's"))(
    "a part file of another user's is never reused (they could read what is written into it)",
    async () => {
      await withFolders(async ({ downloads }) => {
        const planted = join(downloads, `a${PART_SUFFIX}`);
        await writeFile(planted, "theirs");
        await chown(planted, 65534, 65534);
        const h = new DiskHarness({ downloadDir: downloads });
        expect(
          (await h.ok("inspect", { kind: "inspect", key: "i", name: "a", oneFile: true })).partial,
        ).toBeNull();
        await h.fails({ kind: "open", key: "r1", path: ["a"], offset: 0, root: true });
        await h.fails({ kind: "open", key: "r2", path: ["a"], offset: 2, root: true });
        expect(await readFile(planted, "utf8")).toBe("theirs");
      });
    },
  );

  test("a part file replaced while it was written is not given the final name", async () => {
    await withFolders(async ({ downloads }) => {
      const part = join(downloads, `a${PART_SUFFIX}`);
      const h = new DiskHarness({ downloadDir: downloads });
      await h.ok("open", { kind: "open", key: "r1", path: ["a"], offset: 0, root: true });
      await h.ok("write", { kind: "write", key: "r1", bytes: text("checked data") });
      await rename(part, join(downloads, "aside"));
      await writeFile(part, "unchecked data");
      expect(
        (await h.fails({ kind: "finalize", key: "r1", path: ["a"], mode: 0o644, root: true })).reason,
      ).toContain("moved or replaced");
      expect(await exists(join(downloads, "a"))).toBe(false);
      expect(await readFile(part, "utf8")).toBe("unchecked data");
    });
  });

  test("two transfers never write the same part file at once: the second waits its turn", async () => {
    await withFolders(async ({ downloads }) => {
      const h = new DiskHarness({ downloadDir: downloads });
      await h.ok("open", { kind: "open", key: "r1", path: ["a"], offset: 0, root: true });
      // r2's open waits while r1 writes; it goes on once r1's file has its final name.
      h.disk.submit({ kind: "open", key: "r2", seq: 1, path: ["a"], offset: 0, root: true });
      h.disk.submit({ kind: "write", key: "r2", seq: 2, bytes: text("second") });
      await Bun.sleep(50);
      expect(h.results.filter((r) => r.key === "r2")).toEqual([]);
      // (Submitted without waiting for the Disk to be idle: it is not, until r1 is done.)
      h.disk.submit({ kind: "write", key: "r1", seq: 1, bytes: text("first") });
      h.disk.submit({ kind: "finalize", key: "r1", seq: 2, path: ["a"], mode: 0o644, root: true });
      await h.disk.idle();
      expect(h.results.filter((r) => r.key === "r1").at(-1)).toMatchObject({
        kind: "finalize",
        localName: "a",
      });
      expect(h.results.filter((r) => r.key === "r2").map((r) => r.kind)).toEqual(["open", "write"]);
      expect(await readFile(join(downloads, "a"), "utf8")).toBe("first");
      expect(await readFile(join(downloads, `a${PART_SUFFIX}`), "utf8")).toBe("second");
    });
  });

  test("a failed finalize lets the next waiting transfer in, and only that one", async () => {
    await withFolders(async ({ downloads }) => {
      const h = new DiskHarness({ downloadDir: downloads });
      const part = join(downloads, `a${PART_SUFFIX}`);
      await h.ok("open", { kind: "open", key: "r1", path: ["a"], offset: 0, root: true });
      await h.ok("write", { kind: "write", key: "r1", bytes: text("first") });
      h.disk.submit({ kind: "open", key: "r2", seq: 1, path: ["a"], offset: 0, root: true });
      h.disk.submit({ kind: "open", key: "r3", seq: 1, path: ["a"], offset: 0, root: true });
      // Someone replaces r1's part file: its finalize fails (and lets go of the name once, not twice).
      await rename(part, join(downloads, "moved"));
      await writeFile(part, "planted");
      h.disk.submit({ kind: "finalize", key: "r1", seq: 9, path: ["a"], mode: 0o644, root: true });
      await settleDisk(h.disk, () => h.results.length);
      expect(h.results.find((r) => r.key === "r1" && r.seq === 9)).toMatchObject({ kind: "failed" });
      expect(h.results.filter((r) => r.key === "r2").map((r) => r.kind)).toEqual(["open"]);
      expect(h.results.filter((r) => r.key === "r3")).toEqual([]); // still waiting for r2
      h.disk.submit({ kind: "discard", key: "r2", seq: 2 });
      await h.disk.idle();
      expect(h.results.filter((r) => r.key === "r3").map((r) => r.kind)).toEqual(["open"]);
    });
  });

  test("a transfer's part file being given its final name is not reused by the next transfer of that name", async () => {
    // Two one-file transfers of the same name, one after the other: the second's FILE_ENTRY comes right
    // after the first's FILE_SUM, so its open runs while the first's finalize is under way (another key).
    // The fuzzer found the second truncating and writing into the very file the first had just named.
    await withFolders(async ({ downloads }) => {
      for (let round = 0; round < 30; round++) {
        const dir = join(downloads, `round-${round}`);
        await mkdir(dir);
        const results: DiskResult[] = [];
        const disk = new Disk({ downloadDir: dir, onResult: (r) => results.push(r) });
        const root = { path: ["a.txt"], root: true };
        disk.submit({ kind: "open", key: "in:1", seq: 1, offset: 0, ...root });
        disk.submit({ kind: "write", key: "in:1", seq: 1, bytes: text("first, verified") });
        await disk.idle();
        // The next transfer found the first one's part file when it looked for a partial (it is in use).
        disk.submit({ kind: "inspect", key: "in:2", seq: 1, name: "a.txt", oneFile: true });
        await disk.idle();
        expect(results.at(-1)).toMatchObject({ kind: "inspect", partial: null });
        disk.submit({ kind: "finalize", key: "in:1", seq: 1, mode: 0o644, ...root });
        disk.submit({ kind: "open", key: "in:2", seq: 1, offset: 0, ...root });
        disk.submit({ kind: "write", key: "in:2", seq: 1, bytes: text("second, never verified") });
        await disk.idle();
        expect(await readFile(join(dir, "a.txt"), "utf8")).toBe("first, verified");
        disk.submit({ kind: "discard", key: "in:2", seq: 1 });
        await disk.idle();
        expect(await names(dir)).toEqual(["a.txt"]);
        expect(results.filter((r) => r.kind === "failed")).toEqual([]);
        await disk.close();
      }
    });
  });
});

describe("permission bits", () => {
  test("set-uid, set-gid, sticky and group/other write are dropped; executable bits stay", async () => {
    await withFolders(async ({ downloads }) => {
      const h = new DiskHarness({ downloadDir: downloads });
      await h.ok("mkdir", { kind: "mkdir", key: "r1", path: ["t"], mode: 0o3777, root: true });
      await h.ok("mkdir", { kind: "mkdir", key: "r1", path: ["t", "ro"], mode: 0o555, root: false });
      const files: [string, number, number][] = [
        ["suid", 0o4755, 0o755],
        ["sgid", 0o2775, 0o755],
        ["sticky", 0o1777, 0o755],
        ["world", 0o666, 0o644],
        ["exec", 0o711, 0o711],
        ["private", 0o600, 0o600],
        ["none", 0o000, 0o000],
      ];
      for (const [name, mode] of files) await h.receiveFile("r1", ["t", name], text(name), mode);
      for (const [name, , expected] of files) {
        expect(((await stat(join(downloads, "t", name))).mode & 0o7777).toString(8)).toBe(
          expected.toString(8),
        );
      }
      expect(((await stat(join(downloads, "t"))).mode & 0o7777).toString(8)).toBe("755");
      // A read-only folder is still the user's to write in (its contents are written into it).
      expect(((await stat(join(downloads, "t/ro"))).mode & 0o7777).toString(8)).toBe("755");
      expect(
        await h
          .receiveFile("r2", ["tool"], text("#!/bin/sh"), 0o6755, true)
          .then(async () => ((await stat(join(downloads, "tool"))).mode & 0o7777).toString(8)),
      ).toBe("755");
    });
  });
});

describe("discard, keep and resume", () => {
  test("discard closes and removes the part file; nothing stays under a final name", async () => {
    await withFolders(async ({ downloads }) => {
      const h = new DiskHarness({ downloadDir: downloads });
      await h.ok("mkdir", { kind: "mkdir", key: "r1", path: ["t"], mode: 0o755, root: true });
      await h.ok("open", { kind: "open", key: "r1", path: ["t", "f"], offset: 0, root: false });
      await h.ok("write", { kind: "write", key: "r1", bytes: text("partial") });
      expect(await h.run({ kind: "discard", key: "r1" })).toBeUndefined();
      expect(await names(join(downloads, "t"))).toEqual([]);
      await h.ok("open", { kind: "open", key: "r2", path: ["a"], offset: 0, root: true });
      await h.run({ kind: "discard", key: "r2" });
      expect(await names(downloads)).toEqual(["t"]);
    });
  });

  test("discard leaves a part file alone that is no longer the one written", async () => {
    await withFolders(async ({ downloads }) => {
      const h = new DiskHarness({ downloadDir: downloads });
      await h.ok("open", { kind: "open", key: "r1", path: ["a"], offset: 0, root: true });
      await rename(join(downloads, `a${PART_SUFFIX}`), join(downloads, "moved"));
      await writeFile(join(downloads, `a${PART_SUFFIX}`), "someone else's");
      await h.run({ kind: "discard", key: "r1" });
      expect(await readFile(join(downloads, `a${PART_SUFFIX}`), "utf8")).toBe("someone else's");
    });
  });

  test("a cancel after a cut removes the kept part file; so after taking on an earlier run's partial", async () => {
    await withFolders(async ({ downloads }) => {
      const h = new DiskHarness({ downloadDir: downloads });
      await h.ok("mkdir", { kind: "mkdir", key: "r1", path: ["t"], mode: 0o755, root: true });
      await h.ok("open", { kind: "open", key: "r1", path: ["t", "f"], offset: 0, root: false });
      await h.ok("write", { kind: "write", key: "r1", bytes: text("partial") });
      await h.run({ kind: "keep", key: "r1" });
      expect(await names(join(downloads, "t"))).toEqual([`f${PART_SUFFIX}`]);
      await h.run({ kind: "discard", key: "r1" });
      expect(await names(join(downloads, "t"))).toEqual([]);

      await writeFile(join(downloads, `a${PART_SUFFIX}`), "from an earlier run");
      await h.ok("inspect", { kind: "inspect", key: "r2", name: "a", oneFile: true });
      await h.run({ kind: "discard", key: "r2" });
      expect(await names(downloads)).toEqual(["t"]);
    });
  });

  test("a failed finalize leaves neither the final name nor the part file", async () => {
    await withFolders(async ({ downloads }) => {
      const h = new DiskHarness({ downloadDir: downloads });
      await h.ok("mkdir", { kind: "mkdir", key: "r1", path: ["t"], mode: 0o755, root: true });
      await h.ok("mkdir", { kind: "mkdir", key: "r1", path: ["t", "f"], mode: 0o755, root: false });
      await h.ok("open", { kind: "open", key: "r1", path: ["t", "f"], offset: 0, root: false });
      await h.ok("write", { kind: "write", key: "r1", bytes: text("verified") });
      await h.fails({ kind: "finalize", key: "r1", path: ["t", "f"], mode: 0o644, root: false });
      expect(await names(join(downloads, "t"))).toEqual(["f"]);
      expect(await names(join(downloads, "t/f"))).toEqual([]);
    });
  });

  test("inspect's partial is the one continued: replaced in between, it is refused", async () => {
    await withFolders(async ({ downloads }) => {
      const part = join(downloads, `a${PART_SUFFIX}`);
      await writeFile(part, "hashed bytes");
      const h = new DiskHarness({ downloadDir: downloads });
      expect(
        (await h.ok("inspect", { kind: "inspect", key: "r1", name: "a", oneFile: true })).partial?.size,
      ).toBe(12);
      await rename(part, join(downloads, "aside"));
      await writeFile(part, "other bytes!");
      await h.fails({ kind: "open", key: "r1", path: ["a"], offset: 12, root: true });
      expect(await readFile(part, "utf8")).toBe("other bytes!");
    });
  });

  test("keep closes the part file and keeps it; the transfer continues from an offset and is cut to it", async () => {
    await withFolders(async ({ downloads }) => {
      const h = new DiskHarness({ downloadDir: downloads });
      await h.ok("mkdir", { kind: "mkdir", key: "r1", path: ["t"], mode: 0o755, root: true });
      await h.ok("open", { kind: "open", key: "r1", path: ["t", "f"], offset: 0, root: false });
      await h.ok("write", { kind: "write", key: "r1", bytes: text("0123456789") });
      await h.run({ kind: "keep", key: "r1" });
      expect(await readFile(join(downloads, `t/f${PART_SUFFIX}`), "utf8")).toBe("0123456789");
      // After the reconnect: 6 bytes were reported, so the sender goes on from 6.
      await h.ok("open", { kind: "open", key: "r1", path: ["t", "f"], offset: 6, root: false });
      await h.ok("write", { kind: "write", key: "r1", bytes: text("XY") });
      await h.ok("finalize", { kind: "finalize", key: "r1", path: ["t", "f"], mode: 0o644, root: false });
      expect(await readFile(join(downloads, "t/f"), "utf8")).toBe("012345XY");
    });
  });

  test("a kept part file may be started over (offset 0) by its own transfer", async () => {
    await withFolders(async ({ downloads }) => {
      const h = new DiskHarness({ downloadDir: downloads });
      await h.ok("mkdir", { kind: "mkdir", key: "r1", path: ["t"], mode: 0o755, root: true });
      await h.ok("open", { kind: "open", key: "r1", path: ["t", "f"], offset: 0, root: false });
      await h.ok("write", { kind: "write", key: "r1", bytes: text("stale") });
      await h.run({ kind: "keep", key: "r1" });
      await h.ok("open", { kind: "open", key: "r1", path: ["t", "f"], offset: 0, root: false });
      await h.ok("write", { kind: "write", key: "r1", bytes: text("fresh") });
      await h.ok("finalize", { kind: "finalize", key: "r1", path: ["t", "f"], mode: 0o644, root: false });
      expect(await readFile(join(downloads, "t/f"), "utf8")).toBe("fresh");
    });
  });

  test("inside a folder, only a part file this transfer kept is continued", async () => {
    await withFolders(async ({ downloads }) => {
      const h = new DiskHarness({ downloadDir: downloads });
      await h.ok("mkdir", { kind: "mkdir", key: "r1", path: ["t"], mode: 0o755, root: true });
      await writeFile(join(downloads, `t/f${PART_SUFFIX}`), "planted");
      await h.fails({ kind: "open", key: "r1", path: ["t", "f"], offset: 3, root: false });
      await h.fails({ kind: "open", key: "r1", path: ["t", "f"], offset: 0, root: false });
      expect(await readFile(join(downloads, `t/f${PART_SUFFIX}`), "utf8")).toBe("planted");
    });
  });

  test("across runs: a one-file partial is inspected (size, running hash) and continued", async () => {
    await withFolders(async ({ downloads }) => {
      const content = "the whole content of the file";
      const first = new DiskHarness({ downloadDir: downloads });
      await first.ok("open", { kind: "open", key: "r1", path: ["a.txt"], offset: 0, root: true });
      await first.ok("write", { kind: "write", key: "r1", bytes: text(content.slice(0, 12)) });
      await first.run({ kind: "keep", key: "r1" });

      const second = new DiskHarness({ downloadDir: downloads });
      const inspected = await second.ok("inspect", {
        kind: "inspect",
        key: "r9",
        name: "a.txt",
        oneFile: true,
      });
      expect(inspected.freeBytes).toBeGreaterThan(0);
      expect(inspected.partial?.size).toBe(12);
      // The running hash, not digested: it can be copied and continued.
      const running = inspected.partial?.hash;
      expect(running?.copy().digest("hex")).toBe(sha256(content.slice(0, 12)));
      running?.update(content.slice(12));
      expect(running?.digest("hex")).toBe(sha256(content));
      // A folder transfer does not look for a partial.
      expect(
        (await second.ok("inspect", { kind: "inspect", key: "r8", name: "a.txt", oneFile: false })).partial,
      ).toBeNull();

      await second.fails({ kind: "open", key: "r9", path: ["a.txt"], offset: 13, root: true });
      await second.ok("open", { kind: "open", key: "r9", path: ["a.txt"], offset: 12, root: true });
      await second.ok("write", { kind: "write", key: "r9", bytes: text(content.slice(12)) });
      await second.ok("finalize", { kind: "finalize", key: "r9", path: ["a.txt"], mode: 0o644, root: true });
      expect(await readFile(join(downloads, "a.txt"), "utf8")).toBe(content);
      expect(await exists(join(downloads, `a.txt${PART_SUFFIX}`))).toBe(false);
    });
  });

  test("across runs: offset 0 truncates a partial left by an earlier run (a plain file of ours)", async () => {
    await withFolders(async ({ downloads }) => {
      await writeFile(join(downloads, `a.txt${PART_SUFFIX}`), "a much longer stale partial");
      const h = new DiskHarness({ downloadDir: downloads });
      await h.ok("open", { kind: "open", key: "r1", path: ["a.txt"], offset: 0, root: true });
      await h.ok("write", { kind: "write", key: "r1", bytes: text("new") });
      await h.ok("finalize", { kind: "finalize", key: "r1", path: ["a.txt"], mode: 0o644, root: true });
      expect(await readFile(join(downloads, "a.txt"), "utf8")).toBe("new");
    });
  });

  test("inspect reports progress while it hashes a large partial, then the hash", async () => {
    await withFolders(async ({ downloads }) => {
      const bytes = new Uint8Array(1024 * 1024).map((_, i) => i & 0xff);
      await writeFile(join(downloads, `big${PART_SUFFIX}`), bytes);
      const h = new DiskHarness({ downloadDir: downloads, hashChunkBytes: 4096, progressIntervalMs: 0 });
      const all = await h.all({ kind: "inspect", key: "r1", name: "big", oneFile: true });
      const progress = all.filter((r) => r.kind === "hashing") as Extract<DiskResult, { kind: "hashing" }>[];
      expect(progress.length).toBeGreaterThan(10);
      expect(
        progress.every((p, i) => p.total === bytes.length && p.done > (progress[i - 1]?.done ?? 0)),
      ).toBe(true);
      const last = all.at(-1);
      expect(last?.kind).toBe("inspect");
      if (last?.kind === "inspect") expect(last.partial?.hash.digest("hex")).toBe(sha256(bytes));
    });
  });
});

describe("results", () => {
  test("come in the order of the actions of each transfer, with their seq", async () => {
    await withFolders(async ({ downloads }) => {
      const results: DiskResult[] = [];
      const disk = new Disk({ downloadDir: downloads, onResult: (r) => results.push(r) });
      disk.submit({ kind: "open", key: "a", seq: 1, path: ["a"], offset: 0, root: true });
      disk.submit({ kind: "open", key: "b", seq: 1, path: ["b"], offset: 0, root: true });
      for (let seq = 2; seq < 50; seq++) {
        disk.submit({ kind: "write", key: "a", seq, bytes: text(`${seq},`) });
        disk.submit({ kind: "write", key: "b", seq, bytes: text(`${seq};`) });
      }
      disk.submit({ kind: "finalize", key: "a", seq: 50, path: ["a"], mode: 0o644, root: true });
      disk.submit({ kind: "finalize", key: "b", seq: 50, path: ["b"], mode: 0o644, root: true });
      await disk.idle();
      for (const key of ["a", "b"]) {
        const seqs = results.filter((r) => r.key === key).map((r) => r.seq);
        expect(seqs).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
      }
      expect(results.some((r) => r.kind === "failed")).toBe(false);
      expect(await readFile(join(downloads, "a"), "utf8")).toBe(
        Array.from({ length: 48 }, (_, i) => `${i + 2},`).join(""),
      );
    });
  });

  test("a write with nothing open fails, and the full-disk reason is the spec's", async () => {
    const h = new DiskHarness({});
    expect(await h.fails({ kind: "write", key: "r1", bytes: text("x") })).toMatchObject({ full: false });
    expect(DISK_FULL).toBe("receiver's disk is full");
  });
});
