#!/usr/bin/env bun
import { writeSync } from "node:fs";
import { exitAfterFlush } from "./app/exit.ts";
import { type Config, parseCommandLine } from "./cli/args.ts";
import { HELP } from "./cli/help.ts";
import { UsageError } from "./cli/usage-error.ts";
import { versionLine } from "./cli/version.ts";

/** Reads the command line, asks for what is missing (on a terminal only), and runs the chosen mode. */
async function main(argv: string[]): Promise<number> {
  let config: Config;
  try {
    const invocation = parseCommandLine(argv, process.env);
    if (invocation.action === "help") printAndExit(HELP);
    if (invocation.action === "version") printAndExit(`${versionLine()}\n`);
    config = invocation.config;
    const missing =
      config.mode === undefined ? "mode" : config.mode === "client" && !config.host ? "host" : null;
    if (missing) {
      if (config.json || !process.stdin.isTTY || !process.stdout.isTTY) {
        throw new UsageError(
          missing === "mode"
            ? "no mode given: use '121chat server' or '121chat client HOST[:PORT]' (prompts need a terminal)"
            : "no host given: use '121chat client HOST[:PORT]' or set IP_ADDR (prompts need a terminal)",
        );
      }
      // Loaded only here, so that paths without prompts never load the prompt library.
      const { askMissing } = await import("./ui/prompts.ts");
      const answered = await askMissing(config);
      if (!answered) return 0;
      config = answered;
    }
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`121chat: ${error.message}\nTry '121chat --help' for more information.\n`);
    return 2;
  }
  // The modes (sockets, front ends, readline, colours) are loaded only when one runs.
  if (config.mode === "server") return (await import("./app/server-mode.ts")).runServerMode(config);
  return (await import("./app/client-mode.ts")).runClientMode(config);
}

/**
 * --help and --version: written straight to the file descriptor, then exit. process.stdout is set up on its
 * first use, and that alone cost more than everything else `121chat --version` does (docs/performance.md).
 */
function printAndExit(text: string): never {
  try {
    let bytes = Buffer.from(text);
    while (bytes.length > 0) bytes = bytes.subarray(writeSync(1, bytes));
  } catch {
    // stdout is closed (`121chat --help | head -1`): nobody is left to read the rest.
  }
  process.exit(0);
}

main(process.argv.slice(2)).then(exitAfterFlush, (error) => {
  process.stderr.write(
    `121chat: internal error: ${error instanceof Error ? (error.stack ?? error.message) : error}\n`,
  );
  return exitAfterFlush(1);
});
