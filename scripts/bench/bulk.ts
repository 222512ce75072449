import { rm } from "node:fs/promises";
import { join } from "node:path";
import { cleanEnv, programCommand, testEnv } from "../../tests/helpers/program.ts";
import { StampedLines } from "./lines.ts";
import { listeningPort, PeakWatcher, type ProcessGroup, peakRssBytes } from "./processes.ts";
import { withTimeout } from "./raw-client.ts";
import { median } from "./stats.ts";

/** Figure c: one large message, app to app, and the same bytes through nc. */
export interface BulkFigures {
  bytes: number;
  /** Version 1 (--no-encryption). */
  app: AppBulk;
  /** Version 2, the default. */
  appEncrypted: AppBulk;
  nc: { mbPerSecond: number; rounds: number[] } | { skipped: string };
}

interface AppBulk {
  mbPerSecond: number;
  receiverPeakRss: number;
  senderPeakRss: number;
  rounds: BulkRound[];
}

interface BulkRound {
  mbPerSecond: number;
  receiverPeakRss: number;
  senderPeakRss: number;
}

/** Bounds one transfer: even at 10 MB/s, 256 MiB takes under 30 s. */
const TIMEOUT_MS = 120_000;

/**
 * An app client in pipe mode whose stdin is one line of `bytes` bytes sends it to an app server in pipe
 * mode that writes it to /dev/null. Timed on the server's side, from its `connected` status line to its
 * `disconnected` one (the client leaves once its message is acknowledged), so the start-up of the client
 * process is not counted but everything from reading its stdin to the ACK is.
 */
export async function measureBulk(
  group: ProcessGroup,
  workDir: string,
  bytes: number,
  rounds: number,
): Promise<BulkFigures> {
  const input = join(workDir, "bulk-input");
  await writeLine(input, bytes);
  try {
    const app: BulkRound[] = [];
    const appEncrypted: BulkRound[] = [];
    for (let round = 0; round < rounds; round++) {
      app.push(await appRound(group, input, bytes, false));
      appEncrypted.push(await appRound(group, input, bytes, true));
    }
    const nc = Bun.which("nc")
      ? await ncRounds(group, input, bytes, rounds).catch((error: Error) => ({
          skipped: `nc failed (this bench drives OpenBSD netcat: -l, -N, -d): ${error.message}`,
        }))
      : { skipped: "nc is not installed" };
    return { bytes, app: summary(app), appEncrypted: summary(appEncrypted), nc };
  } finally {
    await rm(input, { force: true });
  }
}

function summary(rounds: BulkRound[]): AppBulk {
  return {
    mbPerSecond: median(rounds.map((r) => r.mbPerSecond)),
    receiverPeakRss: median(rounds.map((r) => r.receiverPeakRss)),
    senderPeakRss: median(rounds.map((r) => r.senderPeakRss)),
    rounds,
  };
}

/** A file holding one line: `bytes` bytes of `x`, then `\n`. Written in pieces, so the bench stays small. */
async function writeLine(path: string, bytes: number): Promise<void> {
  const piece = new Uint8Array(1024 * 1024).fill(0x78);
  const writer = Bun.file(path).writer();
  for (let left = bytes; left > 0; left -= piece.length) {
    writer.write(left >= piece.length ? piece : piece.subarray(0, left));
    await writer.flush();
  }
  writer.write(new Uint8Array([0x0a]));
  await writer.end();
}

async function appRound(
  group: ProcessGroup,
  input: string,
  bytes: number,
  encrypted: boolean,
): Promise<BulkRound> {
  // Encrypted: both sides given the same code. Not: both run version 1.
  const env = encrypted ? testEnv() : cleanEnv();
  const plain = encrypted ? [] : ["--no-encryption"];
  const server = group.start(
    [
      ...programCommand(),
      "server",
      "--host",
      "127.0.0.1",
      "--port",
      "0",
      "--max-message-size",
      String(bytes),
      ...plain,
    ],
    { stdout: Bun.file("/dev/null"), stderr: "pipe", env },
  );
  try {
    const lines = new StampedLines(server.stderr as ReadableStream<Uint8Array>);
    const port = await listeningPort(server);
    const client = group.start([...programCommand(), "client", `127.0.0.1:${port}`, ...plain], {
      stdin: Bun.file(input),
      stderr: "pipe",
      env,
    });
    const senderPeak = new PeakWatcher(client.pid);
    const clientErrors = new Response(client.stderr as ReadableStream<Uint8Array>).text();
    const connected = await lines.waitFor("connected to", TIMEOUT_MS);
    const disconnected = await lines.waitFor("disconnected", TIMEOUT_MS);
    const code = await withTimeout(client.exited, TIMEOUT_MS, "the bulk client to exit");
    const stats = await lines.waitFor("received", 5000);
    if (code !== 0 || !stats.text.includes("received 1 (")) {
      throw new Error(
        `bulk transfer failed: client exit ${code}; ${await clientErrors}; server: ${stats.text}`,
      );
    }
    return {
      mbPerSecond: bytes / 1e6 / ((disconnected.at - connected.at) / 1000),
      receiverPeakRss: peakRssBytes(server.pid),
      senderPeakRss: senderPeak.stop(),
    };
  } finally {
    await group.stop(server);
  }
}

/** The same bytes from file to /dev/null through two nc processes, timed from the sender's start. */
async function ncRounds(group: ProcessGroup, input: string, bytes: number, rounds: number) {
  const results: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const receiver = group.start(["nc", "-l", "-n", "-d", "127.0.0.1", "0"], {
      stdout: Bun.file("/dev/null"),
    });
    try {
      const port = await listeningPort(receiver);
      const started = performance.now();
      const sender = group.start(["nc", "-N", "-n", "127.0.0.1", String(port)], { stdin: Bun.file(input) });
      await withTimeout(receiver.exited, TIMEOUT_MS, "nc to receive the bulk bytes");
      results.push(bytes / 1e6 / ((performance.now() - started) / 1000));
      await group.stop(sender);
    } finally {
      await group.stop(receiver);
    }
  }
  return { mbPerSecond: median(results), rounds: results };
}
