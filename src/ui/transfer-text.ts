import type { TransferEvent, TransferSummary } from "../transfer/events.ts";
import { formatBytes, preview } from "./format.ts";
import { formatDuration, formatRate, type ProgressMeter } from "./progress-meter.ts";

/**
 * What the people at either end read about a transfer: one line per happening, and the status line while
 * it runs. Every name is escaped: the other side chose it (croc CVE-2023-43620 put escape sequences on
 * the receiver's terminal through a file name), and even our own file names may hold anything.
 */

const utf8 = new TextEncoder();
/** A name made safe for a terminal, cut to `max` characters (a preview of its UTF-8 bytes). */
export function safeName(name: string, max = 80): string {
  return preview(utf8.encode(name), max);
}

const arrow = (t: TransferSummary) => (t.direction === "out" ? "↑" : "↓");
const label = (t: TransferSummary) => `#${t.id} ${safeName(t.name)}${t.entries > 1 ? "/" : ""}`;
const percent = (part: number, whole: number) => (whole > 0 ? Math.floor((part / whole) * 100) : 100);

function size(t: TransferSummary): string {
  return t.entries > 1 ? `${formatBytes(t.totalBytes)} in ${t.entries} entries` : formatBytes(t.totalBytes);
}

/**
 * An offer made or received. `answer`: for an offer received, what becomes of it or what to type, said
 * after it (null: nothing to say).
 */
export function describeOffer(
  event: Extract<TransferEvent, { type: "offer" }>,
  peerName: string,
  answer: string | null,
): string {
  const t = event.transfer;
  if (t.direction === "out")
    return `→ offering ${label(t)} (${size(t)}): waiting for the ${peerName} to accept`;
  const offer = `← the ${peerName} offers ${label(t)} (${size(t)})`;
  return answer === null ? offer : `${offer}: ${answer}`;
}

/** The status line of a running transfer: whole and current file, rate, time left. */
export function progressLine(
  event: Extract<TransferEvent, { type: "progress" }>,
  meter: ProgressMeter,
): string {
  const t = event.transfer;
  const parts = [
    `${arrow(t)} ${label(t)} ${percent(event.bytes, t.totalBytes)}%`,
    `${formatBytes(event.bytes)} of ${formatBytes(t.totalBytes)}`,
    formatRate(meter.rate()),
    `${formatDuration(meter.secondsLeft(t.totalBytes))} left`,
  ];
  if (t.entries > 1 && event.currentPath !== null) {
    const file = event.currentPath.split("/").pop() ?? event.currentPath;
    parts.push(`${safeName(file, 30)} ${percent(event.currentBytes, event.currentSize)}%`);
  }
  return parts.join(" · ");
}

export function checkingLine(event: Extract<TransferEvent, { type: "checking" }>): string {
  return `${arrow(event.transfer)} ${label(event.transfer)}: checking the part already held, ${percent(event.done, event.total)}%`;
}

export function describeDone(event: Extract<TransferEvent, { type: "done" }>, peerName: string): string {
  const t = event.transfer;
  const moved = t.totalBytes - event.resumedFrom;
  const { flowMs } = event;
  const speed = flowMs > 0 ? `, ${formatRate((moved / flowMs) * 1000)}` : "";
  const resumed = event.resumedFrom > 0 ? `, resumed from ${formatBytes(event.resumedFrom)}` : "";
  const timing = `${formatBytes(t.totalBytes)} in ${formatDuration(flowMs / 1000)}${speed}${resumed}`;
  if (t.direction === "out")
    return `✓ ${label(t)} delivered: the ${peerName} has it all, checked (${timing})`;
  const where = event.localName !== null ? ` → ${safeName(event.localName)}${t.entries > 1 ? "/" : ""}` : "";
  return `✓ received ${label(t)}${where}, every file checked (${timing})`;
}

export function describeCancelled(
  event: Extract<TransferEvent, { type: "cancelled" }>,
  peerName: string,
): string {
  const t = event.transfer;
  const why = safeName(event.reason, 200);
  if (event.declined) {
    return event.by === "you"
      ? `✗ declined ${label(t)}: ${why}`
      : `✗ the ${peerName} declined ${label(t)}: ${why}`;
  }
  return event.by === "you"
    ? `✗ ${label(t)} cancelled: ${why}`
    : `✗ ${label(t)} cancelled by the ${peerName}: ${why}`;
}
