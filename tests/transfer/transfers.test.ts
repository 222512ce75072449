import { describe, expect, test } from "bun:test";
import { FrameType } from "../../src/protocol/constants.ts";
import { encodeU64 } from "../../src/protocol/encoder.ts";
import { ProtocolError } from "../../src/protocol/errors.ts";
import { encodeCancel, encodeEntry, encodeOffer, parseAnswer } from "../../src/transfer/frames.ts";
import { Transfers } from "../../src/transfer/transfers.ts";
import type { DiskAction, DiskResult } from "../../src/transfer/types.ts";
import { bytesOf, listingOf, sha256, TransferPair, type Tree } from "../helpers/transfer-pair.ts";

const big = (size: number, seed = 7) =>
  Uint8Array.from({ length: size }, (_, i) => (i * seed + (i >> 8)) & 0xff);
const text = (bytes: Uint8Array | null | undefined) => (bytes ? new TextDecoder().decode(bytes) : bytes);
const ofType = (events: { type: string }[], type: string) => events.filter((e) => e.type === type);

describe("a transfer, start to end", () => {
  test("one file: offered, accepted, sent in order, verified, given its name; both sides hear done", () => {
    const contents = big(300_000);
    const pair = new TransferPair({ "report.pdf": contents });
    pair.offer(listingOf("report.pdf", { "report.pdf": contents }));
    pair.settle();
    expect(pair.download.files.get("report.pdf")).toEqual(contents);
    expect(pair.download.parts.size).toBe(0);
    expect(ofType(pair.senderEvents, "done")).toHaveLength(1);
    expect(ofType(pair.receiverEvents, "done")).toMatchObject([{ localName: "report.pdf" }]);
    // Progress comes from what the receiver wrote, and reaches the whole.
    const progress = ofType(pair.senderEvents, "progress") as unknown as { bytes: number }[];
    expect(progress.at(-1)?.bytes).toBe(300_000);
    expect(progress.map((p) => p.bytes)).toEqual([...progress.map((p) => p.bytes)].sort((a, b) => a - b));
  });

  test("a folder with nested and empty folders and an empty file arrives whole, in pre-order", () => {
    const tree: Tree = {
      photos: null,
      "photos/a.jpg": big(70_000, 3),
      "photos/empty": null,
      "photos/trip": null,
      "photos/trip/b.jpg": big(1000, 5),
      "photos/zero.txt": new Uint8Array(0),
    };
    const pair = new TransferPair(tree);
    pair.offer(listingOf("photos", tree));
    pair.settle();
    expect([...pair.download.files.keys()].sort()).toEqual(Object.keys(tree).sort());
    for (const [path, contents] of Object.entries(tree))
      expect(pair.download.files.get(path)).toEqual(contents);
  });

  test("an empty folder on its own (an offer of one entry that is a folder) arrives", () => {
    const pair = new TransferPair({ empty: null });
    pair.offer(listingOf("empty", { empty: null }));
    pair.settle();
    expect([...pair.download.files.entries()]).toEqual([["empty", null]]);
    expect(ofType(pair.senderEvents, "done")).toHaveLength(1);
    expect(ofType(pair.receiverEvents, "done")).toMatchObject([{ localName: "empty" }]);
  });

  test("a name that exists is renamed, never overwritten: a second file and a second folder", () => {
    const pair = new TransferPair({ "a.tar.gz": bytesOf("new"), dir: null, "dir/x": bytesOf("x") });
    pair.download.files.set("a.tar.gz", bytesOf("old"));
    pair.download.files.set("dir", null);
    pair.offer(listingOf("a.tar.gz", { "a.tar.gz": bytesOf("new") }));
    pair.offer(listingOf("dir", { dir: null, "dir/x": bytesOf("x") }));
    pair.settle();
    expect(text(pair.download.files.get("a.tar.gz"))).toBe("old");
    expect(text(pair.download.files.get("a.tar (1).gz"))).toBe("new");
    expect(text(pair.download.files.get("dir (1)/x"))).toBe("x");
  });

  test("several transfers queue: the second's data comes after the first is done", () => {
    const one = big(200_000, 1);
    const two = big(200_000, 2);
    const pair = new TransferPair({ one, two });
    pair.offer(listingOf("one", { one }));
    pair.offer(listingOf("two", { two }));
    pair.settle();
    const dataIds = pair.fromSender.filter((f) => f.type === FrameType.FILE_DATA).map((f) => f.id);
    expect(dataIds.indexOf(2)).toBeGreaterThan(dataIds.lastIndexOf(1));
    expect(pair.download.files.get("two")).toEqual(two);
  });
});

