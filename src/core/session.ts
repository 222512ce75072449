import { ByteRange, type Bytes, encodeText, flat, ownsBuffer, release } from "../protocol/bytes.ts";
import { FrameType, frameTypeName, isRecordFrameType } from "../protocol/constants.ts";
import { FrameDecoder, readU32 } from "../protocol/decoder.ts";
import { encodeU32, FrameWriter } from "../protocol/encoder.ts";
import { IntegrityError, ProtocolError } from "../protocol/errors.ts";
import { encodeHello, parseHello } from "../protocol/hello.ts";
import { type Channel, PLAIN_CHANNEL } from "./channel.ts";
import { nextId } from "./ids.ts";
import { PendingAcks, type PendingMessage } from "./pending-acks.ts";
import { SessionStats, type StatsSnapshot } from "./stats.ts";

/**
 * One conversation's protocol state, with no I/O of its own ("bring your own I/O").
 *
 * The adapter feeds it what the socket received (`receive`), what the user sends (`send`) and the passing of
 * time (`tick`, at `deadline()` at the latest), always with the current monotonic time in milliseconds.
 * It hands back bytes to write (`takeOutput`) and what happened (`takeEvents`). It never reads a clock,
 * starts a timer or touches a socket, so tests drive it with plain byte arrays and a made-up clock.
 *
 * Version 1 is one session per connection: the HELLO exchange, then messages, until the connection ends.
 * Version 2 starts once the secure handshake has made a channel (`attach`): the server's SESSION (or BUSY)
 * opens it. When the connection drops, a version-2 session is suspended, not ended: its messages wait, new
 * ones queue, and a later connection (`attach` again) resumes it with RESUME, resending exactly what the
 * peer did not get (protocol-v2 section 3).
 */

export type Role = "client" | "server";
/**
 * "handshake": version 1's HELLO exchange, or version 2's first frame on a connection (SESSION, BUSY or
 * RESUME); "suspended": version 2 only, the connection dropped and the session waits for a resume.
 */
export type SessionState = "handshake" | "open" | "suspended" | "closed";

/** Why a session ended. */
export type CloseKind =
  | "bye" // this side said goodbye
  | "peer-bye" // the peer said goodbye
  | "busy" // the server already had a client (the client was told, or was told so)
  | "protocol-error" // the peer broke the protocol; this side sent ERROR
  | "peer-error" // the peer reported that this side broke the protocol
  | "handshake-timeout" // no HELLO (version 2: no SESSION) in time
  | "timeout" // nothing received for too long: the peer is presumed dead
  | "lost" // the connection closed without a goodbye (version 2: and was not resumed in time)
  | "integrity" // a record failed authentication (version 2, when the session cannot be resumed)
  | "stalled"; // the peer kept sending but stopped reading; this side sent ERROR and gave up

export type SessionEvent =
  | { type: "open"; peerMaxMessage: number; resumeWindowMs?: number }
  | { type: "message"; id: number; payload: Bytes }
  /**
   * rttMs is null for a message the peer got before a drop whose ACK was lost (learned from its RESUME).
   * deliveredAfterMs, for a message that waited for a connection (given during an outage, or sent again
   * after one), is the time from when it was given to this ACK: its round trip counts from its last send
   * only. Null for a message sent at once, and with rttMs null.
   */
  | { type: "ack"; id: number; bytes: number; rttMs: number | null; deliveredAfterMs: number | null }
  /** Version 2: the connection dropped; the session is held for `windowMs` more (from the first drop). */
  | { type: "suspended"; reason: string; windowMs: number }
  /** Version 2: a new connection took the session over; `resent` messages were sent again. */
  | { type: "resumed"; afterMs: number; resent: number }
  | { type: "closed"; kind: CloseKind; reason: string };

export type SendResult = { ok: true; id: number } | { ok: false; error: string };

