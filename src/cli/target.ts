import { UsageError } from "./usage-error.ts";

let netIsIP: ((input: string) => number) | undefined;

/**
 * node:net's isIP, loaded on first use: the command line is parsed on every start, `--version` included,
 * and loading node:net took a third of `--version`'s time (docs/performance.md).
 */
function isIP(input: string): number {
  netIsIP ??= (require("node:net") as typeof import("node:net")).isIP;
  return netIsIP(input);
}

export interface Target {
  host: string;
  port?: number;
}

/** A TCP port from text; 0 only where `allowZero` (a server asking for any free port). */
export function parsePort(text: string, what: string, allowZero = false): number {
  const port = /^\d+$/.test(text.trim()) ? Number(text.trim()) : Number.NaN;
  if (!(port >= (allowZero ? 0 : 1) && port <= 65535)) {
    throw new UsageError(`${what}: '${text}' is not a valid port (${allowZero ? 0 : 1}–65535)`);
  }
  return port;
}

const HOSTNAME =
  /^(?=.{1,253}$)[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)*\.?$/i;

/** Checks an address or host name and returns it without IPv6 brackets (brackets hold only IPv6). */
export function parseHost(text: string, what: string): string {
  const bracketed = text.startsWith("[") && text.endsWith("]");
  const host = bracketed ? text.slice(1, -1) : text;
  if (bracketed ? isIP(host) === 6 : isIP(host) || HOSTNAME.test(host)) return host;
  throw new UsageError(`${what}: '${text}' is not an IP address or host name`);
}

/**
 * `HOST[:PORT]` as typed by a user: `10.0.0.5`, `10.0.0.5:7000`, `chat.example.org:7000`, `::1`, `[::1]`,
 * `[::1]:7000`. A bare IPv6 address has no port (its colons are the address); with a port it needs brackets.
 */
export function parseTarget(text: string, what = "host"): Target {
  const value = text.trim();
  if (value === "") throw new UsageError(`${what}: the host is empty`);
  const bracketed = /^\[([^\]]+)\](?::(\d*))?$/.exec(value);
  if (bracketed) {
    const host = bracketed[1] as string;
    if (isIP(host) !== 6) throw new UsageError(`${what}: '${host}' in brackets is not an IPv6 address`);
    return bracketed[2] === undefined ? { host } : { host, port: parsePort(bracketed[2], what) };
  }
  const colons = value.split(":").length - 1;
  if (colons === 1) {
    const at = value.indexOf(":");
    return { host: parseHost(value.slice(0, at), what), port: parsePort(value.slice(at + 1), what) };
  }
  return { host: parseHost(value, what) };
}
