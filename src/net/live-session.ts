import type { Channel } from "../core/channel.ts";
import type { ChatLink, ChatView, DeliveryEvent, FileLink, SessionEnd } from "../core/chat.ts";
import type { PendingMessage } from "../core/pending-acks.ts";
import type { SendResult, Session, SessionEvent } from "../core/session.ts";
import type { StatsSnapshot } from "../core/stats.ts";
import { type Bytes, release } from "../protocol/bytes.ts";
import type { ChannelUp } from "../secure/handshake.ts";
import { SecureChannel } from "../secure/secure-channel.ts";
import type { Connection, ConnectionUser } from "./connection.ts";
import { DeadlineTimer, now } from "./deadline-timer.ts";
import { describeClose } from "./errors.ts";

/** What a live session reports to its owner (the server's slot keeper, or the client). */
export interface LiveSessionOwner {
  opened(live: LiveSession): void;
  /** See ChatView.delivered: a promise holds everything written after these events until it settles. */
  delivered(live: LiveSession, events: DeliveryEvent[]): Promise<void> | undefined;
  suspended(live: LiveSession, event: Extract<SessionEvent, { type: "suspended" }>): void;
  resumed(live: LiveSession, event: Extract<SessionEvent, { type: "resumed" }>): void;
  /** The session is suspended and has no connection now (after a drop, or a resume that broke off). */
  detached?(live: LiveSession): void;
  /** The session ended; called exactly once, before its socket is closed. */
  ended(live: LiveSession, end: SessionEnd): void;
  drained(live: LiveSession): void;
}

/**
 * Something that speaks beside the chat on the same session (the file transfers): told of the session's
 * events, and asked to write its frames before each output is taken, with the room the connection has.
 */
export interface SessionCompanion {
  sessionEvent(event: SessionEvent): void;
  /** Writes frames into the session (Session.writeFrame), at most about `room` bytes of bulk data. */
  beforeOutput(room: number): void;
  /** Whether it could write more right now (then the loop runs again soon, even if no socket event comes). */
  readyForMore(): boolean;
}

/**
 * The connection's queue is kept below this with bulk data (files), so that a message typed meanwhile waits
 * behind at most this much in this program (and the flow window bounds what waits further down).
 */
const BULK_HIGH_WATER = 256 * 1024;

/** A version-2 connection whose handshake completed: what the session needs of it. */
export interface SecureStart {
  channel: Channel;
  peerMaxMessage: number;
  /** The peer's first records, which arrived with the handshake's last frame. */
  leftover: Uint8Array;
}

/** What a session goes on with once the handshake has brought `up` a channel: its records, on that connection. */
export function secureStart(up: ChannelUp): SecureStart {
  return { channel: new SecureChannel(up.keys), peerMaxMessage: up.peerMaxMessage, leftover: up.leftover };
}

/**
 * The owner that passes a live session's news on to a front end as it is. The server and the client start
 * from it and add their own part (the slot, the code, reconnecting).
 */
export function viewOwner(view: ChatView): LiveSessionOwner {
  return {
    opened: (live) => view.connected(live),
    delivered: (live, events) => view.delivered(live, events),
    suspended: (live, event) => view.connectionLost(live, { reason: event.reason, windowMs: event.windowMs }),
    resumed: (live, event) => view.resumed(live, { afterMs: event.afterMs, resent: event.resent }),
    drained: (live) => view.drained(live),
    ended: (live, end) => view.ended(live, end),
  };
}

/**
 * How much may wait for the socket beyond one message of the peer's largest size before the peer counts as
 * no longer reading. Every MSG received queues an ACK: a peer that sends without reading would otherwise
 * grow this side's write queue without limit. Front ends stop feeding a link at a few MiB, so only replies
 * to a peer that does not read can get this far.
 */
export const UNREAD_LIMIT = 64 * 1024 * 1024;

/**
 * A Session driven by real sockets and a timer: the adapter between the pure session and the connection
 * that carries it now (version 2: one after another, when a dropped connection is resumed). This is what a
 * front end holds as its ChatLink, whatever connection is under it.
 *
 * Its loop, after anything happened: the session's events go to the owner first, then its bytes to the
 * socket, so an ACK leaves only once its message has been handed to the user.
 */