export interface SessionOptions {
  role: Role;
  /** The largest MSG payload this side accepts, advertised in its HELLO. */
  maxMessage: number;
  /** Monotonic time (ms) at which the connection was made. */
  now: number;
  /** 1 (plaintext, the default) or 2 (after the secure handshake; see `attach`). */
  version?: 1 | 2;
  helloTimeoutMs?: number;
  pingIntervalMs?: number;
  deadAfterMs?: number;
  /** Version-1 server only: asked once a valid HELLO arrives; false means the one session slot is taken (BUSY). */
  admit?: () => boolean;
  /** Version-1 server only: the reason sent in BUSY. */
  busyReason?: string;
  /** Version-2 server only: how long it holds the session after a drop, sent in SESSION (0: no resume). */
  resumeWindowMs?: number;
  /**
   * Test seam: the ids this session counts on from (the last message id and PING id used), so that tests
   * can reach the wrap from 2^32 − 1 to 1 without sending four billion frames.
   */
  startIds?: { message?: number; ping?: number };
}

/** Who takes a version-2 session's file frames (src/transfer's Transfers): called as each one arrives. */
export interface FileFrameHandler {
  /** Throws ProtocolError for a frame the protocol forbids (the session then answers ERROR and ends). */
  onFrame(type: FrameType, id: number, payload: Bytes, now: number): void;
}

export const DEFAULT_HELLO_TIMEOUT_MS = 10_000;
export const DEFAULT_PING_INTERVAL_MS = 15_000;
export const DEFAULT_DEAD_AFTER_MS = 45_000;
export const DEFAULT_RESUME_WINDOW_MS = 60_000;

const utf8 = new TextDecoder();

/** A record's plaintext is worth releasing (see `holdsOnlyFileData`) from this size on. */
const RELEASE_PAYLOAD_FROM = 16 * 1024;

/** What a version-2 connection's first frame may be: a client's first from the server, and either on a resume. */
const FIRST_FROM_SERVER = [FrameType.SESSION, FrameType.BUSY, FrameType.ERROR];
const FIRST_ON_RESUME = [FrameType.RESUME, FrameType.ERROR, FrameType.BYE];

export class Session {
  readonly role: Role;
  readonly version: 1 | 2;
  private currentState: SessionState = "handshake";
  /** The current connection's channel; null while there is none (version 2, before attach or suspended). */
  private channel: Channel | null = null;
  private decoder: FrameDecoder;
  private writer = new FrameWriter();
  /**
   * While a record's plaintext is decoded (channels that copy): which of its bytes went out as views. A
   * plaintext whose only payload is one FILE_DATA's is remembered in `fileDataOnly`: once that payload is
   * written to disk, nothing else needs the plaintext (see holdsOnlyFileData).
   */
  private plaintext: Uint8Array | null = null;
  private fileDataViews = 0;
  private otherViews = false;
  private readonly fileDataOnly = new WeakSet<ArrayBufferLike>();
  private events: SessionEvent[] = [];
  private readonly pending = new PendingAcks();
  private readonly counters = new SessionStats();
  private readonly options: SessionOptions;
  private readonly helloTimeoutMs: number;
  private readonly pingIntervalMs: number;
  private readonly deadAfterMs: number;
  private resumeWindowMs: number;

  private peerMax = 0;
  private lastMessageId: number;
  private lastPingId: number;
  /** The id of the last MSG received and delivered (0: none yet). */
  private lastDelivered = 0;
  /** The id of the last of this side's messages known delivered, in send order (0: none yet). */
  private lastSettled = 0;
  /** Whether the handshake ever opened this session (version 2: only then is there anything to resume). */
  private opened = false;
  /** Version 2: when the connection dropped, until a resume completes (a drop during a resume keeps it). */
  private droppedAt: number | null = null;
  /** Bytes of messages given ids while there was no connection to send them on. */
  private queued = 0;
  /** Version 2: where file frames go (none: a file frame is a protocol error). */
  files: FileFrameHandler | null = null;
  private attachedAt: number;
  private lastReceivedAt: number;
  private lastPingAt = Number.NEGATIVE_INFINITY;

