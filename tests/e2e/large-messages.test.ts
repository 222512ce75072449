import { expect, setDefaultTimeout, test } from "bun:test";
import { PipeProgram } from "../helpers/pipe-program.ts";
import { JsonProgram, runProgram } from "../helpers/program.ts";

// bunfig's [test] timeout is not applied by this Bun (every file gets 5 s unless it says otherwise); these
// tests start processes and have their own, tighter bounds inside, so a hang fails there and cleans up.
setDefaultTimeout(30_000);

/**
 * Messages of several MiB are read, sent and received in pieces that are never joined (docs/performance.md):
 * the sender's line is the chunks stdin was read in, the receiver's payload the chunks the socket gave. What
 * comes out must still be the line, byte for byte, in one piece and in order.
 */

const SIX_MIB = 6 * 1024 * 1024;

/** `length` bytes of every value but `\n`, in a pattern that shows any piece out of order or shifted. */
function lineBytes(length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) {
    const byte = (i * 131 + (i >>> 16)) & 0xff;
    bytes[i] = byte === 0x0a ? 0x0b : byte;
  }
  return bytes;
}

test("a 6 MiB line from a pipe-mode client reaches a pipe-mode server's stdout byte for byte", async () => {
  const server = await PipeProgram.server(["--host", "127.0.0.1"]);
  try {
    const input = Buffer.concat([lineBytes(SIX_MIB), Buffer.from("\nafter\n")]);
    const client = await runProgram(["client", `127.0.0.1:${server.port}`], { stdin: input });
    expect(client.code).toBe(0); // both messages acknowledged
    const output = await server.waitForStdout(input.length);
    expect(output.length).toBe(input.length);
    expect(Buffer.compare(output, input)).toBe(0);
    expect(server.stderr).not.toContain("error");
  } finally {
    await server.stop();
  }
});

test("a 6 MiB line reaches a JSON-mode server as one message event with the whole text", async () => {
  const server = await JsonProgram.server(["--host", "127.0.0.1"]);
  try {
    // Printable ASCII: the event carries it as text, as it is.
    const text = Array.from({ length: SIX_MIB }, (_, i) => String.fromCharCode(0x21 + ((i * 7) % 90))).join(
      "",
    );
    const client = await runProgram(["client", `127.0.0.1:${server.port}`], { stdin: `${text}\nafter\n` });
    expect(client.code).toBe(0);
    const [large, after] = await server.waitForCount((e) => e.event === "message", 2);
    expect(large?.bytes).toBe(SIX_MIB);
    expect(large?.text === text).toBe(true); // (not toBe: a failure would print 6 MiB twice)
    expect(after?.text).toBe("after");
  } finally {
    await server.stop();
  }
});
