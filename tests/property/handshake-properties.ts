/**
 * Properties of version 2's handshake state machines (issue 8, protocol-v2 section 1) fed hostile bytes at
 * each stage: the server waiting for a HELLO, the server waiting for CONFIRM after answering, the client
 * waiting for the server's HELLO.
 */
import assert from "node:assert/strict";
import { createHash, createHmac } from "node:crypto";
import { ristretto255 } from "@noble/curves/ed25519.js";
import fc from "fast-check";
import { FrameType, HEADER_SIZE, MAGIC, MAX_CONTROL_PAYLOAD } from "../../src/protocol/constants.ts";
import { readU32 } from "../../src/protocol/decoder.ts";
import type { RandomBytes } from "../../src/secure/code.ts";
import {
  type ChannelUp,
  ClientHandshake,
  type HandshakeEvent,
  type HandshakeFailure,
  ServerHandshake,
} from "../../src/secure/handshake.ts";
import type { HandshakeReader } from "../../src/secure/handshake-reader.ts";
import { concat, decodeOutput, frameBytes } from "../helpers/frames.ts";
import {
  applyChunking,
  chunkingArb,
  type FrameSpec,
  type Mutation,
  mutate,
  mutationArb,
} from "./arbitraries.ts";

const CODE = "orbit-lantern-swift";
/** The secret of the session that the mode-1 (resume) handshakes resume. */
const RESUME_SECRET = new Uint8Array(createHash("sha256").update("a session to resume").digest());
/** Section 3's resume_tag, written here from the spec: the first 16 bytes of HMAC-SHA256(secret, sid). */
const tagFor = (sid: Uint8Array) => createHmac("sha256", RESUME_SECRET).update(sid).digest().subarray(0, 16);
const encodeText = (text: string) => new TextEncoder().encode(text);
/** The handshake reader keeps at most a header and this many payload bytes (handshake-reader.ts). */
const READER_BOUND = HEADER_SIZE + 1024;
/** What the two sides advertise in their HELLOs (large enough for the session property's messages). */
export const CLIENT_MAX = 300_000;
export const SERVER_MAX = 400_000;

/** A deterministic random source (SHA-256 in counter mode), so that a state machine can be replayed. */
export function seededRandom(seed: string): RandomBytes {
  let counter = 0;
  return (length) => {
    const out = new Uint8Array(length);
    for (let at = 0; at < length; at += 32) {
      const block = createHash("sha256").update(`${seed}/${counter++}`).digest();
      out.set(block.subarray(0, Math.min(32, length - at)), at);
    }
    return out;
  };
}

/** Transcripts with an even index open a session with the code (mode 0), the others resume one (mode 1). */
const modeOf = (index: number): 0 | 1 => (index % 2 === 0 ? 0 : 1);
const prsFor = (mode: number) => (mode === 0 ? encodeText(CODE) : RESUME_SECRET);

const newClient = (index: number) =>
  new ClientHandshake({
    now: 0,
    maxMessage: CLIENT_MAX,
    secret: modeOf(index) === 0 ? { mode: 0, code: CODE } : { mode: 1, resumeSecret: RESUME_SECRET },
    random: seededRandom(`client ${index}`),
  });
const newServer = (index: number) =>
  new ServerHandshake({
    now: 0,
    maxMessage: SERVER_MAX,
    findResume: (sid, tag) => (sameBytes(tag, tagFor(sid)) ? RESUME_SECRET : null),
    random: seededRandom(`server ${index}`),
  });

/** One valid handshake's three frames, and what each side's channel came out as. */
interface Transcript {
  clientHello: Uint8Array;
  serverHello: Uint8Array;
  confirm: Uint8Array;
  clientUp: ChannelUp;
  serverUp: ChannelUp;
}

const upOf = (events: HandshakeEvent[]): ChannelUp => {
  const up = events.find((e) => e.type === "up");
  if (up?.type !== "up") throw new Error(`no channel: ${JSON.stringify(events)}`);
  return up.channel;
};

