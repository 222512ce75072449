import { afterEach, expect, test } from "bun:test";
import { randomBytes } from "node:crypto";
import { FrameType, HEADER_SIZE } from "../../src/protocol/constants.ts";
import { encodeFrame } from "../../src/protocol/encoder.ts";
import { expectClientChats } from "../helpers/chat.ts";
import { RAW_PEER_PROGRAM_ARGS, RawPeer } from "../helpers/frame-peer.ts";
import { JsonProgram } from "../helpers/program.ts";
import { waitUntil } from "../helpers/wait.ts";
import { msUntilNextClientServed, type NextClient } from "./support/next-client.ts";
import { socketQueues } from "./support/proc.ts";

/**
 * A client that dies halfway through sending a large message: the server must report the end of the session,
 * must not hand on the part it received as if it were a message, and must serve the next client at once
 * (issue 3: "within 1 s", measured from the moment the disconnect is reported).
 *
 * The raw peer speaks version 1, so that test runs the server with --no-encryption. The killed real client
 * runs version 2 with resume on, as users do: its server holds the session for the resume window (short
 * here, 2 s) and ends it only when the window has passed, since a killed client never comes back. So the
 * second test also proves that a dropped session is held and then ended, and that the slot is freed at the
 * end of the window.
 */

const HOST = "127.0.0.1";
const EIGHT_MIB = 8 * 1024 * 1024;
const NEXT_CLIENT_CONTRACT_MS = 1000;
/** The killed client's server holds its session this long (--resume-window, seconds). */
const RESUME_WINDOW_S = 2;
/** Per test: a safety bound for a slow machine, not a measure. */
const TEST_TIMEOUT_MS = 60_000;

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

test(
  "a raw peer that vanishes after half of an 8 MiB MSG leaves no message, and the next client is served",
  async () => {
    const server = await JsonProgram.server(["--host", HOST, ...RAW_PEER_PROGRAM_ARGS]);
    cleanups.push(() => server.stop());
    const peer = await RawPeer.handshake(HOST, server.port);
    cleanups.push(() => peer.destroy());
    await server.waitFor((e) => e.event === "connected");

    const frame = encodeFrame(FrameType.MSG, 1, randomBytes(EIGHT_MIB));
    const half = frame.subarray(0, HEADER_SIZE + EIGHT_MIB / 2);
    await peer.write(half);
    // Every byte written has been taken by the peer's kernel and read by the server process.
    await waitUntil(() => {
      const mine = socketQueues(peer.localPort, server.port);
      const theirs = socketQueues(server.port, peer.localPort);
      return mine?.sendQueue === 0 && theirs?.receiveQueue === 0;
    }, "the server has read the first half of the message");

    peer.destroy();
    const ended = await server.waitFor((e) => e.event === "disconnected");
    expect(ended.kind).toBe("lost");
    await expectPartialMessageDropped(server, { version: 1 });
  },
  TEST_TIMEOUT_MS,
);

test(
  "a real client killed with SIGKILL while its 8 MiB line is in flight leaves no message behind",
  async () => {
    const server = await JsonProgram.server(["--host", HOST, "--resume-window", String(RESUME_WINDOW_S)]);
    cleanups.push(() => server.stop());
    const client = new JsonProgram(["client", `${HOST}:${server.port}`]);
    cleanups.push(() => client.stop());
    const connected = await server.waitFor((e) => e.event === "connected");
    await client.waitFor((e) => e.event === "connected");
    const clientPort = Number(String(connected.peer).split(":").pop());

    // The server is frozen, so the message stays in flight: part of its records in the kernel's buffers,
    // the rest still in the client process, which then dies.
    server.kill("SIGSTOP");
    cleanups.push(() => server.kill("SIGCONT"));
    const line = Buffer.alloc(EIGHT_MIB, "x");
    client.write(Buffer.concat([line, Buffer.from("\n")]));
    await client.waitFor((e) => e.event === "sent" && e.bytes === EIGHT_MIB);

    let inFlight = -1;
    let steadyPolls = 0;
    await waitUntil(
      () => {
        const sending = socketQueues(clientPort, server.port)?.sendQueue ?? 0;
        const receiving = socketQueues(server.port, clientPort)?.receiveQueue ?? 0;
        const total = sending + receiving;
        steadyPolls = receiving > 0 && total === inFlight ? steadyPolls + 1 : 0;
        inFlight = total;
        return steadyPolls >= 5; // the kernel takes no more: the frozen server's window is full
      },
      "the message fills the kernel's buffers",
      { everyMs: 50 },
    );
    console.log(
      `${inFlight} of ${HEADER_SIZE + EIGHT_MIB} bytes of the MSG in the kernel when the client dies`,
    );
    expect(inFlight).toBeGreaterThan(0);
    expect(inFlight).toBeLessThan(HEADER_SIZE + EIGHT_MIB); // provably partial

    client.kill("SIGKILL");
    expect(await client.exited).not.toBe(0);
    server.kill("SIGCONT");

    // The server holds the session for its client, which never comes back; at the window's end it is over.
    const lost = await server.waitFor((e) => e.event === "connection-lost");
    expect(lost.window_ms).toBe(RESUME_WINDOW_S * 1000);
    const ended = await server.waitFor((e) => e.event === "disconnected", RESUME_WINDOW_S * 1000 + 10_000);
    expect(ended.kind).toBe("lost");
    expect(String(ended.reason)).toContain(`did not come back within ${RESUME_WINDOW_S} s`);
    expect(server.events.indexOf(lost)).toBeLessThan(server.events.indexOf(ended));
    await expectPartialMessageDropped(server, { version: 2 });
  },
  TEST_TIMEOUT_MS,
);

/**
 * After a client died mid-message and the server reported the end of its session (just now): the server
 * delivered nothing of the message, served the next client within the contract's second, and the only
 * message it ever delivered is that client's.
 */
async function expectPartialMessageDropped(
  server: JsonProgram & { port: number },
  next: NextClient,
): Promise<void> {
  const reportedAt = performance.now();
  const servedAfterMs = await msUntilNextClientServed(server, HOST, server.port, reportedAt, next);
  console.log(`next client served ${servedAfterMs.toFixed(1)} ms after the disconnect was reported`);

  expect(server.events.filter((e) => e.event === "message")).toEqual([]);
  expect(servedAfterMs).toBeLessThan(NEXT_CLIENT_CONTRACT_MS);

  const args = next.version === 1 ? RAW_PEER_PROGRAM_ARGS : [];
  await expectClientChats(server, `${HOST}:${server.port}`, { args });
  expect(server.events.filter((e) => e.event === "message")).toHaveLength(1);
}
