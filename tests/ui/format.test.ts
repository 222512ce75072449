import { describe, expect, test } from "bun:test";
import type { SessionEnd } from "../../src/core/chat.ts";
import type { PendingMessage } from "../../src/core/pending-acks.ts";
import type { CloseKind } from "../../src/core/session.ts";
import type { StatsSnapshot } from "../../src/core/stats.ts";
import { ByteParts } from "../../src/protocol/bytes.ts";
import {
  describeEnd,
  describeResumed,
  formatBytes,
  formatMs,
  formatStats,
  formatUnacked,
  preview,
} from "../../src/ui/format.ts";

const utf8 = (text: string) => new TextEncoder().encode(text);
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point.
const TERMINAL_CONTROL = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

const noStats: StatsSnapshot = {
  sent: 0,
  sentBytes: 0,
  received: 0,
  receivedBytes: 0,
  acked: 0,
  unacked: 0,
  rtt: null,
};

const pending = (id: number, payload: Uint8Array | string): PendingMessage => ({
  id,
  sentAt: 0,
  payload: typeof payload === "string" ? utf8(payload) : payload,
});

const end = (kind: CloseKind, reason: string): SessionEnd => ({
  kind,
  reason,
  stats: noStats,
  unacked: [],
  opened: true,
});

describe("formatMs (round-trip times)", () => {
  test("sub-millisecond precision below 10 ms, then fewer digits", () => {
    expect(formatMs(0.42)).toBe("0.42 ms");
    expect(formatMs(0.057)).toBe("0.06 ms");
    expect(formatMs(0)).toBe("0.00 ms");
    expect(formatMs(1)).toBe("1.00 ms");
    expect(formatMs(9.5)).toBe("9.50 ms");
    expect(formatMs(12.34)).toBe("12.3 ms");
    expect(formatMs(99.94)).toBe("99.9 ms");
    expect(formatMs(100)).toBe("100 ms");
    expect(formatMs(1530.4)).toBe("1530 ms");
  });

  test("values that round up across a boundary take the next form", () => {
    expect(formatMs(9.996)).toBe("10.0 ms");
    expect(formatMs(99.96)).toBe("100 ms");
  });

  test("always a number and ' ms'", () => {
    for (let ms = 0.001; ms < 1e6; ms *= 1.37) expect(formatMs(ms)).toMatch(/^\d+(\.\d{1,2})? ms$/);
  });
});

describe("formatBytes", () => {
  test("bytes, then binary units with one decimal", () => {
    expect(formatBytes(0)).toBe("0 B");
    expect(formatBytes(512)).toBe("512 B");
    expect(formatBytes(1023)).toBe("1023 B");
    expect(formatBytes(1024)).toBe("1.0 KiB");
    expect(formatBytes(1536)).toBe("1.5 KiB");
    expect(formatBytes(64 * 1024)).toBe("64.0 KiB");
    expect(formatBytes(16 * 1024 ** 2)).toBe("16.0 MiB");
    expect(formatBytes(1024 ** 3)).toBe("1.0 GiB");
    expect(formatBytes(0xffff_ffff)).toBe("4.0 GiB");
    expect(formatBytes(5000 * 1024 ** 3)).toBe("5000.0 GiB");
  });

  test("just under the next unit shows as the next unit, not 1024.0 of this one", () => {
    expect(formatBytes(1024 ** 2 - 1)).toBe("1.0 MiB");
    expect(formatBytes(1024 ** 3 - 1)).toBe("1.0 GiB");
  });
});

describe("formatStats", () => {
  test("no round trips yet", () => {
    expect(formatStats(noStats)).toEqual([
      "sent 0 (0 B) · acknowledged 0 · received 0 (0 B)",
      "round trip: no acknowledgements yet",
    ]);
  });

  test("counts, bytes, messages awaiting their ACK, and min/median/p99/max", () => {
    const stats: StatsSnapshot = {
      sent: 12,
      sentBytes: 2048,
      received: 3,
      receivedBytes: 100,
      acked: 10,
      unacked: 2,
      rtt: { count: 10, minMs: 0.042, medianMs: 0.42, p99Ms: 12.34, maxMs: 250.6 },
    };
    expect(formatStats(stats)).toEqual([
      "sent 12 (2.0 KiB) · acknowledged 10 · awaiting 2 · received 3 (100 B)",
      "round trip: min 0.04 ms · median 0.42 ms · p99 12.3 ms · max 251 ms",
    ]);
  });
});

describe("preview", () => {
  test("short text as it is; long text cut to the limit with …", () => {
    expect(preview(utf8("hello"))).toBe("hello");
    expect(preview(utf8("x".repeat(40)))).toBe("x".repeat(40));
    expect(preview(utf8("x".repeat(41)))).toBe(`${"x".repeat(39)}…`);
    expect(preview(utf8("abcdef"), 4)).toBe("abc…");
  });

  test("a payload cut by bytes is marked cut even when few characters remain", () => {
    // 41 emoji are 164 bytes; the preview reads 160 of them
    const out = preview(utf8("😀".repeat(41)));
    expect(out.endsWith("…")).toBe(true);
    expect([...out].length).toBe(40);
    expect(preview(utf8("😀".repeat(40)))).toBe("😀".repeat(40));
  });

  test("a message in parts: read from its first parts only, cut the same way", () => {
    const long = new ByteParts([utf8("x".repeat(30)), utf8("y".repeat(30)), new Uint8Array(1 << 20)]);
    expect(preview(long)).toBe(`${"x".repeat(30)}${"y".repeat(9)}…`);
    expect(preview(new ByteParts([utf8("he"), utf8("llo")]))).toBe("hello");
  });

  test("escaped and safe", () => {
    expect(preview(utf8("\x1b[2Jhi"))).toBe("\\e[2Jhi");
    expect(preview(utf8("\x1b".repeat(500)))).not.toMatch(TERMINAL_CONTROL);
    expect(preview(new Uint8Array([0xff, 0x41]))).toBe("\\xffA");
  });
});

