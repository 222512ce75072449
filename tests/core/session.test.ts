import { describe, expect, test } from "bun:test";
import { Session } from "../../src/core/session.ts";
import { ByteParts, flat } from "../../src/protocol/bytes.ts";
import { FrameType, MAX_U32 } from "../../src/protocol/constants.ts";
import {
  concat,
  decodeOutput,
  decodeText,
  frameBytes,
  helloFrame,
  helloPayload,
  type PlainFrame,
  rawFrame,
  utf8,
} from "../helpers/frames.ts";
import {
  clientSession,
  eventsOf,
  flow,
  openPair,
  outputOf,
  serverSession,
  T0,
} from "../helpers/session-wire.ts";

/** The frames a session has written since the last call. */
const framesOut = (session: Session): PlainFrame[] => decodeOutput(session.takeOutput());

/** The one frame a session has written; fails if it wrote none or several. */
function onlyFrame(session: Session): PlainFrame {
  const frames = framesOut(session);
  expect(frames.length).toBe(1);
  return frames[0] as PlainFrame;
}

/** Feeds a server a hand-built byte stream and returns the ERROR text it answered with. */
function serverErrorFor(bytes: Uint8Array): string {
  let admitAsked = false;
  const server = serverSession({
    admit: () => {
      admitAsked = true;
      return true;
    },
  });
  server.receive(bytes, T0 + 1);
  const frame = onlyFrame(server);
  expect(frame.type).toBe(FrameType.ERROR);
  expect(server.state).toBe("closed");
  const closed = eventsOf(server.takeEvents(), "closed");
  expect(closed).toEqual([{ type: "closed", kind: "protocol-error", reason: decodeText(frame.payload) }]);
  expect(admitAsked).toBe(false); // a refused handshake never claims the session slot
  return decodeText(frame.payload);
}

