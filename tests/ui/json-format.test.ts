import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import type { SessionEnd } from "../../src/core/chat.ts";
import type { StatsSnapshot } from "../../src/core/stats.ts";
import { ByteParts, ByteRange } from "../../src/protocol/bytes.ts";
import type { TransferEvent } from "../../src/transfer/events.ts";
import { describeEnd } from "../../src/ui/format.ts";
import { jsonFormat } from "../../src/ui/json-format.ts";
import { flush, memoryStreams } from "../helpers/memory-streams.ts";
import { ROOT } from "../helpers/program.ts";

const utf8 = (text: string) => new TextEncoder().encode(text);

const stats: StatsSnapshot = {
  sent: 2,
  sentBytes: 10,
  received: 1,
  receivedBytes: 5,
  acked: 1,
  unacked: 1,
  rtt: { count: 1, minMs: 0.5, medianMs: 0.5, p99Ms: 0.5, maxMs: 0.5 },
};

/** Every way a session can end, in the README's order; the type makes a new kind a compile error here. */
const CLOSE_KINDS = [
  "bye",
  "peer-bye",
  "busy",
  "protocol-error",
  "peer-error",
  "handshake-timeout",
  "timeout",
  "lost",
  "integrity",
  "stalled",
  "code-mismatch",
] as const satisfies readonly SessionEnd["kind"][];

/** Runs `write` against fresh streams; returns stdout split into lines (each must be JSON) and stderr. */
function run(write: (out: ReturnType<typeof memoryStreams>["out"]) => void) {
  const streams = memoryStreams();
  write(streams.out);
  flush(streams.out);
  const text = streams.stdout.text;
  expect(text === "" || text.endsWith("\n")).toBe(true);
  const lines = text === "" ? [] : text.slice(0, -1).split("\n");
  return { lines, events: lines.map((line) => JSON.parse(line)), stderr: streams.stderr.text };
}

/** The one event `write` puts on stdout. */
function oneEvent(write: Parameters<typeof run>[0]): Record<string, unknown> {
  const { events } = run(write);
  expect(events).toHaveLength(1);
  return events[0];
}

