/**
 * Issue 10's model: a version-2 client and server Session over a model connection that can be cut at any
 * byte, noticed by either side, both or neither (then only dead-after or a replacing resume tells), and
 * resumed on a new connection any number of times, with sends and partial deliveries in between.
 *
 * The channel is transparent (records have their own properties), so what is checked is the session's
 * bookkeeping: every message delivered exactly once and in order on both sides, and at the true end every
 * message either acknowledged (once) or reported undelivered.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { Session, type SessionEvent } from "../../src/core/session.ts";
import { flat } from "../../src/protocol/bytes.ts";
import { concat } from "../helpers/frames.ts";
import { transparentChannel } from "../helpers/session-wire.ts";
import { other, type Side } from "./session-model.ts";

const SIDES: readonly Side[] = ["client", "server"];

export interface ResumeSetup {
  windowMs: number;
  pingIntervalMs: number;
  deadAfterMs: number;
}

export type ResumeCommand =
  | { kind: "send"; side: Side; payload: Uint8Array }
  | { kind: "deliver"; to: Side; bytes: number }
  /** The connection dies here; what is in flight is lost. Who notices at once: both, one, or neither. */
  | { kind: "cut"; noticed: Side | "both" | "neither" }
  /** The client reconnects (if it knows it must) and both sides exchange RESUME on the new connection. */
  | { kind: "resume" }
  | { kind: "tick"; advanceMs: number }
  | { kind: "close"; side: Side };

export const resumeSetupArb: fc.Arbitrary<ResumeSetup> = fc
  .record({
    windowMs: fc.integer({ min: 50, max: 2000 }),
    pingIntervalMs: fc.integer({ min: 10, max: 300 }),
    deadExtraMs: fc.integer({ min: 1, max: 300 }),
  })
  .map(({ deadExtraMs, ...s }) => ({ ...s, deadAfterMs: s.pingIntervalMs + deadExtraMs }));

const sideArb = fc.constantFrom<Side>("client", "server");

export const resumeCommandsArb: fc.Arbitrary<ResumeCommand[]> = fc.array(
  fc.oneof(
    {
      arbitrary: fc.record({
        kind: fc.constant("send" as const),
        side: sideArb,
        payload: fc.uint8Array({ maxLength: 24 }),
      }),
      weight: 12,
    },
    {
      arbitrary: fc.record({
        kind: fc.constant("deliver" as const),
        to: sideArb,
        bytes: fc.oneof(fc.constant(Number.POSITIVE_INFINITY), fc.integer({ min: 1, max: 60 })),
      }),
      weight: 14,
    },
    {
      arbitrary: fc.record({
        kind: fc.constant("cut" as const),
        noticed: fc.constantFrom<Side | "both" | "neither">("both", "client", "server", "neither"),
      }),
      weight: 3,
    },
    { arbitrary: fc.constant({ kind: "resume" as const }), weight: 4 },
    {
      arbitrary: fc.record({
        kind: fc.constant("tick" as const),
        advanceMs: fc.oneof(
          { arbitrary: fc.integer({ min: 0, max: 20 }), weight: 5 },
          { arbitrary: fc.integer({ min: 0, max: 1500 }), weight: 1 },
        ),
      }),
      weight: 5,
    },
    { arbitrary: fc.record({ kind: fc.constant("close" as const), side: sideArb }), weight: 1 },
  ),
  { maxLength: 80 },
);

interface Party {
  session: Session;
  /** The generation of the connection this side believes it is on (null: none). */
  on: number | null;
  sent: { id: number; payload: number[] }[];
  delivered: { id: number; payload: number[] }[];
  /** Ids acknowledged, in order, and whether through a RESUME (no round trip). */
  acks: { id: number; beforeDrop: boolean }[];
  closed: Extract<SessionEvent, { type: "closed" }> | null;
}

export class ResumeWorld {
  private now = 0;
  private generation = 0;
  /** The live connection: bytes in flight towards each side; null when there is none. */
  private wire: { toClient: Uint8Array; toServer: Uint8Array } | null = null;
  private readonly parties: Record<Side, Party>;