  constructor(options: SessionOptions) {
    this.options = options;
    this.role = options.role;
    this.version = options.version ?? 1;
    this.helloTimeoutMs = options.helloTimeoutMs ?? DEFAULT_HELLO_TIMEOUT_MS;
    this.pingIntervalMs = options.pingIntervalMs ?? DEFAULT_PING_INTERVAL_MS;
    this.deadAfterMs = options.deadAfterMs ?? DEFAULT_DEAD_AFTER_MS;
    this.resumeWindowMs =
      options.role === "server" ? (options.resumeWindowMs ?? DEFAULT_RESUME_WINDOW_MS) : 0;
    this.lastMessageId = options.startIds?.message ?? 0;
    this.lastPingId = options.startIds?.ping ?? 0;
    this.attachedAt = options.now;
    this.lastReceivedAt = options.now;
    if (this.version === 1) {
      this.channel = PLAIN_CHANNEL;
      this.decoder = new FrameDecoder({
        maxMessage: options.maxMessage,
        firstFrame:
          options.role === "server" ? [FrameType.HELLO] : [FrameType.HELLO, FrameType.BUSY, FrameType.ERROR],
      });
      if (options.role === "client") this.writer.frame(FrameType.HELLO, 0, encodeHello(options.maxMessage));
    } else {
      this.decoder = this.recordDecoder(undefined);
    }
  }

  /** Whether the session ever opened: one that ended in its handshake has nothing to sum up. */
  get hasOpened(): boolean {
    return this.opened;
  }

  get state(): SessionState {
    return this.currentState;
  }

  /** The largest MSG payload the peer accepts (0 until its HELLO arrives). */
  get peerMaxMessage(): number {
    return this.peerMax;
  }

  /** Whether a connection carries the session now (version 1: until it ends). */
  get attached(): boolean {
    return this.channel !== null && this.currentState !== "closed";
  }

  /** Whether the current (or last) connection was encrypted. */
  get encrypted(): boolean {
    return this.version === 2;
  }

  /** Version 2: the session is between connections, or resuming on a new one (its RESUME not yet in). */
  get resuming(): boolean {
    return this.droppedAt !== null && this.currentState !== "closed";
  }

  /**
   * Whether the current channel copies what goes through it (version 2's records): a received chunk is not
   * held once `receive` returned, and the arrays `takeOutput` gives are the caller's alone.
   */
  get channelCopies(): boolean {
    return this.channel?.copies === true;
  }

  /** Bytes of messages waiting for a connection (sent as soon as a resume completes). */
  get queuedBytes(): number {
    return this.queued;
  }

  /** Version 2: how long the server holds the session after a drop (the client learns it from SESSION). */
  get resumeWindow(): number {
    return this.resumeWindowMs;
  }

  /**
   * Version 2: a connection whose secure handshake just completed carries this session from now on, with
   * `peerMaxMessage` from the peer's HELLO. A new session starts (the server sends SESSION; the client waits
   * for it); a suspended one resumes (both sides send RESUME and wait for the other's).
   */
  attach(channel: Channel, now: number, peerMaxMessage: number): void {
    if (this.version !== 2 || this.channel !== null || this.currentState === "closed") return;
    this.channel = channel;
    this.writer = new FrameWriter();
    this.peerMax = peerMaxMessage;
    this.attachedAt = now;
    this.lastReceivedAt = now;
    this.lastPingAt = Number.NEGATIVE_INFINITY;
    if (this.currentState === "suspended") {
      this.decoder = this.recordDecoder(FIRST_ON_RESUME);
      this.writer.frame(FrameType.RESUME, 0, encodeU32(this.lastDelivered));
      this.currentState = "handshake";
    } else if (this.role === "server") {
      this.decoder = this.recordDecoder(undefined);
      this.writer.frame(FrameType.SESSION, 0, encodeU32(this.resumeWindowMs));
      this.open();
    } else {
      this.decoder = this.recordDecoder(FIRST_FROM_SERVER);
    }
  }

  /** Feeds bytes the socket received. */
  receive(chunk: Uint8Array, now: number): void {
    const channel = this.channel;
    if (this.currentState === "closed" || channel === null) return;
    this.lastReceivedAt = now;
    try {
      if (channel.copies) channel.open(chunk, (plaintext) => this.decodeRecord(plaintext, now));
      else {
        channel.open(chunk, (plaintext) =>
          this.decoder.pushFields(plaintext, (type, id, payload) => this.onFrame(type, id, payload, now)),
        );
      }
    } catch (error) {
      if (error instanceof ProtocolError) this.fail(error.message);
      else if (error instanceof IntegrityError) this.drop(error.message, now, "integrity");
      else throw error;
    }
  }

