import { expect, test } from "bun:test";
import { Session, type SessionEvent } from "../../src/core/session.ts";
import { FrameType, frameTypeName, isRecordFrameType } from "../../src/protocol/constants.ts";
import { concat, decodeChunks, decodeText, frameBytes, type PlainFrame } from "../helpers/frames.ts";
import { transparentChannel } from "../helpers/session-wire.ts";

/**
 * docs/protocol.md, "Version 2: a worked example of a resume", replayed on a client and a server Session:
 * every frame on the wire and every event the document shows, at the times it shows them. The channel is
 * a transparent one (the records' encryption has tests of its own), so the frames can be read and some of
 * them lost on purpose, as the example loses them.
 */

const newSession = (role: "client" | "server") =>
  new Session({ role, version: 2, maxMessage: 1 << 20, now: 0, resumeWindowMs: 60_000 });

/** A frame as the document writes it: `MSG 3 "three"`, `ACK 2`, `RESUME last_delivered=1`. */
function show(frame: PlainFrame): string {
  const name = frameTypeName(frame.type as FrameType);
  const payload = Uint8Array.from(frame.payload);
  switch (frame.type) {
    case FrameType.MSG:
      return `MSG ${frame.id} "${decodeText(payload)}"`;
    case FrameType.ACK:
      return `ACK ${frame.id}`;
    case FrameType.RESUME:
    case FrameType.SESSION:
      return `${name} ${new DataView(payload.buffer).getUint32(0)}`;
    default:
      return `${name} ${frame.id}`;
  }
}

const wire = (chunks: Uint8Array[]) =>
  decodeChunks(chunks, { maxMessage: 1 << 20, isKnownType: isRecordFrameType }).map(show);

/** Events as the document writes them (the JSON events' contents, without the JSON). */
function events(session: Session): string[] {
  return session.takeEvents().map((event: SessionEvent) => {
    switch (event.type) {
      case "message":
        return `message ${event.id} "${decodeText(event.payload)}"`;
      case "ack":
        return event.rttMs === null ? `ack ${event.id} before_drop` : `ack ${event.id} rtt ${event.rttMs} ms`;
      case "suspended":
        return `connection-lost window ${event.windowMs} ms`;
      case "resumed":
        return `resumed after ${event.afterMs} ms, resent ${event.resent}`;
      case "open":
        return `open window ${event.resumeWindowMs} ms`;
      default:
        return `closed ${event.kind}`;
    }
  });
}

/** Takes `from`'s output, hands the frames listed in `keep` (by their shown form) to `to`, drops the rest. */
function deliver(from: Session, to: Session | null, now: number, keep?: string[]): string[] {
  const chunks = from.takeOutput();
  const shown = wire(chunks);
  if (to && chunks.length > 0) {
    if (keep === undefined) to.receive(concat(chunks), now);
    else {
      const frames = decodeChunks(chunks, { maxMessage: 1 << 20, isKnownType: isRecordFrameType });
      const kept = frames.filter((frame) => keep.includes(show(frame)));
      to.receive(concat(kept.map((f) => frameBytes(f.type, f.id, Uint8Array.from(f.payload)))), now);
    }
  }
  return shown;
}

/** Both sides write what they have at once, and each gets the other's: what crossed, each way. */
function exchange(client: Session, server: Session, now: number): { client: string[]; server: string[] } {
  const fromClient = client.takeOutput();
  const fromServer = server.takeOutput();
  if (fromClient.length > 0) server.receive(concat(fromClient), now);
  if (fromServer.length > 0) client.receive(concat(fromServer), now);
  return { client: wire(fromClient), server: wire(fromServer) };
}

const text = (s: string) => new TextEncoder().encode(s);

