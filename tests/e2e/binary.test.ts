import { expect, setDefaultTimeout, test } from "bun:test";
import { PipeProgram } from "../helpers/pipe-program.ts";
import { JsonProgram, runProgram } from "../helpers/program.ts";

// bunfig's [test] timeout is not applied by this Bun (every file gets 5 s unless it says otherwise); these
// tests start processes and have their own, tighter bounds inside, so a hang fails there and cleans up.
setDefaultTimeout(30_000);

/** Every byte value but `\n` (which ends a line in pipe mode), in order: 255 bytes, not valid UTF-8. */
const ALL_BYTES_BUT_NEWLINE = new Uint8Array(
  Array.from({ length: 256 }, (_, i) => i).filter((b) => b !== 0x0a),
);

const withNewline = (bytes: Uint8Array) => new Uint8Array(Buffer.concat([bytes, new Uint8Array([0x0a])]));

test("all 255 byte values (all but \\n) arrive intact in pipe mode: client stdin to server stdout", async () => {
  const server = await PipeProgram.server(["--host", "127.0.0.1"]);
  try {
    const client = await runProgram(["client", `127.0.0.1:${server.port}`], {
      stdin: withNewline(ALL_BYTES_BUT_NEWLINE),
    });
    expect(client.stderr).not.toMatch(/error/i);
    expect(client.code).toBe(0);
    const out = await server.waitForStdout(256);
    expect(Buffer.from(out).equals(Buffer.from(withNewline(ALL_BYTES_BUT_NEWLINE)))).toBe(true);
  } finally {
    await server.stop();
  }
});

test("all 255 byte values arrive intact in JSON mode, as base64, from a pipe-mode server's stdin", async () => {
  const server = await PipeProgram.server(["--host", "127.0.0.1"]);
  const client = new JsonProgram(["client", `127.0.0.1:${server.port}`]);
  try {
    await client.waitFor((e) => e.event === "connected");
    server.write(withNewline(ALL_BYTES_BUT_NEWLINE));
    const message = await client.waitFor((e) => e.event === "message");
    expect(message).toMatchObject({ id: 1, bytes: 255 });
    expect(message.text).toBeUndefined();
    const bytes = Buffer.from(message.base64 as string, "base64");
    expect(bytes.equals(Buffer.from(ALL_BYTES_BUT_NEWLINE))).toBe(true);
    // And the other way: the JSON client's stdin line comes out of the pipe server's stdout, byte for byte.
    client.write(withNewline(ALL_BYTES_BUT_NEWLINE));
    await client.waitFor((e) => e.event === "ack" && e.id === 1);
    expect(
      Buffer.from(await server.waitForStdout(256)).equals(Buffer.from(withNewline(ALL_BYTES_BUT_NEWLINE))),
    ).toBe(true);
  } finally {
    await client.stop();
    await server.stop();
  }
});

test("a 4 MiB line arrives whole, byte for byte", async () => {
  const size = 4 * 1024 * 1024;
  const line = new Uint8Array(size);
  // Random bytes (crypto fills at most 64 KiB per call), with every \n replaced so the line stays one message.
  for (let at = 0; at < size; at += 65_536) crypto.getRandomValues(line.subarray(at, at + 65_536));
  for (let i = 0; i < size; i++) if (line[i] === 0x0a) line[i] = 0x0b;

  const server = await PipeProgram.server(["--host", "127.0.0.1"]);
  const client = new JsonProgram(["client", `127.0.0.1:${server.port}`]);
  try {
    await client.waitFor((e) => e.event === "connected");
    client.write(withNewline(line));
    expect(await client.waitFor((e) => e.event === "sent", 20_000)).toMatchObject({ id: 1, bytes: size });
    expect(await client.waitFor((e) => e.event === "ack", 20_000)).toMatchObject({ id: 1 });
    const out = await server.waitForStdout(size + 1, 20_000);
    expect(out.length).toBe(size + 1);
    const firstDifference = out.findIndex((byte, i) => byte !== (i < size ? line[i] : 0x0a));
    expect(firstDifference).toBe(-1);
  } finally {
    await client.stop();
    await server.stop();
  }
});
