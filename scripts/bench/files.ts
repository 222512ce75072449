import { closeSync, openSync, readSync, statfsSync } from "node:fs";
import { mkdir, rm, stat, truncate, writeFile } from "node:fs/promises";
import { cpus } from "node:os";
import { join } from "node:path";
import {
  createNamespaceLink,
  type NamespaceLink,
  namespaceSupport,
} from "../../tests/faults/support/netns.ts";
import { programCommand, ROOT, testEnv } from "../../tests/helpers/program.ts";
import { StampedLines } from "./lines.ts";
import {
  cpuMs,
  listeningPort,
  PeakWatcher,
  type ProcessGroup,
  peakRssBytes,
  type Started,
} from "./processes.ts";
import { withTimeout } from "./raw-client.ts";
import { median, percentile } from "./stats.ts";

/**
 * The file rows (issue 11): a large file over loopback, app to app (encrypted, the default), beside nc
 * moving the same file in the same run; and chat during a transfer over a slow link (two network
 * namespaces, the sending side shaped to 20 Mbit/s with tc tbf).
 */

/** Bounds one transfer: even at 20 MB/s, 1 GiB takes under a minute. */
const TIMEOUT_MS = 180_000;

// ---- 1. a large file over loopback ----

/** Where the processes of a round may run. */
export type Placement = "cpu0" | "all";

export interface FileBulkRound {
  mbPerSecond: number;
  /** Wall time from the sender's `file-offer` event to its `file-done`, ms. */
  ms: number;
  senderPeakRss: number;
  receiverPeakRss: number;
  senderCpuMs: number;
  receiverCpuMs: number;
}

export interface FileBulkFigures {
  bytes: number;
  placements: {
    placement: Placement;
    cpus: string;
    app: FileBulkRound & { rounds: FileBulkRound[] };
    nc: { mbPerSecond: number; rounds: number[] } | { skipped: string };
    /** The median of each round's app ÷ nc (a round's two runs are seconds apart: the fairer pairing). */
    share?: number;
    /** scripts/bench/file-floor.ts in the same rounds: what the runtime must do for the same file. */
    floor: FloorFigures;
  }[];
}

export interface FloorRound {
  mbPerSecond: number;
  senderCpuMs: number;
  receiverCpuMs: number;
}

export interface FloorFigures extends FloorRound {
  rounds: FloorRound[];
  /** Medians of each round's floor ÷ nc (absent without nc) and app ÷ floor. */
  ofNc?: number;
  appOfFloor: number;
}

/**
 * A sparse file of `bytes` sent with `121chat client --send` to `121chat server --accept-files` (both JSON
 * mode, encrypted), rounds interleaved with nc moving the same file into a file in the same folder. Timed
 * on the sender, from its `file-offer` event to its `file-done` (the receiver has every byte written and
 * verified); nc from the sender's start to the receiver's exit (all written). Each placement: the same
 * rounds with both sides on CPU 0, or free to use every CPU.
 */