  /** The transport wrote all of `output` (from `takeOutput`, with a channel that copies): its memory is free. */
  outputWritten(output: Uint8Array): void {
    if (this.channel?.recycle) this.channel.recycle(output);
    else release(output);
  }

  /**
   * Whether `bytes` (a FILE_DATA payload this session handed on) is a view of a record's plaintext that holds
   * no other payload: once the bytes are written, its memory may be released (see `release`).
   */
  holdsOnlyFileData(bytes: Uint8Array): boolean {
    // Small payloads are left to the collector (and `buffer` not asked for: see `release`).
    return bytes.length >= RELEASE_PAYLOAD_FROM && this.fileDataOnly.has(bytes.buffer);
  }

  /** One record's plaintext (a channel that copies): decoded, and noted when it holds one FILE_DATA alone. */
  private decodeRecord(plaintext: Uint8Array, now: number): void {
    this.plaintext = plaintext;
    this.fileDataViews = 0;
    this.otherViews = false;
    try {
      this.decoder.pushFields(plaintext, (type, id, payload) => this.onFrame(type, id, payload, now));
    } finally {
      this.plaintext = null;
    }
    // Nothing of it may stay with the decoder either (a payload that goes on in the next record).
    if (
      this.fileDataViews === 1 &&
      !this.otherViews &&
      this.decoder.payloadBytesHeld === 0 &&
      plaintext.length >= RELEASE_PAYLOAD_FROM
    ) {
      if (ownsBuffer(plaintext)) this.fileDataOnly.add(plaintext.buffer);
    }
  }

  /**
   * Queues a message. Refused (with a reason) when there is no session or it is larger than the peer
   * accepts. While a version-2 session is suspended or resuming, the message gets its id and waits; it is
   * sent once the peer's RESUME has said where to go on. The payload is kept (not copied) until the peer
   * acknowledges it: it must not change meanwhile.
   */
  send(payload: Bytes, now: number): SendResult {
    const waiting = this.currentState === "suspended" || (this.currentState === "handshake" && this.opened);
    if (this.currentState !== "open" && !waiting) return { ok: false, error: "not connected" };
    if (payload.length > this.peerMax) {
      return {
        ok: false,
        error: `message is ${payload.length} bytes; the peer accepts at most ${this.peerMax} bytes`,
      };
    }
    const id = nextId(this.lastMessageId);
    this.lastMessageId = id;
    if (waiting) {
      this.pending.add(id, null, payload, now);
      this.queued += payload.length;
    } else {
      this.writer.frame(FrameType.MSG, id, payload);
      this.pending.add(id, now, payload, now);
    }
    this.counters.sent++;
    this.counters.sentBytes += payload.length;
    return { ok: true, id };
  }

  /**
   * Writes a frame other than MSG (version 2's file frames) on the current connection. False when there is
   * none to write on (the session is not open, or is between connections): the caller keeps its state and
   * says it again after a resume.
   */
  writeFrame(type: FrameType, id: number, payload: Bytes): boolean {
    if (this.currentState !== "open" || this.channel === null) return false;
    this.writer.frame(type, id, payload);
    return true;
  }

  /** Bytes written since the output was last taken (what a pull of file data adds to). */
  get pendingOutput(): number {
    return this.writer.pendingBytes;
  }

  /** Says goodbye (BYE with an optional reason) and ends the session. */
  close(reason = ""): void {
    if (this.currentState === "closed") return;
    // A version-1 server that has not answered a HELLO yet may only send HELLO, BUSY or ERROR (a client
    // refuses any other first frame), so it leaves without a word; everywhere else the goodbye is a BYE.
    const mayBye =
      this.version === 2 ? this.channel !== null : this.role === "client" || this.currentState === "open";
    if (mayBye) this.writer.frame(FrameType.BYE, 0, encodeText(reason));
    this.finish("bye", reason || "closed");
  }