describe("the JSON events of the contract, exactly", () => {
  test("listening, with the code when there is one (not with --no-encryption)", () => {
    expect(oneEvent((out) => jsonFormat.listening(out, "::", 7121, "orbit-lemon-swift"))).toEqual({
      event: "listening",
      host: "::",
      port: 7121,
      code: "orbit-lemon-swift",
    });
    expect(oneEvent((out) => jsonFormat.listening(out, "::", 7121, null))).toEqual({
      event: "listening",
      host: "::",
      port: 7121,
    });
  });

  test("code and code-failed", () => {
    expect(oneEvent((out) => jsonFormat.code(out, "oak-cute-bounce"))).toEqual({
      event: "code",
      code: "oak-cute-bounce",
    });
    expect(oneEvent((out) => jsonFormat.codeFailed(out, "127.0.0.1:5000"))).toEqual({
      event: "code-failed",
      peer: "127.0.0.1:5000",
    });
  });

  test("connected says whether the session is encrypted", () => {
    expect(oneEvent((out) => jsonFormat.connected(out, "[::1]:51234", true))).toEqual({
      event: "connected",
      peer: "[::1]:51234",
      encrypted: true,
    });
    expect(oneEvent((out) => jsonFormat.connected(out, "[::1]:51234", false))).toEqual({
      event: "connected",
      peer: "[::1]:51234",
      encrypted: false,
    });
  });

  test("connection-lost (the server's with window_ms), reconnecting, resumed", () => {
    const lost = { reason: "connection closed by peer", windowMs: 59_999.6 };
    expect(oneEvent((out) => jsonFormat.connectionLost(out, lost, "server"))).toEqual({
      event: "connection-lost",
      reason: "connection closed by peer",
      window_ms: 60_000,
    });
    expect(oneEvent((out) => jsonFormat.connectionLost(out, lost, "client"))).toEqual({
      event: "connection-lost",
      reason: "connection closed by peer",
    });
    expect(oneEvent((out) => jsonFormat.reconnecting(out, { attempt: 1, delayMs: 250.4 }))).toEqual({
      event: "reconnecting",
      attempt: 1,
      delay_ms: 250,
    });
    // From the second attempt on, why the one before failed (terminal-safe: it may be the server's words).
    const refused = { attempt: 3, delayMs: 1000.4, lastFailure: "connection refused\u001b[2J" };
    expect(oneEvent((out) => jsonFormat.reconnecting(out, refused))).toEqual({
      event: "reconnecting",
      attempt: 3,
      delay_ms: 1000,
      last_error: "connection refused\\e[2J",
    });
    expect(oneEvent((out) => jsonFormat.resumed(out, { afterMs: 4200.1234, resent: 2 }))).toEqual({
      event: "resumed",
      after_ms: 4200.123,
      resent: 2,
    });
  });

  test("ack of a message delivered before a drop: before_drop, no rtt_ms", () => {
    expect(oneEvent((out) => jsonFormat.ack(out, 9, null, null))).toEqual({
      event: "ack",
      id: 9,
      before_drop: true,
    });
  });

  test("ack of a message that waited for the connection: its round trip, and delivered_after_ms in all", () => {
    expect(oneEvent((out) => jsonFormat.ack(out, 4, 4.2449, 18_504.2001))).toEqual({
      event: "ack",
      id: 4,
      rtt_ms: 4.245,
      delivered_after_ms: 18_504.2,
    });
  });

  test("sent", () => {
    expect(oneEvent((out) => jsonFormat.sent(out, 3, 42))).toEqual({ event: "sent", id: 3, bytes: 42 });
  });

  test("ack: rtt_ms is a number with sub-millisecond precision", () => {
    const event = oneEvent((out) => jsonFormat.ack(out, 7, 0.123456789, null));
    expect(event).toEqual({ event: "ack", id: 7, rtt_ms: 0.123 });
    expect(typeof event.rtt_ms).toBe("number");
    expect(oneEvent((out) => jsonFormat.ack(out, 1, 12, null)).rtt_ms).toBe(12);
    expect(oneEvent((out) => jsonFormat.ack(out, 1, 0.0504, null)).rtt_ms).toBe(0.05);
  });

  test("message: UTF-8 payloads as text", () => {
    expect(oneEvent((out) => jsonFormat.message(out, 1, utf8("héllo 😀")))).toEqual({
      event: "message",
      id: 1,
      bytes: 11,
      text: "héllo 😀",
    });
  });

  test("message: a payload in parts is one text, split characters included", () => {
    const bytes = utf8("héllo 😀");
    const parts = new ByteParts([bytes.subarray(0, 2), bytes.subarray(2, 9), bytes.subarray(9)]);
    expect(oneEvent((out) => jsonFormat.message(out, 1, parts))).toEqual({
      event: "message",
      id: 1,
      bytes: 11,
      text: "héllo 😀",
    });
    const plain = new ByteParts([utf8("plain "), utf8("ascii")]);
    expect(oneEvent((out) => jsonFormat.message(out, 2, plain)).text).toBe("plain ascii");
  });

  test("message: an empty payload is an empty text", () => {
    expect(oneEvent((out) => jsonFormat.message(out, 2, new Uint8Array(0)))).toEqual({
      event: "message",
      id: 2,
      bytes: 0,
      text: "",
    });
  });

  test("message: control characters travel as JSON escapes, one event per line", () => {
    const { lines, events } = run((out) => jsonFormat.message(out, 1, utf8("a\nb\x1b[2J\u2028\u0000")));
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toContain("\x1b");
    expect(events[0]).toMatchObject({ text: "a\nb\x1b[2J\u2028\u0000", bytes: 11 });
  });

  test("message: bytes that are not UTF-8 come as base64 instead of text", () => {
    const payload = new Uint8Array([0xff, 0x00, 0xc3, 0x28, 0x80]);
    const event = oneEvent((out) => jsonFormat.message(out, 4, payload));
    expect(event).toEqual({ event: "message", id: 4, bytes: 5, base64: "/wDDKIA=" });
    expect("text" in event).toBe(false);
  });

  test("message: a leading BOM is kept in the text (the bytes are not altered)", () => {
    const event = oneEvent((out) => jsonFormat.message(out, 1, new Uint8Array([0xef, 0xbb, 0xbf, 0x41])));
    expect(event.text).toBe("\ufeffA");
  });

  test("disconnected, with the reason, the kind and no unacked ids; a hostile reason arrives escaped", () => {
    const end: SessionEnd = { kind: "peer-bye", reason: "bye \x1b[2J", stats, unacked: [], opened: true };
    expect(oneEvent((out) => jsonFormat.disconnected(out, end, "server"))).toEqual({
      event: "disconnected",
      reason: "the server left the chat (bye \\e[2J)",
      kind: "peer-bye",
      unacked: [],
    });
  });

  test("disconnected: kind is how the session ended, each of the documented kinds as it is", () => {
    for (const kind of CLOSE_KINDS) {
      const end: SessionEnd = { kind, reason: "why", stats, unacked: [], opened: true };
      // A failing end is preceded by an error event (the next test).
      const event = run((out) => jsonFormat.disconnected(out, end, "client")).events.at(-1);
      expect(event).toEqual({ event: "disconnected", reason: describeEnd(end, "client"), kind, unacked: [] });
    }
  });

  test("disconnected: unacknowledged messages are listed on stderr, stdout stays JSON", () => {
    const end: SessionEnd = {
      kind: "lost",
      reason: "connection closed by peer",
      stats,
      unacked: [
        { id: 7, sentAt: 0, payload: utf8("lost one") },
        { id: 9, sentAt: 1, payload: utf8("and another") },
      ],
      opened: true,
    };
    const { events, stderr } = run((out) => jsonFormat.disconnected(out, end, "server"));
    expect(events).toEqual([
      {
        event: "disconnected",
        reason: "the server is gone (connection closed by peer)",
        kind: "lost",
        unacked: [7, 9],
      },
    ]);
    expect(stderr).toContain("2 messages were never acknowledged");
    expect(stderr).toContain("#7");
    expect(stderr).toContain("#9");
  });

  test("a failing end is an error event (the protocol's reason) and then disconnected; a goodbye or a lost peer is not", () => {
    const failing = ["busy", "protocol-error", "peer-error", "integrity", "stalled", "code-mismatch"];
    for (const kind of CLOSE_KINDS) {
      const end: SessionEnd = { kind, reason: `reason of ${kind}`, stats, unacked: [], opened: true };
      const { events } = run((out) => jsonFormat.disconnected(out, end, "server"));
      const names = events.map((event) => event.event);
      if (failing.includes(kind)) {
        expect(names).toEqual(["error", "disconnected"]);
        expect(events[0]?.message).toBe(`reason of ${kind}`);
      } else expect(names).toEqual(["disconnected"]);
    }
  });

  test("error", () => {
    expect(oneEvent((out) => jsonFormat.error(out, "connection refused"))).toEqual({
      event: "error",
      message: "connection refused",
    });
  });

  test("notices go to stderr only", () => {
    const { lines, stderr } = run((out) => jsonFormat.notice(out, "waiting for a client"));
    expect(lines).toEqual([]);
    expect(stderr).toBe("121chat: waiting for a client\n");
  });
});

