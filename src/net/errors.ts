/** One human sentence for a failed connect or listen, from the error's `code` where Bun gives one. */
export function describeNetError(error: unknown, what: string): string {
  const failure = connectFailure(error);
  if (failure !== null) {
    const hint = failure === "connection refused" ? " (is a 121chat server running there?)" : "";
    return `could not connect to ${what}: ${failure}${hint}`;
  }
  const code = (error as { code?: string } | null)?.code;
  // Two machines joined by a cable, no DHCP: their only addresses are link-local, which need the interface
  // to go out of. The kernel refuses one without it (EINVAL); any other EINVAL is told as it came.
  if (code === "EINVAL" && isLinkLocalWithoutZone(what)) {
    return `could not connect to ${what}: a link-local IPv6 address needs the interface to use, as in [fe80::1%eth0]`;
  }
  switch (code) {
    case "EADDRINUSE":
      return `cannot listen on ${what}: the address is already in use`;
    case "EACCES":
    case "EPERM":
      return `cannot listen on ${what}: permission denied`;
    case "EADDRNOTAVAIL":
      return `cannot listen on ${what}: no such local address`;
    default: {
      const message = error instanceof Error ? error.message : String(error);
      return `${what}: ${message}${code ? ` (${code})` : ""}`;
    }
  }
}

/** `[fe80::…]:port` (fe80::/10) with no `%interface`. */
function isLinkLocalWithoutZone(what: string): boolean {
  return /^\[fe[89ab][0-9a-f]:[^\]%]*\]/i.test(what);
}

/** Why dialling failed, in a few words ("connection refused"), or null for an error without such a name. */
export function connectFailure(error: unknown): string | null {
  switch ((error as { code?: string } | null)?.code) {
    case "ECONNREFUSED":
      return "connection refused";
    case "ENOTFOUND":
    case "EAI_NONAME":
    case "EAI_AGAIN":
      return "unknown host";
    case "ETIMEDOUT":
      return "timed out";
    case "EHOSTUNREACH":
    case "ENETUNREACH":
      return "host unreachable";
    default:
      return null;
  }
}

/** Why a socket closed, in a few words for people: "the connection was reset", or "closed by the peer". */
export function describeClose(error?: Error): string {
  if (!error) return "closed by the peer";
  const code = (error as { code?: string }).code;
  switch (code) {
    case "ECONNRESET":
      return "the connection was reset";
    case "ECONNABORTED":
      return "the connection was aborted";
    case "ETIMEDOUT":
      return "the connection timed out";
    case "EPIPE":
      return "the connection broke";
    case "EHOSTUNREACH":
    case "ENETUNREACH":
      return "the network is unreachable";
    default:
      return code ? `the connection failed (${code})` : `the connection failed (${error.message})`;
  }
}
