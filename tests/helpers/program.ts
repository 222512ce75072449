import { resolve } from "node:path";
import { ProgramProcess } from "./program-process.ts";

/**
 * Starting the real program as a separate process, the way a user or a script would.
 *
 * CHAT121_BIN names the command under test (e.g. dist/121chat-linux-x64, the compiled executable); without
 * it the tests run the source with the same Bun that runs the tests.
 */
export const ROOT = resolve(import.meta.dir, "../..");

export function programCommand(): string[] {
  const bin = process.env.CHAT121_BIN;
  if (bin) return [resolve(ROOT, bin)];
  return [process.execPath, resolve(ROOT, "src/main.ts")];
}

/** A shell-ready command line for the program (for tmux). */
export function programShellCommand(): string {
  return programCommand()
    .map((part) => `'${part.replaceAll("'", "'\\''")}'`)
    .join(" ");
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the program to completion (bounded by `timeoutMs`). */
export async function runProgram(
  args: string[],
  options: { stdin?: string | Uint8Array; env?: Record<string, string>; timeoutMs?: number } = {},
): Promise<RunResult> {
  const proc = Bun.spawn([...programCommand(), ...args], {
    stdin: options.stdin === undefined ? "ignore" : new Blob([options.stdin]),
    stdout: "pipe",
    stderr: "pipe",
    env: { ...testEnv(), ...options.env },
  });
  const timer = setTimeout(() => proc.kill("SIGKILL"), options.timeoutMs ?? 15_000);
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  clearTimeout(timer);
  return { code, stdout, stderr };
}

/** The variables the program reads: none may leak in from the caller's shell. */
export const PROGRAM_VARIABLES = ["MODE", "IP_ADDR", "PORT", "NO_COLOR", "FORCE_COLOR", "CHAT121_CODE"];

/** The environment without the variables the program reads, so the caller's shell cannot leak in. */
export function cleanEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !PROGRAM_VARIABLES.includes(key)) env[key] = value;
  }
  return env;
}

/**
 * The code every program under test gets unless a test says otherwise (CHAT121_CODE: "" means none): the
 * same for server and client, so the end-to-end tests run encrypted, version 2, as users do. A server given
 * a code keeps it for its life, so one server serves many clients in a test.
 */
export const TEST_CODE = "orbit-lemon-swift";

/** cleanEnv() with the test code. */
export function testEnv(): Record<string, string> {
  return { ...cleanEnv(), CHAT121_CODE: TEST_CODE };
}

export type JsonEvent = { event: string } & Record<string, unknown>;

export interface SpawnOptions {
  /** Words put before the program's command, e.g. `["ip", "netns", "exec", "ns1"]` to run it in a namespace. */
  wrap?: string[];
}

/**
 * The program running in --json mode, with its events parsed as they arrive. Every line on stdout must be
 * one JSON object: anything else fails the test that reads it.
 */
export class JsonProgram extends ProgramProcess {
  readonly events: JsonEvent[] = [];
  private pending = "";
  private readonly decoder = new TextDecoder();

  constructor(args: string[], env: Record<string, string> = {}, options: SpawnOptions = {}) {
    super([...(options.wrap ?? []), ...programCommand(), ...args, "--json"], { ...testEnv(), ...env });
  }

  /** Starts a server on a free port of `host` and waits for its `listening` event. */
  static async server(
    args: string[] = [],
    env: Record<string, string> = {},
    options: SpawnOptions = {},
  ): Promise<JsonProgram & { port: number }> {
    const program = new JsonProgram(["server", "--port", "0", ...args], env, options);
    try {
      const listening = await program.waitFor((e) => e.event === "listening");
      return Object.assign(program, { port: listening.port as number });
    } catch (error) {
      await program.stop(); // the caller never gets it, so it cannot clean it up
      throw error;
    }
  }

  /** Waits for the first event (from the start) matching `match`. */
  async waitFor(match: (event: JsonEvent) => boolean, timeoutMs = 10_000): Promise<JsonEvent> {
    let found: JsonEvent | undefined;
    await this.waitUntil(
      () => {
        found = this.events.find(match);
        return found !== undefined;
      },
      timeoutMs,
      () => `no matching event among ${JSON.stringify(this.events)}`,
    );
    return found as JsonEvent;
  }

  /** Waits until `count` events match. */
  async waitForCount(
    match: (event: JsonEvent) => boolean,
    count: number,
    timeoutMs = 10_000,
  ): Promise<JsonEvent[]> {
    let found: JsonEvent[] = [];
    await this.waitUntil(
      () => {
        found = this.events.filter(match);
        return found.length >= count;
      },
      timeoutMs,
      () => `${found.length} of ${count} events`,
    );
    return found;
  }

  /** Every line of stdout must be one JSON object: JSON.parse fails the test on anything else. */
  protected onStdout(chunk: Uint8Array): void {
    this.pending += this.decoder.decode(chunk, { stream: true });
    let newline = this.pending.indexOf("\n");
    while (newline !== -1) {
      this.events.push(JSON.parse(this.pending.slice(0, newline)) as JsonEvent);
      this.pending = this.pending.slice(newline + 1);
      newline = this.pending.indexOf("\n");
    }
  }

  protected override onStdoutEnd(): void {
    if (this.pending !== "") this.events.push(JSON.parse(this.pending) as JsonEvent);
  }
}
