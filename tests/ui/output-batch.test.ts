import { expect, test } from "bun:test";
import { Writable } from "node:stream";
import fc from "fast-check";
import { ByteParts, ByteRange } from "../../src/protocol/bytes.ts";
import { FixedText, OutputBatch } from "../../src/ui/output-batch.ts";
import { MemoryStream } from "../helpers/memory-streams.ts";

test("small pieces are gathered and written with one write on flush", () => {
  const stream = new MemoryStream();
  const batch = new OutputBatch(stream);
  batch.push("one\n");
  batch.push(new Uint8Array([0x74, 0x77, 0x6f, 0x0a]));
  batch.push("three\n");
  expect(stream.chunks).toHaveLength(0);
  batch.flush();
  expect(stream.chunks).toHaveLength(1);
  expect(stream.text).toBe("one\ntwo\nthree\n");
  batch.flush(); // nothing left: no empty write
  expect(stream.chunks).toHaveLength(1);
});

test("a large piece is written on its own, after what was batched before it", () => {
  const stream = new MemoryStream();
  const batch = new OutputBatch(stream);
  const large = new Uint8Array(64 * 1024).fill(0x61);
  batch.push("before\n");
  batch.push(large);
  batch.push("after\n");
  batch.flush();
  expect(stream.chunks.map((c) => c.length)).toEqual([7, large.length, 6]);
  expect(stream.text).toBe(`before\n${"a".repeat(large.length)}after\n`);
});

test("bytes in parts are written part by part, in order: large parts as they are, short ones batched", () => {
  const stream = new MemoryStream();
  const batch = new OutputBatch(stream);
  const large = new Uint8Array(64 * 1024).fill(0x62);
  batch.push("before\n");
  batch.pushBytes(new ByteParts([new Uint8Array([0x61]), large, new Uint8Array([0x63, 0x0a])]));
  batch.flush();
  expect(stream.chunks.map((c) => c.length)).toEqual([8, large.length, 2]);
  expect(stream.text).toBe(`before\na${"b".repeat(large.length)}c\n`);
});

test("congested while the stream is over its high-water mark; drained() waits for 'drain'", async () => {
  const finishers: (() => void)[] = [];
  const slow = new Writable({
    highWaterMark: 16,
    write(_chunk, _encoding, done) {
      finishers.push(() => done());
    },
  });
  const batch = new OutputBatch(slow);
  expect(batch.congested).toBe(false);
  await batch.drained(); // not backed up: resolves at once

  batch.push("x".repeat(100));
  batch.flush();
  expect(batch.congested).toBe(true);
  let drained = false;
  const waiting = batch.drained().then(() => {
    drained = true;
  });
  await Promise.resolve();
  expect(drained).toBe(false);

  // let the stream finish its writes; it emits 'drain'
  for (let i = 0; i < 100 && finishers.length > 0; i++) finishers.shift()?.();
  await waiting;
  expect(drained).toBe(true);
  expect(batch.congested).toBe(false);
});

test("handedOver(): null once every write was called back, else a promise that settles with the last", async () => {
  // Bun's stdout calls a write back before returning when the pipe took it all: nothing to wait for then.
  const taken: string[] = [];
  const atOnce = {
    write(chunk: Uint8Array, done?: () => void) {
      taken.push(Buffer.from(chunk).toString());
      done?.();
      return true;
    },
    on() {},
  } as unknown as NodeJS.WritableStream;
  const quick = new OutputBatch(atOnce);
  expect(quick.handedOver()).toBeNull();
  quick.push("one\n");
  quick.flush();
  expect(taken).toEqual(["one\n"]);
  expect(quick.handedOver()).toBeNull();

  // A backed-up stream calls back later, in order: the promise waits for every write flushed before it.
  const finishers: (() => void)[] = [];
  const slow = new Writable({
    write(_chunk, _encoding, done) {
      finishers.push(() => done());
    },
  });
  const batch = new OutputBatch(slow);
  batch.push("first\n");
  batch.flush();
  batch.push(new Uint8Array(64 * 1024)); // a large piece: a write of its own
  const handedOver = batch.handedOver();
  expect(handedOver).toBeInstanceOf(Promise);
  let settled = false;
  void handedOver?.then(() => {
    settled = true;
  });
  batch.push("later\n");
  batch.flush(); // written after the promise was taken: not waited for
  const finishNext = async () => {
    expect(finishers).toHaveLength(1); // the stream writes one at a time
    finishers.shift()?.();
    await Bun.sleep(0);
  };
  await finishNext(); // "first"
  expect(settled, "settled before the large piece was written").toBe(false);
  await finishNext(); // the large piece
  expect(settled).toBe(true);
  await finishNext(); // "later"
});

test("pushInteger writes whole numbers in decimal, as String() would", () => {
  const stream = new MemoryStream();
  const batch = new OutputBatch(stream);
  const numbers = [
    0,
    7,
    9,
    10,
    99,
    100,
    64,
    1_000_000,
    2 ** 31 - 1,
    2 ** 31,
    4_294_967_295,
    2 ** 32,
    Number.MAX_SAFE_INTEGER,
  ];
  for (const n of numbers) {
    batch.pushInteger(n);
    batch.push(",");
  }
  batch.flush();
  expect(stream.text).toBe(`${numbers.join(",")},`);
});

test("property: pushInteger agrees with String() for any whole number up to 2^53", () => {
  fc.assert(
    fc.property(fc.array(fc.maxSafeNat(), { maxLength: 20 }), (numbers) => {
      const stream = new MemoryStream();
      const batch = new OutputBatch(stream);
      for (const n of numbers) {
        batch.pushInteger(n);
        batch.push(" ");
      }
      batch.flush();
      expect(stream.text).toBe(numbers.map((n) => `${n} `).join(""));
    }),
    { seed: 121, numRuns: 500 },
  );
});

