import { createReadStream } from "node:fs";
import type { Config } from "../cli/args.ts";
import type { ChatView } from "../core/chat.ts";
import type { Role } from "../core/session.ts";
import type { FileOptions } from "../net/transfer-driver.ts";
import type { InteractiveView } from "../ui/interactive.ts";
import { jsonFormat } from "../ui/json-format.ts";
import { pipeFormat } from "../ui/pipe-format.ts";
import { ScriptView } from "../ui/script-view.ts";

/** The chosen front end, with the two things the modes need beyond ChatView. */
export interface FrontEnd extends ChatView {
  /** A failure that ends the program, said the way this front end says things. */
  error(message: string): void;
}

export type FrontEndChoice =
  | { kind: "interactive"; view: InteractiveView }
  | { kind: "script"; view: ScriptView; json: boolean };

/**
 * Standard input as a stream of chunks for the script front end. Bun's own stream reads a large input with less
 * work than `process.stdin` (docs/performance.md), and gives every chunk a buffer of its own, so the lines cut
 * from it can be sent as views of the chunks.
 *
 * Where Bun's stream cannot be opened (under Wine, a pipe as stdin made `Bun.stdin.stream()` fail with
 * `EBADF … open`), descriptor 0 is read with a plain node:fs stream instead: slower, but it reads. (Not
 * `process.stdin`: under Wine it fails the same way, measured; an fs stream on fd 0 does not.) It too hands
 * out a fresh Buffer per chunk. The failure can come when the stream is made or on its first read; either
 * way before any input was taken, so nothing is lost or read twice.
 */
export async function* stdinChunks(
  open: () => AsyncIterable<Uint8Array> = () => Bun.stdin.stream(),
  fallback: () => AsyncIterable<Uint8Array> = () => createReadStream("", { fd: 0, autoClose: false }),
): AsyncGenerator<Uint8Array> {
  let first: IteratorResult<Uint8Array>;
  let iterator: AsyncIterator<Uint8Array>;
  try {
    iterator = open()[Symbol.asyncIterator]();
    first = await iterator.next();
  } catch {
    yield* fallback();
    return;
  }
  if (first.done) return;
  yield first.value;
  for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value;
}

/**
 * Interactive when stdin is a terminal (and no --json); otherwise pipe mode, or JSON mode with --json.
 * `quit` is what the interactive front end calls when the user asks to leave; `outputGone` what a script
 * front end calls when its stdout's reader has gone. The interactive front end (readline, colours) is
 * loaded only when chosen: that took ~2 ms off a script's start (docs/performance.md).
 */
export async function chooseFrontEnd(
  config: Config,
  role: Role,
  quit: () => void,
  outputGone: (reason: string) => void,
): Promise<FrontEndChoice> {
  if (!config.json && process.stdin.isTTY) {
    const color = config.color && process.stdout.isTTY === true;
    const { InteractiveView } = await import("../ui/interactive.ts");
    return {
      kind: "interactive",
      view: new InteractiveView({ role, color, quit, acceptFiles: config.acceptFiles }),
    };
  }
  const format = config.json ? jsonFormat : pipeFormat;
  const typed = process.stdin.isTTY === true;
  // With --send, the end of the input is not the end: the session stays until the file is delivered.
  const view = new ScriptView({
    role,
    format,
    typed,
    leaveAtEndOfInput: config.send === undefined,
    outputGone,
  });
  return { kind: "script", view, json: config.json };
}

/**
 * What the session does with files: where they go, and whether offers are taken without asking. A front
 * end that cannot ask (pipe, JSON) declines them unless --accept-files says otherwise. Null without
 * encryption (files need version 2).
 */
export function fileOptions(config: Config, front: FrontEndChoice): FileOptions | null {
  if (!config.encryption) return null;
  const canAsk = front.kind === "interactive";
  return {
    downloadDir: config.downloadDir ?? process.cwd(),
    acceptFiles: config.acceptFiles,
    ...(config.acceptFiles || canAsk
      ? {}
      : { autoDecline: "the receiver takes no files (it runs without --accept-files)" }),
  };
}
