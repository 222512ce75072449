import type { Config } from "../cli/args.ts";
import { DEFAULT_RESUME_WINDOW_MS } from "../core/session.ts";
import { type ChatServer, startServer } from "../net/server.ts";
import { DEFAULT_PORT } from "../protocol/constants.ts";
import { givenCodeWarning, ServerCode } from "../secure/code.ts";
import { onTerminationSignal } from "./exit.ts";
import { chooseFrontEnd, fileOptions, stdinChunks } from "./front-end.ts";
import { sendOnConnect } from "./send-file.ts";

/**
 * Serves one client at a time until the user stops the server; resolves with the exit status. `code` is the
 * code the user gave (kept for the server's life), or null: then it draws its own (one per session), unless
 * encryption is off.
 */
export async function runServerMode(config: Config, code: string | null): Promise<number> {
  let server: ChatServer | null = null;
  let stopping = false;
  let finished!: (code: number) => void;
  const done = new Promise<number>((resolve) => {
    finished = resolve;
  });
  /** Stops serving: says goodbye to the client, if any, with `reason`; the program then exits with `status`. */
  const stop = (reason?: string, status = 0) => {
    if (stopping) return;
    stopping = true;
    void (server?.stop(reason) ?? Promise.resolve()).then(() => finished(status));
  };

  // A server whose output nobody reads can deliver nothing more: it leaves, and says it failed.
  const front = await chooseFrontEnd(config, "server", stop, (reason) => stop(reason, 1));
  const serverCode = config.encryption ? new ServerCode(code) : null;
  // --send: the first client gets the file; its fate ends the server with the exit status.
  let sendResult = 0;
  const view =
    config.send === undefined
      ? front.view
      : sendOnConnect(front.view, config.send, (result) => {
          sendResult = result;
          stop();
        });
  const files = fileOptions(config, front);
  try {
    server = startServer(
      {
        host: config.host,
        port: config.port ?? DEFAULT_PORT,
        maxMessage: config.maxMessage,
        pingIntervalMs: config.pingIntervalMs,
        deadAfterMs: config.deadAfterMs,
        secure:
          serverCode && files
            ? { code: serverCode, resumeWindowMs: config.resumeWindowMs ?? DEFAULT_RESUME_WINDOW_MS, files }
            : null,
      },
      view,
    );
  } catch (error) {
    front.view.error(error instanceof Error ? error.message : String(error));
    if (front.kind === "interactive") front.view.close();
    return 1;
  }
  front.view.listening(server.host, server.port, serverCode?.code ?? null);
  const warning = code === null ? null : givenCodeWarning(code);
  if (warning) front.view.notice(`warning: ${warning}`);
  onTerminationSignal(stop);
  if (front.kind === "interactive") front.view.start();
  // A server keeps serving after its input ends.
  else void front.view.pumpInput(stdinChunks());

  const exitCode = await done;
  if (front.kind === "interactive") front.view.close();
  return config.send === undefined ? exitCode : sendResult;
}
