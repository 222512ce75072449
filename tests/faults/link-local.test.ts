import { afterEach, expect, test } from "bun:test";
import { JsonProgram } from "../helpers/program.ts";
import { skipBecause } from "../helpers/skip.ts";
import { waitUntil } from "../helpers/wait.ts";
import { createNamespaceLink, type NamespaceLink, namespaceSupport } from "./support/netns.ts";

/**
 * Two machines joined by a cable and nothing else (no DHCP, no router): all they have are link-local IPv6
 * addresses, fe80::…, which mean something only with the interface to use (`%eth0`). Here the two
 * "machines" are network namespaces joined by a veth pair; the client dials the server's fe80 address with
 * the interface, as README shows, and without it, which the kernel refuses and the client explains.
 */

const support = namespaceSupport();
const unsupported = skipBecause(support.ok ? null : support.reason, "the link-local IPv6 test");

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** The link-local address of `device` in `namespace`, once the kernel has finished checking it (DAD). */
async function linkLocalAddress(namespace: string, device: string): Promise<string> {
  let address = "";
  await waitUntil(
    () => {
      const shown = Bun.spawnSync(
        ["ip", "-n", namespace, "-6", "addr", "show", "dev", device, "scope", "link"],
        {
          stdout: "pipe",
        },
      ).stdout.toString();
      // Not while it is still "tentative": until then nothing can use it.
      const match = /inet6 (fe80:[0-9a-f:]+)\/64 scope link(?! tentative)/.exec(shown);
      address = match?.[1] ?? "";
      return address !== "";
    },
    `a usable link-local address on ${device}`,
    { timeoutMs: 10_000, everyMs: 100 },
  );
  return address;
}

test.skipIf(unsupported)(
  "a client dials the server's link-local address with the interface and chats; without it, it is told what is missing",
  async () => {
    const link: NamespaceLink = createNamespaceLink();
    cleanups.push(() => link.remove());
    const serverAddress = await linkLocalAddress(link.server.namespace, link.server.device);
    await linkLocalAddress(link.client.namespace, link.client.device);

    const server = await JsonProgram.server(
      ["--host", "::"],
      {},
      { wrap: link.inNamespace(link.server.namespace) },
    );
    cleanups.push(() => server.stop());
    const inClientNs = { wrap: link.inNamespace(link.client.namespace) };

    const client = new JsonProgram(
      ["client", `[${serverAddress}%${link.client.device}]:${server.port}`],
      {},
      inClientNs,
    );
    cleanups.push(() => client.stop());
    const connected = await server.waitFor((e) => e.event === "connected");
    expect(String(connected.peer)).toStartWith("[fe80:");
    client.write("over the cable\n");
    await client.waitFor((e) => e.event === "ack" && e.id === 1);
    expect((await server.waitFor((e) => e.event === "message")).text).toBe("over the cable");

    const noZone = new JsonProgram(["client", `[${serverAddress}]:${server.port}`], {}, inClientNs);
    cleanups.push(() => noZone.stop());
    const error = await noZone.waitFor((e) => e.event === "error");
    expect(error.message).toBe(
      `could not connect to [${serverAddress}]:${server.port}: a link-local IPv6 address needs the interface to use, as in [fe80::1%eth0]`,
    );
    expect(await noZone.finished()).toBe(1);
  },
  60_000,
);
