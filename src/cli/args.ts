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
  /** Protocol version 2 (the default); false with --no-encryption: version 1, plaintext. */
  encryption: boolean;
  /**
   * Where the code comes from: --code-file (read by the caller) wins over CHAT121_CODE. Undefined: a server
   * draws its own; a client asks for it at a prompt (on a terminal only). Never the command line.
   */
  code?: { from: "env"; text: string } | { from: "file"; path: string };
  /** Server: how long a dropped session is held for its client (--resume-window; 0: no resume). */
  resumeWindowMs?: number;
  /**
   * Where received files go (--download-dir) as typed; undefined: the current folder. Not checked here (this
   * parser does no I/O): main.ts checks it with checkDownloadDir and puts the resolved folder here.
   */
  downloadDir?: string;
  /** --accept-files: accept every file offer without asking. */
  acceptFiles: boolean;
  /** --send PATH: send PATH once the session is open, wait until the peer has it, and exit. */
  send?: string;
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
  "no-encryption": { type: "boolean" },
  "code-file": { type: "string" },
  "resume-window": { type: "string" },
  "download-dir": { type: "string" },
  "accept-files": { type: "boolean" },
  send: { type: "string" },
  help: { type: "boolean", short: "h" },
  version: { type: "boolean", short: "v" },
} as const;

/**
 * Reads argv (without the program name) and the environment (MODE, IP_ADDR, PORT, NO_COLOR, CHAT121_CODE).
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
      ...security(values, env, mode),
      ...files(values),
    },
  };
}

/** --download-dir, --accept-files and --send: files go over protocol version 2 only. */
function files(values: {
  "download-dir"?: string;
  "accept-files"?: boolean;
  send?: string;
  "no-encryption"?: boolean;
}): Pick<Config, "downloadDir" | "acceptFiles" | "send"> {
  const given = (["download-dir", "accept-files", "send"] as const).find(
    (name) => values[name] !== undefined,
  );
  if (values["no-encryption"] === true && given !== undefined) {
    throw new UsageError(
      `--${given} needs encryption: files go over protocol version 2 only, which --no-encryption turns off`,
    );
  }
  for (const name of ["download-dir", "send"] as const) {
    if (values[name]?.trim() === "") throw new UsageError(`--${name}: the path is empty`);
  }
  return {
    downloadDir: values["download-dir"],
    acceptFiles: values["accept-files"] === true,
    send: values.send,
  };
}

/** --no-encryption, the code's source, and --resume-window. */
function security(
  values: { "no-encryption"?: boolean; "code-file"?: string; "resume-window"?: string },
  env: Record<string, string | undefined>,
  mode: Mode | undefined,
): Pick<Config, "encryption" | "code" | "resumeWindowMs"> {
  const encryption = values["no-encryption"] !== true;
  const file = values["code-file"];
  if (!encryption) {
    // CHAT121_CODE may be set for every run of a script; a flag that cannot apply is a mistake worth a word.
    if (file !== undefined)
      throw new UsageError("--code-file has no use with --no-encryption (no code is used)");
    if (values["resume-window"] !== undefined) {
      throw new UsageError("--resume-window needs encryption: a version-1 session ends with its connection");
    }
    return { encryption };
  }
  let resumeWindowMs: number | undefined;
  if (values["resume-window"] !== undefined) {
    if (mode === "client") {
      throw new UsageError("--resume-window is the server's: a client learns the window from the server");
    }
    resumeWindowMs = seconds(values["resume-window"], "--resume-window", true);
  }
  if (file !== undefined) {
    if (file.trim() === "") throw new UsageError("--code-file: the path is empty");
    return { encryption, code: { from: "file", path: file }, resumeWindowMs };
  }
  const text = nonEmpty(env.CHAT121_CODE);
  return text === undefined
    ? { encryption, resumeWindowMs }
    : { encryption, code: { from: "env", text }, resumeWindowMs };
}

function readArgs(argv: string[]) {
  try {
    return parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const unknown = /Unknown option '([^']+)'/.exec(message);
    if (unknown && /^--code(=|$)/.test(unknown[1] as string)) {
      // A code on the command line would show in every process list on the machine.
      throw new UsageError(
        "there is no --code option: a code on the command line shows in the process list; " +
          "set CHAT121_CODE or use --code-file PATH (or type it at the prompt)",
      );
    }
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

function seconds(text: string | undefined, option: string, allowZero = false): number | undefined {
  if (text === undefined) return undefined;
  const value = text.trim() === "" ? Number.NaN : Number(text);
  if (!(Number.isFinite(value) && (allowZero ? value >= 0 : value > 0) && value <= 86_400)) {
    const range = allowZero ? "0 to 86400" : "above 0, at most 86400";
    throw new UsageError(`${option}: '${text}' is not a number of seconds (${range})`);
  }
  return value * 1000;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === "" ? undefined : value;
}
