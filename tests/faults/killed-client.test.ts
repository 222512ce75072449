import { afterEach, expect, test } from "bun:test";
import { randomBytes } from "node:crypto";
import { FrameType, HEADER_SIZE } from "../../src/protocol/constants.ts";
import { encodeFrame } from "../../src/protocol/encoder.ts";
import { expectClientChats } from "../helpers/chat.ts";
import { RawPeer } from "../helpers/frame-peer.ts";
import { JsonProgram } from "../helpers/program.ts";
import { msUntilNextClientServed } from "./support/next-client.ts";
import { socketQueues } from "./support/proc.ts";
import { waitUntil } from "./support/wait.ts";

/**
 * A client that dies halfway through sending a large message: the server must report the end of the session,
 * must not hand on the part it received as if it were a message, and must serve the next client at once
 * (issue 3: "within 1 s", measured from the moment the disconnect is reported).
 */

const HOST = "127.0.0.1";
const EIGHT_MIB = 8 * 1024 * 1024;
const NEXT_CLIENT_CONTRACT_MS = 1000;
/** Per test: a safety bound for a slow machine, not a measure. */
const TEST_TIMEOUT_MS = 60_000;

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

test(
  "a raw peer that vanishes after half of an 8 MiB MSG leaves no message, and the next client is served",
  async () => {
    const server = await JsonProgram.server(["--host", HOST]);
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
    await expectPartialMessageDropped(server);
  },
  TEST_TIMEOUT_MS,
);

test(
  "a real client killed with SIGKILL while its 8 MiB line is in flight leaves no message behind",
  async () => {
    const server = await JsonProgram.server(["--host", HOST]);
    cleanups.push(() => server.stop());
    const client = new JsonProgram(["client", `${HOST}:${server.port}`]);
    cleanups.push(() => client.stop());
    const connected = await server.waitFor((e) => e.event === "connected");
    await client.waitFor((e) => e.event === "connected");
    const clientPort = Number(String(connected.peer).split(":").pop());

    // The server is frozen, so the message stays in flight: part of it in the kernel's buffers, the rest
    // still in the client process, which then dies.
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

    await expectPartialMessageDropped(server);
  },
  TEST_TIMEOUT_MS,
);

/**
 * After a client died mid-message: the server reported the loss, delivered nothing of the message, served
 * the next client within the contract's second, and the only message it ever delivered is that client's.
 */
async function expectPartialMessageDropped(server: JsonProgram & { port: number }): Promise<void> {
  const ended = await server.waitFor((e) => e.event === "disconnected");
  const reportedAt = performance.now();
  const servedAfterMs = await msUntilNextClientServed(server, HOST, server.port, reportedAt);
  console.log(`next client served ${servedAfterMs.toFixed(1)} ms after the disconnect was reported`);

  expect(ended.kind).toBe("lost");
  expect(server.events.filter((e) => e.event === "message")).toEqual([]);
  expect(servedAfterMs).toBeLessThan(NEXT_CLIENT_CONTRACT_MS);

  await expectClientChats(server, `${HOST}:${server.port}`);
  expect(server.events.filter((e) => e.event === "message")).toHaveLength(1);
}