describe("Session handshake", () => {
  test("the client speaks first: its HELLO carries its max_message", () => {
    const client = clientSession({ maxMessage: 4096 });
    expect(client.state).toBe("handshake");
    expect(onlyFrame(client)).toEqual({
      type: FrameType.HELLO,
      id: 0,
      payload: Array.from(helloPayload(4096)),
    });
  });

  test("the server says nothing until it has the client's HELLO", () => {
    const server = serverSession();
    expect(server.takeOutput()).toEqual([]);
    server.tick(T0 + 5_000);
    expect(server.takeOutput()).toEqual([]);
    expect(server.state).toBe("handshake");
  });

  test("the server answers HELLO with its own max_message; both sides open and learn the other's limit", () => {
    const client = clientSession({ maxMessage: 111 });
    const server = serverSession({ maxMessage: 222 });
    server.receive(outputOf(client), T0 + 1);
    expect(server.state).toBe("open");
    expect(server.takeEvents()).toEqual([{ type: "open", peerMaxMessage: 111 }]);
    expect(server.peerMaxMessage).toBe(111);

    const answer = outputOf(server);
    expect(decodeOutput([answer])).toEqual([
      { type: FrameType.HELLO, id: 0, payload: Array.from(helloPayload(222)) },
    ]);
    client.receive(answer, T0 + 2);
    expect(client.state).toBe("open");
    expect(client.takeEvents()).toEqual([{ type: "open", peerMaxMessage: 222 }]);
    expect(client.peerMaxMessage).toBe(222);
  });

  test("admit() is asked once the HELLO is valid; false answers BUSY with the reason and closes", () => {
    let asked = 0;
    const server = serverSession({
      admit: () => {
        asked++;
        return false; // the one session slot is taken
      },
      busyReason: "someone else is here",
    });
    const client = clientSession();
    flow(client, server, T0 + 1);
    expect(asked).toBe(1);
    expect(server.state).toBe("closed");
    expect(server.takeEvents()).toEqual([{ type: "closed", kind: "busy", reason: "someone else is here" }]);

    const busy = outputOf(server);
    expect(decodeOutput([busy])).toEqual([
      { type: FrameType.BUSY, id: 0, payload: Array.from(utf8("someone else is here")) },
    ]);
    client.receive(busy, T0 + 2);
    expect(client.state).toBe("closed");
    expect(client.takeEvents()).toEqual([{ type: "closed", kind: "busy", reason: "someone else is here" }]);
  });

  test("hasOpened: false for a session that ended in its handshake (nothing to sum up), true once open, for good", () => {
    const server = serverSession({ admit: () => false });
    const refused = clientSession();
    flow(refused, server, T0 + 1);
    flow(server, refused, T0 + 2);
    expect(refused.state).toBe("closed");
    expect([refused.hasOpened, server.hasOpened]).toEqual([false, false]);

    const { client, server: other } = openPair();
    expect([client.hasOpened, other.hasOpened]).toEqual([true, true]);
    client.close();
    flow(client, other, T0 + 4);
    expect(other.state).toBe("closed");
    expect([client.hasOpened, other.hasOpened]).toEqual([true, true]);
  });

  test("a client told BUSY with no reason still says why it ended", () => {
    const client = clientSession();
    client.receive(frameBytes(FrameType.BUSY, 0), T0 + 1);
    expect(client.takeEvents()).toEqual([{ type: "closed", kind: "busy", reason: "the server is busy" }]);
  });

  test("admit() true lets the client in", () => {
    const server = serverSession({ admit: () => true });
    server.receive(helloFrame(50), T0);
    expect(server.state).toBe("open");
    expect(onlyFrame(server).type).toBe(FrameType.HELLO);
  });

  test("a HELLO with a wrong magic is answered ERROR 'unsupported protocol ...'", () => {
    const text = serverErrorFor(helloFrame(1024, { magic: utf8("122chat") }));
    expect(text).toStartWith("unsupported protocol");
    expect(text).toContain("this side speaks 1");
  });

  test("a HELLO with another version is answered with both versions named", () => {
    expect(serverErrorFor(helloFrame(1024, { version: 3 }))).toBe(
      "unsupported protocol version 3, this side speaks 1",
    );
    expect(serverErrorFor(helloFrame(1024, { version: 2 }))).toContain("--no-encryption on both sides");
  });

  test("a HELLO shorter than 12 bytes is malformed", () => {
    const short = frameBytes(FrameType.HELLO, 0, helloPayload(1024).subarray(0, 8));
    expect(serverErrorFor(short)).toBe("malformed HELLO: 8 bytes, expected at least 12");
  });

  test("a HELLO with bytes after the first 12 is accepted", () => {
    const server = serverSession();
    server.receive(helloFrame(77, { extra: utf8("later versions may say more") }), T0);
    expect(server.takeEvents()).toEqual([{ type: "open", peerMaxMessage: 77 }]);
  });

  test("any frame before HELLO is refused", () => {
    expect(serverErrorFor(frameBytes(FrameType.MSG, 1, utf8("hi")))).toBe(
      "MSG before HELLO: the first frame must be HELLO",
    );
    expect(serverErrorFor(frameBytes(FrameType.BYE, 0))).toBe(
      "BYE before HELLO: the first frame must be HELLO",
    );
  });

  test("an HTTP request is refused as an unknown frame type", () => {
    expect(serverErrorFor(utf8("GET / HTTP/1.1\r\nHost: x\r\n\r\n"))).toBe("unknown frame type 0x47");
  });

  test("a client refuses a MSG before the server's HELLO", () => {
    const client = clientSession();
    client.takeOutput();
    client.receive(frameBytes(FrameType.MSG, 1, utf8("early")), T0 + 1);
    expect(decodeText(onlyFrame(client).payload)).toBe(
      "MSG before HELLO: the first frame must be HELLO or BUSY or ERROR",
    );
    expect(eventsOf(client.takeEvents(), "message")).toEqual([]);
  });

  test("a client told ERROR during the handshake ends with the server's reason", () => {
    const client = clientSession();
    client.takeOutput();
    client.receive(
      frameBytes(FrameType.ERROR, 0, utf8("unsupported protocol version 1, this side speaks 2")),
      T0,
    );
    expect(client.takeEvents()).toEqual([
      { type: "closed", kind: "peer-error", reason: "unsupported protocol version 1, this side speaks 2" },
    ]);
    expect(client.takeOutput()).toEqual([]); // an ERROR is not answered
  });

  test("a second HELLO after the handshake is a protocol error", () => {
    const { client, server } = openPair();
    server.receive(helloFrame(1024), T0 + 5);
    const answer = outputOf(server);
    expect(decodeOutput([answer])).toEqual([
      { type: FrameType.ERROR, id: 0, payload: Array.from(utf8("unexpected HELLO after the handshake")) },
    ]);
    expect(server.takeEvents()).toEqual([
      { type: "closed", kind: "protocol-error", reason: "unexpected HELLO after the handshake" },
    ]);
    // The client, told so, ends as well.
    client.receive(answer, T0 + 6);
    expect(client.takeEvents()).toEqual([
      { type: "closed", kind: "peer-error", reason: "unexpected HELLO after the handshake" },
    ]);
  });

  test("BUSY after the handshake is a protocol error", () => {
    const { client } = openPair();
    client.receive(frameBytes(FrameType.BUSY, 0, utf8("?")), T0 + 5);
    expect(decodeText(onlyFrame(client).payload)).toBe("unexpected BUSY after the handshake");
  });

  test("the HELLO and the first messages may arrive in the same chunk", () => {
    const server = serverSession();
    server.receive(concat([helloFrame(1024), frameBytes(FrameType.MSG, 1, utf8("one"))]), T0);
    expect(server.takeEvents().map((e) => e.type)).toEqual(["open", "message"]);
    expect(framesOut(server).map((f) => f.type)).toEqual([FrameType.HELLO, FrameType.ACK]);
  });

  test("a server closed during the handshake sends no frame the client would refuse", () => {
    // Regression: it used to send BYE, which a client may not receive before HELLO (it answered ERROR).
    const client = clientSession();
    const server = serverSession();
    server.close("shutting down");
    expect(server.takeEvents()).toEqual([{ type: "closed", kind: "bye", reason: "shutting down" }]);
    flow(server, client, T0 + 1);
    expect(client.takeOutput().length).toBe(1); // only its own HELLO: no ERROR
    expect(client.state).toBe("handshake");
  });

  test("a client closed during the handshake says BYE after its HELLO", () => {
    const client = clientSession();
    client.close("changed my mind");
    expect(framesOut(client).map((f) => f.type)).toEqual([FrameType.HELLO, FrameType.BYE]);
  });
});

