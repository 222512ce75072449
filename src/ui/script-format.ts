import type { ConnectionLost, Reconnecting, Resumed, SessionEnd } from "../core/chat.ts";
import type { Role } from "../core/session.ts";
import type { Bytes } from "../protocol/bytes.ts";
import type { TransferEvent } from "../transfer/events.ts";
import type { OutputBatch } from "./output-batch.ts";

/** Where a script-mode front end writes: stdout is the data (or the JSON events), stderr the status. */
export interface ScriptStreams {
  stdout: OutputBatch;
  stderr: OutputBatch;
}

/** How pipe mode and JSON mode differ: only in how each happening is written out. */
export interface ScriptFormat {
  listening(out: ScriptStreams, host: string, port: number, code: string | null): void;
  /** The server's code changed. */
  code(out: ScriptStreams, code: string): void;
  /** A handshake answered with the server's code failed. */
  codeFailed(out: ScriptStreams, peer: string): void;
  connected(out: ScriptStreams, peer: string, encrypted: boolean): void;
  connectionLost(out: ScriptStreams, lost: ConnectionLost, role: Role): void;
  reconnecting(out: ScriptStreams, attempt: Reconnecting): void;
  resumed(out: ScriptStreams, resumed: Resumed): void;
  sent(out: ScriptStreams, id: number, bytes: number): void;
  /**
   * rttMs null: delivered before a drop, its ACK lost (known from the peer's RESUME). deliveredAfterMs: for
   * a message that waited for a connection, the time from when it was given (see the session's ack event).
   */
  ack(out: ScriptStreams, id: number, rttMs: number | null, deliveredAfterMs: number | null): void;
  message(out: ScriptStreams, id: number, payload: Bytes): void;
  disconnected(out: ScriptStreams, end: SessionEnd, peerName: string): void;
  error(out: ScriptStreams, message: string): void;
  /** Status that is not an event of the protocol (a refused connection, say): always stderr. */
  notice(out: ScriptStreams, text: string): void;
  /** A transfer's news (progress already thinned out to a few a second). */
  file(out: ScriptStreams, event: TransferEvent, peerName: string): void;
}