  /**
   * The connection ended underneath the session (EOF, reset). Version 1 ends; version 2 is suspended when
   * it can be resumed, else ends.
   */
  connectionLost(reason = "connection closed", now = this.lastReceivedAt): void {
    if (this.currentState === "closed" || this.channel === null) return;
    this.drop(reason, now, "lost");
  }

  /**
   * Gives up on a peer that is no longer reading what this side sends (the transport's judgement: it sees
   * its write queue). Sends ERROR with `reason`, should the peer ever read again, and ends the session.
   */
  abandon(reason: string): void {
    if (this.currentState === "closed") return;
    if (this.channel) this.writer.frame(FrameType.ERROR, 0, encodeText(reason));
    this.finish("stalled", reason);
  }

  /** Lets time pass: handshake timeout, keepalive PING, dead peer, the end of the resume window. */
  tick(now: number): void {
    switch (this.currentState) {
      case "handshake":
        if (this.channel !== null && now - this.attachedAt >= this.helloTimeoutMs)
          this.handshakeTimedOut(now);
        return;
      case "suspended":
        if (now >= this.windowEnd()) {
          const seconds = formatSeconds(this.resumeWindowMs);
          this.finish("lost", `the connection dropped and did not come back within ${seconds}`);
        }
        return;
      case "open":
        if (now - this.lastReceivedAt >= this.deadAfterMs) {
          const reason = `nothing received for ${formatSeconds(this.deadAfterMs)}`;
          if (this.resumable()) {
            this.drop(reason, now, "timeout");
            return;
          }
          this.writer.frame(FrameType.BYE, 0, encodeText(reason));
          this.finish("timeout", reason);
        } else if (now >= this.nextPingAt()) {
          this.lastPingId = nextId(this.lastPingId);
          this.lastPingAt = now;
          this.writer.frame(FrameType.PING, this.lastPingId);
        }
        return;
      case "closed":
        return;
    }
  }

  /** The time by which `tick` must next be called (Infinity when nothing is due). */
  deadline(): number {
    switch (this.currentState) {
      case "handshake":
        return this.channel === null ? Number.POSITIVE_INFINITY : this.attachedAt + this.helloTimeoutMs;
      case "suspended":
        return this.windowEnd();
      case "open":
        return Math.min(this.nextPingAt(), this.lastReceivedAt + this.deadAfterMs);
      case "closed":
        return Number.POSITIVE_INFINITY;
    }
  }

  /** The bytes to write on the current connection (sealed into records in version 2). */
  takeOutput(): Uint8Array[] {
    const frames = this.writer.take();
    if (frames.length === 0 || this.channel === null) return [];
    return this.channel.seal(frames);
  }

  takeEvents(): SessionEvent[] {
    const out = this.events;
    if (out.length > 0) this.events = [];
    return out;
  }

  stats(): StatsSnapshot {
    return this.counters.snapshot(this.pending.size);
  }

  get unackedCount(): number {
    return this.pending.size;
  }

  /** This side's messages the peer has not acknowledged, oldest first. */
  unacked(): PendingMessage[] {
    return this.pending.list().map(({ id, sentAt, payload }) => ({ id, sentAt, payload }));
  }

  private recordDecoder(firstFrame: readonly FrameType[] | undefined): FrameDecoder {
    return new FrameDecoder({
      maxMessage: this.options.maxMessage,
      isKnownType: isRecordFrameType,
      ...(firstFrame ? { firstFrame } : {}),
    });
  }

  private nextPingAt(): number {
    // A PING after every quiet interval: one at 15 s of silence, another at 30 s, and so on.
    return Math.max(this.lastReceivedAt, this.lastPingAt) + this.pingIntervalMs;
  }

  private windowEnd(): number {
    return (this.droppedAt ?? Number.POSITIVE_INFINITY) + this.resumeWindowMs;
  }

  /** Version 2, once opened, with a resume window: a drop suspends instead of ending. */
  private resumable(): boolean {
    return this.version === 2 && this.opened && this.resumeWindowMs > 0;
  }

