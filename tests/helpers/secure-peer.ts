import { DEFAULT_MAX_MESSAGE, FrameType, HEADER_SIZE, MAX_U32 } from "../../src/protocol/constants.ts";
import { type Frame, FrameDecoder, readU32 } from "../../src/protocol/decoder.ts";
import { encodeFrame } from "../../src/protocol/encoder.ts";
import { IntegrityError, ProtocolError } from "../../src/protocol/errors.ts";
import {
  type ChannelUp,
  ClientHandshake,
  type ClientHandshakeOptions,
  type HandshakeFailure,
} from "../../src/secure/handshake.ts";
import { SecureChannel } from "../../src/secure/secure-channel.ts";
import { concat, utf8 } from "./frames.ts";
import { type DialOptions, dial, PeerSocket } from "./peer-socket.ts";

/** A plaintext frame of the handshake as it arrived, and when (performance.now()). */
export interface PlainFrame {
  type: number;
  id: number;
  payload: Uint8Array;
  at: number;
}

/**
 * What the peer does when the server's HELLO arrives: "confirm" finishes the handshake like a real client
 * (CONFIRM if the server's confirm value is right, else ERROR "code mismatch" and a close); "stop" does
 * nothing at all (a client that got its answer and then stalls, or closes: the test decides).
 */
export type AfterHello = "confirm" | "stop";

/**
 * A hand-driven version-2 client in the test process (protocol-v2 sections 1–3), the counterpart of RawPeer:
 * it does the real handshake with src/secure's ClientHandshake (a code, or mode 1 with a resume secret), can
 * stop at any step, and once the channel is up sends and reads frames inside records through SecureChannel.
 * It never answers anything by itself after the handshake (no ACK, no PONG), so a test can play any peer.
 *
 * It records the server's plaintext handshake frames (HELLO, ERROR) with their arrival time, and every frame
 * it decrypts. `write` still puts raw bytes on the wire, for hostile tests.
 */
export class SecurePeer extends PeerSocket {
  /** The server's plaintext frames: its HELLO, or an ERROR (and, after a "stop", the ERROR of its timeout). */
  readonly plainFrames: PlainFrame[] = [];
  /** Every frame decrypted from the server's records, in order. */
  readonly frames: Frame[] = [];
  /** The handshake's failure, as ClientHandshake saw it (a wrong code, the server's ERROR, …). */
  failure: HandshakeFailure | null = null;
  /** Set when one of the server's records failed to open, or its frames could not be decoded. */
  recordError: string | null = null;
  /** The channel, once the handshake is done. */
  channel: ChannelUp | null = null;
  /** The HELLO this peer sent (payload included, framed). */
  hello: Uint8Array | null = null;
  private handshake: ClientHandshake | null = null;
  private afterHello: AfterHello = "confirm";
  private secure: SecureChannel | null = null;
  private readonly decoder = new FrameDecoder({ maxMessage: MAX_U32, isKnownType: () => true });
  /** Plaintext bytes of the handshake not yet a whole frame. */
  private plain: Uint8Array = new Uint8Array(0);
  /** Whether the bytes from the server are records from now on (after its HELLO, when confirming). */
  private plainDone = false;

  /** Dials `host:port` (from `localAddress`, if given); nothing is sent yet. */
  static connect(host: string, port: number, options: DialOptions = {}): Promise<SecurePeer> {
    return dial(new SecurePeer(), host, port, options);
  }

  /**
   * A peer whose handshake with `code` completed: the channel is up (the server's first record, SESSION or
   * BUSY, may still be on its way: see `waitForFrame`).
   */
  static async open(
    host: string,
    port: number,
    code: string,
    options: DialOptions & { maxMessage?: number } = {},
  ): Promise<SecurePeer> {
    const peer = await SecurePeer.connect(host, port, options);
    await peer.sendHello({ mode: 0, code }, "confirm", options.maxMessage);
    await peer.waitUp();
    return peer;
  }

  /** Sends this peer's HELLO: mode 0 with a code, or mode 1 with a resume secret. */
  async sendHello(
    secret: ClientHandshakeOptions["secret"],
    afterHello: AfterHello = "confirm",
    maxMessage = DEFAULT_MAX_MESSAGE,
  ): Promise<void> {
    this.afterHello = afterHello;
    this.handshake = new ClientHandshake({ now: performance.now(), maxMessage, secret });
    this.hello = concat(this.handshake.takeOutput());
    await this.write(this.hello);
  }

