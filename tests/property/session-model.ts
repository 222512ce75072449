/**
 * A client Session and a server Session connected by an in-memory wire, driven by a list of commands (sends,
 * partial deliveries, clock ticks, goodbyes, stray ACKs), with the session invariants checked after every step.
 *
 * Everything a session writes is decoded by an observer with the rules the peer applies, so a frame the peer
 * would refuse is caught even if the peer never gets to read it.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { type CloseKind, Session, type SessionEvent } from "../../src/core/session.ts";
import { flat } from "../../src/protocol/bytes.ts";
import { FrameType } from "../../src/protocol/constants.ts";
import { type Frame, FrameDecoder } from "../../src/protocol/decoder.ts";
import { concat, frameBytes } from "../helpers/frames.ts";

export type Side = "client" | "server";
export const other = (side: Side): Side => (side === "client" ? "server" : "client");

export interface Setup {
  clientMax: number;
  serverMax: number;
  helloTimeoutMs: number;
  pingIntervalMs: number;
  deadAfterMs: number;
  /** What the server's admit() answers. */
  admit: boolean;
  /** Deliver both HELLOs before the first command, so that more cases are about the conversation. */
  handshakeFirst: boolean;
}

export type Command =
  | { kind: "send"; side: Side; payload: Uint8Array }
  /** Moves up to `bytes` of what `to` has in flight towards it into `to.receive` (Infinity: everything). */
  | { kind: "deliver"; to: Side; bytes: number }
  | { kind: "tick"; side: Side | "both"; advanceMs: number }
  /** Moves the clock to the side's deadline (if it has one) and ticks it. */
  | { kind: "tickToDeadline"; side: Side }
  | { kind: "close"; side: Side }
  /** The TCP connection dies under both sessions. */
  | { kind: "lose" }
  /** A hand-built ACK injected towards `to`: for one of `to`'s already acknowledged ids, or an id never used. */
  | { kind: "strayAck"; to: Side; pick: number }
  /** A hand-built PING (any id, 0–64 bytes) injected towards `to`, as another implementation might send. */
  | { kind: "strayPing"; to: Side; id: number; payload: Uint8Array };

export const setupArb: fc.Arbitrary<Setup> = fc
  .record({
    clientMax: fc.oneof(fc.nat({ max: 40 }), fc.constant(1 << 20)),
    serverMax: fc.oneof(fc.nat({ max: 40 }), fc.constant(1 << 20)),
    helloTimeoutMs: fc.oneof(
      { arbitrary: fc.integer({ min: 1, max: 100 }), weight: 1 },
      { arbitrary: fc.integer({ min: 100, max: 5000 }), weight: 4 },
    ),
    pingIntervalMs: fc.integer({ min: 1, max: 200 }),
    deadExtraMs: fc.integer({ min: 0, max: 600 }),
    admit: fc.oneof(
      { arbitrary: fc.constant(true), weight: 9 },
      { arbitrary: fc.constant(false), weight: 1 },
    ),
    handshakeFirst: fc.boolean(),
  })
  .map(({ deadExtraMs, ...s }) => ({ ...s, deadAfterMs: s.pingIntervalMs + deadExtraMs }));

const sideArb = fc.constantFrom<Side>("client", "server");

const sendArb = fc.record({
  kind: fc.constant("send" as const),
  side: sideArb,
  payload: fc.uint8Array({ maxLength: 48, size: "max" }),
});
const deliverArb = fc.record({
  kind: fc.constant("deliver" as const),
  to: sideArb,
  bytes: fc.oneof(fc.constant(Number.POSITIVE_INFINITY), fc.integer({ min: 1, max: 40 })),
});
const tickArb = fc.record({
  kind: fc.constant("tick" as const),
  side: fc.constantFrom<Side | "both">("client", "server", "both"),
  // Mostly quarter milliseconds, so RTTs have fractions; now and then a long silence.
  advanceMs: fc.oneof(
    { arbitrary: fc.integer({ min: 0, max: 40 }).map((q) => q / 4), weight: 4 },
    { arbitrary: fc.integer({ min: 0, max: 500 }), weight: 1 },
  ),
});
const tickToDeadlineArb = fc.record({ kind: fc.constant("tickToDeadline" as const), side: sideArb });
const closeArb = fc.record({ kind: fc.constant("close" as const), side: sideArb });
const loseArb = fc.constant({ kind: "lose" as const });
const strayAckArb = fc.record({ kind: fc.constant("strayAck" as const), to: sideArb, pick: fc.nat() });
const strayPingArb = fc.record({
  kind: fc.constant("strayPing" as const),
  to: sideArb,
  id: fc.nat({ max: 0xffff_ffff }),
  payload: fc.uint8Array({ maxLength: 64, size: "max" }),
});

