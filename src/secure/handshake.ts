import { encodeText } from "../protocol/bytes.ts";
import { FrameType } from "../protocol/constants.ts";
import { encodeFrame } from "../protocol/encoder.ts";
import { ProtocolError } from "../protocol/errors.ts";
import { normalizeCode, type RandomBytes, systemRandom } from "./code.ts";
import {
  calculateGenerator,
  decodeShare,
  intermediateSessionKey,
  type Point,
  publicShare,
  scalarFromBytes,
  sharedSecret,
} from "./cpace.ts";
import { HandshakeReader } from "./handshake-reader.ts";
import {
  CLIENT_AD_SIZE,
  type ClientHello,
  encodeClientHello,
  encodeServerHello,
  type HelloMode,
  parseClientHello,
  parseServerHello,
  SERVER_AD_SIZE,
  SHARE_BYTES,
  SID_SIZE,
} from "./hello.ts";
import {
  type ChannelSecrets,
  CONFIRM_SIZE,
  type DirectionKeys,
  deriveSecrets,
  RESUME_TAG_SIZE,
  resumeTag,
  sameSecret,
} from "./key-schedule.ts";

/**
 * Version 2's handshake (protocol-v2 section 1) as two state machines, one per role, with no I/O: bytes and
 * the time in, bytes and one outcome out. HELLO, HELLO, CONFIRM, all in plaintext version-1 frames; CPace
 * makes both sides' keys equal only when both used the same code, and the confirm values prove it before
 * anything else is said.
 */

/** The channel identification string of CPace: binds the keys to this protocol. */
export const CHANNEL_ID = encodeText("121chat/2");
export const HANDSHAKE_TIMEOUT_MS = 10_000;
/** How long an answered handshake may take to send its CONFIRM before it counts as a failed try. */
export const CONFIRM_TIMEOUT_MS = 3_000;

export interface ChannelKeys {
  /** For this side's records. */
  send: DirectionKeys;
  /** For the peer's records. */
  receive: DirectionKeys;
}

export interface ChannelUp {
  keys: ChannelKeys;
  /** This handshake's `121chat/2 resume` output: the session's resume secret when it was a mode-0 handshake. */
  resumeSecret: Uint8Array;
  peerMaxMessage: number;
  mode: HelloMode;
  sid: Uint8Array;
  /** Bytes that followed the handshake's last frame in the same chunk: the peer's first records. */
  leftover: Uint8Array;
}

export type HandshakeFailureKind =
  | "code-mismatch" // the confirm values differ: not the same code (or, in mode 1, not the same secret)
  | "no-session" // a mode-1 HELLO whose resume_tag fits no session
  | "protocol-error" // this side refused what the peer sent (and told it with ERROR)
  | "peer-error" // the peer refused what this side sent (its ERROR)
  | "timeout"
  | "closed"; // the connection ended first

export interface HandshakeFailure {
  kind: HandshakeFailureKind;
  reason: string;
  /** Server: whether this side had answered the HELLO (then, in mode 0, a failure is a failed code try). */
  answered: boolean;
}

export type HandshakeEvent =
  | { type: "hello"; hello: ClientHello } // server: a valid HELLO, waiting for `answer`
  | { type: "up"; channel: ChannelUp }
  | { type: "failed"; failure: HandshakeFailure };

export type HandshakeState = "hello" | "waiting" | "confirm" | "up" | "failed";

const utf8 = new TextDecoder();

/** A secret scalar from the random source: 64 bytes reduced modulo the group order (never zero). */
function drawScalar(random: RandomBytes): bigint {
  for (;;) {
    try {
      return scalarFromBytes(random(64));
    } catch (error) {
      if (!(error instanceof RangeError)) throw error;
    }
  }
}

/** What the two roles share: output, events, the overall deadline, and how a failure is reported. */
abstract class Handshake {
  protected current: HandshakeState = "hello";
  protected readonly reader: HandshakeReader;
  private output: Uint8Array[] = [];
  private events: HandshakeEvent[] = [];
  protected readonly deadlineAt: number;

