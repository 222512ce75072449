import type { Socket, TCPSocketListener } from "bun";
import type { ChatView } from "../core/chat.ts";
import { Session } from "../core/session.ts";
import { Connection, type ConnectionOwner } from "./connection.ts";
import { describeNetError } from "./errors.ts";
import type { SessionTiming } from "./timing.ts";

export interface ServerOptions extends SessionTiming {
  /** Bind address; undefined means every interface, IPv6 and IPv4. */
  host?: string;
  /** 0 picks a free port (the `listening` event tells which). */
  port: number;
  maxMessage: number;
}

export interface ChatServer {
  readonly host: string;
  readonly port: number;
  /** Says goodbye to the client, if any, and stops listening. */
  stop(reason?: string): Promise<void>;
}

type SocketData = { connection?: Connection };

/**
 * Listens and keeps the one session slot. Every accepted socket gets its own Session at once, so garbage or
 * silence is refused by the protocol rules (ERROR, handshake timeout) without help from here; the slot is
 * claimed only when a valid HELLO arrives, and a valid HELLO that finds it taken is answered BUSY.
 */
export function startServer(options: ServerOptions, view: ChatView): ChatServer {
  let active: Connection | null = null;

  const owner: ConnectionOwner = {
    opened: (connection) => view.connected(connection),
    delivered: (connection, events) =>
      connection === active ? view.delivered(connection, events) : undefined,
    drained: (connection) => {
      if (connection === active) view.drained(connection);
    },
    ended: (connection, { kind, reason }) => {
      if (connection === active) {
        active = null;
        view.ended(connection, {
          kind,
          reason,
          stats: connection.stats(),
          unacked: connection.unacked(),
        });
      } else if (kind !== "lost") {
        // Never admitted: a busy second client, a stray protocol, a silent socket.
        view.notice(`refused ${connection.peer}: ${reason}`);
      }
    },
  };

  const handlers = {
    open(socket: Socket<SocketData>) {
      let connection: Connection | null = null;
      const session = new Session({
        role: "server",
        maxMessage: options.maxMessage,
        now: performance.now(),
        helloTimeoutMs: options.helloTimeoutMs,
        pingIntervalMs: options.pingIntervalMs,
        deadAfterMs: options.deadAfterMs,
        admit: () => {
          if (active) return false;
          active = connection;
          return true;
        },
        busyReason: "the server is busy with another client; try again later",
      });
      connection = new Connection(socket, session, owner);
      socket.data = { connection };
    },
    data: (socket: Socket<SocketData>, chunk: Uint8Array) => socket.data?.connection?.onData(chunk),
    drain: (socket: Socket<SocketData>) => socket.data?.connection?.onDrain(),
    close: (socket: Socket<SocketData>, error?: Error) => socket.data?.connection?.onClose(error),
    error: (socket: Socket<SocketData>, error: Error) => socket.data?.connection?.onClose(error),
  };

  const listener = listen(options, handlers);
  return {
    host: listener.hostname,
    port: listener.port,
    async stop(reason = "the server is shutting down") {
      const connection = active;
      if (connection) {
        connection.close(reason);
        await connection.closed;
      }
      listener.stop(true);
    },
  };
}

function listen(
  options: ServerOptions,
  handlers: Parameters<typeof Bun.listen<SocketData>>[0]["socket"],
): TCPSocketListener<SocketData> {
  const attempt = (hostname: string) =>
    Bun.listen<SocketData>({ hostname, port: options.port, socket: handlers });
  if (options.host !== undefined) {
    try {
      return attempt(options.host);
    } catch (error) {
      throw new Error(describeNetError(error, `${options.host} port ${options.port}`));
    }
  }
  try {
    return attempt("::"); // dual stack: IPv6 and IPv4 on one socket
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === "EADDRINUSE" || code === "EACCES") {
      throw new Error(describeNetError(error, `port ${options.port}`));
    }
  }
  try {
    return attempt("0.0.0.0"); // a host without IPv6
  } catch (error) {
    throw new Error(describeNetError(error, `port ${options.port}`));
  }
}
