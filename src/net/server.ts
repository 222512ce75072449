import type { Socket, TCPSocketListener } from "bun";
import type { ChatView } from "../core/chat.ts";
import { HandshakeGate } from "../core/handshake-gate.ts";
import { Session } from "../core/session.ts";
import { encodeText } from "../protocol/bytes.ts";
import { FrameType } from "../protocol/constants.ts";
import { encodeFrame } from "../protocol/encoder.ts";
import type { ServerCode } from "../secure/code.ts";
import { type ChannelUp, type HandshakeFailure, ServerHandshake } from "../secure/handshake.ts";
import { resumeTag, sameSecret } from "../secure/key-schedule.ts";
import { Connection, type ConnectionData, socketHandlers } from "./connection.ts";
import { DeadlineTimer, now } from "./deadline-timer.ts";
import { describeNetError } from "./errors.ts";
import { HandshakeDriver } from "./handshake-driver.ts";
import {
  LiveSession,
  type LiveSessionOwner,
  type SecureStart,
  secureStart,
  viewOwner,
} from "./live-session.ts";
import type { SessionTiming } from "./timing.ts";
import { type FileOptions, TransferDriver } from "./transfer-driver.ts";

export interface ServerOptions extends SessionTiming {
  /** Bind address; undefined means every interface, IPv6 and IPv4. */
  host?: string;
  /** 0 picks a free port (the `listening` event tells which). */
  port: number;
  maxMessage: number;
  /** Protocol version 2 with this code (the default); null for version 1 (--no-encryption). */
  secure: { code: ServerCode; resumeWindowMs: number; files: FileOptions } | null;
}

export interface ChatServer {
  readonly host: string;
  readonly port: number;
  /** Says goodbye to the client, if any, and stops listening. */
  stop(reason?: string): Promise<void>;
}

type Driver = HandshakeDriver<ServerHandshake>;

/**
 * Listens and keeps the one session slot. Every accepted socket is refused by the protocol rules (ERROR,
 * handshake timeout) without help from here when it sends garbage or nothing; the slot is claimed only by a
 * completed handshake, and one that finds it taken is answered BUSY.
 *
 * Version 2 adds the code and its rules (protocol-v2 sections 1 and 6): valid HELLOs wait in the handshake
 * gate and are answered one at a time, in turn by address, a second apart after a failed try; a generated
 * code is replaced after it opened a session or failed; a session whose client dropped is held for the
 * resume window, and a client that proves it is that session's (mode 1) takes it back.
 */
