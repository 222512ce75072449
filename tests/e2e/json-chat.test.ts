import { expect, setDefaultTimeout, test } from "bun:test";
import { exitOf } from "../helpers/bounded.ts";
import { expectClientChats } from "../helpers/chat.ts";
import { closedPort } from "../helpers/ports.ts";
import { type JsonEvent, JsonProgram, runProgram } from "../helpers/program.ts";

// bunfig's [test] timeout is not applied by this Bun (every file gets 5 s unless it says otherwise); these
// tests start processes and have their own, tighter bounds inside, so a hang fails there and cleans up.
setDefaultTimeout(30_000);

const of = (events: JsonEvent[], name: string) => events.filter((e) => e.event === name);

const utf8Length = (text: string) => Buffer.byteLength(text);

/** Checks one direction of a conversation: ids 1, 2, 3, each `sent` before its `ack`, RTTs as numbers. */
function expectAcknowledged(sender: JsonProgram, texts: string[]): void {
  const events = sender.events;
  const ids = texts.map((_, i) => i + 1);
  expect(of(events, "sent").map((e) => [e.id, e.bytes])).toEqual(texts.map((t, i) => [i + 1, utf8Length(t)]));
  expect(of(events, "ack").map((e) => e.id)).toEqual(ids);
  for (const id of ids) {
    const sent = events.findIndex((e) => e.event === "sent" && e.id === id);
    const ack = events.findIndex((e) => e.event === "ack" && e.id === id);
    expect(sent).toBeLessThan(ack);
    const rtt = (events[ack] as JsonEvent).rtt_ms;
    expect(typeof rtt).toBe("number");
    expect(Number.isFinite(rtt)).toBe(true);
    expect(rtt as number).toBeGreaterThanOrEqual(0);
  }
}

function expectReceived(receiver: JsonProgram, texts: string[]): void {
  expect(of(receiver.events, "message")).toEqual(
    texts.map((text, i) => ({ event: "message", id: i + 1, bytes: utf8Length(text), text })),
  );
}

test("server and client exchange messages both ways; every message is acknowledged with an RTT", async () => {
  const server = await JsonProgram.server(["--host", "127.0.0.1"]);
  const client = new JsonProgram(["client", `127.0.0.1:${server.port}`]);
  try {
    const connected = await client.waitFor((e) => e.event === "connected");
    expect(connected.peer).toBe(`127.0.0.1:${server.port}`);
    const serverSide = await server.waitFor((e) => e.event === "connected");
    expect(serverSide.peer).toMatch(/^127\.0\.0\.1:\d+$/);

    const fromClient = ["one", "two: ünïcödé ✓", "three"];
    const fromServer = ["uno", "dos", "tres, with a longer line to tell them apart"];
    client.write(fromClient.map((t) => `${t}\n`).join(""));
    server.write(fromServer.map((t) => `${t}\n`).join(""));

    await client.waitForCount((e) => e.event === "ack", 3);
    await server.waitForCount((e) => e.event === "ack", 3);
    await client.waitForCount((e) => e.event === "message", 3);
    await server.waitForCount((e) => e.event === "message", 3);

    expectAcknowledged(client, fromClient);
    expectAcknowledged(server, fromServer);
    expectReceived(server, fromClient);
    expectReceived(client, fromServer);

    client.endInput();
    expect(await exitOf(client)).toBe(0);
    const gone = await server.waitFor((e) => e.event === "disconnected");
    expect(gone.reason).toEqual(expect.stringContaining("client"));
    expect(gone.unacked).toEqual([]);
    // The client said goodbye itself, with everything acknowledged.
    expect(await client.waitFor((e) => e.event === "disconnected")).toMatchObject({
      kind: "bye",
      unacked: [],
    });
  } finally {
    await client.stop();
    await server.stop();
  }
});

test("when a client leaves, the server serves a second and a third client", async () => {
  const server = await JsonProgram.server(["--host", "127.0.0.1"]);
  try {
    for (let round = 1; round <= 3; round++) {
      await expectClientChats(server, `127.0.0.1:${server.port}`);
      await server.waitForCount((e) => e.event === "disconnected", round);
    }
    expect(of(server.events, "connected")).toHaveLength(3);
  } finally {
    await server.stop();
  }
});

