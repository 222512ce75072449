import type { Socket, TCPSocketListener } from "bun";
import { WriteQueue } from "./write-queue.ts";

/**
 * A TCP relay in the test process that breaks connections on purpose (issue 10's test relay): it forwards
 * every byte between a real client and a real server, unchanged, until it is told to cut.
 *
 * - **How**: by a reset (`terminate`: an RST, what a crashed middlebox or a dropped NAT entry gives) or by a
 *   plain close (`end`: a FIN, as if the peer had closed without a goodbye).
 * - **Which ends**: both (default), or only the end toward the client or toward the server; the other end is
 *   then held silent, as if the cut had never reached it (its side must notice by keepalive, or be replaced
 *   by a resume).
 * - **Where**: now, after exactly N bytes of a direction, or at a byte of the k-th record of a direction
 *   (version 2: the relay follows the plaintext handshake frames and the record lengths, so a cut can fall
 *   on a record boundary or provably inside a record). Bytes up to the cut point are forwarded; nothing
 *   after it, in either direction.
 * - **Hold**: stop forwarding both ways and ignore closes, without an RST or a FIN: a silent connection that
 *   only keepalive can notice.
 * - **Refuse**: connections accepted while refusing are cut at once (the client's reconnect attempts fail
 *   until the relay lets them through again).
 * - **Chaos**: cut the current connection every so often at random (how, where, which direction).
 *
 * Every accepted connection is a new link, relayed afresh (the client reconnects through the relay); a test
 * can arm each link as it is accepted (`onLink`), before a byte of it is forwarded.
 */

export type CutHow = "reset" | "close";
/** Which way bytes flow: from the client to the server, or back. */
export type Direction = "to-server" | "to-client";
export type CutSides = "both" | "client" | "server";

export interface Cut {
  how: CutHow;
  /** The ends that are cut (default both); the other end, if any, is held silent. */
  sides?: CutSides;
  /**
   * How long to wait, once the bytes before the cut have left the relay, before cutting (default 20 ms):
   * long enough for the peer to read them, so the cut falls exactly where it was placed. 0 cuts at once
   * (bytes still in flight may then be lost too, as a real reset may lose them).
   */
  settleMs?: number;
}

/**
 * Where a cut falls in one direction's byte stream, counted from the start of the link. The cut is made when
 * the first byte beyond the point arrives (so a cut before a record falls when that record comes), or, with
 * `soon`, as soon as the bytes before the point have been forwarded (nothing more crosses either way, even
 * if the next byte of that direction never comes).
 */
export type CutPoint = (
  | { direction: Direction; afterBytes: number }
  /**
   * `offset` bytes into the `record`-th record after the handshake (0: the first record; offset 0: on the
   * boundary before it, so the record is not forwarded at all).
   */
  | { direction: Direction; record: number; offset?: number }
) & { soon?: boolean };

export type LinkState = "connecting" | "open" | "held" | "cut" | "closed";

/** What happened to a link, for a test's log and a soak's count. */
export interface CutRecord {
  link: number;
  how: CutHow;
  sides: CutSides;
  where: string;
  at: number;
}

const DEFAULT_SETTLE_MS = 20;
const HANDSHAKE_FRAMES: Record<Direction, number> = { "to-server": 2, "to-client": 1 };

export class CuttingRelay {
  readonly links: RelayLink[] = [];
  /** Every cut made so far, in order. */
  readonly cuts: CutRecord[] = [];
  /** Called for each new link as it is accepted, before anything is forwarded: arm it here. */
  onLink: ((link: RelayLink) => void) | null = null;
  /** While set, new connections are cut at once this way (the server is never dialed). */
  refusing: CutHow | null = null;
  private readonly listener: TCPSocketListener<End>;
  private waiters: (() => void)[] = [];
  private chaosTimer: ReturnType<typeof setTimeout> | null = null;

  /**
   * @param target where new links are relayed to; a test may point it elsewhere (a restarted server) and
   *   the next connection goes there.
   */
  constructor(
    public target: { host: string; port: number },
    host = "127.0.0.1",
  ) {
    this.listener = Bun.listen<End>({
      hostname: host,
      port: 0,
      socket: {
        open: (socket) => this.accept(socket),
        ...HANDLERS,
      },
    });
  }

  get port(): number {
    return this.listener.port;
  }

  /** The newest link that still forwards (or is about to), if any. */
  get current(): RelayLink | undefined {
    const last = this.links.at(-1);
    return last && (last.state === "open" || last.state === "connecting") ? last : undefined;
  }