  constructor(now: number, timeoutMs: number, expected: readonly FrameType[]) {
    this.deadlineAt = now + timeoutMs;
    this.reader = new HandshakeReader(expected);
  }

  get state(): HandshakeState {
    return this.current;
  }

  /** Feeds received bytes. */
  receive(chunk: Uint8Array, now: number): void {
    let pos = 0;
    while (pos < chunk.length && (this.current === "hello" || this.current === "confirm")) {
      let read: ReturnType<HandshakeReader["read"]>;
      try {
        read = this.reader.read(chunk, pos);
      } catch (error) {
        if (!(error instanceof ProtocolError)) throw error;
        this.refuse(error.message);
        return;
      }
      if (!read) return;
      pos = read.end;
      const { type, payload } = read.frame;
      if (type === FrameType.ERROR) {
        this.fail("peer-error", utf8.decode(payload));
        return;
      }
      try {
        this.onFrame(type, payload, chunk.subarray(pos), now);
      } catch (error) {
        if (!(error instanceof ProtocolError)) throw error;
        this.refuse(error.message);
        return;
      }
    }
    // Bytes after the frame that left the handshake waiting for its turn: the peer must wait for our answer.
    if (pos < chunk.length && this.current === "waiting")
      this.refuse("data before the handshake was answered");
  }

  tick(now: number): void {
    if (this.current === "up" || this.current === "failed") return;
    if (now >= this.deadlineAt) this.timeOut(`no handshake within ${HANDSHAKE_TIMEOUT_MS / 1000} s`);
  }

  /** The time by which `tick` must next be called. */
  deadline(): number {
    return this.current === "up" || this.current === "failed" ? Number.POSITIVE_INFINITY : this.deadlineAt;
  }

  /** The connection ended before the handshake did. */
  connectionLost(reason = "connection closed"): void {
    if (this.current === "up" || this.current === "failed") return;
    this.fail("closed", reason);
  }

  takeOutput(): Uint8Array[] {
    const out = this.output;
    if (out.length > 0) this.output = [];
    return out;
  }

  takeEvents(): HandshakeEvent[] {
    const out = this.events;
    if (out.length > 0) this.events = [];
    return out;
  }

  protected abstract onFrame(type: FrameType, payload: Uint8Array, rest: Uint8Array, now: number): void;

  /** Whether a failure now counts as answered (server: its HELLO went out). */
  protected answered(): boolean {
    return false;
  }

  protected send(type: FrameType, payload?: Uint8Array): void {
    this.output.push(encodeFrame(type, 0, payload));
  }

  protected emit(event: HandshakeEvent): void {
    this.events.push(event);
  }

  /** The peer broke the rules: tell it why (ERROR), then fail. */
  protected refuse(reason: string, kind: HandshakeFailureKind = "protocol-error"): void {
    this.send(FrameType.ERROR, encodeText(reason));
    this.fail(kind, reason);
  }

  protected timeOut(reason: string): void {
    this.send(FrameType.ERROR, encodeText(reason));
    this.fail("timeout", reason);
  }

  protected fail(kind: HandshakeFailureKind, reason: string): void {
    if (this.current === "failed" || this.current === "up") return;
    const answered = this.answered();
    this.current = "failed";
    this.emit({ type: "failed", failure: { kind, reason, answered } });
  }
}

export interface ClientHandshakeOptions {
  now: number;
  /** The largest MSG payload this side accepts. */
  maxMessage: number;
  /** Mode 0: the code as typed (normalized here). Mode 1: the session's resume secret. */
  secret: { mode: 0; code: string } | { mode: 1; resumeSecret: Uint8Array };
  random?: RandomBytes;
  timeoutMs?: number;
}

