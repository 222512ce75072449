import { mkdir, readdir, rm } from "node:fs/promises";
import { join, relative, resolve } from "node:path";
import pkg from "../package.json" with { type: "json" };
import { BUILD_HELP, BuildUsageError, parseBuildArgs } from "./build-options.ts";
import { CHECKSUMS_FILE, writeChecksums } from "./checksums.ts";
import { describeCommit } from "./git-commit.ts";
import { bunTarget, DIST_DIR, executableName, hostTarget, type TargetName } from "./targets.ts";

/**
 * Builds the standalone executables (see BUILD_HELP). Each one is the Bun runtime with the program
 * bundled in, minified and precompiled to bytecode: bytecode takes JavaScript parsing off every start
 * (measured: `--version` in ~9 ms instead of ~22 ms) for ~2 % more file size.
 */
const ROOT = resolve(import.meta.dir, "..");
const DIST = join(ROOT, DIST_DIR);
const PREFIX = "121chat-";

async function main(args: string[]): Promise<number> {
  let request: ReturnType<typeof parseBuildArgs>;
  try {
    request = parseBuildArgs(args);
  } catch (error) {
    if (!(error instanceof BuildUsageError)) throw error;
    process.stderr.write(`build: ${error.message}\nTry 'bun run build --help' for more information.\n`);
    return 2;
  }
  if (request.help) {
    process.stdout.write(BUILD_HELP);
    return 0;
  }

  const commit = describeCommit(ROOT);
  console.log(`121chat ${pkg.version} (${commit}): building ${request.targets.join(", ")}`);
  await mkdir(DIST, { recursive: true });
  if (request.all) await removeEarlierBuilds();

  for (const target of request.targets) {
    const started = performance.now();
    const outfile = join(DIST, executableName(target));
    await buildExecutable(target, outfile, commit);
    const bytes = Bun.file(outfile).size;
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    console.log(`  ${relative(ROOT, outfile).padEnd(32)} ${formatSize(bytes)}  (${seconds} s)`);
  }

  const sums = await writeChecksums(DIST, PREFIX);
  console.log(`  ${`${DIST_DIR}/${CHECKSUMS_FILE}`.padEnd(32)} ${sums.length} executables`);

  const host = hostTarget();
  if (host && request.targets.includes(host)) await checkRuns(join(DIST, executableName(host)), commit);
  return 0;
}

/** One executable. Throws (with Bun's messages) when the build fails. */
async function buildExecutable(target: TargetName, outfile: string, commit: string): Promise<void> {
  const result = await Bun.build({
    entrypoints: [join(ROOT, "src/main.ts")],
    target: "bun",
    format: "esm",
    minify: true,
    bytecode: true,
    // The prompt library goes into a chunk of its own, loaded only when something is to be asked (~1 ms
    // off every other start). Not on Windows: there no test can run the prompts (they need tmux), and
    // without splitting the library is still evaluated only when asked for, just loaded with the rest.
    splitting: !target.startsWith("windows-"),
    // Embedded in the executable (a few hundred KB), so an internal error's stack names src/ lines.
    sourcemap: "linked",
    define: { BUILD_COMMIT: JSON.stringify(commit) },
    compile: {
      target: bunTarget(target),
      outfile,
      // The program reads its own settings only: a .env or bunfig.toml in the user's current directory
      // must not change the port or the mode (and reading them would cost start-up time).
      autoloadDotenv: false,
      autoloadBunfig: false,
      autoloadTsconfig: false,
      autoloadPackageJson: false,
    },
  });
  // The source maps are inside the executable; the copies written next to it are not for release.
  for (const output of result.outputs) {
    if (output.kind === "sourcemap") await rm(output.path, { force: true });
  }
}

/** A full build replaces everything an earlier one left, so dist/ holds exactly one release. */
async function removeEarlierBuilds(): Promise<void> {
  for (const name of await readdir(DIST)) {
    if (name.startsWith(PREFIX) || name === CHECKSUMS_FILE) await rm(join(DIST, name), { force: true });
  }
}

/** Runs the host's executable once: a build that does not start must not pass for a release. */
async function checkRuns(executable: string, commit: string): Promise<void> {
  const run = Bun.spawnSync([executable, "--version"], { stdout: "pipe", stderr: "pipe" });
  const output = run.stdout.toString().trim();
  if (run.exitCode !== 0 || !output.startsWith(`121chat ${pkg.version} (${commit},`)) {
    throw new Error(
      `${relative(ROOT, executable)} --version failed (exit ${run.exitCode}): ${output} ${run.stderr.toString()}`,
    );
  }
  console.log(`  ${relative(ROOT, executable)} --version: ${output}`);
}

function formatSize(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB (${bytes.toLocaleString("en-US")} bytes)`;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => {
    process.stderr.write(`build failed: ${error instanceof Error ? error.message : String(error)}\n`);
    if (error instanceof AggregateError) {
      for (const inner of error.errors) process.stderr.write(`  ${String(inner)}\n`);
    }
    process.exit(1);
  },
);
