import { describe, expect, test } from "bun:test";
import type { Channel } from "../../src/core/channel.ts";
import { Session, type SessionEvent, type SessionOptions } from "../../src/core/session.ts";
import { FrameType, isRecordFrameType } from "../../src/protocol/constants.ts";
import { encodeU32 } from "../../src/protocol/encoder.ts";
import { IntegrityError } from "../../src/protocol/errors.ts";
import { concat, decodeChunks, decodeText, frameBytes, type PlainFrame, utf8 } from "../helpers/frames.ts";
import { eventsOf } from "../helpers/session-wire.ts";

/**
 * The version-2 session: started by SESSION (or BUSY) once a channel exists, consecutive MSG ids, and a
 * dropped connection that suspends the session until a new one resumes it (protocol-v2 section 3). The
 * channel here is a transparent one, so the frames can be read; the records have tests of their own.
 */

const T0 = 1_000;
const WINDOW = 60_000;

/** A channel that passes bytes through, but fails its integrity check on a chunk starting with 0xEE. */
const clearChannel = (): Channel => ({
  encrypted: true,
  open(chunk, deliver) {
    if (chunk[0] === 0xee) throw new IntegrityError("integrity check failed (corrupted or tampered with)");
    deliver(chunk);
  },
  seal: (frames) => frames,
});

const framesOf = (chunks: Uint8Array[]): PlainFrame[] =>
  decodeChunks(chunks, { maxMessage: 0xffff_ffff, isKnownType: isRecordFrameType });
const framesOut = (session: Session): PlainFrame[] => framesOf(session.takeOutput());
const typesOut = (session: Session): number[] => framesOut(session).map((f) => f.type);

function v2(role: "client" | "server", options: Partial<SessionOptions> = {}, now = T0): Session {
  return new Session({ role, version: 2, maxMessage: 1 << 20, now, resumeWindowMs: WINDOW, ...options });
}

/** Moves everything `from` wrote into `to`; returns the frames moved. */
function flow(from: Session, to: Session, now: number): PlainFrame[] {
  const chunks = from.takeOutput();
  if (chunks.length > 0) to.receive(concat(chunks), now);
  return framesOf(chunks);
}

/** A client and a server whose session is open, events and output drained. */
function openPair(options: Partial<SessionOptions> = {}) {
  const client = v2("client", options);
  const server = v2("server", options);
  server.attach(clearChannel(), T0, 1 << 20);
  client.attach(clearChannel(), T0, 1 << 20);
  flow(server, client, T0);
  expect(client.state).toBe("open");
  client.takeEvents();
  server.takeEvents();
  return { client, server };
}

/** Both sides lose their connection at `now` (each notices it). */
function dropBoth(client: Session, server: Session, now: number): void {
  client.connectionLost("connection closed by peer", now);
  server.connectionLost("connection closed by peer", now);
}

/** Both sides get a new connection at `now` and exchange RESUME; returns their events. */
function resumeBoth(client: Session, server: Session, now: number) {
  server.attach(clearChannel(), now, 1 << 20);
  client.attach(clearChannel(), now, 1 << 20);
  // Each side's first frame on the new connection is its RESUME, sent without waiting for the other's.
  const fromServer = flow(server, client, now);
  const fromClient = flow(client, server, now);
  expect(fromServer[0]?.type).toBe(FrameType.RESUME);
  expect(fromClient[0]?.type).toBe(FrameType.RESUME);
  return { client: client.takeEvents(), server: server.takeEvents() };
}

const texts = (events: SessionEvent[]) => eventsOf(events, "message").map((e) => decodeText(e.payload));