  /** The server's HELLO (or whatever plaintext frame it sent first), once it has arrived. */
  waitForServerHello(timeoutMs = 10_000): Promise<PlainFrame> {
    return this.waitForPlainFrame((frame) => frame.type === FrameType.HELLO, timeoutMs);
  }

  waitForPlainFrame(match: (frame: PlainFrame) => boolean, timeoutMs = 10_000): Promise<PlainFrame> {
    return this.waitFor(
      () => this.plainFrames.find(match),
      timeoutMs,
      () => `no matching plaintext frame (got types ${this.plainFrames.map((f) => f.type).join(",")})`,
    );
  }

  /** Resolves once the channel is up; fails if the handshake failed or the connection closed first. */
  async waitUp(timeoutMs = 10_000): Promise<ChannelUp> {
    return this.waitFor(
      () => {
        if (this.failure) throw new Error(`the handshake failed: ${JSON.stringify(this.failure)}`);
        return this.channel ?? undefined;
      },
      timeoutMs,
      () => "the channel did not come up",
    );
  }

  /** The first decrypted frame (from the start) that matches, waiting for it up to `timeoutMs`. */
  waitForFrame(match: (frame: Frame) => boolean, timeoutMs = 10_000): Promise<Frame> {
    return this.waitFor(
      () => this.frames.find(match),
      timeoutMs,
      () => `no matching frame in the records (got types ${this.frames.map((f) => f.type).join(",")})`,
    );
  }

  /** Seals one frame into a record of its own and sends it; resolves when the kernel has it. */
  send(type: number, id: number, payload: Uint8Array = new Uint8Array(0)): Promise<void> {
    return this.write(this.seal(encodeFrame(type as FrameType, id, payload)));
  }

  sendMessage(id: number, text: string): Promise<void> {
    return this.send(FrameType.MSG, id, utf8(text));
  }

  /** The record(s) that carry `plaintext`, as they would be sent next: for a test to alter before sending. */
  seal(plaintext: Uint8Array): Uint8Array {
    if (!this.secure) throw new Error("the channel is not up");
    return concat(this.secure.seal([plaintext]));
  }

  protected onBytes(chunk: Uint8Array): void {
    if (this.secure) {
      this.openRecords(chunk);
      return;
    }
    this.readPlain(chunk);
    const handshake = this.handshake;
    if (!handshake || this.afterHello === "stop" || handshake.state !== "hello") return;
    handshake.receive(chunk, performance.now());
    const output = handshake.takeOutput();
    if (output.length > 0) void this.write(concat(output));
    for (const event of handshake.takeEvents()) {
      if (event.type === "up") {
        this.channel = event.channel;
        this.secure = new SecureChannel(event.channel.keys);
        if (event.channel.leftover.length > 0) this.openRecords(event.channel.leftover);
      } else if (event.type === "failed") {
        this.failure = event.failure;
        this.end(); // as a real client: its ERROR, if any, then the close
      }
    }
  }

  /** Records the server's plaintext frames: all of them, until its HELLO starts the records. */
  private readPlain(chunk: Uint8Array): void {
    if (this.plainDone) return;
    this.plain = concat([this.plain, chunk]);
    while (!this.plainDone && this.plain.length >= HEADER_SIZE) {
      const length = readU32(this.plain, 5);
      if (this.plain.length < HEADER_SIZE + length) return;
      const type = this.plain[0] as number;
      this.plainFrames.push({
        type,
        id: readU32(this.plain, 1),
        payload: this.plain.slice(HEADER_SIZE, HEADER_SIZE + length),
        at: performance.now(),
      });
      this.plain = this.plain.subarray(HEADER_SIZE + length);
      // After the server's HELLO come its records, unless this peer never confirms.
      if (type === FrameType.HELLO && this.afterHello === "confirm") this.plainDone = true;
    }
  }

  private openRecords(chunk: Uint8Array): void {
    if (this.recordError) return;
    try {
      (this.secure as SecureChannel).open(chunk, (plaintext) =>
        this.decoder.push(plaintext, (frame) => this.frames.push(frame)),
      );
    } catch (error) {
      if (!(error instanceof IntegrityError || error instanceof ProtocolError)) throw error;
      this.recordError = error.message;
    }
  }
}
