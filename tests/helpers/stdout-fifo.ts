import { closeSync, constants, mkdtempSync, openSync, readSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * A FIFO to give the program under test as its stdout, which the test reads without blocking: `drain()` takes
 * exactly what the program has handed to the OS so far, and nothing it still holds itself. (A stdout pipe
 * read by the test runner's stream reader cannot tell that apart from bytes still on their way.)
 */
export class StdoutFifo {
  private readonly dir: string;
  private readonly readFd: number;
  private writeFd: number | null;
  private readonly chunks: Buffer[] = [];
  private readonly scratch = Buffer.allocUnsafe(1 << 20);
  /** Bytes read so far. */
  length = 0;

  constructor() {
    this.dir = mkdtempSync(join(tmpdir(), "121chat-fifo-"));
    const path = join(this.dir, "stdout");
    const made = Bun.spawnSync(["mkfifo", path], { stderr: "pipe" });
    if (made.exitCode !== 0) throw new Error(`mkfifo failed: ${made.stderr.toString()}`);
    // Non-blocking, so a read of an empty FIFO returns at once (EAGAIN) instead of waiting for the writer.
    this.readFd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
    this.writeFd = openSync(path, constants.O_WRONLY);
  }

  /** Why this machine cannot make one, or null when it can. */
  static unsupported(): string | null {
    if (process.platform === "win32") return "Windows has no FIFOs (mkfifo)";
    return Bun.which("mkfifo") ? null : "the 'mkfifo' command is not installed here";
  }

  /** The descriptor to spawn the program with as its stdout; call `spawned()` once it has been. */
  get programEnd(): number {
    if (this.writeFd === null) throw new Error("the program's end was already handed over");
    return this.writeFd;
  }

  /** Closes the test's copy of the program's end, so the FIFO ends when the program exits. */
  spawned(): void {
    if (this.writeFd !== null) closeSync(this.writeFd);
    this.writeFd = null;
  }

  /** Reads everything the FIFO holds right now, without waiting; returns how many bytes that was. */
  drain(): number {
    let total = 0;
    for (;;) {
      let read: number;
      try {
        read = readSync(this.readFd, this.scratch, 0, this.scratch.length, null);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "EAGAIN") break;
        throw error;
      }
      if (read === 0) break; // the program has closed its end
      this.chunks.push(Buffer.from(this.scratch.subarray(0, read)));
      this.length += read;
      total += read;
    }
    return total;
  }

  /** Everything read so far. */
  get bytes(): Buffer {
    return Buffer.concat(this.chunks, this.length);
  }

  close(): void {
    this.spawned();
    closeSync(this.readFd);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
