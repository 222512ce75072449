import { afterEach, expect, setDefaultTimeout, test } from "bun:test";
import { type Cut, type CutPoint, CuttingRelay, type RelayLink } from "../helpers/cutting-relay.ts";
import {
  expectCleanEnd,
  expectExactlyOnce,
  expectNoEnd,
  makeLines,
  of,
  startPair,
  waitForAcks,
  waitUntilBothLive,
  writePaced,
} from "../helpers/resume-chat.ts";
import { newSeed, seeded } from "../helpers/seeded.ts";

/**
 * Issue 10, end to end: a real server and client (JSON mode, version 2, resume on by default) talk through a
 * relay in the test process that cuts their connection while both sides send. Whatever the cut (a reset or
 * a plain close; toward both ends or one; on a record boundary, inside a record, or inside a frame that
 * spans records; in either direction), the client reconnects through the relay, the session resumes, and
 * every message is delivered exactly once, in order, and acknowledged exactly once; neither side reports
 * the session over until the client's goodbye, and both exit 0.
 */

setDefaultTimeout(60_000);

const HOST = "127.0.0.1";
/** Short keepalive, for the cuts that reach only one end: the other must notice silence by itself. */
const KEEPALIVE = ["--ping-interval", "0.5", "--dead-after", "1.5"];

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Sizes of the lines each side sends: mostly short, a few spanning several records (64 KiB each). */
const SIZES = [
  ...Array.from({ length: 30 }, (_, i) => 40 + ((i * 37) % 300)),
  200_000,
  ...Array.from({ length: 20 }, (_, i) => 60 + i),
  150_000,
  ...Array.from({ length: 10 }, () => 50),
];

/**
 * Both sides send SIZES while link 0 is cut at `point` with `cut`; the client comes back through the relay
 * on link 1, which is left alone. Returns the programs for more checks.
 */
async function chatThroughCut(point: CutPoint, cut: Cut, extraArgs: string[] = []) {
  let live: CuttingRelay | null = null;
  const { server, client } = await startPair(
    {
      serverArgs: extraArgs,
      clientArgs: extraArgs,
      target: (port) => {
        live = new CuttingRelay({ host: HOST, port });
        cleanups.push(() => live?.close());
        return `${HOST}:${live.port}`;
      },
    },
    cleanups,
  );
  const through = live as unknown as CuttingRelay;
  const first = await through.link(0);
  const cutMade = first.cutAt(point, cut);

  const fromClient = makeLines("client", SIZES);
  const fromServer = makeLines("server", SIZES);
  await Promise.all([writePaced(client, fromClient), writePaced(server, fromServer)]);
  await cutMade;
  await waitForAcks(client, fromClient.length);
  await waitForAcks(server, fromServer.length);

  expectExactlyOnce(client, server, fromClient);
  expectExactlyOnce(server, client, fromServer);
  expectNoEnd(server, client);
  // The drop was seen and the session resumed: by the client always; by the server when the cut reached
  // it, or when the client's new connection replaced the one it still thought live.
  expect(of(client, "connection-lost").length).toBeGreaterThanOrEqual(1);
  expect(of(client, "reconnecting").length).toBeGreaterThanOrEqual(1);
  expect(of(client, "resumed").length).toBeGreaterThanOrEqual(1);
  expect(of(server, "resumed").length).toBeGreaterThanOrEqual(1);
  expect(through.links.length).toBeGreaterThanOrEqual(2);
  console.log(
    `${JSON.stringify(through.cuts.map((c) => `${c.how} ${c.sides}: ${c.where}`))}: ` +
      `client resumed ${JSON.stringify(of(client, "resumed").map((e) => e.resent))} resent, ` +
      `server ${JSON.stringify(of(server, "resumed").map((e) => e.resent))}; ` +
      `before-drop acks: client ${of(client, "ack").filter((e) => e.before_drop).length}, ` +
      `server ${of(server, "ack").filter((e) => e.before_drop).length}`,
  );
  await expectCleanEnd(server, client);
  return { server, client, relay: through };
}

const CASES: { name: string; point: CutPoint; cut: Cut; args?: string[] }[] = [
  {
    name: "a reset inside a client record",
    point: { direction: "to-server", record: 12, offset: 7 },
    cut: { how: "reset" },
  },
  {
    name: "a plain close inside a server record",
    point: { direction: "to-client", record: 12, offset: 5 },
    cut: { how: "close" },
  },
  {
    name: "a reset on a server record boundary",
    point: { direction: "to-client", record: 20, offset: 0 },
    cut: { how: "reset" },
  },
  {
    name: "a plain close on a client record boundary",
    point: { direction: "to-server", record: 20, offset: 0 },
    cut: { how: "close" },
  },
  {
    // Record 31 onwards: the 200 KB line, four records; cut after two of them, whole, the frame half sent.
    name: "a reset inside a client frame that spans records, on a record boundary",
    point: { direction: "to-server", record: 32, offset: 0 },
    cut: { how: "reset" },
  },
  {
    name: "a plain close inside a server frame that spans records, inside a record",
    point: { direction: "to-client", record: 33, offset: 30_000 },
    cut: { how: "close" },
  },
  {
    name: "a reset after an arbitrary byte from the client",
    point: { direction: "to-server", afterBytes: 4_321 },
    cut: { how: "reset", settleMs: 0 },
  },
  {
    // The server never hears of it: the client's new connection replaces the one it thinks live.
    name: "a reset toward the client only",
    point: { direction: "to-client", record: 10, offset: 3 },
    cut: { how: "reset", sides: "client" },
  },
  {
    // The client never hears of it: it must notice the silence (dead-after) before it reconnects.
    name: "a plain close toward the server only",
    point: { direction: "to-server", record: 10, offset: 3 },
    cut: { how: "close", sides: "server" },
    args: KEEPALIVE,
  },
];

