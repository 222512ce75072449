import { parseArgs } from "node:util";
import { DEFAULT_DEAD_AFTER_MS, DEFAULT_PING_INTERVAL_MS } from "../core/session.ts";
import { DEFAULT_MAX_MESSAGE, MAX_U32 } from "../protocol/constants.ts";
import { parseSize } from "./size.ts";
import { parsePort, parseTarget, type Target } from "./target.ts";
import { UsageError } from "./usage-error.ts";

export type Mode = "server" | "client";

/** Everything the command line and the environment decided. What is still missing is asked for, on a terminal. */
export interface Config {
  mode?: Mode;
  /** Server: the bind address (undefined: all interfaces). Client: the host to dial (undefined: ask). */
  host?: string;
  /** undefined: the default (server) or the one in HOST:PORT (client), else 7121. */
  port?: number;
  /**
   * IP_ADDR when no mode is given yet: the client's target should the user pick "client" at the prompt
   * (the environment wins over prompts), and nothing at all should they pick "server".
   */
  envTarget?: Target;
  maxMessage: number;
  json: boolean;
  color: boolean;
  pingIntervalMs?: number;
  deadAfterMs?: number;
}

export type Invocation = { action: "run"; config: Config } | { action: "help" } | { action: "version" };

const OPTIONS = {
  port: { type: "string", short: "p" },
  host: { type: "string" },
  "max-message-size": { type: "string" },
  json: { type: "boolean" },
  "no-color": { type: "boolean" },
  "ping-interval": { type: "string" },
  "dead-after": { type: "string" },
  help: { type: "boolean", short: "h" },
  version: { type: "boolean", short: "v" },
} as const;

/**
 * Reads argv (without the program name) and the environment (MODE, IP_ADDR, PORT, NO_COLOR).
 * Flags win over the environment; prompts, if any, come later and only fill what is still missing.
 * Throws UsageError with one line for anything wrong.
 */
export function parseCommandLine(argv: string[], env: Record<string, string | undefined>): Invocation {
  const { values, positionals } = readArgs(argv);
  if (values.help) return { action: "help" };
  if (values.version) return { action: "version" };

  const [modeArg, targetArg, ...extra] = positionals;
  if (extra.length > 0) throw new UsageError(`unexpected argument '${extra[0]}'`);
  const mode = parseMode(modeArg, env.MODE);

  let host: string | undefined;
  let port: number | undefined;
  let envTarget: Target | undefined;
  if (mode === "server") {
    if (targetArg !== undefined)
      throw new UsageError(`unexpected argument '${targetArg}' (the server takes --host and --port)`);
    if (values.host !== undefined) host = parseBindHost(values.host);
  } else if (values.host !== undefined) {
    throw new UsageError(
      "--host is the server's bind address; a client names its host as 'client HOST[:PORT]'",
    );
  } else {
    // IP_ADDR is the client's target: without a mode the prompt may still pick "server", which must not
    // take it for its bind address and port.
    const fromEnv = nonEmpty(env.IP_ADDR);
    if (mode === undefined && fromEnv !== undefined) envTarget = parseTarget(fromEnv, "IP_ADDR");
    const text = targetArg ?? (mode === "client" ? fromEnv : undefined);
    if (text !== undefined) {
      const target = parseTarget(text, targetArg !== undefined ? "host" : "IP_ADDR");
      host = target.host;
      port = target.port;
    }
  }

  if (values.port !== undefined) {
    const flagPort = parsePort(values.port, "--port", mode === "server");
    if (port !== undefined && targetArg !== undefined && port !== flagPort) {
      throw new UsageError(`two different ports: ${port} in '${targetArg}' and ${flagPort} in --port`);
    }
    port = flagPort;
  } else if (port === undefined && nonEmpty(env.PORT) !== undefined) {
    port = parsePort(env.PORT as string, "PORT", mode === "server");
  }

  return {
    action: "run",
    config: {
      mode,
      host,
      port,
      envTarget,
      maxMessage:
        values["max-message-size"] === undefined
          ? DEFAULT_MAX_MESSAGE
          : parseSize(values["max-message-size"], "--max-message-size", 0, MAX_U32),
      json: values.json === true,
      color: values["no-color"] !== true && nonEmpty(env.NO_COLOR) === undefined,
      ...keepalive(values["ping-interval"], values["dead-after"]),
    },
  };
}

function readArgs(argv: string[]) {
  try {
    return parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const unknown = /Unknown option '([^']+)'/.exec(message);
    if (unknown) throw new UsageError(`unknown option '${unknown[1]}'`);
    const missing = /Option '([^']+)' argument missing/.exec(message);
    // "-p, --port <value>" -> "--port"
    const option = missing?.[1]?.replace(/^-\w, /, "").replace(/ <value>$/, "");
    if (option) throw new UsageError(`option '${option}' needs a value`);
    throw new UsageError(message.split("\n")[0] ?? message);
  }
}

/** The server's --host: an address or name, IPv6 with or without brackets, and no port (that is --port). */
function parseBindHost(text: string): string {
  const target = parseTarget(text, "--host");
  if (target.port !== undefined) {
    throw new UsageError(`--host: '${text}' has a port; give the address alone and the port with --port`);
  }
  return target.host;
}

function parseMode(arg: string | undefined, envMode: string | undefined): Mode | undefined {
  if (arg !== undefined) {
    if (arg === "server" || arg === "client") return arg;
    throw new UsageError(`unknown mode '${arg}' (expected 'server' or 'client')`);
  }
  const fromEnv = nonEmpty(envMode)?.toLowerCase();
  if (fromEnv === undefined) return undefined;
  if (fromEnv === "server" || fromEnv === "client") return fromEnv;
  throw new UsageError(`MODE='${envMode}' is not 'server' or 'client'`);
}

/** --ping-interval and --dead-after; a peer must get a PING before it can be declared dead. */
function keepalive(
  ping: string | undefined,
  dead: string | undefined,
): Pick<Config, "pingIntervalMs" | "deadAfterMs"> {
  const pingIntervalMs = seconds(ping, "--ping-interval");
  const deadAfterMs = seconds(dead, "--dead-after");
  const effectivePing = pingIntervalMs ?? DEFAULT_PING_INTERVAL_MS;
  const effectiveDead = deadAfterMs ?? DEFAULT_DEAD_AFTER_MS;
  if (effectiveDead <= effectivePing) {
    throw new UsageError(
      `--dead-after (${effectiveDead / 1000} s) must be longer than --ping-interval (${effectivePing / 1000} s): ` +
        "a quiet but live peer is only known to be alive once it has answered a PING",
    );
  }
  return { pingIntervalMs, deadAfterMs };
}

function seconds(text: string | undefined, option: string): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!(Number.isFinite(value) && value > 0 && value <= 86_400)) {
    throw new UsageError(`${option}: '${text}' is not a number of seconds (above 0, at most 86400)`);
  }
  return value * 1000;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === "" ? undefined : value;
}
