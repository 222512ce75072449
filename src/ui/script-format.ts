import type { SessionEnd } from "../core/chat.ts";
import type { Bytes } from "../protocol/bytes.ts";
import type { OutputBatch } from "./output-batch.ts";

/** Where a script-mode front end writes: stdout is the data (or the JSON events), stderr the status. */
export interface ScriptStreams {
  stdout: OutputBatch;
  stderr: OutputBatch;
}

/** How pipe mode and JSON mode differ: only in how each happening is written out. */
export interface ScriptFormat {
  listening(out: ScriptStreams, host: string, port: number): void;
  connected(out: ScriptStreams, peer: string): void;
  sent(out: ScriptStreams, id: number, bytes: number): void;
  ack(out: ScriptStreams, id: number, rttMs: number): void;
  message(out: ScriptStreams, id: number, payload: Bytes): void;
  disconnected(out: ScriptStreams, end: SessionEnd, peerName: string): void;
  error(out: ScriptStreams, message: string): void;
  /** Status that is not an event of the protocol (a refused connection, say): always stderr. */
  notice(out: ScriptStreams, text: string): void;
}