test("a second client while a session is on is told the server is busy and exits 1; the session goes on", async () => {
  const server = await JsonProgram.server(["--host", "127.0.0.1"]);
  const first = new JsonProgram(["client", `127.0.0.1:${server.port}`]);
  try {
    await first.waitFor((e) => e.event === "connected");
    await server.waitFor((e) => e.event === "connected");

    // Pipe mode: the refusal is a sentence on stderr.
    const busy = await runProgram(["client", `127.0.0.1:${server.port}`], { stdin: "never sent\n" });
    expect(busy.code).toBe(1);
    expect(busy.stderr).toMatch(/busy/);
    expect(busy.stdout).toBe("");

    // JSON mode: an error event that says so.
    const busyJson = new JsonProgram(["client", `127.0.0.1:${server.port}`]);
    try {
      expect(await exitOf(busyJson)).toBe(1);
      await busyJson.stop();
      const error = busyJson.events.find((e) => e.event === "error");
      expect(error?.message).toEqual(expect.stringMatching(/busy/));
      expect(of(busyJson.events, "connected")).toEqual([]);
    } finally {
      await busyJson.stop();
    }

    // The first session is undisturbed: both directions still work, and its counters were not touched.
    first.write("after the intruders\n");
    expect(await first.waitFor((e) => e.event === "ack" && e.id === 1)).toMatchObject({ id: 1 });
    expect(await server.waitFor((e) => e.event === "message")).toMatchObject({ text: "after the intruders" });
    server.write("still here\n");
    expect(await first.waitFor((e) => e.event === "message")).toMatchObject({ id: 1, text: "still here" });
    await server.waitFor((e) => e.event === "ack" && e.id === 1);
    expect(of(server.events, "connected")).toHaveLength(1);
    expect(of(server.events, "disconnected")).toEqual([]);
    expect(of(server.events, "message")).toHaveLength(1); // "never sent" never reached it
  } finally {
    await first.stop();
    await server.stop();
  }
});

test("a message larger than the server accepts is refused by the client, with the limit in the error", async () => {
  const server = await JsonProgram.server(["--host", "127.0.0.1", "--max-message-size", "1k"]);
  const client = new JsonProgram(["client", `127.0.0.1:${server.port}`]);
  try {
    await client.waitFor((e) => e.event === "connected");
    client.write(`${"x".repeat(2000)}\n`);
    const error = await client.waitFor((e) => e.event === "error");
    expect(error.message).toEqual(expect.stringContaining("1024"));
    expect(error.message).toEqual(expect.stringContaining("2000"));
    expect(of(client.events, "sent")).toEqual([]);

    // Nothing was sent, and the session is fine: the next line is message 1, and it fits.
    client.write(`${"y".repeat(1024)}\n`);
    await client.waitFor((e) => e.event === "ack" && e.id === 1);
    expect(of(client.events, "sent")).toEqual([{ event: "sent", id: 1, bytes: 1024 }]);
    expect(await server.waitFor((e) => e.event === "message")).toMatchObject({ id: 1, bytes: 1024 });
    expect(of(server.events, "error")).toEqual([]);
  } finally {
    await client.stop();
    await server.stop();
  }
});

test("the environment picks the mode and target (MODE, IP_ADDR) and the server's port (PORT)", async () => {
  const server = await JsonProgram.server(["--host", "127.0.0.1"]);
  // No arguments at all: everything comes from the environment.
  const client = new JsonProgram([], { MODE: "client", IP_ADDR: `127.0.0.1:${server.port}` });
  try {
    await client.waitFor((e) => e.event === "connected");
    client.write("from the environment\n");
    await client.waitFor((e) => e.event === "ack" && e.id === 1);
    expect(await server.waitFor((e) => e.event === "message")).toMatchObject({
      text: "from the environment",
    });
  } finally {
    await client.stop();
    await server.stop();
  }
});

test("PORT sets the server's port, and IP_ADDR without a port takes PORT too", async () => {
  const port = closedPort();
  const server = new JsonProgram(["server", "--host", "127.0.0.1"], { PORT: String(port) });
  let client: JsonProgram | undefined;
  try {
    expect((await server.waitFor((e) => e.event === "listening")).port).toBe(port);
    client = new JsonProgram(["client"], { IP_ADDR: "127.0.0.1", PORT: String(port) });
    await client.waitFor((e) => e.event === "connected");
    client.write("ok\n");
    await client.waitFor((e) => e.event === "ack" && e.id === 1);
  } finally {
    await client?.stop();
    await server.stop();
  }
});