describe("version 2: how a session starts", () => {
  test("the server's first frame is SESSION with its resume window; it is open at once", () => {
    const server = v2("server", { resumeWindowMs: 45_000 });
    expect(server.takeOutput()).toEqual([]); // nothing before a channel exists
    server.attach(clearChannel(), T0, 4096);
    expect(framesOut(server)).toEqual([{ type: FrameType.SESSION, id: 0, payload: [...encodeU32(45_000)] }]);
    expect(server.state).toBe("open");
    expect(server.takeEvents()).toEqual([{ type: "open", peerMaxMessage: 4096, resumeWindowMs: 45_000 }]);
    expect(server.encrypted).toBe(true);
  });

  test("the client waits for SESSION, learns the window from it, and cannot send before", () => {
    const client = v2("client");
    client.attach(clearChannel(), T0, 2048);
    expect(client.state).toBe("handshake");
    expect(client.send(utf8("too early"), T0)).toEqual({ ok: false, error: "not connected" });
    client.receive(frameBytes(FrameType.SESSION, 0, encodeU32(12_345)), T0 + 1);
    expect(client.takeEvents()).toEqual([{ type: "open", peerMaxMessage: 2048, resumeWindowMs: 12_345 }]);
    expect(client.resumeWindow).toBe(12_345);
  });

  test("BUSY instead of SESSION ends the client's session as busy, with the server's reason", () => {
    const client = v2("client");
    client.attach(clearChannel(), T0, 2048);
    client.receive(frameBytes(FrameType.BUSY, 0, utf8("a session is waiting (12 s left)")), T0 + 1);
    expect(eventsOf(client.takeEvents(), "closed")).toEqual([
      { type: "closed", kind: "busy", reason: "a session is waiting (12 s left)" },
    ]);
  });

  test("any other first frame is a protocol error", () => {
    const client = v2("client");
    client.attach(clearChannel(), T0, 2048);
    client.receive(frameBytes(FrameType.MSG, 1, utf8("hi")), T0 + 1);
    const closed = eventsOf(client.takeEvents(), "closed");
    expect(closed).toEqual([
      { type: "closed", kind: "protocol-error", reason: expect.stringContaining("MSG before SESSION") },
    ]);
    expect(typesOut(client)).toEqual([FrameType.ERROR]);
  });

  test("a HELLO inside the records is a protocol error: the handshake is over", () => {
    const client = v2("client");
    client.attach(clearChannel(), T0, 2048);
    client.receive(frameBytes(FrameType.HELLO, 0, new Uint8Array(12)), T0 + 1);
    expect(eventsOf(client.takeEvents(), "closed")[0]?.reason).toBe("unknown frame type 0x01");
  });

  test("a client that gets no SESSION within 10 s gives up (handshake-timeout)", () => {
    const client = v2("client");
    client.attach(clearChannel(), T0, 2048);
    expect(client.deadline()).toBe(T0 + 10_000);
    client.tick(T0 + 9_999);
    expect(client.state).toBe("handshake");
    client.tick(T0 + 10_000);
    expect(eventsOf(client.takeEvents(), "closed")).toEqual([
      { type: "closed", kind: "handshake-timeout", reason: "no SESSION within 10 s" },
    ]);
  });
});

describe("version 2: message ids arrive consecutive", () => {
  test("1, 2, 3 are delivered and acknowledged", () => {
    const { client, server } = openPair();
    for (const text of ["one", "two", "three"]) client.send(utf8(text), T0 + 1);
    flow(client, server, T0 + 2);
    expect(texts(server.takeEvents())).toEqual(["one", "two", "three"]);
    flow(server, client, T0 + 3);
    expect(eventsOf(client.takeEvents(), "ack").map((e) => e.id)).toEqual([1, 2, 3]);
  });

  test("a gap (1 then 3) or a repeat (1 then 1) is a protocol error; nothing after it is delivered", () => {
    for (const [first, second] of [
      [1, 3],
      [1, 1],
    ] as const) {
      const { server } = openPair();
      server.receive(
        concat([frameBytes(FrameType.MSG, first, utf8("a")), frameBytes(FrameType.MSG, second, utf8("b"))]),
        T0 + 1,
      );
      const events = server.takeEvents();
      expect(texts(events)).toEqual(["a"]);
      expect(eventsOf(events, "closed")[0]?.reason).toBe(`MSG id ${second} is out of order: expected 2`);
    }
  });
});

