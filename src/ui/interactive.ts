import { homedir, networkInterfaces } from "node:os";
import { createColors } from "picocolors";
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
import { type Bytes, prefix } from "../protocol/bytes.ts";
import type { TransferEvent } from "../transfer/events.ts";
import { COMMAND_HELP, type Input, parseInput } from "./commands.ts";
import {
  describeEnd,
  describeResumed,
  formatBytes,
  formatMs,
  formatStats,
  formatUnacked,
  lastFailure,
} from "./format.ts";
import { blockLines, splitLines } from "./message-block.ts";
import { formatDuration, ProgressMeter } from "./progress-meter.ts";
import { sanitize } from "./sanitize.ts";
import { type LineMark, TerminalScreen } from "./terminal-screen.ts";
import {
  checkingLine,
  describeCancelled,
  describeDone,
  describeOffer,
  progressLine,
  safeName,
} from "./transfer-text.ts";
import { typedPathCandidates } from "./typed-path.ts";

/** Incoming messages longer than this are shown cut, with their full size. */
const DISPLAY_LIMIT = 4096;
/** Incoming messages with more lines than this are shown cut too: a flood of empty lines is cheap to send. */
const DISPLAY_LINES = 100;
/** Sent lines remembered for an in-place ✓; older ones get their ✓ on a line of their own. */
const MARKS_KEPT = 256;

export interface InteractiveOptions {
  role: Role;
  color: boolean;
  /** Offers of files are accepted without asking (--accept-files). */
  acceptFiles?: boolean;
  /** The user asked to leave (Ctrl-C, Ctrl-D, /quit). */
  quit: () => void;
}

/**
 * The terminal front end: a line editor at the bottom, the conversation above it. Your lines stay where the
 * editor left them and get `✓ 0.42 ms` appended when the peer acknowledges them; the peer's lines are printed
 * above what you are typing, escaped so that nothing in them can drive the terminal.
 */
export class InteractiveView implements ChatView {
  private readonly c: ReturnType<typeof createColors>;
  private readonly screen: TerminalScreen;
  private link: ChatLink | null = null;
  private readonly marks = new Map<number, LineMark>();
  private readonly peerName: string;
  /** The client during an outage: what the status line says is being done ("reconnecting…"). */
  private outageDoing: string | null = null;
  private outageAside = "";
  /** Server: the code the next client types (null without encryption), said again when one is awaited. */
  private nextCode: string | null = null;
  private readonly statusParts = new Map<string, string>();
  /** Running transfers' meters, by direction and id: rate and time left from the receiver's reports. */
  private readonly meters = new Map<string, ProgressMeter>();

  constructor(private readonly options: InteractiveOptions) {
    this.c = createColors(options.color);
    this.peerName = options.role === "server" ? "client" : "server";
    this.screen = new TerminalScreen(
      this.c.bold(this.c.cyan("you › ")),
      { line: (text) => this.onLine(text), quit: () => options.quit() },
      { statusStyle: (text) => this.c.dim(text) },
    );
  }

  // ---- status line ----

  /**
   * Shows `text` on the status line, just above the input, until changed or cleared: for a state that
   * lasts. Call it on every change; the line is redrawn at most a few times a second and always ends up
   * showing the latest text. Plain text: it is cut to the terminal's width, and control characters in it
   * are shown escaped, as in messages. The view's own states (an outage, each running transfer) are parts
   * of the line of their own (setStatusPart); this one is for a caller, today only the status-line test's
   * driver (tests/interactive/support/status-driver.ts).
   */
  setStatus(text: string): void {
    this.setStatusPart("main", text);
  }

  /** Removes what setStatus showed. */
  clearStatus(): void {
    this.setStatusPart("main", null);
  }

  /**
   * One part of the status line, by key: an outage, each running transfer. The parts share the one line,
   * in the order they were first set.
   */
  private setStatusPart(key: string, text: string | null): void {
    if (text === null) this.statusParts.delete(key);
    else this.statusParts.set(key, text);
    if (this.statusParts.size === 0) this.screen.clearStatus();
    else this.screen.setStatus([...this.statusParts.values()].join("   "));
  }

  // ---- ChatView ----