/** Any command; goodbyes and lost connections are rare, so that most cases have a conversation first. */
export const commandArb: fc.Arbitrary<Command> = fc.oneof(
  { arbitrary: sendArb, weight: 15 },
  { arbitrary: deliverArb, weight: 20 },
  { arbitrary: tickArb, weight: 8 },
  { arbitrary: tickToDeadlineArb, weight: 2 },
  { arbitrary: strayAckArb, weight: 2 },
  { arbitrary: strayPingArb, weight: 1 },
  { arbitrary: closeArb, weight: 1 },
  { arbitrary: loseArb, weight: 1 },
);

interface SentMessage {
  id: number;
  payload: Uint8Array;
  sentAt: number;
}

/** What the test knows about one side: what it did, what it said, and what it was told. */
class Endpoint {
  readonly session: Session;
  readonly maxMessage: number;
  /** Bytes this side wrote that the other side has not received yet. */
  inFlight: Uint8Array = new Uint8Array(0);
  /** Every frame this side wrote, decoded with the peer's rules. */
  readonly written: { type: number; id: number; payload: number[] }[] = [];
  private readonly writtenDecoder: FrameDecoder;
  /** Every frame delivered to this side (including stray ones), decoded as they arrived. */
  readonly delivered: { type: number; id: number; payload: number[] }[] = [];
  private readonly deliveredDecoder = new FrameDecoder({ maxMessage: 0xffff_ffff });
  readonly sent: SentMessage[] = [];
  readonly messages: { id: number; payload: number[] }[] = [];
  readonly acks: { id: number; bytes: number; rttMs: number }[] = [];
  readonly rtts: number[] = [];
  opened = false;
  closed: { kind: CloseKind; reason: string } | null = null;
  /** When this side last received bytes (the model's own account, for the keepalive rules). */
  lastReceivedAt: number;
  /** When this side last wrote a PING, and whether it has since received anything. */
  lastPingAt = Number.NEGATIVE_INFINITY;
  pingedSinceReceive = false;

  constructor(
    readonly side: Side,
    session: Session,
    maxMessage: number,
    peerMaxMessage: number,
    startedAt: number,
  ) {
    this.lastReceivedAt = startedAt;
    this.session = session;
    this.maxMessage = maxMessage;
    this.writtenDecoder = new FrameDecoder({
      maxMessage: peerMaxMessage,
      firstFrame: side === "client" ? [FrameType.HELLO] : [FrameType.HELLO, FrameType.BUSY, FrameType.ERROR],
    });
  }

  collectOutput(): void {
    const bytes = concat(this.session.takeOutput());
    if (bytes.length === 0) return;
    this.writtenDecoder.push(bytes, (f) => this.written.push(plain(f)));
    this.inFlight = concat([this.inFlight, bytes]);
  }

  noteDelivered(chunk: Uint8Array): void {
    this.deliveredDecoder.push(chunk, (f) => this.delivered.push(plain(f)));
  }

  writtenOf(type: number) {
    return this.written.filter((f) => f.type === type);
  }

  deliveredOf(type: number) {
    return this.delivered.filter((f) => f.type === type);
  }
}

const plain = (f: Frame) => ({ type: f.type, id: f.id, payload: Array.from(flat(f.payload)) });

/** Command lists long enough for conversations, pings and timeouts to happen within one case. */
export const commandsArb: fc.Arbitrary<Command[]> = fc.array(commandArb, {
  minLength: 1,
  maxLength: 60,
  size: "max",
});

/** The clock's reading when both sessions are made. */
const START = 1_000;

/** A frame id no session in this model ever reaches. */
const NEVER_USED_ID = 0x8000_0000;

export class SessionWorld {
  now = START;
  readonly ends: Record<Side, Endpoint>;
  private readonly setup: Setup;