export function startServer(options: ServerOptions, view: ChatView): ChatServer {
  /** The session in the slot: live, or held for its client to come back. */
  let active: LiveSession | null = null;
  const gate = new HandshakeGate<Driver>();
  const gateTimer = new DeadlineTimer(() => serveGate());

  const toView = viewOwner(view);
  const owner: LiveSessionOwner = {
    ...toView,
    opened: (live) => {
      toView.opened(live);
      const next = options.secure?.code.used();
      if (next) view.code(next);
    },
    ended: (live, end) => {
      if (live === active) active = null;
      toView.ended(live, end);
    },
  };

  /** Version 1: every socket gets its own Session at once; the slot is claimed by a valid HELLO. */
  function openV1(connection: Connection): void {
    let live: LiveSession | null = null;
    const session = new Session({
      role: "server",
      maxMessage: options.maxMessage,
      now: now(),
      helloTimeoutMs: options.helloTimeoutMs,
      pingIntervalMs: options.pingIntervalMs,
      deadAfterMs: options.deadAfterMs,
      admit: () => {
        if (active) return false;
        active = live;
        return true;
      },
      busyReason: "the server is busy with another client; try again later",
    });
    live = new LiveSession(session, {
      ...owner,
      ended: (ended, end) => {
        if (ended === active) owner.ended(ended, end);
        // Never admitted: a busy second client, a stray protocol, a silent socket.
        else if (end.kind !== "lost") view.notice(`refused ${connection.peer}: ${end.reason}`);
      },
    });
    live.attach(connection);
  }

  /** Version 2: the handshake first; a session only once the channel is up. */
  function openV2(connection: Connection, secure: NonNullable<ServerOptions["secure"]>): void {
    const handshake = new ServerHandshake({
      now: now(),
      maxMessage: options.maxMessage,
      timeoutMs: options.helloTimeoutMs,
      findResume,
    });
    new HandshakeDriver(connection, handshake, {
      hello: (driver) => {
        // A resume proves itself with its tag (made with the session's secret): no code is at stake, so it
        // does not queue behind code attempts.
        const found = driver.handshake.foundResumeSecret;
        if (found) driver.answer(found);
        else {
          gate.enqueue(driver, connection.address);
          serveGate();
        }
      },
      up: (driver, channel) => {
        if (channel.mode === 1) resumeSession(driver, channel);
        else {
          gate.settled(driver, true, now());
          openSession(driver.connection, channel, secure);
          serveGate();
        }
      },
      failed: (driver, failure) => {
        handshakeFailed(driver, failure, secure.code);
        serveGate();
      },
    });
  }

  function findResume(sid: Uint8Array, tag: Uint8Array): Uint8Array | null {
    const secret = active?.resumeSecret;
    return secret && sameSecret(resumeTag(secret, sid), tag) ? secret : null;
  }

  function openSession(
    connection: Connection,
    channel: ChannelUp,
    { resumeWindowMs, files }: NonNullable<ServerOptions["secure"]>,
  ): void {
    const start = secureStart(channel);
    if (active) {
      // Inside the channel, so that only a client with the right code learns the server is busy.
      const reason = active.connected
        ? "the server is busy with another client; try again later"
        : `a session is waiting for its client to come back (${Math.ceil(heldLeftMs(active) / 1000)} s left)`;
      sayAndClose(connection, start, FrameType.BUSY, reason);
      view.notice(`refused ${connection.peer}: ${reason}`);
      return;
    }
    const session = new Session({
      role: "server",
      version: 2,
      maxMessage: options.maxMessage,
      now: now(),
      helloTimeoutMs: options.helloTimeoutMs,
      pingIntervalMs: options.pingIntervalMs,
      deadAfterMs: options.deadAfterMs,
      resumeWindowMs,
    });
    const live = new LiveSession(session, owner);
    live.resumeSecret = channel.resumeSecret;
    new TransferDriver(live, view, files);
    active = live;
    live.attach(connection, start);
  }

  function resumeSession(driver: Driver, channel: ChannelUp): void {
    const live = active;
    const start = secureStart(channel);
    if (!live || live.resumeSecret !== driver.handshake.foundResumeSecret) {
      // The session ended while this resume was under way.
      sayAndClose(driver.connection, start, FrameType.ERROR, "no such session to resume");
      return;
    }
    if (live.connected) live.replace(driver.connection, start);
    else live.attach(driver.connection, start);
  }

  function handshakeFailed(driver: Driver, failure: HandshakeFailure, code: ServerCode): void {
    const peer = driver.connection.peer;
    if (gate.answered === driver) gate.settled(driver, false, now());
    else gate.remove(driver);
    // Answered with the code and not confirmed: a failed try, whatever the reason (wrong code, ERROR, close,
    // timeout). A resume handshake is not one: no code was involved.
    if (failure.answered && driver.handshake.mode === 0) {
      view.codeFailed(peer);
      const next = code.failed();
      if (next) view.code(next);
      return;
    }
    // As in version 1: every refusal is worth a line, but a connection that just went away is not.
    if (failure.kind !== "closed") view.notice(`refused ${peer}: ${failure.reason}`);
  }

  /** Answers the next waiting HELLO, if the gate lets one through now; else wakes up when it may. */
  function serveGate(): void {
    const secure = options.secure;
    if (!secure) return;
    for (;;) {
      const driver = gate.next(now());
      if (!driver) break;
      if (driver.connection.isClosed) {
        gate.settled(driver, true, now());
        continue;
      }
      driver.answer(secure.code.prs);
      break;
    }
    gateTimer.set(gate.deadline(now()));
  }

  const handlers = {
    open(socket: Socket<ConnectionData>) {
      const connection = new Connection(socket as Socket<unknown>);
      socket.data = { connection };
      if (options.secure) openV2(connection, options.secure);
      else openV1(connection);
    },
    ...socketHandlers,
  };

  const listener = listen(options, handlers);
  return {
    host: listener.hostname,
    port: listener.port,
    async stop(reason = "the server is shutting down") {
      gateTimer.clear();
      const live = active;
      if (live) {
        live.close(reason);
        await live.closed;
      }
      listener.stop(true);
    },
  };
}

/** Says one last frame in the connection's new channel (so only a client with the right code reads it), then closes. */
function sayAndClose(connection: Connection, start: SecureStart, type: FrameType, text: string): void {
  connection.write(start.channel.seal([encodeFrame(type, 0, encodeText(text))]));
  connection.end();
}

/** How long a held session is still kept (0 when it is live). */
function heldLeftMs(live: LiveSession): number {
  return Math.max(0, live.session.deadline() - now());
}

function listen(
  options: ServerOptions,
  handlers: Parameters<typeof Bun.listen<ConnectionData>>[0]["socket"],
): TCPSocketListener<ConnectionData> {
  const attempt = (hostname: string) =>
    Bun.listen<ConnectionData>({ hostname, port: options.port, socket: handlers });
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
