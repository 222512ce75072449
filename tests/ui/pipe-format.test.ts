import { expect, test } from "bun:test";
import type { SessionEnd } from "../../src/core/chat.ts";
import { ByteParts } from "../../src/protocol/bytes.ts";
import { pipeFormat } from "../../src/ui/pipe-format.ts";
import { flush, memoryStreams } from "../helpers/memory-streams.ts";

const utf8 = (text: string) => new TextEncoder().encode(text);

function run(write: (out: ReturnType<typeof memoryStreams>["out"]) => void) {
  const streams = memoryStreams();
  write(streams.out);
  flush(streams.out);
  return { stdout: streams.stdout.bytes, stderr: streams.stderr.text };
}

test("received messages go to stdout raw, each followed by \\n, nothing else there", () => {
  const binary = new Uint8Array([0xff, 0x00, 0x1b, 0x5b, 0x32, 0x4a, 0x80]);
  const { stdout, stderr } = run((out) => {
    pipeFormat.connected(out, "127.0.0.1:5000", true);
    pipeFormat.message(out, 1, utf8("hello"));
    pipeFormat.message(out, 2, new Uint8Array(0));
    pipeFormat.message(out, 3, binary);
    pipeFormat.sent(out, 1, 5);
    pipeFormat.ack(out, 1, 0.4, null);
  });
  expect([...stdout]).toEqual([...utf8("hello\n"), 0x0a, ...binary, 0x0a]);
  expect(stderr).toBe("121chat: connected to 127.0.0.1:5000 (end-to-end encrypted)\n");
});

test("a message in parts goes to stdout as its bytes in order, then \\n", () => {
  const large = new Uint8Array(100_000).fill(0x62);
  const { stdout } = run((out) => pipeFormat.message(out, 1, new ByteParts([utf8("a"), large, utf8("c")])));
  expect(Buffer.compare(stdout, Buffer.concat([utf8("a"), large, utf8("c\n")]))).toBe(0);
});

test("status lines on stderr; an IPv6 listening address in brackets", () => {
  expect(run((out) => pipeFormat.listening(out, "::", 7121, "orbit-lemon-swift")).stderr).toBe(
    "121chat: listening on [::]:7121\n121chat: code: orbit-lemon-swift\n",
  );
  expect(run((out) => pipeFormat.listening(out, "127.0.0.1", 0, null)).stderr).toBe(
    "121chat: listening on 127.0.0.1:0\n",
  );
  expect(run((out) => pipeFormat.error(out, "refused")).stderr).toBe("121chat: error: refused\n");
  expect(run((out) => pipeFormat.notice(out, "busy")).stderr).toBe("121chat: busy\n");
});

test("disconnected: reason, stats and unacknowledged messages on stderr, escaped", () => {
  const end: SessionEnd = {
    kind: "peer-bye",
    reason: "\x1b[2J",
    stats: { sent: 1, sentBytes: 3, received: 0, receivedBytes: 0, acked: 0, unacked: 1, rtt: null },
    unacked: [{ id: 1, sentAt: 0, payload: utf8("abc") }],
    opened: true,
  };
  const { stdout, stderr } = run((out) => pipeFormat.disconnected(out, end, "server"));
  expect(stdout.length).toBe(0);
  expect(stderr.split("\n")).toEqual([
    "121chat: disconnected: the server left the chat (\\e[2J)",
    "121chat: sent 1 (3 B) · acknowledged 0 · awaiting 1 · received 0 (0 B)",
    "121chat: round trip: no acknowledgements yet",
    "121chat: 1 message was never acknowledged:",
    "121chat:   #1 (3 B) abc",
    "",
  ]);
});

test("a session that never started (a refused code, a BUSY) ends without a summary of nothing", () => {
  const end: SessionEnd = {
    kind: "code-mismatch",
    reason: "the code did not match",
    stats: { sent: 0, sentBytes: 0, received: 0, receivedBytes: 0, acked: 0, unacked: 0, rtt: null },
    unacked: [],
    opened: false,
  };
  const { stderr } = run((out) => pipeFormat.disconnected(out, end, "server"));
  expect(stderr).toBe(
    "121chat: disconnected: the code did not match: the server has replaced it with a new one (unless its code is fixed); check the server's screen and try again\n",
  );
});

test("an offer names the file whole, even a name that reads like the interactive /accept hint", () => {
  const summary = { id: 1, name: "notes: /accept me.txt", totalBytes: 12, files: 1, entries: 1 };
  const offer = (direction: "in" | "out") =>
    run((out) =>
      pipeFormat.file(
        out,
        { type: "offer", transfer: { ...summary, direction }, firstEntries: [] },
        "server",
      ),
    ).stderr;
  expect(offer("in")).toBe("121chat: ← the server offers #1 notes: /accept me.txt (12 B)\n");
  expect(offer("out")).toBe(
    "121chat: → offering #1 notes: /accept me.txt (12 B): waiting for the server to accept\n",
  );
});

test("a done line says how long the data flowed and at what rate", () => {
  const transfer = {
    id: 2,
    direction: "in" as const,
    name: "a.bin",
    totalBytes: 3_000_000,
    files: 1,
    entries: 1,
  };
  const { stderr } = run((out) =>
    pipeFormat.file(
      out,
      { type: "done", transfer, localName: "a.bin", resumedFrom: 0, flowMs: 1500 },
      "server",
    ),
  );
  expect(stderr).toBe(
    "121chat: ✓ received #2 a.bin → a.bin, every file checked (2.9 MiB in 1.5 s, 2.0 MB/s)\n",
  );
});

test("a reconnect attempt says when, and from the second on why the last one failed", () => {
  const lines = run((out) => {
    pipeFormat.reconnecting(out, { attempt: 1, delayMs: 250 });
    pipeFormat.reconnecting(out, { attempt: 2, delayMs: 1000, lastFailure: "connection refused" });
  }).stderr;
  expect(lines).toBe(
    "121chat: reconnecting (attempt 1, in 0.3 s)…\n" +
      "121chat: reconnecting (attempt 2, in 1.0 s)… last try: connection refused\n",
  );
});