describe("version 2: a dropped connection suspends the session", () => {
  test("the drop is reported with the window left; nothing is written; sending queues with ids", () => {
    const { client, server } = openPair();
    client.send(utf8("before"), T0 + 1);
    client.takeOutput(); // written to the connection that is about to die
    client.connectionLost("connection closed by peer", T0 + 100);
    expect(client.state).toBe("suspended");
    expect(client.attached).toBe(false);
    expect(client.takeEvents()).toEqual([
      { type: "suspended", reason: "connection closed by peer", windowMs: WINDOW },
    ]);
    expect(client.send(utf8("during"), T0 + 200)).toEqual({ ok: true, id: 2 });
    expect(client.takeOutput()).toEqual([]);
    expect(client.unackedCount).toBe(2);
    expect(client.queuedBytes).toBe(6);
    expect(client.deadline()).toBe(T0 + 100 + WINDOW);
    server.connectionLost("connection closed by peer", T0 + 300);
    expect(eventsOf(server.takeEvents(), "suspended")).toHaveLength(1);
  });

  test("when the window passes, the session ends as lost, listing sent and queued messages", () => {
    const { client } = openPair();
    client.send(utf8("sent"), T0 + 1);
    client.connectionLost("connection closed by peer", T0 + 10);
    client.send(utf8("queued"), T0 + 20);
    client.takeEvents();
    client.tick(T0 + 10 + WINDOW - 1);
    expect(client.state).toBe("suspended");
    client.tick(T0 + 10 + WINDOW);
    expect(client.takeEvents()).toEqual([
      { type: "closed", kind: "lost", reason: "the connection dropped and did not come back within 60 s" },
    ]);
    expect(client.unacked().map((m) => decodeText(m.payload))).toEqual(["sent", "queued"]);
  });

  test("a peer silent past dead-after is a drop too: no BYE, the connection let go", () => {
    const { client } = openPair({ pingIntervalMs: 1_000, deadAfterMs: 3_000 });
    client.tick(T0 + 3_000);
    expect(client.state).toBe("suspended");
    expect(client.attached).toBe(false);
    expect(client.takeOutput()).toEqual([]);
    expect(eventsOf(client.takeEvents(), "suspended")[0]?.reason).toBe("nothing received for 3 s");
  });

  test("a record that fails its integrity check is a drop: nothing of it is delivered", () => {
    const { client, server } = openPair();
    client.send(utf8("fine"), T0 + 1);
    flow(client, server, T0 + 1);
    server.receive(concat([new Uint8Array([0xee]), frameBytes(FrameType.MSG, 2, utf8("forged"))]), T0 + 2);
    const events = server.takeEvents();
    expect(texts(events)).toEqual(["fine"]);
    expect(eventsOf(events, "suspended")).toEqual([
      { type: "suspended", reason: "integrity check failed (corrupted or tampered with)", windowMs: WINDOW },
    ]);
  });

  test("with no resume window (0) the session ends as before: lost, timeout with BYE, or integrity", () => {
    const lost = openPair({ resumeWindowMs: 0 });
    // The client learns the window from SESSION: 0 for both.
    expect(lost.client.resumeWindow).toBe(0);
    lost.client.connectionLost("connection closed by peer", T0 + 1);
    expect(eventsOf(lost.client.takeEvents(), "closed")[0]?.kind).toBe("lost");

    const silent = openPair({ resumeWindowMs: 0, pingIntervalMs: 1_000, deadAfterMs: 3_000 });
    silent.server.tick(T0 + 3_000);
    expect(typesOut(silent.server)).toEqual([FrameType.BYE]);
    expect(eventsOf(silent.server.takeEvents(), "closed")[0]?.kind).toBe("timeout");

    const forged = openPair({ resumeWindowMs: 0 });
    forged.server.receive(new Uint8Array([0xee, 1, 2]), T0 + 1);
    expect(eventsOf(forged.server.takeEvents(), "closed")).toEqual([
      { type: "closed", kind: "integrity", reason: "integrity check failed (corrupted or tampered with)" },
    ]);
  });

  test("a client whose connection drops before SESSION has nothing to resume: it ends", () => {
    const client = v2("client");
    client.attach(clearChannel(), T0, 2048);
    client.connectionLost("connection closed by peer", T0 + 1);
    expect(eventsOf(client.takeEvents(), "closed")[0]?.kind).toBe("lost");
  });

  test("/quit while suspended ends the session for good, without a word on the wire", () => {
    const { client } = openPair();
    client.connectionLost("connection closed by peer", T0 + 1);
    client.takeEvents();
    client.close();
    expect(client.takeOutput()).toEqual([]);
    expect(client.takeEvents()).toEqual([{ type: "closed", kind: "bye", reason: "closed" }]);
  });
});

