/**
 * Property of version 2's session over its secure channel (issue 8): two Sessions attached to the two
 * halves of a real handshake's keys, talking through records over an in-memory wire cut anywhere, with one
 * record possibly damaged on its way.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import type { Channel } from "../../src/core/channel.ts";
import { Session, type SessionEvent } from "../../src/core/session.ts";
import { flat } from "../../src/protocol/bytes.ts";
import { FrameType, HEADER_SIZE } from "../../src/protocol/constants.ts";
import { readU32 } from "../../src/protocol/decoder.ts";
import type { ChannelKeys } from "../../src/secure/handshake.ts";
import { RECORD_HEADER, type RecordOptions, TAG_SIZE } from "../../src/secure/records.ts";
import { SecureChannel } from "../../src/secure/secure-channel.ts";
import { concat } from "../helpers/frames.ts";
import { CLIENT_MAX, POOL_SIZE, SERVER_MAX, transcript } from "./handshake-properties.ts";
import { type Fill, fillBytes, recordsPerKeyArb } from "./secure-arbitraries.ts";
import { other, type Side } from "./session-model.ts";

/** A bit to flip in the `record`-th record (counted from 0) one side writes on the connection. */
interface Tamper {
  from: Side;
  record: number;
  at: number;
  bit: number;
}

/**
 * What one direction of the connection carried: its records (where each one's plaintext starts in the
 * direction's plaintext stream), the MSG and ACK frames in that stream (where each ends), the bytes not yet
 * delivered, and the damage done to it, if any.
 */
class Direction {
  readonly wire: Uint8Array[] = [];
  wireBytes = 0;
  records = 0;
  plaintext = 0;
  readonly messages: { id: number; end: number }[] = [];
  readonly acks: { id: number; end: number }[] = [];
  /** The damaged record: its index, where its plaintext starts, whether the flip hit its length field. */
  tampered: { record: number; plainStart: number; inLength: boolean } | null = null;

  /** Notes the frames of one `seal` call (whole frames: the session seals what its writer holds). */
  frames(plain: Uint8Array): void {
    let at = 0;
    while (at < plain.length) {
      const type = plain[at] as number;
      const id = readU32(plain, at + 1);
      const end = at + HEADER_SIZE + readU32(plain, at + 5);
      if (type === FrameType.MSG) this.messages.push({ id, end: this.plaintext + end });
      if (type === FrameType.ACK) this.acks.push({ id, end: this.plaintext + end });
      at = end;
    }
    assert.equal(at, plain.length, "a seal call did not hold whole frames");
  }

  take(count: number): Uint8Array {
    const pieces: Uint8Array[] = [];
    let left = Math.min(count, this.wireBytes);
    while (left > 0) {
      const first = this.wire[0] as Uint8Array;
      if (first.length <= left) {
        pieces.push(first);
        this.wire.shift();
        left -= first.length;
        this.wireBytes -= first.length;
      } else {
        pieces.push(first.subarray(0, left));
        this.wire[0] = first.subarray(left);
        this.wireBytes -= left;
        left = 0;
      }
    }
    return concat(pieces);
  }
}

/** A SecureChannel that notes what it seals in `out`, and damages the record `tamper` names. */
class WatchedChannel implements Channel {
  readonly encrypted = true;
  private readonly inner: SecureChannel;

  constructor(
    keys: ChannelKeys,
    options: RecordOptions,
    private readonly out: Direction,
    private readonly tamper: Tamper | null,
  ) {
    this.inner = new SecureChannel(keys, options);
  }

  open(chunk: Uint8Array, deliver: (plaintext: Uint8Array) => void): void {
    this.inner.open(chunk, deliver);
  }

  seal(frames: Uint8Array[]): Uint8Array[] {
    const plain = concat(frames);
    this.out.frames(plain);
    const sealed = this.inner.seal(frames).map((bytes) => bytes.slice());
    for (const bytes of sealed) {
      let at = 0;
      while (at < bytes.length) {
        const length = readU32(bytes, at);
        if (this.tamper && this.tamper.record === this.out.records) {
          const offset = this.tamper.at % (RECORD_HEADER + length);
          bytes[at + offset] = (bytes[at + offset] as number) ^ (1 << this.tamper.bit);
          this.out.tampered = {
            record: this.out.records,
            plainStart: this.out.plaintext,
            inLength: offset < 4,
          };
        }
        this.out.records++;
        this.out.plaintext += length - TAG_SIZE;
        at += RECORD_HEADER + length;
      }
    }
    return sealed;
  }
}