  constructor(private readonly setup: ResumeSetup) {
    const make = (role: Side): Party => ({
      session: new Session({
        role,
        version: 2,
        maxMessage: 1 << 16,
        now: 0,
        resumeWindowMs: setup.windowMs,
        pingIntervalMs: setup.pingIntervalMs,
        deadAfterMs: setup.deadAfterMs,
      }),
      on: null,
      sent: [],
      delivered: [],
      acks: [],
      closed: null,
    });
    this.parties = { client: make("client"), server: make("server") };
    this.connect();
    this.exchange();
  }

  run(command: ResumeCommand): void {
    switch (command.kind) {
      case "send": {
        const party = this.parties[command.side];
        const result = party.session.send(command.payload, this.now);
        if (result.ok) party.sent.push({ id: result.id, payload: [...command.payload] });
        this.collect(command.side);
        return;
      }
      case "deliver":
        this.deliver(command.to, command.bytes);
        return;
      case "cut": {
        this.wire = null; // in flight: lost
        for (const side of SIDES) {
          if (command.noticed === side || command.noticed === "both") this.lose(side);
        }
        return;
      }
      case "resume":
        this.resume();
        return;
      case "tick":
        this.now += command.advanceMs;
        for (const side of SIDES) {
          this.parties[side].session.tick(this.now);
          this.collect(side);
        }
        return;
      case "close":
        this.parties[command.side].session.close();
        this.collect(command.side);
        return;
    }
  }

  /**
   * Lets everything settle as time goes on: a side that has not noticed a dead connection does so by its
   * keepalive, the client resumes whenever it knows it must, everything in flight is delivered, until both
   * have nothing unacknowledged (or a session has ended, its window passed). Then checks the ends.
   */
  finish(): void {
    for (let round = 0; round < 200; round++) {
      const { client, server } = this.parties;
      if (client.closed || server.closed) break;
      this.resume();
      this.exchange();
      if (client.session.unackedCount === 0 && server.session.unackedCount === 0) break;
      this.run({ kind: "tick", advanceMs: this.setup.pingIntervalMs });
    }
    this.checkExactlyOnce();
  }

  // ---- the model connection ----

  private connect(): void {
    this.generation++;
    this.wire = { toClient: new Uint8Array(0), toServer: new Uint8Array(0) };
    const server = this.parties.server;
    const client = this.parties.client;
    server.session.attach(transparentChannel(), this.now, 1 << 16);
    server.on = this.generation;
    this.collect("server");
    client.session.attach(transparentChannel(), this.now, 1 << 16);
    client.on = this.generation;
    this.collect("client");
  }

  /** A side notices its connection is gone. */
  private lose(side: Side): void {
    const party = this.parties[side];
    if (party.on === null) return;
    party.on = null;
    party.session.connectionLost("connection closed by peer", this.now);
    this.collect(side);
  }

  /** A client that knows it lost its connection dials again; the server takes the new one over the old. */
  private resume(): void {
    const { client, server } = this.parties;
    if (client.closed || server.closed) return;
    // A client that has not noticed the drop keeps waiting for dead-after: let time tell it.
    if (client.on !== null && this.wire !== null && client.on === this.generation) return;
    if (client.on !== null) this.lose("client");
    if (client.session.state !== "suspended") return;
    if (server.on !== null) this.lose("server"); // replaced: closed without a goodbye
    if (server.session.state !== "suspended") return;
    this.connect();
  }

  /** Moves everything in flight both ways until nothing more is written. */
  private exchange(): void {
    for (let moved = true; moved; ) {
      moved = false;
      for (const side of SIDES) {
        const before = this.inFlight(side).length;
        if (before === 0) continue;
        this.deliver(side, Number.POSITIVE_INFINITY);
        if (this.inFlight(side).length < before) moved = true;
      }
    }
  }

