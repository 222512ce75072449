import { afterEach, expect, setDefaultTimeout, test } from "bun:test";
import { randomBytes } from "node:crypto";
import { FrameType } from "../../src/protocol/constants.ts";
import { exitOf } from "../helpers/bounded.ts";
import { expectClientChats } from "../helpers/chat.ts";
import { type CutPoint, CuttingRelay, type Direction, type RelayLink } from "../helpers/cutting-relay.ts";
import { PipeProgram } from "../helpers/pipe-program.ts";
import { JsonProgram } from "../helpers/program.ts";
import {
  expectCleanEnd,
  expectExactlyOnce,
  expectNoEnd,
  makeLines,
  of,
  startPair,
  waitForAcks,
} from "../helpers/resume-chat.ts";
import { SecurePeer } from "../helpers/secure-peer.ts";

/**
 * Issue 10's particular cases, end to end through the cutting relay: a frame cut in half across records, an
 * ACK lost with the connection, a connection held silent, drops during the resume itself, the window
 * running out, and what others get from the server while it holds a session for its client.
 */

setDefaultTimeout(60_000);

const HOST = "127.0.0.1";
/** Version-2 handshake bytes before the records: HELLO 9 + 78, CONFIRM 9 + 32 (to the server); HELLO 9 + 77. */
const HELLO_TO_SERVER = 87;
const HELLO_TO_CLIENT = 86;

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A server, a relay in front of it, and a client through the relay, both connected. */
async function chatThroughRelay(serverArgs: string[] = [], clientArgs: string[] = []) {
  let relay: CuttingRelay | null = null;
  const pair = await startPair(
    {
      serverArgs,
      clientArgs,
      target: (port) => {
        relay = new CuttingRelay({ host: HOST, port });
        cleanups.push(() => relay?.close());
        return `${HOST}:${relay.port}`;
      },
    },
    cleanups,
  );
  return { ...pair, relay: relay as unknown as CuttingRelay };
}

const writeLines = (program: JsonProgram, lines: string[]) =>
  program.write(lines.map((line) => `${line}\n`).join(""));

for (const { from, at } of [
  { from: "client", at: { record: 2, offset: 0 } },
  { from: "server", at: { record: 2, offset: 0 } },
  { from: "client", at: { record: 3, offset: 1_000 } },
  { from: "server", at: { record: 1, offset: 17 } },
] as const) {
  const where = at.offset === 0 ? "after two whole records of it" : `inside record ${at.record + 1} of it`;
  test(`a 300 KB message from the ${from} (5 records) cut ${where}: nothing partial is delivered, it is resent whole`, async () => {
    const { server, client, relay } = await chatThroughRelay();
    const sender = from === "client" ? client : server;
    const receiver = from === "client" ? server : client;
    const direction: Direction = from === "client" ? "to-server" : "to-client";
    const link = relay.current as RelayLink;

    const [big] = makeLines(from, [300_000]) as [string];
    const first = link.currentRecord(direction); // the link is quiet: the big message's records start here
    const cut = link.cutAt({ direction, record: first + at.record, offset: at.offset }, { how: "reset" });
    writeLines(sender, [big]);
    await cut;
    const forwarded = link.forwarded[direction] - (link.recordStart(direction, first) as number);
    expect(forwarded).toBeGreaterThan(0);
    expect(forwarded).toBeLessThan(300_000);

    await waitForAcks(sender, 1);
    expectExactlyOnce(sender, receiver, [big]);
    const senderResumed = of(sender, "resumed");
    expect(senderResumed.map((e) => e.resent)).toEqual([1]);
    // Resent: its round trip counts from the resend, and it says how long it took in all beside.
    const [ack] = of(sender, "ack");
    expect(ack?.before_drop).toBeUndefined();
    expect(ack?.delivered_after_ms as number).toBeGreaterThan(ack?.rtt_ms as number);
    expectNoEnd(server, client);
    await expectCleanEnd(server, client);
  });
}