  private onFrame(type: FrameType, id: number, payload: Bytes, now: number): void {
    if (this.plaintext !== null && payload.length > 0) {
      if (type === FrameType.FILE_DATA && payload instanceof ByteRange && payload.source === this.plaintext) {
        this.fileDataViews++;
      } else this.otherViews = true;
    }
    // Frames after a BYE, an error or a drop in the same chunk are neither delivered nor answered.
    if (this.currentState === "closed" || this.currentState === "suspended") return;
    if (this.currentState === "handshake") {
      if (this.version === 1) this.onHelloFrame(type, payload);
      else this.onFirstFrame(type, payload, now);
      return;
    }
    switch (type) {
      case FrameType.MSG: {
        const expected = nextId(this.lastDelivered);
        // Version 2 never sends a message twice, so its ids arrive consecutive; version 1 acks any id.
        if (this.version === 2 && id !== expected) {
          this.fail(`MSG id ${id} is out of order: expected ${expected}`);
          return;
        }
        this.lastDelivered = id;
        this.counters.received++;
        this.counters.receivedBytes += payload.length;
        this.events.push({ type: "message", id, payload });
        // The adapter hands the message to the user before it writes this ACK out.
        this.writer.frame(FrameType.ACK, id);
        return;
      }
      case FrameType.ACK: {
        const message = this.pending.get(id);
        // An ACK for an id that is not pending, or not yet sent on any connection, is ignored.
        if (message?.sentAt == null) return;
        if (message === this.pending.oldest()) this.lastSettled = id;
        this.pending.settle(id);
        const rttMs = now - message.sentAt;
        this.counters.acked++;
        this.counters.rtt.record(rttMs);
        const deliveredAfterMs = message.waited ? now - message.givenAt : null;
        this.events.push({ type: "ack", id, bytes: message.payload.length, rttMs, deliveredAfterMs });
        return;
      }
      case FrameType.PING:
        this.writer.frame(FrameType.PONG, id, payload);
        return;
      case FrameType.PONG:
        return; // its arrival already counts as life
      case FrameType.BYE:
        this.finish("peer-bye", utf8.decode(flat(payload)));
        return;
      case FrameType.ERROR:
        this.finish("peer-error", utf8.decode(flat(payload)));
        return;
      default:
        if (this.version === 2 && type >= FrameType.FILE_OFFER && type <= FrameType.FILE_CANCEL) {
          if (!this.files) throw new ProtocolError(`${frameTypeName(type)}: this side takes no files`);
          this.files.onFrame(type, id, payload, now); // a ProtocolError from it ends the session
          return;
        }
        // HELLO again, BUSY, SESSION or RESUME: each only belongs to the start of a connection.
        this.fail(`unexpected ${frameTypeName(type)} after the handshake`);
    }
  }

  /** Version 1: the HELLO exchange. */
  private onHelloFrame(type: FrameType, payload: Bytes): void {
    // The decoder guarantees the first frame is HELLO (server), or HELLO, BUSY or ERROR (client).
    if (type === FrameType.BUSY) {
      this.finish("busy", utf8.decode(flat(payload)) || "the server is busy");
      return;
    }
    if (type === FrameType.ERROR) {
      this.finish("peer-error", utf8.decode(flat(payload)));
      return;
    }
    let hello: ReturnType<typeof parseHello>;
    try {
      hello = parseHello(flat(payload));
    } catch (error) {
      if (!(error instanceof ProtocolError)) throw error;
      this.fail(error.message);
      return;
    }
    if (this.role === "server") {
      if (this.options.admit && !this.options.admit()) {
        const reason = this.options.busyReason ?? "the server is busy with another client";
        this.writer.frame(FrameType.BUSY, 0, encodeText(reason));
        this.finish("busy", reason);
        return;
      }
      this.writer.frame(FrameType.HELLO, 0, encodeHello(this.options.maxMessage));
    }
    this.peerMax = hello.maxMessage;
    this.open();
  }

  /** Version 2: the first frame on a connection (the decoder lets through only those allowed there). */
  private onFirstFrame(type: FrameType, payload: Bytes, now: number): void {
    switch (type) {
      case FrameType.SESSION:
        if (payload.length < 4) throw new ProtocolError(`malformed SESSION: ${payload.length} bytes`);
        this.resumeWindowMs = readU32(flat(payload), 0);
        this.open();
        return;
      case FrameType.RESUME:
        if (payload.length < 4) throw new ProtocolError(`malformed RESUME: ${payload.length} bytes`);
        this.onResume(readU32(flat(payload), 0), now);
        return;
      case FrameType.BUSY:
        this.finish("busy", utf8.decode(flat(payload)) || "the server is busy");
        return;
      case FrameType.BYE:
        this.finish("peer-bye", utf8.decode(flat(payload)));
        return;
      default: // ERROR
        this.finish("peer-error", utf8.decode(flat(payload)));
    }
  }

