import { afterEach, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateCode, normalizeCode } from "../../src/secure/code.ts";
import { currentCode, NO_CODE } from "../helpers/codes.ts";
import { JsonProgram } from "../helpers/program.ts";
import { skipBecause } from "../helpers/skip.ts";

/**
 * A code never appears on a command line (protocol-v2 section 6; croc's CVE-2023-43621 leaked its code
 * through the process list): during a session, /proc/PID/cmdline of the server, the client and any process
 * they started holds no form of the code, whether it came from CHAT121_CODE, from --code-file, or was drawn
 * by the server (and shown to its user).
 */

setDefaultTimeout(30_000);

const HOST = "127.0.0.1";
const noProc =
  process.platform === "linux" && existsSync("/proc/self/cmdline") ? null : "needs Linux's /proc";

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** `pid` and every process below it (children listed by the kernel in /proc/PID/task/TID/children). */
function processTree(pid: number): number[] {
  const all = [pid];
  for (let i = 0; i < all.length; i++) {
    const taskDir = `/proc/${all[i]}/task`;
    if (!existsSync(taskDir)) continue;
    for (const task of readdirSync(taskDir)) {
      try {
        const children = readFileSync(`${taskDir}/${task}/children`, "utf8").trim();
        for (const child of children.split(/\s+/)) if (child) all.push(Number(child));
      } catch {
        // the task ended meanwhile
      }
    }
  }
  return all;
}

/** The command line of every process in the tree, its arguments joined by spaces. */
function commandLines(pid: number): string[] {
  return processTree(pid).flatMap((each) => {
    try {
      return [readFileSync(`/proc/${each}/cmdline`, "utf8").split("\0").join(" ")];
    } catch {
      return []; // exited meanwhile
    }
  });
}

/**
 * No form of `code` (as given, normalized, or its words apart) is on any of these command lines. (Its words
 * one by one may be: "work" or "client" are words of the list.)
 */
function expectNotOnCommandLines(pids: number[], code: string): void {
  const lines = pids.flatMap(commandLines);
  expect(lines.length).toBeGreaterThanOrEqual(pids.length);
  // The right processes: those started with the arguments the test gave.
  for (const pid of pids) expect(commandLines(pid)[0]).toMatch(/ (server|client) .*--json/);
  const forms = [code, normalizeCode(code), normalizeCode(code).replaceAll("-", " ")];
  for (const line of lines) {
    for (const form of forms) expect(line.includes(form)).toBe(false);
  }
}

/** Starts a server and a client with `env`/`args` each, waits until both say the session is open. */
async function session(
  server: { args?: string[]; env?: Record<string, string> },
  client: (serverCode: string) => { args?: string[]; env?: Record<string, string> },
) {
  const srv = await JsonProgram.server(["--host", HOST, ...(server.args ?? [])], server.env ?? {});
  cleanups.push(() => srv.stop());
  const code = currentCode(srv);
  const side = client(code);
  const cli = new JsonProgram(["client", `${HOST}:${srv.port}`, ...(side.args ?? [])], side.env ?? {});
  cleanups.push(() => cli.stop());
  await cli.waitFor((e) => e.event === "connected");
  await srv.waitFor((e) => e.event === "connected");
  return { srv, cli, code };
}

test.skipIf(skipBecause(noProc, "the command-line test"))(
  "a code from CHAT121_CODE is on no command line",
  async () => {
    const code = generateCode();
    const { srv, cli } = await session({ env: { CHAT121_CODE: code } }, () => ({
      env: { CHAT121_CODE: code },
    }));
    expectNotOnCommandLines([srv.pid, cli.pid], code);
  },
);

test.skipIf(skipBecause(noProc, "the command-line test"))(
  "a code from --code-file is on no command line (only the file's path is)",
  async () => {
    const dir = mkdtempSync(join(tmpdir(), "chat121-code-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, "code.txt");
    const code = generateCode();
    writeFileSync(file, `${code}\n`, { mode: 0o600 });
    const { srv, cli } = await session({ args: ["--code-file", file], env: NO_CODE }, () => ({
      args: ["--code-file", file],
      env: NO_CODE,
    }));
    expect(currentCode(srv)).toBe(code); // the server took the file's code
    expectNotOnCommandLines([srv.pid, cli.pid], code);
    expect(commandLines(srv.pid).join(" ")).toContain(file);
  },
);

test.skipIf(skipBecause(noProc, "the command-line test"))(
  "a code the server drew and shows is not on its command line, nor on its client's",
  async () => {
    const { srv, cli, code } = await session({ env: NO_CODE }, (shown) => ({ env: { CHAT121_CODE: shown } }));
    expectNotOnCommandLines([srv.pid, cli.pid], code);
    // The code for the next client, drawn when this session opened, is not there either.
    await srv.waitFor((e) => e.event === "code");
    const next = currentCode(srv);
    expect(next).not.toBe(code);
    expectNotOnCommandLines([srv.pid], next);
  },
);