describe("Session messages and acknowledgements", () => {
  test("message ids count 1, 2, 3 in each direction independently", () => {
    const { client, server } = openPair();
    expect([1, 2, 3].map(() => client.send(utf8("c"), T0))).toEqual([
      { ok: true, id: 1 },
      { ok: true, id: 2 },
      { ok: true, id: 3 },
    ]);
    expect([1, 2].map(() => server.send(utf8("s"), T0))).toEqual([
      { ok: true, id: 1 },
      { ok: true, id: 2 },
    ]);
    expect(framesOut(client).map((f) => [f.type, f.id])).toEqual([
      [FrameType.MSG, 1],
      [FrameType.MSG, 2],
      [FrameType.MSG, 3],
    ]);
  });

  test("after message id 2^32 − 1 comes 1 (0 is never an id)", () => {
    const { client, server } = openPair({ client: { startIds: { message: MAX_U32 - 1 } } });
    expect([1, 2, 3].map(() => client.send(utf8("c"), T0))).toEqual([
      { ok: true, id: MAX_U32 },
      { ok: true, id: 1 },
      { ok: true, id: 2 },
    ]);
    expect(framesOut(client).map((f) => [f.type, f.id])).toEqual([
      [FrameType.MSG, MAX_U32],
      [FrameType.MSG, 1],
      [FrameType.MSG, 2],
    ]);
    // A counter that started at 0 is untouched by the other side's seam.
    expect(server.send(utf8("s"), T0)).toEqual({ ok: true, id: 1 });
  });

  test("the receiver hands out each message and queues its ACK in the same step, in order", () => {
    const { client, server } = openPair();
    client.send(utf8("first"), T0);
    client.send(new Uint8Array(0), T0);
    client.send(Uint8Array.of(0, 255, 10, 13), T0);
    flow(client, server, T0 + 1);
    const events = server
      .takeEvents()
      .map((e) => (e.type === "message" ? { ...e, payload: flat(e.payload) } : e));
    expect(events).toEqual([
      { type: "message", id: 1, payload: utf8("first") },
      { type: "message", id: 2, payload: new Uint8Array(0) },
      { type: "message", id: 3, payload: Uint8Array.of(0, 255, 10, 13) },
    ]);
    expect(framesOut(server)).toEqual([1, 2, 3].map((id) => ({ type: FrameType.ACK, id, payload: [] })));
  });

  test("each ACK settles its message once, with rtt = ack arrival − send time", () => {
    const { client, server } = openPair();
    client.send(utf8("a"), 2000);
    client.send(utf8("bb"), 2000.5);
    flow(client, server, 2001);
    flow(server, client, 2003.25);
    expect(client.takeEvents()).toEqual([
      { type: "ack", id: 1, bytes: 1, rttMs: 3.25, deliveredAfterMs: null },
      { type: "ack", id: 2, bytes: 2, rttMs: 2.75, deliveredAfterMs: null },
    ]);
    expect(client.unacked()).toEqual([]);
    expect(client.unackedCount).toBe(0);
  });

  test("unacked() lists the messages still waiting, oldest first, with their send time and bytes", () => {
    const { client, server } = openPair();
    for (const [i, text] of ["one", "two", "three"].entries()) client.send(utf8(text), 2000 + i);
    flow(client, server, 2010);
    const acks = framesOut(server);
    client.receive(frameBytes(FrameType.ACK, (acks[1] as PlainFrame).id), 2020); // only the second one
    expect(client.unacked()).toEqual([
      { id: 1, sentAt: 2000, payload: utf8("one") },
      { id: 3, sentAt: 2002, payload: utf8("three") },
    ]);
    expect(client.unackedCount).toBe(2);
    expect(client.stats().unacked).toBe(2);
  });

  test("an ACK for an unknown id, or a second ACK for the same id, is ignored", () => {
    const { client } = openPair();
    client.send(utf8("x"), 2000);
    client.takeOutput();
    client.receive(concat([frameBytes(FrameType.ACK, 99), frameBytes(FrameType.ACK, 0)]), 2001);
    expect(client.takeEvents()).toEqual([]);
    client.receive(frameBytes(FrameType.ACK, 1), 2002);
    client.receive(frameBytes(FrameType.ACK, 1), 2003);
    expect(client.takeEvents()).toEqual([{ type: "ack", id: 1, bytes: 1, rttMs: 2, deliveredAfterMs: null }]);
    expect(client.takeOutput()).toEqual([]);
    expect(client.state).toBe("open");
    expect(client.stats().acked).toBe(1);
  });

  test("a message larger than the peer accepts is refused locally, with the limit in the error", () => {
    const { client } = openPair({ server: { maxMessage: 10 } });
    const refused = client.send(new Uint8Array(11), T0);
    expect(refused).toEqual({ ok: false, error: "message is 11 bytes; the peer accepts at most 10 bytes" });
    expect(client.takeOutput()).toEqual([]);
    expect(client.stats().sent).toBe(0);
    // The refusal used no id: the next message is still number 1; exactly the limit is fine.
    expect(client.send(new Uint8Array(10), T0)).toEqual({ ok: true, id: 1 });
  });

  test("a MSG longer than this side's max_message is refused from its header", () => {
    const { server } = openPair({ server: { maxMessage: 10 } });
    server.receive(rawFrame(FrameType.MSG, 1, 11), T0 + 1);
    expect(decodeText(onlyFrame(server).payload)).toBe("MSG of 11 bytes exceeds the limit of 10 bytes");
    expect(server.state).toBe("closed");
  });

  test("nothing can be sent before the handshake or after the end", () => {
    const client = clientSession();
    expect(client.send(utf8("early"), T0)).toEqual({ ok: false, error: "not connected" });
    const pair = openPair();
    pair.client.close();
    expect(pair.client.send(utf8("late"), T0)).toEqual({ ok: false, error: "not connected" });
  });

  test("a message in parts goes out as one MSG and is kept, as it is, until its ACK", () => {
    const { client, server } = openPair();
    const payload = new ByteParts([utf8("one "), utf8("message "), utf8("in parts")]);
    expect(client.send(payload, T0)).toEqual({ ok: true, id: 1 });
    expect(client.unacked().map((m) => m.payload)).toEqual([payload]);
    expect(client.stats().sentBytes).toBe(payload.length);
    server.receive(outputOf(client), T0 + 1);
    const [message] = eventsOf(server.takeEvents(), "message");
    expect(message && decodeText(message.payload)).toBe("one message in parts");
    client.receive(outputOf(server), T0 + 2);
    expect(client.takeEvents()).toEqual([
      { type: "ack", id: 1, bytes: payload.length, rttMs: 2, deliveredAfterMs: null },
    ]);
  });

  test("a large message passes through the wire intact, split at any point", () => {
    const { client, server } = openPair({ server: { maxMessage: 1 << 20 } });
    const payload = Uint8Array.from({ length: 300_000 }, (_, i) => (i * 31) & 0xff);
    client.send(payload, T0);
    const bytes = outputOf(client);
    const received: Uint8Array[] = [];
    for (let at = 0; at < bytes.length; at += 65_536) {
      server.receive(bytes.subarray(at, at + 65_536), T0 + 1);
      for (const event of eventsOf(server.takeEvents(), "message")) received.push(flat(event.payload));
    }
    expect(received.length).toBe(1);
    expect(Buffer.compare(received[0] as Uint8Array, payload)).toBe(0);
  });
});

