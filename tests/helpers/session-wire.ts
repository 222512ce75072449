/**
 * A tiny in-memory "wire" for Session tests: two sans-I/O sessions connected back to back by moving what one
 * side's takeOutput() returns into the other side's receive(), with a clock the test sets by hand.
 */
import { type Channel, PLAIN_CHANNEL } from "../../src/core/channel.ts";
import { Session, type SessionEvent, type SessionOptions } from "../../src/core/session.ts";
import { concat } from "./frames.ts";

export type SideOptions = Partial<Omit<SessionOptions, "role" | "now">>;

export const T0 = 1_000;

/**
 * A version-2 channel that passes the frames through as they are: the records' sealing has tests of its own,
 * and this way a session test can read, cut and lose frames on the wire.
 */
export const transparentChannel = (): Channel => ({ ...PLAIN_CHANNEL, encrypted: true });

export function clientSession(options: SideOptions = {}, now = T0): Session {
  return new Session({ role: "client", maxMessage: 1024, ...options, now });
}

export function serverSession(options: SideOptions = {}, now = T0): Session {
  return new Session({ role: "server", maxMessage: 1024, ...options, now });
}

/** Everything `from` has to write, as one byte array (empty when it has nothing). */
export const outputOf = (from: Session): Uint8Array => concat(from.takeOutput());

/** Moves everything `from` has to write into `to`, as one chunk. Returns the number of bytes moved. */
export function flow(from: Session, to: Session, now: number): number {
  const bytes = outputOf(from);
  if (bytes.length > 0) to.receive(bytes, now);
  return bytes.length;
}

/** A client and a server that completed their handshake at `now`; their events and output are drained. */
export function openPair(
  options: { client?: SideOptions; server?: SideOptions } = {},
  now = T0,
): { client: Session; server: Session } {
  const client = clientSession(options.client, now);
  const server = serverSession(options.server, now);
  flow(client, server, now);
  flow(server, client, now);
  if (client.state !== "open" || server.state !== "open") throw new Error("handshake did not complete");
  client.takeEvents();
  server.takeEvents();
  return { client, server };
}

/** The events of one kind, with the others dropped. */
export function eventsOf<K extends SessionEvent["type"]>(
  events: readonly SessionEvent[],
  type: K,
): Extract<SessionEvent, { type: K }>[] {
  return events.filter((e): e is Extract<SessionEvent, { type: K }> => e.type === type);
}
