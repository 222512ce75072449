import { afterEach, expect, setDefaultTimeout, test } from "bun:test";
import { flat } from "../../src/protocol/bytes.ts";
import { DEFAULT_MAX_MESSAGE, FrameType, HEADER_SIZE } from "../../src/protocol/constants.ts";
import type { Frame } from "../../src/protocol/decoder.ts";
import { VERSION_MISMATCH } from "../../src/protocol/hello.ts";
import { exitOf } from "../helpers/bounded.ts";
import { expectClientChats } from "../helpers/chat.ts";
import { RAW_PEER_PROGRAM_ARGS, RawPeer } from "../helpers/frame-peer.ts";
import { decodeText, frameBytes, helloFrame, rawFrame, utf8 } from "../helpers/frames.ts";
import { JsonProgram } from "../helpers/program.ts";

/**
 * Version 1 (--no-encryption) against hostile raw peers: a RawPeer speaks version-1 frames in the clear, so
 * the server and every client here run with RAW_PEER_PROGRAM_ARGS. Version 2's hostile peers are in
 * hostile-peers-v2.test.ts.
 */

// bunfig's [test] timeout is not applied by this Bun (every file gets 5 s unless it says otherwise); these
// tests start processes and have their own, tighter bounds inside, so a hang fails there and cleans up.
setDefaultTimeout(30_000);

const frameText = (frame: Frame) => decodeText(frame.payload);
const msgFrame = (id: number, text: string) => frameBytes(FrameType.MSG, id, utf8(text));
const validHello = () => helloFrame(DEFAULT_MAX_MESSAGE);

/** What each test started; afterEach cleans up even when the test failed. */
let server: (JsonProgram & { port: number }) | null = null;
const peers: RawPeer[] = [];

afterEach(async () => {
  for (const peer of peers.splice(0)) peer.destroy();
  await server?.stop();
  server = null;
});

async function startServer(args: string[] = []): Promise<JsonProgram & { port: number }> {
  server = await JsonProgram.server(["--host", "127.0.0.1", ...args, ...RAW_PEER_PROGRAM_ARGS]);
  return server;
}

/** A version-1 client chats with the server: it still serves. */
const expectServing = (port: number) =>
  expectClientChats(server as JsonProgram, `127.0.0.1:${port}`, { args: RAW_PEER_PROGRAM_ARGS });

async function rawPeer(port: number): Promise<RawPeer> {
  const peer = await RawPeer.connect("127.0.0.1", port);
  peers.push(peer);
  return peer;
}

/** The peer got exactly one frame, an ERROR whose text matches, and the connection was closed. */
async function expectRefused(peer: RawPeer, text: RegExp | string): Promise<void> {
  const error = await peer.waitForFrame((f) => f.type === FrameType.ERROR);
  expect(frameText(error)).toEqual(typeof text === "string" ? text : expect.stringMatching(text));
  await peer.waitForClose();
  expect(peer.frames.map((f) => f.type)).toEqual([FrameType.ERROR]);
  expect(peer.received).toBe(HEADER_SIZE + error.payload.length); // nothing else, not even a stray byte
}

test("an HTTP request gets an ERROR frame and a close, and the server keeps serving", async () => {
  const { port } = await startServer();
  const peer = await rawPeer(port);
  await peer.write(utf8("GET / HTTP/1.1\r\n\r\n"));
  // One frame back: a 9-byte header of type 0x08 (ERROR), id 0, and its text; then the close.
  await expectRefused(peer, /unknown frame type 0x47/);
  expect((peer.frames[0] as Frame).type).toBe(0x08);
  expect((peer.frames[0] as Frame).id).toBe(0);

  await expectServing(port);
  expect(server?.events.filter((e) => e.event === "connected")).toHaveLength(1);
});

test("a frame before HELLO is refused with ERROR and a close", async () => {
  const { port } = await startServer();
  const peer = await rawPeer(port);
  await peer.write(msgFrame(1, "hello?"));
  await expectRefused(peer, /MSG before HELLO/);
  await expectServing(port);
});

