import type { Socket, TCPSocketListener } from "bun";
import { DEFAULT_MAX_MESSAGE, FrameType, MAX_U32 } from "../../src/protocol/constants.ts";
import { type Frame, FrameDecoder } from "../../src/protocol/decoder.ts";
import { encodeFrame } from "../../src/protocol/encoder.ts";
import { encodeHello } from "../../src/protocol/hello.ts";
import {
  acceptInto,
  type DialOptions,
  dial,
  PEER_HANDLERS,
  type PeerData,
  PeerSocket,
} from "./peer-socket.ts";
import { waitUntil } from "./wait.ts";

/**
 * The arguments every program a RawPeer talks to is started with, in this one place: RawPeer speaks version-1
 * frames in the clear, so the program must too (version 2's handshake and records have tests of their own).
 */
export const RAW_PEER_PROGRAM_ARGS: readonly string[] = ["--no-encryption"];

/**
 * A hand-driven peer on a raw TCP socket, in the test process: it speaks exactly the frames the test writes
 * (with src/protocol's encoder) and records every frame the other side sends. It never answers anything by
 * itself, so it can play a peer that stops acknowledging, stops answering PINGs or stops mid-frame.
 */
export class RawPeer extends PeerSocket {
  readonly frames: Frame[] = [];
  /**
   * Called for each frame the moment it is decoded, in the socket's data handler: for checks that must see
   * the world exactly when a frame arrives (what the other program had written out by then, say). It records
   * what it sees for the test to check afterwards; it must not throw.
   */
  onFrame: ((frame: Frame) => void) | null = null;
  private readonly decoder = new FrameDecoder({ maxMessage: MAX_U32 });

  /** Dials `host:port` and resolves once the TCP connection is made (nothing sent yet). */
  static connect(host: string, port: number, options: DialOptions = {}): Promise<RawPeer> {
    return dial(new RawPeer(), host, port, options);
  }

  /** Sends a HELLO and waits for the server's HELLO: from then on this peer holds the session slot. */
  static async handshake(host: string, port: number, maxMessage = DEFAULT_MAX_MESSAGE): Promise<RawPeer> {
    const peer = await RawPeer.connect(host, port);
    await peer.write(encodeFrame(FrameType.HELLO, 0, encodeHello(maxMessage)));
    await peer.waitForFrame((frame) => frame.type === FrameType.HELLO);
    return peer;
  }

  /** Wraps a socket a RawServer accepted. */
  static accepted(socket: Socket<PeerData>): RawPeer {
    return acceptInto(new RawPeer(), socket);
  }

  /** The first frame received (from the start) that matches, waiting for it up to `timeoutMs`. */
  waitForFrame(match: (frame: Frame) => boolean, timeoutMs = 10_000): Promise<Frame> {
    return this.waitFor(
      () => this.frames.find(match),
      timeoutMs,
      () => `no matching frame (got types ${this.frames.map((f) => f.type).join(",")})`,
    );
  }

  protected onBytes(chunk: Uint8Array): void {
    try {
      // Payloads may be views of the chunk; Bun does not reuse it, so keeping them is safe.
      this.decoder.push(chunk, (frame) => {
        this.frames.push(frame);
        this.onFrame?.(frame);
      });
    } catch {
      // The peer under test sent something undecodable; the test looks at `frames` and `received`.
    }
  }
}

/**
 * A raw server in the test process, on a free loopback port: every accepted connection becomes a RawPeer the
 * test drives by hand (to answer HELLO and then never ACK, or fall silent, or vanish).
 */
export class RawServer {
  readonly peers: RawPeer[] = [];
  private readonly listener: TCPSocketListener<PeerData>;

  constructor(host = "127.0.0.1") {
    this.listener = Bun.listen<PeerData>({
      hostname: host,
      port: 0,
      socket: {
        open: (socket) => {
          this.peers.push(RawPeer.accepted(socket));
        },
        ...PEER_HANDLERS,
      },
    });
  }

  get port(): number {
    return this.listener.port;
  }

  /** The first accepted connection, once there is one. */
  async firstPeer(timeoutMs = 10_000): Promise<RawPeer> {
    await waitUntil(() => this.peers.length > 0, "a connection is accepted", { timeoutMs, everyMs: 10 });
    return this.peers[0] as RawPeer;
  }

  /** Waits for the client's HELLO on the first connection and answers it with this server's HELLO. */
  async acceptHandshake(maxMessage = DEFAULT_MAX_MESSAGE): Promise<RawPeer> {
    const peer = await this.firstPeer();
    await peer.waitForFrame((frame) => frame.type === FrameType.HELLO);
    await peer.write(encodeFrame(FrameType.HELLO, 0, encodeHello(maxMessage)));
    return peer;
  }

  /** Stops listening and cuts every connection. */
  close(): void {
    for (const peer of this.peers) peer.destroy();
    this.listener.stop(true);
  }
}