test("pushFixed writes its text exactly, whatever its length, also across blocks", () => {
  const texts = ["", "a", "ab", "abc", "abcd", "abcde", `{"event":"message","id":`, "é ✓ 😀"].map(
    (text) => [text, new FixedText(text)] as const,
  );
  const stream = new MemoryStream();
  const batch = new OutputBatch(stream);
  let expected = "";
  for (let i = 0; i < 30_000; i++) {
    const [text, fixed] = texts[i % texts.length] as (typeof texts)[number];
    batch.pushFixed(fixed);
    batch.pushInteger(i);
    expected += `${text}${i}`;
  }
  batch.flush();
  expect(stream.chunks.length).toBeGreaterThan(1); // it took more than one block
  expect(stream.text).toBe(expected);
});

test("pushBytes copies a range from where it lies, and nothing around it", () => {
  const stream = new MemoryStream();
  const batch = new OutputBatch(stream);
  const source = new TextEncoder().encode("xxhello worldyy");
  batch.pushBytes(new ByteRange(source, 2, 11));
  batch.pushBytes(new ByteRange(source, 0, 0));
  batch.pushBytes(new ByteRange(new Uint8Array(100_000).fill(0x7a), 10, 70_000)); // large: written on its own
  batch.flush();
  expect(stream.text).toBe(`hello world${"z".repeat(70_000)}`);
});

test("many small pieces across several blocks arrive complete and in order", () => {
  const stream = new MemoryStream();
  const batch = new OutputBatch(stream);
  let expected = "";
  for (let i = 0; i < 40_000; i++) {
    // text, an integer and raw bytes, as the JSON events mix them
    batch.push(`{"n":`);
    batch.pushInteger(i);
    batch.push(new Uint8Array([0x2c, 0x22, 0x78, 0x22, 0x7d, 0x0a])); // ,"x"}\n
    expected += `{"n":${i},"x"}\n`;
  }
  batch.flush();
  expect(stream.chunks.length).toBeGreaterThan(1); // more than one block's worth
  expect(stream.text).toBe(expected);
});

test("a block is not reused while the stream still holds a write of it", async () => {
  // A stream that holds what it is given, without copying, and takes its bytes only when it finishes the
  // write, later: reusing a block before the callback would change bytes it still holds.
  const received: Buffer[] = [];
  const finishers: (() => void)[] = [];
  const lazy = new Writable({
    highWaterMark: 1 << 30,
    write(chunk: Buffer, _encoding, done) {
      finishers.push(() => {
        received.push(Buffer.from(chunk));
        done();
      });
    },
  });
  const batch = new OutputBatch(lazy);
  const finishAll = async () => {
    // One write at a time reaches `write`; the stream queues the rest until the one before is done.
    for (let i = 0; i < 1000 && finishers.length > 0; i++) {
      for (const finish of finishers.splice(0)) finish();
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
  };
  let expected = "";
  for (let round = 0; round < 4; round++) {
    for (let i = 0; i < 30_000; i++) {
      const line = `${round}:${i}\n`;
      batch.push(line);
      expected += line;
    }
    batch.flush();
    // Rounds 0 and 2 leave their writes unfinished while the next round fills blocks.
    if (round % 2 === 1) await finishAll();
  }
  await finishAll();
  expect(Buffer.concat(received).toString()).toBe(expected);
});

test("a stream whose reader went away: told once, later output dropped, and the lost write is never handed over", async () => {
  let writes = 0;
  const stream = new MemoryStream();
  stream.write = (() => {
    writes++;
    throw Object.assign(new Error("EPIPE: broken pipe, write"), { code: "EPIPE" });
  }) as typeof stream.write;
  const batch = new OutputBatch(stream);
  const told: string[] = [];
  batch.whenClosed((error) => told.push((error as { code?: string }).code ?? error.message));
  batch.push("lost\n");
  batch.flush(); // throws inside: the batch takes it
  // Not told inside the failed write: whoever was handing a delivery over asks handedOver() first (and
  // holds its ACKs back) before the reaction (leaving, which writes out what is queued) can run.
  expect(told).toEqual([]);
  const handedOver = batch.handedOver();
  expect(handedOver).not.toBeNull();
  batch.push("dropped\n");
  batch.flush();
  await Promise.resolve();
  expect(told).toEqual(["EPIPE"]);
  expect(writes).toBe(1);
  const settled = await Promise.race([
    handedOver?.then(() => "settled"),
    Bun.sleep(50).then(() => "waiting"),
  ]);
  expect(settled).toBe("waiting");
});

test("a write that fails later (the stream's error) counts as not handed over, and says why once", async () => {
  const callbacks: ((error?: Error | null) => void)[] = [];
  const failing = new Writable({
    write(_chunk, _encoding, done) {
      callbacks.push(done);
    },
  });
  failing.on("error", () => {}); // the batch listens too; this keeps the test's stream quiet
  const batch = new OutputBatch(failing);
  const told: string[] = [];
  batch.whenClosed((error) => told.push(error.message));
  batch.push("in flight\n");
  batch.flush();
  const handedOver = batch.handedOver();
  (callbacks[0] as (error?: Error | null) => void)(new Error("EPIPE"));
  await Bun.sleep(10);
  expect(told).toEqual(["EPIPE"]);
  const settled = await Promise.race([
    handedOver?.then(() => "settled"),
    Bun.sleep(50).then(() => "waiting"),
  ]);
  expect(settled).toBe("waiting");
});
