import { readFileSync } from "node:fs";

/**
 * What the kernel knows about a process and its sockets, read from /proc (Linux), so a test can see that bytes
 * are really in flight, or how much memory a process holds, without asking the process.
 */

/** The resident set size of `pid`, in bytes (VmRSS in /proc/PID/status). */
export function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(status);
  if (!match) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(match[1]) * 1024;
}

export interface SocketQueues {
  /** Bytes written by the process and not yet acknowledged by the peer's kernel. */
  sendQueue: number;
  /** Bytes the kernel received and the process has not read yet. */
  receiveQueue: number;
}

/**
 * The queues of the established TCP socket from `localPort` to `remotePort` in this network namespace
 * (/proc/net/tcp and tcp6: `tx_queue:rx_queue`, in hex), or undefined when there is none.
 */
export function socketQueues(localPort: number, remotePort: number): SocketQueues | undefined {
  const ESTABLISHED = "01";
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    for (const line of readFileSync(table, "utf8").split("\n").slice(1)) {
      const fields = line.trim().split(/\s+/);
      const [, local, remote, state, queues] = fields;
      if (!local || !remote || !queues || state !== ESTABLISHED) continue;
      if (portOf(local) !== localPort || portOf(remote) !== remotePort) continue;
      const [tx, rx] = queues.split(":");
      return { sendQueue: Number.parseInt(tx ?? "0", 16), receiveQueue: Number.parseInt(rx ?? "0", 16) };
    }
  }
  return undefined;
}

/** `0100007F:1F91` → 8081. */
function portOf(address: string): number {
  return Number.parseInt(address.slice(address.lastIndexOf(":") + 1), 16);
}
