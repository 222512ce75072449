import { programCommand, testEnv } from "./program.ts";
import { ProgramProcess } from "./program-process.ts";

/**
 * The program running in pipe mode (stdin not a terminal, no --json): stdout is kept as raw bytes, since it
 * carries the received messages byte for byte, and stderr as text, since it carries the status.
 */
export class PipeProgram extends ProgramProcess {
  private readonly stdoutChunks: Uint8Array[] = [];
  private stdoutLength = 0;

  /** `stdout`: see ProgramProcess (a descriptor the test reads itself leaves `stdout` here empty). */
  constructor(args: string[], env: Record<string, string> = {}, stdout: "pipe" | number = "pipe") {
    super([...programCommand(), ...args], { ...testEnv(), ...env }, stdout);
  }

  /** Starts a pipe-mode server on a free port and reads the port from its `listening on …` status line. */
  static async server(
    args: string[] = [],
    env: Record<string, string> = {},
    stdout: "pipe" | number = "pipe",
  ): Promise<PipeProgram & { port: number }> {
    const program = new PipeProgram(["server", "--port", "0", ...args], env, stdout);
    try {
      const match = await program.waitForStderr(/listening on .*:(\d+)\n/);
      return Object.assign(program, { port: Number(match[1]) });
    } catch (error) {
      await program.stop();
      throw error;
    }
  }

  /** Everything written to stdout so far. */
  get stdout(): Uint8Array {
    return new Uint8Array(Buffer.concat(this.stdoutChunks, this.stdoutLength));
  }

  get stdoutText(): string {
    return new TextDecoder().decode(this.stdout);
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

  protected onStdout(chunk: Uint8Array): void {
    this.stdoutChunks.push(chunk);
    this.stdoutLength += chunk.length;
  }
}