  constructor(setup: Setup) {
    this.setup = setup;
    const timing = {
      helloTimeoutMs: setup.helloTimeoutMs,
      pingIntervalMs: setup.pingIntervalMs,
      deadAfterMs: setup.deadAfterMs,
    };
    const client = new Session({ role: "client", maxMessage: setup.clientMax, now: this.now, ...timing });
    const server = new Session({
      role: "server",
      maxMessage: setup.serverMax,
      now: this.now,
      ...timing,
      admit: () => setup.admit,
    });
    this.ends = {
      client: new Endpoint("client", client, setup.clientMax, setup.serverMax, this.now),
      server: new Endpoint("server", server, setup.serverMax, setup.clientMax, this.now),
    };
    this.settle();
    if (setup.handshakeFirst) {
      this.deliver("server", Number.POSITIVE_INFINITY);
      this.deliver("client", Number.POSITIVE_INFINITY);
    }
  }

  run(command: Command): void {
    switch (command.kind) {
      case "send":
        this.send(command.side, command.payload);
        break;
      case "deliver":
        this.deliver(command.to, command.bytes);
        break;
      case "tick":
        this.now += command.advanceMs;
        if (command.side === "both") {
          this.tick("client");
          this.tick("server");
        } else this.tick(command.side);
        break;
      case "tickToDeadline": {
        const deadline = this.ends[command.side].session.deadline();
        if (deadline !== Number.POSITIVE_INFINITY) this.now = Math.max(this.now, deadline);
        this.tick(command.side);
        break;
      }
      case "close":
        this.ends[command.side].session.close(`${command.side} leaves`);
        this.settle();
        break;
      case "lose":
        this.ends.client.session.connectionLost();
        this.ends.server.session.connectionLost();
        this.settle();
        break;
      case "strayAck":
        this.strayAck(command.to, command.pick);
        break;
      case "strayPing":
        this.inject(command.to, frameBytes(FrameType.PING, command.id, command.payload));
        break;
    }
  }

  /** Delivers everything in flight both ways until the wire is quiet (no clock movement). */
  drain(): void {
    for (let round = 0; round < 100; round++) {
      if (this.ends.client.inFlight.length === 0 && this.ends.server.inFlight.length === 0) return;
      this.deliver("client", Number.POSITIVE_INFINITY);
      this.deliver("server", Number.POSITIVE_INFINITY);
    }
    throw new Error("the wire never went quiet");
  }

  private send(side: Side, payload: Uint8Array): void {
    const end = this.ends[side];
    const peerMax = this.ends[other(side)].maxMessage;
    const wasOpen = end.session.state === "open";
    const result = end.session.send(payload, this.now);
    if (!wasOpen) {
      assert.deepEqual(result, { ok: false, error: "not connected" });
    } else if (payload.length > peerMax) {
      assert.equal(result.ok, false, "a message over the peer's limit was accepted");
      assert.ok(
        !result.ok && result.error.includes(`at most ${peerMax} bytes`),
        "the refusal must name the limit",
      );
    } else {
      // Ids count 1, 2, 3, … and never repeat.
      assert.deepEqual(result, { ok: true, id: end.sent.length + 1 });
      end.sent.push({ id: end.sent.length + 1, payload, sentAt: this.now });
    }
    this.settle();
  }

  private deliver(to: Side, bytes: number): void {
    const from = this.ends[other(to)];
    const count = Math.min(bytes, from.inFlight.length);
    if (count === 0) return;
    const chunk = from.inFlight.subarray(0, count);
    from.inFlight = from.inFlight.subarray(count);
    this.ends[to].noteDelivered(chunk);
    this.ends[to].lastReceivedAt = this.now;
    this.ends[to].pingedSinceReceive = false;
    this.ends[to].session.receive(chunk, this.now);
    this.settle();
  }

  /** Ticks one side and checks the deadline contract: nothing happens before it, and tick handles what is due. */
  private tick(side: Side): void {
    const session = this.ends[side].session;
    const deadline = session.deadline();
    session.tick(this.now);
    if (this.now < deadline) {
      assert.equal(session.takeOutput().length, 0, "tick before the deadline wrote something");
      assert.equal(session.takeEvents().length, 0, "tick before the deadline raised an event");
    } else {
      assert.ok(
        session.state === "closed" || session.deadline() > this.now,
        "tick left its deadline overdue",
      );
    }
    this.settle();
  }

  private strayAck(to: Side, pick: number): void {
    const acked = this.ends[to].acks.map((a) => a.id);
    const id =
      acked.length > 0 && pick % 2 === 0 ? (acked[pick % acked.length] as number) : NEVER_USED_ID + pick;
    this.inject(to, frameBytes(FrameType.ACK, id));
  }

  /** Appends a hand-built frame to what travels towards `to`: at a frame boundary, after the first frame. */
  private inject(to: Side, frame: Uint8Array): void {
    const sender = this.ends[other(to)];
    if (sender.written.length === 0) return; // before the handshake it would break the first-frame rule
    sender.inFlight = concat([sender.inFlight, frame]);
  }

