import type { Bytes } from "../protocol/bytes.ts";
import type { PendingMessage } from "./pending-acks.ts";
import type { CloseKind, SendResult, SessionEvent } from "./session.ts";
import type { StatsSnapshot } from "./stats.ts";

/**
 * The seam between the network adapter (net/) and the front ends (ui/): what a front end may do with a live
 * session, and what it is told. Both sides depend on this file; neither depends on the other.
 */

/** A live session as a front end sees it. */
export interface ChatLink {
  /** The peer's address, as `ADDR:PORT` (IPv6 in brackets). */
  readonly peer: string;
  /** The largest message the peer accepts. */
  readonly peerMaxMessage: number;
  /** Bytes handed to the link and not yet taken by the socket. Front ends stop reading input above a mark. */
  readonly bufferedBytes: number;
  /** How many of this side's messages await their ACK. */
  readonly unackedCount: number;
  /** Sends a message; the payload must not change until the peer has acknowledged it. */
  send(payload: Bytes): SendResult;
  /** Says goodbye to the peer and ends the session. */
  close(reason?: string): void;
  stats(): StatsSnapshot;
  unacked(): PendingMessage[];
  /** Stops / restarts reading from the peer, while the front end's own output is backed up. */
  pauseReading(): void;
  resumeReading(): void;
}

/** How a session ended, with what it left behind. */
export interface SessionEnd {
  kind: CloseKind;
  reason: string;
  stats: StatsSnapshot;
  unacked: PendingMessage[];
}

/** Only the in-session events reach `delivered`; the start and end of a session have their own calls. */
export type DeliveryEvent = Extract<SessionEvent, { type: "message" | "ack" }>;

/** What a front end is told. The network adapter calls these; a front end implements them. */
export interface ChatView {
  /** The server is ready for a client. */
  listening(host: string, port: number): void;
  /** A session is open (handshake done). */
  connected(link: ChatLink): void;
  /**
   * Messages and acknowledgements that arrived together, in order; one batch per received chunk. A front end
   * whose output has not all left the program yet (a backed-up stdout) returns a promise that settles when it
   * has: the link holds back the ACKs of these messages, and everything it writes after them, until then. An
   * ACK means the user has the message.
   */
  delivered(link: ChatLink, events: DeliveryEvent[]): Promise<void> | undefined;
  /** The session is over. */
  ended(link: ChatLink, end: SessionEnd): void;
  /** The link took everything queued: input may flow again. */
  drained(link: ChatLink): void;
  /** Something worth a line of status (a refused connection, say); not part of the conversation. */
  notice(text: string): void;
}
