import { describeEnd, describeResumed, formatStats, formatUnacked, lastFailure } from "./format.ts";
import type { ScriptFormat, ScriptStreams } from "./script-format.ts";
import { checkingLine, describeCancelled, describeDone, describeOffer, safeName } from "./transfer-text.ts";

const NEWLINE = new Uint8Array([0x0a]);
const status = (out: ScriptStreams, text: string) => out.stderr.push(`121chat: ${text}\n`);

/** Pipe mode: received messages raw on stdout, one per line; human status on stderr; no colours. */
export const pipeFormat: ScriptFormat = {
  listening: (out, host, port, code) => {
    status(out, `listening on ${host.includes(":") ? `[${host}]` : host}:${port}`);
    if (code !== null) status(out, `code: ${code}`);
  },
  code: (out, code) => status(out, `code for the next client: ${code}`),
  codeFailed: (out, peer) => status(out, `${peer} tried a wrong code`),
  connected: (out, peer, encrypted) =>
    status(out, `connected to ${peer}${encrypted ? " (end-to-end encrypted)" : " (not encrypted)"}`),
  connectionLost: (out, lost, role) =>
    status(
      out,
      role === "server"
        ? `the client's connection dropped (${lost.reason}): keeping the session for ${Math.round(lost.windowMs / 1000)} s`
        : `connection lost (${lost.reason}): reconnecting`,
    ),
  reconnecting: (out, attempt) => {
    const failed = lastFailure(attempt);
    const when = `attempt ${attempt.attempt}, in ${(attempt.delayMs / 1000).toFixed(1)} s`;
    status(out, `reconnecting (${when})…${failed === null ? "" : ` last try: ${failed}`}`);
  },
  resumed: (out, resumed) => status(out, describeResumed(resumed)),
  sent: () => {},
  ack: () => {},
  message(out, _id, payload) {
    out.stdout.pushBytes(payload);
    out.stdout.push(NEWLINE);
  },
  disconnected(out, end, peerName) {
    status(out, `disconnected: ${describeEnd(end, peerName)}`);
    // A session that never started (a wrong code, BUSY) has nothing to sum up.
    if (end.opened) for (const line of formatStats(end.stats)) status(out, line);
    for (const line of formatUnacked(end.unacked)) status(out, line);
  },
  error: (out, message) => status(out, `error: ${message}`),
  notice: (out, text) => status(out, text),
  file(out, event, peerName) {
    switch (event.type) {
      case "offer":
        // Nothing to type here: an offer is taken (--accept-files) or declined by itself.
        status(out, describeOffer(event, peerName, null));
        return;
      case "progress":
        status(
          out,
          `#${event.transfer.id} ${safeName(event.transfer.name)}: ${event.bytes} of ${event.transfer.totalBytes} bytes`,
        );
        return;
      case "checking":
        status(out, checkingLine(event));
        return;
      case "done":
        status(out, describeDone(event, peerName));
        return;
      case "cancelled":
        status(out, describeCancelled(event, peerName));
        return;
    }
  },
};
