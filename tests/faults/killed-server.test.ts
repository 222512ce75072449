import { afterEach, expect, test } from "bun:test";
import { FrameType } from "../../src/protocol/constants.ts";
import { RAW_PEER_PROGRAM_ARGS, RawServer } from "../helpers/frame-peer.ts";
import { PipeProgram } from "../helpers/pipe-program.ts";
import { type JsonEvent, JsonProgram } from "../helpers/program.ts";
import { waitUntil } from "../helpers/wait.ts";

/**
 * The server goes away without a goodbye: the client must say so, exit 1 and list the messages the server
 * never acknowledged.
 *
 * The killed real server runs version 2 with resume on, as users do, with a short window: the client does
 * what a user's would, it reconnects until the window it learned from the server has passed (the server is
 * dead: every attempt is refused) and only then reports the session over. The raw server speaks version 1,
 * so its client runs with --no-encryption: a version-1 session ends with its connection.
 */

const HOST = "127.0.0.1";
/** Per test: a safety bound for a slow machine, not a measure. */
const TEST_TIMEOUT_MS = 30_000;
/** The killed server's resume window (--resume-window, seconds): how long its client keeps trying. */
const RESUME_WINDOW_S = 2;

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

test(
  "a real server killed with SIGKILL: the JSON client reconnects until the resume window has passed, then reports it gone, lists the unacked messages, exits 1",
  async () => {
    const server = await JsonProgram.server(["--host", HOST, "--resume-window", String(RESUME_WINDOW_S)]);
    cleanups.push(() => server.stop());
    const client = new JsonProgram(["client", `${HOST}:${server.port}`]);
    cleanups.push(() => client.stop());
    await client.waitFor((e) => e.event === "connected");
    client.write("acknowledged first\n");
    await client.waitFor((e) => e.event === "ack" && e.id === 1);

    // Frozen, the server reads nothing and acknowledges nothing more; then it dies.
    server.kill("SIGSTOP");
    cleanups.push(() => server.kill("SIGCONT"));
    client.write("never acknowledged one\nnever acknowledged two\n");
    await client.waitForCount((e) => e.event === "sent", 3);
    server.kill("SIGKILL");
    const killedAt = performance.now();

    expect(await client.exited).toBe(1);
    const exitedAfterMs = performance.now() - killedAt;
    await client.finished(); // and all it wrote read, stderr included (a pipe of its own)
    const lost = await client.waitFor((e) => e.event === "connection-lost");
    const attempts = client.events.filter((e) => e.event === "reconnecting");
    const ended = await client.waitFor((e) => e.event === "disconnected");
    // It tried to come back (the server is dead: refused) until the window was over, and not much longer.
    // Backing off from 0.25 s (doubling), at least two attempts fit in the 2 s window.
    expect(attempts.length).toBeGreaterThanOrEqual(2);
    // Each attempt after the first says why the one before failed: nothing listens there any more.
    expect(attempts[0]?.last_error).toBeUndefined();
    for (const attempt of attempts.slice(1)) expect(attempt.last_error).toBe("connection refused");
    expect(client.events.indexOf(lost)).toBeLessThan(client.events.indexOf(attempts[0] as JsonEvent));
    expect(client.events.some((e) => e.event === "resumed")).toBe(false);
    expect(exitedAfterMs).toBeGreaterThanOrEqual(RESUME_WINDOW_S * 1000 - 100);
    expect(exitedAfterMs).toBeLessThan(RESUME_WINDOW_S * 1000 + 10_000);
    expect(ended.kind).toBe("lost");
    expect(String(ended.reason)).toContain("the server is gone");
    expect(String(ended.reason)).toContain(`did not come back within ${RESUME_WINDOW_S} s`);
    expect(ended.unacked).toEqual([2, 3]);
    expect(client.stderr).toContain("2 messages were never acknowledged");
    expect(client.stderr).toContain("#2 (22 B) never acknowledged one");
    expect(client.stderr).toContain("#3 (22 B) never acknowledged two");
    expect(client.stderr).not.toContain("#1 ");
  },
  TEST_TIMEOUT_MS,
);

test(
  "a server that takes messages, never acknowledges them and vanishes: the pipe client lists them, exits 1",
  async () => {
    const rawServer = new RawServer(HOST);
    cleanups.push(() => rawServer.close());
    const client = new PipeProgram(["client", `${HOST}:${rawServer.port}`, ...RAW_PEER_PROGRAM_ARGS]);
    cleanups.push(() => client.stop());
    const peer = await rawServer.acceptHandshake();
    await client.waitForStderr(/connected to /);

    client.write("alpha\nbravo\ncharlie\n");
    await waitUntil(
      () => peer.frames.filter((frame) => frame.type === FrameType.MSG).length === 3,
      "the three messages reach the server",
    );
    peer.end(); // a FIN without a BYE: the process went away (the SIGKILL test above covers a reset)

    expect(await client.finished()).toBe(1);
    expect(client.stderr).toMatch(/disconnected: the server is gone/);
    expect(client.stderr).toContain("3 messages were never acknowledged");
    for (const [id, text] of [
      [1, "alpha"],
      [2, "bravo"],
      [3, "charlie"],
    ]) {
      expect(client.stderr).toContain(`#${id} (${String(text).length} B) ${text}`);
    }
  },
  TEST_TIMEOUT_MS,
);