/** A real handshake run in memory, with the random sources of transcript `index`. */
export function runHandshake(index: number): Transcript {
  const client = newClient(index);
  const server = newServer(index);
  const clientHello = concat(client.takeOutput());
  server.receive(clientHello, 0);
  server.answer(prsFor(modeOf(index)), 0);
  const serverHello = concat(server.takeOutput());
  client.receive(serverHello, 0);
  const confirm = concat(client.takeOutput());
  server.receive(confirm, 0);
  return {
    clientHello,
    serverHello,
    confirm,
    clientUp: upOf(client.takeEvents()),
    serverUp: upOf(server.takeEvents()),
  };
}

export const POOL_SIZE = 4;
const pool: Transcript[] = [];
/** Transcript `index`, computed once (the state machines replay it exactly from the same random sources). */
export function transcript(index: number): Transcript {
  const i = index % POOL_SIZE;
  pool[i] ??= runHandshake(i);
  return pool[i] as Transcript;
}

// --- hostile input ----------------------------------------------------------------------------------------

/** Encodings of would-be shares: the identity, non-canonical and invalid ones, random bytes, other points. */
const FIELD_PRIME_LE = Uint8Array.from({ length: 32 }, (_, i) => (i === 0 ? 0xed : i === 31 ? 0x7f : 0xff));
const specialShareArb: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc.constantFrom(
    new Uint8Array(32), // the identity
    new Uint8Array(32).fill(0xff),
    FIELD_PRIME_LE, // p itself: not canonical
    Uint8Array.from({ length: 32 }, (_, i) => (i === 0 ? 1 : 0)), // "negative" field element
  ),
  fc.uint8Array({ minLength: 32, maxLength: 32 }),
  fc
    .bigInt({ min: 1n, max: ristretto255.Point.Fn.ORDER - 1n })
    .map((scalar) => ristretto255.Point.BASE.multiply(scalar).toBytes()), // a valid point, not the peer's
);

/** Stages of the handshake, and the valid frame each expects next. */
export type Stage = "server-hello" | "server-confirm" | "client-hello";

const validFrame = (stage: Stage, t: Transcript): Uint8Array =>
  stage === "server-hello" ? t.clientHello : stage === "server-confirm" ? t.confirm : t.serverHello;

/** Where the share lies in a HELLO payload (client: after 46 bytes of ADa; server: after 13 of ADb). */
const shareOffset = (stage: Stage): number | null =>
  stage === "server-hello" ? 46 : stage === "client-hello" ? 13 : null;

const asSpec = (frame: Uint8Array): FrameSpec => ({
  type: frame[0] as FrameType,
  id: readU32(frame, 1),
  payload: frame.subarray(HEADER_SIZE),
});

/** Bytes where a stage's frame is expected: noise, damaged versions of the valid frame, or the valid one. */
type Hostile =
  | { kind: "noise"; bytes: Uint8Array }
  | { kind: "frame"; type: number; id: number; payload: Uint8Array } // a well-formed frame of any type
  | { kind: "mutated"; mutations: Mutation[] }
  | { kind: "share"; share: Uint8Array; mutations: Mutation[] }
  | { kind: "long"; filler: number; after: Uint8Array } // the valid payload with bytes after it (ignored)
  | { kind: "valid"; after: Uint8Array };

const hostileArb: fc.Arbitrary<Hostile> = fc.oneof(
  {
    arbitrary: fc.record({ kind: fc.constant("noise" as const), bytes: fc.uint8Array({ maxLength: 200 }) }),
    weight: 2,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant("frame" as const),
      type: fc.oneof(
        fc.constantFrom(FrameType.HELLO, FrameType.CONFIRM, FrameType.ERROR),
        fc.nat({ max: 255 }),
      ),
      id: fc.oneof(fc.constant(0), fc.nat()),
      payload: fc.oneof(
        fc.uint8Array({ maxLength: 100 }),
        fc.uint8Array({ minLength: 1000, maxLength: 1100 }),
      ),
    }),
    weight: 2,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant("mutated" as const),
      mutations: fc.array(mutationArb, { minLength: 1, maxLength: 3 }),
    }),
    weight: 6,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant("share" as const),
      share: specialShareArb,
      mutations: fc.array(mutationArb, { maxLength: 1 }),
    }),
    weight: 2,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant("long" as const),
      filler: fc.oneof(fc.nat({ max: 3000 }), fc.nat({ max: MAX_CONTROL_PAYLOAD + 100 })),
      after: fc.uint8Array({ maxLength: 40 }),
    }),
    weight: 1,
  },
  {
    arbitrary: fc.record({ kind: fc.constant("valid" as const), after: fc.uint8Array({ maxLength: 40 }) }),
    weight: 1,
  },
);

