import type { Socket } from "bun";
import { reconnectDelay } from "../core/backoff.ts";
import type { ChatLink, ChatView, SessionEnd } from "../core/chat.ts";
import { Session } from "../core/session.ts";
import { type ChannelUp, ClientHandshake, type HandshakeFailure } from "../secure/handshake.ts";
import { Connection, type ConnectionData, socketHandlers } from "./connection.ts";
import { DeadlineTimer, now } from "./deadline-timer.ts";
import { connectFailure, describeNetError } from "./errors.ts";
import { HandshakeDriver } from "./handshake-driver.ts";
import { LiveSession, type LiveSessionOwner, secureStart, viewOwner } from "./live-session.ts";
import type { SessionTiming } from "./timing.ts";
import { type FileOptions, TransferDriver } from "./transfer-driver.ts";

export interface ClientOptions extends SessionTiming {
  host: string;
  port: number;
  maxMessage: number;
  /** Protocol version 2 with this code (normalized), the default; null for version 1 (--no-encryption). */
  code: string | null;
  /** Version 2: files (null: no files, as in version 1). */
  files: FileOptions | null;
  /** How long the TCP connect may take. */
  connectTimeoutMs?: number;
}

export interface ClientSession {
  /** The session, from the moment the TCP connection is made (the handshake may still be under way). */
  link: ChatLink;
  /** Settles once the session is over and its socket closed, with how it ended. */
  ended: Promise<SessionEnd>;
}

/** A reconnect attempt's TCP connect may take this long (the attempts go on until the window ends). */
const RECONNECT_CONNECT_TIMEOUT_MS = 5000;
/**
 * A resume handshake that has not completed in this long is given up and tried again: a connection that went
 * silent halfway would otherwise hold the next attempt back for the full 10 s handshake timeout. (The
 * protocol's timeout bounds what a server waits; a client may give up on its own attempt sooner.)
 */
const RESUME_HANDSHAKE_TIMEOUT_MS = 4000;

/**
 * Dials the server and starts one session. Resolves once the TCP connection is made; rejects with one human
 * sentence when it cannot be made at all. A version-2 session whose connection drops is carried on over a
 * new one (reconnects with backoff until the server's resume window has passed).
 */
export async function connectClient(options: ClientOptions, view: ChatView): Promise<ClientSession> {
  let ended!: (end: SessionEnd) => void;
  const result = new Promise<SessionEnd>((resolve) => {
    ended = resolve;
  });
  const target = options.host.includes(":")
    ? `[${options.host}]:${options.port}`
    : `${options.host}:${options.port}`;

  const session = new Session({
    role: "client",
    version: options.code === null ? 1 : 2,
    maxMessage: options.maxMessage,
    now: now(),
    helloTimeoutMs: options.helloTimeoutMs,
    pingIntervalMs: options.pingIntervalMs,
    deadAfterMs: options.deadAfterMs,
  });
  const reconnector = new Reconnector(options, view, target);
  const toView = viewOwner(view);
  const owner: LiveSessionOwner = {
    ...toView,
    detached: (live) => reconnector.next(live),
    resumed: (live, event) => {
      reconnector.resumed();
      toView.resumed(live, event);
    },
    ended: (live, end) => {
      reconnector.stop();
      toView.ended(live, end);
      ended(end);
    },
  };
  const live = new LiveSession(session, owner);
  if (options.code !== null && options.files) new TransferDriver(live, view, options.files);

  // The HELLO's curve work (about half a millisecond) is done before dialing, not after.
  const handshake = options.code === null ? null : newHandshake({ mode: 0, code: options.code }, options);
  const connection = await dial(options.host, options.port, options.connectTimeoutMs ?? 10_000, target);
  if (handshake === null) live.attach(connection);
  else startHandshake(connection, live, handshake);

  const whenClosed = async (end: SessionEnd) => {
    await live.closed;
    return end;
  };
  return { link: live, ended: result.then(whenClosed) };
}

function newHandshake(
  secret: ConstructorParameters<typeof ClientHandshake>[0]["secret"],
  options: ClientOptions,
): ClientHandshake {
  const timeoutMs =
    secret.mode === 1
      ? Math.min(RESUME_HANDSHAKE_TIMEOUT_MS, options.helloTimeoutMs ?? Number.POSITIVE_INFINITY)
      : options.helloTimeoutMs;
  return new ClientHandshake({ now: now(), maxMessage: options.maxMessage, secret, timeoutMs });
}

/** Runs a version-2 handshake on `connection`; when the channel is up, `live` continues on it. */
function startHandshake(
  connection: Connection,
  live: LiveSession,
  handshake: ClientHandshake,
  onFailure: (failure: HandshakeFailure) => void = (failure) => abortOn(live, failure),
): void {
  new HandshakeDriver(connection, handshake, {
    up: (_driver, channel: ChannelUp) => {
      if (channel.mode === 0) live.resumeSecret = channel.resumeSecret;
      live.attach(connection, secureStart(channel));
    },
    failed: (_driver, failure) => onFailure(failure),
  });
}