  listening(host: string, port: number, code: string | null): void {
    this.nextCode = code;
    const where = host === "::" || host === "0.0.0.0" ? "all interfaces" : host;
    const lines = [this.c.bold(`121chat server · listening on port ${port} (${where})`)];
    const addresses = host === "::" || host === "0.0.0.0" ? localAddresses() : [];
    if (addresses.length > 0) {
      lines.push(
        this.c.dim(
          `  others can dial: ${addresses.map((a) => `121chat client ${a}:${port}`).join("  or  ")}`,
        ),
      );
    }
    if (code === null)
      lines.push(this.c.yellow("  not encrypted (--no-encryption): anyone on the path can read along"));
    else lines.push(`  code: ${this.c.bold(code)}${this.c.dim("   (the client types it)")}`);
    lines.push(this.c.dim("waiting for a client… (Ctrl-C to stop)"));
    this.screen.print(...lines);
  }

  code(code: string): void {
    this.nextCode = code;
    this.screen.print(`  code for the next client: ${this.c.bold(code)}`);
  }

  codeFailed(peer: string): void {
    this.screen.say(`${this.c.red("✗")} ${peer} tried a wrong code (or gave up before confirming it)`);
  }

  connected(link: ChatLink): void {
    this.link = link;
    this.marks.clear();
    const security = link.encrypted ? this.c.green("end-to-end encrypted") : this.c.yellow("not encrypted");
    this.screen.say(
      `${this.c.green("●")} connected to ${this.c.bold(link.peer)} — ${security}` +
        this.c.dim(" · Enter sends; /help for commands"),
    );
  }

  connectionLost(link: ChatLink, lost: ConnectionLost): void {
    // Transfers stand still until the connection is back: their lines come again with the next progress.
    for (const key of this.meters.keys()) this.setStatusPart(key, null);
    if (this.options.role === "server") {
      const window = `${Math.round(lost.windowMs / 1000)} s`;
      this.screen.say(
        `${this.c.yellow("●")} the client's connection dropped (${lost.reason}) — keeping the session for ${window}`,
      );
      this.outage(link, `waiting for the client to come back (at most ${window})…`);
    } else {
      this.screen.say(`${this.c.yellow("●")} connection lost (${lost.reason}) — reconnecting…`);
      this.outage(link, "reconnecting…");
    }
  }

  reconnecting(link: ChatLink, attempt: Reconnecting): void {
    // One status line, updated in place, rather than a line per attempt; it says why the last one failed.
    const failed = lastFailure(attempt);
    this.outage(
      link,
      `reconnecting (attempt ${attempt.attempt})…`,
      failed === null ? "" : `last try: ${failed}`,
    );
  }

  resumed(_link: ChatLink, resumed: Resumed): void {
    this.outageDoing = null;
    this.setStatusPart("outage", null);
    this.screen.say(`${this.c.green("●")} ${describeResumed(resumed)}`);
  }

  /**
   * The status during an outage: what is being done, how many of your messages wait for it, and `aside`
   * (why the last attempt failed).
   */
  private outage(link: ChatLink, doing: string, aside = ""): void {
    this.outageDoing = doing;
    this.outageAside = aside;
    const waiting = link.unackedCount;
    const parts = [doing];
    if (waiting > 0) parts.push(`${waiting} message${waiting === 1 ? "" : "s"} waiting`);
    if (aside !== "") parts.push(`· ${aside}`);
    this.setStatusPart("outage", parts.join(" "));
  }

  delivered(_link: ChatLink, events: DeliveryEvent[]): undefined {
    for (const event of events) {
      if (event.type === "message") this.showMessage(event.payload);
      else this.showAck(event.id, event.rttMs, event.deliveredAfterMs);
    }
    return undefined; // printed through readline to the terminal, which takes a line at once
  }

