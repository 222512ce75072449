/**
 * Properties of the Session state machine (issue 3): two sessions talking through a model wire under random
 * interleavings, and one session fed hostile bytes.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { Session, type SessionEvent } from "../../src/core/session.ts";
import { flat } from "../../src/protocol/bytes.ts";
import { FrameType } from "../../src/protocol/constants.ts";
import { type Frame, FrameDecoder } from "../../src/protocol/decoder.ts";
import { concat, helloFrame } from "../helpers/frames.ts";
import { applyChunking, chunkingArb, hostileStreamArb } from "./arbitraries.ts";
import { commandsArb, SessionWorld, setupArb } from "./session-model.ts";

/**
 * A client and a server Session, driven by random interleavings of local sends, partial deliveries of what
 * the other wrote, clock ticks, goodbyes, a dying connection and stray ACKs, keep their invariants after
 * every step (see SessionWorld): every received MSG is acknowledged exactly once and in order, every ACK
 * settles one pending message once, ids never repeat, stats agree with the events, and once the wire is
 * quiet between two open sessions nothing is missing.
 */
export function sessionPairKeepsInvariants() {
  return fc.property(setupArb, commandsArb, (setup, commands) => {
    const world = new SessionWorld(setup);
    for (const command of commands) world.run(command);
    world.drain();
    world.checkNothingLost();
  });
}

/**
 * One Session, after an optional valid handshake, fed random or damaged bytes in random chunks with the
 * clock moving: it never throws, everything it writes is a frame sequence its peer would accept, every
 * message it hands out is acknowledged, it ends at most once, and a protocol error is reported to the peer
 * with an ERROR carrying the same text.
 */
export function sessionSurvivesHostileBytes() {
  const caseArb = fc.record({
    role: fc.constantFrom<"client" | "server">("client", "server"),
    maxMessage: fc.nat({ max: 200 }),
    handshake: fc.boolean(),
    bytes: hostileStreamArb(200),
    chunking: chunkingArb,
    stepMs: fc.integer({ min: 0, max: 4000 }),
  });
  return fc.property(caseArb, ({ role, maxMessage, handshake, bytes, chunking, stepMs }) => {
    let now = 0;
    const session = new Session({ role, maxMessage, now, pingIntervalMs: 5_000, deadAfterMs: 15_000 });
    const written: Frame[] = [];
    // What this side writes must pass the peer's decoder (its limits, its first-frame rule).
    const peerView = new FrameDecoder({
      maxMessage: 1 << 20,
      firstFrame: role === "client" ? [FrameType.HELLO] : [FrameType.HELLO, FrameType.BUSY, FrameType.ERROR],
    });
    const events: SessionEvent[] = [];
    const collect = () => {
      const out = concat(session.takeOutput());
      if (events.some((e) => e.type === "closed") && out.length > 0) {
        assert.fail("wrote bytes after the session had ended");
      }
      peerView.push(out, (f) => written.push({ ...f, payload: flat(f.payload).slice() }));
      events.push(...session.takeEvents());
    };
    collect();
    const input = handshake ? concat([helloFrame(1 << 20), bytes]) : bytes;
    for (const chunk of applyChunking(input, chunking)) {
      now += stepMs;
      session.receive(chunk, now);
      collect();
      session.tick(now);
      collect();
    }

    const closes = events.filter((e) => e.type === "closed");
    assert.ok(closes.length <= 1, "closed twice");
    if (closes.length === 1) assert.equal(events[events.length - 1]?.type, "closed", "an event after closed");
    const messages = events.filter((e) => e.type === "message");
    const acks = written.filter((f) => f.type === FrameType.ACK);
    assert.deepEqual(
      acks.map((f) => f.id),
      messages.map((m) => m.id),
      "every message handed out is acknowledged once, in order",
    );
    const closed = closes[0];
    if (closed?.kind === "protocol-error") {
      const last = written[written.length - 1];
      assert.equal(last?.type, FrameType.ERROR, "a protocol error must be reported with ERROR");
      assert.equal(new TextDecoder().decode(flat(last.payload)), closed.reason);
    }
  });
}
