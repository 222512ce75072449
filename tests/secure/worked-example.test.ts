import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { hexLines, toHex, workedExample } from "../../scripts/worked-example.ts";
import { FrameType, isRecordFrameType } from "../../src/protocol/constants.ts";
import { RecordOpener } from "../../src/secure/records.ts";
import { decodeChunks } from "../helpers/frames.ts";
import { ROOT } from "../helpers/program.ts";

/**
 * docs/protocol.md's version-2 worked example is what the implementation does: the handshake and the first
 * records from fixed inputs, byte for byte, and every intermediate value. Other programs are written from
 * that document, so it must not drift from the code.
 */

const doc = readFileSync(join(ROOT, "docs/protocol.md"), "utf8");
const section = /## Version 2: a worked example\n(.*?)\n## /s.exec(doc)?.[1] ?? "";
const blocks = [...section.matchAll(/```\n(.*?)```/gs)].map((match) => match[1] as string);
const example = workedExample();

test("the document has the example: a block of values and a block of wire bytes", () => {
  expect(section.length).toBeGreaterThan(0);
  expect(blocks).toHaveLength(2);
});

test("every intermediate value is the one the code computes", () => {
  const documented = (blocks[0] ?? "")
    .trim()
    .split("\n")
    .map((line) => line.split(" = "));
  expect(documented.map(([name]) => name)).toEqual(example.values.map(([name]) => name));
  for (const [name, value] of example.values) {
    expect(
      documented
        .find(([n]) => n === name)
        ?.slice(1)
        .join(" = "),
      name,
    ).toBe(value);
  }
});

test("every message on the wire, byte for byte, in order", () => {
  const documented = (blocks[1] ?? "").trim().split("\n\n");
  expect(documented).toHaveLength(example.messages.length);
  example.messages.forEach((message, i) => {
    const [title, ...hex] = (documented[i] as string).split("\n");
    expect(title?.startsWith(message.title), `message ${i}: ${title}`).toBe(true);
    expect(hex, message.title).toEqual(hexLines(message.bytes));
  });
});

test("the records open, with the documented keys, to the frames the document describes", () => {
  const value = (name: string) => hex(example.values.find(([n]) => n === name)?.[1] ?? "");
  const serverRecords = new RecordOpener({ key: value("s2c key"), iv: value("s2c iv") });
  const clientRecords = new RecordOpener({ key: value("c2s key"), iv: value("c2s iv") });
  const [hello, , , session, msg, ack] = example.messages.map((m) => m.bytes) as Uint8Array[];
  expect(toHex((hello as Uint8Array).subarray(23, 39))).toBe("7e4b4791d6a8ef019b936c79fb7f2c57");
  const frames = (opener: RecordOpener, record: Uint8Array) => {
    const plaintexts: Uint8Array[] = [];
    opener.open(record, (plaintext) => plaintexts.push(plaintext));
    return decodeOutput(plaintexts);
  };
  expect(frames(serverRecords, session as Uint8Array)).toEqual([
    { type: FrameType.SESSION, id: 0, payload: [0, 0, 0xea, 0x60] },
  ]);
  expect(frames(clientRecords, msg as Uint8Array)).toEqual([
    { type: FrameType.MSG, id: 1, payload: [...new TextEncoder().encode("hi ☺")] },
  ]);
  expect(frames(serverRecords, ack as Uint8Array)).toEqual([{ type: FrameType.ACK, id: 1, payload: [] }]);
});

const hex = (text: string) => new Uint8Array(Buffer.from(text, "hex"));
const decodeOutput = (chunks: Uint8Array[]) =>
  decodeChunks(chunks, { maxMessage: 0xffff_ffff, isKnownType: isRecordFrameType });
