import { afterEach, expect, test } from "bun:test";
import { flat } from "../../src/protocol/bytes.ts";
import { FrameType } from "../../src/protocol/constants.ts";
import { encodeFrame } from "../../src/protocol/encoder.ts";
import { expectClientChats } from "../helpers/chat.ts";
import { RAW_PEER_PROGRAM_ARGS, RawPeer, RawServer } from "../helpers/frame-peer.ts";
import { JsonProgram, runProgram, TEST_CODE } from "../helpers/program.ts";
import { SecurePeer } from "../helpers/secure-peer.ts";

/**
 * Keepalive with the clocks shortened by --ping-interval and --dead-after: a peer that stops answering is
 * declared dead (on the server, the slot is freed for the next client). The safety bounds below are far
 * under the defaults (15 s / 45 s), so these tests also prove the options reach the session.
 *
 * RawPeer and RawServer speak version 1, so the programs they talk to run with --no-encryption (a version-1
 * session ends when its peer is dead). The version-2 test runs the server with --resume-window 0: resume
 * off, a dead peer ends the session as in version 1 (with resume on, it would be held for its client: that
 * is the resume tests' subject).
 */

const HOST = "127.0.0.1";
const KEEPALIVE = ["--ping-interval", "1", "--dead-after", "3"];
/** Far more than dead-after (3 s), far less than the default 45 s. */
const DETECTION_BOUND_MS = 20_000;
/** Per test: the keepalive waits above plus a client's chat, with room for a slow machine. */
const TEST_TIMEOUT_MS = 60_000;

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

test(
  "server: a client that answers PINGs stays, one that stops answering is declared dead and its slot freed",
  async () => {
    const server = await JsonProgram.server(["--host", HOST, ...KEEPALIVE, ...RAW_PEER_PROGRAM_ARGS]);
    cleanups.push(() => server.stop());
    const peer = await RawPeer.handshake(HOST, server.port);
    cleanups.push(() => peer.destroy());
    await server.waitFor((e) => e.event === "connected");

    // Answer four PINGs: a second apart, they carry the session past dead-after (3 s) on their own.
    let lastPing = 0;
    for (let answered = 0; answered < 4; answered++) {
      const ping = await peer.waitForFrame((f) => f.type === FrameType.PING && f.id > lastPing);
      lastPing = ping.id;
      await peer.write(encodeFrame(FrameType.PONG, ping.id, flat(ping.payload)));
    }
    expect(server.events.some((e) => e.event === "disconnected")).toBe(false);

    // Then silence: the server keeps asking, then gives up.
    const ended = await server.waitFor((e) => e.event === "disconnected", DETECTION_BOUND_MS);
    expect(ended.kind).toBe("timeout");
    expect(String(ended.reason)).toContain("3 s");
    const unanswered = peer.frames.filter((f) => f.type === FrameType.PING && f.id > lastPing);
    expect(unanswered.length).toBeGreaterThanOrEqual(1);
    await peer.waitForFrame((f) => f.type === FrameType.BYE);

    await expectClientChats(server, `${HOST}:${server.port}`, { args: RAW_PEER_PROGRAM_ARGS });
  },
  TEST_TIMEOUT_MS,
);

test(
  "server: a client silent from the handshake on is declared dead, and a real client is then served",
  async () => {
    const server = await JsonProgram.server(["--host", HOST, ...KEEPALIVE, ...RAW_PEER_PROGRAM_ARGS]);
    cleanups.push(() => server.stop());
    const peer = await RawPeer.handshake(HOST, server.port);
    cleanups.push(() => peer.destroy());

    const ended = await server.waitFor((e) => e.event === "disconnected", DETECTION_BOUND_MS);
    expect(ended.kind).toBe("timeout");
    expect(peer.frames.some((f) => f.type === FrameType.PING)).toBe(true);

    await expectClientChats(server, `${HOST}:${server.port}`, { args: RAW_PEER_PROGRAM_ARGS });
  },
  TEST_TIMEOUT_MS,
);

test(
  "client: a server that falls silent after the handshake is declared dead; the client exits 1",
  async () => {
    const rawServer = new RawServer(HOST);
    cleanups.push(() => rawServer.close());
    const client = new JsonProgram([
      "client",
      `${HOST}:${rawServer.port}`,
      ...KEEPALIVE,
      ...RAW_PEER_PROGRAM_ARGS,
    ]);
    cleanups.push(() => client.stop());
    const peer = await rawServer.acceptHandshake();
    await client.waitFor((e) => e.event === "connected");
    client.write("into the void\n");

    const ended = await client.waitFor((e) => e.event === "disconnected", DETECTION_BOUND_MS);
    expect(ended.kind).toBe("timeout");
    expect(String(ended.reason)).toContain("the server stopped responding");
    expect(ended.unacked).toEqual([1]);
    expect(await client.exited).toBe(1);
    expect(peer.frames.some((f) => f.type === FrameType.PING)).toBe(true);
    expect(peer.frames.some((f) => f.type === FrameType.MSG)).toBe(true);
  },
  TEST_TIMEOUT_MS,
);

test(
  "server, version 2 with resume off: a client silent after the handshake is declared dead, and a real client is then served",
  async () => {
    const server = await JsonProgram.server(["--host", HOST, ...KEEPALIVE, "--resume-window", "0"]);
    cleanups.push(() => server.stop());
    const peer = await SecurePeer.open(HOST, server.port, TEST_CODE);
    cleanups.push(() => peer.destroy());
    const session = await peer.waitForFrame((f) => f.type === FrameType.SESSION);
    expect(Array.from(flat(session.payload))).toEqual([0, 0, 0, 0]); // resume_window_ms = 0

    const ended = await server.waitFor((e) => e.event === "disconnected", DETECTION_BOUND_MS);
    expect(ended.kind).toBe("timeout");
    expect(String(ended.reason)).toContain("3 s");
    expect(server.events.some((e) => e.event === "connection-lost")).toBe(false);
    // The PINGs and the goodbye went inside records.
    expect(peer.frames.some((f) => f.type === FrameType.PING)).toBe(true);
    await peer.waitForFrame((f) => f.type === FrameType.BYE);

    await expectClientChats(server, `${HOST}:${server.port}`);
  },
  TEST_TIMEOUT_MS,
);

test("--help documents both keepalive options with their defaults", async () => {
  const help = await runProgram(["--help"]);
  expect(help.code).toBe(0);
  expect(help.stdout).toMatch(/--ping-interval S\b.*\(default 15\)/);
  expect(help.stdout).toMatch(/--dead-after S\b.*\(default 45\)/);
});