describe("formatUnacked", () => {
  test("nothing pending: no lines", () => {
    expect(formatUnacked([])).toEqual([]);
  });

  test("one message, singular", () => {
    expect(formatUnacked([pending(3, "hello")])).toEqual([
      "1 message was never acknowledged:",
      "  #3 (5 B) hello",
    ]);
  });

  test("several: each with id, size and an escaped preview", () => {
    const lines = formatUnacked([pending(1, "a"), pending(2, "\x1b[2J"), pending(7, new Uint8Array(2048))]);
    expect(lines[0]).toBe("3 messages were never acknowledged:");
    expect(lines[1]).toBe("  #1 (1 B) a");
    expect(lines[2]).toBe("  #2 (4 B) \\e[2J");
    expect(lines[3]).toStartWith("  #7 (2.0 KiB) \\x00\\x00");
    for (const line of lines) expect(line).not.toMatch(TERMINAL_CONTROL);
  });

  test("at most 20 listed, then how many more", () => {
    const many = Array.from({ length: 25 }, (_, i) => pending(i + 1, `m${i + 1}`));
    const lines = formatUnacked(many);
    expect(lines).toHaveLength(1 + 20 + 1);
    expect(lines[0]).toBe("25 messages were never acknowledged:");
    expect(lines[20]).toBe("  #20 (3 B) m20");
    expect(lines[21]).toBe("  … and 5 more");
  });
});

describe("describeEnd", () => {
  test("every way a session ends, from this side's point of view", () => {
    const cases: [CloseKind, string, string][] = [
      ["bye", "", "you left the chat"],
      ["bye", "end of input", "you left the chat"],
      ["peer-bye", "", "the client left the chat"],
      ["peer-bye", "closed", "the client left the chat"],
      ["peer-bye", "end of input", "the client left the chat (end of input)"],
      ["busy", "the server is busy with another client", "the server is busy with another client"],
      ["busy", "try later", "the server is busy: try later"],
      ["busy", "", "the server is busy"],
      ["protocol-error", "unknown frame type 0x47", "the client broke the protocol: unknown frame type 0x47"],
      ["peer-error", "unexpected HELLO", "the client reported a protocol error: unexpected HELLO"],
      ["peer-error", "", "the client reported a protocol error"],
      ["handshake-timeout", "no HELLO within 10 s", "no handshake: no HELLO within 10 s"],
      ["timeout", "nothing received for 45 s", "the client stopped responding (nothing received for 45 s)"],
      ["lost", "connection closed by peer", "the client is gone (connection closed by peer)"],
      ["lost", "", "the client is gone"],
      [
        "stalled",
        "the peer stopped reading: 64.0 MiB wait to be sent",
        "gave up on the client: the peer stopped reading: 64.0 MiB wait to be sent",
      ],
    ];
    for (const [kind, reason, expected] of cases) {
      expect([kind, reason, describeEnd(end(kind, reason), "client")]).toEqual([kind, reason, expected]);
    }
    expect(describeEnd(end("lost", "connection closed by peer"), "server")).toBe(
      "the server is gone (connection closed by peer)",
    );
  });

  const ALL_KINDS: CloseKind[] = [
    "bye",
    "peer-bye",
    "busy",
    "protocol-error",
    "peer-error",
    "handshake-timeout",
    "timeout",
    "lost",
    "stalled",
  ];

  test("a hostile peer's reason stays terminal-safe, whatever the kind", () => {
    const hostile = "\x1b[2J\x1b]0;owned\x07\u009b31m\u202egnp.exe\r\nfake prompt$ \x7f";
    for (const kind of ALL_KINDS) {
      const out = describeEnd(end(kind, hostile), "server");
      expect(out).not.toMatch(TERMINAL_CONTROL);
      expect(out).not.toContain("\n");
    }
    expect(describeEnd(end("peer-bye", hostile), "server")).toContain("\\e[2J");
  });

  test("a huge reason is cut to one readable line", () => {
    const out = describeEnd(end("peer-error", "A".repeat(65536)), "server");
    expect(out.length).toBeLessThan(300);
    expect(out.endsWith("…")).toBe(true);
  });

  test("every kind gives one non-empty line", () => {
    for (const kind of ALL_KINDS) {
      for (const reason of ["", "why"]) {
        const out = describeEnd(end(kind, reason), "client");
        expect(out.length).toBeGreaterThan(0);
        expect(out).not.toMatch(/[:(]\s*\)?$/); // no dangling ": " or "()"
      }
    }
  });
});

test("describeResumed: how long the outage took, and how many messages went again", () => {
  expect(describeResumed({ afterMs: 2430, resent: 1 })).toBe("back after 2.4 s — 1 message resent");
  expect(describeResumed({ afterMs: 61_000, resent: 0 })).toBe("back after 61.0 s — 0 messages resent");
});
