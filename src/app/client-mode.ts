import type { Config } from "../cli/args.ts";
import { type ClientSession, connectClient } from "../net/client.ts";
import { DEFAULT_PORT } from "../protocol/constants.ts";
import { onTerminationSignal } from "./exit.ts";
import { chooseFrontEnd, fileOptions, stdinChunks } from "./front-end.ts";
import { sendOnConnect } from "./send-file.ts";

/** Runs one session with the server (with `code`, or in version 1 when null); resolves with the exit status. */
export async function runClientMode(config: Config, code: string | null): Promise<number> {
  const host = config.host as string;
  const port = config.port ?? DEFAULT_PORT;
  let client: ClientSession | null = null;
  let quitWhileConnecting!: () => void;
  const quitEarly = new Promise<null>((resolve) => {
    quitWhileConnecting = () => resolve(null);
  });
  const quit = (reason?: string) => {
    if (client) client.link.close(reason);
    else quitWhileConnecting();
  };

  // A client whose output nobody reads leaves too, and says it failed (as the server does).
  let outputGone = false;
  const front = await chooseFrontEnd(config, "client", quit, (reason) => {
    outputGone = true;
    quit(reason);
  });
  onTerminationSignal(quit);
  // --send: the file's fate decides the exit status.
  let sendResult: number | null = null;
  const view =
    config.send === undefined
      ? front.view
      : sendOnConnect(front.view, config.send, (result) => {
          sendResult = result;
        });
  if (front.kind === "interactive") {
    front.view.notice(`connecting to ${host.includes(":") ? `[${host}]` : host}:${port}…`);
    front.view.start();
  } else {
    void front.view.pumpInput(stdinChunks());
  }

  const options = {
    host,
    port,
    maxMessage: config.maxMessage,
    pingIntervalMs: config.pingIntervalMs,
    deadAfterMs: config.deadAfterMs,
    code,
    files: fileOptions(config, front),
  };
  try {
    client = await Promise.race([connectClient(options, view), quitEarly]);
  } catch (error) {
    front.view.error(error instanceof Error ? error.message : String(error));
    if (front.kind === "interactive") front.view.close();
    return 1;
  }
  if (!client) {
    if (front.kind === "interactive") front.view.close();
    return 1; // interrupted before there was anyone to talk to
  }

  const end = await client.ended;
  if (front.kind === "interactive") front.view.close();
  if (outputGone) return 1;
  if (config.send !== undefined) return sendResult ?? 1;
  // Piped input that ends with messages unacknowledged is a failure for the script that sent them.
  if (front.kind === "script" && end.unacked.length > 0) return 1;
  return end.kind === "bye" || end.kind === "peer-bye" ? 0 : 1;
}
