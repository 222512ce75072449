import { FrameType } from "../../../src/protocol/constants.ts";
import { encodeFrame } from "../../../src/protocol/encoder.ts";
import { RawPeer } from "../../helpers/frame-peer.ts";
import type { JsonProgram } from "../../helpers/program.ts";

/**
 * How long the server takes to serve a new client once the previous session's end has been reported:
 * the time from `reportedAt` until a raw client's HELLO is answered with HELLO (not BUSY). A raw client in
 * the test process measures the server alone, not the start-up of another process. It then says goodbye and
 * the function waits for the server to report that, so the slot is free again for the caller.
 */
export async function msUntilNextClientServed(
  server: JsonProgram,
  host: string,
  port: number,
  reportedAt: number,
): Promise<number> {
  const endsBefore = server.events.filter((e) => e.event === "disconnected").length;
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
