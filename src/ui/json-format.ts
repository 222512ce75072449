import { describeEnd, formatUnacked } from "./format.ts";
import type { ScriptFormat, ScriptStreams } from "./script-format.ts";

const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

const emit = (out: ScriptStreams, event: Record<string, unknown>) =>
  out.stdout.push(`${JSON.stringify(event)}\n`);

/** Rounds to the microsecond: sub-millisecond precision without float noise in the output. */
const roundMs = (ms: number) => Math.round(ms * 1000) / 1000;

/**
 * JSON mode: stdout carries one JSON object per line and nothing else (the event names and fields are a
 * contract; fields may be added, never renamed). Human notices go to stderr.
 */
export const jsonFormat: ScriptFormat = {
  listening: (out, host, port) => emit(out, { event: "listening", host, port }),
  connected: (out, peer) => emit(out, { event: "connected", peer }),
  sent: (out, id, bytes) => emit(out, { event: "sent", id, bytes }),
  ack: (out, id, rttMs) => emit(out, { event: "ack", id, rtt_ms: roundMs(rttMs) }),
  message(out, id, payload) {
    let text: string | undefined;
    try {
      text = strictUtf8.decode(payload);
    } catch {
      text = undefined; // not UTF-8: sent as base64 instead
    }
    const body = text === undefined ? { base64: Buffer.from(payload).toString("base64") } : { text };
    emit(out, { event: "message", id, bytes: payload.length, ...body });
  },
  disconnected(out, end, peerName) {
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
};