function hostileBytes(stage: Stage, t: Transcript, hostile: Hostile): Uint8Array {
  const valid = validFrame(stage, t);
  switch (hostile.kind) {
    case "noise":
      return hostile.bytes;
    case "frame":
      return frameBytes(hostile.type, hostile.id, hostile.payload);
    case "mutated":
      return mutate([asSpec(valid)], hostile.mutations);
    case "share": {
      const spec = asSpec(valid);
      const at = shareOffset(stage);
      const payload = spec.payload.slice();
      // CONFIRM has no share: its 32 bytes are replaced instead.
      payload.set(hostile.share, at ?? 0);
      return mutate([{ ...spec, payload }], hostile.mutations);
    }
    case "long": {
      const payload = new Uint8Array(valid.length - HEADER_SIZE + hostile.filler);
      payload.set(valid.subarray(HEADER_SIZE));
      payload.fill(0x5a, valid.length - HEADER_SIZE);
      return concat([frameBytes(valid[0] as number, 0, payload), hostile.after]);
    }
    case "valid":
      return concat([valid, hostile.after]);
  }
}

// --- what must come of it ---------------------------------------------------------------------------------

/**
 * What a correct state machine at `stage` makes of `input`, decided from the bytes alone:
 * - "pending": a prefix of a frame that could still be acceptable (wait for more);
 * - "refused": a protocol error (it sends ERROR and fails);
 * - "peer-error": a complete ERROR frame from the peer (it fails without a word);
 * - "accepted": server, a valid client HELLO and nothing after it (it waits for its turn);
 * - "up": the valid CONFIRM / server HELLO, byte for byte where it matters; `rest` = the bytes after it.
 */
type Expected =
  | { outcome: "pending" | "refused" | "peer-error" | "accepted" }
  | { outcome: "up"; rest: Uint8Array };

function expectedOutcome(stage: Stage, t: Transcript, input: Uint8Array): Expected {
  if (input.length === 0) return { outcome: "pending" };
  const type = input[0] as number;
  const allowed =
    stage === "server-hello"
      ? [FrameType.HELLO]
      : stage === "server-confirm"
        ? [FrameType.CONFIRM, FrameType.ERROR]
        : [FrameType.HELLO, FrameType.ERROR];
  if (!(allowed as number[]).includes(type)) return { outcome: "refused" };
  if (input.length < HEADER_SIZE) return { outcome: "pending" };
  const length = readU32(input, 5);
  if (length > MAX_CONTROL_PAYLOAD) return { outcome: "refused" };
  const end = HEADER_SIZE + length;
  if (input.length < end) return { outcome: "pending" };
  if (type === FrameType.ERROR) return { outcome: "peer-error" };
  const payload = input.subarray(HEADER_SIZE, end);
  const rest = input.subarray(end);
  const valid = validFrame(stage, t).subarray(HEADER_SIZE);
  if (stage === "server-hello") {
    if (!acceptableClientHello(payload)) return { outcome: "refused" };
    return rest.length === 0 ? { outcome: "accepted" } : { outcome: "refused" };
  }
  // Everything of a CONFIRM, and of a server HELLO its 77 bytes (magic to confirm) are authenticated: any
  // other value fails, whatever it is. A server HELLO's bytes after those are ignored.
  const same =
    stage === "server-confirm"
      ? length === valid.length && Buffer.compare(payload, valid) === 0
      : length >= valid.length && Buffer.compare(payload.subarray(0, valid.length), valid) === 0;
  return same ? { outcome: "up", rest } : { outcome: "refused" };
}