export async function measureFileBulk(
  group: ProcessGroup,
  workDir: string,
  bytes: number,
  rounds: number,
  placements: Placement[],
): Promise<FileBulkFigures> {
  const source = join(workDir, "bulk-file");
  const received = join(receivingDir(workDir, bytes), `121chat-bench-${process.pid}`);
  await writeFile(source, "");
  await truncate(source, bytes); // sparse: reading it costs no disk, for nc as for the app
  readThrough(source);
  const nc = Bun.which("nc");
  try {
    const figures: FileBulkFigures = { bytes, placements: [] };
    for (const placement of placements) {
      const app: FileBulkRound[] = [];
      const ncRates: number[] = [];
      const floor: FloorRound[] = [];
      let ncSkipped: string | null = nc ? null : "nc is not installed (apt-get install netcat-openbsd)";
      for (let round = 0; round < rounds; round++) {
        await freshFolder(received);
        app.push(await appFileRound(group, placement, source, received, bytes));
        await freshFolder(received);
        floor.push(await floorFileRound(group, placement, source, join(received, "floor-copy"), bytes));
        if (ncSkipped) continue;
        await freshFolder(received);
        try {
          ncRates.push(await ncFileRound(group, placement, source, join(received, "nc-copy"), bytes));
        } catch (error) {
          ncSkipped = `nc failed (this bench drives OpenBSD netcat: -l, -N, -d): ${(error as Error).message}`;
        }
      }
      figures.placements.push({
        placement,
        cpus: placement === "cpu0" ? "both sides on CPU 0" : `free to use all ${cpus().length} CPUs`,
        app: { ...summaryOf(app), rounds: app },
        nc: ncSkipped ? { skipped: ncSkipped } : { mbPerSecond: median(ncRates), rounds: ncRates },
        ...(ncSkipped
          ? {}
          : { share: median(ncRates.map((rate, i) => (app[i] as FileBulkRound).mbPerSecond / rate)) }),
        floor: {
          mbPerSecond: median(floor.map((r) => r.mbPerSecond)),
          senderCpuMs: median(floor.map((r) => r.senderCpuMs)),
          receiverCpuMs: median(floor.map((r) => r.receiverCpuMs)),
          rounds: floor,
          ...(ncSkipped
            ? {}
            : { ofNc: median(ncRates.map((rate, i) => (floor[i] as FloorRound).mbPerSecond / rate)) }),
          appOfFloor: median(floor.map((r, i) => (app[i] as FileBulkRound).mbPerSecond / r.mbPerSecond)),
        },
      });
    }
    return figures;
  } finally {
    await rm(source, { force: true });
    await rm(received, { recursive: true, force: true });
  }
}

/** Reads the file once, so that its pages are in the page cache before the first round, whoever goes first. */
function readThrough(path: string): void {
  const fd = openSync(path, "r");
  try {
    const buffer = new Uint8Array(1024 * 1024);
    while (readSync(fd, buffer) > 0) {}
  } finally {
    closeSync(fd);
  }
}

/**
 * Where received files go: a tmpfs (/dev/shm) when there is one with room, so that neither side is timed
 * against this VM's disk writeback (dd alone takes 1–6 s to write 1 GiB to the disk here, 0.4–0.5 s to
 * tmpfs); else the work folder, on disk.
 */
export function receivingDir(workDir: string, bytes: number): string {
  try {
    const fs = statfsSync("/dev/shm");
    if (fs.type === TMPFS_MAGIC && fs.bavail * fs.bsize > 3 * bytes) return "/dev/shm";
  } catch {
    // no /dev/shm
  }
  return workDir;
}

const TMPFS_MAGIC = 0x01021994;

function summaryOf(rounds: FileBulkRound[]): FileBulkRound {
  const of = (pick: (r: FileBulkRound) => number) => median(rounds.map(pick));
  return {
    mbPerSecond: of((r) => r.mbPerSecond),
    ms: of((r) => r.ms),
    senderPeakRss: of((r) => r.senderPeakRss),
    receiverPeakRss: of((r) => r.receiverPeakRss),
    senderCpuMs: of((r) => r.senderCpuMs),
    receiverCpuMs: of((r) => r.receiverCpuMs),
  };
}

async function freshFolder(path: string): Promise<void> {
  await rm(path, { recursive: true, force: true });
  await mkdir(path, { recursive: true });
}

/** The command prefix that places a process: the bench itself runs on CPU 0, which children inherit. */
function placed(placement: Placement): string[] {
  const taskset = Bun.which("taskset");
  if (placement === "cpu0" || !taskset) return [];
  return [taskset, "-c", `0-${cpus().length - 1}`];
}

