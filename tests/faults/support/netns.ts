import { existsSync } from "node:fs";
import { waitUntil } from "../../helpers/wait.ts";

/**
 * Two network namespaces joined by a veth pair, made for one test: the addresses exist only inside them, so
 * the test can cut the link without touching the machine's own network. Needs root and iproute2.
 */

const PREFIX = "chat121-part";

export interface NamespaceLink {
  /** Namespace, IPv4 address and interface of each end. */
  readonly server: { namespace: string; address: string; device: string };
  readonly client: { namespace: string; address: string; device: string };
  /** Words that run a command inside a namespace: `[...inNamespace(ns), "cmd", ...]`. */
  inNamespace(namespace: string): string[];
  /** Takes the link down (no packet crosses) or brings it back, waiting until both ends are up. */
  down(): void;
  up(): Promise<void>;
  /** Deletes both namespaces (and with them the veth pair). Safe to call more than once. */
  remove(): void;
}

/** Whether this process can create namespaces here; when it cannot, why, in words for a skip message. */
export function namespaceSupport(): { ok: true } | { ok: false; reason: string } {
  if (process.platform !== "linux")
    return { ok: false, reason: `network namespaces are Linux only (${process.platform})` };
  if (process.getuid?.() !== 0) return { ok: false, reason: "creating network namespaces needs root" };
  if (!Bun.which("ip")) return { ok: false, reason: "the 'ip' command (iproute2) is not installed" };
  removeStaleNamespaces();
  const probe = `${PREFIX}-${process.pid}-probe`;
  const added = Bun.spawnSync(["ip", "netns", "add", probe], { stderr: "pipe" });
  if (added.exitCode !== 0) {
    return { ok: false, reason: `'ip netns add' failed: ${added.stderr.toString().trim()}` };
  }
  Bun.spawnSync(["ip", "netns", "del", probe]);
  return { ok: true };
}

/** Creates the two namespaces and the link between them; throws (after cleaning up) if any step fails. */
export function createNamespaceLink(): NamespaceLink {
  const tag = `${process.pid}-${Math.random().toString(16).slice(2, 8)}`;
  // Interface names live inside the namespaces, so fixed names cannot collide with anyone else's.
  const serverEnd = "veth121s";
  const clientEnd = "veth121c";
  const server = { namespace: `${PREFIX}-${tag}-s`, address: "10.213.0.1", device: serverEnd };
  const client = { namespace: `${PREFIX}-${tag}-c`, address: "10.213.0.2", device: clientEnd };
  const remove = () => {
    for (const ns of [server.namespace, client.namespace]) {
      if (existsSync(`/run/netns/${ns}`)) Bun.spawnSync(["ip", "netns", "del", ns]);
    }
  };
  try {
    run("ip", "netns", "add", server.namespace);
    run("ip", "netns", "add", client.namespace);
    run(
      "ip",
      "-n",
      server.namespace,
      "link",
      "add",
      serverEnd,
      "type",
      "veth",
      "peer",
      "name",
      clientEnd,
      "netns",
      client.namespace,
    );
    run("ip", "-n", server.namespace, "addr", "add", `${server.address}/30`, "dev", serverEnd);
    run("ip", "-n", client.namespace, "addr", "add", `${client.address}/30`, "dev", clientEnd);
    for (const [ns, dev] of [
      [server.namespace, serverEnd],
      [client.namespace, clientEnd],
    ] as const) {
      run("ip", "-n", ns, "link", "set", "lo", "up");
      run("ip", "-n", ns, "link", "set", dev, "up");
    }
  } catch (error) {
    remove();
    throw error;
  }

  const bothUp = () => isUp(server.namespace, serverEnd) && isUp(client.namespace, clientEnd);
  return {
    server,
    client,
    inNamespace: (namespace) => ["ip", "netns", "exec", namespace],
    down: () => run("ip", "-n", client.namespace, "link", "set", clientEnd, "down"),
    async up() {
      run("ip", "-n", client.namespace, "link", "set", clientEnd, "up");
      await waitUntil(bothUp, "the veth link is back up", { timeoutMs: 10_000 });
    },
    remove,
  };
}

/** The link has carrier (LOWER_UP), not merely administratively up. */
function isUp(namespace: string, device: string): boolean {
  const shown = Bun.spawnSync(["ip", "-n", namespace, "link", "show", device], { stdout: "pipe" });
  return shown.exitCode === 0 && /[<,]LOWER_UP[,>]/.test(shown.stdout.toString());
}

function run(...command: string[]): void {
  const result = Bun.spawnSync(command, { stdout: "pipe", stderr: "pipe" });
  if (result.exitCode !== 0) {
    throw new Error(`'${command.join(" ")}' failed (${result.exitCode}): ${result.stderr.toString().trim()}`);
  }
}

/** Namespaces left by an earlier run of this test that was killed before it could clean up. */
function removeStaleNamespaces(): void {
  const listed = Bun.spawnSync(["ip", "netns", "list"], { stdout: "pipe" }).stdout.toString();
  for (const match of listed.matchAll(new RegExp(`^(${PREFIX}-(\\d+)-\\S+)`, "gm"))) {
    const [, name, pid] = match;
    if (name && pid && !existsSync(`/proc/${pid}`)) Bun.spawnSync(["ip", "netns", "del", name]);
  }
}
