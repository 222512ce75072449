import { afterEach, expect, setDefaultTimeout, test } from "bun:test";
import { normalizeCode } from "../../src/secure/code.ts";
import { exitOf } from "../helpers/bounded.ts";
import { currentCode, NO_CODE } from "../helpers/codes.ts";
import { RAW_PEER_PROGRAM_ARGS } from "../helpers/frame-peer.ts";
import { JsonProgram } from "../helpers/program.ts";
import { RecordingRelay } from "../helpers/recording-relay.ts";

/**
 * What the network sees (issue 8): a relay in the test process between a real client and a real server
 * records every byte both ways. With version 2, no message text and not the code appear in it, not even
 * eight bytes of one. The same chat with --no-encryption is the control: there the relay sees the texts,
 * so the search would find them.
 */

setDefaultTimeout(30_000);

const HOST = "127.0.0.1";
/** Any run of this many bytes of a message found in the recording counts as a leak. */
const WINDOW = 8;

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const FROM_CLIENT = [
  `the quiet heron crosses the weir at dawn ${crypto.randomUUID()}`,
  `zebra kettle margin ünïcödé ✓ ${crypto.randomUUID()}`,
  `${"a long line, said over and over; ".repeat(2000)}${crypto.randomUUID()}`,
];
const FROM_SERVER = [
  `copper lantern beneath the old mill ${crypto.randomUUID()}`,
  `a reply that only the client may read ${crypto.randomUUID()}`,
];

/** Chats through a relay: the texts both ways, every one acknowledged; returns what the relay saw. */
async function chatThroughRelay(args: string[], env: Record<string, string>) {
  const server = await JsonProgram.server(["--host", HOST, ...args], env);
  cleanups.push(() => server.stop());
  const relay = new RecordingRelay({ host: HOST, port: server.port });
  cleanups.push(() => relay.close());
  const code = args.includes("--no-encryption") ? null : currentCode(server);
  const client = new JsonProgram(
    ["client", `${HOST}:${relay.port}`, ...args],
    code === null ? {} : { CHAT121_CODE: code },
  );
  cleanups.push(() => client.stop());

  await client.waitFor((e) => e.event === "connected");
  client.write(FROM_CLIENT.map((text) => `${text}\n`).join(""));
  server.write(FROM_SERVER.map((text) => `${text}\n`).join(""));
  await client.waitForCount((e) => e.event === "ack", FROM_CLIENT.length);
  await server.waitForCount((e) => e.event === "ack", FROM_SERVER.length);
  const received = (program: JsonProgram) =>
    program.events.filter((e) => e.event === "message").map((e) => e.text);
  expect(received(server)).toEqual(FROM_CLIENT);
  expect(received(client)).toEqual(FROM_SERVER);
  client.endInput();
  expect(await exitOf(client)).toBe(0);
  await server.waitFor((e) => e.event === "disconnected");
  return { ...relay.recorded(), code };
}

/** The runs of WINDOW bytes of `text` (UTF-8) found in `bytes`. */
function leaks(bytes: Buffer, text: string): string[] {
  const encoded = Buffer.from(text);
  const found: string[] = [];
  for (let i = 0; i + WINDOW <= encoded.length; i++) {
    const run = encoded.subarray(i, i + WINDOW);
    if (bytes.includes(run)) found.push(run.toString());
    if (found.length > 3) break;
  }
  return found;
}

test("a relay between client and server sees none of the message texts, nor the code", async () => {
  const seen = await chatThroughRelay([], NO_CODE);
  const all = Buffer.concat([seen.fromClient, seen.fromServer]);
  // It did see the conversation: the handshake's plaintext HELLOs, and at least every message's bytes.
  expect(seen.fromClient.includes("121chat")).toBe(true);
  expect(seen.fromServer.includes("121chat")).toBe(true);
  const textBytes = (texts: string[]) => texts.reduce((sum, text) => sum + Buffer.byteLength(text), 0);
  expect(seen.fromClient.length).toBeGreaterThan(textBytes(FROM_CLIENT));
  expect(seen.fromServer.length).toBeGreaterThan(textBytes(FROM_SERVER));

  for (const text of [...FROM_CLIENT, ...FROM_SERVER]) expect(leaks(all, text)).toEqual([]);
  const code = seen.code as string;
  for (const form of [code, normalizeCode(code), code.replaceAll("-", " ")]) {
    expect(all.includes(form)).toBe(false);
  }
});

test("control: with --no-encryption on both sides, the same relay sees the texts", async () => {
  const seen = await chatThroughRelay([...RAW_PEER_PROGRAM_ARGS], {});
  for (const text of FROM_CLIENT) expect(seen.fromClient.includes(text)).toBe(true);
  for (const text of FROM_SERVER) expect(seen.fromServer.includes(text)).toBe(true);
});
