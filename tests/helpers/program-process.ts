import type { Subprocess } from "bun";

/**
 * The program under test as a child process: stdin to write to, stderr kept as text, stdout handed to the
 * subclass (JSON events or raw bytes), and the waiting and stopping every test needs.
 */
export abstract class ProgramProcess {
  stderr = "";
  private readonly proc: Subprocess<"pipe", "pipe" | number, "pipe">;
  private waiters: (() => void)[] = [];
  private readonly done: Promise<void>;

  /**
   * `stdout` is a pipe read here (the default), or a file descriptor the test opened and reads itself (say,
   * the write end of a FIFO): then `onStdout` is never called.
   */
  constructor(command: string[], env: Record<string, string>, stdout: "pipe" | number = "pipe") {
    this.proc = Bun.spawn(command, { stdin: "pipe", stdout, stderr: "pipe", env });
    this.done = Promise.all([this.readStdout(), this.readStderr()]).then(() => {});
  }

  /** Takes the next piece of stdout (called only after the subclass is fully constructed). */
  protected abstract onStdout(chunk: Uint8Array): void;

  /** Called once stdout has ended. */
  protected onStdoutEnd(): void {}

  get pid(): number {
    return this.proc.pid;
  }

  get exited(): Promise<number> {
    return this.proc.exited;
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

  /** Stops the program (SIGTERM, then SIGKILL) and waits for it and its output. */
  async stop(): Promise<number> {
    if (this.proc.exitCode === null) this.proc.kill("SIGTERM");
    return this.finished(5000);
  }

  /** Waits for the program to exit by itself (SIGKILL after `timeoutMs`), then for the rest of its output. */
  async finished(timeoutMs = 15_000): Promise<number> {
    const timer = setTimeout(() => this.proc.kill("SIGKILL"), timeoutMs);
    const code = await this.proc.exited;
    clearTimeout(timer);
    await this.done;
    return code;
  }

  /**
   * Waits until stderr matches `pattern`. Stderr is a pipe of its own: a line written there just before an
   * event on stdout can arrive after it, so wait for it rather than expect it at once.
   */
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

  /**
   * Waits until `check()` holds, looking again whenever output arrives; fails with `what()` (plus the exit
   * status and stderr) after `timeoutMs`, or as soon as the program has exited without it holding.
   */
  protected async waitUntil(check: () => boolean, timeoutMs: number, what: () => string): Promise<void> {
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
    await Promise.resolve(); // the subclass's fields are set once its constructor has returned
    const stdout = this.proc.stdout;
    if (!(stdout instanceof ReadableStream)) return; // the test reads it from its own descriptor
    for await (const chunk of stdout) {
      this.onStdout(chunk);
      this.wake();
    }
    this.onStdoutEnd();
    this.wake();
  }

  private async readStderr(): Promise<void> {
    const decoder = new TextDecoder();
    for await (const chunk of this.proc.stderr) {
      this.stderr += decoder.decode(chunk, { stream: true });
      this.wake();
    }
  }
}
