import { afterEach, expect, test } from "bun:test";
import {
  expectCleanEnd,
  expectExactlyOnce,
  expectNoEnd,
  makeLines,
  of,
  startPair,
  waitForAcks,
} from "../helpers/resume-chat.ts";
import { skipBecause } from "../helpers/skip.ts";
import { createNamespaceLink, type NamespaceLink, namespaceSupport } from "./support/netns.ts";

/**
 * A real network partition under a session that survives it (issue 10): server and client in two network
 * namespaces joined by a veth pair, the link taken down for 5 s while both users keep typing, then brought
 * back. Nothing closes the connection: each side notices the silence by keepalive (short timings here, so
 * that happens within the outage), the client reconnects by itself once the link is back, the session
 * resumes (resume on, as by default), and every line typed before, during and after arrives exactly once.
 * The fault test next door (partition.test.ts) is the same partition with resume off.
 */

const KEEPALIVE = ["--ping-interval", "1", "--dead-after", "3"];
const OUTAGE_MS = 5_000;
const TEST_TIMEOUT_MS = 90_000;

const support = namespaceSupport();
const unsupported = skipBecause(support.ok ? null : support.reason, "the network partition resume test");

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

test.skipIf(unsupported)(
  "the link goes down for 5 s while both sides type: keepalive notices, the client comes back once the link is up, the session resumes with nothing lost",
  async () => {
    const link: NamespaceLink = createNamespaceLink();
    cleanups.push(() => link.remove());
    const { server, client } = await startPair(
      {
        host: link.server.address,
        serverArgs: KEEPALIVE,
        clientArgs: KEEPALIVE,
        target: (port) => `${link.server.address}:${port}`,
        serverSpawn: { wrap: link.inNamespace(link.server.namespace) },
        clientSpawn: { wrap: link.inNamespace(link.client.namespace) },
      },
      cleanups,
    );
    const lines = {
      client: makeLines("client", Array(14).fill(60)),
      server: makeLines("server", Array(13).fill(60)),
    };
    const say = (side: "client" | "server", i: number) =>
      (side === "client" ? client : server).write(`${lines[side][i]}\n`);

    say("client", 0);
    say("server", 0);
    await waitForAcks(client, 1);
    await waitForAcks(server, 1);

    link.down();
    const downAt = performance.now();
    // Typed during the outage, a line every half second on each side (ten each).
    for (let i = 1; i <= 10; i++) {
      await Bun.sleep(OUTAGE_MS / 10);
      say("client", i);
      say("server", i);
    }
    const clientLost = await client.waitFor((e) => e.event === "connection-lost", 1_000);
    const serverLost = await server.waitFor((e) => e.event === "connection-lost", 1_000);
    expect(clientLost.reason).toBe("nothing received for 3 s");
    expect(serverLost.reason).toBe("nothing received for 3 s");
    expect(of(client, "resumed")).toEqual([]);
    expectNoEnd(server, client);

    await link.up();
    console.log(`link down for ${((performance.now() - downAt) / 1000).toFixed(1)} s`);
    // And after it: the queue is behind, the new lines come after it.
    for (let i = 11; i < lines.client.length; i++) say("client", i);
    for (let i = 11; i < lines.server.length; i++) say("server", i);

    const resumed = await client.waitFor((e) => e.event === "resumed", 20_000);
    await server.waitFor((e) => e.event === "resumed", 5_000);
    console.log(
      `resumed after ${resumed.after_ms} ms (${of(client, "reconnecting").length} attempts); ` +
        `resent: client ${resumed.resent}, server ${of(server, "resumed")[0]?.resent}`,
    );
    await waitForAcks(client, lines.client.length);
    await waitForAcks(server, lines.server.length);
    expectExactlyOnce(client, server, lines.client);
    expectExactlyOnce(server, client, lines.server);
    expect(of(client, "connection-lost")).toHaveLength(1);
    expect(of(server, "connection-lost")).toHaveLength(1);
    expect(of(client, "reconnecting").length).toBeGreaterThanOrEqual(1);
    expectNoEnd(server, client);
    await expectCleanEnd(server, client);
  },
  TEST_TIMEOUT_MS,
);
