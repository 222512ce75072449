import { type Socket as NetSocket, connect as netConnect } from "node:net";
import type { Socket } from "bun";
import { WriteQueue } from "./write-queue.ts";

/**
 * The socket under a hand-driven test peer (RawPeer, SecurePeer): writing with Bun's partial writes handled,
 * the close seen once, and waiting for something to arrive. What the bytes mean is the subclass's business.
 *
 * A peer dials with Bun.connect, or, when it must come from a chosen source address (127.0.0.2: Bun.connect
 * has no option for that), with node:net's `localAddress`.
 */
export abstract class PeerSocket {
  /** Bytes received, whatever they were. */
  received = 0;
  /** Set once the socket is closed; the reason, if it closed with an error. */
  closedWith: { error?: string } | null = null;
  private wire: Wire | null = null;
  private port = 0;
  private wakers: (() => void)[] = [];
  private resolveClosed!: () => void;
  readonly closed = new Promise<void>((resolve) => {
    this.resolveClosed = resolve;
  });

  /** The local port of this side of the connection (still known once it is closed). */
  get localPort(): number {
    return this.port;
  }

  /** Takes what arrived (called in the socket's data handler; it must not throw). */
  protected abstract onBytes(chunk: Uint8Array): void;

  /** Queues `bytes` and resolves once the kernel has taken all of them (or the socket closed). */
  write(bytes: Uint8Array): Promise<void> {
    return this.wire ? this.wire.write(bytes) : Promise.resolve();
  }

  /** Stops reading from the socket: what the other side sends piles up in its own write queue. */
  stopReading(): void {
    this.wire?.pause();
  }

  /** Closes at once, without a goodbye (what a killed process's kernel does, give or take the FIN). */
  destroy(): void {
    if (!this.closedWith) this.wire?.terminate();
  }

  /** Closes after what was written has left (a FIN after the data). */
  end(): void {
    if (!this.closedWith) this.wire?.end();
  }

  /** Resolves once the other side has closed the connection (bounded by `timeoutMs`). */
  async waitForClose(timeoutMs = 10_000): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`the connection was not closed within ${timeoutMs} ms`)),
        timeoutMs,
      );
    });
    try {
      await Promise.race([this.closed, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * What `find` returns once it returns something, looking again whenever bytes arrive or the socket closes;
   * fails with `what()` after `timeoutMs`, or once the socket is closed and it still finds nothing.
   */
  protected async waitFor<T>(find: () => T | undefined, timeoutMs: number, what: () => string): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = find();
      if (found !== undefined) return found;
      const left = deadline - Date.now();
      if (left <= 0 || this.closedWith) {
        throw new Error(`${what()} within ${timeoutMs} ms (closed: ${JSON.stringify(this.closedWith)})`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 250));
        this.wakers.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  // ---- called by the wire ----

  attachWire(wire: Wire): void {
    this.wire = wire;
    this.port = wire.localPort;
  }

  onData(chunk: Uint8Array): void {
    this.received += chunk.length;
    this.onBytes(chunk);
    this.wake();
  }

  onClose(error?: Error): void {
    if (this.closedWith) return;
    this.closedWith = error ? { error: error.message } : {};
    this.wire?.closed();
    this.resolveClosed();
    this.wake();
  }

  private wake(): void {
    for (const wake of this.wakers.splice(0)) wake();
  }
}

/** What a peer needs of its socket. */
export interface Wire {
  readonly localPort: number;
  write(bytes: Uint8Array): Promise<void>;
  pause(): void;
  end(): void;
  terminate(): void;
  /** The socket closed: whatever waits for a write to finish is let go. */
  closed(): void;
}

type PeerData = { peer?: PeerSocket; wire?: BunWire };

/** The Bun socket handlers that route a socket's events to its peer. */
export const PEER_HANDLERS = {
  data: (socket: Socket<PeerData>, chunk: Uint8Array) => socket.data?.peer?.onData(chunk),
  drain: (socket: Socket<PeerData>) => socket.data?.wire?.drain(),
  close: (socket: Socket<PeerData>, error?: Error) => socket.data?.peer?.onClose(error),
  error: (socket: Socket<PeerData>, error: Error) => socket.data?.peer?.onClose(error),
};

/** A Bun socket: `write` may take only part of a buffer, the rest is written on `drain`, in order. */
class BunWire implements Wire {
  private readonly writes: WriteQueue;

  constructor(private readonly socket: Socket<PeerData>) {
    this.writes = new WriteQueue(socket);
  }

  get localPort(): number {
    return this.socket.localPort;
  }

  write(bytes: Uint8Array): Promise<void> {
    const done = new Promise<void>((resolve) => this.writes.onDrained(resolve));
    this.writes.send(bytes);
    return done;
  }

  pause(): void {
    this.socket.pause();
  }

  end(): void {
    this.socket.end();
  }

  terminate(): void {
    this.socket.terminate();
  }

  closed(): void {
    this.writes.releaseDrained();
  }

  drain(): void {
    this.writes.flush();
  }
}

/** A node:net socket (it queues writes itself), for a connection from a chosen source address. */
class NetWire implements Wire {
  private pending: (() => void)[] = [];

  constructor(private readonly socket: NetSocket) {}

  get localPort(): number {
    return this.socket.localPort ?? 0;
  }

  write(bytes: Uint8Array): Promise<void> {
    return new Promise<void>((resolve) => {
      this.pending.push(resolve);
      this.socket.write(bytes, () => {
        this.pending.splice(this.pending.indexOf(resolve), 1);
        resolve();
      });
    });
  }

  pause(): void {
    this.socket.pause();
  }

  end(): void {
    this.socket.end();
  }

  terminate(): void {
    this.socket.resetAndDestroy();
  }

  closed(): void {
    for (const resolve of this.pending.splice(0)) resolve();
  }
}

export interface DialOptions {
  /** The source address to connect from (say 127.0.0.2, which the loopback interface also answers). */
  localAddress?: string;
}

/** Connects `peer` to `host:port`; resolves once the TCP connection is made (nothing sent yet). */
export async function dial<T extends PeerSocket>(
  peer: T,
  host: string,
  port: number,
  options: DialOptions = {},
): Promise<T> {
  if (options.localAddress === undefined) {
    await Bun.connect<PeerData>({
      hostname: host,
      port,
      socket: {
        open(socket) {
          acceptInto(peer, socket);
        },
        ...PEER_HANDLERS,
      },
    });
    return peer;
  }
  const socket = netConnect({ host, port, localAddress: options.localAddress });
  socket.setNoDelay(true);
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  peer.attachWire(new NetWire(socket));
  socket.on("data", (chunk: Buffer) => peer.onData(chunk));
  socket.on("error", (error) => peer.onClose(error));
  socket.on("close", () => peer.onClose());
  return peer;
}

/** Gives `peer` a socket a Bun listener accepted (RawServer). */
export function acceptInto<T extends PeerSocket>(peer: T, socket: Socket<PeerData>): T {
  const wire = new BunWire(socket);
  socket.data = { peer, wire };
  peer.attachWire(wire);
  return peer;
}

export type { PeerData };
