import { afterEach, expect, setDefaultTimeout, test } from "bun:test";
import { FrameType, HEADER_SIZE } from "../../src/protocol/constants.ts";
import { ClientHandshake, CONFIRM_TIMEOUT_MS } from "../../src/secure/handshake.ts";
import { exitOf } from "../helpers/bounded.ts";
import { RawPeer } from "../helpers/frame-peer.ts";
import { concat, decodeText } from "../helpers/frames.ts";
import { type JsonEvent, JsonProgram, TEST_CODE } from "../helpers/program.ts";
import { SecurePeer } from "../helpers/secure-peer.ts";

/**
 * What stalled handshakes cost an honest client (issue 8; protocol-v2 section 1). A connection that never
 * completes its HELLO costs nothing but its timer: it must not delay a real client at all. A valid HELLO
 * that is answered and then stalls holds the one answered handshake for up to 3 s (then a failed try, and a
 * second's cool-down: a "turn" of about 4 s); HELLOs wait their turn in turn by source address, so stallers
 * from one address delay a real client by about one turn each address, not one turn each connection.
 *
 * Bounds, not benchmarks: the only times asserted are the protocol's own (turns of seconds) and "well under
 * a second extra" for something that should cost nothing.
 */

setDefaultTimeout(60_000);

const HOST = "127.0.0.1";
/** Loopback answers all of 127/8: connections from these are other source addresses to the server. */
const OTHER_ADDRESSES = ["127.0.0.2", "127.0.0.3"];
/** A stalled answered handshake: its CONFIRM timeout, then the cool-down after the failed try. */
const TURN_MS = CONFIRM_TIMEOUT_MS + 1000;

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function server(): Promise<JsonProgram & { port: number }> {
  const program = await JsonProgram.server(["--host", HOST]); // the test code: it stays after failed tries
  cleanups.push(() => program.stop());
  return program;
}

/**
 * A real client connects and chats (one message each way is not needed: one acknowledged message proves
 * the channel and the session); returns the time from its start to its `connected` event.
 */
async function clientChats(port: number): Promise<{ ms: number; client: JsonProgram }> {
  const startedAt = performance.now();
  const client = new JsonProgram(["client", `${HOST}:${port}`]);
  cleanups.push(() => client.stop());
  await client.waitFor((e) => e.event === "connected", 15_000);
  const ms = performance.now() - startedAt;
  client.write("through the stalls\n");
  await client.waitFor((e) => e.event === "ack" && e.id === 1);
  client.endInput();
  expect(await exitOf(client)).toBe(0);
  return { ms, client };
}

/** A version-2 client's HELLO frame, as a real one sends it. */
function helloBytes(): Uint8Array {
  const handshake = new ClientHandshake({ now: 0, maxMessage: 1024, secret: { mode: 0, code: TEST_CODE } });
  return concat(handshake.takeOutput());
}

test("50 connections stalled before completing their HELLO do not delay a real client", async () => {
  const srv = await server();
  const baseline = await clientChats(srv.port);

  const hello = helloBytes();
  const stalls = await Promise.all(Array.from({ length: 50 }, () => RawPeer.connect(HOST, srv.port)));
  for (const peer of stalls) cleanups.push(() => peer.destroy());
  await Promise.all(
    stalls.map((peer, i) => {
      if (i % 3 === 0) return Promise.resolve(); // connect and send nothing
      if (i % 3 === 1) return peer.write(hello.subarray(0, 5)); // half a header
      return peer.write(hello.subarray(0, HEADER_SIZE + 40)); // the header and half the payload
    }),
  );

  const stalled = await clientChats(srv.port);
  console.log(
    `time to connected: ${baseline.ms.toFixed(0)} ms alone, ${stalled.ms.toFixed(0)} ms beside 50 stalls`,
  );
  expect(stalled.ms).toBeLessThan(baseline.ms + 1000);
  // None was answered, none was closed (their 10 s handshake timeout has not run out), none was a try.
  for (const peer of stalls) {
    expect(peer.received).toBe(0);
    expect(peer.closedWith).toBeNull();
  }
  expect(srv.events.some((e) => e.event === "code-failed")).toBe(false);
});