test("a HELLO with the wrong magic is refused with ERROR and a close", async () => {
  const { port } = await startServer();
  const peer = await rawPeer(port);
  await peer.write(helloFrame(DEFAULT_MAX_MESSAGE, { magic: new Uint8Array(utf8("120chat")) }));
  await expectRefused(peer, /unsupported protocol/);
  await expectServing(port);
});

test("a HELLO for an unknown protocol version is refused with the contract's ERROR text", async () => {
  const { port } = await startServer();
  const peer = await rawPeer(port);
  await peer.write(helloFrame(DEFAULT_MAX_MESSAGE, { version: 3 }));
  await expectRefused(peer, "unsupported protocol version 3, this side speaks 1");
  await expectServing(port);
});

test("a HELLO for protocol version 2 is refused with the error that names --no-encryption", async () => {
  const { port } = await startServer();
  const peer = await rawPeer(port);
  await peer.write(helloFrame(DEFAULT_MAX_MESSAGE, { version: 2 }));
  await expectRefused(peer, VERSION_MISMATCH);
  expect(VERSION_MISMATCH).toContain("--no-encryption");
  await expectServing(port);
});

test("a MSG header longer than --max-message-size is refused before any payload is sent", async () => {
  const { port } = await startServer(["--max-message-size", "1k"]);
  const peer = await rawPeer(port);
  await peer.write(validHello());
  const hello = await peer.waitForFrame((f) => f.type === FrameType.HELLO);
  // The server advertises its limit in its HELLO: magic (7), version (1), max_message (4).
  const helloPayload = flat(hello.payload);
  expect(new DataView(helloPayload.buffer, helloPayload.byteOffset).getUint32(8)).toBe(1024);

  await peer.write(rawFrame(FrameType.MSG, 1, 1025)); // the header alone; not one payload byte follows
  const error = await peer.waitForFrame((f) => f.type === FrameType.ERROR);
  expect(frameText(error)).toMatch(/1025.*1024/);
  await peer.waitForClose();
  expect(peer.frames.map((f) => f.type)).toEqual([FrameType.HELLO, FrameType.ERROR]);

  // The hostile peer had the session; its end frees the slot for a real client.
  await server?.waitFor((e) => e.event === "disconnected");
  await expectServing(port);
});

test("silent and half-sent connections do not block a real client (the slot is claimed on HELLO)", async () => {
  const { port } = await startServer();
  const silent = await rawPeer(port);
  const halfHeader = await rawPeer(port);
  await halfHeader.write(validHello().subarray(0, 5));
  const halfHello = await rawPeer(port);
  await halfHello.write(validHello().subarray(0, HEADER_SIZE + 3));

  await expectServing(port);
  // None of them was answered: no HELLO, no BUSY, and they are still waiting (the handshake timeout is 10 s).
  for (const peer of [silent, halfHeader, halfHello]) {
    expect(peer.received).toBe(0);
    expect(peer.closedWith).toBeNull();
  }
});

test("a raw peer that completes the handshake can chat, and its MSG is acknowledged", async () => {
  const { port } = await startServer();
  const peer = await rawPeer(port);
  await peer.write(validHello());
  await peer.waitForFrame((f) => f.type === FrameType.HELLO);
  await peer.write(msgFrame(1, "by hand"));
  const ack = await peer.waitForFrame((f) => f.type === FrameType.ACK);
  expect(ack.id).toBe(1);
  expect(ack.payload.length).toBe(0);
  expect(await server?.waitFor((e) => e.event === "message")).toMatchObject({ id: 1, text: "by hand" });

  // Meanwhile a real client is busy-refused: the slot is this peer's.
  const late = new JsonProgram(["client", `127.0.0.1:${port}`, ...RAW_PEER_PROGRAM_ARGS]);
  try {
    expect(await exitOf(late)).toBe(1);
  } finally {
    await late.stop();
  }
  await peer.write(msgFrame(2, "still mine"));
  expect((await peer.waitForFrame((f) => f.type === FrameType.ACK && f.id === 2)).id).toBe(2);
});
