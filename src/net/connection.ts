import type { Socket } from "bun";
import type { ChatLink, DeliveryEvent } from "../core/chat.ts";
import type { PendingMessage } from "../core/pending-acks.ts";
import type { SendResult, Session, SessionEvent } from "../core/session.ts";
import type { StatsSnapshot } from "../core/stats.ts";
import type { Bytes } from "../protocol/bytes.ts";
import { formatAddress } from "./address.ts";

/** What a connection reports to its owner (the server's slot keeper, or the client). */
export interface ConnectionOwner {
  /** The handshake completed. */
  opened(connection: Connection): void;
  /** See ChatView.delivered: a promise holds everything written after these events until it settles. */
  delivered(connection: Connection, events: DeliveryEvent[]): Promise<void> | undefined;
  /** The session ended; called exactly once, before the socket is closed. */
  ended(connection: Connection, kind: Extract<SessionEvent, { type: "closed" }>): void;
  drained(connection: Connection): void;
}

/** How long a closing connection may take to flush its last frames before it is cut. */
const LINGER_MS = 2000;

/**
 * How much may wait for the socket beyond one message of the peer's largest size before the peer counts as
 * no longer reading. Every MSG received queues an ACK: a peer that sends without reading would otherwise
 * grow this side's write queue without limit. Front ends stop feeding a link at a few MiB, so only replies
 * to a peer that does not read can get this far.
 */
export const UNREAD_LIMIT = 64 * 1024 * 1024;

const now = (): number => performance.now();

/**
 * One TCP connection driving one Session: the socket's bytes go into the session, the session's bytes go out
 * through a write queue that honours partial writes (Bun's `write` takes only what the kernel accepts; the
 * rest waits for `drain`, in order), and the session's deadline is kept with one lazily moved timer.
 */
export class Connection implements ChatLink {
  readonly peer: string;
  private readonly queue: Uint8Array[] = [];
  private queued = 0;
  private closing = false;
  private socketClosed = false;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private timerAt = Number.POSITIVE_INFINITY;
  private lingerTimer: ReturnType<typeof setTimeout> | null = null;
  /** The last delivery the owner has not finished handing to the user: nothing is written until it settles. */
  private heldBy: Promise<void> | null = null;
  private ended = false;
  private resolveClosed!: () => void;
  /** Settles once the socket is closed and everything this side had to say has been written or given up. */
  readonly closed = new Promise<void>((resolve) => {
    this.resolveClosed = resolve;
  });

  constructor(
    private readonly socket: Socket<unknown>,
    readonly session: Session,
    private readonly owner: ConnectionOwner,
  ) {
    this.peer = formatAddress(socket.remoteAddress, socket.remotePort);
    socket.setNoDelay(true);
    this.pump();
  }

  get peerMaxMessage(): number {
    return this.session.peerMaxMessage;
  }

  get bufferedBytes(): number {
    return this.queued;
  }

  get unackedCount(): number {
    return this.session.unackedCount;
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
    if (!this.socketClosed) this.socket.pause();
  }

  resumeReading(): void {
    if (!this.socketClosed) this.socket.resume();
  }

  // ---- socket handlers ----

  onData(chunk: Uint8Array): void {
    // The session keeps views of the chunks of a large message until it is complete, instead of copying them:
    // safe because Bun hands every read over in a buffer of its own.
    this.session.receive(chunk, now());
    if (this.queued > this.session.peerMaxMessage + UNREAD_LIMIT) {
      this.session.abandon(
        `the peer stopped reading: ${Math.round(this.queued / 2 ** 20)} MiB wait to be sent`,
      );
    }
    this.pump();
  }

  onDrain(): void {
    this.flush();
    if (this.queue.length === 0) {
      if (this.closing) this.endSocket();
      else this.owner.drained(this);
    }
  }

  onClose(error?: Error): void {
    if (this.socketClosed) return;
    this.socketClosed = true;
    this.queue.length = 0;
    this.queued = 0;
    this.clearTimers();
    this.session.connectionLost(error ? `connection lost: ${error.message}` : "connection closed by peer");
    this.pump();
    this.resolveClosed();
  }

