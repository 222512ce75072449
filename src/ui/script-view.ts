import type {
  ChatLink,
  ChatView,
  ConnectionLost,
  DeliveryEvent,
  Reconnecting,
  Resumed,
  SessionEnd,
} from "../core/chat.ts";
import type { Role } from "../core/session.ts";
import { type Bytes, flat } from "../protocol/bytes.ts";
import type { TransferEvent } from "../transfer/events.ts";
import { type InputLine, LineSplitter } from "./line-splitter.ts";
import { OutputBatch } from "./output-batch.ts";
import type { ScriptFormat, ScriptStreams } from "./script-format.ts";

const CR = 0x0d;

/** file-progress events a second, at most, per transfer. */
const PROGRESS_PER_SECOND = 10;

/** Input stops being read while more than this is queued for the socket. */
const HIGH_WATER = 4 * 1024 * 1024;

export interface ScriptViewOptions {
  role: Role;
  format: ScriptFormat;
  /** At the end of a client's input: how long to wait for outstanding ACKs before saying goodbye. */
  ackWaitMs?: number;
  /**
   * Input typed on a terminal (--json with stdin a console): a line's trailing `\r` is the console's line
   * ending (Windows gives `\r\n`), not part of the message. Piped input is sent byte for byte.
   */
  typed?: boolean;
  /** A client says goodbye when its input ends (default); not with --send, which ends the session itself. */
  leaveAtEndOfInput?: boolean;
  /**
   * Standard output's reader went away (`121chat server | head -1`): messages can no longer be handed to
   * anyone, so the program should leave, as a program in a pipeline does, with `reason` for its goodbye.
   * (The ACK of a message that was lost with stdout is never sent, and the goodbye waits behind it: the
   * connection is then cut after a moment, and the peer sees a drop.)
   */
  outputGone?: (reason: string) => void;
}

/**
 * The front end for scripts (pipe mode and JSON mode): stdin lines become messages, and what happens is
 * written out by the chosen format. Input is read only while a session can take it, so a server started
 * with piped input holds its lines until a client arrives, and a slow peer slows the reading down.
 */
export class ScriptView implements ChatView {
  private link: ChatLink | null = null;
  /** Client only: the one session is over, no link will come. */
  private over = false;
  private wakers: (() => void)[] = [];
  private readonly out: ScriptStreams;
  private readonly format: ScriptFormat;
  private readonly peerName: string;
  /** When each transfer's progress (by direction and id) was last written out. */
  private readonly lastProgress = new Map<string, number>();

  constructor(private readonly options: ScriptViewOptions) {
    this.format = options.format;
    this.peerName = options.role === "server" ? "client" : "server";
    this.out = { stdout: new OutputBatch(process.stdout), stderr: new OutputBatch(process.stderr) };
    this.out.stdout.whenClosed((error) => {
      const why = (error as { code?: unknown }).code === "EPIPE" ? "its reader has gone" : error.message;
      this.notice(`standard output was closed (${why}): leaving`);
      this.options.outputGone?.("its output was closed");
    });
    this.out.stderr.whenClosed(() => {}); // status that nobody reads any more: dropped
  }

  // ---- ChatView ----

  listening(host: string, port: number, code: string | null): void {
    this.format.listening(this.out, host, port, code);
    this.flush();
  }

  code(code: string): void {
    this.format.code(this.out, code);
    this.flush();
  }

  codeFailed(peer: string): void {
    this.format.codeFailed(this.out, peer);
    this.flush();
  }

  connected(link: ChatLink): void {
    this.link = link;
    this.format.connected(this.out, link.peer, link.encrypted);
    this.flush();
    this.wake();
  }

  connectionLost(_link: ChatLink, lost: ConnectionLost): void {
    this.format.connectionLost(this.out, lost, this.options.role);
    this.flush();
  }

  reconnecting(_link: ChatLink, attempt: Reconnecting): void {
    this.format.reconnecting(this.out, attempt);
    this.flush();
  }

  resumed(_link: ChatLink, resumed: Resumed): void {
    this.format.resumed(this.out, resumed);
    this.flush();
    this.wake();
  }

  delivered(link: ChatLink, events: DeliveryEvent[]): Promise<void> | undefined {
    for (const event of events) {
      if (event.type === "message") this.format.message(this.out, event.id, event.payload);
      else this.format.ack(this.out, event.id, event.rttMs, event.deliveredAfterMs);
    }
    this.flush();
    // What stdout has not taken yet is still ours, not the user's: the link holds the ACKs until it has.
    const handedOver = this.out.stdout.handedOver() ?? undefined;
    if (this.out.stdout.congested) {
      // Our reader is slower than the peer: stop taking its bytes until stdout catches up.
      link.pauseReading();
      void this.out.stdout.drained().then(() => {
        link.resumeReading();
        this.wake();
      });
    }
    if (link.unackedCount === 0) this.wake();
    return handedOver;
  }

  ended(link: ChatLink, end: SessionEnd): void {
    if (link === this.link) this.link = null;
    if (this.options.role === "client") this.over = true;
    this.format.disconnected(this.out, end, this.peerName);
    this.flush();
    this.wake();
  }

