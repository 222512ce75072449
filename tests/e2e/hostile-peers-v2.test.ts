import { afterEach, expect, setDefaultTimeout, test } from "bun:test";
import { randomBytes } from "node:crypto";
import { DEFAULT_MAX_MESSAGE, FrameType, HEADER_SIZE } from "../../src/protocol/constants.ts";
import { encodeFrame } from "../../src/protocol/encoder.ts";
import { encodeHello, VERSION_MISMATCH } from "../../src/protocol/hello.ts";
import { encodeClientHello } from "../../src/secure/hello.ts";
import { expectClientChats } from "../helpers/chat.ts";
import { codeChanges, currentCode, NO_CODE } from "../helpers/codes.ts";
import { decodeText, utf8 } from "../helpers/frames.ts";
import { JsonProgram } from "../helpers/program.ts";
import { SecurePeer } from "../helpers/secure-peer.ts";

/**
 * Version 2 against hostile peers (SecurePeer, in the test process): whatever arrives before or instead of
 * a proper handshake is answered with one plaintext ERROR and a close, and a record that fails its check
 * after the handshake is dropped without a word. Refusals before the server answered a HELLO are not
 * tries of the code: a generated code stays. And the server keeps serving: a real client then chats.
 */

setDefaultTimeout(30_000);

const HOST = "127.0.0.1";

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function server(args: string[] = []): Promise<JsonProgram & { port: number }> {
  const program = await JsonProgram.server(["--host", HOST, ...args], NO_CODE);
  cleanups.push(() => program.stop());
  return program;
}

async function peer(port: number): Promise<SecurePeer> {
  const secure = await SecurePeer.connect(HOST, port);
  cleanups.push(() => secure.destroy());
  return secure;
}

/** A client HELLO payload (mode 0 unless said), with any share. */
function clientHello(share: Uint8Array, mode: 0 | 1 = 0): Uint8Array {
  const payload = encodeClientHello({
    maxMessage: DEFAULT_MAX_MESSAGE,
    mode,
    sid: randomBytes(16),
    resumeTag: new Uint8Array(16),
    share,
  });
  return encodeFrame(FrameType.HELLO, 0, payload);
}

/** The peer got exactly one frame, a plaintext ERROR with `text`, and then the close. */
async function expectRefused(secure: SecurePeer, text: string | RegExp): Promise<void> {
  const error = await secure.waitForPlainFrame((f) => f.type === FrameType.ERROR);
  expect(decodeText(error.payload)).toEqual(typeof text === "string" ? text : expect.stringMatching(text));
  await secure.waitForClose();
  expect(secure.plainFrames.map((f) => f.type)).toEqual([FrameType.ERROR]);
  expect(secure.received).toBe(HEADER_SIZE + error.payload.length);
}

/** Not a try of the code (the server never answered), and a real client with the same code chats. */
async function expectCodeStaysAndServing(srv: JsonProgram & { port: number }, code: string): Promise<void> {
  await expectClientChats(srv, `${HOST}:${srv.port}`, { env: { CHAT121_CODE: code } });
  expect(srv.events.some((e) => e.event === "code-failed")).toBe(false);
  // The one change: after the real client's session opened with it.
  expect(codeChanges(srv)).toHaveLength(1);
}