  /** Collects both sides' output and events, and checks every invariant. */
  private settle(): void {
    for (const side of ["client", "server"] as const) {
      const end = this.ends[side];
      const pingsBefore = end.writtenOf(FrameType.PING).length;
      end.collectOutput();
      const pingsNow = end.writtenOf(FrameType.PING).length;
      if (pingsNow > pingsBefore) this.onPingWritten(side, pingsNow - pingsBefore);
    }
    for (const side of ["client", "server"] as const) {
      for (const event of this.ends[side].session.takeEvents()) this.onEvent(side, event);
    }
    for (const side of ["client", "server"] as const) this.checkSide(side);
  }

  /** A PING goes out only after a full quiet interval: since the last bytes received and the last PING. */
  private onPingWritten(side: Side, count: number): void {
    const end = this.ends[side];
    assert.equal(count, 1, `${side}: several PINGs in one step`);
    const quietSince = Math.max(end.lastReceivedAt, end.lastPingAt);
    assert.ok(
      this.now - quietSince >= this.setup.pingIntervalMs,
      `${side}: PING after ${this.now - quietSince} ms`,
    );
    end.lastPingAt = this.now;
    end.pingedSinceReceive = true;
  }

  private onEvent(side: Side, event: SessionEvent): void {
    const end = this.ends[side];
    const peer = this.ends[other(side)];
    assert.equal(end.closed, null, `${side}: ${event.type} event after the closed event`);
    switch (event.type) {
      case "open":
        assert.equal(end.opened, false, `${side}: opened twice`);
        assert.equal(event.peerMaxMessage, peer.maxMessage);
        end.opened = true;
        return;
      case "message": {
        assert.ok(end.opened, `${side}: message before open`);
        // What arrives is exactly what the peer sent, in order: nothing lost, duplicated or changed.
        const expected = peer.sent[end.messages.length];
        assert.ok(expected, `${side}: message id ${event.id} that the peer never sent`);
        assert.equal(event.id, expected.id);
        const payload = Array.from(flat(event.payload));
        assert.deepEqual(payload, Array.from(expected.payload));
        end.messages.push({ id: event.id, payload });
        return;
      }
      case "ack": {
        // ACKs come back in sending order, each settling one pending message once.
        const expected = end.sent[end.acks.length];
        assert.ok(expected, `${side}: ack for id ${event.id} with nothing pending`);
        assert.equal(event.id, expected.id, `${side}: ack out of order or for a settled id`);
        assert.equal(event.bytes, expected.payload.length);
        assert.equal(event.rttMs, this.now - expected.sentAt, "rtt must be ack arrival minus send time");
        end.acks.push({ ...event, rttMs: event.rttMs as number });
        end.rtts.push(event.rttMs as number);
        return;
      }
      case "closed":
        this.checkCloseKind(side, event.kind);
        if (event.kind === "timeout") {
          assert.ok(
            this.now - end.lastReceivedAt >= this.setup.deadAfterMs,
            `${side}: declared dead too early`,
          );
        }
        if (event.kind === "handshake-timeout") {
          assert.ok(this.now - START >= this.setup.helloTimeoutMs, `${side}: handshake given up too early`);
        }
        end.closed = { kind: event.kind, reason: event.reason };
        return;
    }
  }

  /** Between two well-behaved sessions nobody breaks the protocol; timeouts and goodbyes are the only ends. */
  private checkCloseKind(side: Side, kind: CloseKind): void {
    const allowed: CloseKind[] = ["bye", "peer-bye", "timeout", "handshake-timeout", "lost"];
    if (!this.setup.admit) allowed.push("busy");
    // A side that gives up waiting for the HELLO tells the other with an ERROR.
    if (this.ends[other(side)].closed?.kind === "handshake-timeout") allowed.push("peer-error");
    assert.ok(
      allowed.includes(kind),
      `${side} closed as ${kind} (${this.ends[side].session.stats().sent} sent)`,
    );
  }

