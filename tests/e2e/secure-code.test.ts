import { afterEach, expect, setDefaultTimeout, test } from "bun:test";
import { FrameType } from "../../src/protocol/constants.ts";
import { exitOf } from "../helpers/bounded.ts";
import { expectClientChats } from "../helpers/chat.ts";
import { codeChanges, currentCode, NO_CODE, otherCode } from "../helpers/codes.ts";
import { RAW_PEER_PROGRAM_ARGS } from "../helpers/frame-peer.ts";
import { decodeText } from "../helpers/frames.ts";
import { PipeProgram } from "../helpers/pipe-program.ts";
import { type JsonEvent, JsonProgram, TEST_CODE } from "../helpers/program.ts";
import { SecurePeer } from "../helpers/secure-peer.ts";
import { waitUntil } from "../helpers/wait.ts";

/**
 * Version 2's code, end to end with real processes on loopback (issue 8; protocol-v2 sections 1 and 6):
 * the session is encrypted and says so, a wrong code or an answered handshake left unconfirmed is a failed
 * try (reported with the address; a generated code is replaced at once), the next handshake waits a second
 * after a failure, a generated code opens one session, and version 1 and 2 refuse each other clearly.
 */

// bunfig's [test] timeout is not applied by this Bun (every file gets 5 s unless it says otherwise); these
// tests start processes and have their own, tighter bounds inside, so a hang fails there and cleans up.
setDefaultTimeout(30_000);

const HOST = "127.0.0.1";
const ADDRESS = /^127\.0\.0\.1:\d+$/;

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function server(args: string[] = [], env: Record<string, string> = {}) {
  const program = await JsonProgram.server(["--host", HOST, ...args], env);
  cleanups.push(() => program.stop());
  return program;
}

function client(port: number, args: string[] = [], env: Record<string, string> = {}): JsonProgram {
  const program = new JsonProgram(["client", `${HOST}:${port}`, ...args], env);
  cleanups.push(() => program.stop());
  return program;
}

async function securePeer(port: number): Promise<SecurePeer> {
  const peer = await SecurePeer.connect(HOST, port);
  cleanups.push(() => peer.destroy());
  return peer;
}

test("with the code from CHAT121_CODE on both sides, the JSON session is encrypted and both sides say so", async () => {
  const srv = await server();
  expect((srv.events[0] as { code?: unknown }).code).toBe(TEST_CODE); // a given code is shown as given
  const cli = client(srv.port);
  const clientSide = await cli.waitFor((e) => e.event === "connected");
  const serverSide = await srv.waitFor((e) => e.event === "connected");
  expect(clientSide).toEqual({ event: "connected", peer: `${HOST}:${srv.port}`, encrypted: true });
  expect(serverSide).toMatchObject({ event: "connected", encrypted: true });
  cli.write("over the secure channel\n");
  await cli.waitFor((e) => e.event === "ack" && e.id === 1);
  await srv.waitFor((e) => e.event === "message" && e.text === "over the secure channel");
  // A given code stays: the session opened with it changed nothing.
  expect(codeChanges(srv)).toEqual([]);
  cli.endInput();
  expect(await exitOf(cli)).toBe(0);
});

test("pipe mode: both sides say the session is end-to-end encrypted, and the lines arrive", async () => {
  const srv = await PipeProgram.server(["--host", HOST]);
  cleanups.push(() => srv.stop());
  const cli = new PipeProgram(["client", `${HOST}:${srv.port}`]);
  cleanups.push(() => cli.stop());
  cli.write("piped and sealed\n");
  cli.endInput();
  expect(await cli.finished()).toBe(0);
  expect(cli.stderr).toMatch(/connected to 127\.0\.0\.1:\d+ \(end-to-end encrypted\)/);
  await srv.waitForStderr(/connected to 127\.0\.0\.1:\d+ \(end-to-end encrypted\)/);
  expect(decodeText(await srv.waitForStdout(17))).toBe("piped and sealed\n");
});

