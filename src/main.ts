#!/usr/bin/env bun
import { writeSync } from "node:fs";
import { exitAfterFlush } from "./app/exit.ts";
import { type Config, parseCommandLine } from "./cli/args.ts";
import { checkDownloadDir, checkSendPath } from "./cli/download-dir.ts";
import { HELP } from "./cli/help.ts";
import { UsageError } from "./cli/usage-error.ts";
import { versionLine } from "./cli/version.ts";

const MISSING = {
  mode: "no mode given: use '121chat server' or '121chat client HOST[:PORT]' (prompts need a terminal)",
  host: "no host given: use '121chat client HOST[:PORT]' or set IP_ADDR (prompts need a terminal)",
  code:
    "no code given: set CHAT121_CODE or use --code-file PATH with the code the server shows " +
    "(prompts need a terminal; --no-encryption on both sides runs without one)",
};

/** Reads the command line, asks for what is missing (on a terminal only), and runs the chosen mode. */
async function main(argv: string[]): Promise<number> {
  let config: Config;
  let code: string | null;
  try {
    const invocation = parseCommandLine(argv, process.env);
    if (invocation.action === "help") printAndExit(HELP);
    if (invocation.action === "version") printAndExit(`${versionLine()}\n`);
    config = invocation.config;
    const client = config.mode === "client";
    const missing =
      config.mode === undefined
        ? "mode"
        : client && !config.host
          ? "host"
          : client && config.encryption && config.code === undefined
            ? "code"
            : null;
    let typedCode: string | undefined;
    if (missing) {
      if (config.json || !process.stdin.isTTY || !process.stdout.isTTY)
        throw new UsageError(MISSING[missing]);
      // Loaded only here, so that paths without prompts never load the prompt library.
      const { askMissing } = await import("./ui/prompts.ts");
      const answered = await askMissing(config);
      if (!answered) return 0;
      ({ typedCode, ...config } = answered);
    }
    code = config.encryption ? (typedCode ?? (await readCode(config))) : null;
    // Files go over version 2 only: a --download-dir that cannot be used is a usage error now, not at the
    // first file. From here on, downloadDir is the resolved folder.
    if (config.encryption) config.downloadDir = checkDownloadDir(config.downloadDir);
    checkSendPath(config.send);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`121chat: ${error.message}\nTry '121chat --help' for more information.\n`);
    return 2;
  }
  // The modes (sockets, front ends, readline, colours) are loaded only when one runs.
  if (config.mode === "server") return (await import("./app/server-mode.ts")).runServerMode(config, code);
  return (await import("./app/client-mode.ts")).runClientMode(config, code);
}

/** The code given in CHAT121_CODE or --code-file; null when none was (a server then draws its own). */
async function readCode(config: Config): Promise<string | null> {
  const source = config.code;
  if (source === undefined) return null;
  const { normalizeCode } = await import("./secure/code.ts");
  let text: string;
  if (source.from === "env") text = source.text;
  else {
    try {
      text = await Bun.file(source.path).text();
    } catch (error) {
      const reason =
        (error as { code?: string }).code ?? (error instanceof Error ? error.message : String(error));
      throw new UsageError(`--code-file: cannot read '${source.path}' (${reason})`);
    }
  }
  const where = source.from === "env" ? "CHAT121_CODE" : `--code-file '${source.path}'`;
  if (normalizeCode(text) === "") throw new UsageError(`${where} holds no code`);
  return text.trim();
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