  private inFlight(to: Side): Uint8Array {
    if (!this.wire) return new Uint8Array(0);
    return to === "client" ? this.wire.toClient : this.wire.toServer;
  }

  private deliver(to: Side, bytes: number): void {
    const wire = this.wire;
    const party = this.parties[to];
    if (!wire || party.on !== this.generation) return;
    const pending = to === "client" ? wire.toClient : wire.toServer;
    if (pending.length === 0) return;
    const take = Math.min(bytes, pending.length);
    const chunk = pending.slice(0, take);
    if (to === "client") wire.toClient = pending.slice(take);
    else wire.toServer = pending.slice(take);
    party.session.receive(chunk, this.now);
    this.collect(to);
  }

  /** Takes a side's events and output; output reaches the wire only from a side on the live connection. */
  private collect(side: Side): void {
    const party = this.parties[side];
    const output = concat(party.session.takeOutput());
    if (output.length > 0 && this.wire && party.on === this.generation) {
      if (side === "client") this.wire.toServer = concat([this.wire.toServer, output]);
      else this.wire.toClient = concat([this.wire.toClient, output]);
    }
    for (const event of party.session.takeEvents()) {
      switch (event.type) {
        case "message":
          party.delivered.push({ id: event.id, payload: [...flat(event.payload)] });
          break;
        case "ack":
          party.acks.push({ id: event.id, beforeDrop: event.rttMs === null });
          break;
        case "closed":
          assert.equal(party.closed, null, `${side}: closed twice`);
          assert.notEqual(event.kind, "protocol-error", `${side}: protocol error: ${event.reason}`);
          assert.notEqual(event.kind, "peer-error", `${side}: the peer reported an error: ${event.reason}`);
          party.closed = event;
          break;
      }
    }
    // A session that dropped its connection by itself (dead-after) cuts it: the peer sees it close.
    if (!party.session.attached && party.on !== null) {
      const dropped = party.on;
      party.on = null;
      if (dropped === this.generation) {
        this.wire = null;
        if (this.parties[other(side)].on === dropped) this.lose(other(side));
      }
    }
  }

  // ---- the invariants ----

  private checkExactlyOnce(): void {
    for (const side of SIDES) {
      const sender = this.parties[side];
      const receiver = this.parties[other(side)];
      // Exactly once and in order: what the receiver delivered is a prefix of what the sender sent.
      assert.deepEqual(
        receiver.delivered,
        sender.sent.slice(0, receiver.delivered.length),
        `${other(side)} delivered something ${side} did not send, twice, or out of order`,
      );
      const ackIds = sender.acks.map((a) => a.id);
      assert.equal(new Set(ackIds).size, ackIds.length, `${side}: a message acknowledged twice`);
      for (const id of ackIds) {
        assert.ok(
          receiver.delivered.some((m) => m.id === id),
          `${side}: ${id} acknowledged but never delivered`,
        );
      }
      const unacked = sender.session.unacked().map((m) => m.id);
      const bothOpen = !sender.closed && !receiver.closed;
      if (bothOpen) {
        // Nothing is left behind while both live: everything arrived and was acknowledged.
        assert.equal(receiver.delivered.length, sender.sent.length, `${side}: not everything arrived`);
        assert.deepEqual(unacked, [], `${side}: messages left unacknowledged`);
      }
      // Every message is accounted for exactly once: acknowledged, or still pending (reported at the end).
      assert.deepEqual(
        [...ackIds, ...unacked].sort((a, b) => a - b),
        sender.sent.map((m) => m.id),
        `${side}: a message neither acknowledged nor reported undelivered`,
      );
    }
  }
}

/** Issue 10: any interleaving of sends, partial deliveries, drops at any byte and resumes. */
export function resumeKeepsMessagesExactlyOnce() {
  return fc.property(resumeSetupArb, resumeCommandsArb, (setup, commands) => {
    const world = new ResumeWorld(setup);
    for (const command of commands) world.run(command);
    world.finish();
  });
}
