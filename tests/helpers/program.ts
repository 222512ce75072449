import { resolve } from "node:path";
import type { Subprocess } from "bun";

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
    env: { ...cleanEnv(), ...options.env },
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

/** The environment without the variables the program reads, so the caller's shell cannot leak in. */
export function cleanEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !["MODE", "IP_ADDR", "PORT", "NO_COLOR", "FORCE_COLOR"].includes(key))
      env[key] = value;
  }
  return env;
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
export class JsonProgram {
  readonly events: JsonEvent[] = [];
  stderr = "";
  private readonly proc: Subprocess<"pipe", "pipe", "pipe">;
  private waiters: (() => void)[] = [];
  private readonly done: Promise<void>;

  constructor(args: string[], env: Record<string, string> = {}, options: SpawnOptions = {}) {
    this.proc = Bun.spawn([...(options.wrap ?? []), ...programCommand(), ...args, "--json"], {
      stdin: "pipe",
      stdout: "pipe",
      stderr: "pipe",
      env: { ...cleanEnv(), ...env },
    });
    this.done = Promise.all([this.readEvents(), this.readStderr()]).then(() => {});
  }

  get pid(): number {
    return this.proc.pid;
  }

  get exited(): Promise<number> {
    return this.proc.exited;
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

  /** Writes to the program's stdin. */
  write(data: string | Uint8Array): void {
    this.proc.stdin.write(data);
    this.proc.stdin.flush();
  }

  /** Ends the program's stdin (EOF). */
  endInput(): void {
    this.proc.stdin.end();
  }

  kill(signal: NodeJS.Signals | number = "SIGTERM"): void {
    this.proc.kill(signal);
  }

  /** Waits for the first event (from the start) matching `match`. */
  async waitFor(match: (event: JsonEvent) => boolean, timeoutMs = 10_000): Promise<JsonEvent> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.events.find(match);
      if (found) return found;
      const left = deadline - Date.now();
      if (left <= 0 || this.proc.exitCode !== null) {
        await Bun.sleep(50); // let the last output arrive
        const late = this.events.find(match);
        if (late) return late;
        throw new Error(
          `no matching event within ${timeoutMs} ms; got ${JSON.stringify(this.events)}; stderr: ${this.stderr}`,
        );
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 250));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Waits until `count` events match. */
  async waitForCount(
    match: (event: JsonEvent) => boolean,
    count: number,
    timeoutMs = 10_000,
  ): Promise<JsonEvent[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.events.filter(match);
      if (found.length >= count) return found;
      if (Date.now() > deadline || this.proc.exitCode !== null) {
        throw new Error(`${found.length} of ${count} events within ${timeoutMs} ms; stderr: ${this.stderr}`);
      }
      await Bun.sleep(20);
    }
  }

  /** Stops the program (SIGTERM, then SIGKILL) and waits for it and its output. */
  async stop(): Promise<number> {
    if (this.proc.exitCode === null) this.proc.kill("SIGTERM");
    const timer = setTimeout(() => this.proc.kill("SIGKILL"), 5000);
    const code = await this.proc.exited;
    clearTimeout(timer);
    await this.done;
    return code;
  }

  private async readEvents(): Promise<void> {
    let pending = "";
    const decoder = new TextDecoder();
    for await (const chunk of this.proc.stdout) {
      pending += decoder.decode(chunk, { stream: true });
      let newline = pending.indexOf("\n");
      while (newline !== -1) {
        const line = pending.slice(0, newline);
        pending = pending.slice(newline + 1);
        this.events.push(JSON.parse(line) as JsonEvent);
        newline = pending.indexOf("\n");
      }
      for (const wake of this.waiters.splice(0)) wake();
    }
    if (pending !== "") this.events.push(JSON.parse(pending) as JsonEvent);
  }

  private async readStderr(): Promise<void> {
    const decoder = new TextDecoder();
    for await (const chunk of this.proc.stderr) this.stderr += decoder.decode(chunk, { stream: true });
  }
}
