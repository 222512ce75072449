import { expect, test } from "bun:test";
import { Writable } from "node:stream";
import { OutputBatch } from "../../src/ui/output-batch.ts";
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