type Command =
  | { kind: "send"; from: Side; message: Fill }
  | { kind: "deliver"; to: Side; bytes: number } // up to this many bytes of what waits for `to`, as one chunk
  | { kind: "tick"; ms: number };

const messageArb: fc.Arbitrary<Fill> = fc.record({
  length: fc.oneof(
    { arbitrary: fc.nat({ max: 100 }), weight: 20 },
    { arbitrary: fc.integer({ min: 65_000, max: 200 * 1024 }), weight: 1 },
  ),
  fill: fc.nat({ max: 255 }),
});

const sideArb = fc.constantFrom<Side>("client", "server");

const commandArb: fc.Arbitrary<Command> = fc.oneof(
  {
    arbitrary: fc.record({ kind: fc.constant("send" as const), from: sideArb, message: messageArb }),
    weight: 3,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant("deliver" as const),
      to: sideArb,
      bytes: fc.oneof(fc.nat({ max: 40 }), fc.nat({ max: 300_000 })),
    }),
    weight: 4,
  },
  // At most 200 ms a tick and 40 commands: the client's 10 s wait for SESSION never runs out.
  { arbitrary: fc.record({ kind: fc.constant("tick" as const), ms: fc.nat({ max: 200 }) }), weight: 1 },
);

const tamperArb: fc.Arbitrary<Tamper> = fc.record({
  from: sideArb,
  record: fc.oneof(fc.nat({ max: 2 }), fc.nat({ max: 8 })),
  at: fc.oneof(fc.nat({ max: 3 }), fc.nat()),
  bit: fc.nat({ max: 7 }),
});

interface Peer {
  session: Session;
  out: Direction;
  events: SessionEvent[];
  sent: { id: number; payload: Uint8Array }[];
}

const received = (events: SessionEvent[]) =>
  events.flatMap((e) => (e.type === "message" ? [{ id: e.id, payload: flat(e.payload).slice() }] : []));
const ackIds = (events: SessionEvent[]) => events.flatMap((e) => (e.type === "ack" ? [e.id] : []));
const drops = (events: SessionEvent[]) => events.filter((e) => e.type === "suspended" || e.type === "closed");

function assertMessages(
  actual: { id: number; payload: Uint8Array }[],
  expected: { id: number; payload: Uint8Array }[],
) {
  assert.deepEqual(
    actual.map((m) => [m.id, m.payload.length]),
    expected.map((m) => [m.id, m.payload.length]),
    "messages delivered (ids and lengths)",
  );
  actual.forEach((m, i) => {
    assert.equal(
      Buffer.compare(m.payload, (expected[i] as { payload: Uint8Array }).payload),
      0,
      `message ${m.id} differs`,
    );
  });
}

/**
 * A client and a server Session (version 2) attached to the two halves of a real handshake's ChannelUp (run
 * in memory), through SecureChannels with a small key-update interval or the real one. Random messages
 * (empty to about 200 KiB, so some span records) go both ways while the wire delivers what waits in
 * chunks of random sizes and time passes (keepalive PINGs included). Undamaged, every message is delivered
 * exactly once, in order and intact, and every one is acknowledged. With one bit flipped in one record
 * (length field, ciphertext or tag) of either direction, the receiving session delivers exactly the messages
 * and ACKs whose frames lay wholly in the records before it, nothing of that record or after, and drops the
 * connection: `suspended` when the session can be resumed, `closed` with kind `integrity` when the window
 * is 0 or SESSION itself never arrived. Only a flip in the length field may leave the record waiting, for
 * bytes that never come, instead.
 */