  private checkSide(side: Side): void {
    const end = this.ends[side];
    const { session } = end;
    assert.equal(session.state === "closed", end.closed !== null, `${side}: state and closed event disagree`);
    this.checkDeadline(side);

    // Every MSG it wrote is one of its accepted sends, in order; so ids never repeat.
    assert.deepEqual(
      end.writtenOf(FrameType.MSG).map((f) => f.id),
      end.sent.map((m) => m.id),
    );
    // Every message it handed out was acknowledged exactly once, in order, in the same step.
    assert.deepEqual(
      end.writtenOf(FrameType.ACK).map((f) => f.id),
      end.messages.map((m) => m.id),
    );
    // Every PING delivered while it was open got a PONG with the same id and payload.
    const pings = end.deliveredOf(FrameType.PING).map(({ id, payload }) => ({ id, payload }));
    const pongs = end.writtenOf(FrameType.PONG).map(({ id, payload }) => ({ id, payload }));
    assert.deepEqual(pongs, pings.slice(0, pongs.length));
    if (!end.closed) assert.equal(pongs.length, pings.length, `${side}: a PING went unanswered`);
    // Its own PINGs count 1, 2, 3, …
    assert.deepEqual(
      end.writtenOf(FrameType.PING).map((f) => f.id),
      end.writtenOf(FrameType.PING).map((_, i) => i + 1),
    );

    // Stats agree with the events.
    const stats = session.stats();
    const sum = (xs: { length: number }[]) => xs.reduce((n, x) => n + x.length, 0);
    assert.deepEqual(
      { ...stats, rtt: null },
      {
        sent: end.sent.length,
        sentBytes: sum(end.sent.map((m) => m.payload)),
        received: end.messages.length,
        receivedBytes: sum(end.messages.map((m) => m.payload)),
        acked: end.acks.length,
        unacked: end.sent.length - end.acks.length,
        rtt: null,
      },
    );
    assert.deepEqual(
      session.unacked().map((m) => m.id),
      end.sent.slice(end.acks.length).map((m) => m.id),
    );
    assert.equal(session.unackedCount, end.sent.length - end.acks.length);
    checkRttSummary(stats.rtt, end.rtts);
  }

  /** The deadline never lets a handshake, a PING or a dead peer be late. */
  private checkDeadline(side: Side): void {
    const end = this.ends[side];
    const deadline = end.session.deadline();
    const { helloTimeoutMs, pingIntervalMs, deadAfterMs } = this.setup;
    if (end.session.state === "closed") {
      assert.equal(deadline, Number.POSITIVE_INFINITY);
    } else if (end.session.state === "handshake") {
      assert.ok(deadline <= START + helloTimeoutMs, `${side}: handshake deadline ${deadline} too late`);
    } else {
      assert.ok(
        deadline <= end.lastReceivedAt + deadAfterMs,
        `${side}: dead-peer deadline ${deadline} too late`,
      );
      if (!end.pingedSinceReceive) {
        assert.ok(
          deadline <= end.lastReceivedAt + pingIntervalMs,
          `${side}: PING deadline ${deadline} too late`,
        );
      }
    }
  }

  /** After the wire went quiet between two open sessions, nothing may be missing. */
  checkNothingLost(): void {
    if (this.ends.client.closed || this.ends.server.closed) return;
    for (const side of ["client", "server"] as const) {
      const end = this.ends[side];
      const peer = this.ends[other(side)];
      assert.equal(peer.messages.length, end.sent.length, `${side}: a message was lost`);
      assert.equal(end.acks.length, end.sent.length, `${side}: an ACK was lost`);
      assert.equal(end.session.unacked().length, 0);
    }
  }
}

/** The histogram's promise: exact count/min/max, percentiles within ±0.8 % (bucket 0 covers 0 to 1 µs). */
function checkRttSummary(summary: ReturnType<Session["stats"]>["rtt"], rtts: readonly number[]): void {
  if (rtts.length === 0) {
    assert.equal(summary, null);
    return;
  }
  assert.ok(summary);
  const sorted = [...rtts].sort((a, b) => a - b);
  assert.equal(summary.count, rtts.length);
  assert.equal(summary.minMs, sorted[0]);
  assert.equal(summary.maxMs, sorted[sorted.length - 1]);
  const nearestRank = (p: number) => sorted[Math.max(1, Math.ceil((p / 100) * sorted.length)) - 1] as number;
  for (const [p, reported] of [
    [50, summary.medianMs],
    [99, summary.p99Ms],
  ] as const) {
    const exact = nearestRank(p);
    const ok = exact < 0.001 ? reported <= 0.00102 : Math.abs(reported / exact - 1) <= 0.008 + 1e-12;
    assert.ok(ok, `p${p}: reported ${reported}, exact ${exact}`);
    assert.ok(reported >= summary.minMs && reported <= summary.maxMs);
  }
}