test("pipe mode, a wrong code: the client says so in one line and sums up no session that never was", async () => {
  const srv = await PipeProgram.server(["--host", HOST]);
  cleanups.push(() => srv.stop());
  const wrong = new PipeProgram(["client", `${HOST}:${srv.port}`], { CHAT121_CODE: otherCode(TEST_CODE) });
  cleanups.push(() => wrong.stop());
  wrong.endInput();
  expect(await wrong.finished()).toBe(1);
  expect(wrong.stderr.trimEnd().split("\n")).toEqual([
    "121chat: disconnected: the code did not match: the server has replaced it with a new one (unless its code is fixed); check the server's screen and try again",
  ]);
});

test("a wrong code against a generated one: the client exits 1 with code-mismatch; the server reports the address, shows a new code and keeps serving", async () => {
  const srv = await server([], NO_CODE);
  const first = currentCode(srv);
  const wrong = client(srv.port, [], { CHAT121_CODE: otherCode(first) });
  expect(await exitOf(wrong)).toBe(1);

  const ended = await wrong.waitFor((e) => e.event === "disconnected");
  expect(ended.kind).toBe("code-mismatch");
  expect(String(ended.reason)).toContain("the code did not match");
  expect(String(ended.reason)).toContain("the server has replaced it with a new one");
  expect(wrong.events.some((e) => e.event === "connected")).toBe(false);

  const failed = await srv.waitFor((e) => e.event === "code-failed");
  expect(failed).toEqual({ event: "code-failed", peer: expect.stringMatching(ADDRESS) });
  const [changed] = await srv.waitForCount((e) => e.event === "code", 1);
  expect(srv.events.indexOf(failed)).toBeLessThan(srv.events.indexOf(changed as JsonEvent));
  const second = currentCode(srv);
  expect(second).not.toBe(first);
  expect(srv.events.some((e) => e.event === "connected")).toBe(false);

  // The new code opens a session (after the second's cool-down); the old one never will again.
  await expectClientChats(srv, `${HOST}:${srv.port}`, { env: { CHAT121_CODE: second } });
  const stale = await securePeer(srv.port);
  await stale.sendHello({ mode: 0, code: first });
  await stale.waitForServerHello();
  await stale.closed;
  expect(stale.failure?.kind).toBe("code-mismatch");
});

test("a wrong code against a given one: the failed try is reported, and the code stays", async () => {
  const srv = await server(); // CHAT121_CODE = TEST_CODE
  const wrong = client(srv.port, [], { CHAT121_CODE: otherCode(TEST_CODE) });
  expect(await exitOf(wrong)).toBe(1);
  expect((await wrong.waitFor((e) => e.event === "disconnected")).kind).toBe("code-mismatch");
  expect(await srv.waitFor((e) => e.event === "code-failed")).toMatchObject({
    peer: expect.stringMatching(ADDRESS),
  });

  await expectClientChats(srv, `${HOST}:${srv.port}`);
  expect(codeChanges(srv)).toEqual([]);
});

test("a client that gets the server's HELLO and closes without CONFIRM is a failed try: the code rotates", async () => {
  const srv = await server([], NO_CODE);
  const first = currentCode(srv);
  const peer = await securePeer(srv.port);
  // The right code, even: what counts is that the answered handshake was never confirmed.
  await peer.sendHello({ mode: 0, code: first }, "stop");
  await peer.waitForServerHello();
  peer.end();

  const failed = await srv.waitFor((e) => e.event === "code-failed");
  expect(failed.peer).toBe(`${HOST}:${peer.localPort}`);
  await srv.waitForCount((e) => e.event === "code", 1);
  const second = currentCode(srv);
  expect(second).not.toBe(first);
  await expectClientChats(srv, `${HOST}:${srv.port}`, { env: { CHAT121_CODE: second } });
});

test("after a failed try, the next handshake is answered no sooner than a second later", async () => {
  const srv = await server();
  const stalled = await securePeer(srv.port);
  await stalled.sendHello({ mode: 0, code: TEST_CODE }, "stop");
  await stalled.waitForServerHello();
  // The next one waits its turn while the first is answered.
  const next = await securePeer(srv.port);
  await next.sendHello({ mode: 0, code: TEST_CODE });
  await Bun.sleep(200);
  expect(next.plainFrames).toEqual([]);

  const failedAt = performance.now();
  stalled.destroy(); // the answered handshake fails: its connection is gone without CONFIRM
  const hello = await next.waitForServerHello();
  const waitedMs = hello.at - failedAt;
  console.log(`the next HELLO was answered ${waitedMs.toFixed(0)} ms after the failed try`);
  // A protocol rule, not a performance bound: at least the cool-down (the server saw the failure after us).
  expect(waitedMs).toBeGreaterThanOrEqual(990);
  expect(waitedMs).toBeLessThan(5000); // and then it is answered, not forgotten
  await next.waitUp();
  expect((await next.waitForFrame(() => true)).type).toBe(FrameType.SESSION);
  await srv.waitFor((e) => e.event === "code-failed");
});