async function appFileRound(
  group: ProcessGroup,
  placement: Placement,
  source: string,
  received: string,
  bytes: number,
): Promise<FileBulkRound> {
  const env = testEnv();
  const server = group.start(
    [
      ...placed(placement),
      ...programCommand(),
      "server",
      "--json",
      "--host",
      "127.0.0.1",
      "--port",
      "0",
      "--accept-files",
      "--download-dir",
      received,
    ],
    { stdout: Bun.file("/dev/null"), stderr: "pipe", env },
  );
  try {
    const port = await listeningPort(server);
    const client = group.start(
      [...placed(placement), ...programCommand(), "client", `127.0.0.1:${port}`, "--json", "--send", source],
      { stdout: "pipe", stderr: "pipe", env },
    );
    const senderPeak = new PeakWatcher(client.pid);
    const events = new StampedLines(client.stdout as ReadableStream<Uint8Array>);
    const errors = new Response(client.stderr as ReadableStream<Uint8Array>).text();
    const offer = await events.waitFor('"event":"file-offer"', TIMEOUT_MS);
    const done = await events.waitFor('"event":"file-done"', TIMEOUT_MS);
    const senderPeakRss = senderPeak.stop();
    const senderCpu = cpuMs(client.pid); // still there: it says goodbye first
    const code = await withTimeout(client.exited, TIMEOUT_MS, "the sending client to exit");
    if (code !== 0) throw new Error(`the sending client exited ${code}: ${await errors}`);
    const receiverPeakRss = peakRssBytes(server.pid);
    const receiverCpuMs = cpuMs(server.pid);
    const got = await stat(join(received, "bulk-file"));
    if (got.size !== bytes) throw new Error(`the received file has ${got.size} bytes, not ${bytes}`);
    const usageMs = cpuTimeMs(client);
    const ms = done.at - offer.at;
    return {
      mbPerSecond: bytes / 1e6 / (ms / 1000),
      ms,
      senderPeakRss,
      receiverPeakRss,
      senderCpuMs: Number.isNaN(senderCpu) ? usageMs : senderCpu,
      receiverCpuMs,
    };
  } finally {
    await group.stop(server);
  }
}

/**
 * The file floor (scripts/bench/file-floor.ts, run by this Bun) from the file to a file, timed from the
 * sender's `sending` (connected) to the receiver's `received` (all written, the file closed), so neither
 * process's start counts, as the app's offer → FILE_DONE leaves out its start and handshake.
 */
async function floorFileRound(
  group: ProcessGroup,
  placement: Placement,
  source: string,
  target: string,
  bytes: number,
): Promise<FloorRound> {
  const floor = [...placed(placement), process.execPath, join(ROOT, "scripts/bench/file-floor.ts")];
  const receiver = group.start([...floor, "receive", target], { stdout: "pipe", stderr: "pipe" });
  // Read from the start: a line's stamp is when the bench saw it.
  const receiverLines = new StampedLines(receiver.stdout as ReadableStream<Uint8Array>);
  try {
    const port = await listeningPort(receiver);
    const sender = group.start([...floor, "send", String(port), source], { stdout: "pipe", stderr: "pipe" });
    const senderLines = new StampedLines(sender.stdout as ReadableStream<Uint8Array>);
    try {
      const started = await senderLines.waitFor("sending", TIMEOUT_MS);
      const received = await receiverLines.waitFor("received", TIMEOUT_MS);
      const sent = (await new Response(sender.stderr as ReadableStream<Uint8Array>).text()).trim();
      // `sent BYTES HASH` and `received BYTES HASH`: the same file went through, every byte of it.
      if (
        sent.slice("sent ".length) !== received.text.slice("received ".length) ||
        !sent.startsWith(`sent ${bytes} `)
      ) {
        throw new Error(`the file floor moved something else: sender "${sent}", receiver "${received.text}"`);
      }
      await withTimeout(receiver.exited, TIMEOUT_MS, "the file floor's receiver to exit");
      await withTimeout(sender.exited, TIMEOUT_MS, "the file floor's sender to exit");
      return {
        mbPerSecond: bytes / 1e6 / ((received.at - started.at) / 1000),
        senderCpuMs: cpuTimeMs(sender),
        receiverCpuMs: cpuTimeMs(receiver),
      };
    } finally {
      await group.stop(sender);
    }
  } finally {
    await group.stop(receiver);
  }
}