  drained(): void {
    this.wake();
  }

  notice(text: string): void {
    this.format.notice(this.out, text);
    this.out.stderr.flush();
  }

  fileEvent(_link: ChatLink, event: TransferEvent): void {
    const key = `${event.transfer.direction}:${event.transfer.id}`;
    if (event.type === "progress") {
      // At most PROGRESS_PER_SECOND a second per transfer: a script wants news, not a flood.
      const now = performance.now();
      if (now - (this.lastProgress.get(key) ?? Number.NEGATIVE_INFINITY) < 1000 / PROGRESS_PER_SECOND) return;
      this.lastProgress.set(key, now);
    } else if (event.type === "done" || event.type === "cancelled") {
      this.lastProgress.delete(key);
    }
    this.format.file(this.out, event, this.peerName);
    this.flush();
  }

  /** Reports a failure that ends the program (a connection that could not be made, say). */
  error(message: string): void {
    this.format.error(this.out, message);
    this.flush();
  }

  // ---- input ----

  /**
   * Sends every line of `input` as a message. A client then waits (bounded) for the outstanding ACKs and
   * says goodbye; a server simply stops reading and keeps serving.
   */
  async pumpInput(input: AsyncIterable<Uint8Array>): Promise<void> {
    const splitter = new LineSplitter(Number.POSITIVE_INFINITY);
    try {
      for await (const chunk of input) {
        const first = await this.ready();
        if (!first) return;
        splitter.limit = first.peerMaxMessage;
        for (const line of splitter.push(chunk)) {
          if (!(await this.sendLine(line))) return;
        }
        this.out.stdout.flush();
      }
    } catch (error) {
      // Input that cannot be read ends like input that ended: said, and what was sent is still seen through.
      const reason = error instanceof Error ? error.message : String(error);
      this.format.error(this.out, `cannot read standard input: ${reason}`);
      this.flush();
    }
    const last = splitter.end();
    if (last && !(await this.sendLine(last))) return;
    this.out.stdout.flush();
    if (this.options.role === "client" && this.options.leaveAtEndOfInput !== false) await this.finish();
  }

  /** Sends one line; false when there will never be a session to send it on. */
  private async sendLine(line: InputLine): Promise<boolean> {
    for (;;) {
      const link = await this.ready();
      if (!link) return false;
      if (line.tooLong !== undefined) {
        this.format.error(
          this.out,
          `line of ${line.tooLong} bytes not sent: the ${this.peerName} accepts at most ${link.peerMaxMessage} bytes`,
        );
        this.flush();
        return true;
      }
      const bytes = this.options.typed ? withoutCr(line.bytes) : line.bytes;
      const result = link.send(bytes);
      if (result.ok) {
        this.format.sent(this.out, result.id, bytes.length);
        return true;
      }
      if (link === this.link && link.peerMaxMessage < line.bytes.length) {
        this.format.error(this.out, `line not sent: ${result.error}`);
        this.flush();
        return true;
      }
      // The session ended between our check and the send: wait for the next one (server) or stop (client).
      if (link === this.link) this.link = null;
    }
  }

  /** The live link once it can take more input, or null when none will come. */
  private async ready(): Promise<ChatLink | null> {
    for (;;) {
      if (this.over) return null;
      const link = this.link;
      // Nor while our own stdout is backed up: reading from the peer is paused then, and a peer that is not
      // read must not be sent more (it would have to queue our messages and its ACKs for them).
      if (link && link.bufferedBytes <= HIGH_WATER && !this.out.stdout.congested) return link;
      this.flush();
      await new Promise<void>((resolve) => this.wakers.push(resolve));
    }
  }

  /**
   * End of a client's input: wait for the ACKs (bounded), then say goodbye. While the connection is down and
   * the session waits to be resumed, the wait is not counted: the session ends by itself if it never is. Nor
   * does a goodbye go while it is down, even with everything acknowledged: there would be no connection to
   * carry it, and the server would hold the session for its window and then call it lost.
   */
  private async finish(): Promise<void> {
    // Input can end before the connection is made (an empty pipe): wait for it, so the goodbye is still said.
    if (!(await this.ready())) return;
    const ackWaitMs = this.options.ackWaitMs ?? 5000;
    let deadline = performance.now() + ackWaitMs;
    for (;;) {
      const link = this.link;
      if (!link) return;
      if (link.unackedCount === 0 && !link.suspended) break;
      if (link.suspended) deadline = performance.now() + ackWaitMs;
      const left = deadline - performance.now();
      if (left <= 0) break;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wakers.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    this.link?.close("end of input");
  }

  private wake(): void {
    for (const wake of this.wakers.splice(0)) wake();
  }

  private flush(): void {
    this.out.stdout.flush();
    this.out.stderr.flush();
  }
}

/** A typed line without the console's trailing `\r` (a typed line is short: joining its parts costs nothing). */
function withoutCr(line: Bytes): Uint8Array {
  const bytes = flat(line);
  return bytes.at(-1) === CR ? bytes.subarray(0, -1) : bytes;
}