const REFUSED: { name: string; bytes: () => Uint8Array; error: string | RegExp }[] = [
  {
    name: "garbage (an HTTP request) before the handshake",
    bytes: () => utf8("GET / HTTP/1.1\r\nHost: chat\r\n\r\n"),
    error: "unexpected 0x47 in the handshake: expected HELLO",
  },
  {
    name: "a MSG before the handshake",
    bytes: () => encodeFrame(FrameType.MSG, 1, utf8("hello?")),
    error: "unexpected MSG in the handshake: expected HELLO",
  },
  {
    name: "a version-1 HELLO",
    bytes: () => encodeFrame(FrameType.HELLO, 0, encodeHello(DEFAULT_MAX_MESSAGE)),
    error: VERSION_MISMATCH,
  },
  {
    name: "a HELLO cut short (40 bytes)",
    bytes: () =>
      encodeFrame(FrameType.HELLO, 0, clientHello(randomBytes(32)).subarray(HEADER_SIZE, HEADER_SIZE + 40)),
    error: "malformed client HELLO: 40 bytes, expected at least 78",
  },
  {
    name: "a HELLO whose share does not decode (32 bytes of 0xff)",
    bytes: () => clientHello(new Uint8Array(32).fill(0xff)),
    error: "the client's share is not a valid group element",
  },
  {
    name: "a HELLO whose share is the identity (32 zero bytes)",
    bytes: () => clientHello(new Uint8Array(32)),
    error: "the client's share is not a valid group element",
  },
];

for (const { name, bytes, error } of REFUSED) {
  test(`${name}: one ERROR and a close; the code stays, and the server keeps serving`, async () => {
    const srv = await server();
    const code = currentCode(srv);
    const hostile = await peer(srv.port);
    await hostile.write(bytes());
    await expectRefused(hostile, error);
    await expectCodeStaysAndServing(srv, code);
  });
}

test("a mode-1 HELLO whose resume_tag fits no session gets ERROR 'no such session to resume'", async () => {
  const srv = await server();
  const code = currentCode(srv);
  const hostile = await peer(srv.port);
  await hostile.sendHello({ mode: 1, resumeSecret: randomBytes(32) });
  await expectRefused(hostile, "no such session to resume");
  expect(hostile.failure).toMatchObject({ kind: "peer-error", reason: "no such session to resume" });
  await expectCodeStaysAndServing(srv, code);
});

test("a mode-1 HELLO that fits no session, during a live one, is refused and leaves that session alone", async () => {
  const srv = await server();
  const client = new JsonProgram(["client", `${HOST}:${srv.port}`], { CHAT121_CODE: currentCode(srv) });
  cleanups.push(() => client.stop());
  await client.waitFor((e) => e.event === "connected");

  const hostile = await peer(srv.port);
  await hostile.sendHello({ mode: 1, resumeSecret: randomBytes(32) });
  await expectRefused(hostile, "no such session to resume");

  client.write("still here\n");
  await client.waitFor((e) => e.event === "ack" && e.id === 1);
  await srv.waitFor((e) => e.event === "message" && e.text === "still here");
  expect(srv.events.some((e) => e.event === "connection-lost" || e.event === "disconnected")).toBe(false);
  client.endInput();
  expect(await client.finished()).toBe(0);
});

test("a corrupted record after the handshake: dropped without ERROR, nothing delivered, and the server keeps serving", async () => {
  // Resume off: the session ends with its connection (with resume on, the server would hold it for its
  // client to come back, and the next client would get BUSY: the resume tests' subject).
  const srv = await server(["--resume-window", "0"]);
  const hostile = await SecurePeer.open(HOST, srv.port, currentCode(srv));
  cleanups.push(() => hostile.destroy());
  await hostile.waitForFrame((f) => f.type === FrameType.SESSION);
  await srv.waitFor((e) => e.event === "connected");
  const receivedBefore = hostile.received;

  const record = hostile.seal(encodeFrame(FrameType.MSG, 1, utf8("tampered with on the way")));
  const at = record.length - 20; // a byte of the ciphertext
  record[at] = (record[at] as number) ^ 0x01;
  await hostile.write(record);

  await hostile.waitForClose();
  expect(hostile.received).toBe(receivedBefore); // no ERROR, nor anything else
  const ended = await srv.waitFor((e) => e.event === "disconnected");
  expect(ended.kind).toBe("integrity");
  expect(String(ended.reason)).toContain("integrity check failed");
  expect(srv.events.some((e) => e.event === "message")).toBe(false);
  await expectClientChats(srv, `${HOST}:${srv.port}`, { env: { CHAT121_CODE: currentCode(srv) } });
});
