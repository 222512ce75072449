import { expect, setDefaultTimeout, test } from "bun:test";
import { expectClientChats } from "../helpers/chat.ts";
import { JsonProgram } from "../helpers/program.ts";

// bunfig's [test] timeout is not applied by this Bun (every file gets 5 s unless it says otherwise); these
// tests start processes and have their own, tighter bounds inside, so a hang fails there and cleans up.
setDefaultTimeout(30_000);

test("a server on ::1 and a client dialling [::1]:PORT chat", async () => {
  const server = await JsonProgram.server(["--host", "::1"]);
  try {
    expect(server.events[0]).toMatchObject({ event: "listening", host: "::1" });
    await expectClientChats(server, `[::1]:${server.port}`);
    const connected = await server.waitFor((e) => e.event === "connected");
    expect(connected.peer).toMatch(/^\[::1\]:\d+$/);
  } finally {
    await server.stop();
  }
});

test("a server without --host accepts both 127.0.0.1 and [::1]", async () => {
  const server = await JsonProgram.server();
  try {
    await expectClientChats(server, `127.0.0.1:${server.port}`);
    await server.waitFor((e) => e.event === "disconnected");
    await expectClientChats(server, `[::1]:${server.port}`);
    await server.waitForCount((e) => e.event === "disconnected", 2);
    // The peers as the server saw them: IPv4 shown as IPv4 (not as ::ffff:127.0.0.1), IPv6 in brackets.
    const peers = server.events.filter((e) => e.event === "connected").map((e) => e.peer);
    expect(peers).toEqual([
      expect.stringMatching(/^127\.0\.0\.1:\d+$/),
      expect.stringMatching(/^\[::1\]:\d+$/),
    ]);
  } finally {
    await server.stop();
  }
});

test("a bare IPv6 address works as the client's target, with --port", async () => {
  const server = await JsonProgram.server(["--host", "::1"]);
  const client = new JsonProgram(["client", "::1", "--port", String(server.port)]);
  try {
    const connected = await client.waitFor((e) => e.event === "connected");
    expect(connected.peer).toBe(`[::1]:${server.port}`);
    client.write("over v6\n");
    await client.waitFor((e) => e.event === "ack" && e.id === 1);
    expect(await server.waitFor((e) => e.event === "message")).toMatchObject({ text: "over v6" });
  } finally {
    await client.stop();
    await server.stop();
  }
});
