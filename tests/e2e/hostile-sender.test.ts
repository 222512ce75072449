import { afterEach, expect, setDefaultTimeout, test } from "bun:test";
import { createHash } from "node:crypto";
import { mkdir, mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { flat } from "../../src/protocol/bytes.ts";
import { FrameType } from "../../src/protocol/constants.ts";
import type { Frame } from "../../src/protocol/decoder.ts";
import { encodeEntry, encodeOffer, parseAnswer, parseCancel } from "../../src/transfer/frames.ts";
import { expectFolderSettles } from "../helpers/folders.ts";
import { decodeText, utf8 } from "../helpers/frames.ts";
import { type JsonEvent, JsonProgram, TEST_CODE } from "../helpers/program.ts";
import { SecurePeer } from "../helpers/secure-peer.ts";

/**
 * A hostile sender (issue 11): a SecurePeer in the test process speaks version 2 to a real
 * `121chat server --json --accept-files --download-dir DIR` and sends files that break the receiver's rules.
 * Each time the program answers FILE_CANCEL (side 1) with a clear reason and says `file-cancelled`, nothing
 * stays in the download folder under a final name (nor as a part file), and the chat session survives: a
 * MSG after it is delivered and acknowledged. A FILE_* frame about a transfer never offered is a protocol
 * error: ERROR, and the session ends.
 */

setDefaultTimeout(30_000);

const HOST = "127.0.0.1";

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const sha256 = (bytes: Uint8Array) => new Uint8Array(createHash("sha256").update(bytes).digest());
const entry = (path: string, size: number, kind: "file" | "folder" = "file") =>
  encodeEntry({ kind, mode: 0o644, size, offset: 0, path });

/** A receiving server with its own download folder, and a hostile sender whose session with it is open. */
async function hostileSession(): Promise<{ server: JsonProgram; peer: SecurePeer; downloads: string }> {
  const base = await mkdtemp(join(tmpdir(), "121chat-hostile-sender-"));
  cleanups.push(() => rm(base, { recursive: true, force: true }));
  const downloads = join(base, "downloads");
  await mkdir(downloads);
  const server = await JsonProgram.server(["--host", HOST, "--accept-files", "--download-dir", downloads]);
  cleanups.push(() => server.stop());
  const peer = await SecurePeer.open(HOST, server.port, TEST_CODE);
  cleanups.push(() => peer.destroy());
  await peer.waitForFrame((f) => f.type === FrameType.SESSION);
  await server.waitFor((e) => e.event === "connected");
  return { server, peer, downloads };
}

/** Offers transfer 1 and waits for the program's FILE_ANSWER, which must accept from 0. */
async function offer(peer: SecurePeer, name: string, totalBytes: number, entries: number): Promise<void> {
  await peer.send(FrameType.FILE_OFFER, 1, encodeOffer({ totalBytes, entries, name }));
  const answer = parseAnswer(
    flat((await peer.waitForFrame((f) => f.type === FrameType.FILE_ANSWER)).payload),
  );
  expect(answer).toMatchObject({ accept: true, resumeFrom: 0 });
}

/**
 * The program cancelled transfer 1 with a reason matching `reason`, on the wire and in its events, and the
 * session goes on: a message after it is delivered and acknowledged.
 */
async function expectCancelledAndChatGoesOn(
  server: JsonProgram,
  peer: SecurePeer,
  reason: RegExp,
): Promise<void> {
  const cancel = await peer.waitForFrame((f) => f.type === FrameType.FILE_CANCEL);
  expect(cancel.id).toBe(1);
  expect(parseCancel(flat(cancel.payload))).toEqual({ side: 1, reason: expect.stringMatching(reason) });
  const event = await server.waitFor((e) => e.event === "file-cancelled");
  expect(event).toMatchObject({
    id: 1,
    direction: "in",
    by: "you",
    declined: false,
    reason: expect.stringMatching(reason),
  });
  await peer.sendMessage(1, "still there?");
  await peer.waitForFrame((f) => f.type === FrameType.ACK && f.id === 1);
  expect(await server.waitFor((e) => e.event === "message")).toMatchObject({ id: 1, text: "still there?" });
  expect(peer.frames.some((f) => f.type === FrameType.ERROR)).toBe(false);
  expect(server.events.some((e) => e.event === "disconnected")).toBe(false);
}

test("data beyond an entry's announced size: cancelled, nothing kept, the chat goes on", async () => {
  const { server, peer, downloads } = await hostileSession();
  await offer(peer, "f.txt", 100, 1);
  await peer.send(FrameType.FILE_ENTRY, 1, entry("f.txt", 4));
  await peer.send(FrameType.FILE_DATA, 1, utf8("1234"));
  await peer.send(FrameType.FILE_DATA, 1, utf8("5678"));
  await expectCancelledAndChatGoesOn(server, peer, /^more data than the 4 bytes f\.txt announced$/);
  await expectFolderSettles(downloads, []);
});

test("an entry larger than the whole offer: cancelled before anything is written", async () => {
  const { server, peer, downloads } = await hostileSession();
  await offer(peer, "f.txt", 4, 1);
  await peer.send(FrameType.FILE_ENTRY, 1, entry("f.txt", 5));
  await peer.send(FrameType.FILE_DATA, 1, utf8("12345"));
  await expectCancelledAndChatGoesOn(server, peer, /^more than the 4 bytes offered$/);
  await expectFolderSettles(downloads, []);
});

test("data without an entry: cancelled, the chat goes on", async () => {
  const { server, peer, downloads } = await hostileSession();
  await offer(peer, "f.txt", 4, 1);
  await peer.send(FrameType.FILE_DATA, 1, utf8("1234"));
  await expectCancelledAndChatGoesOn(server, peer, /^data without an entry$/);
  await expectFolderSettles(downloads, []);
});

test("a wrong FILE_SUM: cancelled; the file gets neither its final name nor stays as a part file", async () => {
  const { server, peer, downloads } = await hostileSession();
  await offer(peer, "f.txt", 4, 1);
  await peer.send(FrameType.FILE_ENTRY, 1, entry("f.txt", 4));
  await peer.send(FrameType.FILE_DATA, 1, utf8("1234"));
  await peer.send(FrameType.FILE_SUM, 1, sha256(utf8("1235")));
  await expectCancelledAndChatGoesOn(server, peer, /^f\.txt does not match its SHA-256/);
  await expectFolderSettles(downloads, []);
});

test("entries adding up to more than the offer: cancelled; the file verified before stays, whole", async () => {
  const { server, peer, downloads } = await hostileSession();
  await offer(peer, "d", 10, 3);
  await peer.send(FrameType.FILE_ENTRY, 1, entry("d", 0, "folder"));
  await peer.send(FrameType.FILE_ENTRY, 1, entry("d/a", 8));
  await peer.send(FrameType.FILE_DATA, 1, utf8("12345678"));
  await peer.send(FrameType.FILE_SUM, 1, sha256(utf8("12345678")));
  await peer.send(FrameType.FILE_ENTRY, 1, entry("d/b", 8));
  await peer.send(FrameType.FILE_DATA, 1, utf8("abcdefgh"));
  await expectCancelledAndChatGoesOn(server, peer, /^more than the 10 bytes offered$/);
  // The spec: entries already verified stay (whole and checked); the failing one is nowhere.
  await expectFolderSettles(downloads, ["d", "d/a"]);
  expect(await Bun.file(join(downloads, "d/a")).text()).toBe("12345678");
});

test("a path out of the download folder: cancelled, nothing made outside it", async () => {
  const { server, peer, downloads } = await hostileSession();
  await offer(peer, "d", 1, 2);
  await peer.send(FrameType.FILE_ENTRY, 1, entry("d", 0, "folder"));
  await peer.send(FrameType.FILE_ENTRY, 1, entry("d/../../escaped", 1));
  await peer.send(FrameType.FILE_DATA, 1, utf8("x"));
  await expectCancelledAndChatGoesOn(server, peer, /^a refused path: the name "\.\."$/);
  await expectFolderSettles(downloads, ["d"]);
  expect(await readdir(join(downloads, ".."))).toEqual(["downloads"]);
});

test("a FILE_* frame about a transfer never offered is a protocol error: ERROR, and the session ends", async () => {
  const { server, peer } = await hostileSession();
  await peer.send(FrameType.FILE_DATA, 7, utf8("hello"));
  const error: Frame = await peer.waitForFrame((f) => f.type === FrameType.ERROR);
  expect(decodeText(error.payload)).toMatch(/FILE_DATA for transfer 7, which was never offered/);
  await peer.waitForClose();
  const ended: JsonEvent = await server.waitFor((e) => e.event === "disconnected");
  expect(ended).toMatchObject({ kind: "protocol-error" });
  expect(String(ended.reason)).toMatch(/FILE_DATA for transfer 7/);
});
