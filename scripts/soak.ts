#!/usr/bin/env bun
/**
 * Soak: the real server and client, as two processes in JSON mode, pushing random messages both ways for a
 * while; then every message is checked (delivered byte for byte, acknowledged exactly once), memory must have
 * stayed flat, and the round-trip percentiles are printed. With --chaos the client goes through a relay that
 * cuts the connection every 1–3 s: the session must resume each time and lose, duplicate or corrupt nothing.
 * Exits 1 on any fault. See SOAK_USAGE.
 */
import { readFileSync } from "node:fs";
import { generateCode } from "../src/secure/code.ts";
import { CuttingRelay } from "../tests/helpers/cutting-relay.ts";
import { newSeed, seeded } from "../tests/helpers/seeded.ts";
import { waitUntil } from "../tests/helpers/wait.ts";
import { type Side, SoakBooks } from "./soak/books.ts";
import { EventProcess } from "./soak/event-process.ts";
import { cpuSeconds, rssBytes, SAMPLES_PER_SECOND } from "./soak/memory.ts";
import {
  CHAOS_MAX_MS,
  CHAOS_MIN_MS,
  parseSoakOptions,
  SOAK_USAGE,
  type SoakOptions,
} from "./soak/options.ts";
import { makeBatch } from "./soak/payloads.ts";
import { mib, reportChaos, reportDeliveries, reportMemory, reportRoundTrips } from "./soak/report.ts";

const HOST = "127.0.0.1";
/** Flow control: what was written to a program's stdin and not yet reported `sent` stays below these. */
const MAX_UNSENT_BYTES = 8 * 1024 * 1024;
const MIN_UNSENT_LINES = 1000;
/** After the sending stops, how long every message may take to be delivered and acknowledged. */
const DRAIN_TIMEOUT_MS = 60_000;
const START_TIMEOUT_MS = 15_000;

interface Programs {
  server: EventProcess;
  client: EventProcess;
  /** With --chaos: the relay between them, and its cutting. */
  relay?: CuttingRelay;
  chaos?: { stop(): void };
}

async function soak(options: SoakOptions): Promise<number> {
  const perDirection = options.rate / 2;
  const books = new SoakBooks(Math.ceil(perDirection * options.seconds * 1.05) + 1024);
  const seed = options.seed ?? newSeed();
  console.log(
    `121chat soak: ${options.seconds} s at a target of ${options.rate} messages/s in total ` +
      `(${perDirection} each way), server and client on ${HOST}` +
      (options.chaos
        ? `, through a relay that cuts the connection every ${CHAOS_MIN_MS / 1000}–${CHAOS_MAX_MS / 1000} s ` +
          `(--chaos --seed ${seed})`
        : ""),
  );
  const programs: Partial<Programs> = {};
  try {
    const { server, client } = await startPrograms(books, programs, options.chaos);
    if (programs.relay) {
      programs.chaos = programs.relay.chaos({
        minMs: CHAOS_MIN_MS,
        maxMs: CHAOS_MAX_MS,
        random: seeded(seed),
      });
    }
    const cpuBefore = {
      server: cpuSeconds(server.pid),
      client: cpuSeconds(client.pid),
      driver: process.cpuUsage(),
    };

    const sending = await sendAtRate(books, { server, client }, options);
    const drainStart = performance.now();
    await waitUntil(
      () => books.settled || sessionBroke(books, { server, client }),
      "every message is delivered and acknowledged",
      { timeoutMs: DRAIN_TIMEOUT_MS, everyMs: 10 },
    ).catch((error: Error) => books.problems.push(error.message));
    const drainS = (performance.now() - drainStart) / 1000;
    if (programs.chaos) await stopChaos(books, programs as Programs);
    const driverCpu = process.cpuUsage(cpuBefore.driver);
    const cpu = {
      server: cpuSeconds(server.pid) - cpuBefore.server,
      client: cpuSeconds(client.pid) - cpuBefore.client,
      driver: (driverCpu.user + driverCpu.system) / 1e6,
    };
    await endCleanly(books, { server, client });

    const rate = books.written / sending.seconds;
    console.log("");
    console.log(
      `sent for ${sending.seconds.toFixed(1)} s, drained in ${drainS.toFixed(2)} s: ${books.written} messages, ` +
        `${mib(books.writtenBytes)}; ${rate.toFixed(0)} messages/s (${(rate / 2).toFixed(0)} each way), ` +
        `${mib(books.writtenBytes / sending.seconds)}/s`,
    );
    console.log(
      `CPU over the run: server ${cpu.server.toFixed(1)} s, client ${cpu.client.toFixed(1)} s, soak driver ` +
        `${cpu.driver.toFixed(1)} s (in ${(sending.seconds + drainS).toFixed(1)} s; ${navigator.hardwareConcurrency} CPUs, ` +
        `load average ${loadAverage()}); the driver was held back by the programs' flow control ` +
        `${sending.throttled} times in ${sending.rounds} rounds`,
    );
    if (rate < options.rate * 0.95) {
      console.log(
        `RATE NOT REACHED: ${rate.toFixed(0)} of ${options.rate} messages/s ` +
          "(the CPU line shows which process was busiest)",
      );
    }
    console.log("");
    books.problems.push(...reportDeliveries(books.directions));
    console.log("");
    books.problems.push(...reportMemory(sending.rss));
    console.log("");
    reportRoundTrips(books.directions);
    if (programs.relay) {
      console.log("");
      books.problems.push(...reportChaos(programs.relay.cuts, books));
    }
  } catch (error) {
    books.problems.push(error instanceof Error ? error.message : String(error));
  } finally {
    programs.chaos?.stop();
    programs.relay?.close();
    programs.server?.kill("SIGKILL");
    programs.client?.kill("SIGKILL");
  }

  console.log("");
  if (books.problems.length === 0) {
    const drops = programs.relay ? `, ${programs.relay.cuts.length} dropped connections survived` : "";
    console.log(
      `PASS: 0 lost, 0 duplicated, 0 corrupted, every message acknowledged exactly once, memory flat${drops}`,
    );
    return 0;
  }
  console.log("FAIL:");
  for (const problem of books.problems) console.log(`  - ${problem}`);
  return 1;
}

