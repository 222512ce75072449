import { existsSync, readdirSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { cleanEnv, ROOT } from "../../tests/helpers/program.ts";
import { executableName, hostTarget } from "../targets.ts";
import type { ProcessGroup } from "./processes.ts";
import { withTimeout } from "./raw-client.ts";
import { median } from "./stats.ts";

/** Figure d: start-up of the compiled executable against a compiled hello-world, in ms (medians). */
export interface StartupFigures {
  executable: string;
  versionMs: number;
  helloMs: number;
  /** Time from spawn to the `listening` event on stdout. */
  listeningMs: number;
  /** Time from spawn to the hello-world's line on stdout (the same kind of wait as `listening`). */
  helloOutputMs: number;
  /** The cost of starting any process from the benchmark: /bin/true, spawn to exit. */
  trueMs: number;
  /** Set when the executable is older than the source: its figures are not those of this checkout. */
  stale?: string;
}

/** The compiled executable under test: CHAT121_BIN, else this machine's build in dist/, else null. */
export function findExecutable(): string | null {
  const named = process.env.CHAT121_BIN;
  if (named) return resolve(ROOT, named);
  const host = hostTarget();
  const built = host ? join(ROOT, "dist", executableName(host)) : null;
  return built && existsSync(built) ? built : null;
}

/** A warning when a file under src/ is newer than `executable`, which then is not what the source says. */
export function staleness(executable: string): string | undefined {
  const built = statSync(executable).mtimeMs;
  const newer = readdirSync(join(ROOT, "src"), { recursive: true, encoding: "utf8" }).filter((file) => {
    const stat = statSync(join(ROOT, "src", file));
    return stat.isFile() && stat.mtimeMs > built;
  });
  if (newer.length === 0) return undefined;
  return `${newer.length} file(s) in src/ changed since the executable was built (e.g. src/${newer[0]}): rebuild with \`npm run build -- --target host\``;
}

/**
 * Compiles `console.log("hello")` the way scripts/build.ts compiles the program (minified, bytecode, no
 * autoloaded config files), so the two differ only in what the program does at start-up.
 */
export async function buildHelloWorld(workDir: string): Promise<string> {
  const source = join(workDir, "hello.ts");
  const outfile = join(workDir, "hello");
  await Bun.write(source, 'console.log("hello");\n');
  const result = await Bun.build({
    entrypoints: [source],
    target: "bun",
    format: "esm",
    minify: true,
    bytecode: true,
    compile: {
      outfile,
      autoloadDotenv: false,
      autoloadBunfig: false,
      autoloadTsconfig: false,
      autoloadPackageJson: false,
    },
  });
  if (!result.success) throw new Error(`hello-world build failed: ${result.logs.join("; ")}`);
  return outfile;
}

export async function measureStartup(
  group: ProcessGroup,
  executable: string,
  hello: string,
  runs: number,
): Promise<StartupFigures> {
  const version: number[] = [];
  const helloExit: number[] = [];
  const listening: number[] = [];
  const helloOutput: number[] = [];
  const trueExit: number[] = [];
  // Interleaved, so that a slow moment of the machine is shared out evenly.
  for (let run = 0; run < runs; run++) {
    version.push(await timeToExit(group, [executable, "--version"]));
    helloExit.push(await timeToExit(group, [hello]));
    trueExit.push(await timeToExit(group, ["/bin/true"]));
    listening.push(
      await timeToOutput(
        group,
        [executable, "server", "--json", "--host", "127.0.0.1", "--port", "0"],
        '"listening"',
      ),
    );
    helloOutput.push(await timeToOutput(group, [hello], "hello"));
  }
  return {
    executable,
    versionMs: median(version),
    helloMs: median(helloExit),
    listeningMs: median(listening),
    helloOutputMs: median(helloOutput),
    trueMs: median(trueExit),
    stale: staleness(executable),
  };
}

/** Ms from spawn to exit; the output goes to /dev/null. */
async function timeToExit(group: ProcessGroup, command: string[]): Promise<number> {
  const started = performance.now();
  const proc = group.start(command, { stdout: Bun.file("/dev/null"), env: cleanEnv() });
  const code = await withTimeout(proc.exited, 10_000, `${command.join(" ")} to exit`);
  const ms = performance.now() - started;
  if (code !== 0) throw new Error(`${command.join(" ")} exited with ${code}`);
  return ms;
}

/** Ms from spawn until stdout has carried `text`; the process is then stopped. */
async function timeToOutput(group: ProcessGroup, command: string[], text: string): Promise<number> {
  const started = performance.now();
  const proc = group.start(command, { stdout: "pipe", env: cleanEnv() });
  try {
    const seen = (async () => {
      const decoder = new TextDecoder();
      let output = "";
      for await (const chunk of proc.stdout as ReadableStream<Uint8Array>) {
        output += decoder.decode(chunk, { stream: true });
        if (output.includes(text)) return performance.now() - started;
      }
      throw new Error(`${command.join(" ")} ended without printing ${text}: ${output}`);
    })();
    return await withTimeout(seen, 10_000, `${command.join(" ")} to print ${text}`);
  } finally {
    await group.stop(proc);
  }
}