  /**
   * The peer's RESUME: what it delivered tells which of this side's messages it has. Those count as
   * acknowledged (their ACK was lost with the connection); the rest are sent again, in order, with their
   * ids, followed by what was queued meanwhile.
   */
  private onResume(peerLastDelivered: number, now: number): void {
    const named = this.pending.get(peerLastDelivered);
    const known = named !== undefined && named.sentAt !== null;
    if (peerLastDelivered !== 0 && peerLastDelivered !== this.lastSettled && !known) {
      this.fail(`RESUME names message ${peerLastDelivered}, which this side never sent`);
      return;
    }
    if (known) {
      for (const message of this.pending.settleThrough(peerLastDelivered)) {
        this.counters.acked++;
        this.events.push({
          type: "ack",
          id: message.id,
          bytes: message.payload.length,
          rttMs: null,
          deliveredAfterMs: null,
        });
      }
      this.lastSettled = peerLastDelivered;
    }
    let resent = 0;
    for (const message of this.pending.list()) {
      if (message.sentAt !== null) resent++;
      this.writer.frame(FrameType.MSG, message.id, message.payload);
      message.sentAt = now; // the round trip of a resent message counts from now
      message.waited = true; // and its ACK says how long it took in all
    }
    this.queued = 0;
    const afterMs = now - (this.droppedAt ?? now);
    this.droppedAt = null;
    this.currentState = "open";
    this.events.push({ type: "resumed", afterMs, resent });
  }

  private handshakeTimedOut(now: number): void {
    const seconds = formatSeconds(this.helloTimeoutMs);
    if (this.version === 1) {
      this.writer.frame(FrameType.ERROR, 0, encodeText(`no HELLO within ${seconds}`));
      this.finish("handshake-timeout", `no HELLO within ${seconds}`);
    } else if (this.opened) {
      this.drop(`no RESUME within ${seconds}`, now, "timeout");
    } else {
      this.writer.frame(FrameType.ERROR, 0, encodeText(`no SESSION within ${seconds}`));
      this.finish("handshake-timeout", `no SESSION within ${seconds}`);
    }
  }

  private open(): void {
    this.currentState = "open";
    this.opened = true;
    if (this.version === 1) this.events.push({ type: "open", peerMaxMessage: this.peerMax });
    else
      this.events.push({ type: "open", peerMaxMessage: this.peerMax, resumeWindowMs: this.resumeWindowMs });
  }

  /**
   * The current connection is gone (closed under us, silent past dead-after, or failing its integrity
   * check). A session that can be resumed lets go of it and waits; any other ends, as `kind`.
   */
  private drop(reason: string, now: number, kind: CloseKind): void {
    // A record can fail right after one whose frames ended the session (BYE, ERROR): it stays ended.
    if (this.currentState === "closed") return;
    if (!this.resumable()) {
      this.finish(kind, reason);
      return;
    }
    this.channel = null;
    this.writer = new FrameWriter(); // what it held was for the lost connection; RESUME sorts it out
    const wasOpen = this.currentState === "open";
    this.currentState = "suspended";
    this.droppedAt ??= now;
    if (wasOpen) {
      this.events.push({ type: "suspended", reason, windowMs: Math.max(0, this.windowEnd() - now) });
    }
  }

  /** The peer broke the protocol: tell it why and end the session. */
  private fail(message: string): void {
    if (this.currentState === "closed") return;
    if (this.channel) this.writer.frame(FrameType.ERROR, 0, encodeText(message));
    this.finish("protocol-error", message);
  }

  private finish(kind: CloseKind, reason: string): void {
    this.currentState = "closed";
    this.events.push({ type: "closed", kind, reason });
  }
}

function formatSeconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))} s`;
}