  /** Resolves with link `index` (0: the first connection) once it has been accepted. */
  async link(index: number, timeoutMs = 20_000): Promise<RelayLink> {
    const deadline = performance.now() + timeoutMs;
    while (this.links.length <= index) {
      const left = deadline - performance.now();
      if (left <= 0) throw new Error(`the relay saw ${this.links.length} connections, not ${index + 1}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 250));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.links[index] as RelayLink;
  }

  /**
   * Cuts the current link every `minMs` to `maxMs` (uniformly at random) until stopped: by reset or close,
   * both ends, now or after a random number of bytes of a random direction, on a record boundary or inside
   * a record. A link that is cut but never carried the session (say, cut again during a resume) counts too.
   */
  chaos(options: { minMs: number; maxMs: number; random: () => number }): { stop(): void } {
    const { minMs, maxMs, random } = options;
    const schedule = () => {
      this.chaosTimer = setTimeout(
        () => {
          this.randomCut(random);
          schedule();
        },
        minMs + random() * (maxMs - minMs),
      );
    };
    schedule();
    return {
      stop: () => {
        if (this.chaosTimer) clearTimeout(this.chaosTimer);
        this.chaosTimer = null;
        for (const link of this.links) link.disarm();
      },
    };
  }

  close(): void {
    if (this.chaosTimer) clearTimeout(this.chaosTimer);
    for (const link of this.links) link.destroy();
    this.listener.stop(true);
  }

  /** Called by a link when it is cut. */
  recordCut(record: CutRecord): void {
    this.cuts.push(record);
  }

  private randomCut(random: () => number): void {
    const link = this.current;
    if (link?.state !== "open") return;
    const how: CutHow = random() < 0.5 ? "reset" : "close";
    const direction: Direction = random() < 0.5 ? "to-server" : "to-client";
    const choice = random();
    if (choice < 0.25) {
      link.cut({ how, settleMs: 0 });
      return;
    }
    const point: CutPoint =
      choice < 0.5
        ? { direction, record: link.currentRecord(direction) + 1 + Math.floor(random() * 3), offset: 0 }
        : choice < 0.75
          ? {
              direction,
              record: link.currentRecord(direction) + 1 + Math.floor(random() * 3),
              offset: 1 + Math.floor(random() * 40),
            }
          : { direction, afterBytes: link.forwarded[direction] + 1 + Math.floor(random() * 256 * 1024) };
    // A direction that carries nothing more would never reach the point: then it is cut anyway, soon.
    void link.cutAt(point, { how, settleMs: 0 }, 500);
  }

  private accept(socket: Socket<End>): void {
    const link = new RelayLink(this, this.links.length);
    this.links.push(link);
    const client = link.attachClient(socket);
    socket.data = client;
    for (const wake of this.waiters.splice(0)) wake();
    if (this.refusing) {
      link.cut({ how: this.refusing, settleMs: 0 });
      return;
    }
    this.onLink?.(link);
    if (link.state !== "connecting") return; // cut by its arming
    socket.pause(); // nothing to forward to yet
    Bun.connect<End>({
      hostname: this.target.host,
      port: this.target.port,
      socket: {
        open: (serverSocket) => {
          serverSocket.data = link.attachServer(serverSocket);
          socket.resume();
        },
        ...HANDLERS,
      },
    }).catch(() => link.cut({ how: "reset", settleMs: 0 }));
  }
}

/** One relayed connection: the client's end (accepted) and the server's end (dialed). */
export class RelayLink {
  state: LinkState = "connecting";
  /** Bytes forwarded so far, by direction. */
  readonly forwarded: Record<Direction, number> = { "to-server": 0, "to-client": 0 };
  /** Bytes that arrived after the link stopped forwarding (held or cut), dropped. */
  readonly dropped: Record<Direction, number> = { "to-server": 0, "to-client": 0 };
  /** Settles when the link is cut or held (no longer forwards). */
  readonly stopped: Promise<void>;
  private client: End | null = null;
  private server: End | null = null;
  private readonly trackers: Record<Direction, StreamTracker> = {
    "to-server": new StreamTracker(HANDSHAKE_FRAMES["to-server"]),
    "to-client": new StreamTracker(HANDSHAKE_FRAMES["to-client"]),
  };
  private trigger: { point: CutPoint; cut: Cut; fired: () => void } | null = null;
  /** What the client sent before the server's end was connected. */
  private early: Uint8Array[] = [];
  private resolveStopped!: () => void;

  constructor(
    private readonly relay: CuttingRelay,
    readonly index: number,
  ) {
    this.stopped = new Promise<void>((resolve) => {
      this.resolveStopped = resolve;
    });
  }

  attachClient(socket: Socket<End>): End {
    this.client = new End(socket, this, "to-server");
    return this.client;
  }

  attachServer(socket: Socket<End>): End {
    this.server = new End(socket, this, "to-client");
    if (this.state === "connecting") {
      this.state = "open";
      for (const chunk of this.early.splice(0)) this.server.send(chunk);
    } else {
      // Cut while the server was being dialed: the server's end goes the way the cut said, or is held.
      socket.terminate();
    }
    return this.server;
  }

  /**
   * The index of the record of `direction` that the stream is in or about to start (0 until the handshake
   * is through): the next record boundary is this one's start or end.
   */
  currentRecord(direction: Direction): number {
    return Math.max(0, this.trackers[direction].recordStarts.length - 1);
  }

  /** Where record `record` of `direction` starts (an absolute byte offset), once known. */
  recordStart(direction: Direction, record: number): number | undefined {
    return this.trackers[direction].recordStarts[record];
  }

  /** Cuts now: no byte more is forwarded either way. */
  cut(cut: Cut, where = "now"): void {
    if (this.state === "cut" || this.state === "closed") return;
    const sides = cut.sides ?? "both";
    this.state = sides === "both" ? "cut" : "held";
    this.trigger = null;
    this.relay.recordCut({ link: this.index, how: cut.how, sides, where, at: performance.now() });
    const settleMs = cut.settleMs ?? DEFAULT_SETTLE_MS;
    for (const [end, side] of [
      [this.client, "client"],
      [this.server, "server"],
    ] as const) {
      if (end && (sides === "both" || sides === side)) end.cutAfterQueue(cut.how, settleMs);
    }
    this.resolveStopped();
  }

  /**
   * Arms a cut at `point`; resolves once it has been made. With `fallbackMs`, a point not reached by then
   * is given up and the link cut at once (a direction that carries nothing more would never reach it).
   */
  cutAt(point: CutPoint, cut: Cut, fallbackMs?: number): Promise<void> {
    return new Promise<void>((resolve) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const fired = () => {
        clearTimeout(timer);
        resolve();
      };
      if (this.state === "cut" || this.state === "closed" || this.state === "held") {
        resolve();
        return;
      }
      this.trigger = { point, cut, fired };
      if (fallbackMs !== undefined) {
        timer = setTimeout(() => {
          if (this.trigger?.fired !== fired) return;
          this.cut(cut, `${describe(point)} not reached within ${fallbackMs} ms: now`);
          fired();
        }, fallbackMs);
      }
      // A point already passed: cut at once. (A point right where the stream is now waits for the next
      // byte, unless `soon`: a cut placed before a record falls when that record comes, not before.)
      const at = this.resolvePoint(point);
      const now = this.forwarded[point.direction];
      if (at !== undefined && (at < now || (point.soon && at === now))) this.fire();
    });
  }

  /** Forgets an armed cut that has not been made yet (`cutAt`'s promise then never settles). */
  disarm(): void {
    this.trigger = null;
  }

  /** Stops forwarding both ways and ignores closes: the connection stays open and silent. */
  hold(): void {
    if (this.state !== "open" && this.state !== "connecting") return;
    this.state = "held";
    this.trigger = null;
    this.resolveStopped();
  }

  /** Closes both ends at once (the test is over). */
  destroy(): void {
    this.state = "closed";
    this.client?.socket.terminate();
    this.server?.socket.terminate();
    this.resolveStopped();
  }

  // ---- from the ends ----

  received(direction: Direction, chunk: Uint8Array): void {
    if (this.state !== "open" && this.state !== "connecting") {
      this.dropped[direction] += chunk.length;
      return;
    }
    const copy = new Uint8Array(chunk);
    this.trackers[direction].push(copy);
    const trigger = this.trigger;
    if (trigger && trigger.point.direction === direction) {
      const at = this.resolvePoint(trigger.point);
      // The cut falls when the first byte at or beyond the point arrives.
      if (at !== undefined && at < this.forwarded[direction] + copy.length) {
        const before = Math.max(0, at - this.forwarded[direction]);
        this.forward(direction, copy.subarray(0, before));
        this.dropped[direction] += copy.length - before;
        this.fire();
        return;
      }
    }
    this.forward(direction, copy);
    if (trigger?.point.soon && trigger.point.direction === direction) {
      const at = this.resolvePoint(trigger.point);
      if (at !== undefined && at === this.forwarded[direction]) this.fire();
    }
  }

  /** One end's socket closed by itself (its program closed it, or reset it). */
  endClosed(end: End, error: boolean): void {
    if (this.state === "held" || this.state === "cut" || this.state === "closed") return;
    // A close passes through as it came: a FIN after the bytes before it, or a reset at once.
    const other = end === this.client ? this.server : this.client;
    this.state = "closed";
    this.resolveStopped();
    if (!other) return;
    if (error) other.socket.terminate();
    else other.endAfterQueue();
  }

  private forward(direction: Direction, bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    this.forwarded[direction] += bytes.length;
    const to = direction === "to-server" ? this.server : this.client;
    if (to) to.send(bytes);
    else this.early.push(bytes);
  }

  private fire(): void {
    const trigger = this.trigger;
    if (!trigger) return;
    this.trigger = null;
    this.cut(trigger.cut, describe(trigger.point));
    trigger.fired();
  }

  private resolvePoint(point: CutPoint): number | undefined {
    if ("afterBytes" in point) return point.afterBytes;
    const start = this.trackers[point.direction].recordStarts[point.record];
    return start === undefined ? undefined : start + (point.offset ?? 0);
  }
}

function describe(point: CutPoint): string {
  return "afterBytes" in point
    ? `${point.direction} after byte ${point.afterBytes}`
    : `${point.direction} record ${point.record} + ${point.offset ?? 0}`;
}

/** One socket of a link: what it receives goes to the link; what the link sends it is written in order. */
class End {
  private readonly writes: WriteQueue;
  closed = false;

  constructor(
    readonly socket: Socket<End>,
    private readonly link: RelayLink,
    /** The direction of the bytes this end receives. */
    readonly direction: Direction,
  ) {
    this.writes = new WriteQueue(socket);
  }

  received(chunk: Uint8Array): void {
    this.link.received(this.direction, chunk);
  }

  send(bytes: Uint8Array): void {
    this.writes.send(bytes);
  }

  flush(): void {
    this.writes.flush();
  }

  endAfterQueue(): void {
    this.writes.endAfterQueue();
  }

  /** Cuts this end once what was queued for it before the cut has been written, and `settleMs` more. */
  cutAfterQueue(how: CutHow, settleMs: number): void {
    const cut = () => {
      if (this.closed) return;
      if (how === "reset") this.socket.terminate();
      else this.socket.end();
    };
    const later = () => (settleMs > 0 ? setTimeout(cut, settleMs) : cut());
    if (this.writes.empty) later();
    else this.writes.onDrained(later);
  }

  onClose(error: boolean): void {
    if (this.closed) return;
    this.closed = true;
    this.link.endClosed(this, error);
  }
}

/**
 * Follows one direction of a version-2 connection: the plaintext handshake frames (type u8, id u32,
 * length u32, payload), then records (length u32, ciphertext), noting where each record starts.
 */
class StreamTracker {
  readonly recordStarts: number[] = [];
  /** Bytes seen so far. */
  private seen = 0;
  /** Where the next unit (handshake frame or record) starts. */
  private next = 0;
  private header: number[] = [];

  constructor(private plainFramesLeft: number) {
    if (plainFramesLeft === 0) this.recordStarts.push(0);
  }

  push(chunk: Uint8Array): void {
    const base = this.seen;
    this.seen += chunk.length;
    for (;;) {
      const need = this.plainFramesLeft > 0 ? 9 : 4;
      let at = this.next + this.header.length - base;
      if (at >= chunk.length) return;
      while (this.header.length < need && at < chunk.length) this.header.push(chunk[at++] as number);
      if (this.header.length < need) return;
      const h = this.header;
      if (this.plainFramesLeft > 0) {
        const length =
          ((h[5] as number) << 24) | ((h[6] as number) << 16) | ((h[7] as number) << 8) | (h[8] as number);
        this.next += 9 + (length >>> 0);
        this.plainFramesLeft--;
      } else {
        const length =
          ((h[0] as number) << 24) | ((h[1] as number) << 16) | ((h[2] as number) << 8) | (h[3] as number);
        this.next += 4 + (length >>> 0);
      }
      this.header = [];
      if (this.plainFramesLeft === 0) this.recordStarts.push(this.next);
    }
  }
}

const HANDLERS = {
  data: (socket: Socket<End>, chunk: Uint8Array) => socket.data?.received(chunk),
  drain: (socket: Socket<End>) => socket.data?.flush(),
  close: (socket: Socket<End>, error?: Error) => socket.data?.onClose(error !== undefined),
  error: (socket: Socket<End>) => socket.data?.onClose(true),
};
