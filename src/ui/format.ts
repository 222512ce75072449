import type { Reconnecting, Resumed, SessionEnd } from "../core/chat.ts";
import type { PendingMessage } from "../core/pending-acks.ts";
import type { StatsSnapshot } from "../core/stats.ts";
import { type Bytes, encodeText, prefix } from "../protocol/bytes.ts";
import { sanitizeToString } from "./sanitize.ts";

/** A round-trip time for people: `0.42 ms`, `12.3 ms`, `1530 ms`. */
export function formatMs(ms: number): string {
  // Decided on the rounded value, so that 9.999 shows as `10.0 ms`, not `10.00 ms`.
  if (Number(ms.toFixed(2)) < 10) return `${ms.toFixed(2)} ms`;
  if (Number(ms.toFixed(1)) < 100) return `${ms.toFixed(1)} ms`;
  return `${Math.round(ms)} ms`;
}

/** A byte count for people: `512 B`, `64.0 KiB`, `16.0 MiB`. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ["KiB", "MiB", "GiB"];
  let value = bytes / 1024;
  let unit = 0;
  // Compared after rounding, so that 1048575 bytes show as `1.0 MiB`, not `1024.0 KiB`.
  while (Number(value.toFixed(1)) >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}

/** The `/stats` lines, also printed when a session ends: the counts, then the round-trip times. */
export function formatStats(stats: StatsSnapshot): string[] {
  const counts =
    `sent ${stats.sent} (${formatBytes(stats.sentBytes)}) · acknowledged ${stats.acked}` +
    `${stats.unacked > 0 ? ` · awaiting ${stats.unacked}` : ""} · received ${stats.received} (${formatBytes(stats.receivedBytes)})`;
  const rtt = stats.rtt;
  if (!rtt) return [counts, "round trip: no acknowledgements yet"];
  return [
    counts,
    `round trip: min ${formatMs(rtt.minMs)} · median ${formatMs(rtt.medianMs)} · ` +
      `p99 ${formatMs(rtt.p99Ms)} · max ${formatMs(rtt.maxMs)}`,
  ];
}

/** A short, terminal-safe preview of a message: at most `max` characters, `…` where it was cut. */
export function preview(payload: Bytes, max = 40): string {
  // A character takes at most 4 bytes, so these bytes are enough for `max` characters.
  const cutBytes = payload.length > max * 4;
  const text = sanitizeToString(prefix(payload, max * 4));
  const chars = [...text];
  return chars.length > max || cutBytes ? `${chars.slice(0, max - 1).join("")}…` : text;
}

/** One line per message the peer never acknowledged. */
export function formatUnacked(unacked: PendingMessage[]): string[] {
  if (unacked.length === 0) return [];
  const lines = [`${unacked.length} message${unacked.length === 1 ? " was" : "s were"} never acknowledged:`];
  const shown = unacked.slice(0, 20);
  for (const message of shown)
    lines.push(`  #${message.id} (${formatBytes(message.payload.length)}) ${preview(message.payload)}`);
  if (unacked.length > shown.length) lines.push(`  … and ${unacked.length - shown.length} more`);
  return lines;
}

/** Longest reason shown, in characters: a peer may send up to 64 KiB of it. */
const REASON_LIMIT = 200;

/**
 * Ends that are failures rather than a goodbye or a lost peer: JSON mode reports them with an `error` event
 * (its end.reason, as the protocol gave it) before `disconnected`.
 */
export function endsInError(end: SessionEnd): boolean {
  return ERROR_ENDS.has(end.kind);
}

const ERROR_ENDS: ReadonlySet<SessionEnd["kind"]> = new Set([
  "protocol-error",
  "peer-error",
  "busy",
  "stalled",
  "code-mismatch",
  "integrity",
]);

/** Why the session ended, as one sentence from this side's point of view. */
export function describeEnd(end: SessionEnd, peerName: string): string {
  // The reason may come from the peer: keep it terminal-safe and short.
  const why = end.reason ? preview(new TextEncoder().encode(end.reason), REASON_LIMIT) : "";
  const because = (sentence: string) => (why ? `${sentence}: ${why}` : sentence);
  const aside = (sentence: string) => (why ? `${sentence} (${why})` : sentence);
  switch (end.kind) {
    case "bye":
      return "you left the chat";
    case "peer-bye":
      return why === "closed" ? `the ${peerName} left the chat` : aside(`the ${peerName} left the chat`);
    case "busy":
      // The usual reason already says so ("the server is busy with another client"): don't say it twice.
      return why.toLowerCase().startsWith("the server is busy") ? why : because("the server is busy");
    case "protocol-error":
      return because(`the ${peerName} broke the protocol`);
    case "peer-error":
      return because(`the ${peerName} reported a protocol error`);
    case "handshake-timeout":
      return because("no handshake");
    case "timeout":
      return aside(`the ${peerName} stopped responding`);
    case "lost":
      return aside(`the ${peerName} is gone`);
    case "integrity":
      return because("the connection was cut");
    case "stalled":
      return because(`gave up on the ${peerName}`);
    case "code-mismatch":
      return peerName === "server"
        ? "the code did not match: the server has replaced it with a new one (unless its code is fixed); check the server's screen and try again"
        : because("the code did not match");
  }
}

/**
 * Why the last reconnect attempt failed, terminal-safe and short (a handshake's reason may be the server's
 * ERROR text), or null before the first attempt.
 */
export function lastFailure({ lastFailure }: Reconnecting): string | null {
  return lastFailure === undefined ? null : preview(encodeText(lastFailure), 80);
}

/** The session taken up again after an outage: `back after 2.4 s — 1 message resent`. */
export function describeResumed({ afterMs, resent }: Resumed): string {
  return `back after ${(afterMs / 1000).toFixed(1)} s — ${resent} message${resent === 1 ? "" : "s"} resent`;
}
