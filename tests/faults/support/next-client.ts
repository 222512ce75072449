import { FrameType } from "../../../src/protocol/constants.ts";
import { encodeFrame } from "../../../src/protocol/encoder.ts";
import { RawPeer } from "../../helpers/frame-peer.ts";
import { type JsonProgram, TEST_CODE } from "../../helpers/program.ts";
import { SecurePeer } from "../../helpers/secure-peer.ts";

/** How the next client speaks: version 1 (a server run with --no-encryption), or version 2 with a code. */
export type NextClient = { version: 1 } | { version: 2; code?: string };

/**
 * How long the server takes to serve a new client once the previous session's end has been reported:
 * the time from `reportedAt` until a raw client is served. A raw client in the test process measures the
 * server alone, not the start-up of another process. Version 1: its HELLO is answered with HELLO (not BUSY).
 * Version 2 (the code defaults to the tests' code): its handshake completes and the server's first record is
 * SESSION (not BUSY); that includes the handshake's curve work, about a millisecond on each side. The client
 * then says goodbye and the function waits for the server to report that, so the slot is free again.
 */
export async function msUntilNextClientServed(
  server: JsonProgram,
  host: string,
  port: number,
  reportedAt: number,
  client: NextClient = { version: 2 },
): Promise<number> {
  const endsBefore = server.events.filter((e) => e.event === "disconnected").length;
  if (client.version === 1) {
    const peer = await RawPeer.handshake(host, port);
    const servedAfterMs = performance.now() - reportedAt;
    try {
      await peer.write(encodeFrame(FrameType.BYE, 0));
      peer.end();
      await server.waitForCount((e) => e.event === "disconnected", endsBefore + 1);
    } finally {
      peer.destroy();
    }
    return servedAfterMs;
  }
  const peer = await SecurePeer.open(host, port, client.code ?? TEST_CODE);
  try {
    const first = await peer.waitForFrame(() => true);
    const servedAfterMs = performance.now() - reportedAt;
    if (first.type !== FrameType.SESSION) {
      throw new Error(
        `the next client was not served: its first frame is of type ${first.type}, not SESSION`,
      );
    }
    await peer.send(FrameType.BYE, 0);
    peer.end();
    await server.waitForCount((e) => e.event === "disconnected", endsBefore + 1);
    return servedAfterMs;
  } finally {
    peer.destroy();
  }
}