/** `count` valid HELLOs from `address`, each stalling once answered (never a CONFIRM). */
async function stallers(port: number, address: string, count: number): Promise<SecurePeer[]> {
  const peers: SecurePeer[] = [];
  for (let i = 0; i < count; i++) {
    const peer = await SecurePeer.connect(HOST, port, { localAddress: address });
    cleanups.push(() => peer.destroy());
    await peer.sendHello({ mode: 0, code: TEST_CODE }, "stop");
    peers.push(peer);
  }
  return peers;
}

/**
 * The stalled, answered handshake failed as the protocol says: ERROR after 3 s without CONFIRM (or at the
 * handshake's own 10 s from the connect, if that comes first), reported as a failed try from its address.
 */
async function expectTimedOutTry(srv: JsonProgram, peer: SecurePeer, address: string): Promise<JsonEvent> {
  const error = await peer.waitForPlainFrame((f) => f.type === FrameType.ERROR, 2 * TURN_MS + 5000);
  expect(decodeText(error.payload)).toMatch(/^(no CONFIRM within 3 s|no handshake within 10 s)$/);
  await peer.waitForClose();
  return srv.waitFor((e) => e.event === "code-failed" && e.peer === `${address}:${peer.localPort}`);
}

/** Where `event` is in the server's event list: the server's own order of what happened. */
const at = (srv: JsonProgram, event: JsonEvent) => srv.events.indexOf(event);

test("stalled HELLOs from one other address delay a real client by about one turn, not one per connection", async () => {
  const srv = await server();
  const [address] = OTHER_ADDRESSES as [string];
  const peers = await stallers(srv.port, address, 3);
  const [first, second, third] = peers as [SecurePeer, SecurePeer, SecurePeer];
  await first.waitForServerHello(); // answered at once; the other two wait their turn, ahead of the client
  await Bun.sleep(100);

  // In turn by address: after the first (answered), that address's turn (its second HELLO was waiting
  // before the client came), then the client's address, and only then the staller's third. One connection
  // after another, the client would wait three turns: past its own 10 s handshake timeout.
  const { ms } = await clientChats(srv.port);
  console.log(
    `the real client was connected after ${ms.toFixed(0)} ms behind 3 stalled HELLOs from one address`,
  );
  expect(ms).toBeLessThan(2 * TURN_MS + 2000);

  const failed = [];
  for (const peer of peers) failed.push(await expectTimedOutTry(srv, peer, address));
  const connected = await srv.waitFor((e) => e.event === "connected");
  const order = [failed[0], failed[1], connected, failed[2]].map((event) => at(srv, event as JsonEvent));
  expect(order).toEqual([...order].sort((x, y) => x - y));
  // One answered handshake at a time: a turn apart.
  const hello1 = await first.waitForServerHello(0);
  const hello2 = await second.waitForServerHello(0);
  const hello3 = await third.waitForServerHello(0);
  expect(hello2.at - hello1.at).toBeGreaterThanOrEqual(TURN_MS - 200);
  expect(hello3.at - hello2.at).toBeGreaterThanOrEqual(TURN_MS - 200);
});

test("stalled HELLOs from two other addresses delay a real client by about one turn each", async () => {
  const srv = await server();
  const peers: SecurePeer[] = [];
  for (const address of OTHER_ADDRESSES) peers.push(...(await stallers(srv.port, address, 1)));
  await (peers[0] as SecurePeer).waitForServerHello();
  await Bun.sleep(100);

  const { ms } = await clientChats(srv.port);
  console.log(`the real client was connected after ${ms.toFixed(0)} ms behind 2 stalling addresses`);
  expect(ms).toBeLessThan(OTHER_ADDRESSES.length * TURN_MS + 2000);
  // Both were answered before the client, one at a time, a turn apart, each a failed try of its address.
  const failed: JsonEvent[] = [];
  for (const [i, address] of OTHER_ADDRESSES.entries()) {
    failed.push(await expectTimedOutTry(srv, peers[i] as SecurePeer, address));
  }
  const connected = await srv.waitFor((e) => e.event === "connected");
  expect(at(srv, failed[0] as JsonEvent)).toBeLessThan(at(srv, failed[1] as JsonEvent));
  expect(at(srv, failed[1] as JsonEvent)).toBeLessThan(at(srv, connected));
  const [hello1, hello2] = await Promise.all(peers.map((peer) => peer.waitForServerHello(0)));
  expect((hello2 as { at: number }).at - (hello1 as { at: number }).at).toBeGreaterThanOrEqual(TURN_MS - 200);
});