for (const side of ["client", "server"] as const) {
  test(`the ${side}'s message delivered, its ACK lost with the connection: acknowledged by the RESUME, "before_drop", no round trip, not resent`, async () => {
    const { server, client, relay } = await chatThroughRelay();
    const sender = side === "client" ? client : server;
    const receiver = side === "client" ? server : client;
    const ackDirection: Direction = side === "client" ? "to-client" : "to-server";
    const link = relay.current as RelayLink;

    // The link is quiet: the next record back from the receiver is the ACK of this message.
    const ackRecord = link.currentRecord(ackDirection);
    const cut = link.cutAt({ direction: ackDirection, record: ackRecord, offset: 0 }, { how: "reset" });
    const lines = makeLines(side, [60]);
    writeLines(sender, lines);
    await cut;
    await receiver.waitFor((e) => e.event === "message" && e.id === 1);

    await waitForAcks(sender, 1);
    expectExactlyOnce(sender, receiver, lines);
    const [ack] = of(sender, "ack");
    expect(ack).toEqual({ event: "ack", id: 1, before_drop: true });
    // It was delivered before the drop: the RESUME settled it, nothing was sent again (either way).
    await client.waitFor((e) => e.event === "resumed");
    await server.waitFor((e) => e.event === "resumed");
    expect(of(sender, "resumed").map((e) => e.resent)).toEqual([0]);
    expect(of(receiver, "resumed").map((e) => e.resent)).toEqual([0]);
    // And the session goes on as before: a new message has a round trip.
    writeLines(sender, makeLines(`${side} again`, [30]));
    await waitForAcks(sender, 2);
    expect(typeof of(sender, "ack")[1]?.rtt_ms).toBe("number");
    expect(of(sender, "ack")[1]?.delivered_after_ms).toBeUndefined(); // sent at once: nothing to add
    await expectCleanEnd(server, client);
  });
}

test("a connection held silent (no reset, no close): both sides' keepalive notices, the client reconnects, nothing typed meanwhile is lost", async () => {
  const keepalive = ["--ping-interval", "0.5", "--dead-after", "1.5"];
  const { server, client, relay } = await chatThroughRelay(keepalive, keepalive);
  const before = makeLines("client before", [50, 50]);
  writeLines(client, before);
  await waitForAcks(client, 2);

  const link = relay.current as RelayLink;
  link.hold();
  const heldAt = performance.now();
  const during = {
    client: makeLines("client during", [40, 70_000, 40]),
    server: makeLines("server during", [40, 40]),
  };
  writeLines(client, during.client);
  writeLines(server, during.server);

  const clientLost = await client.waitFor((e) => e.event === "connection-lost", 10_000);
  const serverLost = await server.waitFor((e) => e.event === "connection-lost", 10_000);
  expect(clientLost.reason).toBe("nothing received for 1.5 s");
  expect(serverLost.reason).toBe("nothing received for 1.5 s");
  expect(performance.now() - heldAt).toBeGreaterThanOrEqual(1_400);
  // The held link saw no close: the programs let go of it without a word reaching the other side.
  expect(link.state).toBe("held");

  await waitForAcks(client, 5);
  await waitForAcks(server, 2);
  expectExactlyOnce(client, server, [...before, ...during.client]);
  expectExactlyOnce(server, client, during.server);
  expect(of(client, "resumed")).toHaveLength(1);
  expect(of(server, "resumed")).toHaveLength(1);
  expectNoEnd(server, client);
  await expectCleanEnd(server, client);
});

