import type { Bytes } from "../protocol/bytes.ts";
import type { Direction, TransferEvent } from "../transfer/events.ts";
import type { PendingMessage } from "./pending-acks.ts";
import type { CloseKind, SendResult, SessionEvent } from "./session.ts";
import type { StatsSnapshot } from "./stats.ts";

/**
 * The seam between the network adapter (net/) and the front ends (ui/): what a front end may do with a live
 * session, and what it is told. Both sides depend on this file; neither depends on the other.
 */

/** A session as a front end sees it; the same object across the connections of a resumed session. */
export interface ChatLink {
  /** The peer's address, as `ADDR:PORT` (IPv6 in brackets): of the current or last connection. */
  readonly peer: string;
  /** The largest message the peer accepts. */
  readonly peerMaxMessage: number;
  /** Whether the session is end-to-end encrypted (protocol version 2). */
  readonly encrypted: boolean;
  /**
   * Bytes handed to the link and not yet taken by the socket, or queued while there is no connection. Front
   * ends stop reading input above a mark.
   */
  readonly bufferedBytes: number;
  /** How many of this side's messages await their ACK (queued ones included). */
  readonly unackedCount: number;
  /** Version 2: the connection dropped and the session waits for a new one (messages sent now queue). */
  readonly suspended: boolean;
  /** Sends a message; the payload must not change until the peer has acknowledged it. */
  send(payload: Bytes): SendResult;
  /** Says goodbye to the peer and ends the session. */
  close(reason?: string): void;
  stats(): StatsSnapshot;
  unacked(): PendingMessage[];
  /** Stops / restarts reading from the peer, while the front end's own output is backed up. */
  pauseReading(): void;
  resumeReading(): void;
  /** Files to and from the peer (version 2); null without encryption. */
  readonly files: FileLink | null;
}

/** What a front end can do with files (the transfers of one session, both ways). */
export interface FileLink {
  /**
   * Lists `path` (a file or a folder) and offers it; the id, or why not (no such path, say). A list is the
   * ways a typed path may be meant, most literal first (ui/typed-path.ts): the first that exists is sent,
   * and when none does, the error is about the first.
   */
  send(path: string | readonly string[]): Promise<{ ok: true; id: number } | { ok: false; error: string }>;
  /** Answers an offer from the peer: by id, or the only one waiting. False when none matches. */
  accept(id?: number): boolean;
  decline(id?: number): boolean;
  /** Cancels a transfer under way, either way; null when none (or more than one) matches. */
  cancel(target: { id?: number; direction?: Direction }): { id: number; direction: Direction } | null;
  /** Transfers not yet ended, both ways. */
  underWay(): { id: number; direction: Direction; name: string; state: string }[];
  /** Offers from the peer that wait for an answer. */
  waitingOffers(): number[];
}

/** How a session ended, with what it left behind. */
export interface SessionEnd {
  kind: CloseKind | "code-mismatch";
  reason: string;
  stats: StatsSnapshot;
  unacked: PendingMessage[];
  /** Whether the session had opened: one ended by a wrong code, BUSY or a version mismatch never did. */
  opened: boolean;
}

/** Only the in-session events reach `delivered`; the start and end of a session have their own calls. */
export type DeliveryEvent = Extract<SessionEvent, { type: "message" | "ack" }>;

/** A version-2 session whose connection dropped: it is held (the server) or being reconnected (the client). */
export interface ConnectionLost {
  reason: string;
  /** How long the session is kept waiting for a new connection, from now. */
  windowMs: number;
}

export interface Reconnecting {
  /** 1 for the first attempt after the drop. */
  attempt: number;
  /** How long until that attempt starts. */
  delayMs: number;
  /** Why the attempt before this one failed, in a few words ("connection refused"); none before the first. */
  lastFailure?: string;
}

export interface Resumed {
  /** From the drop to the completed resume. */
  afterMs: number;
  /** Messages sent before the drop that the peer had not received, sent again. */
  resent: number;
}

/** What a front end is told. The network adapter calls these; a front end implements them. */
export interface ChatView {
  /** The server is ready for a client; `code` is the code clients must give (null without encryption). */
  listening(host: string, port: number, code: string | null): void;
  /** The server's code changed: a session opened with the old one, or a try with it failed. */
  code(code: string): void;
  /** A handshake the server answered with its code failed (a wrong code, or given up): from `peer`. */
  codeFailed(peer: string): void;
  /** A session is open (handshake done). */
  connected(link: ChatLink): void;
  /**
   * Messages and acknowledgements that arrived together, in order; one batch per received chunk. A front end
   * whose output has not all left the program yet (a backed-up stdout) returns a promise that settles when it
   * has: the link holds back the ACKs of these messages, and everything it writes after them, until then. An
   * ACK means the user has the message.
   */
  delivered(link: ChatLink, events: DeliveryEvent[]): Promise<void> | undefined;
  /** The connection under a version-2 session dropped; the session waits for a new one. */
  connectionLost(link: ChatLink, lost: ConnectionLost): void;
  /** The client is about to try to reconnect. */
  reconnecting(link: ChatLink, attempt: Reconnecting): void;
  /** A new connection took the session over. */
  resumed(link: ChatLink, resumed: Resumed): void;
  /** The session is over. */
  ended(link: ChatLink, end: SessionEnd): void;
  /** The link took everything queued: input may flow again. */
  drained(link: ChatLink): void;
  /** Something worth a line of status (a refused connection, say); not part of the conversation. */
  notice(text: string): void;
  /** A file transfer's news: an offer, progress, done, cancelled. */
  fileEvent(link: ChatLink, event: TransferEvent): void;
}