describe("consent", () => {
  test("nothing moves until the receiver accepts; a decline ends it on both sides with the reason", () => {
    const pair = new TransferPair({ f: bytesOf("data") }, { autoAccept: false });
    pair.offer(listingOf("f", { f: bytesOf("data") }));
    pair.settle();
    expect(ofType(pair.receiverEvents, "offer")).toMatchObject([{ transfer: { name: "f", totalBytes: 4 } }]);
    expect(pair.fromSender.map((f) => f.type)).toEqual([FrameType.FILE_OFFER]);
    expect(pair.receiver.decline(undefined, "no thanks")).toBe(true);
    pair.settle();
    expect(ofType(pair.senderEvents, "cancelled")).toMatchObject([
      { by: "peer", reason: "no thanks", declined: true },
    ]);
    expect(pair.download.files.size).toBe(0);
  });

  test("done says how long the data flowed: from the first progress report, not from the offer (a human took a minute to accept)", () => {
    const contents = big(300_000);
    const pair = new TransferPair({ f: contents }, { autoAccept: false });
    pair.offer(listingOf("f", { f: contents }));
    pair.settle();
    pair.now += 60_000;
    expect(pair.receiver.accept()).toBe(true);
    const acceptedAt = pair.now;
    pair.settle();
    for (const side of [pair.senderEvents, pair.receiverEvents]) {
      const [done] = ofType(side, "done") as unknown as { flowMs: number }[];
      expect(done?.flowMs).toBeGreaterThan(0);
      expect(done?.flowMs).toBeLessThan(pair.now - acceptedAt);
    }
  });

  test("done of a transfer with nothing to write (an empty folder) has no flow time", () => {
    const pair = new TransferPair({ empty: null });
    pair.offer(listingOf("empty", { empty: null }));
    pair.settle();
    for (const side of [pair.senderEvents, pair.receiverEvents]) {
      expect(ofType(side, "done")).toMatchObject([{ flowMs: 0 }]);
    }
  });

  test("not enough free space: declined before anything is written", () => {
    const pair = new TransferPair({ f: big(10_000) });
    pair.download.freeBytes = 5_000;
    pair.offer(listingOf("f", { f: big(10_000) }));
    pair.settle();
    expect(ofType(pair.senderEvents, "cancelled")).toMatchObject([{ declined: true }]);
    expect(
      String((ofType(pair.senderEvents, "cancelled")[0] as unknown as { reason: string }).reason),
    ).toContain("free space");
  });
});

