import type { Socket } from "bun";
import type { ChatLink, ChatView, SessionEnd } from "../core/chat.ts";
import { Session } from "../core/session.ts";
import { Connection, type ConnectionOwner } from "./connection.ts";
import { describeNetError } from "./errors.ts";
import type { SessionTiming } from "./timing.ts";

export interface ClientOptions extends SessionTiming {
  host: string;
  port: number;
  maxMessage: number;
  /** How long the TCP connect may take. */
  connectTimeoutMs?: number;
}

type SocketData = { connection?: Connection };

export interface ClientSession {
  /** The session, from the moment the TCP connection is made (the handshake may still be under way). */
  link: ChatLink;
  /** Settles once the session is over and its socket closed, with how it ended. */
  ended: Promise<SessionEnd>;
}

/**
 * Dials the server and starts one session. Resolves once the TCP connection is made; rejects with one human
 * sentence when it cannot be made at all.
 */
export async function connectClient(options: ClientOptions, view: ChatView): Promise<ClientSession> {
  let ended!: (end: SessionEnd) => void;
  const result = new Promise<SessionEnd>((resolve) => {
    ended = resolve;
  });

  const owner: ConnectionOwner = {
    opened: (connection) => view.connected(connection),
    delivered: (connection, events) => view.delivered(connection, events),
    drained: (connection) => view.drained(connection),
    ended: (connection, { kind, reason }) => {
      const end = { kind, reason, stats: connection.stats(), unacked: connection.unacked() };
      view.ended(connection, end);
      ended(end);
    },
  };

  const target = options.host.includes(":")
    ? `[${options.host}]:${options.port}`
    : `${options.host}:${options.port}`;
  let connection: Connection | undefined;
  const connecting = Bun.connect<SocketData>({
    hostname: options.host,
    port: options.port,
    socket: {
      open(socket) {
        const session = new Session({
          role: "client",
          maxMessage: options.maxMessage,
          now: performance.now(),
          helloTimeoutMs: options.helloTimeoutMs,
          pingIntervalMs: options.pingIntervalMs,
          deadAfterMs: options.deadAfterMs,
        });
        connection = new Connection(socket as Socket<unknown>, session, owner);
        socket.data = { connection };
      },
      data: (socket, chunk) => socket.data?.connection?.onData(chunk),
      drain: (socket) => socket.data?.connection?.onDrain(),
      close: (socket, error) => socket.data?.connection?.onClose(error),
      error: (socket, error) => socket.data?.connection?.onClose(error),
    },
  });

  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(Object.assign(new Error("timed out"), { code: "ETIMEDOUT" })),
      options.connectTimeoutMs ?? 10_000,
    );
  });
  try {
    await Promise.race([connecting, timeout]);
  } catch (error) {
    connecting.then((socket) => socket.terminate()).catch(() => {});
    throw new Error(describeNetError(error, target));
  } finally {
    clearTimeout(timer);
  }

  const link = connection as Connection;
  const whenClosed = async (end: SessionEnd) => {
    await link.closed;
    return end;
  };
  return { link, ended: result.then(whenClosed) };
}