export function secureSessionsDeliverExactlyOnce() {
  const caseArb = fc.record({
    transcript: fc.nat({ max: POOL_SIZE - 1 }),
    every: recordsPerKeyArb,
    resumeWindowMs: fc.constantFrom(0, 60_000),
    pingIntervalMs: fc.constantFrom(100, 15_000),
    commands: fc.array(commandArb, { minLength: 4, maxLength: 40, size: "medium" }),
    drainChunks: fc.array(fc.oneof(fc.integer({ min: 1, max: 30 }), fc.integer({ min: 1, max: 100_000 })), {
      minLength: 1,
      maxLength: 6,
    }),
    tamper: fc.option(tamperArb, { freq: 2 }),
  });
  return fc.property(caseArb, (c) => {
    const t = transcript(c.transcript);
    const options: RecordOptions = c.every === undefined ? {} : { recordsPerKey: c.every };
    let now = 0;
    const peers: Record<Side, Peer> = {
      client: {
        session: new Session({
          role: "client",
          version: 2,
          maxMessage: CLIENT_MAX,
          now,
          pingIntervalMs: c.pingIntervalMs,
        }),
        out: new Direction(),
        events: [],
        sent: [],
      },
      server: {
        session: new Session({
          role: "server",
          version: 2,
          maxMessage: SERVER_MAX,
          now,
          pingIntervalMs: c.pingIntervalMs,
          resumeWindowMs: c.resumeWindowMs,
        }),
        out: new Direction(),
        events: [],
        sent: [],
      },
    };
    for (const side of ["client", "server"] as const) {
      const up = side === "client" ? t.clientUp : t.serverUp;
      const tamper = c.tamper?.from === side ? c.tamper : null;
      peers[side].session.attach(
        new WatchedChannel(up.keys, options, peers[side].out, tamper),
        now,
        up.peerMaxMessage,
      );
    }
    // Once a side has dropped the connection, nothing more travels on it.
    let over = false;
    const collect = () => {
      for (const side of ["client", "server"] as const) {
        const peer = peers[side];
        for (const bytes of peer.session.takeOutput()) {
          peer.out.wire.push(bytes);
          peer.out.wireBytes += bytes.length;
        }
        const events = peer.session.takeEvents();
        peer.events.push(...events);
        if (drops(events).length > 0) over = true;
      }
    };
    const deliver = (to: Side, bytes: number) => {
      if (over) return;
      const from = peers[other(to)].out;
      if (from.wireBytes === 0) return;
      peers[to].session.receive(from.take(bytes), now);
      collect();
    };
    collect();

    for (const command of c.commands) {
      if (command.kind === "send") {
        const payload = fillBytes(command.message);
        const result = peers[command.from].session.send(payload, now);
        if (result.ok) peers[command.from].sent.push({ id: result.id, payload });
        collect();
      } else if (command.kind === "deliver") {
        deliver(command.to, command.bytes);
      } else {
        now += command.ms;
        for (const side of ["client", "server"] as const) peers[side].session.tick(now);
        collect();
      }
    }
    // Drain: deliver everything that waits, in chunks of the case's sizes, until the wire is quiet.
    let turn = 0;
    while (!over && (peers.client.out.wireBytes > 0 || peers.server.out.wireBytes > 0)) {
      for (const to of ["server", "client"] as const) {
        while (!over && peers[other(to)].out.wireBytes > 0)
          deliver(to, c.drainChunks[turn++ % c.drainChunks.length] as number);
      }
    }

    const tampered = (["client", "server"] as const).find((side) => peers[side].out.tampered !== null);
    if (tampered === undefined) {
      for (const side of ["client", "server"] as const) {
        const peer = peers[side];
        assert.deepEqual(drops(peer.events), [], `${side}: the connection dropped without damage`);
        assert.equal(peer.session.state, "open");
        assertMessages(received(peer.events), peers[other(side)].sent);
        assert.deepEqual(
          ackIds(peer.events),
          peer.sent.map((m) => m.id),
          `${side}: every message acknowledged, in order`,
        );
        assert.equal(peer.session.unackedCount, 0);
      }
      return;
    }

    // One record of the direction from `tampered` was damaged: what its receiver made of it.
    const direction = peers[tampered].out;
    const damage = direction.tampered as NonNullable<Direction["tampered"]>;
    const receiver = peers[other(tampered)];
    const before = (frames: { id: number; end: number }[]) =>
      frames.filter((f) => f.end <= damage.plainStart).map((f) => f.id);
    const deliverable = new Set(before(direction.messages));
    assertMessages(
      received(receiver.events),
      peers[tampered].sent.filter((m) => deliverable.has(m.id)),
    );
    assert.deepEqual(
      ackIds(receiver.events),
      before(direction.acks),
      "ACKs handed out of or after the damaged record",
    );

    const dropped = drops(receiver.events);
    if (dropped.length === 0) {
      assert.ok(damage.inLength, "a record with a flipped bit went through unnoticed");
      assert.notEqual(receiver.session.state, "closed");
      return;
    }
    assert.equal(dropped.length, 1);
    assert.equal(receiver.events.at(-1), dropped[0], "an event after the drop");
    // The client's session opens with SESSION, in the server's first record.
    const opened = tampered === "client" || damage.record > 0;
    const drop = dropped[0] as SessionEvent;
    if (opened && c.resumeWindowMs > 0) {
      assert.equal(drop.type, "suspended");
      assert.equal(receiver.session.state, "suspended");
      assert.ok(drop.type === "suspended" && drop.reason.startsWith("integrity check failed"));
      assert.ok(drop.type === "suspended" && drop.windowMs === c.resumeWindowMs);
    } else {
      assert.equal(drop.type === "closed" && drop.kind, "integrity");
      assert.equal(receiver.session.state, "closed");
    }
  });
}