describe("cancel and failure", () => {
  test("the sender cancels midway: the receiver removes the part, keeps nothing under the final name", () => {
    const pair = new TransferPair({ f: big(2_000_000) });
    pair.budget = 100_000;
    pair.offer(listingOf("f", { f: big(2_000_000) }));
    pair.run(3);
    expect(pair.sender.cancel({}, "changed my mind")).toEqual({ id: 1, direction: "out" });
    pair.settle();
    expect(pair.download.files.size).toBe(0);
    expect(pair.download.parts.size).toBe(0);
    expect(ofType(pair.receiverEvents, "cancelled")).toMatchObject([
      { by: "peer", reason: "changed my mind" },
    ]);
  });

  test("the receiver cancels midway: the sender stops, hears why", () => {
    const pair = new TransferPair({ f: big(2_000_000) });
    pair.budget = 100_000;
    pair.offer(listingOf("f", { f: big(2_000_000) }));
    pair.run(3);
    expect(pair.receiver.cancel({ direction: "in" }, "enough")).toEqual({ id: 1, direction: "in" });
    pair.settle();
    expect(ofType(pair.senderEvents, "cancelled")).toMatchObject([{ by: "peer", reason: "enough" }]);
    expect(pair.download.parts.size).toBe(0);
  });

  test("the receiver's disk fills up: FILE_CANCEL 'receiver's disk is full'; verified files stay", () => {
    const tree: Tree = { d: null, "d/first": big(1000), "d/second": big(500_000) };
    const pair = new TransferPair(tree);
    pair.download.spaceLeft = 100_000;
    pair.offer(listingOf("d", tree));
    pair.settle();
    expect(ofType(pair.senderEvents, "cancelled")).toMatchObject([
      { by: "peer", reason: "receiver's disk is full" },
    ]);
    expect(pair.download.files.get("d/first")).toEqual(big(1000));
    expect(pair.download.files.has("d/second")).toBe(false);
    expect(pair.download.parts.size).toBe(0);
  });

  test("a folder the disk cannot make, as the last entry: FILE_CANCEL with the reason, never FILE_DONE", () => {
    const receiver = new Transfers({ autoAccept: true });
    const disk = new TransferPair({}).download;
    const run = (fail: (a: DiskAction) => boolean) => {
      for (const action of receiver.takeActions()) {
        const results: DiskResult[] = fail(action)
          ? [
              {
                kind: "failed",
                key: action.key,
                seq: action.seq,
                action: action.kind,
                reason: "no room",
                full: true,
              },
            ]
          : disk.run(action);
        for (const r of results) receiver.diskResult(r, 0);
      }
    };
    receiver.onFrame(FrameType.FILE_OFFER, 1, encodeOffer({ totalBytes: 0, entries: 2, name: "d" }), 0);
    run(() => false);
    const folder = (path: string) => encodeEntry({ kind: "folder", mode: 0o755, size: 0, offset: 0, path });
    receiver.onFrame(FrameType.FILE_ENTRY, 1, folder("d"), 0);
    receiver.onFrame(FrameType.FILE_ENTRY, 1, folder("d/e"), 0);
    run((a) => a.kind === "mkdir" && a.path.join("/") === "d/e");
    const types = receiver.takeFrames().map((f) => f.type);
    expect(types).not.toContain(FrameType.FILE_DONE);
    expect(types).toContain(FrameType.FILE_CANCEL);
    expect(ofType(receiver.takeEvents(), "cancelled")).toMatchObject([{ reason: "receiver's disk is full" }]);
  });

  test("a file that shrinks while it is sent cancels the transfer with the reason", () => {
    const pair = new TransferPair({ f: big(100_000) });
    pair.source.shrunk.add("f");
    pair.offer(listingOf("f", { f: big(100_000) }));
    pair.settle();
    expect(
      String((ofType(pair.senderEvents, "cancelled")[0] as unknown as { reason: string }).reason),
    ).toContain("changed");
  });
});

describe("resume", () => {
  test("after a drop mid-file: the receiver answers the re-sent offer with what it holds; no byte twice", () => {
    const contents = big(3_000_000);
    const pair = new TransferPair({ f: contents });
    pair.budget = 200_000;
    pair.offer(listingOf("f", { f: contents }));
    pair.run(6);
    const heldBefore = pair.download.parts.get("f.121chat-part")?.length ?? 0;
    expect(heldBefore).toBeGreaterThan(0);
    pair.cut();
    pair.resume();
    expect(pair.download.files.get("f")).toEqual(contents);
    // The answer to the re-sent offer said what was held, and the data went on from there.
    const answers = pair.fromReceiver
      .filter((f) => f.type === FrameType.FILE_ANSWER)
      .map((f) => parseAnswer(f.payload));
    expect(answers).toHaveLength(2);
    expect(answers[1]?.resumeFrom).toBeGreaterThanOrEqual(heldBefore);
    const sent = pair.fromSender
      .filter((f) => f.type === FrameType.FILE_DATA)
      .reduce((n, f) => n + f.payload.length, 0);
    const lost = sent - contents.length;
    expect(lost).toBeGreaterThanOrEqual(0); // only what was in flight when the link broke is sent twice
    expect(ofType(pair.receiverEvents, "offer")).toHaveLength(1); // the user is not asked again
  });

  test("after a drop in a folder: entries done are not sent again, the rest arrives whole", () => {
    const tree: Tree = {
      d: null,
      "d/a": big(300_000, 1),
      "d/e": null,
      "d/b": big(300_000, 2),
      "d/c": big(10, 3),
    };
    const pair = new TransferPair(tree);
    pair.budget = 150_000;
    pair.offer(listingOf("d", tree));
    pair.run(8);
    pair.cut();
    pair.resume();
    for (const [path, contents] of Object.entries(tree))
      expect(pair.download.files.get(path)).toEqual(contents);
    expect(ofType(pair.receiverEvents, "cancelled")).toEqual([]);
  });

  test("across runs: a one-file offer whose part is held continues from it when the prefix matches", () => {
    const contents = big(500_000);
    const pair = new TransferPair({ f: contents });
    pair.download.parts.set("f.121chat-part", contents.slice(0, 200_000));
    pair.offer(listingOf("f", { f: contents }));
    pair.settle();
    expect(pair.download.files.get("f")).toEqual(contents);
    const sent = pair.fromSender
      .filter((f) => f.type === FrameType.FILE_DATA)
      .reduce((n, f) => n + f.payload.length, 0);
    expect(sent).toBe(300_000);
    expect(ofType(pair.receiverEvents, "done")).toMatchObject([{ resumedFrom: 200_000 }]);
  });

  test("across runs: a part with other bytes is started over (the sender's prefix hash differs)", () => {
    // A held part larger than the window's 1 MiB floor: the receiver must report from the restart on.
    const contents = big(3_000_000);
    const pair = new TransferPair({ f: contents });
    pair.download.parts.set("f.121chat-part", big(1_500_000, 99));
    pair.offer(listingOf("f", { f: contents }));
    pair.settle();
    expect(pair.download.files.get("f")).toEqual(contents);
    const entries = pair.fromSender.filter((f) => f.type === FrameType.FILE_ENTRY);
    expect(entries).toHaveLength(1);
    // Nothing was resumed after all: neither side says it was (the rate and "resumed from" would lie).
    expect(ofType(pair.receiverEvents, "done")).toMatchObject([{ resumedFrom: 0 }]);
    expect(ofType(pair.senderEvents, "done")).toMatchObject([{ resumedFrom: 0 }]);
  });

  test("across runs: the held part is the whole file, not yet verified: only the FILE_SUM is sent", () => {
    const contents = big(1000);
    const pair = new TransferPair({ f: contents });
    pair.download.parts.set("f.121chat-part", contents.slice());
    pair.offer(listingOf("f", { f: contents }));
    pair.settle();
    expect(pair.download.files.get("f")).toEqual(contents);
    expect(pair.fromSender.filter((f) => f.type === FrameType.FILE_DATA)).toEqual([]);
  });
});

