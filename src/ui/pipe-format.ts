import { describeEnd, formatStats, formatUnacked } from "./format.ts";
import type { ScriptFormat, ScriptStreams } from "./script-format.ts";

const NEWLINE = new Uint8Array([0x0a]);
const status = (out: ScriptStreams, text: string) => out.stderr.push(`121chat: ${text}\n`);

/** Pipe mode: received messages raw on stdout, one per line; human status on stderr; no colours. */
export const pipeFormat: ScriptFormat = {
  listening: (out, host, port) =>
    status(out, `listening on ${host.includes(":") ? `[${host}]` : host}:${port}`),
  connected: (out, peer) => status(out, `connected to ${peer}`),
  sent: () => {},
  ack: () => {},
  message(out, _id, payload) {
    out.stdout.pushBytes(payload);
    out.stdout.push(NEWLINE);
  },
  disconnected(out, end, peerName) {
    status(out, `disconnected: ${describeEnd(end, peerName)}`);
    for (const line of formatStats(end.stats)) status(out, line);
    for (const line of formatUnacked(end.unacked)) status(out, line);
  },
  error: (out, message) => status(out, `error: ${message}`),
  notice: (out, text) => status(out, text),
};
