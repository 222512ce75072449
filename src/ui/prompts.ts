import { cancel, intro, isCancel, outro, select, text } from "@clack/prompts";
import type { Config, Mode } from "../cli/args.ts";
import { parsePort, parseTarget } from "../cli/target.ts";
import { DEFAULT_PORT } from "../protocol/constants.ts";
import { askCode } from "./code-prompt.ts";

/** Runs `check`, turning its exception into the message clack shows under the input. */
function validator(check: (value: string) => unknown) {
  return (value: string | undefined): string | undefined => {
    try {
      check(value ?? "");
      return undefined;
    } catch (error) {
      return error instanceof Error ? error.message : String(error);
    }
  };
}

/** The config with everything the prompts filled in: the code, when asked, as typed. */
export type Answered = Config & { typedCode?: string };

/**
 * Asks for whatever the command line and environment left open: the mode, then the port (server) or the
 * host and the code (client). Only called when stdin and stdout are terminals. Returns null when the user
 * cancels. This module is imported only when a prompt is needed, so other paths never load the prompt
 * library.
 */
export async function askMissing(config: Config): Promise<Answered | null> {
  intro("121chat");
  let mode: Mode | undefined = config.mode;
  if (mode === undefined) {
    const chosen = await select<Mode>({
      message: "Start as",
      options: [
        { value: "server", label: "Server", hint: "wait for someone to connect" },
        { value: "client", label: "Client", hint: "connect to a server" },
      ],
    });
    if (isCancel(chosen)) return cancelled();
    mode = chosen;
  }

  if (mode === "server") {
    if (config.port !== undefined) return { ...config, mode };
    const answer = await text({
      message: "Port to listen on",
      placeholder: String(DEFAULT_PORT),
      defaultValue: String(DEFAULT_PORT),
      validate: validator((value) => value === "" || parsePort(value, "port", true)),
    });
    if (isCancel(answer)) return cancelled();
    const port = answer === "" ? DEFAULT_PORT : parsePort(answer, "port", true);
    outro(); // closes the prompts' frame; the server's banner follows
    return { ...config, mode, port };
  }

  let { host, port } = config;
  if (host === undefined && config.envTarget) {
    host = config.envTarget.host;
    port = config.envTarget.port ?? port;
  } else if (host === undefined) {
    const answer = await text({
      message: "Server to connect to (HOST or HOST:PORT)",
      placeholder: "e.g. 192.168.1.20, chat.example.org:7000 or [::1]",
      validate: validator((value) => {
        if (value.trim() === "") throw new Error("the server's address is needed");
        return parseTarget(value, "address");
      }),
    });
    if (isCancel(answer)) return cancelled();
    const target = parseTarget(answer);
    host = target.host;
    port = target.port ?? port;
  }
  let typedCode: string | undefined;
  if (config.encryption && config.code === undefined) {
    const code = await askCode();
    if (code === null) return cancelled();
    typedCode = code;
  }
  outro(); // closes the prompts' frame; "connecting to …" follows
  return { ...config, mode, host, port, ...(typedCode === undefined ? {} : { typedCode }) };
}

function cancelled(): null {
  cancel("Cancelled.");
  return null;
}
