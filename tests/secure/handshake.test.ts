import { describe, expect, test } from "bun:test";
import { FrameType } from "../../src/protocol/constants.ts";
import { encodeFrame } from "../../src/protocol/encoder.ts";
import {
  ClientHandshake,
  type HandshakeEvent,
  ServerHandshake,
  type ServerHandshake as ServerHandshakeType,
} from "../../src/secure/handshake.ts";
import { resumeTag, sameSecret } from "../../src/secure/key-schedule.ts";

const utf8 = new TextEncoder();
const code = (text: string) => utf8.encode(text);

function pair(clientCode: string, serverCode: string, findResume = () => null as Uint8Array | null) {
  const client = new ClientHandshake({ now: 0, maxMessage: 1000, secret: { mode: 0, code: clientCode } });
  const server = new ServerHandshake({ now: 0, maxMessage: 2000, findResume });
  const clientEvents: HandshakeEvent[] = [];
  const serverEvents: HandshakeEvent[] = [];
  /** Moves every byte each side has written to the other, until neither has anything more to say. */
  const exchange = (now = 1) => {
    for (let moved = true; moved; ) {
      moved = false;
      for (const bytes of client.takeOutput()) {
        server.receive(bytes, now);
        moved = true;
      }
      serverEvents.push(...server.takeEvents());
      for (const bytes of server.takeOutput()) {
        client.receive(bytes, now);
        moved = true;
      }
      clientEvents.push(...client.takeEvents());
    }
  };
  return {
    client,
    server,
    clientEvents,
    serverEvents,
    exchange,
    answer: () => server.answer(code(serverCode), 1),
  };
}

const up = (events: HandshakeEvent[]) => events.find((e) => e.type === "up");
const failed = (events: HandshakeEvent[]) => events.find((e) => e.type === "failed");

