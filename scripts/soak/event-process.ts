import type { Subprocess } from "bun";
import { cleanEnv, programCommand } from "../../tests/helpers/program.ts";

import type { ProgramEvent } from "./books.ts";

/**
 * The real program in JSON mode, for the soak: events are handed to `onEvent` as they are parsed and never
 * kept (a soak produces millions), and stdin is written in large batches.
 */
export class EventProcess {
  private readonly proc: Subprocess<"pipe", "pipe", "pipe">;
  stderrTail = "";
  /** Settles when stdout has ended (the process is gone or closed it). */
  readonly done: Promise<void>;

  /** `env`: variables on top of a clean environment (the code: CHAT121_CODE). */
  constructor(
    args: string[],
    private readonly onEvent: (event: ProgramEvent) => void,
    env: Record<string, string> = {},
  ) {
    this.proc = Bun.spawn([...programCommand(), ...args, "--json"], {
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

  get exitCode(): number | null {
    return this.proc.exitCode;
  }

  write(bytes: Uint8Array): void {
    this.proc.stdin.write(bytes);
    void this.proc.stdin.flush();
  }

  endInput(): void {
    void this.proc.stdin.end();
  }

  kill(signal: NodeJS.Signals = "SIGTERM"): void {
    if (this.proc.exitCode === null) this.proc.kill(signal);
  }

  /** Waits for the process to exit by itself, killing it after `timeoutMs`. */
  async finished(timeoutMs: number): Promise<number> {
    const timer = setTimeout(() => this.proc.kill("SIGKILL"), timeoutMs);
    const code = await this.proc.exited;
    clearTimeout(timer);
    return code;
  }

  /** Splits stdout into lines without re-copying a long line for every chunk it spans. */
  private async readEvents(): Promise<void> {
    const decoder = new TextDecoder();
    let carry: Uint8Array[] = [];
    let carried = 0;
    const handle = (line: Uint8Array) => this.onEvent(JSON.parse(decoder.decode(line)) as ProgramEvent);
    for await (const chunk of this.proc.stdout) {
      let start = 0;
      let newline = chunk.indexOf(0x0a);
      if (newline !== -1 && carried > 0) {
        carry.push(chunk.subarray(0, newline));
        handle(Buffer.concat(carry, carried + newline));
        carry = [];
        carried = 0;
        start = newline + 1;
        newline = chunk.indexOf(0x0a, start);
      }
      while (newline !== -1) {
        handle(chunk.subarray(start, newline));
        start = newline + 1;
        newline = chunk.indexOf(0x0a, start);
      }
      if (start < chunk.length) {
        carry.push(chunk.subarray(start));
        carried += chunk.length - start;
      }
    }
  }

  /** Keeps the end of stderr, for the report when something goes wrong. */
  private async readStderr(): Promise<void> {
    const decoder = new TextDecoder();
    for await (const chunk of this.proc.stderr) {
      this.stderrTail = (this.stderrTail + decoder.decode(chunk, { stream: true })).slice(-4000);
    }
  }
}