  ended(link: ChatLink, end: SessionEnd): void {
    if (link === this.link) this.link = null;
    this.outageDoing = null;
    this.statusParts.clear();
    this.screen.clearStatus();
    const ok = end.kind === "bye" || end.kind === "peer-bye";
    // A session that never started (busy, a wrong code, a failed handshake) has nothing to sum up.
    const summary = end.opened ? formatStats(end.stats) : [];
    const lines = [
      `${ok ? this.c.yellow("●") : this.c.red("●")} ${describeEnd(end, this.peerName)}`,
      ...summary.map((line) => this.c.dim(`  ${line}`)),
    ];
    // What was not delivered quotes the user's own messages: left whole, to be copied and sent again.
    const unacked = formatUnacked(end.unacked).map((line) => this.c.yellow(`  ${line}`));
    let next: string | null = null;
    if (this.options.role === "server") {
      // The server itself says goodbye only when its user stops it: then no next client is awaited.
      // The code for it was said when this session opened, which may have scrolled away by now.
      const code = this.nextCode === null ? "" : ` (code: ${this.c.bold(this.nextCode)})`;
      if (end.kind !== "bye") next = this.c.dim(`waiting for the next client…${code}`);
    } else {
      // The client's program ends with its session: no prompt after the summary.
      this.screen.close();
    }
    this.screen.say(...lines);
    if (unacked.length > 0) this.screen.print(...unacked);
    if (next !== null) this.screen.say(next);
  }

  drained(): void {}

  notice(text: string): void {
    this.screen.say(this.c.dim(text));
  }

  fileEvent(_link: ChatLink, event: TransferEvent): void {
    const t = event.transfer;
    const key = `${t.direction}:${t.id}`;
    const now = performance.now();
    switch (event.type) {
      case "offer": {
        this.meters.set(key, new ProgressMeter());
        if (t.direction === "out") {
          this.screen.print(this.c.dim(describeOffer(event, this.peerName, null)));
          return;
        }
        const answer = this.options.acceptFiles
          ? "accepting (--accept-files)"
          : `/accept ${t.id} or /decline ${t.id}`;
        this.screen.print(this.c.bold(describeOffer(event, this.peerName, answer)));
        return;
      }
      case "progress": {
        const meter = this.meters.get(key) ?? new ProgressMeter();
        this.meters.set(key, meter);
        meter.add(event.bytes, now);
        this.setStatusPart(key, progressLine(event, meter));
        return;
      }
      case "checking":
        this.setStatusPart(key, checkingLine(event));
        return;
      case "done":
        this.meters.delete(key);
        this.setStatusPart(key, null);
        this.screen.print(this.c.green(describeDone(event, this.peerName)));
        return;
      case "cancelled":
        this.meters.delete(key);
        this.setStatusPart(key, null);
        this.screen.print(this.c.yellow(describeCancelled(event, this.peerName)));
        return;
    }
  }

  /** Reports a failure that ends the program. */
  error(message: string): void {
    this.screen.say(this.c.red(`error: ${message}`));
  }

  start(): void {
    this.screen.prompt();
  }

  close(): void {
    this.screen.close();
  }

  // ---- input ----

  private onLine(text: string): void {
    const input = parseInput(text);
    switch (input.kind) {
      case "empty":
        this.screen.prompt();
        return;
      case "help":
        this.screen.print(...COMMAND_HELP.map((line) => this.c.dim(`  ${line}`)));
        return;
      case "stats":
        this.screen.print(
          ...(this.link ? formatStats(this.link.stats()) : ["no session right now"]).map((line) =>
            this.c.dim(line),
          ),
        );
        return;
      case "quit":
        this.options.quit();
        return;
      case "unknown":
        this.screen.say(
          this.c.yellow(
            `unknown command ${safeName(input.command)}; /help lists them (//text sends '/text')`,
          ),
        );
        return;
      case "usage":
        this.screen.say(this.c.yellow(input.error));
        return;
      case "send":
      case "accept":
      case "decline":
      case "cancel":
      case "files":
        this.fileCommand(input);
        return;
      case "message":
        this.sendText(text, input.text);
    }
  }

