import { expect, test } from "bun:test";
import { jsonFormat } from "../../src/ui/json-format.ts";
import { ScriptView } from "../../src/ui/script-view.ts";

test("input that cannot be read is reported as an error event, not a silent stop", async () => {
  const written: string[] = [];
  const original = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string | Uint8Array) => {
    written.push(typeof chunk === "string" ? chunk : new TextDecoder().decode(chunk));
    return true;
  }) as typeof process.stdout.write;
  try {
    const view = new ScriptView({ role: "server", format: jsonFormat });
    const failing: AsyncIterable<Uint8Array> = {
      [Symbol.asyncIterator]: () => ({
        next: () => Promise.reject(new Error("EBADF: bad file descriptor, open")),
      }),
    };
    await view.pumpInput(failing);
  } finally {
    process.stdout.write = original;
  }
  expect(written.join("")).toContain(
    '{"event":"error","message":"cannot read standard input: EBADF: bad file descriptor, open"}',
  );
});