/** User and system CPU time of a process that has exited, ms. */
function cpuTimeMs(proc: Started): number {
  const usage = proc.resourceUsage();
  return usage ? Number(usage.cpuTime.user + usage.cpuTime.system) / 1000 : Number.NaN;
}

/** nc from the file to a file, timed from the sender's start to the receiver's exit; MB/s. */
async function ncFileRound(
  group: ProcessGroup,
  placement: Placement,
  source: string,
  target: string,
  bytes: number,
): Promise<number> {
  const receiver = group.start([...placed(placement), "nc", "-l", "-n", "-d", "127.0.0.1", "0"], {
    stdout: Bun.file(target),
  });
  try {
    const port = await listeningPort(receiver);
    const started = performance.now();
    const sender = group.start([...placed(placement), "nc", "-N", "-n", "127.0.0.1", String(port)], {
      stdin: Bun.file(source),
    });
    await withTimeout(receiver.exited, TIMEOUT_MS, "nc to receive the file");
    const rate = bytes / 1e6 / ((performance.now() - started) / 1000);
    await group.stop(sender);
    const got = await stat(target);
    if (got.size !== bytes) throw new Error(`nc delivered ${got.size} bytes, not ${bytes}`);
    return rate;
  } finally {
    await group.stop(receiver);
  }
}

// ---- 2. chat during a transfer over a slow link ----

export const LINK_MBIT = 20;
/** tbf on the sending side's end of the veth pair: 20 Mbit/s with a queue of up to 400 ms (1 MB). */
export const TBF = ["rate", `${LINK_MBIT}mbit`, "burst", "32kb", "latency", "400ms"];
const PORT = 7121;

export interface ShapedRound {
  bytes: number;
  ms: number;
  /** File bytes per second ÷ the link's rate. */
  linkUse: number;
  /** Ack round trips (the app's own rtt_ms) of the chat messages sent while the transfer ran. */
  messages: number;
  rttP50Ms: number;
  rttP90Ms: number;
  rttMaxMs: number;
  /** The same messages timed by the bench: from writing the line to the sender's stdin to its `ack` line. */
  outsideP50Ms: number;
}

export type ShapedFigures =
  | {
      bytes: number;
      linkMbit: number;
      tbf: string;
      messageIntervalMs: number;
      median: ShapedRound;
      rounds: ShapedRound[];
    }
  | { skipped: string };

/**
 * A file of `bytes` from a client in one namespace to a server in another, the client's end of the veth
 * pair limited to 20 Mbit/s; meanwhile the sending client sends a chat message every `intervalMs` and
 * reports each one's ack round trip.
 */
export async function measureShapedLink(
  group: ProcessGroup,
  workDir: string,
  bytes: number,
  rounds: number,
  intervalMs: number,
): Promise<ShapedFigures> {
  const support = namespaceSupport();
  if (!support.ok) return { skipped: support.reason };
  if (!Bun.which("tc")) return { skipped: "the 'tc' command (iproute2) is not installed" };
  const source = join(workDir, "shaped-file");
  const received = join(workDir, "shaped-received");
  await writeFile(source, "");
  await truncate(source, bytes);
  let link: NamespaceLink | null = null;
  try {
    link = createNamespaceLink();
    const shaped = Bun.spawnSync(
      ["tc", "-n", link.client.namespace, "qdisc", "add", "dev", "veth121c", "root", "tbf", ...TBF],
      { stderr: "pipe" },
    );
    if (shaped.exitCode !== 0) return { skipped: `tc tbf failed: ${shaped.stderr.toString().trim()}` };
    const list: ShapedRound[] = [];
    for (let round = 0; round < rounds; round++) {
      await freshFolder(received);
      list.push(await shapedRound(group, link, source, received, bytes, intervalMs));
    }
    const of = (pick: (r: ShapedRound) => number) => median(list.map(pick));
    return {
      bytes,
      linkMbit: LINK_MBIT,
      tbf: TBF.join(" "),
      messageIntervalMs: intervalMs,
      median: {
        bytes,
        ms: of((r) => r.ms),
        linkUse: of((r) => r.linkUse),
        messages: of((r) => r.messages),
        rttP50Ms: of((r) => r.rttP50Ms),
        rttP90Ms: of((r) => r.rttP90Ms),
        rttMaxMs: of((r) => r.rttMaxMs),
        outsideP50Ms: of((r) => r.outsideP50Ms),
      },
      rounds: list,
    };
  } finally {
    link?.remove();
    await rm(source, { force: true });
    await rm(received, { recursive: true, force: true });
  }
}

