import { Writable } from "node:stream";
import { OutputBatch } from "../../src/ui/output-batch.ts";
import type { ScriptStreams } from "../../src/ui/script-format.ts";

/** A real Writable that keeps what it was given, in memory. */
export class MemoryStream extends Writable {
  readonly chunks: Buffer[] = [];

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    this.chunks.push(Buffer.from(chunk));
    done();
  }

  get bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }

  get text(): string {
    return this.bytes.toString("utf8");
  }
}

/** ScriptStreams over two memory streams, for testing the pipe and JSON formats without a process. */
export function memoryStreams(): { out: ScriptStreams; stdout: MemoryStream; stderr: MemoryStream } {
  const stdout = new MemoryStream();
  const stderr = new MemoryStream();
  const out = { stdout: new OutputBatch(stdout), stderr: new OutputBatch(stderr) };
  return { out, stdout, stderr };
}

/** Writes everything batched so far. Memory streams write synchronously, so the bytes are there on return. */
export function flush(out: ScriptStreams): void {
  out.stdout.flush();
  out.stderr.flush();
}