describe("version 2: RESUME", () => {
  test("nothing lost: each side resends exactly what the other did not deliver, with the same ids", () => {
    const { client, server } = openPair();
    client.send(utf8("c1"), T0 + 1);
    client.send(utf8("c2"), T0 + 1);
    server.send(utf8("s1"), T0 + 1);
    flow(client, server, T0 + 2); // c1, c2 delivered; their ACKs never arrive
    expect(texts(server.takeEvents())).toEqual(["c1", "c2"]);
    server.takeOutput(); // the ACKs and s1, lost with the connection
    client.send(utf8("c3"), T0 + 3);
    client.takeOutput(); // c3 written, lost
    dropBoth(client, server, T0 + 10);
    client.send(utf8("c4 queued"), T0 + 20);
    client.takeEvents();
    server.takeEvents();

    const events = resumeBoth(client, server, T0 + 4_210);
    // The client learns from the server's RESUME (last delivered: 2) that c1 and c2 arrived.
    expect(eventsOf(events.client, "ack")).toEqual([
      { type: "ack", id: 1, bytes: 2, rttMs: null, deliveredAfterMs: null },
      { type: "ack", id: 2, bytes: 2, rttMs: null, deliveredAfterMs: null },
    ]);
    expect(eventsOf(events.client, "resumed")).toEqual([{ type: "resumed", afterMs: 4_200, resent: 1 }]);
    expect(eventsOf(events.server, "resumed")).toEqual([{ type: "resumed", afterMs: 4_200, resent: 1 }]);
    // The resent and queued messages follow the RESUME, in order, with their ids; the server gets each once.
    expect(texts(events.server)).toEqual(["c3", "c4 queued"]);
    expect(eventsOf(events.server, "message").map((e) => e.id)).toEqual([3, 4]);
    flow(server, client, T0 + 4_220);
    const after = client.takeEvents();
    expect(texts(after)).toEqual(["s1"]);
    // Their round trips count from the resend; how long each took in all, from when it was given, is said
    // beside: c3 was given at +3, c4 at +20, both acknowledged at +4,220.
    expect(eventsOf(after, "ack").map((e) => [e.id, e.rttMs, e.deliveredAfterMs])).toEqual([
      [3, 10, 4_217],
      [4, 10, 4_200],
    ]);
    expect(client.unackedCount).toBe(0);
    expect(client.queuedBytes).toBe(0);
    // A message sent at once, after all that, has only its round trip.
    client.send(utf8("c5"), T0 + 5_000);
    flow(client, server, T0 + 5_002);
    flow(server, client, T0 + 5_004);
    expect(eventsOf(client.takeEvents(), "ack").map((e) => [e.id, e.rttMs, e.deliveredAfterMs])).toEqual([
      [5, 4, null],
    ]);
  });

  test("a drop during the resume keeps the window counted from the first drop; no second report", () => {
    const { client, server } = openPair();
    dropBoth(client, server, T0 + 100);
    client.takeEvents();
    client.attach(clearChannel(), T0 + 5_000, 1 << 20);
    expect(client.state).toBe("handshake");
    client.connectionLost("connection closed by peer", T0 + 5_001);
    expect(client.state).toBe("suspended");
    expect(client.takeEvents()).toEqual([]);
    expect(client.deadline()).toBe(T0 + 100 + WINDOW);
  });

  test("a RESUME that does not come within 10 s of the new connection is another drop, not the end", () => {
    const { client, server } = openPair();
    dropBoth(client, server, T0);
    client.attach(clearChannel(), T0 + 1_000, 1 << 20);
    client.tick(T0 + 11_000);
    expect(client.state).toBe("suspended");
    expect(client.attached).toBe(false);
  });

  test("messages sent while the RESUME exchange is under way wait for the peer's RESUME", () => {
    const { client, server } = openPair();
    dropBoth(client, server, T0);
    client.attach(clearChannel(), T0 + 10, 1 << 20);
    expect(client.send(utf8("waits"), T0 + 11)).toEqual({ ok: true, id: 1 });
    expect(typesOut(client)).toEqual([FrameType.RESUME]);
    client.receive(frameBytes(FrameType.RESUME, 0, encodeU32(0)), T0 + 12);
    expect(framesOut(client)).toEqual([{ type: FrameType.MSG, id: 1, payload: [...utf8("waits")] }]);
  });

  test("a RESUME naming a message this side never sent is a protocol error", () => {
    const { client, server } = openPair();
    client.send(utf8("one"), T0);
    dropBoth(client, server, T0 + 1);
    client.attach(clearChannel(), T0 + 2, 1 << 20);
    client.takeOutput();
    client.receive(frameBytes(FrameType.RESUME, 0, encodeU32(7)), T0 + 3);
    expect(eventsOf(client.takeEvents(), "closed")).toEqual([
      {
        type: "closed",
        kind: "protocol-error",
        reason: "RESUME names message 7, which this side never sent",
      },
    ]);
  });

  test("a RESUME naming a message that was only queued (never sent) is a protocol error too", () => {
    const { client, server } = openPair();
    dropBoth(client, server, T0);
    client.send(utf8("queued"), T0 + 1);
    client.attach(clearChannel(), T0 + 2, 1 << 20);
    client.receive(frameBytes(FrameType.RESUME, 0, encodeU32(1)), T0 + 3);
    expect(eventsOf(client.takeEvents(), "closed")[0]?.kind).toBe("protocol-error");
  });

  test("the ids go on consecutively across resumes, on both sides", () => {
    const { client, server } = openPair();
    const delivered: string[] = [];
    for (let round = 0; round < 3; round++) {
      const now = T0 + round * 1_000;
      client.send(utf8(`r${round}a`), now);
      client.send(utf8(`r${round}b`), now);
      flow(client, server, now + 1);
      delivered.push(...texts(server.takeEvents()));
      flow(server, client, now + 2);
      dropBoth(client, server, now + 3);
      resumeBoth(client, server, now + 4);
    }
    expect(delivered).toEqual(["r0a", "r0b", "r1a", "r1b", "r2a", "r2b"]);
    expect(client.unackedCount).toBe(0);
  });
});
