import { ByteParts, ByteRange, flat } from "../protocol/bytes.ts";
import { describeEnd, endsInError, formatUnacked, lastFailure } from "./format.ts";
import { FixedText } from "./output-batch.ts";
import type { ScriptFormat, ScriptStreams } from "./script-format.ts";

const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

const emit = (out: ScriptStreams, event: Record<string, unknown>) =>
  out.stdout.push(`${JSON.stringify(event)}\n`);

/** Rounds to the microsecond: sub-millisecond precision without float noise in the output. */
const roundMs = (ms: number) => Math.round(ms * 1000) / 1000;

/** The payload as text, or undefined where it is not valid UTF-8. */
function utf8Text(payload: Uint8Array): string | undefined {
  try {
    return strictUtf8.decode(payload);
  } catch {
    return undefined;
  }
}

const MESSAGE_ID = new FixedText(`{"event":"message","id":`);
const BYTES = new FixedText(`,"bytes":`);
const TEXT = new FixedText(`,"text":"`);
const END_OF_TEXT = new FixedText(`"}\n`);

/**
 * True when bytes[start, end) are printable ASCII without `"` or `\`: then they are their own JSON string
 * content, exactly what JSON.stringify would write, and go out without being decoded and encoded again.
 * (Given as a range of an array, so that a payload is read where it lies in the received chunk.)
 */
function isPlainJsonText(bytes: Uint8Array, start: number, end: number): boolean {
  // A table lookup and an OR per byte, without a branch: twice as fast as testing each byte; four bytes a
  // round, which the JIT does not do by itself (another 10 ns off a 64-byte message).
  const table = NOT_PLAIN;
  let special = 0;
  let i = start;
  for (; i + 4 <= end; i += 4) {
    special |=
      (table[bytes[i] as number] as number) |
      (table[bytes[i + 1] as number] as number) |
      (table[bytes[i + 2] as number] as number) |
      (table[bytes[i + 3] as number] as number);
  }
  for (; i < end; i++) special |= table[bytes[i] as number] as number;
  return special === 0;
}

/** 1 for the bytes JSON must escape or that are not ASCII, 0 for the rest. */
const NOT_PLAIN = Uint8Array.from({ length: 256 }, (_, byte) =>
  byte < 0x20 || byte > 0x7e || byte === 0x22 || byte === 0x5c ? 1 : 0,
);

/** Base64 of a view of the payload, not of a copy. */
const base64 = (payload: Uint8Array) =>
  Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString("base64");

/**
 * JSON mode: stdout carries one JSON object per line and nothing else (the event names and fields are a
 * contract; fields may be added, never renamed). Human notices go to stderr.
 *
 * The events of every message are the hot path, at a million or more a second (docs/performance.md):
 * `sent` and `ack` are written from templates instead of stringifying a fresh object, and a `message` whose
 * payload is printable ASCII is assembled from bytes, its payload being its own JSON text, instead of being
 * decoded, escaped and encoded again. Any other text is still escaped by JSON.stringify.
 */
export const jsonFormat: ScriptFormat = {
  listening: (out, host, port, code) =>
    emit(out, code === null ? { event: "listening", host, port } : { event: "listening", host, port, code }),
  code: (out, code) => emit(out, { event: "code", code }),
  codeFailed: (out, peer) => emit(out, { event: "code-failed", peer }),
  connected: (out, peer, encrypted) => emit(out, { event: "connected", peer, encrypted }),
  connectionLost: (out, lost, role) =>
    emit(
      out,
      role === "server"
        ? { event: "connection-lost", reason: lost.reason, window_ms: Math.round(lost.windowMs) }
        : { event: "connection-lost", reason: lost.reason },
    ),
  reconnecting: (out, attempt) => {
    const failed = lastFailure(attempt);
    const event = { event: "reconnecting", attempt: attempt.attempt, delay_ms: Math.round(attempt.delayMs) };
    emit(out, failed === null ? event : { ...event, last_error: failed });
  },
  resumed: (out, { afterMs, resent }) => emit(out, { event: "resumed", after_ms: roundMs(afterMs), resent }),
  sent: (out, id, bytes) => out.stdout.push(`{"event":"sent","id":${id},"bytes":${bytes}}\n`),
  ack: (out, id, rttMs, deliveredAfterMs) => {
    if (rttMs === null) {
      out.stdout.push(`{"event":"ack","id":${id},"before_drop":true}\n`);
      return;
    }
    const waited = deliveredAfterMs === null ? "" : `,"delivered_after_ms":${roundMs(deliveredAfterMs)}`;
    out.stdout.push(`{"event":"ack","id":${id},"rtt_ms":${roundMs(rttMs)}${waited}}\n`);
  },
  message(out, id, bytes) {
    // The text is made of the whole payload: a large one that came in parts is joined here.
    const payload = bytes instanceof ByteParts ? bytes.join() : bytes;
    const plain =
      payload instanceof ByteRange
        ? isPlainJsonText(payload.source, payload.start, payload.start + payload.length)
        : isPlainJsonText(payload, 0, payload.length);
    if (plain) {
      // {"event":"message","id":N,"bytes":B,"text":"…"}, the same line JSON.stringify would give.
      const line = out.stdout;
      line.pushFixed(MESSAGE_ID);
      line.pushInteger(id);
      line.pushFixed(BYTES);
      line.pushInteger(payload.length);
      line.pushFixed(TEXT);
      line.pushBytes(payload);
      line.pushFixed(END_OF_TEXT);
      return;
    }
    const array = flat(payload);
    const text = utf8Text(array);
    const body = text === undefined ? `"base64":"${base64(array)}"` : `"text":${JSON.stringify(text)}`;
    out.stdout.push(`{"event":"message","id":${id},"bytes":${payload.length},${body}}\n`);
  },
  disconnected(out, end, peerName) {
    if (endsInError(end)) emit(out, { event: "error", message: end.reason });
    emit(out, {
      event: "disconnected",
      reason: describeEnd(end, peerName),
      kind: end.kind,
      unacked: end.unacked.map((message) => message.id),
    });
    for (const line of formatUnacked(end.unacked)) out.stderr.push(`121chat: ${line}\n`);
  },
  error: (out, message) => emit(out, { event: "error", message }),
  notice: (out, text) => out.stderr.push(`121chat: ${text}\n`),
  file(out, event) {
    const t = event.transfer;
    const common = { id: t.id, direction: t.direction, name: t.name };
    switch (event.type) {
      case "offer":
        emit(out, {
          event: "file-offer",
          ...common,
          bytes: t.totalBytes,
          entries: t.entries,
          // The receiver learns the entries only as they come (FILE_OFFER carries none): the sender lists them.
          ...(t.direction === "out" ? { first_entries: event.firstEntries } : {}),
        });
        return;
      case "progress":
        emit(out, {
          event: "file-progress",
          ...common,
          bytes: event.bytes,
          total: t.totalBytes,
          ...(event.currentPath === null
            ? {}
            : { file: event.currentPath, file_bytes: event.currentBytes, file_size: event.currentSize }),
        });
        return;
      case "checking":
        return; // progress of a local check, not of the transfer: stderr is enough
      case "done":
        emit(out, {
          event: "file-done",
          ...common,
          bytes: t.totalBytes,
          ...(event.localName === null ? {} : { local_name: event.localName }),
          resumed_from: event.resumedFrom,
        });
        return;
      case "cancelled":
        emit(out, {
          event: "file-cancelled",
          ...common,
          by: event.by,
          reason: event.reason,
          declined: event.declined,
        });
        return;
    }
  },
};
