import type { SessionEnd } from "../core/chat.ts";
import type { PendingMessage } from "../core/pending-acks.ts";
import type { StatsSnapshot } from "../core/stats.ts";
import { sanitizeToString } from "./sanitize.ts";

/** A round-trip time for people: `0.42 ms`, `12.3 ms`, `1530 ms`. */
export function formatMs(ms: number): string {
  if (ms < 10) return `${ms.toFixed(2)} ms`;
  if (ms < 100) return `${ms.toFixed(1)} ms`;
  return `${Math.round(ms)} ms`;
}

/** A byte count for people: `512 B`, `64.0 KiB`, `16.0 MiB`. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ["KiB", "MiB", "GiB"];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
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

/** A short, terminal-safe preview of a message. */
export function preview(payload: Uint8Array, max = 40): string {
  const text = sanitizeToString(payload.subarray(0, max * 4));
  const chars = [...text];
  return chars.length > max ? `${chars.slice(0, max - 1).join("")}…` : text;
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

/** Why the session ended, as one sentence from this side's point of view. */
export function describeEnd(end: SessionEnd, peerName: string): string {
  // The reason may come from the peer: keep it terminal-safe.
  const why = end.reason ? sanitizeToString(new TextEncoder().encode(end.reason)) : "";
  switch (end.kind) {
    case "bye":
      return "you left the chat";
    case "peer-bye":
      return why && why !== "closed"
        ? `the ${peerName} left the chat (${why})`
        : `the ${peerName} left the chat`;
    case "busy":
      return `the server is busy: ${why}`;
    case "protocol-error":
      return `the ${peerName} broke the protocol: ${why}`;
    case "peer-error":
      return `the ${peerName} reported a protocol error: ${why}`;
    case "handshake-timeout":
      return `no handshake: ${why}`;
    case "timeout":
      return `the ${peerName} stopped responding (${why})`;
    case "lost":
      return `the ${peerName} is gone (${why})`;
  }
}
