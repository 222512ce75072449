import { afterEach, describe, expect, test } from "bun:test";
import { createHash, randomBytes } from "node:crypto";
import { chmod, lstat, mkdir, mkdtemp, readdir, rm, symlink, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { sha256File } from "../../scripts/checksums.ts";
import { flat } from "../../src/protocol/bytes.ts";
import { FrameType } from "../../src/protocol/constants.ts";
import { encodeFrame } from "../../src/protocol/encoder.ts";
import {
  encodeAnswer,
  encodeCancel,
  encodeEntry,
  encodeOffer,
  parseAnswer,
  parseEntry,
  parseOffer,
  parseProgress,
  ZERO_HASH,
} from "../../src/transfer/frames.ts";
import { CuttingRelay } from "../helpers/cutting-relay.ts";
import { expectFolderSettles, namesIn } from "../helpers/folders.ts";
import { type JsonEvent, JsonProgram, TEST_CODE } from "../helpers/program.ts";
import { RecordingRelay } from "../helpers/recording-relay.ts";
import { SecurePeer } from "../helpers/secure-peer.ts";
import { skipBecause } from "../helpers/skip.ts";
import { tmpfsUnavailable, withTmpfs } from "../helpers/tmpfs.ts";

/**
 * Files between real processes (issue 11): a receiving `121chat server --json --download-dir DIR` and a
 * sending `121chat client HOST --send PATH` (or the other way round), as scripts use them. What arrives is
 * compared with what was sent (tree, contents by SHA-256, modes); a decline, a cancel from either side, a
 * full disk and a sender killed mid-way end the way the issue says, with no final file and no part file
 * left where the spec says so.
 */

const HOST = "127.0.0.1";
const KIB = 1024;
const MIB = 1024 * KIB;

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A fresh temp folder with `src/` and `downloads/`, removed after the test. */
async function folders(): Promise<{ base: string; src: string; downloads: string }> {
  const base = await mkdtemp(join(tmpdir(), "121chat-files-"));
  cleanups.push(() => rm(base, { recursive: true, force: true }));
  const src = join(base, "src");
  const downloads = join(base, "downloads");
  await mkdir(src);
  await mkdir(downloads);
  return { base, src, downloads };
}

/** A receiving server (stopped after the test). */
async function receiver(downloads: string, args: string[] = []): Promise<JsonProgram & { port: number }> {
  const server = await JsonProgram.server(["--host", HOST, "--download-dir", downloads, ...args]);
  cleanups.push(() => server.stop());
  return server;
}

/** A client that sends `path` to `port` and exits (stopped after the test if it has not). */
function sender(port: number, path: string, args: string[] = []): JsonProgram {
  const client = new JsonProgram(["client", `${HOST}:${port}`, "--send", path, ...args]);
  cleanups.push(() => client.stop());
  return client;
}

const isEvent = (type: string) => (e: JsonEvent) => e.event === type;

/** Every path under `root` with its kind, permission bits, size and (files) SHA-256, in name order. */
async function describeTree(root: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const visit = async (dir: string) => {
    for (const name of (await readdir(dir)).sort()) {
      const abs = join(dir, name);
      const info = await lstat(abs);
      const mode = (info.mode & 0o7777).toString(8);
      const rel = relative(root, abs);
      if (info.isDirectory()) {
        out[rel] = `folder ${mode}`;
        await visit(abs);
      } else if (info.isFile()) out[rel] = `file ${mode} ${info.size} ${await sha256File(abs)}`;
      else out[rel] = "other";
    }
  };
  await visit(root);
  return out;
}

describe("a folder between two programs", () => {
  test("nested and empty folders, an empty file, Unicode and spaces, an executable, and a sparse file over " +
    "4 GiB arrive identical; unsafe mode bits are dropped", async () => {
    const { src, downloads } = await folders();
    const top = join(src, "photos");
    await mkdir(join(top, "nested", "deeper"), { recursive: true });
    await mkdir(join(top, "empty"));
    await mkdir(join(top, "empty too", "inner empty"), { recursive: true });
    await mkdir(join(top, "with space"));
    await writeFile(join(top, "nested", "deeper", "file.txt"), "deep down\n");
    await writeFile(join(top, "zero.bin"), "");
    await writeFile(join(top, "Ünïcødé naïve 日本.txt"), "ünïcødé\n");
    await writeFile(join(top, "with space", "a b.txt"), "spaces\n");
    await writeFile(join(top, "random.bin"), randomBytes(3 * MIB + 17));
    await writeFile(join(top, "run.sh"), "#!/bin/sh\necho hi\n");
    await chmod(join(top, "run.sh"), 0o755);
    await writeFile(join(top, "setuid"), "set-uid, world-writable\n");
    await chmod(join(top, "setuid"), 0o4777);
    await writeFile(join(top, "open.txt"), "group and others may write\n");
    await chmod(join(top, "open.txt"), 0o666);
    await chmod(join(top, "with space"), 0o775);
    await chmod(join(top, "nested"), 0o700);
    // Sizes above 2^32 must survive every 64-bit field (FILE_OFFER's total, FILE_ENTRY's size, the
    // progress counts and the sender's window): a 32-bit slip anywhere shows here and nowhere else. That
    // is worth the time: 4 GiB of zeros cross loopback, encrypted (about a minute on 2 vCPUs).
    const huge = join(top, "huge.sparse");
    await writeFile(huge, "");
    await truncate(huge, 4 * 1024 * MIB + MIB);

    const expected = await describeTree(top);
    const total = Object.values(expected)
      .filter((line) => line.startsWith("file"))
      .reduce((sum, line) => sum + Number(line.split(" ")[2]), 0);

    const server = await receiver(downloads, ["--accept-files"]);
    const startedAt = performance.now();
    const client = sender(server.port, top);
    expect(await client.finished(280_000)).toBe(0);
    const seconds = (performance.now() - startedAt) / 1000;

    const sent = await client.waitFor(isEvent("file-done"));
    const got = await server.waitFor(isEvent("file-done"));
    expect(sent).toMatchObject({ direction: "out", name: "photos", resumed_from: 0 });
    expect(got).toMatchObject({ direction: "in", name: "photos", local_name: "photos", resumed_from: 0 });
    expect(total).toBeGreaterThan(2 ** 32);
    expect(sent.bytes).toBe(total);
    expect(got.bytes).toBe(total);
    const offered = await server.waitFor(isEvent("file-offer"));
    expect(offered).toMatchObject({
      direction: "in",
      name: "photos",
      bytes: total,
      entries: Object.keys(expected).length + 1,
    });

    // Progress on both sides comes from what the receiver wrote: it only grows, never past the total,
    // and at most 10 events a second.
    for (const program of [client, server]) {
      const progress = program.events.filter(isEvent("file-progress")).map((e) => e.bytes as number);
      expect(progress.length).toBeGreaterThan(0);
      expect(progress).toEqual([...progress].sort((a, b) => a - b));
      expect(progress.at(-1) as number).toBeLessThanOrEqual(got.bytes as number);
      expect(progress.length).toBeLessThanOrEqual(10 * seconds + 2);
      // The current file's part of it too: never ahead of the file's size, nor of the whole.
      for (const event of program.events.filter(isEvent("file-progress"))) {
        if (event.file === undefined) continue;
        expect(event.file_bytes as number).toBeLessThanOrEqual(event.file_size as number);
        expect(event.file_bytes as number).toBeLessThanOrEqual(event.bytes as number);
      }
    }

    // The tree, every file's contents and the modes: as sent, but for the bits the receiver drops.
    const received = join(downloads, "photos");
    const diff = Bun.spawnSync(["diff", "-r", "-x", "huge.sparse", top, received], { stdout: "pipe" });
    expect(diff.stdout.toString()).toBe("");
    expect(diff.exitCode).toBe(0);
    expected.setuid = (expected.setuid as string).replace(/^file 4777/, "file 755");
    expected["open.txt"] = (expected["open.txt"] as string).replace(/^file 666/, "file 644");
    expected["with space"] = "folder 755";
    expect(expected["run.sh"]).toMatch(/^file 755 /);
    expect(expected.nested).toBe("folder 700");
    expect(await describeTree(received)).toEqual(expected);
    expect(await namesIn(downloads)).not.toContainEqual(expect.stringContaining(".121chat-part"));
  }, 300_000);
});

describe("small cases", () => {
  test("an empty folder on its own arrives", async () => {
    const { src, downloads } = await folders();
    await mkdir(join(src, "nothing yet"));
    const server = await receiver(downloads, ["--accept-files"]);
    const client = sender(server.port, join(src, "nothing yet"));
    expect(await client.finished()).toBe(0);
    expect(await server.waitFor(isEvent("file-done"))).toMatchObject({ local_name: "nothing yet", bytes: 0 });
    expect(await namesIn(downloads)).toEqual(["nothing yet"]);
    expect((await lstat(join(downloads, "nothing yet"))).isDirectory()).toBe(true);
  });

  test("two files of the same name back to back: the first keeps its name, the second gets ' (1)'", async () => {
    const { downloads } = await folders();
    const server = await receiver(downloads, ["--accept-files"]);
    // The sender is a test peer so that both offers and both files go out at once, as queued transfers
    // do: the second's FILE_ENTRY right behind the first's FILE_SUM.
    const peer = await SecurePeer.open(HOST, server.port, TEST_CODE);
    cleanups.push(() => peer.destroy());
    await peer.waitForFrame((f) => f.type === FrameType.SESSION);
    const contents = [randomBytes(300 * KIB), randomBytes(200 * KIB)];
    for (const [i, bytes] of contents.entries()) {
      await peer.send(
        FrameType.FILE_OFFER,
        i + 1,
        encodeOffer({ totalBytes: bytes.length, entries: 1, name: "a.txt" }),
      );
    }
    for (const id of [1, 2]) await peer.waitForFrame((f) => f.type === FrameType.FILE_ANSWER && f.id === id);
    const frames: Uint8Array[] = [];
    for (const [i, bytes] of contents.entries()) {
      const entry = encodeEntry({ kind: "file", mode: 0o644, size: bytes.length, offset: 0, path: "a.txt" });
      frames.push(encodeFrame(FrameType.FILE_ENTRY, i + 1, entry));
      for (let at = 0; at < bytes.length; at += 64 * KIB) {
        frames.push(encodeFrame(FrameType.FILE_DATA, i + 1, bytes.subarray(at, at + 64 * KIB)));
      }
      frames.push(encodeFrame(FrameType.FILE_SUM, i + 1, createHash("sha256").update(bytes).digest()));
    }
    await peer.write(peer.seal(Buffer.concat(frames)));
    await peer.waitForFrame((f) => f.type === FrameType.FILE_DONE && f.id === 2);
    await peer.waitForFrame((f) => f.type === FrameType.FILE_DONE && f.id === 1);
    expect(await namesIn(downloads)).toEqual(["a (1).txt", "a.txt"]);
    const hash = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");
    expect(await sha256File(join(downloads, "a.txt"))).toBe(hash(contents[0] as Uint8Array));
    expect(await sha256File(join(downloads, "a (1).txt"))).toBe(hash(contents[1] as Uint8Array));
  });

  test("a path that does not exist: a usage error before anything starts (exit 2), no session spent", async () => {
    const { src, downloads } = await folders();
    const server = await receiver(downloads, ["--accept-files"]);
    const missing = join(src, "missing.txt");
    const client = sender(server.port, missing);
    expect(await client.finished()).toBe(2);
    expect(client.stderr).toContain(`--send '${missing}' does not exist`);
    await Bun.sleep(200);
    expect(server.events.filter(isEvent("connected"))).toEqual([]);
  });

  test("a name already there is never overwritten: the second copy gets ' (1)' before its extension", async () => {
    const { src, downloads } = await folders();
    await writeFile(join(src, "note.txt"), "second\n");
    await writeFile(join(downloads, "note.txt"), "first\n");
    const server = await receiver(downloads, ["--accept-files"]);
    expect(await sender(server.port, join(src, "note.txt")).finished()).toBe(0);
    expect(await server.waitFor(isEvent("file-done"))).toMatchObject({ local_name: "note (1).txt" });
    expect(await Bun.file(join(downloads, "note.txt")).text()).toBe("first\n");
    expect(await Bun.file(join(downloads, "note (1).txt")).text()).toBe("second\n");
  });
});

describe("consent", () => {
  test("a JSON receiver without --accept-files declines: the sender exits 1 with declined: true", async () => {
    const { src, downloads } = await folders();
    await writeFile(join(src, "note.txt"), "hello\n");
    const server = await receiver(downloads);
    const client = sender(server.port, join(src, "note.txt"));
    expect(await client.finished()).toBe(1);
    const reason = "the receiver takes no files (it runs without --accept-files)";
    expect(await client.waitFor(isEvent("file-cancelled"))).toMatchObject({
      direction: "out",
      name: "note.txt",
      by: "peer",
      declined: true,
      reason,
    });
    expect(await server.waitFor(isEvent("file-cancelled"))).toMatchObject({
      direction: "in",
      name: "note.txt",
      by: "you",
      declined: true,
      reason,
    });
    expect(client.events.some(isEvent("file-done"))).toBe(false);
    expect(await namesIn(downloads)).toEqual([]);
  });
});

describe("a cancel mid-way", () => {
  test("the sender cancels: the receiving program reports it, keeps no final file and no part file", async () => {
    const { downloads } = await folders();
    const server = await receiver(downloads, ["--accept-files"]);
    // The sender is a test peer, so that it can stop exactly mid-way (a SIGTERM would be a cut, not a cancel).
    const peer = await SecurePeer.open(HOST, server.port, TEST_CODE);
    cleanups.push(() => peer.destroy());
    await peer.waitForFrame((f) => f.type === FrameType.SESSION);
    const size = 4 * MIB;
    await peer.send(FrameType.FILE_OFFER, 1, encodeOffer({ totalBytes: size, entries: 1, name: "big.bin" }));
    const answer = await peer.waitForFrame((f) => f.type === FrameType.FILE_ANSWER);
    expect(parseAnswer(flat(answer.payload))).toMatchObject({ accept: true, resumeFrom: 0 });
    await peer.send(
      FrameType.FILE_ENTRY,
      1,
      encodeEntry({ kind: "file", mode: 0o644, size, offset: 0, path: "big.bin" }),
    );
    const chunk = randomBytes(64 * KIB);
    for (let i = 0; i < 8; i++) await peer.send(FrameType.FILE_DATA, 1, chunk);
    // Half a MiB written: the part file is there, under its part name only.
    await peer.waitForFrame(
      (f) => f.type === FrameType.FILE_PROGRESS && parseProgress(flat(f.payload)) >= 512 * KIB,
    );
    expect(await namesIn(downloads)).toEqual(["big.bin.121chat-part"]);

    await peer.send(FrameType.FILE_CANCEL, 1, encodeCancel({ side: 0, reason: "the sender stops here" }));
    expect(await server.waitFor(isEvent("file-cancelled"))).toMatchObject({
      id: 1,
      direction: "in",
      by: "peer",
      declined: false,
      reason: "the sender stops here",
    });
    await expectFolderSettles(downloads, []);
    // The chat goes on.
    await peer.sendMessage(1, "sorry, wrong file");
    await peer.waitForFrame((f) => f.type === FrameType.ACK && f.id === 1);
    expect(server.events.some(isEvent("disconnected"))).toBe(false);
  });

  test("the receiver cancels: the sending program reports it and exits 1", async () => {
    const { src } = await folders();
    const path = join(src, "big.bin");
    await writeFile(path, randomBytes(4 * MIB));
    // The sending program is the server here (`server --send`), so that the receiver can be a test peer.
    const server = await JsonProgram.server(["--host", HOST, "--send", path]);
    cleanups.push(() => server.stop());
    const peer = await SecurePeer.open(HOST, server.port, TEST_CODE);
    cleanups.push(() => peer.destroy());
    const offer = await peer.waitForFrame((f) => f.type === FrameType.FILE_OFFER);
    expect(parseOffer(flat(offer.payload))).toEqual({ totalBytes: 4 * MIB, entries: 1, name: "big.bin" });
    await peer.send(
      FrameType.FILE_ANSWER,
      offer.id,
      encodeAnswer({ accept: true, resumeFrom: 0, prefixSha256: ZERO_HASH, reason: "" }),
    );
    const entry = await peer.waitForFrame((f) => f.type === FrameType.FILE_ENTRY);
    expect(parseEntry(flat(entry.payload))).toMatchObject({ kind: "file", size: 4 * MIB, path: "big.bin" });
    // Without a FILE_PROGRESS the sender stops at its window (1 MiB at most): the cancel comes mid-way.
    await peer.waitForFrame((f) => f.type === FrameType.FILE_DATA);
    await Bun.sleep(100);
    const data = peer.frames.filter((f) => f.type === FrameType.FILE_DATA);
    expect(data.reduce((n, f) => n + f.payload.length, 0)).toBeLessThan(4 * MIB);
    await peer.send(FrameType.FILE_CANCEL, offer.id, encodeCancel({ side: 1, reason: "no room for it" }));

    expect(await server.finished()).toBe(1);
    expect(await server.waitFor(isEvent("file-cancelled"))).toMatchObject({
      direction: "out",
      name: "big.bin",
      by: "peer",
      declined: false,
      reason: "no room for it",
    });
    expect(server.events.some(isEvent("file-done"))).toBe(false);
  });
});

describe("the receiver's disk", () => {
  test.skipIf(skipBecause(tmpfsUnavailable(), "a transfer onto a full disk"))(
    "fills up during the transfer: 'receiver's disk is full' on both sides, no final file, no part file",
    async () => {
      const { src } = await folders();
      const path = join(src, "big.bin");
      await writeFile(path, randomBytes(3 * MIB));
      await withTmpfs({ bytes: 4 * MIB }, async (downloads) => {
        const server = await receiver(downloads, ["--accept-files"]);
        // A slow link, so that the disk can fill while the transfer runs: the free-space check before
        // accepting saw room enough, and then something else took it (as on a real disk).
        const relay = new RecordingRelay({ host: HOST, port: server.port }, HOST, {
          toServerBytesPerSecond: MIB,
        });
        cleanups.push(() => relay.close());
        const client = sender(relay.port, path);
        await server.waitFor((e) => e.event === "file-progress" && (e.bytes as number) > 0, 20_000);
        const filler = join(downloads, "filler");
        await writeFile(filler, Buffer.alloc(4 * MIB)).catch((error) => {
          if ((error as { code?: string }).code !== "ENOSPC") throw error;
        });

        expect(await client.finished(30_000)).toBe(1);
        const full = { by: expect.any(String), declined: false, reason: "receiver's disk is full" };
        expect(await client.waitFor(isEvent("file-cancelled"))).toMatchObject({ ...full, by: "peer" });
        expect(await server.waitFor(isEvent("file-cancelled"))).toMatchObject({ ...full, by: "you" });
        await expectFolderSettles(downloads, ["filler"]);
        await server.stop();
      });
    },
    60_000,
  );
});

describe("the download folder gone while the server runs", () => {
  test("the next client still gets its session; its file is cancelled with the reason on both sides; once the folder is back, a file arrives", async () => {
    const { src, downloads } = await folders();
    await writeFile(join(src, "note.txt"), "hello\n");
    const server = await receiver(downloads, ["--accept-files"]);
    await rm(downloads, { recursive: true });

    const first = sender(server.port, join(src, "note.txt"));
    expect(await first.finished()).toBe(1);
    await first.waitFor(isEvent("connected")); // the session opened: only the transfer failed
    const reason = "the download folder does not exist (any more)";
    expect(await first.waitFor(isEvent("file-cancelled"))).toMatchObject({ by: "peer", reason });
    expect(await server.waitFor(isEvent("file-cancelled"))).toMatchObject({ by: "you", reason });

    await mkdir(downloads);
    const second = sender(server.port, join(src, "note.txt"));
    expect(await second.finished()).toBe(0);
    expect(await namesIn(downloads)).toEqual(["note.txt"]);
  });
});

describe("a sender killed mid-transfer", () => {
  test("sent again to the same folder: continues from the partial file, and the result is identical", async () => {
    const { src, downloads } = await folders();
    const path = join(src, "movie.bin");
    const size = 24 * MIB + 123;
    await writeFile(path, randomBytes(size));
    // --resume-window 0: the killed sender's session ends at once, and the next sender is a new session.
    const server = await receiver(downloads, ["--accept-files", "--resume-window", "0"]);
    // The first sender goes through a slow link, so that it is surely killed mid-way.
    const slow = new RecordingRelay({ host: HOST, port: server.port }, HOST, {
      toServerBytesPerSecond: 8 * MIB,
    });
    cleanups.push(() => slow.close());
    const first = sender(slow.port, path);
    await server.waitFor((e) => e.event === "file-progress" && (e.bytes as number) >= 4 * MIB, 20_000);
    first.kill("SIGKILL");
    expect(await first.finished()).not.toBe(0);
    await server.waitFor(isEvent("disconnected"), 20_000);
    // The partial stays, under its part name only.
    await expectFolderSettles(downloads, ["movie.bin.121chat-part"]);
    const held = (await lstat(join(downloads, "movie.bin.121chat-part"))).size;
    expect(held).toBeGreaterThanOrEqual(4 * MIB);
    expect(held).toBeLessThan(size);

    // Again, through a relay that counts what crosses.
    const counting = new RecordingRelay({ host: HOST, port: server.port }, HOST);
    cleanups.push(() => counting.close());
    const second = sender(counting.port, path);
    expect(await second.finished(30_000)).toBe(0);
    const sent = await second.waitFor(isEvent("file-done"));
    const got = await server.waitFor(isEvent("file-done"));
    expect(got).toMatchObject({ local_name: "movie.bin", resumed_from: held, bytes: size });
    expect(sent).toMatchObject({ resumed_from: held, bytes: size });
    // Only the rest crossed (plus the framing: 9-byte frame headers and 20-byte records per 64 KiB).
    expect(counting.bytesFromClient).toBeLessThan(size - held + 256 * KIB);
    // The receiver's progress of the second transfer starts at what it held, not at 0.
    const secondOffer = server.events.findLastIndex(isEvent("file-offer"));
    const progress = server.events.slice(secondOffer).filter(isEvent("file-progress"));
    expect(progress.length).toBeGreaterThan(0);
    expect((progress[0] as JsonEvent).bytes as number).toBeGreaterThan(held);
    expect(await sha256File(join(downloads, "movie.bin"))).toBe(await sha256File(path));
    expect(await namesIn(downloads)).toEqual(["movie.bin"]);
  }, 60_000);
});

describe("what the sender leaves out", () => {
  test("a name the receiver would refuse, and a link, are left out with a notice (the name escaped)", async () => {
    const { src, downloads } = await folders();
    const top = join(src, "album");
    await mkdir(top);
    await writeFile(join(top, "ok.txt"), "fine\n");
    // An erase-screen and a red colour in a name: a folder someone handed over may hold anything.
    await writeFile(join(top, "x\x1b[2J\x1b[31mred.txt"), "never sent\n");
    // A link inside the folder is never followed (it points out of the folder here).
    await symlink(src, join(top, "link-out"));
    const server = await receiver(downloads, ["--accept-files"]);
    const client = sender(server.port, top);
    expect(await client.finished()).toBe(0);
    // The notice goes to stderr, which is usually a terminal: escaped there, never the raw bytes.
    expect(client.stderr).toContain(
      "#1: left out album/x\\e[2J\\e[31mred.txt: the receiver refuses its name (a name with a control character)",
    );
    expect(client.stderr).toContain(
      "#1: left out album/link-out: a symbolic link (links are never followed)",
    );
    expect(client.stderr).not.toContain("\x1b");
    expect(await namesIn(join(downloads, "album"))).toEqual(["ok.txt"]);
  });
});

describe("a dropped connection", () => {
  test("mid-transfer: after the resume the transfer just continues, and the result is identical", async () => {
    const { src, downloads } = await folders();
    const path = join(src, "movie.bin");
    const size = 32 * MIB + 5;
    await writeFile(path, randomBytes(size));
    const server = await receiver(downloads, ["--accept-files"]);
    const relay = new CuttingRelay({ host: HOST, port: server.port });
    cleanups.push(() => relay.close());
    const cut: Promise<void>[] = [];
    relay.onLink = (link) => {
      if (link.index === 0)
        cut.push(link.cutAt({ direction: "to-server", afterBytes: 8 * MIB }, { how: "reset" }));
    };
    const client = sender(relay.port, path);
    expect(await client.finished(60_000)).toBe(0);
    await Promise.all(cut);
    expect(relay.links.length).toBeGreaterThanOrEqual(2);
    expect(client.events.some(isEvent("resumed"))).toBe(true);
    // One offer, one question (none here: --accept-files), one transfer: it continued where the receiver was.
    expect(server.events.filter(isEvent("file-offer"))).toHaveLength(1);
    const got = await server.waitFor(isEvent("file-done"));
    expect(got).toMatchObject({ local_name: "movie.bin", bytes: size });
    expect(got.resumed_from as number).toBeGreaterThan(0);
    expect(got.resumed_from as number).toBeLessThan(size);
    expect(await client.waitFor(isEvent("file-done"))).toMatchObject({ resumed_from: got.resumed_from });
    // No byte of the file crossed twice: after the resume, only the rest (and the framing) went over.
    const after = relay.links.slice(1).reduce((sum, link) => sum + link.forwarded["to-server"], 0);
    expect(after).toBeLessThan(size - (got.resumed_from as number) + 256 * KIB);
    expect(await sha256File(join(downloads, "movie.bin"))).toBe(await sha256File(path));
    expect(await namesIn(downloads)).toEqual(["movie.bin"]);
  }, 90_000);
});
