import { type Bytes, flat } from "../protocol/bytes.ts";
import { FrameType, frameTypeName, MAX_U32 } from "../protocol/constants.ts";
import { FrameDecoder } from "../protocol/decoder.ts";
import { FrameWriter } from "../protocol/encoder.ts";
import { ProtocolError } from "../protocol/errors.ts";
import { encodeHello, parseHello } from "../protocol/hello.ts";
import { PendingAcks, type PendingMessage } from "./pending-acks.ts";
import { SessionStats, type StatsSnapshot } from "./stats.ts";

/**
 * One connection's protocol state, with no I/O of its own ("bring your own I/O").
 *
 * The adapter feeds it what the socket received (`receive`), what the user sends (`send`) and the passing of
 * time (`tick`, at `deadline()` at the latest), always with the current monotonic time in milliseconds.
 * It hands back bytes to write (`takeOutput`) and what happened (`takeEvents`). It never reads a clock,
 * starts a timer or touches a socket, so tests drive it with plain byte arrays and a made-up clock.
 */

export type Role = "client" | "server";
export type SessionState = "handshake" | "open" | "closed";

/** Why a session ended. */
export type CloseKind =
  | "bye" // this side said goodbye
  | "peer-bye" // the peer said goodbye
  | "busy" // the server already had a client (the client was told, or was told so)
  | "protocol-error" // the peer broke the protocol; this side sent ERROR
  | "peer-error" // the peer reported that this side broke the protocol
  | "handshake-timeout" // no HELLO in time
  | "timeout" // nothing received for too long: the peer is presumed dead
  | "lost" // the connection closed without a goodbye
  | "stalled"; // the peer kept sending but stopped reading; this side sent ERROR and gave up

export type SessionEvent =
  | { type: "open"; peerMaxMessage: number }
  | { type: "message"; id: number; payload: Bytes }
  | { type: "ack"; id: number; bytes: number; rttMs: number }
  | { type: "closed"; kind: CloseKind; reason: string };

export type SendResult = { ok: true; id: number } | { ok: false; error: string };

export interface SessionOptions {
  role: Role;
  /** The largest MSG payload this side accepts, advertised in its HELLO. */
  maxMessage: number;
  /** Monotonic time (ms) at which the connection was made. */
  now: number;
  helloTimeoutMs?: number;
  pingIntervalMs?: number;
  deadAfterMs?: number;
  /** Server only: asked once a valid HELLO arrives; false means the one session slot is taken (BUSY). */
  admit?: () => boolean;
  /** Server only: the reason sent in BUSY. */
  busyReason?: string;
  /**
   * Test-only seam: the last MSG id and PING id already used (default 0, so the first of each is 1). Lets a
   * test start the counters just below 2^32 − 1 and see them wrap to 1 without sending four billion frames.
   */
  startIds?: { message?: number; ping?: number };
}

export const DEFAULT_HELLO_TIMEOUT_MS = 10_000;
export const DEFAULT_PING_INTERVAL_MS = 15_000;
export const DEFAULT_DEAD_AFTER_MS = 45_000;

const utf8 = new TextDecoder();
const textEncoder = new TextEncoder();
const encodeText = (text: string): Uint8Array => textEncoder.encode(text);

export class Session {
  readonly role: Role;
  private currentState: SessionState = "handshake";
  private readonly decoder: FrameDecoder;
  private readonly writer = new FrameWriter();
  private events: SessionEvent[] = [];
  private readonly pending = new PendingAcks();
  private readonly counters = new SessionStats();
  private readonly options: SessionOptions;
  private readonly helloTimeoutMs: number;
  private readonly pingIntervalMs: number;
  private readonly deadAfterMs: number;

  private peerMax = 0;
  private lastMessageId: number;
  private lastPingId: number;
  private readonly startedAt: number;
  private lastReceivedAt: number;
  private lastPingAt = Number.NEGATIVE_INFINITY;

  constructor(options: SessionOptions) {
    this.options = options;
    this.role = options.role;
    this.helloTimeoutMs = options.helloTimeoutMs ?? DEFAULT_HELLO_TIMEOUT_MS;
    this.pingIntervalMs = options.pingIntervalMs ?? DEFAULT_PING_INTERVAL_MS;
    this.deadAfterMs = options.deadAfterMs ?? DEFAULT_DEAD_AFTER_MS;
    this.lastMessageId = options.startIds?.message ?? 0;
    this.lastPingId = options.startIds?.ping ?? 0;
    this.startedAt = options.now;
    this.lastReceivedAt = options.now;
    this.decoder = new FrameDecoder({
      maxMessage: options.maxMessage,
      firstFrame:
        options.role === "server" ? [FrameType.HELLO] : [FrameType.HELLO, FrameType.BUSY, FrameType.ERROR],
    });
    if (options.role === "client") this.writer.frame(FrameType.HELLO, 0, encodeHello(options.maxMessage));
  }

  get state(): SessionState {
    return this.currentState;
  }

  /** The largest MSG payload the peer accepts (0 until its HELLO arrives). */
  get peerMaxMessage(): number {
    return this.peerMax;
  }

  /** Feeds bytes the socket received. */
  receive(chunk: Uint8Array, now: number): void {
    if (this.currentState === "closed") return;
    this.lastReceivedAt = now;
    try {
      this.decoder.pushFields(chunk, (type, id, payload) => this.onFrame(type, id, payload, now));
    } catch (error) {
      if (!(error instanceof ProtocolError)) throw error;
      this.fail(error.message);
    }
  }

