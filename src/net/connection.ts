import type { Socket } from "bun";
import { release } from "../protocol/bytes.ts";
import { formatAddress } from "./address.ts";

/** Whoever speaks on a connection now: first the handshake, then the session (which may move on to another). */
export interface ConnectionUser {
  received(chunk: Uint8Array): void;
  /** Everything queued has been handed to the kernel. */
  drained(): void;
  /** An owned chunk (`write(…, true)`) has been handed to the kernel whole: its memory is free. */
  written?(chunk: Uint8Array): void;
  /** The socket is closed (by the peer, an error, or this side); called once. */
  socketClosed(error?: Error): void;
}

/** How long a closing connection may take to flush its last bytes before it is cut. */
const LINGER_MS = 2000;

/**
 * One TCP socket with a write queue that honours partial writes (Bun's `write` takes only what the kernel
 * accepts; the rest waits for `drain`, in order). It knows nothing of the protocol: bytes go to its current
 * user, and bytes come from whoever writes.
 */
export class Connection {
  readonly peer: string;
  /** The peer's IP address alone (the handshake queue takes turns by it). */
  readonly address: string;
  private readonly queue: Uint8Array[] = [];
  /** For each queued chunk that is the writer's to give up (`write(…, owned)`), the array to release once written. */
  private readonly owners: (Uint8Array | null)[] = [];
  private queued = 0;
  private ending = false;
  private socketClosed = false;
  private lingerTimer: ReturnType<typeof setTimeout> | null = null;
  private user: ConnectionUser | null = null;
  /** A delivery the front end has not finished handing to its user: nothing is written until it settles. */
  private heldBy: Promise<void> | null = null;
  private resolveClosed!: () => void;
  /** Settles once the socket is closed. */
  readonly closed = new Promise<void>((resolve) => {
    this.resolveClosed = resolve;
  });

  constructor(private readonly socket: Socket<unknown>) {
    // A socket the peer reset as it opened has no remote address any more: Bun gives undefined there,
    // whatever its types say (seen when a reconnect met a server going away). Its close comes next.
    const address = socket.remoteAddress as string | undefined;
    this.peer =
      address === undefined ? "a connection already closed" : formatAddress(address, socket.remotePort);
    this.address = address ?? "";
    socket.setNoDelay(true);
  }

  /** Hands the connection's incoming bytes and events to `user` from now on. */
  use(user: ConnectionUser | null): void {
    this.user = user;
  }

  /** Bytes handed to the connection and not yet taken by the socket. */
  get bufferedBytes(): number {
    return this.queued;
  }

  get isClosed(): boolean {
    return this.socketClosed;
  }

  /**
   * Queues `chunks` (in order) and writes what the socket takes now. `owned`: nothing else holds these arrays
   * (sealed records), so each is given back (the user's `written`, else released) as soon as the kernel has
   * taken all of it.
   */
  write(chunks: readonly Uint8Array[], owned = false): void {
    if (this.socketClosed || this.ending) return;
    for (const chunk of chunks) {
      if (chunk.length === 0) continue;
      this.queue.push(chunk);
      this.owners.push(owned ? chunk : null);
      this.queued += chunk.length;
    }
    this.flush();
  }

  /**
   * Writes nothing until `handedOver` settles: the queue keeps its order, so the ACKs of a delivery that is
   * not yet out of the program (a backed-up stdout) and whatever follows them wait together. An ACK means
   * the user has the message. A later hold replaces an earlier one (deliveries are handed over in order).
   */
  holdUntil(handedOver: Promise<void>): void {
    this.heldBy = handedOver;
    const letGo = () => {
      if (this.heldBy !== handedOver) return;
      this.heldBy = null;
      if (!this.socketClosed) this.flushAndSettle();
    };
    handedOver.then(letGo, letGo);
  }

  /** Closes once everything queued is written (a FIN after the data); cut if that takes too long. */
  end(): void {
    if (this.socketClosed || this.ending) return;
    this.ending = true;
    if (this.queue.length === 0 && !this.heldBy) this.socket.end();
    else this.lingerTimer ??= setTimeout(() => this.terminate(), LINGER_MS);
  }

  /** Cuts the connection at once, without a goodbye. */
  terminate(): void {
    if (!this.socketClosed) this.socket.terminate();
  }

  pause(): void {
    if (!this.socketClosed) this.socket.pause();
  }

  resume(): void {
    if (!this.socketClosed) this.socket.resume();
  }

  // ---- socket handlers ----

  onData(chunk: Uint8Array): void {
    this.user?.received(chunk);
  }

  onDrain(): void {
    this.flushAndSettle();
  }

  onClose(error?: Error): void {
    if (this.socketClosed) return;
    this.socketClosed = true;
    this.queue.length = 0;
    this.owners.length = 0;
    this.queued = 0;
    if (this.lingerTimer) clearTimeout(this.lingerTimer);
    this.lingerTimer = null;
    this.user?.socketClosed(error);
    this.resolveClosed();
  }

  /**
   * Writes what the socket takes now; once all is written (a drain, or a hold let go), ends the socket if it
   * is ending, or tells the user there is room.
   */
  private flushAndSettle(): void {
    this.flush();
    if (this.queue.length > 0 || this.heldBy) return;
    if (this.ending) this.socket.end();
    else this.user?.drained();
  }

  /** Writes as much of the queue as the socket takes now (nothing while a delivery is held). */
  private flush(): void {
    if (this.heldBy) return;
    const queue = this.queue;
    let i = 0;
    while (i < queue.length) {
      const chunk = queue[i] as Uint8Array;
      const written = this.socket.write(chunk);
      if (written < 0) break; // the socket is closing; onClose will follow
      this.queued -= Math.max(0, written);
      if (written < chunk.length) {
        queue[i] = chunk.subarray(written);
        break;
      }
      const owner = this.owners[i];
      if (owner) {
        if (this.user?.written) this.user.written(owner);
        else release(owner);
      }
      i++;
    }
    if (i > 0) {
      queue.splice(0, i);
      this.owners.splice(0, i);
    }
  }
}

/** The socket handlers that route a Bun socket's events to its Connection. */
export type ConnectionData = { connection?: Connection };

export const socketHandlers = {
  data: (socket: Socket<ConnectionData>, chunk: Uint8Array) => socket.data?.connection?.onData(chunk),
  drain: (socket: Socket<ConnectionData>) => socket.data?.connection?.onDrain(),
  close: (socket: Socket<ConnectionData>, error?: Error) => socket.data?.connection?.onClose(error),
  // Bun calls this when one of these handlers threw (a bug of ours, met mid-frame): the connection's state
  // is unknown from there on, so it ends at once; a peer left on an open socket nobody reads would wait
  // for ever. Its owner hears of it as a close with that error.
  error: (socket: Socket<ConnectionData>, error: Error) => {
    try {
      socket.data?.connection?.onClose(error);
    } finally {
      socket.terminate();
    }
  },
};
