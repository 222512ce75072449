#!/usr/bin/env bun
import { runClientMode } from "./app/client-mode.ts";
import { exitAfterFlush } from "./app/exit.ts";
import { runServerMode } from "./app/server-mode.ts";
import { type Config, parseCommandLine } from "./cli/args.ts";
import { HELP } from "./cli/help.ts";
import { UsageError } from "./cli/usage-error.ts";
import { versionLine } from "./cli/version.ts";

/** Reads the command line, asks for what is missing (on a terminal only), and runs the chosen mode. */
async function main(argv: string[]): Promise<number> {
  let config: Config;
  try {
    const invocation = parseCommandLine(argv, process.env);
    if (invocation.action === "help") {
      process.stdout.write(HELP);
      return 0;
    }
    if (invocation.action === "version") {
      process.stdout.write(`${versionLine()}\n`);
      return 0;
    }
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
  return config.mode === "server" ? runServerMode(config) : runClientMode(config);
}

main(process.argv.slice(2)).then(exitAfterFlush, (error) => {
  process.stderr.write(
    `121chat: internal error: ${error instanceof Error ? (error.stack ?? error.message) : error}\n`,
  );
  return exitAfterFlush(1);
});
