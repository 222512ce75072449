import { expect, setDefaultTimeout, test } from "bun:test";
import { exitOf } from "../helpers/bounded.ts";
import { PipeProgram } from "../helpers/pipe-program.ts";
import { JsonProgram } from "../helpers/program.ts";

// bunfig's [test] timeout is not applied by this Bun (every file gets 5 s unless it says otherwise); these
// tests start processes and have their own, tighter bounds inside, so a hang fails there and cleans up.
setDefaultTimeout(30_000);

/**
 * The SIGKILL tests run with resume off (--resume-window 0 on the server; the client learns it from
 * SESSION): then a connection that drops without a goodbye ends the session at once, as in version 1, and
 * these tests prove that path. With resume on (the default) a killed peer's session is held for the window
 * first: tests/faults/killed-client.test.ts and killed-server.test.ts cover that.
 */
const NO_RESUME = ["--resume-window", "0"];

/** A server and a JSON client in a session that has carried one message each way. */
async function startSession(
  serverArgs: string[] = [],
): Promise<{ server: JsonProgram & { port: number }; client: JsonProgram }> {
  const server = await JsonProgram.server(["--host", "127.0.0.1", ...serverArgs]);
  const client = new JsonProgram(["client", `127.0.0.1:${server.port}`]);
  try {
    await client.waitFor((e) => e.event === "connected");
    client.write("hi\n");
    await client.waitFor((e) => e.event === "ack" && e.id === 1);
    return { server, client };
  } catch (error) {
    await client.stop();
    await server.stop();
    throw error;
  }
}

test("the server stops (SIGTERM): it says goodbye, and the client reports it and exits 0", async () => {
  const { server, client } = await startSession();
  try {
    server.kill("SIGTERM");
    expect(await exitOf(client)).toBe(0);
    const gone = await client.waitFor((e) => e.event === "disconnected");
    expect(gone.kind).toBe("peer-bye");
    expect(gone.reason).toEqual(expect.stringContaining("server"));
    expect(await exitOf(server)).toBe(0);
  } finally {
    await client.stop();
    await server.stop();
  }
});

test("the server stops (SIGTERM) under a pipe-mode client: the disconnect is on stderr, exit 0", async () => {
  const server = await JsonProgram.server(["--host", "127.0.0.1"]);
  const client = new PipeProgram(["client", `127.0.0.1:${server.port}`]);
  try {
    await server.waitFor((e) => e.event === "connected");
    server.kill("SIGTERM");
    expect(await client.finished()).toBe(0);
    expect(client.stderr).toMatch(/disconnected: the server left/);
    expect(client.stdoutText).toBe("");
  } finally {
    await client.stop();
    await server.stop();
  }
});

test("resume off, the server is killed (SIGKILL): the client reports the lost connection and exits 1", async () => {
  const { server, client } = await startSession(NO_RESUME);
  try {
    server.kill("SIGKILL");
    expect(await exitOf(client)).toBe(1);
    const gone = await client.waitFor((e) => e.event === "disconnected");
    expect(gone.kind).toBe("lost");
    expect(gone.reason).toEqual(expect.stringContaining("server"));
    expect(client.events.some((e) => e.event === "connection-lost" || e.event === "reconnecting")).toBe(
      false,
    );
  } finally {
    await client.stop();
    await server.stop();
  }
});

test("resume off, the client is killed (SIGKILL): the server reports it and serves the next client", async () => {
  const { server, client } = await startSession(NO_RESUME);
  try {
    client.kill("SIGKILL");
    const gone = await server.waitFor((e) => e.event === "disconnected");
    expect(gone.kind).toBe("lost");
    expect(server.events.some((e) => e.event === "connection-lost")).toBe(false);
    const next = new JsonProgram(["client", `127.0.0.1:${server.port}`]);
    try {
      await next.waitFor((e) => e.event === "connected");
      next.write("next\n");
      await next.waitFor((e) => e.event === "ack" && e.id === 1);
    } finally {
      await next.stop();
    }
  } finally {
    await client.stop();
    await server.stop();
  }
});
