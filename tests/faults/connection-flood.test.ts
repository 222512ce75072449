import { afterEach, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { FrameType, MAX_U32 } from "../../src/protocol/constants.ts";
import { encodeFrame } from "../../src/protocol/encoder.ts";
import { encodeHello } from "../../src/protocol/hello.ts";
import { expectClientChats } from "../helpers/chat.ts";
import { RawPeer } from "../helpers/frame-peer.ts";
import { JsonProgram } from "../helpers/program.ts";
import { waitUntil } from "../helpers/wait.ts";
import { rssBytes } from "./support/proc.ts";

/**
 * 10,000 connections that send garbage or nothing, in bounded batches: the server refuses or outlives every
 * one, still serves a real client afterwards, and gives back the memory they took.
 */

const HOST = "127.0.0.1";
const CONNECTIONS = 10_000;
const MIB = 1024 * 1024;
/** "Near its baseline": RSS after the flood may exceed the baseline by at most this, or by half, whichever is more. */
const RSS_SLACK_BYTES = 30 * MIB;
const TEST_TIMEOUT_MS = 180_000;

const utf8 = (text: string) => new TextEncoder().encode(text);
const header = (type: number, id: number, length: number) => {
  const bytes = new Uint8Array(9);
  const view = new DataView(bytes.buffer);
  view.setUint8(0, type);
  view.setUint32(1, id);
  view.setUint32(5, length);
  return bytes;
};
const concat = (...parts: Uint8Array[]) => new Uint8Array(Buffer.concat(parts));
const helloWith = (version: number) => {
  const payload = encodeHello(1024);
  payload[7] = version;
  return encodeFrame(FrameType.HELLO, 0, payload);
};

/** What one connection does. `refused`: the server must close it by itself, answering ERROR or BUSY. */
interface Behaviour {
  name: string;
  bytes: (i: number) => Uint8Array | null;
  refused: boolean;
}

const BEHAVIOURS: Behaviour[] = [
  { name: "silent", bytes: () => null, refused: false },
  { name: "random bytes", bytes: (i) => randomGarbage(i), refused: true },
  { name: "HTTP request", bytes: () => utf8("GET / HTTP/1.1\r\nHost: chat\r\n\r\n"), refused: true },
  { name: "4 GiB MSG before HELLO", bytes: () => header(FrameType.MSG, 1, MAX_U32), refused: true },
  {
    name: "HELLO, wrong magic",
    bytes: () => encodeFrame(FrameType.HELLO, 0, utf8("120chat\x01\0\0\x04\0")),
    refused: true,
  },
  { name: "HELLO, version 2", bytes: () => helloWith(2), refused: true },
  {
    name: "HELLO announcing 64 KiB + 1",
    bytes: () => header(FrameType.HELLO, 0, 64 * 1024 + 1),
    refused: true,
  },
  { name: "half a header", bytes: () => header(FrameType.HELLO, 0, 12).subarray(0, 5), refused: false },
  {
    // Valid HELLO then an unknown frame type: admitted (or told BUSY), then refused either way.
    name: "HELLO then unknown type",
    bytes: () => concat(helloWith(1), header(0x7f, 0, 0)),
    refused: true,
  },
];

/** Random bytes that do not start with a valid frame type, so the server can refuse them at once. */
function randomGarbage(i: number): Uint8Array {
  const bytes = crypto.getRandomValues(new Uint8Array(1 + (i % 512)));
  bytes[0] = 0x09 + ((bytes[0] as number) % 0xf7);
  return bytes;
}

/** The soft limit on open files; batches stay well below it (each connection is one descriptor here). */
function openFileLimit(): number {
  const match = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync("/proc/self/limits", "utf8"));
  return !match || match[1] === "unlimited" ? Number.POSITIVE_INFINITY : Number(match[1]);
}

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

test(
  "10,000 garbage or silent connections, in batches: the server refuses them, serves a client, and its memory returns",
  async () => {
    const batchSize = Math.min(200, Math.floor(openFileLimit() / 4));
    expect(batchSize).toBeGreaterThan(10);
    const server = await JsonProgram.server(["--host", HOST]);
    cleanups.push(() => server.stop());
    const target = `${HOST}:${server.port}`;

    // Warm up the paths a real session takes, then measure where memory settles.
    await expectClientChats(server, target);
    await Bun.sleep(500);
    const baseline = rssBytes(server.pid);

    const refusedWithoutAnswer: string[] = [];
    let peakRss = baseline;
    for (let first = 0; first < CONNECTIONS; first += batchSize) {
      const count = Math.min(batchSize, CONNECTIONS - first);
      const peers = await Promise.all(
        Array.from({ length: count }, () => RawPeer.connect(HOST, server.port)),
      );
      const plans = peers.map((peer, k) => {
        const i = first + k;
        return { peer, i, behaviour: BEHAVIOURS[i % BEHAVIOURS.length] as Behaviour };
      });
      for (const { peer, i, behaviour } of plans) {
        const bytes = behaviour.bytes(i);
        if (bytes) void peer.write(bytes);
      }
      // The server closes every connection that broke the protocol, by itself, after saying why.
      const refused = plans.filter((plan) => plan.behaviour.refused);
      await waitUntil(
        () => refused.every((plan) => plan.peer.closedWith !== null),
        `the server closes the ${refused.length} refused connections of batch ${first / batchSize + 1}`,
      );
      for (const { peer, behaviour } of refused) {
        const answered = peer.frames.some((f) => f.type === FrameType.ERROR || f.type === FrameType.BUSY);
        if (!answered) refusedWithoutAnswer.push(behaviour.name);
      }
      // The rest (silent, or waiting for the rest of a header) are closed from here, half with a reset.
      for (const { peer, i } of plans) {
        if (i % 2 === 0) peer.destroy();
        else peer.end();
      }
      await Promise.all(peers.map((peer) => peer.closed));
      peakRss = Math.max(peakRss, rssBytes(server.pid));
    }
    expect(refusedWithoutAnswer).toEqual([]);

    // A real client is served, then memory settles back: the garbage collector gives memory back lazily,
    // within a second or two here, so wait (bounded) until two readings agree before comparing.
    await expectClientChats(server, target);
    const bound = Math.max(baseline + RSS_SLACK_BYTES, baseline * 1.5);
    let after = rssBytes(server.pid);
    for (let waited = 0; waited < 15_000; waited += 500) {
      await Bun.sleep(500);
      const next = rssBytes(server.pid);
      const steady = Math.abs(next - after) < MIB;
      after = next;
      if (steady && after <= bound) break;
    }
    const mib = (bytes: number) => `${(bytes / MIB).toFixed(1)} MiB`;
    console.log(
      `server RSS: baseline ${mib(baseline)}, peak during the flood ${mib(peakRss)}, after ${mib(after)} ` +
        `(bound ${mib(bound)}); ${CONNECTIONS} connections in batches of ${batchSize}`,
    );
    expect(after).toBeLessThanOrEqual(bound);
    expect(await server.stop()).toBe(0);
  },
  TEST_TIMEOUT_MS,
);
