import type { Subprocess } from "bun";
import { cleanEnv, programCommand } from "./program.ts";

/**
 * The program running in pipe mode (stdin not a terminal, no --json): stdout is kept as raw bytes, since it
 * carries the received messages byte for byte, and stderr as text, since it carries the status.
 */
export class PipeProgram {
  private readonly stdoutChunks: Uint8Array[] = [];
  private stdoutLength = 0;
  stderr = "";
  private readonly proc: Subprocess<"pipe", "pipe", "pipe">;
  private waiters: (() => void)[] = [];
  private readonly done: Promise<void>;

  constructor(args: string[], env: Record<string, string> = {}) {
    this.proc = Bun.spawn([...programCommand(), ...args], {
      stdin: "pipe",
      stdout: "pipe",
      stderr: "pipe",
      env: { ...cleanEnv(), ...env },
    });
    this.done = Promise.all([this.readStdout(), this.readStderr()]).then(() => {});
  }

  /** Starts a pipe-mode server on a free port and reads the port from its `listening on …` status line. */
  static async server(
    args: string[] = [],
    env: Record<string, string> = {},
  ): Promise<PipeProgram & { port: number }> {
    const program = new PipeProgram(["server", "--port", "0", ...args], env);
    try {
      const match = await program.waitForStderr(/listening on .*:(\d+)\n/);
      return Object.assign(program, { port: Number(match[1]) });
    } catch (error) {
      await program.stop();
      throw error;
    }
  }

  get exited(): Promise<number> {
    return this.proc.exited;
  }

  /** Everything written to stdout so far. */
  get stdout(): Uint8Array {
    return new Uint8Array(Buffer.concat(this.stdoutChunks, this.stdoutLength));
  }

  get stdoutText(): string {
    return new TextDecoder().decode(this.stdout);
  }

  write(data: string | Uint8Array): void {
    this.proc.stdin.write(data);
    this.proc.stdin.flush();
  }

  endInput(): void {
    this.proc.stdin.end();
  }

  kill(signal: NodeJS.Signals | number = "SIGTERM"): void {
    this.proc.kill(signal);
  }

  /** Waits until stdout holds at least `bytes` bytes. */
  async waitForStdout(bytes: number, timeoutMs = 10_000): Promise<Uint8Array> {
    await this.waitUntil(
      () => this.stdoutLength >= bytes,
      timeoutMs,
      () => `${this.stdoutLength} of ${bytes} bytes on stdout`,
    );
    return this.stdout;
  }

  /** Waits until stderr matches `pattern`. */
  async waitForStderr(pattern: RegExp, timeoutMs = 10_000): Promise<RegExpExecArray> {
    let match: RegExpExecArray | null = null;
    await this.waitUntil(
      () => {
        match = pattern.exec(this.stderr);
        return match !== null;
      },
      timeoutMs,
      () => `no ${pattern} on stderr`,
    );
    return match as unknown as RegExpExecArray;
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

  /** Waits for the program to exit by itself (bounded), then for the rest of its output. */
  async finished(timeoutMs = 15_000): Promise<number> {
    const timer = setTimeout(() => this.proc.kill("SIGKILL"), timeoutMs);
    const code = await this.proc.exited;
    clearTimeout(timer);
    await this.done;
    return code;
  }

  private async waitUntil(check: () => boolean, timeoutMs: number, what: () => string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (check()) return;
      const left = deadline - Date.now();
      if (left <= 0 || this.proc.exitCode !== null) {
        await Bun.sleep(50); // let the last output arrive
        if (check()) return;
        throw new Error(
          `${what()} within ${timeoutMs} ms (exit ${this.proc.exitCode}); stderr: ${this.stderr}`,
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

  private wake(): void {
    for (const wake of this.waiters.splice(0)) wake();
  }

  private async readStdout(): Promise<void> {
    for await (const chunk of this.proc.stdout) {
      this.stdoutChunks.push(chunk);
      this.stdoutLength += chunk.length;
      this.wake();
    }
  }

  private async readStderr(): Promise<void> {
    const decoder = new TextDecoder();
    for await (const chunk of this.proc.stderr) {
      this.stderr += decoder.decode(chunk, { stream: true });
      this.wake();
    }
  }
}
