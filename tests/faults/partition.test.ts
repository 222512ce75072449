import { afterEach, expect, test } from "bun:test";
import { JsonProgram } from "../helpers/program.ts";
import { skipBecause } from "../helpers/skip.ts";
import { createNamespaceLink, type NamespaceLink, namespaceSupport } from "./support/netns.ts";

/**
 * A real network partition: server and client in two network namespaces joined by a veth pair, the link
 * taken down under a live session. Nothing closes the connection; only keepalive can tell that the peer is
 * gone. After the link comes back, a new client is served.
 *
 * Version 2 with resume off (--resume-window 0 on the server; the client learns it from SESSION): here a
 * partition ends the session on both sides exactly as in version 1, which is what this test is about, and
 * what a user who turned resume off gets. A session that survives the partition (the default) is the resume
 * tests' subject.
 */

const KEEPALIVE = ["--ping-interval", "1", "--dead-after", "3"];
const NO_RESUME = ["--resume-window", "0"];
/** Far more than dead-after (3 s), far less than the default 45 s. */
const DETECTION_BOUND_MS = 20_000;
const TEST_TIMEOUT_MS = 90_000;

const support = namespaceSupport();
const unsupported = skipBecause(support.ok ? null : support.reason, "the network partition test");

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

test.skipIf(unsupported)(
  "a partition is detected by keepalive on both sides, and a new client is served once the link is back",
  async () => {
    const link: NamespaceLink = createNamespaceLink();
    cleanups.push(() => link.remove());
    const inServerNs = { wrap: link.inNamespace(link.server.namespace) };
    const inClientNs = { wrap: link.inNamespace(link.client.namespace) };

    const server = await JsonProgram.server(
      ["--host", link.server.address, ...KEEPALIVE, ...NO_RESUME],
      {},
      inServerNs,
    );
    cleanups.push(() => server.stop());
    const target = `${link.server.address}:${server.port}`;
    const client = new JsonProgram(["client", target, ...KEEPALIVE], {}, inClientNs);
    cleanups.push(() => client.stop());
    const connected = await server.waitFor((e) => e.event === "connected");
    expect(String(connected.peer)).toStartWith(`${link.client.address}:`);
    expect(connected.encrypted).toBe(true);
    client.write("across the link\n");
    await client.waitFor((e) => e.event === "ack" && e.id === 1);

    link.down();
    client.write("lost in the partition\n");
    const serverSaw = await server.waitFor((e) => e.event === "disconnected", DETECTION_BOUND_MS);
    const clientSaw = await client.waitFor((e) => e.event === "disconnected", DETECTION_BOUND_MS);
    expect(serverSaw.kind).toBe("timeout");
    expect(clientSaw.kind).toBe("timeout");
    // Resume is off: neither side held the session or tried to get it back.
    for (const program of [server, client]) {
      expect(program.events.some((e) => e.event === "connection-lost" || e.event === "reconnecting")).toBe(
        false,
      );
    }
    expect(clientSaw.unacked).toEqual([2]);
    expect(await client.exited).toBe(1);
    expect(server.events.filter((e) => e.event === "message").map((e) => e.text)).toEqual([
      "across the link",
    ]);

    await link.up();
    const next = new JsonProgram(["client", target, ...KEEPALIVE], {}, inClientNs);
    cleanups.push(() => next.stop());
    await next.waitFor((e) => e.event === "connected");
    next.write("after the partition\n");
    await next.waitFor((e) => e.event === "ack" && e.id === 1);
    await server.waitFor((e) => e.event === "message" && e.text === "after the partition");
    server.write("welcome back\n");
    await next.waitFor((e) => e.event === "message" && e.text === "welcome back");
    await server.waitForCount((e) => e.event === "ack", 1);
    next.endInput();
    expect(await next.exited).toBe(0);
  },
  TEST_TIMEOUT_MS,
);