test("a generated code opens one session; a right code answered with BUSY changes nothing", async () => {
  const srv = await server([], NO_CODE);
  const first = currentCode(srv);
  const holder = client(srv.port, [], { CHAT121_CODE: first });
  await holder.waitFor((e) => e.event === "connected");
  // The session opened with it: the next client gets the next code, shown when the session opens.
  await srv.waitForCount((e) => e.event === "code", 1);
  const second = currentCode(srv);
  expect(second).not.toBe(first);
  const connectedAt = srv.events.findIndex((e) => e.event === "connected");
  const changedAt = srv.events.findIndex((e) => e.event === "code");
  expect(connectedAt).toBeLessThan(changedAt);

  // The right (new) code while the slot is taken: BUSY, inside the channel. It opened nothing, so it stays.
  const busy = client(srv.port, [], { CHAT121_CODE: second });
  expect(await exitOf(busy)).toBe(1);
  const refused = await busy.waitFor((e) => e.event === "disconnected");
  expect(refused.kind).toBe("busy");
  await waitUntil(() => srv.stderr.includes("refused"), "the server reports the busy refusal");
  expect(srv.events.some((e) => e.event === "code-failed")).toBe(false);
  expect(codeChanges(srv)).toHaveLength(1);

  holder.endInput();
  expect(await exitOf(holder)).toBe(0);
  await srv.waitFor((e) => e.event === "disconnected");
  // The code that got BUSY now opens a session, and is then replaced in turn.
  await expectClientChats(srv, `${HOST}:${srv.port}`, { env: { CHAT121_CODE: second } });
  await srv.waitForCount((e) => e.event === "code", 2);
  expect(currentCode(srv)).not.toBe(second);
  // And the first code, used, opens nothing any more.
  const reuse = client(srv.port, [], { CHAT121_CODE: first });
  expect(await exitOf(reuse)).toBe(1);
  expect((await reuse.waitFor((e) => e.event === "disconnected")).kind).toBe("code-mismatch");
});

/** Both sides name the flag, the client exits 1, and no session was opened on either side. */
async function expectVersionMismatch(srv: JsonProgram, cli: JsonProgram): Promise<void> {
  expect(await exitOf(cli)).toBe(1);
  const ended = await cli.waitFor((e) => e.event === "disconnected");
  expect(String(ended.reason)).toContain("--no-encryption");
  expect((await cli.waitFor((e) => e.event === "error")).message).toContain("--no-encryption");
  await waitUntil(() => srv.stderr.includes("--no-encryption"), "the server names --no-encryption");
  expect(srv.stderr).toMatch(/refused 127\.0\.0\.1:\d+: protocol version mismatch/);
  for (const side of [srv, cli]) expect(side.events.some((e) => e.event === "connected")).toBe(false);
}

test("a version-2 client meets a version-1 server: both name --no-encryption, neither falls back", async () => {
  const srv = await server([...RAW_PEER_PROGRAM_ARGS]);
  const cli = client(srv.port);
  await expectVersionMismatch(srv, cli);
  // The version-1 server goes on serving version-1 clients.
  await expectClientChats(srv, `${HOST}:${srv.port}`, { args: RAW_PEER_PROGRAM_ARGS });
});

test("a version-1 client meets a version-2 server: both name --no-encryption, neither falls back", async () => {
  const srv = await server([], NO_CODE);
  const first = currentCode(srv);
  const cli = client(srv.port, [...RAW_PEER_PROGRAM_ARGS]);
  await expectVersionMismatch(srv, cli);
  // Refused before any answer: not a try of the code, which stays.
  expect(srv.events.some((e) => e.event === "code-failed")).toBe(false);
  expect(codeChanges(srv)).toEqual([]);
  await expectClientChats(srv, `${HOST}:${srv.port}`, { env: { CHAT121_CODE: first } });
});
