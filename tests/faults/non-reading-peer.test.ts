import { afterEach, expect, test } from "bun:test";
import { FrameType } from "../../src/protocol/constants.ts";
import { encodeFrame } from "../../src/protocol/encoder.ts";
import { expectClientChats } from "../helpers/chat.ts";
import { RAW_PEER_PROGRAM_ARGS, RawPeer } from "../helpers/frame-peer.ts";
import { JsonProgram } from "../helpers/program.ts";

/**
 * A client that sends and never reads: every MSG it sends makes the server queue an ACK it cannot deliver.
 * The server must give up on it (ERROR, `stalled`) instead of growing its write queue without limit, and
 * then serve the next client. The peer speaks version 1 (RawPeer), so the programs run with --no-encryption.
 */

const HOST = "127.0.0.1";
/** Empty MSG frames per write: 9 bytes each, 1 MiB at a time. */
const FRAMES_PER_WRITE = Math.floor((1024 * 1024) / 9);
/**
 * Twice the server's allowance (64 MiB of unsent bytes beyond one message; each 9-byte MSG queues a 9-byte
 * ACK), which leaves 64 MiB for what the kernel's socket buffers absorb: the loop's bound. A server that has
 * not given up by then never will. (tests/net/connection.test.ts checks the allowance itself, in ms.)
 */
const MAX_SENT = 128 * 1024 * 1024;

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

test("a client that sends without reading is dropped as stalled, and the server keeps serving", async () => {
  // A small max message keeps the allowance at 64 MiB + 1 KiB.
  const server = await JsonProgram.server([
    "--host",
    HOST,
    "--max-message-size",
    "1k",
    ...RAW_PEER_PROGRAM_ARGS,
  ]);
  cleanups.push(() => server.stop());
  const peer = await RawPeer.handshake(HOST, server.port, 1024);
  cleanups.push(() => peer.destroy());
  await server.waitFor((e) => e.event === "connected");
  peer.stopReading();

  // The server acknowledges whatever id a MSG carries, so one batch of ids 1, 2, 3, … is sent again and again.
  const batch = new Uint8Array(FRAMES_PER_WRITE * 9);
  for (let i = 0; i < FRAMES_PER_WRITE; i++) batch.set(encodeFrame(FrameType.MSG, i + 1), i * 9);
  let sent = 0;
  while (sent < MAX_SENT && !peer.closedWith && !server.events.some((e) => e.event === "disconnected")) {
    await Promise.race([peer.write(batch), Bun.sleep(2000)]);
    sent += batch.length;
  }

  const disconnected = await server
    .waitFor((e) => e.event === "disconnected", 10_000)
    .catch(() => {
      throw new Error(
        `the server still served a client that sent ${Math.round(sent / 2 ** 20)} MiB without reading the ACKs: it must ` +
          "give up once more than 64 MiB wait to be sent (does Connection.onData count bytes?)",
      );
    });
  expect(disconnected.kind).toBe("stalled");
  expect(String(disconnected.reason)).toContain("stopped reading");
  expect(sent).toBeLessThan(MAX_SENT);
  peer.destroy();
  await expectClientChats(server, `${HOST}:${server.port}`, { args: RAW_PEER_PROGRAM_ARGS });
}, 60_000);