describe("Session keepalive and timeouts", () => {
  const timing = { pingIntervalMs: 15_000, deadAfterMs: 45_000, helloTimeoutMs: 10_000 };

  test("the handshake deadline is helloTimeout after the connection was made", () => {
    const server = serverSession(timing);
    expect(server.deadline()).toBe(T0 + 10_000);
    server.tick(T0 + 9_999);
    expect(server.takeOutput()).toEqual([]);
    server.tick(T0 + 10_000);
    expect(onlyFrame(server)).toEqual({
      type: FrameType.ERROR,
      id: 0,
      payload: Array.from(utf8("no HELLO within 10 s")),
    });
    expect(server.takeEvents()).toEqual([
      { type: "closed", kind: "handshake-timeout", reason: "no HELLO within 10 s" },
    ]);
    expect(server.deadline()).toBe(Number.POSITIVE_INFINITY);
  });

  test("bytes trickling in do not extend the handshake deadline", () => {
    const server = serverSession(timing);
    const hello = helloFrame(1024);
    for (let i = 0; i < hello.length - 1; i++) server.receive(hello.subarray(i, i + 1), T0 + 400 * i);
    server.tick(T0 + 10_000);
    expect(server.state).toBe("closed");
    expect(server.takeEvents()).toEqual([
      { type: "closed", kind: "handshake-timeout", reason: "no HELLO within 10 s" },
    ]);
  });

  test("a client whose HELLO is never answered gives up after helloTimeout too", () => {
    const client = clientSession({ helloTimeoutMs: 2_500 });
    client.takeOutput();
    client.tick(T0 + 2_500);
    expect(client.takeEvents()).toEqual([
      { type: "closed", kind: "handshake-timeout", reason: "no HELLO within 2.5 s" },
    ]);
  });

  test("after pingInterval of silence a PING goes out, then one per further quiet interval", () => {
    const { client } = openPair({ client: timing });
    expect(client.deadline()).toBe(T0 + 15_000);
    client.tick(T0 + 14_999);
    expect(client.takeOutput()).toEqual([]);
    client.tick(T0 + 15_000);
    expect(onlyFrame(client)).toEqual({ type: FrameType.PING, id: 1, payload: [] });
    expect(client.deadline()).toBe(T0 + 30_000);
    client.tick(T0 + 29_000);
    expect(client.takeOutput()).toEqual([]);
    client.tick(T0 + 30_000);
    expect(onlyFrame(client)).toEqual({ type: FrameType.PING, id: 2, payload: [] });
    expect(client.deadline()).toBe(T0 + 45_000); // the dead-peer deadline comes before a third PING's
    expect(client.state).toBe("open");
  });

  test("after PING id 2^32 − 1 comes 1", () => {
    const { client } = openPair({ client: { ...timing, startIds: { ping: MAX_U32 - 1 } } });
    const pingIds = [15_000, 30_000].map((at) => {
      client.tick(T0 + at);
      const frame = onlyFrame(client);
      expect(frame.type).toBe(FrameType.PING);
      return frame.id;
    });
    expect(pingIds).toEqual([MAX_U32, 1]);
  });

  test("anything received, a PONG included, restarts the quiet interval", () => {
    const { client, server } = openPair({ client: timing });
    client.tick(T0 + 15_000);
    flow(client, server, T0 + 15_001); // the PING reaches the server, which queues a PONG
    flow(server, client, T0 + 20_000);
    expect(client.deadline()).toBe(T0 + 35_000);
    client.tick(T0 + 59_000); // would be dead if the PONG had not counted
    expect(client.state).toBe("open");
    expect(onlyFrame(client).type).toBe(FrameType.PING);
  });

  test("a PING is answered by a PONG with the same id and payload", () => {
    const { server } = openPair();
    const payload = Uint8Array.from({ length: 64 }, (_, i) => 255 - i);
    server.receive(
      concat([
        frameBytes(FrameType.PING, 77, Uint8Array.of(1, 2, 3)),
        frameBytes(FrameType.PING, 0xffffffff, payload),
      ]),
      T0 + 1,
    );
    expect(framesOut(server)).toEqual([
      { type: FrameType.PONG, id: 77, payload: [1, 2, 3] },
      { type: FrameType.PONG, id: 0xffffffff, payload: Array.from(payload) },
    ]);
    expect(server.takeEvents()).toEqual([]);
  });

  test("a PING longer than 64 bytes is a protocol error", () => {
    const { server } = openPair();
    server.receive(frameBytes(FrameType.PING, 1, new Uint8Array(65)), T0 + 1);
    expect(decodeText(onlyFrame(server).payload)).toBe("PING of 65 bytes exceeds the limit of 64 bytes");
  });

  test("a peer silent for deadAfter is declared dead: BYE with the reason, closed as timeout", () => {
    const { client } = openPair({ client: timing });
    client.tick(T0 + 15_000);
    client.tick(T0 + 30_000);
    client.takeOutput();
    client.tick(T0 + 44_999);
    expect(client.state).toBe("open");
    client.tick(T0 + 45_000);
    expect(onlyFrame(client)).toEqual({
      type: FrameType.BYE,
      id: 0,
      payload: Array.from(utf8("nothing received for 45 s")),
    });
    expect(client.takeEvents()).toEqual([
      { type: "closed", kind: "timeout", reason: "nothing received for 45 s" },
    ]);
    expect(client.deadline()).toBe(Number.POSITIVE_INFINITY);
  });

  test("a tick long overdue goes straight to dead, without a PING first", () => {
    const { server } = openPair({ server: timing });
    server.tick(T0 + 100_000);
    expect(onlyFrame(server).type).toBe(FrameType.BYE);
    expect(server.state).toBe("closed");
  });

  test("shortened timings (--ping-interval / --dead-after) are honoured", () => {
    const { client } = openPair({ client: { pingIntervalMs: 200, deadAfterMs: 500 } });
    expect(client.deadline()).toBe(T0 + 200);
    client.tick(T0 + 200);
    expect(onlyFrame(client).type).toBe(FrameType.PING);
    expect(client.deadline()).toBe(T0 + 400);
    client.tick(T0 + 400);
    expect(client.deadline()).toBe(T0 + 500);
    client.tick(T0 + 500);
    expect(client.takeEvents()).toEqual([
      { type: "closed", kind: "timeout", reason: "nothing received for 0.5 s" },
    ]);
  });
});