/**
 * Section 1's client HELLO: magic, version 2, suite 1, mode 0 with a zero resume_tag or mode 1 with the tag
 * of the one session there is to resume, and a share that decodes to a point other than the identity.
 */
function acceptableClientHello(payload: Uint8Array): boolean {
  if (payload.length < 78) return false;
  if (Buffer.compare(payload.subarray(0, 7), MAGIC) !== 0) return false;
  if (payload[7] !== 2 || payload[12] !== 1) return false;
  const tag = payload.subarray(30, 46);
  if (
    payload[13] === 0
      ? tag.some((byte) => byte !== 0)
      : payload[13] !== 1 || !sameBytes(tag, tagFor(payload.subarray(14, 30)))
  )
    return false;
  try {
    return !ristretto255.Point.fromBytes(payload.subarray(46, 78)).is0();
  } catch {
    return false;
  }
}

type Machine = ClientHandshake | ServerHandshake;
const readerOf = (machine: Machine) => (machine as unknown as { reader: HandshakeReader }).reader;
const sameBytes = (a: Uint8Array, b: Uint8Array) => Buffer.compare(a, b) === 0;

/** Checks a failure against its output: a protocol error is told to the peer (one ERROR, the same text). */
function checkFailure(failure: HandshakeFailure, output: Uint8Array[], peerError: boolean): void {
  const frames = decodeOutput(output);
  if (peerError) {
    assert.equal(failure.kind, "peer-error");
    assert.deepEqual(frames, [], "answered a peer's ERROR");
    return;
  }
  assert.notEqual(failure.kind, "peer-error");
  assert.equal(frames.length, 1, "a refusal is one ERROR frame");
  assert.equal(frames[0]?.type, FrameType.ERROR);
  assert.equal(new TextDecoder().decode(new Uint8Array(frames[0]?.payload ?? [])), failure.reason);
}

/**
 * At each stage of the handshake, random bytes, a valid frame with random damage (bits flipped, bytes set,
 * inserted or lost, the length or type changed, cut short), a share replaced by the identity, a
 * non-canonical or invalid encoding or another valid point, a payload far longer than needed, or the valid
 * frame itself, in chunks cut anywhere and with the clock moving: the state machine never throws. It ends
 * `failed` (with one ERROR to the peer carrying the reason, or silently after the peer's own ERROR), or,
 * while the bytes are a prefix of a frame that could still be valid, waits for more with nothing sent. It is
 * `up` only for the exact valid CONFIRM or server HELLO (with the peer's following bytes as its leftover,
 * and the keys of the real handshake); a server accepts exactly the well-formed client HELLOs (mode 0, or
 * mode 1 with the tag of its one session), and can then answer any of them. Half the cases resume (mode 1). Its reader never holds more than a header and 1 KiB, and after the deadline nothing is
 * left waiting.
 */