describe("version 2 handshake", () => {
  test("the same code: both sides up with mirrored keys and the same resume secret", () => {
    const p = pair("orbit-lemon-swift", "orbit-lemon-swift");
    p.exchange();
    expect(p.serverEvents.map((e) => e.type)).toEqual(["hello"]);
    expect(p.server.state).toBe("waiting");
    p.answer();
    p.exchange();
    const c = up(p.clientEvents);
    const s = up(p.serverEvents);
    if (c?.type !== "up" || s?.type !== "up") throw new Error("not up");
    expect(sameSecret(c.channel.keys.send.key, s.channel.keys.receive.key)).toBe(true);
    expect(sameSecret(c.channel.keys.receive.iv, s.channel.keys.send.iv)).toBe(true);
    expect(sameSecret(c.channel.keys.send.key, c.channel.keys.receive.key)).toBe(false);
    expect(sameSecret(c.channel.resumeSecret, s.channel.resumeSecret)).toBe(true);
    expect(c.channel.peerMaxMessage).toBe(2000);
    expect(s.channel.peerMaxMessage).toBe(1000);
  });

  test("different codes: the client sees the mismatch, says so with ERROR, and the server fails answered", () => {
    const p = pair("orbit-lemon-swift", "orbit-lemon-swirl");
    p.exchange();
    p.answer();
    p.exchange();
    const c = failed(p.clientEvents);
    const s = failed(p.serverEvents);
    expect(c?.type === "failed" && c.failure).toEqual({
      kind: "code-mismatch",
      reason: "code mismatch",
      answered: false,
    });
    expect(s?.type === "failed" && s.failure).toEqual({
      kind: "peer-error",
      reason: "code mismatch",
      answered: true,
    });
    expect(up(p.clientEvents)).toBeUndefined();
    expect(up(p.serverEvents)).toBeUndefined();
  });

  test("a CONFIRM that is not the right one is a code mismatch on the server", () => {
    const server = new ServerHandshake({ now: 0, maxMessage: 10, findResume: () => null });
    const client = new ClientHandshake({ now: 0, maxMessage: 10, secret: { mode: 0, code: "a" } });
    for (const b of client.takeOutput()) server.receive(b, 0);
    server.answer(code("a"), 0);
    server.receive(encodeFrame(FrameType.CONFIRM, 0, new Uint8Array(32)), 0);
    const events = server.takeEvents();
    expect(failed(events)).toEqual({
      type: "failed",
      failure: { kind: "code-mismatch", reason: "code mismatch", answered: true },
    });
  });

  test("the server waits for its turn: nothing goes out before answer()", () => {
    const p = pair("x", "x");
    p.exchange();
    expect(p.server.takeOutput()).toEqual([]);
    expect(p.server.state).toBe("waiting");
  });

  test("an answered handshake without CONFIRM fails after 3 s, counted as answered", () => {
    const server = new ServerHandshake({ now: 0, maxMessage: 10, findResume: () => null });
    const client = new ClientHandshake({ now: 0, maxMessage: 10, secret: { mode: 0, code: "a" } });
    for (const b of client.takeOutput()) server.receive(b, 0);
    server.answer(code("a"), 500);
    expect(server.deadline()).toBe(3500);
    server.tick(3499);
    expect(server.state).toBe("confirm");
    server.tick(3500);
    expect(failed(server.takeEvents())).toMatchObject({ failure: { kind: "timeout", answered: true } });
  });

  test("a HELLO never completed fails after 10 s, not answered", () => {
    const server = new ServerHandshake({ now: 0, maxMessage: 10, findResume: () => null });
    server.receive(new Uint8Array([1, 0, 0]), 5);
    server.tick(9_999);
    expect(server.state).toBe("hello");
    server.tick(10_000);
    expect(failed(server.takeEvents())).toMatchObject({ failure: { kind: "timeout", answered: false } });
  });

  test("a version-1 HELLO is refused with the flag to use", () => {
    const server = new ServerHandshake({ now: 0, maxMessage: 10, findResume: () => null });
    const v1 = new Uint8Array([...utf8.encode("121chat"), 1, 0, 0, 1, 0]);
    server.receive(encodeFrame(FrameType.HELLO, 0, v1), 0);
    const event = failed(server.takeEvents());
    expect(event?.type === "failed" && event.failure.reason).toContain("--no-encryption");
    expect(server.takeOutput()[0]?.[0]).toBe(FrameType.ERROR);
  });

  test("mode 1 with a tag that fits no session: ERROR no such session to resume, never answered", () => {
    const client = new ClientHandshake({
      now: 0,
      maxMessage: 10,
      secret: { mode: 1, resumeSecret: new Uint8Array(32) },
    });
    const server = new ServerHandshake({ now: 0, maxMessage: 10, findResume: () => null });
    for (const b of client.takeOutput()) server.receive(b, 0);
    expect(failed(server.takeEvents())).toMatchObject({
      failure: { kind: "no-session", reason: "no such session to resume", answered: false },
    });
  });

  test("mode 1 with the right secret: the tag is found and the handshake completes with it", () => {
    const secret = new Uint8Array(32).fill(9);
    const client = new ClientHandshake({ now: 0, maxMessage: 10, secret: { mode: 1, resumeSecret: secret } });
    let seen: Uint8Array | null = null;
    const server: ServerHandshakeType = new ServerHandshake({
      now: 0,
      maxMessage: 10,
      findResume: (sid, tag) => {
        if (!sameSecret(resumeTag(secret, sid), tag)) return null;
        seen = secret;
        return secret;
      },
    });
    for (const b of client.takeOutput()) server.receive(b, 0);
    expect(seen).not.toBeNull();
    server.answer(server.foundResumeSecret as Uint8Array, 0);
    for (const b of server.takeOutput()) client.receive(b, 0);
    for (const b of client.takeOutput()) server.receive(b, 0);
    expect(up(client.takeEvents())).toBeDefined();
    expect(up(server.takeEvents())).toMatchObject({ channel: { mode: 1 } });
  });

  test("the bytes after CONFIRM in the same chunk are handed over as the first records", () => {
    const p = pair("k", "k");
    p.exchange();
    p.answer();
    for (const b of p.server.takeOutput()) p.client.receive(b, 1);
    const confirm = p.client.takeOutput()[0] as Uint8Array;
    p.server.receive(new Uint8Array([...confirm, 7, 8, 9]), 1);
    const s = up(p.server.takeEvents());
    expect(s?.type === "up" && [...s.channel.leftover]).toEqual([7, 8, 9]);
  });

  test("a long ERROR from the peer is kept short, and a long HELLO is not buffered past what is read", () => {
    const server = new ServerHandshake({ now: 0, maxMessage: 10, findResume: () => null });
    server.receive(encodeFrame(FrameType.HELLO, 0, new Uint8Array(60_000)).subarray(0, 30_000), 0);
    expect(server.state).toBe("hello");
    const client = new ClientHandshake({ now: 0, maxMessage: 10, secret: { mode: 0, code: "a" } });
    client.receive(encodeFrame(FrameType.ERROR, 0, new Uint8Array(60_000).fill(0x61)), 0);
    const event = failed(client.takeEvents());
    expect(event?.type === "failed" && event.failure.reason.length).toBe(1024);
  });
});
