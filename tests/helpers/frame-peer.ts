import type { Socket, TCPSocketListener } from "bun";
import { DEFAULT_MAX_MESSAGE, FrameType, MAX_U32 } from "../../src/protocol/constants.ts";
import { type Frame, FrameDecoder } from "../../src/protocol/decoder.ts";
import { encodeFrame } from "../../src/protocol/encoder.ts";
import { encodeHello } from "../../src/protocol/hello.ts";

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
export class RawPeer {
  readonly frames: Frame[] = [];
  /** Bytes received, frames or not. */
  received = 0;
  /**
   * Called for each frame the moment it is decoded, in the socket's data handler: for checks that must see
   * the world exactly when a frame arrives (what the other program had written out by then, say). It records
   * what it sees for the test to check afterwards; it must not throw.
   */
  onFrame: ((frame: Frame) => void) | null = null;
  /** Set once the socket is closed; the reason, if it closed with an error. */
  closedWith: { error?: string } | null = null;
  readonly localPort: number;
  private readonly decoder = new FrameDecoder({ maxMessage: MAX_U32 });
  private readonly queue: Uint8Array[] = [];
  private flushed: (() => void)[] = [];
  private wakers: (() => void)[] = [];
  private resolveClosed!: () => void;
  readonly closed = new Promise<void>((resolve) => {
    this.resolveClosed = resolve;
  });

  private constructor(private readonly socket: Socket<PeerData>) {
    this.localPort = socket.localPort;
  }

  /** Dials `host:port` and resolves once the TCP connection is made (nothing sent yet). */
  static async connect(host: string, port: number): Promise<RawPeer> {
    let peer: RawPeer | undefined;
    await Bun.connect<PeerData>({
      hostname: host,
      port,
      socket: {
        open(socket) {
          peer = new RawPeer(socket);
          socket.data = { peer };
        },
        ...HANDLERS,
      },
    });
    return peer as RawPeer;
  }

  /** Sends a HELLO and waits for the server's HELLO: from then on this peer holds the session slot. */
  static async handshake(host: string, port: number, maxMessage = DEFAULT_MAX_MESSAGE): Promise<RawPeer> {
    const peer = await RawPeer.connect(host, port);
    await peer.write(encodeFrame(FrameType.HELLO, 0, encodeHello(maxMessage)));
    await peer.waitForFrame((frame) => frame.type === FrameType.HELLO);
    return peer;
  }

  /** Queues `bytes` and resolves once the kernel has taken all of them (Bun's write may take only part). */
  write(bytes: Uint8Array): Promise<void> {
    this.queue.push(bytes);
    const done = new Promise<void>((resolve) => this.flushed.push(resolve));
    this.flush();
    return done;
  }

  /** Stops reading from the socket: what the other side sends piles up in its own write queue. */
  stopReading(): void {
    this.socket.pause();
  }

  /** The first frame received (from the start) that matches, waiting for it up to `timeoutMs`. */
  async waitForFrame(match: (frame: Frame) => boolean, timeoutMs = 10_000): Promise<Frame> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.frames.find(match);
      if (found) return found;
      const left = deadline - Date.now();
      if (left <= 0 || this.closedWith) {
        throw new Error(
          `no matching frame within ${timeoutMs} ms (closed: ${JSON.stringify(this.closedWith)}); ` +
            `got types ${this.frames.map((f) => f.type).join(",")}`,
        );
      }
      await this.nextChange(left);
    }
  }

  /** Resolves once the other side has closed the connection (bounded by `timeoutMs`). */
  async waitForClose(timeoutMs = 10_000): Promise<void> {
    const timer = Bun.sleep(timeoutMs).then(() => {
      throw new Error(`the connection was not closed within ${timeoutMs} ms`);
    });
    await Promise.race([this.closed, timer]);
  }

  /** Closes at once, without a goodbye (what a killed process's kernel does, give or take the FIN). */
  destroy(): void {
    if (!this.closedWith) this.socket.terminate();
  }

  /** Closes after what was written has left (a FIN after the data). */
  end(): void {
    if (!this.closedWith) this.socket.end();
  }

  // ---- socket handlers ----

  onData(chunk: Uint8Array): void {
    this.received += chunk.length;
    try {
      // Payloads may be views of the chunk; Bun does not reuse it, so keeping them is safe.
      this.decoder.push(chunk, (frame) => {
        this.frames.push(frame);
        this.onFrame?.(frame);
      });
    } catch {
      // The peer under test sent something undecodable; the test looks at `frames` and `received`.
    }
    this.wake();
  }

  onDrain(): void {
    this.flush();
  }

  onClose(error?: Error): void {
    if (this.closedWith) return;
    this.closedWith = error ? { error: error.message } : {};
    for (const resolve of this.flushed.splice(0)) resolve();
    this.resolveClosed();
    this.wake();
  }

  private flush(): void {
    while (this.queue.length > 0) {
      const chunk = this.queue[0] as Uint8Array;
      const written = this.socket.write(chunk);
      if (written < 0) return; // closing
      if (written < chunk.length) {
        this.queue[0] = chunk.subarray(written);
        return; // the rest on `drain`
      }
      this.queue.shift();
    }
    for (const resolve of this.flushed.splice(0)) resolve();
  }

  private nextChange(timeoutMs: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, Math.min(timeoutMs, 250));
      this.wakers.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private wake(): void {
    for (const wake of this.wakers.splice(0)) wake();
  }

  /** Wraps a socket a RawServer accepted. */
  static accepted(socket: Socket<PeerData>): RawPeer {
    const peer = new RawPeer(socket);
    socket.data = { peer };
    return peer;
  }
}

type PeerData = { peer?: RawPeer };

const HANDLERS = {
  data: (socket: Socket<PeerData>, chunk: Uint8Array) => socket.data?.peer?.onData(chunk),
  drain: (socket: Socket<PeerData>) => socket.data?.peer?.onDrain(),
  close: (socket: Socket<PeerData>, error?: Error) => socket.data?.peer?.onClose(error),
  error: (socket: Socket<PeerData>, error: Error) => socket.data?.peer?.onClose(error),
};

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
        ...HANDLERS,
      },
    });
  }

  get port(): number {
    return this.listener.port;
  }

  /** The first accepted connection, once there is one. */
  async firstPeer(timeoutMs = 10_000): Promise<RawPeer> {
    const deadline = Date.now() + timeoutMs;
    while (this.peers.length === 0) {
      if (Date.now() > deadline) throw new Error(`no connection within ${timeoutMs} ms`);
      await Bun.sleep(10);
    }
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