  /** Cuts the connection at once, without a goodbye. */
  terminate(): void {
    if (!this.socketClosed) this.socket.terminate();
  }

  // ---- the loop: events to the owner first, then bytes to the socket ----

  private pump(): void {
    const events = this.session.takeEvents();
    if (events.length > 0) this.dispatch(events);
    // Written after dispatch, and not before the owner has handed the messages over (`heldBy`), so an ACK
    // leaves only once its message is with the user.
    for (const chunk of this.session.takeOutput()) {
      this.queue.push(chunk);
      this.queued += chunk.length;
    }
    if (this.socketClosed) return;
    this.flush();
    if (this.session.state === "closed") {
      this.closing = true;
      if (this.queue.length === 0) this.endSocket();
      else this.lingerTimer ??= setTimeout(() => this.terminate(), LINGER_MS);
    } else {
      this.schedule();
    }
  }

  private dispatch(events: SessionEvent[]): void {
    // Messages and acks go to the owner in runs, a batch per run: mostly the whole list, passed on as it is.
    let runStart = 0;
    for (let i = 0; i < events.length; i++) {
      const event = events[i] as SessionEvent;
      if (event.type === "message" || event.type === "ack") continue;
      this.deliver(events, runStart, i);
      runStart = i + 1;
      if (event.type === "open") this.owner.opened(this);
      else if (!this.ended) {
        this.ended = true;
        this.owner.ended(this, event);
      }
    }
    this.deliver(events, runStart, events.length);
  }

  /** Hands events[start, end), all of them messages or acks, to the owner as one batch (when not empty). */
  private deliver(events: SessionEvent[], start: number, end: number): void {
    if (end === start) return;
    const run = start === 0 && end === events.length ? events : events.slice(start, end);
    const handedOver = this.owner.delivered(this, run as DeliveryEvent[]);
    if (handedOver) this.holdUntil(handedOver);
  }

  /**
   * Writes nothing until `handedOver` settles: the queue keeps its order, so the ACKs of that delivery and
   * whatever follows them wait together. A later hold replaces an earlier one (the owner hands over in order).
   */
  private holdUntil(handedOver: Promise<void>): void {
    this.heldBy = handedOver;
    const release = () => {
      if (this.heldBy !== handedOver) return;
      this.heldBy = null;
      if (this.socketClosed) return;
      this.pump(); // writes what was held; ends a finished session's socket once all of it is out
      if (!this.closing && this.queue.length === 0) this.owner.drained(this);
    };
    handedOver.then(release, release);
  }

  /** Writes as much of the queue as the socket takes now (nothing while a delivery is held). */
  private flush(): void {
    if (this.heldBy) return;
    const queue = this.queue;
    let i = 0;
    while (i < queue.length) {
      const chunk = queue[i] as Uint8Array;
      const written = this.socket.write(chunk);
      if (written < 0) break; // the socket is closing; onClose will follow
      this.queued -= Math.max(0, written);
      if (written < chunk.length) {
        queue[i] = chunk.subarray(written);
        break;
      }
      i++;
    }
    if (i > 0) queue.splice(0, i);
  }

  private endSocket(): void {
    this.clearTimers();
    this.socket.end();
  }

  /** Keeps one timer at (or before) the session's deadline; a deadline that moved later is handled on waking. */
  private schedule(): void {
    const deadline = this.session.deadline();
    if (deadline >= this.timerAt) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = deadline;
    if (deadline === Number.POSITIVE_INFINITY) return;
    this.timer = setTimeout(
      () => {
        this.timer = null;
        this.timerAt = Number.POSITIVE_INFINITY;
        this.session.tick(now());
        this.pump();
      },
      Math.max(0, deadline - now()),
    );
  }

  private clearTimers(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.lingerTimer) clearTimeout(this.lingerTimer);
    this.timer = null;
    this.lingerTimer = null;
    this.timerAt = Number.POSITIVE_INFINITY;
  }
}
