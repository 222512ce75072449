import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import type { Subprocess } from "bun";

type Stdin = "ignore" | "pipe" | ReturnType<typeof Bun.file>;
type Output = "pipe" | "ignore" | ReturnType<typeof Bun.file>;

export interface StartOptions {
  stdin?: Stdin;
  stdout?: Output;
  stderr?: Output;
  env?: Record<string, string>;
}

export type Started = Subprocess<Stdin, Output, Output>;

/** Every process the benchmark starts, so that all of them are killed at the end, whatever happened. */
export class ProcessGroup {
  private readonly live = new Set<Started>();

  start(command: string[], options: StartOptions = {}): Started {
    const proc = Bun.spawn(command, {
      stdin: options.stdin ?? "ignore",
      stdout: options.stdout ?? "ignore",
      stderr: options.stderr ?? "ignore",
      env: options.env ?? (process.env as Record<string, string>),
    });
    this.live.add(proc);
    void proc.exited.then(() => this.live.delete(proc));
    return proc;
  }

  /** Ends one process and waits for it (SIGTERM, then SIGKILL after a second). */
  async stop(proc: Started): Promise<void> {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGTERM");
    const timer = setTimeout(() => proc.kill("SIGKILL"), 1000);
    await proc.exited;
    clearTimeout(timer);
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.live].map((proc) => this.stop(proc)));
  }
}

/**
 * The TCP port `pid` listens on (IPv4 or IPv6), found in /proc: the servers under test listen on port 0 and
 * their stdout goes to /dev/null, so this is how the benchmark learns where they are. Waits (bounded) for
 * the listening socket to appear; throws if the process exits first.
 */
export async function listeningPort(proc: Started, timeoutMs = 15_000): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const port = findListeningPort(proc.pid);
    if (port !== null) return port;
    if (proc.exitCode !== null || proc.signalCode !== null) {
      throw new Error(`process ${proc.pid} exited (${proc.exitCode ?? proc.signalCode}) before listening`);
    }
    if (performance.now() > deadline)
      throw new Error(`process ${proc.pid} did not listen within ${timeoutMs} ms`);
    await Bun.sleep(5);
  }
}

const LISTEN_STATE = "0A";

function findListeningPort(pid: number): number | null {
  const inodes = new Set<string>();
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return null;
  }
  for (const fd of fds) {
    try {
      const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (match) inodes.add(match[1] as string);
    } catch {
      // closed while we looked
    }
  }
  if (inodes.size === 0) return null;
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text: string;
    try {
      text = readFileSync(table, "utf8");
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
      const fields = line.trim().split(/\s+/);
      if (fields[3] !== LISTEN_STATE || !inodes.has(fields[9] ?? "")) continue;
      const local = fields[1] ?? "";
      return Number.parseInt(local.slice(local.lastIndexOf(":") + 1), 16);
    }
  }
  return null;
}

/** CPU time `pid` has used so far (user + system), in ms, from /proc/PID/stat; NaN where it does not tell. */
export function cpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name (which may hold spaces) start at state: utime and stime are 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
  } catch {
    return Number.NaN;
  }
}

/** The kernel's USER_HZ, which /proc/PID/stat counts in (100 on every Linux this runs on). */
const CLOCK_TICKS = 100;

/**
 * Follows a process's peak RSS (VmHWM) until it exits: for a process whose own figure is wanted after it
 * exited. (Bun's `resourceUsage().maxRSS` of a child was seen to report a larger earlier child's peak.)
 */
export class PeakWatcher {
  private peak = Number.NaN;
  private readonly timer: ReturnType<typeof setInterval>;

  constructor(private readonly pid: number) {
    this.timer = setInterval(() => this.look(), 20);
  }

  /** The highest VmHWM seen; stops watching. */
  stop(): number {
    this.look();
    clearInterval(this.timer);
    return this.peak;
  }

  private look(): void {
    const now = peakRssBytes(this.pid); // NaN once the process is gone
    if (!Number.isNaN(now) && !(now <= this.peak)) this.peak = now;
  }
}

/** Peak resident set size of `pid` in bytes (VmHWM), or NaN where /proc does not tell. */
export function peakRssBytes(pid: number): number {
  try {
    const match = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match ? Number(match[1]) * 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}