for (const { name, point, cut, args } of CASES) {
  test(`${name}: every message once, in order, all acknowledged; both exit 0`, async () => {
    await chatThroughCut(point, cut, args);
  });
}

/** Random lines: mostly short, one in twelve spanning records. */
function randomSizes(random: () => number, count: number): number[] {
  return Array.from({ length: count }, () =>
    random() < 1 / 12 ? 70_000 + Math.floor(random() * 200_000) : 40 + Math.floor(random() * 400),
  );
}

/** Bytes of a direction's handshake (version 2): HELLO and CONFIRM to the server, HELLO to the client. */
const HANDSHAKE_BYTES = { "to-server": 87 + 41, "to-client": 86 } as const;

/**
 * A random place to cut link `index`: the first link (which carries the session's start) somewhere in its
 * records; later ones (resumes) one time in three inside the handshake, else in their first records.
 */
function randomPoint(random: () => number, index: number): CutPoint {
  const direction = random() < 0.5 ? "to-server" : "to-client";
  if (index > 0 && random() < 1 / 3) {
    return { direction, afterBytes: 1 + Math.floor(random() * HANDSHAKE_BYTES[direction]) };
  }
  const record = (index === 0 ? 2 : 0) + Math.floor(random() * 15);
  const offset = random() < 0.3 ? 0 : 1 + Math.floor(random() * 2000);
  return { direction, record, offset };
}

const RANDOM_CUTS = 5;
const seeds = process.env.RESUME_SEED
  ? [Number(process.env.RESUME_SEED)]
  : Array.from({ length: 3 }, newSeed);

for (const seed of seeds) {
  test(`${RANDOM_CUTS} cuts at random points, by reset and by close, either way, to both ends or one (seed ${seed}; RESUME_SEED=${seed} repeats it): every message once, in order, all acknowledged; both exit 0`, async () => {
    const random = seeded(seed);
    let relay: CuttingRelay | null = null;
    const { server, client } = await startPair(
      {
        // A cut that reaches one end only leaves the other to notice the silence: soon, here.
        serverArgs: KEEPALIVE,
        clientArgs: KEEPALIVE,
        target: (port) => {
          relay = new CuttingRelay({ host: HOST, port });
          cleanups.push(() => relay?.close());
          return `${HOST}:${relay.port}`;
        },
      },
      cleanups,
    );
    const through = relay as unknown as CuttingRelay;
    const cutsMade: Promise<void>[] = [];
    const arm = (link: RelayLink) => {
      if (link.index >= RANDOM_CUTS) return;
      const how = random() < 0.5 ? "reset" : "close";
      const settleMs = random() < 0.5 ? 0 : 20;
      const one = random();
      const sides = one < 0.7 ? "both" : one < 0.85 ? "client" : "server";
      cutsMade.push(link.cutAt(randomPoint(random, link.index), { how, sides, settleMs }, 1500));
    };
    through.onLink = arm;
    arm(await through.link(0));

    const fromClient = makeLines("client", randomSizes(random, 120));
    const fromServer = makeLines("server", randomSizes(random, 120));
    await Promise.all([writePaced(client, fromClient, 2, 20), writePaced(server, fromServer, 2, 20)]);
    await through.link(RANDOM_CUTS, 30_000);
    await Promise.all(cutsMade);
    await waitForAcks(client, fromClient.length);
    await waitForAcks(server, fromServer.length);
    // No more cuts: an armed one not yet made could fall on the goodbye. A cut that reached one end only
    // may not have been noticed by the other yet: the goodbye waits until both sides are live again.
    through.onLink = null;
    for (const link of through.links) link.disarm();
    await waitUntilBothLive(server, client);

    expectExactlyOnce(client, server, fromClient);
    expectExactlyOnce(server, client, fromServer);
    expectNoEnd(server, client);
    expect(through.cuts).toHaveLength(RANDOM_CUTS);
    console.log(
      `seed ${seed}: ${through.cuts.map((c) => `${c.how} ${c.sides} ${c.where}`).join("; ")}; ` +
        `client: ${of(client, "connection-lost").length} drops, ${of(client, "resumed").length} resumes, ` +
        `resent ${of(client, "resumed").reduce((n, e) => n + Number(e.resent), 0)}, ` +
        `${of(client, "ack").filter((e) => e.before_drop).length} acks before the drop; server: ` +
        `${of(server, "connection-lost").length} drops, ${of(server, "resumed").length} resumes, ` +
        `resent ${of(server, "resumed").reduce((n, e) => n + Number(e.resent), 0)}, ` +
        `${of(server, "ack").filter((e) => e.before_drop).length} acks before the drop`,
    );
    await expectCleanEnd(server, client);
  });
}