export function handshakeSurvivesHostileBytes() {
  const caseArb = fc.record({
    stage: fc.constantFrom<Stage>("server-hello", "server-confirm", "client-hello"),
    transcript: fc.nat({ max: POOL_SIZE - 1 }),
    hostile: hostileArb,
    chunking: chunkingArb,
    stepMs: fc.nat({ max: 400 }),
  });
  return fc.property(caseArb, ({ stage, transcript: index, hostile, chunking, stepMs }) => {
    const t = transcript(index);
    let now = 0;
    let machine: Machine;
    if (stage === "client-hello") {
      machine = newClient(index);
      assert.ok(sameBytes(concat(machine.takeOutput()), t.clientHello), "the client did not replay");
    } else {
      const server = newServer(index);
      machine = server;
      if (stage === "server-confirm") {
        server.receive(t.clientHello, 0);
        server.answer(prsFor(modeOf(index)), 0);
        assert.ok(sameBytes(concat(server.takeOutput()), t.serverHello), "the server did not replay");
        server.takeEvents();
      }
    }
    const waitingState = machine.state;
    const input = hostileBytes(stage, t, hostile);
    const expected = expectedOutcome(stage, t, input);

    const output: Uint8Array[] = [];
    const events: HandshakeEvent[] = [];
    // Once up, what follows is the peer's records: the driver hands it to the session, not to the handshake.
    const afterUp: Uint8Array[] = [];
    for (const chunk of applyChunking(input, chunking)) {
      if (machine.state === "up") {
        afterUp.push(chunk);
        continue;
      }
      // The clock moves, but stays before the CONFIRM deadline (3 s after the answer at 0).
      now = Math.min(now + stepMs, 2_999);
      machine.receive(chunk, now);
      machine.tick(now);
      output.push(...machine.takeOutput());
      events.push(...machine.takeEvents());
      assert.ok(
        readerOf(machine).bufferedBytes <= READER_BOUND,
        `reader holds ${readerOf(machine).bufferedBytes}`,
      );
    }
    const failures = events.filter((e) => e.type === "failed");
    assert.ok(failures.length <= 1, "failed twice");
    const ups = events.filter((e) => e.type === "up");

    switch (expected.outcome) {
      case "pending":
        assert.equal(machine.state, waitingState, "a valid prefix must leave it waiting");
        assert.deepEqual(events, []);
        assert.deepEqual(output, []);
        break;
      case "refused":
      case "peer-error": {
        assert.equal(machine.state, "failed");
        assert.equal(ups.length, 0, "up on damaged bytes");
        const failure = failures[0];
        assert.ok(failure?.type === "failed");
        assert.notEqual(failure.failure.kind, "timeout");
        assert.equal(failure.failure.answered, stage === "server-confirm");
        checkFailure(failure.failure, output, expected.outcome === "peer-error");
        break;
      }
      case "accepted": {
        assert.equal(machine.state, "waiting");
        assert.deepEqual(output, []);
        assert.equal(events.length, 1);
        const hello = events[0];
        assert.ok(hello?.type === "hello");
        const payload = input.subarray(HEADER_SIZE);
        assert.ok(sameBytes(hello.hello.sid, payload.subarray(14, 30)));
        assert.ok(sameBytes(hello.hello.share, payload.subarray(46, 78)));
        assert.equal(hello.hello.maxMessage, readU32(payload, 8));
        // Any HELLO it accepted, it can answer.
        assert.equal(hello.hello.mode, payload[13]);
        (machine as ServerHandshake).answer(prsFor(hello.hello.mode), now);
        assert.equal(machine.state, "confirm");
        const answer = decodeOutput(machine.takeOutput());
        assert.deepEqual(
          answer.map((f) => [f.type, f.payload.length]),
          [[FrameType.HELLO, 77]],
        );
        break;
      }
      case "up": {
        assert.equal(machine.state, "up");
        assert.equal(failures.length, 0);
        const up = ups[0];
        assert.ok(up?.type === "up");
        const real = stage === "client-hello" ? t.clientUp : t.serverUp;
        assert.ok(
          sameBytes(up.channel.keys.send.key, real.keys.send.key),
          "other keys than the real handshake's",
        );
        assert.ok(sameBytes(up.channel.keys.receive.iv, real.keys.receive.iv));
        assert.ok(
          sameBytes(concat([up.channel.leftover, ...afterUp]), expected.rest),
          "the bytes after the handshake's last frame are not its leftover and what followed",
        );
        if (stage === "client-hello") assert.ok(sameBytes(concat(output), t.confirm), "not the CONFIRM");
        else assert.deepEqual(output, []);
        break;
      }
    }

    // However it stands, the deadline leaves nothing waiting.
    machine.tick(now + 20_000);
    assert.ok(
      machine.state === "up" || machine.state === "failed",
      `still ${machine.state} after the deadline`,
    );
    const late = machine.takeEvents();
    if (expected.outcome === "pending" || expected.outcome === "accepted") {
      assert.equal(late[0]?.type === "failed" && late[0].failure.kind, "timeout");
      assert.equal(
        decodeOutput(machine.takeOutput())[0]?.type,
        FrameType.ERROR,
        "a timeout is told with ERROR",
      );
    } else assert.deepEqual(late, []);
  });
}