/** The transfer event that a documented file-* line stands for. */
function transferEventOf(doc: Record<string, unknown>): TransferEvent {
  const transfer = {
    id: doc.id as number,
    direction: doc.direction as "in" | "out",
    name: doc.name as string,
    totalBytes: (doc.total ?? doc.bytes ?? 0) as number,
    files: (doc.entries ?? 1) as number,
    entries: (doc.entries ?? 1) as number,
  };
  switch (doc.event) {
    case "file-offer":
      return { type: "offer", transfer, firstEntries: (doc.first_entries ?? []) as string[] };
    case "file-progress":
      return {
        type: "progress",
        transfer,
        bytes: doc.bytes as number,
        currentPath: (doc.file ?? null) as string | null,
        currentBytes: (doc.file_bytes ?? 0) as number,
        currentSize: (doc.file_size ?? 0) as number,
      };
    case "file-done":
      return {
        type: "done",
        transfer,
        localName: (doc.local_name ?? null) as string | null,
        resumedFrom: doc.resumed_from as number,
        flowMs: 0, // not in the JSON event
      };
    default:
      return {
        type: "cancelled",
        transfer,
        by: doc.by as "you" | "peer",
        reason: doc.reason as string,
        declined: doc.declined as boolean,
      };
  }
}

describe("README's JSON section is the contract", () => {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  const block = /With `--json`.*?```json\n(.*?)```/s.exec(readme)?.[1];

  /** What jsonFormat writes for the inputs a documented event shows; fails on an event it does not know. */
  function written(doc: Record<string, unknown>): Record<string, unknown> {
    const { id, bytes } = doc as { id: number; bytes: number };
    switch (doc.event) {
      case "listening":
        return oneEvent((out) =>
          jsonFormat.listening(out, doc.host as string, doc.port as number, (doc.code as string) ?? null),
        );
      case "code":
        return oneEvent((out) => jsonFormat.code(out, doc.code as string));
      case "code-failed":
        return oneEvent((out) => jsonFormat.codeFailed(out, doc.peer as string));
      case "connected":
        return oneEvent((out) => jsonFormat.connected(out, doc.peer as string, doc.encrypted as boolean));
      case "connection-lost":
        return oneEvent((out) =>
          jsonFormat.connectionLost(
            out,
            { reason: doc.reason as string, windowMs: (doc.window_ms as number) ?? 0 },
            doc.window_ms === undefined ? "client" : "server",
          ),
        );
      case "reconnecting":
        return oneEvent((out) =>
          jsonFormat.reconnecting(out, {
            attempt: doc.attempt as number,
            delayMs: doc.delay_ms as number,
            ...(doc.last_error === undefined ? {} : { lastFailure: doc.last_error as string }),
          }),
        );
      case "resumed":
        return oneEvent((out) =>
          jsonFormat.resumed(out, { afterMs: doc.after_ms as number, resent: doc.resent as number }),
        );
      case "sent":
        return oneEvent((out) => jsonFormat.sent(out, id, bytes));
      case "ack":
        return oneEvent((out) =>
          jsonFormat.ack(
            out,
            id,
            doc.before_drop ? null : (doc.rtt_ms as number),
            (doc.delivered_after_ms as number | undefined) ?? null,
          ),
        );
      case "message": {
        const payload =
          typeof doc.text === "string"
            ? utf8(doc.text)
            : new Uint8Array(Buffer.from(doc.base64 as string, "base64"));
        return oneEvent((out) => jsonFormat.message(out, id, payload));
      }
      case "disconnected": {
        const kind = doc.kind as SessionEnd["kind"];
        const unacked = (doc.unacked as number[]).map((n) => ({ id: n, sentAt: 0, payload: utf8("x") }));
        // The documented reason is what describeEnd says for this kind with no reason from the peer.
        const end: SessionEnd = { kind, reason: "", stats, unacked, opened: true };
        return oneEvent((out) => jsonFormat.disconnected(out, end, "client"));
      }
      case "error":
        return oneEvent((out) => jsonFormat.error(out, doc.message as string));
      case "file-offer":
      case "file-progress":
      case "file-done":
      case "file-cancelled":
        return oneEvent((out) => jsonFormat.file(out, transferEventOf(doc), "client"));
      default:
        throw new Error(`README documents an event this test does not know: ${JSON.stringify(doc)}`);
    }
  }

  test("every documented event, field for field, is what the JSON mode writes", () => {
    expect(block, "the README's ```json block after 'With `--json`'").toBeString();
    const documented = (block as string)
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(new Set(documented.map((doc) => doc.event))).toEqual(
      new Set([
        "listening",
        "code",
        "code-failed",
        "connected",
        "sent",
        "ack",
        "message",
        "connection-lost",
        "reconnecting",
        "resumed",
        "file-offer",
        "file-progress",
        "file-done",
        "file-cancelled",
        "disconnected",
        "error",
      ]),
    );
    for (const doc of documented) expect(written(doc)).toEqual(doc);
  });

  test("every kind of disconnected is documented, and every documented kind exists", () => {
    const list = /`disconnected` adds `kind`\s*\(([^:]*):/.exec(readme)?.[1] ?? "";
    const documented = [...list.matchAll(/`([a-z-]+)`/g)].map((match) => match[1]);
    expect(documented).toEqual([...CLOSE_KINDS]);
  });
});

test("a burst of events is one JSON object per line, in order", () => {
  const { events } = run((out) => {
    jsonFormat.connected(out, "127.0.0.1:5000", true);
    for (let id = 1; id <= 50; id++) jsonFormat.sent(out, id, id);
    for (let id = 1; id <= 50; id++) jsonFormat.ack(out, id, id / 7, null);
  });
  expect(events).toHaveLength(101);
  expect(events.map((e) => e.event)).toEqual([
    "connected",
    ...Array(50).fill("sent"),
    ...Array(50).fill("ack"),
  ]);
  expect(events[100]).toEqual({ event: "ack", id: 50, rtt_ms: 7.143 });
});

test("property: any payload is one line whose text or base64 gives back the exact bytes", () => {
  fc.assert(
    fc.property(
      fc.oneof(
        fc.uint8Array({ maxLength: 64 }),
        fc.string({ unit: "binary", maxLength: 32 }).map((s) => utf8(s)),
      ),
      (payload) => {
        const { lines, events } = run((out) => jsonFormat.message(out, 9, payload));
        expect(lines).toHaveLength(1);
        const event = events[0];
        expect(event.bytes).toBe(payload.length);
        const back =
          event.text !== undefined ? utf8(event.text) : new Uint8Array(Buffer.from(event.base64, "base64"));
        expect(back).toEqual(payload);
      },
    ),
    { seed: 7121, numRuns: 1000 },
  );
});

test("property: a message event is exactly what JSON.stringify writes, whichever way it was built", () => {
  // Printable ASCII is written from its bytes without making a string; quotes, backslashes, controls and
  // anything else take the JSON.stringify path. Both must give the same line.
  fc.assert(
    fc.property(
      fc.string({
        unit: fc.integer({ min: 0x00, max: 0x7f }).map((c) => String.fromCharCode(c)),
        maxLength: 80,
      }),
      fc.integer({ min: 1, max: 0xffff_ffff }),
      (text, id) => {
        const payload = utf8(text);
        const expected = [JSON.stringify({ event: "message", id, bytes: payload.length, text })];
        expect(run((out) => jsonFormat.message(out, id, payload)).lines).toEqual(expected);
        // The same bytes where the decoder hands them out: a range of a received chunk, amid other bytes.
        const chunk = new Uint8Array([0x22, ...payload, 0x5c]);
        const range = new ByteRange(chunk, 1, payload.length);
        expect(run((out) => jsonFormat.message(out, id, range)).lines).toEqual(expected);
      },
    ),
    { seed: 7121, numRuns: 2000 },
  );
});
