import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "../helpers/program.ts";
import { runExample } from "./worked-example.ts";

/** docs/protocol.md's files example is what the transfer logic writes, frame for frame, in order. */
test("the files worked example in docs/protocol.md is what each side writes", () => {
  const doc = readFileSync(join(ROOT, "docs/protocol.md"), "utf8");
  const section = /### A worked example\n(.*?)\n## /s.exec(doc)?.[1] ?? "";
  const block = /```\n(.*?)```/s.exec(section)?.[1] ?? "";
  const [senderPart, receiverPart] = block.split("receiver → sender\n");
  const lines = (text: string | undefined) =>
    (text ?? "")
      .replace("sender → receiver\n", "")
      .trim()
      .split("\n")
      .map((line) => line.trim());
  const { sender, receiver } = runExample();
  expect(lines(senderPart)).toEqual(sender);
  expect(lines(receiverPart)).toEqual(receiver);
  expect(sender.length).toBeGreaterThan(5);
});