  /**
   * Queues a message. Refused (with a reason) when not connected or larger than the peer accepts. The payload
   * is kept (not copied) until the peer acknowledges it: it must not change meanwhile.
   */
  send(payload: Bytes, now: number): SendResult {
    if (this.currentState !== "open") return { ok: false, error: "not connected" };
    if (payload.length > this.peerMax) {
      return {
        ok: false,
        error: `message is ${payload.length} bytes; the peer accepts at most ${this.peerMax} bytes`,
      };
    }
    // Ids count 1, 2, 3, …; after 2^32 − 1 they start again at 1 (0 is never a message id).
    const id = this.lastMessageId === MAX_U32 ? 1 : this.lastMessageId + 1;
    this.lastMessageId = id;
    this.writer.frame(FrameType.MSG, id, payload);
    this.pending.add(id, now, payload);
    this.counters.sent++;
    this.counters.sentBytes += payload.length;
    return { ok: true, id };
  }

  /** Says goodbye (BYE with an optional reason) and ends the session. */
  close(reason = ""): void {
    if (this.currentState === "closed") return;
    // A server that has not answered a HELLO yet may only send HELLO, BUSY or ERROR (a client refuses any
    // other first frame), so it leaves without a word; everywhere else the goodbye is a BYE.
    if (this.role === "client" || this.currentState === "open") {
      this.writer.frame(FrameType.BYE, 0, encodeText(reason));
    }
    this.finish("bye", reason || "closed");
  }

  /** The connection ended underneath the session (EOF, reset). */
  connectionLost(reason = "connection closed"): void {
    if (this.currentState === "closed") return;
    this.finish("lost", reason);
  }

  /**
   * Gives up on a peer that is no longer reading what this side sends (the transport's judgement: it sees
   * its write queue). Sends ERROR with `reason`, should the peer ever read again, and ends the session.
   */
  abandon(reason: string): void {
    if (this.currentState === "closed") return;
    this.writer.frame(FrameType.ERROR, 0, encodeText(reason));
    this.finish("stalled", reason);
  }

  /** Lets time pass: handshake timeout, keepalive PING, dead peer. */
  tick(now: number): void {
    if (this.currentState === "handshake") {
      if (now - this.startedAt >= this.helloTimeoutMs) {
        const seconds = formatSeconds(this.helloTimeoutMs);
        this.writer.frame(FrameType.ERROR, 0, encodeText(`no HELLO within ${seconds}`));
        this.finish("handshake-timeout", `no HELLO within ${seconds}`);
      }
      return;
    }
    if (this.currentState !== "open") return;
    if (now - this.lastReceivedAt >= this.deadAfterMs) {
      const reason = `nothing received for ${formatSeconds(this.deadAfterMs)}`;
      this.writer.frame(FrameType.BYE, 0, encodeText(reason));
      this.finish("timeout", reason);
    } else if (now >= this.nextPingAt()) {
      this.lastPingId = this.lastPingId === MAX_U32 ? 1 : this.lastPingId + 1;
      this.lastPingAt = now;
      this.writer.frame(FrameType.PING, this.lastPingId);
    }
  }

  /** The time by which `tick` must next be called (Infinity when nothing is due). */
  deadline(): number {
    if (this.currentState === "handshake") return this.startedAt + this.helloTimeoutMs;
    if (this.currentState !== "open") return Number.POSITIVE_INFINITY;
    return Math.min(this.nextPingAt(), this.lastReceivedAt + this.deadAfterMs);
  }

  takeOutput(): Uint8Array[] {
    return this.writer.take();
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
    return this.pending.list();
  }

  private nextPingAt(): number {
    // A PING after every quiet interval: one at 15 s of silence, another at 30 s, and so on.
    return Math.max(this.lastReceivedAt, this.lastPingAt) + this.pingIntervalMs;
  }

  private onFrame(type: FrameType, id: number, payload: Bytes, now: number): void {
    if (this.currentState === "closed") return; // frames after a BYE or an error in the same chunk
    if (this.currentState === "handshake") {
      this.onHandshakeFrame(type, payload);
      return;
    }
    switch (type) {
      case FrameType.MSG:
        this.counters.received++;
        this.counters.receivedBytes += payload.length;
        this.events.push({ type: "message", id, payload });
        // The adapter hands the message to the user before it writes this ACK out.
        this.writer.frame(FrameType.ACK, id);
        return;
      case FrameType.ACK: {
        const settled = this.pending.settle(id);
        if (!settled) return; // an ACK for an unknown id is ignored
        const rttMs = now - settled.sentAt;
        this.counters.acked++;
        this.counters.rtt.record(rttMs);
        this.events.push({ type: "ack", id, bytes: settled.payload.length, rttMs });
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
        // HELLO again, or BUSY: both only belong to the handshake.
        this.fail(`unexpected ${frameTypeName(type)} after the handshake`);
    }
  }

  private onHandshakeFrame(type: FrameType, payload: Bytes): void {
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
    this.currentState = "open";
    this.events.push({ type: "open", peerMaxMessage: hello.maxMessage });
  }

  /** The peer broke the protocol: tell it why and end the session. */
  private fail(message: string): void {
    if (this.currentState === "closed") return;
    this.writer.frame(FrameType.ERROR, 0, encodeText(message));
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