describe("Session endings", () => {
  test("BYE from the peer ends the session with its reason; nothing is answered", () => {
    const { client, server } = openPair();
    client.close("see you");
    expect(client.takeEvents()).toEqual([{ type: "closed", kind: "bye", reason: "see you" }]);
    flow(client, server, T0 + 1);
    expect(server.takeEvents()).toEqual([{ type: "closed", kind: "peer-bye", reason: "see you" }]);
    expect(server.takeOutput()).toEqual([]);
  });

  test("close() without a reason sends an empty BYE, once", () => {
    const { client } = openPair();
    client.close();
    client.close("again");
    expect(framesOut(client)).toEqual([{ type: FrameType.BYE, id: 0, payload: [] }]);
    expect(client.takeEvents()).toEqual([{ type: "closed", kind: "bye", reason: "closed" }]);
  });

  test("ERROR from the peer ends the session as peer-error", () => {
    const { client } = openPair();
    client.receive(frameBytes(FrameType.ERROR, 0, utf8("you did something wrong")), T0 + 1);
    expect(client.takeEvents()).toEqual([
      { type: "closed", kind: "peer-error", reason: "you did something wrong" },
    ]);
  });

  test("frames after a BYE in the same chunk are neither delivered nor acknowledged", () => {
    const { server } = openPair();
    server.receive(
      concat([
        frameBytes(FrameType.MSG, 1, utf8("before")),
        frameBytes(FrameType.BYE, 0),
        frameBytes(FrameType.MSG, 2),
      ]),
      T0 + 1,
    );
    expect(server.takeEvents().map((e) => e.type)).toEqual(["message", "closed"]);
    expect(framesOut(server)).toEqual([{ type: FrameType.ACK, id: 1, payload: [] }]);
  });

  test("after the end, received bytes and ticks are ignored", () => {
    const { server } = openPair();
    server.connectionLost("connection reset");
    expect(server.takeEvents()).toEqual([{ type: "closed", kind: "lost", reason: "connection reset" }]);
    server.receive(frameBytes(FrameType.MSG, 1, utf8("ghost")), T0 + 1);
    server.receive(Uint8Array.of(0xff), T0 + 2);
    server.tick(T0 + 1_000_000);
    server.close();
    expect(server.takeEvents()).toEqual([]);
    expect(server.takeOutput()).toEqual([]);
  });
});