describe("a hostile sender: the transfer ends with a reason, nothing stays under a final name, the session goes on", () => {
  /** A receiver that accepted offer 1 of `name` (one file of `size` bytes, or a folder of `entries`). */
  function accepted(name: string, totalBytes: number, entries = 1) {
    const receiver = new Transfers({ autoAccept: true });
    const disk = new TransferPair({}).download;
    const feed = (type: FrameType, payload: Uint8Array) => {
      receiver.onFrame(type, 1, payload, 0);
      for (const action of receiver.takeActions())
        for (const r of disk.run(action)) receiver.diskResult(r, 0);
    };
    feed(FrameType.FILE_OFFER, encodeOffer({ totalBytes, entries, name }));
    const cancelReason = () => {
      const cancel = receiver.takeFrames().find((f) => f.type === FrameType.FILE_CANCEL);
      return cancel ? new TextDecoder().decode(cancel.payload.subarray(1)) : null;
    };
    return { receiver, disk, feed, cancelReason };
  }
  const entry = (path: string, size: number, kind: "file" | "folder" = "file", offset = 0) =>
    encodeEntry({ kind, mode: 0o644, size, offset, path });

  test("data beyond the entry's size", () => {
    const r = accepted("f", 10);
    r.feed(FrameType.FILE_ENTRY, entry("f", 4));
    r.feed(FrameType.FILE_DATA, bytesOf("12345"));
    expect(r.cancelReason()).toContain("more data than the 4 bytes");
    expect(r.disk.parts.size + r.disk.files.size).toBe(0);
  });

  test("data without an entry", () => {
    const r = accepted("f", 10);
    r.feed(FrameType.FILE_DATA, bytesOf("x"));
    expect(r.cancelReason()).toBe("data without an entry");
  });

  test("a wrong FILE_SUM: the part is removed, nothing gets the final name", () => {
    const r = accepted("f", 3);
    r.feed(FrameType.FILE_ENTRY, entry("f", 3));
    r.feed(FrameType.FILE_DATA, bytesOf("abc"));
    r.feed(FrameType.FILE_SUM, sha256(bytesOf("abd")));
    expect(r.cancelReason()).toContain("does not match its SHA-256");
    expect(r.disk.files.size).toBe(0);
    expect(r.disk.parts.size).toBe(0);
  });

  test("entries whose sizes add up to more than the offer's total", () => {
    const r = accepted("d", 10, 3);
    r.feed(FrameType.FILE_ENTRY, entry("d", 0, "folder"));
    r.feed(FrameType.FILE_ENTRY, entry("d/a", 8));
    r.feed(FrameType.FILE_DATA, bytesOf("12345678"));
    r.feed(FrameType.FILE_SUM, sha256(bytesOf("12345678")));
    r.feed(FrameType.FILE_ENTRY, entry("d/b", 8));
    expect(r.cancelReason()).toContain("more than the 10 bytes offered");
    expect(text(r.disk.files.get("d/a"))).toBe("12345678"); // verified before: it stays
  });

  test.each([
    ["../x", "refused path"],
    ["/etc/passwd", "an absolute path"],
    ["d/../../x", "refused path"],
    ["d/C:\\x", "refused path"],
    ["d/con.txt", "a reserved device name"],
    ["d/x\u001b[2J", "a control character"],
    ["d/x\u0000", "a control character"],
    [`d/${"a".repeat(300)}`, "longer than 200 bytes"],
    ["e/x", "outside the transfer"],
    ["d/sub/x", "came before its folder"],
  ])("a refused entry path %j", (path, reason) => {
    const r = accepted("d", 10, 3);
    r.feed(FrameType.FILE_ENTRY, entry("d", 0, "folder"));
    r.feed(FrameType.FILE_ENTRY, entry(path, 1));
    expect(r.cancelReason()).toContain(reason);
    expect([...r.disk.files.keys()]).toEqual(["d"]);
  });

  test("an entry offset that is neither 0 nor a held part", () => {
    const r = accepted("f", 10);
    r.feed(FrameType.FILE_ENTRY, entry("f", 10, "file", 5));
    expect(r.cancelReason()).toContain("starts at byte 5");
  });

  test("frames about a transfer never offered are a protocol error (the session answers ERROR)", () => {
    const receiver = new Transfers({ autoAccept: true });
    expect(() => receiver.onFrame(FrameType.FILE_DATA, 9, bytesOf("x"), 0)).toThrow(ProtocolError);
    expect(() => receiver.onFrame(FrameType.FILE_PROGRESS, 9, encodeU64(1), 0)).toThrow(ProtocolError);
  });

  test("frames for a transfer already cancelled are ignored (they may have been in flight)", () => {
    const r = accepted("f", 10);
    expect(r.receiver.takeFrames().map((f) => f.type)).toEqual([FrameType.FILE_ANSWER]);
    r.feed(FrameType.FILE_CANCEL, encodeCancel({ side: 0, reason: "bye" }));
    r.feed(FrameType.FILE_ENTRY, entry("f", 10));
    r.feed(FrameType.FILE_DATA, bytesOf("x"));
    expect(r.receiver.takeFrames()).toEqual([]);
    expect(r.disk.files.size + r.disk.parts.size).toBe(0);
  });

  test("an offered name that breaks the rules is refused at once", () => {
    const r = accepted("..", 1);
    expect(r.cancelReason()).toContain("the offered name is refused");
  });
});

