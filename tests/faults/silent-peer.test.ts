import { afterEach, expect, test } from "bun:test";
import { flat } from "../../src/protocol/bytes.ts";
import { FrameType } from "../../src/protocol/constants.ts";
import { encodeFrame } from "../../src/protocol/encoder.ts";
import { expectClientChats } from "../helpers/chat.ts";
import { RawPeer, RawServer } from "../helpers/frame-peer.ts";
import { JsonProgram, runProgram } from "../helpers/program.ts";

/**
 * Keepalive with the clocks shortened by --ping-interval and --dead-after: a peer that stops answering is
 * declared dead (on the server, the slot is freed for the next client). The safety bounds below are far
 * under the defaults (15 s / 45 s), so these tests also prove the options reach the session.
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
    const server = await JsonProgram.server(["--host", HOST, ...KEEPALIVE]);
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

    await expectClientChats(server, `${HOST}:${server.port}`);
  },
  TEST_TIMEOUT_MS,
);

test(
  "server: a client silent from the handshake on is declared dead, and a real client is then served",
  async () => {
    const server = await JsonProgram.server(["--host", HOST, ...KEEPALIVE]);
    cleanups.push(() => server.stop());
    const peer = await RawPeer.handshake(HOST, server.port);
    cleanups.push(() => peer.destroy());

    const ended = await server.waitFor((e) => e.event === "disconnected", DETECTION_BOUND_MS);
    expect(ended.kind).toBe("timeout");
    expect(peer.frames.some((f) => f.type === FrameType.PING)).toBe(true);

    await expectClientChats(server, `${HOST}:${server.port}`);
  },
  TEST_TIMEOUT_MS,
);

test(
  "client: a server that falls silent after the handshake is declared dead; the client exits 1",
  async () => {
    const rawServer = new RawServer(HOST);
    cleanups.push(() => rawServer.close());
    const client = new JsonProgram(["client", `${HOST}:${rawServer.port}`, ...KEEPALIVE]);
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

test("--help documents both keepalive options with their defaults", async () => {
  const help = await runProgram(["--help"]);
  expect(help.code).toBe(0);
  expect(help.stdout).toMatch(/--ping-interval S\b.*\(default 15\)/);
  expect(help.stdout).toMatch(/--dead-after S\b.*\(default 45\)/);
});
