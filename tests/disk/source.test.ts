import { describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { chmod, mkdir, rename, symlink, truncate, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { listSource } from "../../src/disk/list-source.ts";
import type { DiskResult } from "../../src/transfer/types.ts";
import { DiskHarness, withFolders } from "../helpers/disk.ts";

const sha256 = (bytes: Uint8Array | string) => createHash("sha256").update(bytes).digest("hex");

describe("listSource", () => {
  test("a folder: pre-order, each folder's contents sorted, nested and empty folders, sizes and modes", async () => {
    await withFolders(async ({ base }) => {
      const root = join(base, "My Stuff");
      await mkdir(join(root, "b/inner/empty"), { recursive: true });
      await mkdir(join(root, "a empty"), { recursive: true });
      await mkdir(join(root, "ünïcødé 日本"), { recursive: true });
      await writeFile(join(root, "z.txt"), "zz");
      await writeFile(join(root, "b/inner/file"), "12345");
      await writeFile(join(root, "b/0-zero"), "");
      await writeFile(join(root, "ünïcødé 日本/名前 with space.txt"), "héllo");
      await writeFile(join(root, "run.sh"), "#!/bin/sh\n");
      await chmod(join(root, "run.sh"), 0o755);
      await chmod(join(root, "z.txt"), 0o640);
      await chmod(join(root, "b"), 0o750);

      const listing = await listSource(root);
      expect(listing.name).toBe("My Stuff");
      expect(listing.root).toBe(root);
      expect(listing.entries.map((e) => [e.kind, e.path, e.size])).toEqual([
        ["folder", "My Stuff", 0],
        ["folder", "My Stuff/a empty", 0],
        ["folder", "My Stuff/b", 0],
        ["file", "My Stuff/b/0-zero", 0],
        ["folder", "My Stuff/b/inner", 0],
        ["folder", "My Stuff/b/inner/empty", 0],
        ["file", "My Stuff/b/inner/file", 5],
        ["file", "My Stuff/run.sh", 10],
        ["file", "My Stuff/z.txt", 2],
        ["folder", "My Stuff/ünïcødé 日本", 0],
        ["file", "My Stuff/ünïcødé 日本/名前 with space.txt", 6],
      ]);
      const mode = (path: string) => listing.entries.find((e) => e.path === path)?.mode.toString(8);
      expect(mode("My Stuff/run.sh")).toBe("755");
      expect(mode("My Stuff/z.txt")).toBe("640");
      expect(mode("My Stuff/b")).toBe("750");
      expect(listing.totalBytes).toBe(0 + 5 + 10 + 2 + 6);
      expect(listing.skipped).toEqual([]);
      // Stable: the same listing on every run.
      expect((await listSource(root)).entries).toEqual(listing.entries);
      // Every folder comes before its contents.
      const seen = new Set<string>();
      for (const entry of listing.entries) {
        const parent = entry.path.split("/").slice(0, -1).join("/");
        if (parent !== "") expect(seen.has(parent)).toBe(true);
        seen.add(entry.path);
      }
    });
  });

  test("a link inside the folder is skipped with its reason, never followed; so are a FIFO and refused names", async () => {
    await withFolders(async ({ base, outside }) => {
      const root = join(base, "send");
      await mkdir(root);
      await writeFile(join(outside, "secret"), "do not send");
      await symlink(join(outside, "secret"), join(root, "link-to-file"));
      await symlink(outside, join(root, "link-to-folder"));
      await writeFile(join(root, "kept"), "k");
      await writeFile(join(root, "a:b"), "colon");
      await writeFile(join(root, "con.txt"), "reserved");
      await writeFile(join(root, "esc\u001b[2J"), "control");
      const fifo = Bun.spawnSync(["mkfifo", join(root, "pipe")]);
      expect(fifo.exitCode).toBe(0);

      const listing = await listSource(root);
      expect(listing.entries.map((e) => e.path)).toEqual(["send", "send/kept"]);
      const reasons = Object.fromEntries(listing.skipped.map((s) => [s.path, s.reason]));
      expect(reasons["send/link-to-file"]).toContain("symbolic link");
      expect(reasons["send/link-to-folder"]).toContain("symbolic link");
      expect(reasons["send/pipe"]).toContain("named pipe");
      expect(reasons["send/a:b"]).toContain("colon");
      expect(reasons["send/con.txt"]).toContain("reserved");
      expect(reasons["send/esc\u001b[2J"]).toContain("control character");
      expect(listing.totalBytes).toBe(1);
    });
  });

  test("one file: one entry named like the file; a zero-byte file too", async () => {
    await withFolders(async ({ base }) => {
      await writeFile(join(base, "report (1).pdf"), "pdf!");
      await writeFile(join(base, "empty"), "");
      const one = await listSource(join(base, "report (1).pdf"));
      expect(one.name).toBe("report (1).pdf");
      expect(one.entries).toEqual([
        { kind: "file", path: "report (1).pdf", mode: expect.any(Number), size: 4 },
      ]);
      expect((await listSource(join(base, "empty"))).entries[0]?.size).toBe(0);
    });
  });

  test("a link named by the user is followed, and the transfer keeps the link's name", async () => {
    await withFolders(async ({ base, outside }) => {
      await writeFile(join(outside, "target.txt"), "through the link");
      await symlink(join(outside, "target.txt"), join(base, "latest"));
      await symlink(outside, join(base, "folder-link"));
      const file = await listSource(join(base, "latest"));
      expect(file.name).toBe("latest");
      expect(file.root).toBe(join(outside, "target.txt"));
      expect(file.entries[0]?.size).toBe(16);
      const folder = await listSource(`${join(base, "folder-link")}/`);
      expect(folder.name).toBe("folder-link");
      expect(folder.entries.map((e) => e.path)).toEqual(["folder-link", "folder-link/target.txt"]);
    });
  });

  test("paths ending in '.' or '/' name the folder they stand for", async () => {
    await withFolders(async ({ base }) => {
      await mkdir(join(base, "proj"));
      expect((await listSource(join(base, "proj/."))).name).toBe("proj");
      expect((await listSource(join(base, "proj//"))).name).toBe("proj");
    });
  });

  test("what cannot be sent at all is one clear sentence", async () => {
    await withFolders(async ({ base }) => {
      await expect(listSource(join(base, "missing"))).rejects.toThrow(
        /cannot send ".*missing": it does not exist/,
      );
      await expect(listSource("")).rejects.toThrow("no path given");
      Bun.spawnSync(["mkfifo", join(base, "fifo")]);
      await expect(listSource(join(base, "fifo"))).rejects.toThrow(
        "it is a named pipe, not a file or a folder",
      );
      await writeFile(join(base, "bad:name"), "x");
      await expect(listSource(join(base, "bad:name"))).rejects.toThrow("the receiver refuses its name");
    });
  });
});

describe("reading what was listed", () => {
  async function sourceFolder(base: string) {
    const root = join(base, "src");
    await mkdir(root);
    const big = new Uint8Array(300_000).map((_, i) => (i * 7) & 0xff);
    await writeFile(join(root, "big.bin"), big);
    await writeFile(join(root, "small.txt"), "small");
    await writeFile(join(root, "zero"), "");
    const listing = await listSource(root);
    return {
      root,
      big,
      listing,
      index: (name: string) => listing.entries.findIndex((e) => e.path === `src/${name}`),
    };
  }

  test("reads an entry in pieces from offsets; fewer bytes only at the end of the file", async () => {
    await withFolders(async ({ base }) => {
      const { big, listing, index } = await sourceFolder(base);
      const h = new DiskHarness({});
      h.disk.registerSource("s1", listing);
      const entry = index("big.bin");
      const chunks: Uint8Array[] = [];
      for (let offset = 0; offset < big.length; offset += 65536) {
        const answer = await h.ok("read", { kind: "read", key: "s1", entry, offset, length: 65536 });
        expect(answer.bytes.length).toBe(Math.min(65536, big.length - offset));
        chunks.push(answer.bytes);
      }
      expect(sha256(Buffer.concat(chunks))).toBe(sha256(big));
      const small = await h.ok("read", {
        kind: "read",
        key: "s1",
        entry: index("small.txt"),
        offset: 1,
        length: 100,
      });
      expect(new TextDecoder().decode(small.bytes)).toBe("mall");
      const zero = await h.ok("read", {
        kind: "read",
        key: "s1",
        entry: index("zero"),
        offset: 0,
        length: 100,
      });
      expect(zero.bytes.length).toBe(0);
    });
  });

  test("a file that changed size, was replaced, or became a link fails with a clear reason", async () => {
    await withFolders(async ({ base, outside }) => {
      const { root, listing, index } = await sourceFolder(base);
      const h = new DiskHarness({});
      h.disk.registerSource("s1", listing);
      // Shrunk before it was opened.
      await truncate(join(root, "big.bin"), 1000);
      expect(
        (await h.fails({ kind: "read", key: "s1", entry: index("big.bin"), offset: 0, length: 10 })).reason,
      ).toContain('"src/big.bin" changed size since it was listed');
      // Grew while it was open: noticed at its end.
      await h.ok("read", { kind: "read", key: "s1", entry: index("small.txt"), offset: 0, length: 2 });
      await writeFile(join(root, "small.txt"), "small and more");
      expect(
        (await h.fails({ kind: "read", key: "s1", entry: index("small.txt"), offset: 2, length: 100 }))
          .reason,
      ).toContain("changed size while it was being sent");
      // Replaced by a link to something of the same size elsewhere.
      await writeFile(join(outside, "same-size"), "");
      await rename(join(root, "zero"), join(root, "zero-moved"));
      await symlink(join(outside, "same-size"), join(root, "zero"));
      expect(
        (await h.fails({ kind: "read", key: "s1", entry: index("zero"), offset: 0, length: 1 })).reason,
      ).toContain("symbolic link");
      // Replaced by another file of the same size.
      await rename(join(root, "zero"), join(root, "zero-link"));
      await writeFile(join(root, "zero"), "");
      expect(
        (await h.fails({ kind: "read", key: "s1", entry: index("zero"), offset: 0, length: 1 })).reason,
      ).toContain("was replaced since it was listed");
    });
  });

  test("a file that shrank while open fails instead of ending early", async () => {
    await withFolders(async ({ base }) => {
      const { root, listing, index } = await sourceFolder(base);
      const h = new DiskHarness({});
      h.disk.registerSource("s1", listing);
      await h.ok("read", { kind: "read", key: "s1", entry: index("big.bin"), offset: 0, length: 10 });
      await truncate(join(root, "big.bin"), 20_000);
      expect(
        (await h.fails({ kind: "read", key: "s1", entry: index("big.bin"), offset: 10_000, length: 65536 }))
          .reason,
      ).toContain("shrank");
    });
  });

  test("hash-prefix: the running SHA-256 of the first bytes, with progress, never past the end", async () => {
    await withFolders(async ({ base }) => {
      const { big, listing, index } = await sourceFolder(base);
      const h = new DiskHarness({ hashChunkBytes: 4096, progressIntervalMs: 0 });
      h.disk.registerSource("s1", listing);
      const all = await h.all({ kind: "hash-prefix", key: "s1", entry: index("big.bin"), length: 200_000 });
      const last = all.at(-1) as DiskResult;
      expect(last.kind).toBe("hash-prefix");
      if (last.kind === "hash-prefix") expect(last.hash.digest("hex")).toBe(sha256(big.subarray(0, 200_000)));
      expect(all.filter((r) => r.kind === "hashing").length).toBeGreaterThan(10);
      await h.fails({ kind: "hash-prefix", key: "s1", entry: index("big.bin"), length: 300_001 });
      await h.fails({ kind: "hash-prefix", key: "s1", entry: 0, length: 0 }); // a folder
    });
  });

  test("close-source closes the transfer's files and forgets them; unknown keys and entries fail", async () => {
    await withFolders(async ({ base }) => {
      const { listing, index } = await sourceFolder(base);
      const h = new DiskHarness({});
      await h.fails({ kind: "read", key: "s1", entry: 1, offset: 0, length: 1 });
      h.disk.registerSource("s1", listing);
      await h.ok("read", { kind: "read", key: "s1", entry: index("big.bin"), offset: 0, length: 1 });
      expect(await h.run({ kind: "close-source", key: "s1" })).toBeUndefined();
      expect(
        (await h.fails({ kind: "read", key: "s1", entry: index("big.bin"), offset: 0, length: 1 })).reason,
      ).toContain("no files are registered");
      h.disk.registerSource("s2", listing);
      await h.fails({ kind: "read", key: "s2", entry: 99, offset: 0, length: 1 });
      await h.fails({ kind: "read", key: "s2", entry: index("small.txt"), offset: 6, length: 1 });
    });
  });

  test("an end-to-end copy through the Disk: the listing's files arrive identical, modes kept", async () => {
    await withFolders(async ({ base, downloads }) => {
      const root = join(base, "tree");
      await mkdir(join(root, "sub/empty"), { recursive: true });
      await writeFile(
        join(root, "sub/data"),
        new Uint8Array(150_000).map((_, i) => i % 251),
      );
      await writeFile(join(root, "tool"), "#!/bin/sh\necho hi\n");
      await chmod(join(root, "tool"), 0o755);
      const listing = await listSource(root);
      const h = new DiskHarness({ downloadDir: downloads });
      h.disk.registerSource("s", listing);
      for (const [i, entry] of listing.entries.entries()) {
        const path = entry.path.split("/");
        if (entry.kind === "folder") {
          await h.ok("mkdir", { kind: "mkdir", key: "r", path, mode: entry.mode, root: i === 0 });
          continue;
        }
        await h.ok("open", { kind: "open", key: "r", path, offset: 0, root: false });
        for (let offset = 0; offset < entry.size; offset += 65536) {
          const { bytes } = await h.ok("read", { kind: "read", key: "s", entry: i, offset, length: 65536 });
          await h.ok("write", { kind: "write", key: "r", bytes });
        }
        await h.ok("finalize", { kind: "finalize", key: "r", path, mode: entry.mode, root: false });
      }
      const received = await listSource(join(downloads, "tree"));
      expect(received.entries).toEqual(listing.entries);
      const same = Bun.spawnSync(["diff", "-r", root, join(downloads, "tree")]);
      expect(same.exitCode).toBe(0);
    });
  });
});