export class LiveSession implements ChatLink, ConnectionUser {
  private connection: Connection | null = null;
  private readonly timer = new DeadlineTimer(() => {
    this.session.tick(now());
    this.pump();
  });
  private lastPeer = "";
  private companion: SessionCompanion | null = null;
  private morePending = false;
  private readingPaused = false;
  /** The companion asked to stop reading for now (its disk is behind): see holdReading. */
  private readingHeld = false;
  private endReported = false;
  private resolveClosed!: () => void;
  /** Version 2: files to and from the peer (set by the transfer driver). */
  files: FileLink | null = null;
  /** Version 2: the secret that proves a reconnecting client is this session's (from its first handshake). */
  resumeSecret: Uint8Array | null = null;
  /** Settles once the session is over and its last socket closed (its goodbye written, or given up). */
  readonly closed = new Promise<void>((resolve) => {
    this.resolveClosed = resolve;
  });

  constructor(
    readonly session: Session,
    private readonly owner: LiveSessionOwner,
  ) {}

  get peer(): string {
    return this.connection?.peer ?? this.lastPeer;
  }

  get peerMaxMessage(): number {
    return this.session.peerMaxMessage;
  }

  get encrypted(): boolean {
    return this.session.encrypted;
  }

  get bufferedBytes(): number {
    return (this.connection?.bufferedBytes ?? 0) + this.session.queuedBytes;
  }

  get suspended(): boolean {
    return this.session.resuming;
  }

  get unackedCount(): number {
    return this.session.unackedCount;
  }

  /** Whether a connection carries the session now. */
  get connected(): boolean {
    return this.connection !== null;
  }

  /**
   * `connection` carries the session from now on: the one it was made on (version 1), or one whose secure
   * handshake just completed (version 2: `start`), which resumes the session if it was suspended.
   */
  attach(connection: Connection, start?: SecureStart): void {
    this.connection = connection;
    this.lastPeer = connection.peer;
    connection.use(this);
    if (this.readingPaused || this.readingHeld) connection.pause();
    if (start) this.session.attach(start.channel, now(), start.peerMaxMessage);
    this.pump();
    if (start && start.leftover.length > 0) this.received(start.leftover);
  }

  /**
   * The server took a resuming client's new connection while it still thought the old one live: the old
   * one is dropped (closed without a goodbye) as if it had been cut, and the new one attached.
   */
  replace(connection: Connection, start: SecureStart): void {
    this.connectionDropped("replaced by the client's new connection");
    this.attach(connection, start);
  }

  /** Adds a companion (the file transfers) that writes beside the chat. */
  accompany(companion: SessionCompanion): void {
    this.companion = companion;
  }

  /** Runs the loop now: the companion has something to say (a disk read finished, say). */
  refresh(): void {
    this.pump();
  }

  // ---- ChatLink: what a front end does ----

  send(payload: Bytes): SendResult {
    const result = this.session.send(payload, now());
    this.pump();
    return result;
  }

  close(reason = ""): void {
    this.session.close(reason);
    this.pump();
  }

  stats(): StatsSnapshot {
    return this.session.stats();
  }

  unacked(): PendingMessage[] {
    return this.session.unacked();
  }

  pauseReading(): void {
    this.readingPaused = true;
    this.connection?.pause();
  }

  resumeReading(): void {
    this.readingPaused = false;
    if (!this.readingHeld) this.connection?.resume();
  }

  /**
   * The companion's own pause, beside the front end's: while held, the socket is not read (the peer's
   * bytes wait in the kernel, and TCP slows the peer down). Reading resumes when neither holds it.
   */
  holdReading(hold: boolean): void {
    if (hold === this.readingHeld) return;
    this.readingHeld = hold;
    if (hold) this.connection?.pause();
    else if (!this.readingPaused) this.connection?.resume();
  }

  /** Ends the session at once without a word to the peer (a client whose handshake failed, say). */
  abort(kind: SessionEnd["kind"], reason: string): void {
    if (this.endReported) return;
    this.reportEnd(kind, reason);
    this.session.close();
    this.session.takeEvents();
    this.session.takeOutput();
    this.timer.clear();
    this.connection?.terminate();
    void this.settleClosed();
  }

  // ---- ConnectionUser: what the socket does ----