describe("the receiver's progress", () => {
  test("comes from what the disk wrote, for the whole and for the current file alike", () => {
    const receiver = new Transfers({ autoAccept: true });
    const disk = new TransferPair({}).download;
    const size = 1024 * 1024;
    const name = "big.bin";
    receiver.onFrame(FrameType.FILE_OFFER, 1, encodeOffer({ totalBytes: size, entries: 1, name }), 0);
    for (const action of receiver.takeActions()) for (const r of disk.run(action)) receiver.diskResult(r, 0);
    receiver.onFrame(
      FrameType.FILE_ENTRY,
      1,
      encodeEntry({ kind: "file", mode: 0o644, size, offset: 0, path: name }),
      1,
    );
    // Four pieces received, and the disk slow: only the first written so far.
    for (let i = 0; i < 4; i++) receiver.onFrame(FrameType.FILE_DATA, 1, big(64 * 1024, i + 1), 2);
    const actions = receiver.takeActions();
    for (const action of actions.filter((a) => a.kind !== "write"))
      for (const r of disk.run(action)) receiver.diskResult(r, 3);
    const firstWrite = actions.find((a) => a.kind === "write");
    for (const r of disk.run(firstWrite as DiskAction)) receiver.diskResult(r, 10);
    const progress = ofType(receiver.takeEvents(), "progress") as unknown as {
      bytes: number;
      currentBytes: number;
    }[];
    expect(progress.at(-1)).toMatchObject({ bytes: 64 * 1024, currentBytes: 64 * 1024 });
  });
});