/** The client's side: sends its HELLO at once, checks the server's confirm value, sends CONFIRM. */
export class ClientHandshake extends Handshake {
  private readonly scalar: bigint;
  private readonly sid: Uint8Array;
  private readonly prs: Uint8Array;
  private readonly hello: Uint8Array;
  private readonly mode: HelloMode;

  constructor(options: ClientHandshakeOptions) {
    super(options.now, options.timeoutMs ?? HANDSHAKE_TIMEOUT_MS, [FrameType.HELLO, FrameType.ERROR]);
    const random = options.random ?? systemRandom;
    this.sid = random(SID_SIZE);
    this.scalar = drawScalar(random);
    this.mode = options.secret.mode;
    let tag: Uint8Array = new Uint8Array(RESUME_TAG_SIZE);
    if (options.secret.mode === 0) this.prs = encodeText(normalizeCode(options.secret.code));
    else {
      this.prs = options.secret.resumeSecret;
      tag = resumeTag(options.secret.resumeSecret, this.sid);
    }
    const generator = calculateGenerator(this.prs, CHANNEL_ID, this.sid);
    this.hello = encodeClientHello({
      maxMessage: options.maxMessage,
      mode: this.mode,
      sid: this.sid,
      resumeTag: tag,
      share: publicShare(generator, this.scalar),
    });
    this.send(FrameType.HELLO, this.hello);
  }

  protected onFrame(type: FrameType, payload: Uint8Array, rest: Uint8Array): void {
    if (type !== FrameType.HELLO) throw new ProtocolError(`unexpected frame type ${type} in the handshake`);
    const server = parseServerHello(payload);
    const k = sharedSecret(this.scalar, server.share);
    if (!k) throw new ProtocolError("the server's share is not a valid group element");
    const isk = intermediateSessionKey(this.sid, k, {
      ya: this.hello.subarray(CLIENT_AD_SIZE),
      adA: this.hello.subarray(0, CLIENT_AD_SIZE),
      yb: server.share,
      adB: server.ad,
    });
    const secrets = deriveSecrets(isk, this.sid);
    if (!sameSecret(server.confirm, secrets.serverConfirm)) {
      this.refuse("code mismatch", "code-mismatch");
      return;
    }
    this.send(FrameType.CONFIRM, secrets.clientConfirm);
    this.current = "up";
    this.emit({
      type: "up",
      channel: channelUp(secrets, "client", server.maxMessage, this.mode, this.sid, rest),
    });
  }
}

export interface ServerHandshakeOptions {
  now: number;
  maxMessage: number;
  /** The resume secret of the session a mode-1 HELLO's resume_tag fits (held or live), or null. */
  findResume: (sid: Uint8Array, tag: Uint8Array) => Uint8Array | null;
  random?: RandomBytes;
  timeoutMs?: number;
  confirmTimeoutMs?: number;
}

/**
 * The server's side: reads the client's HELLO and reports it (`hello` event); the owner answers it with
 * `answer(prs)` when its turn comes (one answered handshake at a time). Then it checks CONFIRM.
 */
export class ServerHandshake extends Handshake {
  private readonly options: ServerHandshakeOptions;
  private client: ClientHello | null = null;
  /** The client's share, decoded (and checked) when its HELLO arrived. */
  private clientShare: Point | null = null;
  private resumeSecret: Uint8Array | null = null;
  private expected: ChannelSecrets | null = null;
  private confirmBy = Number.POSITIVE_INFINITY;

  constructor(options: ServerHandshakeOptions) {
    super(options.now, options.timeoutMs ?? HANDSHAKE_TIMEOUT_MS, [FrameType.HELLO]);
    this.options = options;
  }

  /** The HELLO's mode, once it has arrived. */
  get mode(): HelloMode | null {
    return this.client?.mode ?? null;
  }

  /** Mode 1: the resume secret found for its tag (the PRS to answer with). */
  get foundResumeSecret(): Uint8Array | null {
    return this.resumeSecret;
  }

