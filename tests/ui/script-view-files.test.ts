import { expect, test } from "bun:test";
import type { ChatLink } from "../../src/core/chat.ts";
import type { TransferEvent, TransferSummary } from "../../src/transfer/events.ts";
import type { ScriptFormat } from "../../src/ui/script-format.ts";
import { ScriptView } from "../../src/ui/script-view.ts";

/** A format that writes nothing and keeps the file events it is given. */
function recordingFormat(): { format: ScriptFormat; files: TransferEvent[] } {
  const files: TransferEvent[] = [];
  const nothing = () => {};
  const format: ScriptFormat = {
    listening: nothing,
    code: nothing,
    codeFailed: nothing,
    connected: nothing,
    connectionLost: nothing,
    reconnecting: nothing,
    resumed: nothing,
    sent: nothing,
    ack: nothing,
    message: nothing,
    disconnected: nothing,
    error: nothing,
    notice: nothing,
    file: (_out, event) => files.push(event),
  };
  return { format, files };
}

const link = {} as ChatLink;
const transfer: TransferSummary = {
  id: 1,
  direction: "in",
  name: "a.bin",
  totalBytes: 100,
  files: 1,
  entries: 1,
};
const progress = (bytes: number): TransferEvent => ({
  type: "progress",
  transfer,
  bytes,
  currentPath: null,
  currentBytes: 0,
  currentSize: 0,
});

test("progress is thinned per transfer, and a transfer that ended is forgotten (its id may come again)", () => {
  const { format, files } = recordingFormat();
  const view = new ScriptView({ role: "server", format });
  view.fileEvent(link, progress(10));
  view.fileEvent(link, progress(20)); // within a tenth of a second: left out
  view.fileEvent(link, { type: "done", transfer, localName: "a.bin", resumedFrom: 0, flowMs: 0 });
  // The next session's transfer #1, at once: its first progress is news, not a flood.
  view.fileEvent(link, progress(30));
  view.fileEvent(link, { type: "cancelled", transfer, by: "peer", reason: "stop", declined: false });
  view.fileEvent(link, progress(40));
  expect(files.map((e) => (e.type === "progress" ? e.bytes : e.type))).toEqual([
    10,
    "done",
    30,
    "cancelled",
    40,
  ]);
});
