import { expect, setDefaultTimeout, test } from "bun:test";
import { exitOf } from "../helpers/bounded.ts";
import { PipeProgram } from "../helpers/pipe-program.ts";
import { JsonProgram, programCommand, runProgram, testEnv } from "../helpers/program.ts";
import { waitUntil } from "../helpers/wait.ts";

// bunfig's [test] timeout is not applied by this Bun (every file gets 5 s unless it says otherwise); these
// tests start processes and have their own, tighter bounds inside, so a hang fails there and cleans up.
setDefaultTimeout(30_000);

test("printf 'a\\nb\\n' | 121chat client delivers a and b to a pipe-mode server's stdout and exits 0", async () => {
  const server = await PipeProgram.server(["--host", "127.0.0.1"]);
  try {
    const client = await runProgram(["client", `127.0.0.1:${server.port}`], { stdin: "a\nb\n" });
    expect(client.code).toBe(0);
    expect(client.stdout).toBe(""); // the client received nothing: its stdout stays empty
    expect(client.stderr).toContain(`connected to 127.0.0.1:${server.port}`);

    // Exit 0 means both were acknowledged, and an ACK leaves only after the message was written out.
    expect(new TextDecoder().decode(await server.waitForStdout(4))).toBe("a\nb\n");
    await server.waitForStderr(/disconnected/);
    expect(server.stdoutText).toBe("a\nb\n"); // status went to stderr, none of it to stdout
    expect(server.stderr).toMatch(/listening on .*connected to 127\.0\.0\.1:\d+/s);
  } finally {
    await server.stop();
  }
});

test("the last line without a \\n is sent too, and empty lines are messages", async () => {
  const server = await JsonProgram.server(["--host", "127.0.0.1"]);
  try {
    const client = await runProgram(["client", `127.0.0.1:${server.port}`], { stdin: "first\n\nlast" });
    expect(client.code).toBe(0);
    const messages = (await server.waitForCount((e) => e.event === "message", 3)).map((e) => [e.id, e.text]);
    expect(messages).toEqual([
      [1, "first"],
      [2, ""],
      [3, "last"],
    ]);
  } finally {
    await server.stop();
  }
});

test("a pipe-mode server holds its input lines until a client connects, then sends them", async () => {
  const server = await PipeProgram.server(["--host", "127.0.0.1"]);
  let client: JsonProgram | undefined;
  try {
    server.write("waiting one\nwaiting two\n");
    server.endInput(); // a server at the end of its input keeps serving
    await server.waitForStderr(/listening/);

    client = new JsonProgram(["client", `127.0.0.1:${server.port}`]);
    const messages = await client.waitForCount((e) => e.event === "message", 2);
    expect(messages.map((e) => [e.id, e.text])).toEqual([
      [1, "waiting one"],
      [2, "waiting two"],
    ]);
    client.write("thanks\n");
    await client.waitFor((e) => e.event === "ack" && e.id === 1);
    expect(await server.waitForStdout(7)).toEqual(new TextEncoder().encode("thanks\n"));
    client.endInput();
    expect(await exitOf(client)).toBe(0);
    await server.waitForStderr(/disconnected/);
    expect(server.stdoutText).toBe("thanks\n");
  } finally {
    await client?.stop();
    await server.stop();
  }
});

test("a pipe-mode client writes what it receives raw to stdout, and status to stderr", async () => {
  const server = await JsonProgram.server(["--host", "127.0.0.1"]);
  const client = new PipeProgram(["client", `127.0.0.1:${server.port}`]);
  try {
    await server.waitFor((e) => e.event === "connected");
    const expected = "to the client\n\u001b[2J and an escape, raw in pipe mode\n";
    server.write(expected);
    await server.waitForCount((e) => e.event === "ack", 2);
    await client.waitForStdout(Buffer.byteLength(expected));
    expect(client.stdoutText).toBe(expected);
    client.endInput();
    expect(await client.finished()).toBe(0);
    expect(client.stderr).toContain("connected to");
  } finally {
    await client.stop();
    await server.stop();
  }
});

test("a client with empty input (< /dev/null) connects, says goodbye and exits 0 instead of hanging", async () => {
  const server = await JsonProgram.server(["--host", "127.0.0.1"]);
  try {
    // runProgram without stdin gives the program /dev/null; the bound turns a hang into a failure.
    const client = await runProgram(["client", `127.0.0.1:${server.port}`], { timeoutMs: 10_000 });
    expect(client.code).toBe(0);
    await server.waitFor((e) => e.event === "connected");
    expect(await server.waitFor((e) => e.event === "disconnected")).toMatchObject({ kind: "peer-bye" });
  } finally {
    await server.stop();
  }
});

/** The program with its stdout a pipe the test holds (and may close), and its stderr gathered as it comes. */
function holdingStdout(args: string[], stdin: "ignore" | "pipe") {
  const proc = Bun.spawn([...programCommand(), ...args], {
    stdin,
    stdout: "pipe",
    stderr: "pipe",
    env: testEnv(),
  });
  const output = { stderr: "" };
  void (async () => {
    for await (const chunk of proc.stderr) output.stderr += new TextDecoder().decode(chunk);
  })();
  return { proc, output };
}

test("a pipe-mode server whose reader has gone (`| head -1`) says so in one line and exits 1; the message it could not write out is never acknowledged", async () => {
  const { proc: server, output } = holdingStdout(["server", "--host", "127.0.0.1", "--port", "0"], "ignore");
  let client: JsonProgram | undefined;
  try {
    await waitUntil(() => /listening on 127\.0\.0\.1:\d+/.test(output.stderr), "the server listens");
    const port = Number(/listening on 127\.0\.0\.1:(\d+)/.exec(output.stderr)?.[1]);
    // Its reader goes away before any message comes (as `head` does once it has its lines).
    await server.stdout.cancel();
    await Bun.sleep(500); // the pipe's reading end is closed a moment after the cancel, not during it

    client = new JsonProgram(["client", `127.0.0.1:${port}`]);
    client.write("one\n");
    expect(await exitOf(server, 10_000)).toBe(1);
    await waitUntil(
      () => output.stderr.includes("121chat: standard output was closed (its reader has gone): leaving"),
      "the program says why it leaves, on stderr",
    );
    await client.stop();
    const ended = await client.waitFor((e) => e.event === "disconnected");
    expect(client.events.filter((e) => e.event === "ack")).toEqual([]);
    expect(ended.unacked).toEqual([1]);
  } finally {
    server.kill();
    await client?.stop();
  }
});

test("a pipe-mode client whose reader has gone says so in one line and exits 1; the message it could not write out is never acknowledged", async () => {
  const server = await JsonProgram.server(["--host", "127.0.0.1"]);
  // Its stdin is kept open: the client is not leaving because its input ended.
  const { proc: client, output } = holdingStdout(["client", `127.0.0.1:${server.port}`], "pipe");
  try {
    await server.waitFor((e) => e.event === "connected");
    await client.stdout.cancel();
    await Bun.sleep(500); // the pipe's reading end is closed a moment after the cancel, not during it

    server.write("one\n");
    expect(await exitOf(client, 10_000)).toBe(1);
    await waitUntil(
      () => output.stderr.includes("121chat: standard output was closed (its reader has gone): leaving"),
      "the program says why it leaves, on stderr",
    );
    await server.waitFor((e) => e.event === "connection-lost" || e.event === "disconnected");
    expect(server.events.filter((e) => e.event === "ack")).toEqual([]);
  } finally {
    client.kill();
    await server.stop();
  }
});