  /** Answers the waiting HELLO with the PRS: the normalized code (mode 0), or the resume secret (mode 1). */
  answer(prs: Uint8Array, now: number): void {
    const client = this.client;
    if (this.current !== "waiting" || !client) return;
    const scalar = drawScalar(this.options.random ?? systemRandom);
    const generator = calculateGenerator(prs, CHANNEL_ID, client.sid);
    const share = publicShare(generator, scalar);
    const k = sharedSecret(scalar, this.clientShare as Point) as Uint8Array; // checked on arrival
    // The confirm value depends on ADb, the HELLO's bytes before the share: written in once it is known.
    const hello = encodeServerHello({
      maxMessage: this.options.maxMessage,
      share,
      confirm: new Uint8Array(32),
    });
    const adB = hello.subarray(0, SERVER_AD_SIZE);
    const isk = intermediateSessionKey(client.sid, k, { ya: client.share, adA: client.ad, yb: share, adB });
    this.expected = deriveSecrets(isk, client.sid);
    hello.set(this.expected.serverConfirm, SERVER_AD_SIZE + SHARE_BYTES);
    this.send(FrameType.HELLO, hello);
    this.current = "confirm";
    this.confirmBy = now + (this.options.confirmTimeoutMs ?? CONFIRM_TIMEOUT_MS);
    this.reader.expect([FrameType.CONFIRM, FrameType.ERROR]);
  }

  override tick(now: number): void {
    if (this.current === "confirm" && now >= this.confirmBy) {
      this.timeOut(`no CONFIRM within ${(this.options.confirmTimeoutMs ?? CONFIRM_TIMEOUT_MS) / 1000} s`);
      return;
    }
    if (this.current === "waiting" && now >= this.deadlineAt) {
      // Not the client's fault: others were answered first (one at a time, a second apart after failures).
      this.timeOut(
        `the server could not answer within ${HANDSHAKE_TIMEOUT_MS / 1000} s: other handshakes were ahead of this one; try again`,
      );
      return;
    }
    super.tick(now);
  }

  override deadline(): number {
    return Math.min(super.deadline(), this.current === "confirm" ? this.confirmBy : Number.POSITIVE_INFINITY);
  }

  protected override answered(): boolean {
    return this.current === "confirm";
  }

  protected onFrame(_type: FrameType, payload: Uint8Array, rest: Uint8Array): void {
    // The reader lets through only HELLO first, then CONFIRM (ERROR is handled before this).
    if (this.current === "hello") {
      const client = parseClientHello(payload);
      this.clientShare = decodeShare(client.share);
      if (!this.clientShare) throw new ProtocolError("the client's share is not a valid group element");
      if (client.mode === 1) {
        this.resumeSecret = this.options.findResume(client.sid, client.resumeTag);
        if (!this.resumeSecret) {
          this.refuse("no such session to resume", "no-session");
          return;
        }
      }
      this.client = client;
      this.current = "waiting";
      this.emit({ type: "hello", hello: client }); // bytes after it are refused by `receive`
      return;
    }
    // "confirm": the reader lets only CONFIRM through here (ERROR is handled before).
    const expected = this.expected as ChannelSecrets;
    const client = this.client as ClientHello;
    if (payload.length !== CONFIRM_SIZE || !sameSecret(payload, expected.clientConfirm)) {
      this.refuse("code mismatch", "code-mismatch");
      return;
    }
    this.current = "up";
    this.emit({
      type: "up",
      channel: channelUp(expected, "server", client.maxMessage, client.mode, client.sid, rest),
    });
  }
}

function channelUp(
  secrets: ChannelSecrets,
  role: "client" | "server",
  peerMaxMessage: number,
  mode: HelloMode,
  sid: Uint8Array,
  leftover: Uint8Array,
): ChannelUp {
  const keys =
    role === "client"
      ? { send: secrets.c2s, receive: secrets.s2c }
      : { send: secrets.s2c, receive: secrets.c2s };
  return { keys, resumeSecret: secrets.resumeSecret, peerMaxMessage, mode, sid, leftover: leftover.slice() };
}