  received(chunk: Uint8Array): void {
    // The session keeps views of the chunks of a large message until it is complete, instead of copying them:
    // safe because Bun hands every read over in a buffer of its own.
    this.session.receive(chunk, now());
    // Version 2's records are opened into fresh plaintext: nothing holds the chunk now.
    if (this.session.channelCopies) release(chunk);
    const connection = this.connection;
    if (connection && connection.bufferedBytes > this.session.peerMaxMessage + UNREAD_LIMIT) {
      this.session.abandon(
        `the peer stopped reading: ${Math.round(connection.bufferedBytes / 2 ** 20)} MiB wait to be sent`,
      );
    }
    this.pump();
  }

  written(chunk: Uint8Array): void {
    this.session.outputWritten(chunk);
  }

  drained(): void {
    this.owner.drained(this);
    if (this.companion) this.pump(); // room for more bulk data
  }

  socketClosed(error?: Error): void {
    this.session.connectionLost(describeClose(error), now());
    this.connection = null;
    this.pump();
    if (this.session.state === "suspended") this.owner.detached?.(this);
  }

  // ---- the loop ----

  private pump(): void {
    const events = this.session.takeEvents();
    if (events.length > 0) this.dispatch(events);
    const connection = this.connection;
    if (this.companion && connection) {
      this.companion.beforeOutput(
        Math.max(0, BULK_HIGH_WATER - connection.bufferedBytes - this.session.pendingOutput),
      );
    }
    // Written after dispatch, and not before the owner has handed the messages over (a hold on the
    // connection), so an ACK leaves only once its message is with the user.
    const output = this.session.takeOutput();
    if (connection) {
      connection.write(output, this.session.channelCopies);
      // The session let go of this connection: it ended (the goodbye is flushed first) or it dropped it
      // (silent past dead-after, failed integrity check: cut at once).
      if (!this.session.attached) {
        this.connection = null;
        connection.use(null);
        if (this.session.state === "closed") connection.end();
        else {
          connection.terminate();
          this.owner.detached?.(this);
        }
      }
    }
    if (this.session.state === "closed") {
      this.timer.clear();
      void this.settleClosed(connection);
    } else {
      this.timer.set(this.session.deadline());
      this.moreSoon();
    }
  }

  /**
   * The socket took all it was given (no `drain` will come) but the companion has more ready: run the loop
   * again on the next turn of the event loop, after whatever else is waiting (chat input, received bytes).
   */
  private moreSoon(): void {
    if (this.morePending || !this.companion || !this.connection) return;
    if (this.connection.bufferedBytes > 0 || !this.companion.readyForMore()) return;
    this.morePending = true;
    setImmediate(() => {
      this.morePending = false;
      this.pump();
    });
  }

  private connectionDropped(reason: string): void {
    const connection = this.connection;
    if (!connection) return;
    this.connection = null;
    connection.use(null);
    connection.terminate();
    this.session.connectionLost(reason, now());
    this.pump();
  }

  private dispatch(events: SessionEvent[]): void {
    // Messages and acks go to the owner in runs, a batch per run: mostly the whole list, passed on as it is.
    let runStart = 0;
    for (let i = 0; i < events.length; i++) {
      const event = events[i] as SessionEvent;
      if (event.type === "message" || event.type === "ack") continue;
      this.deliver(events, runStart, i);
      runStart = i + 1;
      this.companion?.sessionEvent(event);
      switch (event.type) {
        case "open":
          this.owner.opened(this);
          break;
        case "suspended":
          this.owner.suspended(this, event);
          break;
        case "resumed":
          this.owner.resumed(this, event);
          break;
        case "closed":
          this.reportEnd(event.kind, event.reason);
      }
    }
    this.deliver(events, runStart, events.length);
  }

  /** Hands events[start, end), all of them messages or acks, to the owner as one batch (when not empty). */
  private deliver(events: SessionEvent[], start: number, end: number): void {
    if (end === start) return;
    const run = start === 0 && end === events.length ? events : events.slice(start, end);
    const handedOver = this.owner.delivered(this, run as DeliveryEvent[]);
    if (handedOver) this.connection?.holdUntil(handedOver);
  }

  private reportEnd(kind: SessionEnd["kind"], reason: string): void {
    if (this.endReported) return;
    this.endReported = true;
    const session = this.session;
    this.owner.ended(this, {
      kind,
      reason,
      stats: session.stats(),
      unacked: session.unacked(),
      opened: session.hasOpened,
    });
  }

  private async settleClosed(connection: Connection | null = this.connection): Promise<void> {
    if (connection) await connection.closed;
    this.resolveClosed();
  }
}