async function shapedRound(
  group: ProcessGroup,
  link: NamespaceLink,
  source: string,
  received: string,
  bytes: number,
  intervalMs: number,
): Promise<ShapedRound> {
  const env = testEnv();
  const server = group.start(
    [
      ...link.inNamespace(link.server.namespace),
      ...programCommand(),
      "server",
      "--json",
      "--host",
      link.server.address,
      "--port",
      String(PORT),
      "--accept-files",
      "--download-dir",
      received,
    ],
    { stdout: "pipe", stderr: "pipe", env },
  );
  let client: Started | null = null;
  try {
    const serverEvents = new StampedLines(server.stdout as ReadableStream<Uint8Array>);
    await serverEvents.waitFor('"event":"listening"', 15_000);
    client = group.start(
      [
        ...link.inNamespace(link.client.namespace),
        ...programCommand(),
        "client",
        `${link.server.address}:${PORT}`,
        "--json",
        "--send",
        source,
      ],
      { stdin: "pipe", stdout: "pipe", stderr: "pipe", env },
    );
    const events = new StampedLines(client.stdout as ReadableStream<Uint8Array>);
    const errors = new Response(client.stderr as ReadableStream<Uint8Array>).text();
    const offer = await events.waitFor('"event":"file-offer"', 15_000);
    // A message every intervalMs while the transfer runs (bounded by the transfer's own time limit).
    const written: number[] = [];
    const stdin = client.stdin as import("bun").FileSink;
    let finished = false;
    const done = events.waitFor('"event":"file-done"', TIMEOUT_MS).finally(() => {
      finished = true;
    });
    const deadline = performance.now() + TIMEOUT_MS;
    while (!finished && performance.now() < deadline) {
      await Bun.sleep(intervalMs);
      if (finished) break;
      written.push(performance.now());
      stdin.write(`chat line ${written.length} during the transfer\n`);
      await stdin.flush();
    }
    const doneLine = await done;
    const code = await withTimeout(client.exited, 30_000, "the sending client to exit");
    if (code !== 0) throw new Error(`the sending client exited ${code}: ${await errors}`);
    const got = await stat(join(received, "shaped-file"));
    if (got.size !== bytes) throw new Error(`the received file has ${got.size} bytes, not ${bytes}`);
    // The acks of the messages sent before the file was done (ids 1, 2, … in the order written).
    const rtts: number[] = [];
    const outside: number[] = [];
    for (const line of events.lines) {
      const match = /^\{"event":"ack","id":(\d+),"rtt_ms":([\d.]+)\}$/.exec(line.text);
      if (!match) continue;
      const id = Number(match[1]);
      const sentAt = written[id - 1];
      if (sentAt === undefined || sentAt > doneLine.at) continue;
      rtts.push(Number(match[2]));
      outside.push(line.at - sentAt);
    }
    const ms = doneLine.at - offer.at;
    return {
      bytes,
      ms,
      linkUse: (bytes * 8) / (ms / 1000) / (LINK_MBIT * 1e6),
      messages: rtts.length,
      rttP50Ms: median(rtts),
      rttP90Ms: percentile(rtts, 90),
      rttMaxMs: percentile(rtts, 100),
      outsideP50Ms: median(outside),
    };
  } finally {
    if (client) await group.stop(client);
    await group.stop(server);
  }
}