/** A first handshake that failed ends the session, with the reason as the user should hear it. */
function abortOn(live: LiveSession, failure: HandshakeFailure): void {
  switch (failure.kind) {
    case "code-mismatch":
      live.abort("code-mismatch", "the code did not match");
      return;
    case "peer-error":
      live.abort(failure.reason === "code mismatch" ? "code-mismatch" : "peer-error", failure.reason);
      return;
    case "protocol-error":
      live.abort("protocol-error", failure.reason);
      return;
    case "timeout":
      live.abort("handshake-timeout", failure.reason);
      return;
    default:
      live.abort("lost", `the server closed the connection during the handshake (${failure.reason})`);
  }
}

/**
 * Brings a dropped version-2 session back: dials again after a backoff, proves with a mode-1 handshake that
 * it is the same client, and hands the new connection to the session, which resumes. Gives up when the
 * server says it has no such session; the session itself ends when its resume window has passed.
 */
class Reconnector {
  private attempt = 0;
  /** Why the last attempt failed, in a few words: the user's answer to "why is it still reconnecting?". */
  private lastFailure: string | undefined;
  private busy = false;
  private stopped = false;
  private readonly timer = new DeadlineTimer(() => this.dialNow());
  private live: LiveSession | null = null;

  constructor(
    private readonly options: ClientOptions,
    private readonly view: ChatView,
    private readonly target: string,
  ) {}

  /** The session has no connection: schedule the next attempt (unless one is under way). */
  next(live: LiveSession): void {
    if (this.stopped || this.busy || live.session.state === "closed") return;
    this.live = live;
    this.busy = true;
    this.attempt++;
    const delayMs = reconnectDelay(this.attempt, Math.random());
    this.view.reconnecting(live, { attempt: this.attempt, delayMs, lastFailure: this.lastFailure });
    this.timer.set(now() + delayMs);
  }

  resumed(): void {
    this.attempt = 0;
    this.lastFailure = undefined;
  }

  stop(): void {
    this.stopped = true;
    this.timer.clear();
  }

  private async dialNow(): Promise<void> {
    const live = this.live as LiveSession;
    const handshake = newHandshake({ mode: 1, resumeSecret: live.resumeSecret as Uint8Array }, this.options);
    let connection: Connection;
    try {
      connection = await dial(
        this.options.host,
        this.options.port,
        RECONNECT_CONNECT_TIMEOUT_MS,
        this.target,
      );
    } catch (error) {
      this.retry(live, error instanceof DialError ? error.failure : String(error));
      return;
    }
    if (this.stopped || live.session.state !== "suspended") {
      connection.terminate();
      return;
    }
    // Should this connection come up and then drop before the session is resumed, that is what the next
    // attempt says about this one (a failed handshake says its own reason; a resume clears it).
    this.lastFailure = "the connection dropped during the resume";
    startHandshake(connection, live, handshake, (failure) => {
      if (failure.kind === "no-session" || failure.reason === "no such session to resume") {
        live.abort("lost", "it no longer has this session: its resume window passed, or it restarted");
      } else this.retry(live, failure.reason);
    });
    // Attached (or failed): from here the session's own events say what happens next.
    this.busy = false;
  }

  private retry(live: LiveSession, failure: string): void {
    this.lastFailure = failure;
    this.busy = false;
    this.next(live);
  }
}

/** A connection that could not be made: `message` is one human sentence, `failure` its few words. */
class DialError extends Error {
  constructor(
    message: string,
    readonly failure: string,
  ) {
    super(message);
  }
}

/** Makes the TCP connection (bounded by `timeoutMs`); rejects with a DialError. */
async function dial(host: string, port: number, timeoutMs: number, target: string): Promise<Connection> {
  let connection: Connection | undefined;
  const connecting = Bun.connect<ConnectionData>({
    hostname: host,
    port,
    socket: {
      open(socket) {
        connection = new Connection(socket as Socket<unknown>);
        socket.data = { connection };
      },
      ...socketHandlers,
    },
  });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error("timed out"), { code: "ETIMEDOUT" })), timeoutMs);
  });
  let socket: Socket<ConnectionData>;
  try {
    socket = await Promise.race([connecting, timeout]);
  } catch (error) {
    connecting.then((socket) => socket.terminate()).catch(() => {});
    const failure = connectFailure(error) ?? (error instanceof Error ? error.message : String(error));
    throw new DialError(describeNetError(error, target), failure);
  } finally {
    clearTimeout(timer);
  }
  if (connection === undefined) {
    // Connected without `open` having made a Connection (it threw there): a failed attempt, not a crash.
    socket.terminate();
    throw new DialError(
      `could not connect to ${target}: the connection broke as it opened`,
      "the connection broke as it opened",
    );
  }
  return connection;
}