describe("Session stats", () => {
  test("counts and bytes in both directions", () => {
    const { client, server } = openPair();
    client.send(utf8("12345"), T0);
    client.send(utf8("123"), T0);
    server.send(utf8("1234567"), T0);
    flow(client, server, T0 + 1);
    flow(server, client, T0 + 2);
    flow(client, server, T0 + 3);
    expect(client.stats()).toMatchObject({
      sent: 2,
      sentBytes: 8,
      received: 1,
      receivedBytes: 7,
      acked: 2,
      unacked: 0,
    });
    expect(server.stats()).toMatchObject({
      sent: 1,
      sentBytes: 7,
      received: 2,
      receivedBytes: 8,
      acked: 1,
      unacked: 0,
    });
  });

  test("RTT min, median, p99 and max come from the acknowledged messages", () => {
    const { client } = openPair();
    expect(client.stats().rtt).toBeNull();
    // 100 messages whose ACKs arrive 1, 2, …, 100 ms after they were sent.
    for (let i = 1; i <= 100; i++) client.send(utf8(`m${i}`), 10_000 - i);
    for (let i = 1; i <= 100; i++) client.receive(frameBytes(FrameType.ACK, i), 10_000);
    const rtts = eventsOf(client.takeEvents(), "ack").map((e) => e.rttMs);
    expect(rtts).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    const rtt = client.stats().rtt;
    expect(rtt?.count).toBe(100);
    expect(rtt?.minMs).toBe(1);
    expect(rtt?.maxMs).toBe(100);
    expect(Math.abs((rtt?.medianMs ?? 0) / 50 - 1)).toBeLessThanOrEqual(0.008); // the histogram's ±0.8 %
    expect(Math.abs((rtt?.p99Ms ?? 0) / 99 - 1)).toBeLessThanOrEqual(0.008);
  });
});

test("Session constructor leaves the client's HELLO as the only output, with no events", () => {
  const client = new Session({ role: "client", maxMessage: 5, now: 0 });
  expect(client.takeEvents()).toEqual([]);
  expect(framesOut(client).map((f) => f.type)).toEqual([FrameType.HELLO]);
});
