#!/usr/bin/env bun
/**
 * The benchmark (see BENCH_USAGE): the app's server side by side with a runtime floor and a native floor,
 * then a bulk transfer and the compiled executable's start-up. Prints a Markdown table and writes
 * bench-results.json. Every process it starts is stopped at the end, also on failure or Ctrl-C.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { cpus, loadavg, tmpdir } from "node:os";
import { join, relative } from "node:path";
import { programCommand, ROOT } from "../tests/helpers/program.ts";
import { measureBulk } from "./bench/bulk.ts";
import { measureFileBulk, measureShapedLink } from "./bench/files.ts";
import { measureHandshakes, measureMessaging } from "./bench/messaging.ts";
import { BENCH_USAGE, type BenchOptions, MESSAGE_SIZE, parseBenchOptions } from "./bench/options.ts";
import { ProcessGroup } from "./bench/processes.ts";
import { type BenchResults, renderMarkdown } from "./bench/report.ts";
import {
  type ServerUnderTest,
  startAppServer,
  startNativeFloor,
  startRuntimeFloor,
} from "./bench/servers.ts";
import { buildHelloWorld, findExecutable, measureStartup } from "./bench/startup.ts";

const PINNED_MARK = "CHAT121_BENCH_PINNED";
const RESULTS_FILE = join(ROOT, "bench-results.json");
/** How often the sender of the shaped-link transfer sends a chat message. */
const SHAPED_MESSAGE_INTERVAL_MS = 100;

async function main(argv: string[]): Promise<number> {
  let options: BenchOptions | "help";
  try {
    options = parseBenchOptions(argv);
  } catch (error) {
    process.stderr.write(`bench: ${(error as Error).message}\n${BENCH_USAGE}`);
    return 2;
  }
  if (options === "help") {
    process.stdout.write(BENCH_USAGE);
    return 0;
  }
  if (!existsSync("/proc/net/tcp")) {
    // The servers' ports and peak memory are read from /proc.
    process.stderr.write("bench: this benchmark runs on Linux only (it reads /proc)\n");
    return 1;
  }
  // Everything on CPU 0 (this process and all it starts): a wake-up across vCPUs costs more than what
  // is being measured.
  const taskset = Bun.which("taskset");
  if (taskset && !process.env[PINNED_MARK] && Bun.spawnSync([taskset, "-c", "0", "true"]).exitCode === 0) {
    return runPinned(taskset, argv);
  }
  return bench(
    options,
    process.env[PINNED_MARK]
      ? "client and servers pinned to CPU 0 (taskset)"
      : "not pinned (taskset unavailable)",
  );
}

/** Runs this script again under `taskset -c 0` and passes on its exit status (and Ctrl-C). */
async function runPinned(taskset: string, argv: string[]): Promise<number> {
  const child = Bun.spawn([taskset, "-c", "0", process.execPath, import.meta.path, ...argv], {
    stdio: ["inherit", "inherit", "inherit"],
    env: { ...process.env, [PINNED_MARK]: "1" },
  });
  const forward = (signal: NodeJS.Signals) => () => child.kill(signal);
  process.on("SIGINT", forward("SIGINT"));
  process.on("SIGTERM", forward("SIGTERM"));
  return child.exited;
}

async function bench(options: BenchOptions, pinned: string): Promise<number> {
  const group = new ProcessGroup();
  const workDir = mkdtempSync(join(tmpdir(), "121chat-bench-"));
  const cleanUp = async () => {
    await group.stopAll();
    rmSync(workDir, { recursive: true, force: true });
  };
  const interrupted = () => void cleanUp().then(() => process.exit(130));
  process.on("SIGINT", interrupted);
  process.on("SIGTERM", interrupted);
  const loadAtStart = loadavg()[0] as number;
  const log = (text: string) => process.stderr.write(`bench: ${text}\n`);

  try {
    const results: BenchResults = {
      date: new Date().toISOString(),
      bun: Bun.version,
      app: programCommand()
        .map((part) => relative(ROOT, part) || part)
        .join(" "),
      pinned,
      rounds: options.rounds,
      quick: options.quick,
      load: { start: loadAtStart, end: loadAtStart, cpus: cpus().length },
    };
    if (options.sections.has("messaging")) {
      log(
        `messaging: ${options.rounds} rounds of ${options.roundTrips} round trips and ${options.pipelined} pipelined`,
      );
      const app = await startAppServer(group, false);
      const encrypted = await startAppServer(group, true);
      const runtime = await startRuntimeFloor(group);
      const runtimeEncrypted = await startRuntimeFloor(group, true);
      const native = await startNativeFloor(group, workDir);
      const servers: ServerUnderTest[] = [
        app,
        encrypted,
        runtime,
        runtimeEncrypted,
        ...("skipped" in native ? [] : [native]),
      ];
      const messaging = await measureMessaging(servers, options);
      log(`handshakes: ${options.handshakes} with the encrypted app server`);
      const handshakes = await measureHandshakes(encrypted, options.handshakes);
      for (const server of servers) await group.stop(server.proc);
      const figuresOf = (name: ServerUnderTest["name"]) => {
        const figures = messaging.get(name);
        if (!figures) throw new Error(`no figures for the ${name}`);
        return figures;
      };
      results.messaging = {
        messageBytes: MESSAGE_SIZE,
        roundTrips: options.roundTrips,
        pipelined: options.pipelined,
        app: figuresOf("app"),
        appEncrypted: figuresOf("app, encrypted"),
        handshakes,
        runtimeFloor: figuresOf("runtime floor"),
        runtimeFloorEncrypted: figuresOf("runtime floor, encrypted"),
        nativeFloor: "skipped" in native ? native : figuresOf("native floor"),
      };
    }

    if (options.sections.has("bulk")) {
      log(`bulk: ${options.rounds} rounds of one ${options.bulkBytes / 1024 / 1024} MiB message`);
      results.bulk = await measureBulk(group, workDir, options.bulkBytes, options.rounds);
    }

    if (options.sections.has("startup")) {
      const executable = findExecutable();
      results.startup = {
        skipped: "no compiled executable: run `npm run build -- --target host` or set CHAT121_BIN",
      };
      if (executable) {
        log(
          `start-up: ${options.startups} runs each of ${relative(ROOT, executable)} and a compiled hello-world`,
        );
        const hello = await buildHelloWorld(workDir);
        results.startup = await measureStartup(group, executable, hello, options.startups);
      }
    }

    if (options.sections.has("files")) {
      log(
        `files: ${options.fileRounds} rounds of a ${options.fileBytes / 1024 / 1024} MiB file over loopback, app and nc, ` +
          "on CPU 0 and on every CPU",
      );
      const fileLoad = loadavg()[0] as number;
      const fileBulk = await measureFileBulk(group, workDir, options.fileBytes, options.fileRounds, [
        "cpu0",
        "all",
      ]);
      log(
        `shaped link: ${options.shapedRounds} rounds of a ${options.shapedBytes / 1e6} MB file at 20 Mbit/s`,
      );
      const shaped = await measureShapedLink(
        group,
        workDir,
        options.shapedBytes,
        options.shapedRounds,
        SHAPED_MESSAGE_INTERVAL_MS,
      );
      results.files = { load: fileLoad, bulk: fileBulk, shaped };
    }
    results.load.end = loadavg()[0] as number;

    process.stdout.write(renderMarkdown(results));
    await writeFile(RESULTS_FILE, `${JSON.stringify(results, null, 2)}\n`);
    log(`figures written to ${relative(ROOT, RESULTS_FILE)}`);
    return 0;
  } finally {
    await cleanUp();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => {
    process.stderr.write(
      `bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  },
);