test("drops during the resume itself (mid-HELLO, before CONFIRM, mid-RESUME, before the client's RESUME): one drop reported, the attempts count on, and the resume that succeeds loses nothing", async () => {
  const { server, client, relay } = await chatThroughRelay();
  const resumeCuts: CutPoint[] = [
    { direction: "to-server", afterBytes: 40 }, // inside the client's mode-1 HELLO
    // The server's HELLO through, then nothing: the client's CONFIRM never reaches the server.
    { direction: "to-client", afterBytes: HELLO_TO_CLIENT, soon: true },
    { direction: "to-client", record: 0, offset: 9 }, // inside the server's RESUME record
    // CONFIRM through, then nothing: the client's RESUME never reaches the server, nor the server's the client.
    { direction: "to-server", afterBytes: HELLO_TO_SERVER + 41, soon: true },
  ];
  const cutsMade: Promise<void>[] = [];
  relay.onLink = (link) => {
    const point = resumeCuts[link.index - 1];
    if (point) cutsMade.push(link.cutAt(point, { how: link.index % 2 === 0 ? "close" : "reset" }));
  };

  const before = { client: makeLines("client", [50, 50]), server: makeLines("server", [50]) };
  writeLines(client, before.client);
  writeLines(server, before.server);
  await waitForAcks(client, 2);
  await waitForAcks(server, 1);

  (relay.current as RelayLink).cut({ how: "reset" });
  const during = {
    client: makeLines("client during", [60, 100_000]),
    server: makeLines("server during", [60]),
  };
  writeLines(client, during.client);
  writeLines(server, during.server);

  await relay.link(resumeCuts.length + 1, 30_000);
  await Promise.all(cutsMade);
  await waitForAcks(client, 4);
  await waitForAcks(server, 2);
  expectExactlyOnce(client, server, [...before.client, ...during.client]);
  expectExactlyOnce(server, client, [...before.server, ...during.server]);

  // The client saw one drop and one resume, however many tries it took.
  expect(of(client, "connection-lost")).toHaveLength(1);
  expect(of(client, "resumed")).toHaveLength(1);
  // A drop during a resume is not a new drop: the attempts count on (and back off) from the first.
  expect(of(client, "reconnecting").map((e) => e.attempt)).toEqual([1, 2, 3, 4, 5]);
  // Each attempt says why the one before failed: the first link was cut inside the HELLO (a failed
  // handshake, by its own reason); the others came up and were cut before the session was resumed.
  const said = of(client, "reconnecting").map((e) => e.last_error);
  const DURING_RESUME = "the connection dropped during the resume";
  expect(said[0]).toBeUndefined();
  expect(said[1]).toBeString();
  expect(said[1]).not.toBe(DURING_RESUME);
  expect(said.slice(2)).toEqual([DURING_RESUME, DURING_RESUME, DURING_RESUME]);
  // The server completes a resume only on a link where it got the client's RESUME (at most the third,
  // cut inside the server's RESUME), and counts that link's loss as a drop of its own; the last resumes.
  expect(of(server, "resumed").length).toBeGreaterThanOrEqual(1);
  expect(of(server, "connection-lost").length).toBe(of(server, "resumed").length);
  // Broken resume handshakes are not failed code attempts: the code stays.
  expect(of(server, "code-failed")).toEqual([]);
  expect(of(server, "code")).toEqual([]);
  expect(relay.cuts.map((c) => c.where)).toHaveLength(resumeCuts.length + 1);
  expectNoEnd(server, client);
  await expectCleanEnd(server, client);
});

