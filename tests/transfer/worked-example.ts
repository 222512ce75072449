import { FrameType, frameTypeName } from "../../src/protocol/constants.ts";
import {
  parseAnswer,
  parseCancel,
  parseEntry,
  parseOffer,
  parseProgress,
} from "../../src/transfer/frames.ts";
import type { OutgoingFrame } from "../../src/transfer/transfers.ts";
import { bytesOf, listingOf, TransferPair, type Tree } from "../helpers/transfer-pair.ts";

/**
 * The worked example of docs/protocol.md's "Files and folders": a small folder sent to a receiver that
 * accepts it, every file frame each side writes, as the document shows them. The test checks the document
 * against this; `bun run tests/transfer/worked-example.ts` prints it.
 */

export const EXAMPLE_TREE: Tree = {
  notes: null,
  "notes/a.txt": bytesOf("hello\n"),
  "notes/empty": null,
  "notes/b.bin": Uint8Array.from({ length: 70_000 }, (_, i) => i & 0xff),
};

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");

/** One frame as the document writes it. */
export function showFileFrame(frame: OutgoingFrame): string {
  const p = frame.payload;
  const head = `${frameTypeName(frame.type)} ${frame.id}`;
  switch (frame.type) {
    case FrameType.FILE_OFFER: {
      const o = parseOffer(p);
      return `${head}  total_bytes ${o.totalBytes} · entries ${o.entries} · name "${o.name}"`;
    }
    case FrameType.FILE_ANSWER: {
      const a = parseAnswer(p);
      const prefix = a.prefixSha256.every((b) => b === 0) ? "zeros" : hex(a.prefixSha256).slice(0, 16);
      return `${head}  accept ${a.accept ? 1 : 0} · resume_from ${a.resumeFrom} · prefix_sha256 ${prefix}`;
    }
    case FrameType.FILE_ENTRY: {
      const e = parseEntry(p);
      const mode = e.mode.toString(8).padStart(4, "0");
      return `${head}  ${e.kind} · mode ${mode} · size ${e.size} · offset ${e.offset} · path "${e.path}"`;
    }
    case FrameType.FILE_DATA:
      return `${head}  ${p.length} bytes`;
    case FrameType.FILE_SUM:
      return `${head}  ${hex(p).slice(0, 16)}…`;
    case FrameType.FILE_PROGRESS:
      return `${head}  ${parseProgress(p)}`;
    case FrameType.FILE_CANCEL: {
      const c = parseCancel(p);
      return `${head}  side ${c.side} · "${c.reason}"`;
    }
    default:
      return head;
  }
}

export function runExample(): { sender: string[]; receiver: string[] } {
  const pair = new TransferPair(EXAMPLE_TREE);
  pair.offer(listingOf("notes", EXAMPLE_TREE));
  pair.settle();
  return { sender: pair.fromSender.map(showFileFrame), receiver: pair.fromReceiver.map(showFileFrame) };
}

if (import.meta.main) {
  const { sender, receiver } = runExample();
  console.log(`sender → receiver\n${sender.map((l) => `  ${l}`).join("\n")}`);
  console.log(`receiver → sender\n${receiver.map((l) => `  ${l}`).join("\n")}`);
}