/**
 * Starts the server, reads its port, starts the client (through a cutting relay, with chaos); resolves once
 * both report `connected`. Both get the same code, drawn for this run: they talk version 2, encrypted, as
 * users' programs do.
 */
async function startPrograms(
  books: SoakBooks,
  started: Partial<Programs>,
  chaos: boolean,
): Promise<Programs> {
  const record = (side: Side) => (event: Parameters<SoakBooks["record"]>[1]) => books.record(side, event);
  const env = { CHAT121_CODE: generateCode() };
  const server = new EventProcess(["server", "--host", HOST, "--port", "0"], record("server"), env);
  started.server = server;
  await waitUntil(() => books.events("server", "listening").length > 0, "the server has reported listening", {
    timeoutMs: START_TIMEOUT_MS,
    everyMs: 10,
  });
  let port = books.events("server", "listening")[0]?.port as number;
  if (chaos) {
    started.relay = new CuttingRelay({ host: HOST, port });
    port = started.relay.port;
  }
  const client = new EventProcess(["client", `${HOST}:${port}`], record("client"), env);
  started.client = client;
  await waitUntil(
    () => books.events("server", "connected").length > 0 && books.events("client", "connected").length > 0,
    "both sides have reported connected",
    { timeoutMs: START_TIMEOUT_MS, everyMs: 10 },
  );
  return { server, client };
}

/**
 * Writes random lines to both programs' stdin at the target rate for the given time, as far as they keep
 * up: what is written and not yet reported `sent` is bounded, so a program that falls behind holds the
 * driver back instead of being buried. Samples both processes' RSS SAMPLES_PER_SECOND times a second.
 */