test("the window runs out: the client lists what was never delivered and exits 1; the server ends the session and serves the next client", async () => {
  const WINDOW_S = 2;
  const { server, client, relay } = await chatThroughRelay(["--resume-window", String(WINDOW_S)]);
  writeLines(client, ["delivered"]);
  await waitForAcks(client, 1);

  relay.refusing = "reset"; // every reconnect attempt is cut at once
  (relay.current as RelayLink).cut({ how: "close" });
  const droppedAt = performance.now();
  writeLines(client, ["never delivered one", "never delivered two"]);
  writeLines(server, ["never delivered back"]);

  expect(await exitOf(client, WINDOW_S * 1000 + 15_000)).toBe(1);
  expect(performance.now() - droppedAt).toBeGreaterThanOrEqual(WINDOW_S * 1000 - 200);
  const clientEnd = await client.waitFor((e) => e.event === "disconnected");
  expect(clientEnd.kind).toBe("lost");
  expect(String(clientEnd.reason)).toContain(`did not come back within ${WINDOW_S} s`);
  expect(clientEnd.unacked).toEqual([2, 3]);
  await client.waitForStderr(/2 messages were never acknowledged/);
  await client.waitForStderr(/#2 \(19 B\) never delivered one/);
  await client.waitForStderr(/#3 \(19 B\) never delivered two/);
  expect(of(client, "reconnecting").length).toBeGreaterThanOrEqual(2);
  expect(of(client, "resumed")).toEqual([]);

  const lost = await server.waitFor((e) => e.event === "connection-lost");
  expect(lost.window_ms).toBe(WINDOW_S * 1000);
  const serverEnd = await server.waitFor((e) => e.event === "disconnected", WINDOW_S * 1000 + 10_000);
  expect(serverEnd.kind).toBe("lost");
  expect(serverEnd.unacked).toEqual([1]);
  await server.waitForStderr(/#1 \(20 B\) never delivered back/); // stderr, a pipe of its own, may lag stdout
  expect(of(server, "message").map((e) => e.text)).toEqual(["delivered"]);

  // The slot is free again: the next client is served (directly, and through the relay).
  await expectClientChats(server, `${HOST}:${server.port}`);
  relay.refusing = null;
  await expectClientChats(server, `${HOST}:${relay.port}`);
});

test("while the server holds a session: a new client gets BUSY with the time left, a made-up resume tag gets ERROR; then the client comes back and nothing is lost", async () => {
  const WINDOW_S = 30;
  const { server, client, relay } = await chatThroughRelay(["--resume-window", String(WINDOW_S)]);
  writeLines(client, makeLines("client", [40]));
  await waitForAcks(client, 1);

  relay.refusing = "reset";
  (relay.current as RelayLink).cut({ how: "reset" });
  const lost = await server.waitFor((e) => e.event === "connection-lost");
  expect(lost.window_ms).toBe(WINDOW_S * 1000);
  const during = { client: makeLines("client during", [40]), server: makeLines("server during", [40]) };
  writeLines(client, during.client);
  writeLines(server, during.server);

  // A second client with the right code: BUSY, saying why and for how long.
  const second = new JsonProgram(["client", `${HOST}:${server.port}`]);
  cleanups.push(() => second.stop());
  expect(await exitOf(second)).toBe(1);
  const busy = of(second, "disconnected")[0];
  expect(busy?.kind).toBe("busy");
  const match = /^a session is waiting for its client to come back \((\d+) s left\)$/.exec(
    String(of(second, "error")[0]?.message),
  );
  expect(match).not.toBeNull();
  const left = Number(match?.[1]);
  expect(left).toBeGreaterThan(WINDOW_S - 10);
  expect(left).toBeLessThanOrEqual(WINDOW_S);

  // A stranger's mode-1 HELLO with a resume tag of its own making: no such session, nothing answered.
  const stranger = await SecurePeer.connect(HOST, server.port);
  cleanups.push(() => stranger.destroy());
  await stranger.sendHello({ mode: 1, resumeSecret: randomBytes(32) });
  const refusal = await stranger.waitForPlainFrame((f) => f.type === FrameType.ERROR);
  expect(new TextDecoder().decode(refusal.payload)).toBe("no such session to resume");
  expect(stranger.plainFrames.some((f) => f.type === FrameType.HELLO)).toBe(false);
  await stranger.waitForClose();

  // Neither touched the held session, nor the code: the client comes back and everything arrives once.
  relay.refusing = null;
  await client.waitFor((e) => e.event === "resumed", 15_000);
  await waitForAcks(client, 2);
  await waitForAcks(server, 1);
  expectExactlyOnce(server, client, during.server);
  expect(of(server, "message").map((e) => e.id)).toEqual([1, 2]);
  expect(of(server, "code-failed")).toEqual([]);
  expectNoEnd(server, client);
  await expectCleanEnd(server, client);
});

test("the server restarted meanwhile: the client's resume is refused (no such session), it stops trying at once, lists what was never acknowledged, exits 1", async () => {
  const { server, client, relay } = await chatThroughRelay();
  writeLines(client, ["delivered"]);
  await waitForAcks(client, 1);

  relay.refusing = "reset";
  (relay.current as RelayLink).cut({ how: "reset" });
  await client.waitFor((e) => e.event === "connection-lost");
  writeLines(client, ["never acknowledged"]);
  await client.waitFor((e) => e.event === "sent" && e.id === 2);
  // A new server (same code) where the old one was: it has never heard of this session.
  server.kill("SIGKILL");
  const restarted = await JsonProgram.server(["--host", HOST]);
  cleanups.push(() => restarted.stop());
  relay.target = { host: HOST, port: restarted.port };
  relay.refusing = null;
  const openedAt = performance.now();

  expect(await exitOf(client, 15_000)).toBe(1);
  expect(performance.now() - openedAt).toBeLessThan(10_000); // at its next attempt, not at the window's end
  const ended = await client.waitFor((e) => e.event === "disconnected");
  expect(ended.kind).toBe("lost");
  expect(String(ended.reason)).toContain(
    "the server is gone (it no longer has this session: its resume window passed, or it restarted)",
  );
  expect(ended.unacked).toEqual([2]);
  await client.waitForStderr(/#2 \(18 B\) never acknowledged/);
  expect(of(client, "resumed")).toEqual([]);
  // The restarted server refused a resume: not a failed code attempt, and it still serves.
  expect(of(restarted, "code-failed")).toEqual([]);
  expect(of(restarted, "connected")).toEqual([]);
  await expectClientChats(restarted, `${HOST}:${restarted.port}`);
});

test("the server's window passed before the client noticed the drop: its resume is refused, it ends at once and exits 1", async () => {
  // The cut reaches only the server, which starts its 1 s window at once; the client hears nothing until
  // its keepalive gives up (2.5 to 3 s later), by which time the server has ended the session.
  const { server, client, relay } = await chatThroughRelay(
    ["--resume-window", "1"],
    ["--ping-interval", "0.5", "--dead-after", "3"],
  );
  writeLines(client, ["delivered"]);
  await waitForAcks(client, 1);

  (relay.current as RelayLink).cut({ how: "close", sides: "server" });
  const serverEnd = await server.waitFor((e) => e.event === "disconnected", 10_000);
  expect(serverEnd.kind).toBe("lost");
  expect(of(client, "connection-lost")).toEqual([]); // not noticed yet

  expect(await exitOf(client, 15_000)).toBe(1);
  const ended = await client.waitFor((e) => e.event === "disconnected");
  expect(ended.kind).toBe("lost");
  expect(String(ended.reason)).toContain(
    "the server is gone (it no longer has this session: its resume window passed, or it restarted)",
  );
  expect(of(client, "connection-lost")).toHaveLength(1);
  expect(of(client, "reconnecting")).toHaveLength(1);
  await expectClientChats(server, `${HOST}:${relay.port}`);
});

test("pipe mode: the status lines tell of the drop and the return; stdout carries each message once", async () => {
  let relay: CuttingRelay | null = null;
  const server = await PipeProgram.server(["--host", HOST]);
  cleanups.push(() => server.stop());
  relay = new CuttingRelay({ host: HOST, port: server.port });
  cleanups.push(() => relay?.close());
  const client = new PipeProgram(["client", `${HOST}:${relay.port}`]);
  cleanups.push(() => client.stop());
  await client.waitForStderr(/connected to /);

  const fromClient = makeLines("client", [40, 100_000, 40, 40]);
  const fromServer = makeLines("server", [40, 40, 80_000]);
  const cut = (relay.current as RelayLink).cutAt(
    { direction: "to-server", record: 2, offset: 10 },
    { how: "close" },
  );
  client.write(fromClient.map((line) => `${line}\n`).join(""));
  server.write(fromServer.map((line) => `${line}\n`).join(""));
  await cut;
  await client.waitForStderr(/connection lost \(.+\): reconnecting\n/);
  await client.waitForStderr(/reconnecting \(attempt 1, in \d+\.\d s\)…\n/);
  await client.waitForStderr(/back after \d+\.\d s — \d+ messages? resent\n/);
  await server.waitForStderr(/the client's connection dropped \(.+\): keeping the session for 60 s\n/);
  await server.waitForStderr(/back after \d+\.\d s — \d+ messages? resent\n/);

  const expected = (lines: string[]) => lines.map((line) => `${line}\n`).join("");
  await server.waitForStdout(Buffer.byteLength(expected(fromClient)));
  await client.waitForStdout(Buffer.byteLength(expected(fromServer)));
  client.endInput();
  expect(await exitOf(client, 20_000)).toBe(0);
  expect(server.stdoutText).toBe(expected(fromClient));
  expect(client.stdoutText).toBe(expected(fromServer));
  await server.waitForStderr(/disconnected: /);
  expect(server.stderr.match(/disconnected: /g)).toHaveLength(1);
  expect(client.stderr.match(/disconnected: /g)).toHaveLength(1);
  expect(await server.stop()).toBe(0);
});

test("a script's input ends during an outage with everything acknowledged: it waits for the resume to say goodbye, so the server hears it", async () => {
  const { server, client, relay } = await chatThroughRelay();
  writeLines(client, ["all acknowledged"]);
  await waitForAcks(client, 1);

  relay.refusing = "reset";
  (relay.current as RelayLink).cut({ how: "reset" });
  await client.waitFor((e) => e.event === "connection-lost");
  client.endInput();
  await Bun.sleep(500);
  expect(of(client, "disconnected")).toEqual([]); // still there, waiting for the connection to come back

  relay.refusing = null;
  expect(await exitOf(client, 15_000)).toBe(0);
  expect(of(client, "resumed")).toHaveLength(1);
  // The goodbye went over the new connection: the server heard it at once, not at its window's end.
  const ended = await server.waitFor((e) => e.event === "disconnected", 5_000);
  expect(ended).toMatchObject({ kind: "peer-bye", unacked: [] });
  expect(await server.stop()).toBe(0);
});