test("the worked example of a resume in docs/protocol.md", () => {
  const client = newSession("client");
  const server = newSession("server");

  // t = 0: the session opens (SESSION with the server's window).
  server.attach(transparentChannel(), 0, 1 << 20);
  client.attach(transparentChannel(), 0, 1 << 20);
  expect(deliver(server, client, 0)).toEqual(["SESSION 60000"]);
  expect(events(client)).toEqual(["open window 60000 ms"]);
  events(server);

  // t = 10: the client sends "one" and "two"; both are delivered at 12; only ACK 1 gets back (at 14).
  client.send(text("one"), 10);
  client.send(text("two"), 10);
  expect(deliver(client, server, 12)).toEqual(['MSG 1 "one"', 'MSG 2 "two"']);
  expect(events(server)).toEqual(['message 1 "one"', 'message 2 "two"']);
  expect(deliver(server, client, 14, ["ACK 1"])).toEqual(["ACK 1", "ACK 2"]);
  expect(events(client)).toEqual(["ack 1 rtt 4 ms"]);

  // t = 20: the server sends "uno", delivered at 22; the client's ACK 1 is lost.
  server.send(text("uno"), 20);
  expect(deliver(server, client, 22)).toEqual(['MSG 1 "uno"']);
  expect(events(client)).toEqual(['message 1 "uno"']);
  expect(deliver(client, null, 22)).toEqual(["ACK 1"]);

  // t = 30, 40: "dos" from the server and "three" from the client are written, and lost.
  server.send(text("dos"), 30);
  expect(deliver(server, null, 30)).toEqual(['MSG 2 "dos"']);
  client.send(text("three"), 40);
  expect(deliver(client, null, 40)).toEqual(['MSG 3 "three"']);

  // t = 50: the connection is reset; both sides notice and suspend the session.
  client.connectionLost("connection reset", 50);
  server.connectionLost("connection reset", 50);
  expect(events(client)).toEqual(["connection-lost window 60000 ms"]);
  expect(events(server)).toEqual(["connection-lost window 60000 ms"]);

  // t = 100: both users type on; the messages get their ids and wait.
  expect(client.send(text("four"), 100)).toEqual({ ok: true, id: 4 });
  expect(server.send(text("tres"), 100)).toEqual({ ok: true, id: 3 });
  expect(client.takeOutput()).toEqual([]);
  expect(server.takeOutput()).toEqual([]);

  // t = 300: the client's new connection is up (mode-1 handshake); each side's first frame is its RESUME.
  server.attach(transparentChannel(), 300, 1 << 20);
  client.attach(transparentChannel(), 300, 1 << 20);
  // t = 302: each gets the other's RESUME: settles what the peer has, resends the rest, then the queue.
  expect(exchange(client, server, 302)).toEqual({ client: ["RESUME 1"], server: ["RESUME 2"] });
  expect(events(server)).toEqual(["ack 1 before_drop", "resumed after 252 ms, resent 1"]);
  expect(events(client)).toEqual(["ack 2 before_drop", "resumed after 252 ms, resent 1"]);

  // t = 304: the resent and queued messages arrive, each once, in order; their ACKs go back.
  expect(exchange(client, server, 304)).toEqual({
    client: ['MSG 3 "three"', 'MSG 4 "four"'],
    server: ['MSG 2 "dos"', 'MSG 3 "tres"'],
  });
  expect(events(server)).toEqual(['message 3 "three"', 'message 4 "four"']);
  expect(events(client)).toEqual(['message 2 "dos"', 'message 3 "tres"']);

  // t = 306: the ACKs; a resent message's round trip counts from its resend (302).
  expect(exchange(client, server, 306)).toEqual({ client: ["ACK 2", "ACK 3"], server: ["ACK 3", "ACK 4"] });
  expect(events(client)).toEqual(["ack 3 rtt 4 ms", "ack 4 rtt 4 ms"]);
  expect(events(server)).toEqual(["ack 2 rtt 4 ms", "ack 3 rtt 4 ms"]);

  // Every message once, in order, on both sides; nothing left to acknowledge.
  expect(client.unackedCount).toBe(0);
  expect(server.unackedCount).toBe(0);
  expect(client.stats()).toMatchObject({ sent: 4, acked: 4, received: 3 });
  expect(server.stats()).toMatchObject({ sent: 3, acked: 3, received: 4 });
});