  private fileCommand(
    input: Extract<Input, { kind: "send" | "accept" | "decline" | "cancel" | "files" }>,
  ): void {
    const files = this.link?.files;
    if (!files) {
      const why = this.link
        ? "files need encryption (this session runs with --no-encryption)"
        : `no ${this.peerName} is connected`;
      this.screen.say(this.c.yellow(why));
      return;
    }
    switch (input.kind) {
      case "send":
        // Dragged onto the terminal, a path comes quoted, escaped or as a file:// URL; typed, with a ~.
        void files.send(typedPathCandidates(input.path, homedir())).then((result) => {
          if (!result.ok) this.screen.print(this.c.red(`not sent: ${result.error}`));
        });
        this.screen.prompt();
        return;
      case "accept":
      case "decline": {
        const done = input.kind === "accept" ? files.accept(input.id) : files.decline(input.id);
        if (!done) this.screen.say(this.c.yellow(this.noOfferSaid(files.waitingOffers(), input.id)));
        else this.screen.prompt();
        return;
      }
      case "cancel": {
        const cancelled = files.cancel(input);
        if (!cancelled) {
          const live = files.underWay();
          this.screen.say(
            this.c.yellow(
              live.length === 0
                ? "no transfer is under way"
                : `which one? ${live.map((t) => `/cancel ${t.direction} ${t.id}`).join(", ")}`,
            ),
          );
        } else this.screen.prompt();
        return;
      }
      case "files": {
        const live = files.underWay();
        this.screen.print(
          ...(live.length === 0
            ? ["no transfer is under way"]
            : live.map(
                (t) =>
                  `${t.direction === "out" ? "↑ sending" : "↓ receiving"} #${t.id} ${safeName(t.name)} (${t.state})`,
              )
          ).map((line) => this.c.dim(line)),
        );
        return;
      }
    }
  }

  private noOfferSaid(waiting: number[], id: number | undefined): string {
    if (waiting.length === 0) return `no offer from the ${this.peerName} is waiting`;
    if (id !== undefined)
      return `no offer #${id} is waiting (waiting: ${waiting.map((n) => `#${n}`).join(", ")})`;
    return `several offers wait: say which (${waiting.map((n) => `#${n}`).join(", ")})`;
  }

  private sendText(typed: string, text: string): void {
    const link = this.link;
    if (!link) {
      this.screen.say(this.c.yellow(`no ${this.peerName} is connected: not sent`));
      return;
    }
    const mark = this.screen.markOfEnteredLine(typed);
    const result = link.send(new TextEncoder().encode(text));
    if (!result.ok) {
      this.screen.say(this.c.red(`not sent: ${result.error}`));
      return;
    }
    this.marks.set(result.id, mark);
    if (this.marks.size > MARKS_KEPT) this.marks.delete(this.marks.keys().next().value as number);
    // Sent during an outage: it waits, and the status line counts it.
    if (link.suspended && this.outageDoing !== null) this.outage(link, this.outageDoing, this.outageAside);
    this.screen.prompt();
  }

  // ---- output ----

  /** A message as a block under the sender's name, one screen line per line of it, each line escaped. */
  private showMessage(payload: Bytes): void {
    const all = splitLines(prefix(payload, DISPLAY_LIMIT));
    const shown = all.slice(0, DISPLAY_LINES).map((line) => {
      let text = "";
      for (const segment of sanitize(line))
        text += segment.escape ? this.c.inverse(segment.text) : segment.text;
      return text;
    });
    if (payload.length > DISPLAY_LIMIT || all.length > shown.length) {
      shown[shown.length - 1] += this.c.dim(` … (${formatBytes(payload.length)} in all, cut for display)`);
    }
    this.screen.print(...blockLines(this.c.bold(this.c.magenta(`${this.peerName} › `)), shown));
  }

  private showAck(id: number, rttMs: number | null, deliveredAfterMs: number | null): void {
    // A message delivered before a drop whose ACK was lost has no round trip to show. One that waited for
    // the connection says how long it took in all: its round trip counts from its last send only.
    const note =
      rttMs === null
        ? this.c.green("✓ (delivered before the drop)")
        : this.c.green(`✓ ${formatMs(rttMs)}`) +
          (deliveredAfterMs === null
            ? ""
            : this.c.dim(` · delivered after ${formatDuration(deliveredAfterMs / 1000)}`));
    const mark = this.marks.get(id);
    this.marks.delete(id);
    if (mark && this.screen.annotate(mark, `  ${note}`)) return;
    this.screen.print(this.c.dim(`  #${id} `) + note);
  }
}

/** This machine's non-loopback addresses, for the "others can dial" hint. */
function localAddresses(): string[] {
  const found: string[] = [];
  for (const list of Object.values(networkInterfaces())) {
    for (const address of list ?? []) {
      if (!address.internal && address.family === "IPv4") found.push(address.address);
    }
  }
  return found.slice(0, 3);
}
