import type { Socket, TCPSocketListener } from "bun";
import { WriteQueue } from "./write-queue.ts";

/**
 * A TCP relay in the test process, between a real client and a real server: it forwards every byte both
 * ways, unchanged, and keeps a copy of each direction, so a test can see exactly what a network observer
 * would. One connection at a time is enough for the tests that use it; each accepted one is relayed.
 *
 * `toServerBytesPerSecond` slows the client's direction to about that rate (a slow link: a transfer then
 * takes long enough to be watched, interrupted or chatted beside); the bytes are still forwarded unchanged.
 */
export class RecordingRelay {
  /** Every byte the clients sent, in order (all connections). */
  readonly fromClient: Uint8Array[] = [];
  /** Every byte the server sent, in order (all connections). */
  readonly fromServer: Uint8Array[] = [];
  private readonly listener: TCPSocketListener<End>;
  private readonly ends: End[] = [];

  constructor(
    private readonly target: { host: string; port: number },
    host = "127.0.0.1",
    private readonly options: { toServerBytesPerSecond?: number } = {},
  ) {
    this.listener = Bun.listen<End>({
      hostname: host,
      port: 0,
      socket: {
        open: (socket) => {
          const client = new End(socket, this.fromClient, this.options.toServerBytesPerSecond);
          socket.data = client;
          this.ends.push(client);
          this.dialServer(client);
        },
        ...HANDLERS,
      },
    });
  }

  get port(): number {
    return this.listener.port;
  }

  /** Bytes the clients sent so far (all connections). */
  get bytesFromClient(): number {
    return this.fromClient.reduce((sum, chunk) => sum + chunk.length, 0);
  }

  /** Both directions, each as one array. */
  recorded(): { fromClient: Buffer; fromServer: Buffer } {
    return { fromClient: Buffer.concat(this.fromClient), fromServer: Buffer.concat(this.fromServer) };
  }

  close(): void {
    for (const end of this.ends) end.socket.terminate();
    this.listener.stop(true);
  }

  private dialServer(client: End): void {
    client.socket.pause(); // nothing to forward to yet
    Bun.connect<End>({
      hostname: this.target.host,
      port: this.target.port,
      socket: {
        open: (socket) => {
          const server = new End(socket, this.fromServer);
          socket.data = server;
          this.ends.push(server);
          server.peer = client;
          client.link(server);
          client.socket.resume();
        },
        ...HANDLERS,
      },
    }).catch(() => client.socket.terminate());
  }
}

/** One side of a relayed connection: what it receives is recorded and written to the other side. */
class End {
  peer: End | null = null;
  private readonly writes: WriteQueue;
  /** What arrived before the other side was connected. */
  private early: Uint8Array[] = [];

  private readonly startedAt = performance.now();
  private taken = 0;

  constructor(
    readonly socket: Socket<End>,
    private readonly record: Uint8Array[],
    /** Read from this end no faster than this (on average since it opened), when given. */
    private readonly bytesPerSecond?: number,
  ) {
    this.writes = new WriteQueue(socket);
  }

  received(chunk: Uint8Array): void {
    const copy = new Uint8Array(chunk); // Bun hands a buffer of its own, but a copy costs nothing here
    this.record.push(copy);
    if (this.peer) this.peer.send(copy);
    else this.early.push(copy);
    if (this.bytesPerSecond === undefined) return;
    // Ahead of the rate: stop reading until it is caught up (the sender's socket buffers fill meanwhile).
    this.taken += copy.length;
    const due = this.startedAt + (this.taken / this.bytesPerSecond) * 1000;
    const ahead = due - performance.now();
    if (ahead > 1) {
      this.socket.pause();
      setTimeout(() => {
        if (!this.closedHere) this.socket.resume();
      }, ahead);
    }
  }

  /** The other side is connected: what arrived meanwhile goes first. */
  link(peer: End): void {
    this.peer = peer;
    for (const bytes of this.early.splice(0)) peer.send(bytes);
  }

  /** This end closed (nothing more is read from it). */
  closedHere = false;

  /** The other side closed: close this one once what it sent has left. */
  closed(): void {
    this.peer?.endAfterQueue();
  }

  send(bytes: Uint8Array): void {
    this.writes.send(bytes);
  }

  flush(): void {
    this.writes.flush();
  }

  private endAfterQueue(): void {
    this.writes.endAfterQueue();
  }
}

const HANDLERS = {
  data: (socket: Socket<End>, chunk: Uint8Array) => socket.data.received(chunk),
  drain: (socket: Socket<End>) => socket.data.flush(),
  close: (socket: Socket<End>) => {
    if (socket.data) socket.data.closedHere = true;
    socket.data?.closed();
  },
  error: (socket: Socket<End>) => {
    if (socket.data) socket.data.closedHere = true;
    socket.data?.closed();
  },
};