async function sendAtRate(books: SoakBooks, programs: Programs, options: SoakOptions) {
  const perDirection = options.rate / 2;
  const maxUnsentLines = Math.max(MIN_UNSENT_LINES, perDirection);
  const perWrite = Math.max(1, Math.ceil(perDirection / 100)); // at most 10 ms worth in one write
  const rss = { server: [] as number[], client: [] as number[] };
  const sample = () => {
    rss.server.push(rssBytes(programs.server.pid));
    rss.client.push(rssBytes(programs.client.pid));
  };
  const start = performance.now();
  const endAt = start + options.seconds * 1000;
  const sampleEveryMs = 1000 / SAMPLES_PER_SECOND;
  let nextSample = start + sampleEveryMs;
  let nextProgress = start + 5000;
  let throttled = 0;
  let rounds = 0;
  while (performance.now() < endAt && !sessionBroke(books, programs)) {
    const elapsedS = (performance.now() - start) / 1000;
    for (const side of ["client", "server"] as const) {
      const ledger = books.outgoing(side);
      const due = Math.floor(perDirection * elapsedS) - ledger.written;
      if (due <= 0) continue;
      const count = Math.min(due, perWrite, maxUnsentLines - ledger.unsentLines);
      if (count <= 0 || ledger.unsentBytes >= MAX_UNSENT_BYTES) {
        throttled++;
        continue;
      }
      const batch = makeBatch(count);
      for (let i = 0; i < count; i++)
        ledger.recordWritten(batch.hashes[i] as Uint8Array, batch.sizes[i] as number);
      programs[side].write(batch.bytes);
    }
    rounds++;
    const now = performance.now();
    if (now >= nextSample) {
      nextSample += sampleEveryMs;
      sample();
    }
    if (now >= nextProgress) {
      nextProgress += 5000;
      const s = (now - start) / 1000;
      console.log(
        `  ${s.toFixed(0).padStart(4)} s: ${(books.written / s).toFixed(0)} msg/s written, ${books.acked} acked, ` +
          `${books.written - books.acked} in flight; RSS server ${mib(rss.server.at(-1) ?? 0)}, ` +
          `client ${mib(rss.client.at(-1) ?? 0)}`,
      );
    }
    await Bun.sleep(1);
  }
  const seconds = (performance.now() - start) / 1000;
  if (rss.server.length < Math.floor(seconds * SAMPLES_PER_SECOND)) sample(); // the last tick
  if (sessionBroke(books, programs)) books.problems.push("the session ended while messages were being sent");
  return { seconds, throttled, rounds, rss };
}

/**
 * Stops the cutting, then waits until both sides have resumed from the last drop: the goodbye must go over a
 * live connection (a BYE lost to a cut would leave the server holding the session for its window).
 */
async function stopChaos(books: SoakBooks, programs: Programs): Promise<void> {
  programs.chaos?.stop();
  const resumedAll = (side: Side) =>
    books.events(side, "resumed").length === books.events(side, "connection-lost").length;
  await waitUntil(
    () => (resumedAll("client") && resumedAll("server")) || sessionBroke(books, programs),
    "both sides have resumed after the last cut",
    { timeoutMs: 30_000, everyMs: 10 },
  ).catch((error: Error) => books.problems.push(error.message));
}

/** The client leaves at the end of its input (exit 0: all acknowledged); the server is stopped (exit 0). */
async function endCleanly(books: SoakBooks, { server, client }: Programs): Promise<void> {
  client.endInput();
  const clientCode = await client.finished(15_000);
  await waitUntil(
    () => books.events("server", "disconnected").length > 0,
    "the server reports the client's goodbye",
    { timeoutMs: 10_000, everyMs: 10 },
  ).catch((error: Error) => books.problems.push(error.message));
  server.kill("SIGTERM");
  const serverCode = await server.finished(10_000);
  await Promise.all([server.done, client.done]);
  if (clientCode !== 0) books.problems.push(`the client exited ${clientCode}: ${client.stderrTail}`);
  if (serverCode !== 0) books.problems.push(`the server exited ${serverCode}: ${server.stderrTail}`);
  for (const [side, kind] of [
    ["server", "peer-bye"],
    ["client", "bye"],
  ] as const) {
    const ends = books.events(side, "disconnected");
    if (ends.length !== 1 || ends[0]?.kind !== kind) {
      books.problems.push(`${side}: expected one '${kind}' disconnect, saw ${JSON.stringify(ends)}`);
    }
  }
}

function sessionBroke(books: SoakBooks, { server, client }: Programs): boolean {
  return (
    server.exitCode !== null ||
    client.exitCode !== null ||
    books.events("server", "disconnected").length > 0 ||
    books.events("client", "disconnected").length > 0
  );
}

function loadAverage(): string {
  try {
    return readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
  } catch {
    return "unknown";
  }
}

async function main(argv: string[]): Promise<number> {
  let options: SoakOptions | "help";
  try {
    options = parseSoakOptions(argv);
  } catch (error) {
    process.stderr.write(`soak: ${(error as Error).message}\n${SOAK_USAGE}`);
    return 2;
  }
  if (options === "help") {
    process.stdout.write(SOAK_USAGE);
    return 0;
  }
  return soak(options);
}

process.exitCode = await main(process.argv.slice(2));
