import { createHash } from "node:crypto";
import type { TransferEvent } from "../../src/transfer/events.ts";
import { clashName, PART_SUFFIX } from "../../src/transfer/path-rules.ts";
import { type OutgoingFrame, Transfers } from "../../src/transfer/transfers.ts";
import type { DiskAction, DiskResult, Entry, Listing } from "../../src/transfer/types.ts";

/**
 * Two Transfers (a sender and a receiver) joined in memory, each with a disk made of Maps, for testing the
 * transfer logic without files or sockets. The receiving disk keeps the rules the real one keeps (part
 * files, final names only after finalize, clashes renamed, nothing overwritten), so a test can see what a
 * user would find in the download folder.
 */

/** A source tree: path → contents (a file) or null (a folder). */
export type Tree = Record<string, Uint8Array | null>;

/** The listing of a tree, in the order given (the caller lists folders before their contents). */
export function listingOf(name: string, tree: Tree, mode = 0o644): Listing {
  const entries: Entry[] = Object.entries(tree).map(([path, contents]) =>
    contents === null
      ? { kind: "folder", path, mode: 0o755, size: 0 }
      : { kind: "file", path, mode, size: contents.length },
  );
  return { name, entries, totalBytes: entries.reduce((sum, e) => sum + e.size, 0), skipped: [] };
}

export const bytesOf = (text: string) => new TextEncoder().encode(text);
export const sha256 = (bytes: Uint8Array) => new Uint8Array(createHash("sha256").update(bytes).digest());

/** The sending side's disk: reads and hashes from the tree. */
class SourceDisk {
  readonly listings = new Map<string, Listing>();
  /** Make reads fail: a path whose reads return nothing (it shrank). */
  shrunk = new Set<string>();
  constructor(private readonly tree: Tree) {}

  run(action: DiskAction): DiskResult[] {
    const listing = this.listings.get(action.key);
    switch (action.kind) {
      case "read": {
        const entry = listing?.entries[action.entry] as Entry;
        const contents = this.shrunk.has(entry.path)
          ? new Uint8Array(0)
          : (this.tree[entry.path] as Uint8Array);
        return [
          {
            kind: "read",
            key: action.key,
            seq: action.seq,
            bytes: contents.slice(action.offset, action.offset + action.length),
          },
        ];
      }
      case "hash-prefix": {
        const entry = listing?.entries[action.entry] as Entry;
        const hash = createHash("sha256").update(
          (this.tree[entry.path] as Uint8Array).subarray(0, action.length),
        );
        return [{ kind: "hash-prefix", key: action.key, seq: action.seq, hash }];
      }
      default:
        return [];
    }
  }
}

/** The receiving side's disk: a download folder as a Map from path to contents. */
export class DownloadDisk {
  /** Final files and folders (path → contents, or null for a folder). */
  readonly files = new Map<string, Uint8Array | null>();
  /** Part files, by path (with the suffix). */
  readonly parts = new Map<string, Uint8Array>();
  freeBytes = Number.MAX_SAFE_INTEGER;
  /** Fail writes once this many more bytes are written (a full disk). */
  spaceLeft = Number.POSITIVE_INFINITY;
  private readonly roots = new Map<string, string>();
  private readonly open = new Map<string, string>();
  private readonly lastPart = new Map<string, string>();

  run(action: DiskAction): DiskResult[] {
    const { key, seq } = action;
    switch (action.kind) {
      case "inspect": {
        const part = action.oneFile ? this.parts.get(action.name + PART_SUFFIX) : undefined;
        if (part) this.lastPart.set(key, action.name + PART_SUFFIX);
        return [
          {
            kind: "inspect",
            key,
            seq,
            freeBytes: this.freeBytes,
            partial: part ? { size: part.length, hash: createHash("sha256").update(part) } : null,
          },
        ];
      }
      case "mkdir": {
        const path = this.local(key, action.path, action.root);
        if (this.files.has(path)) return [this.failed(action, "exists")];
        this.files.set(path, null);
        return [{ kind: "mkdir", key, seq, ...(action.root ? { localName: path } : {}) }];
      }
      case "open": {
        const path = this.local(key, action.path, false) + PART_SUFFIX;
        const held = this.parts.get(path);
        if (action.offset > 0 && (!held || held.length < action.offset))
          return [this.failed(action, "no part")];
        this.parts.set(
          path,
          action.offset > 0 ? (held as Uint8Array).slice(0, action.offset) : new Uint8Array(0),
        );
        this.open.set(key, path);
        this.lastPart.set(key, path);
        return [{ kind: "open", key, seq }];
      }
      case "write": {
        const path = this.open.get(key) as string;
        if (action.bytes.length > this.spaceLeft) {
          return [
            { kind: "failed", key, seq, action: "write", reason: "receiver's disk is full", full: true },
          ];
        }
        this.spaceLeft -= action.bytes.length;
        const part = this.parts.get(path) as Uint8Array;
        const grown = new Uint8Array(part.length + action.bytes.length);
        grown.set(part);
        grown.set(action.bytes, part.length);
        this.parts.set(path, grown);
        return [{ kind: "write", key, seq, bytes: action.bytes.length }];
      }
      case "finalize": {
        const part = this.open.get(key) as string;
        let final = this.local(key, action.path, false);
        if (action.root) {
          for (let n = 1; this.files.has(final); n++) final = clashName(action.path[0] as string, n);
        } else if (this.files.has(final)) {
          return [this.failed(action, "a file of that name already exists")];
        }
        this.files.set(final, this.parts.get(part) as Uint8Array);
        this.parts.delete(part);
        this.open.delete(key);
        return [{ kind: "finalize", key, seq, ...(action.root ? { localName: final } : {}) }];
      }
      case "discard": {
        const part = this.open.get(key) ?? this.lastPart.get(key);
        if (part) this.parts.delete(part);
        this.open.delete(key);
        return [];
      }
      case "keep":
        this.open.delete(key);
        return [];
      default:
        return [];
    }
  }

  /** The local path: the transfer's first component replaced by the root's local name. */
  private local(key: string, path: string[], root: boolean): string {
    const [first, ...rest] = path as [string, ...string[]];
    if (root && !this.roots.has(key)) {
      let name = first;
      for (let n = 1; this.files.has(name); n++) name = clashName(first, n);
      this.roots.set(key, name);
    }
    return [this.roots.get(key) ?? first, ...rest].join("/");
  }

  private failed(action: DiskAction, reason: string): DiskResult {
    return { kind: "failed", key: action.key, seq: action.seq, action: action.kind, reason, full: false };
  }
}

/** A sender and a receiver over an in-memory link that the test can cut and resume. */
export class TransferPair {
  readonly sender = new Transfers();
  readonly receiver: Transfers;
  readonly source: SourceDisk;
  readonly download = new DownloadDisk();
  readonly senderEvents: TransferEvent[] = [];
  readonly receiverEvents: TransferEvent[] = [];
  /** Every frame each side wrote, in order. */
  readonly fromSender: OutgoingFrame[] = [];
  readonly fromReceiver: OutgoingFrame[] = [];
  now = 0;
  /** While false, frames are lost (the connection is down). */
  linkUp = true;
  /** Bytes the sender may write per pull. */
  budget = 256 * 1024;

  constructor(tree: Tree, options: { autoAccept?: boolean } = {}) {
    this.source = new SourceDisk(tree);
    this.receiver = new Transfers({ autoAccept: options.autoAccept ?? true });
  }

  offer(listing: Listing): number {
    const id = this.sender.offer(listing, this.now);
    this.source.listings.set(`out:${id}`, listing);
    return id;
  }

  /** Moves frames, disk actions and results until nothing more happens; throws if that never comes. */
  settle(): void {
    if (!this.run(10_000)) throw new Error("the transfer did not settle");
  }

  /** At most `steps` rounds of moving frames, actions and results; true when it settled. */
  run(steps: number): boolean {
    for (let i = 0; i < steps; i++) {
      this.now += 1;
      let moved = this.sender.pull(this.budget, this.now) > 0;
      moved = this.runDisk(this.sender, (a) => this.source.run(a)) || moved;
      moved = this.runDisk(this.receiver, (a) => this.download.run(a)) || moved;
      moved = this.deliver(this.sender, this.receiver, this.fromSender) || moved;
      moved = this.deliver(this.receiver, this.sender, this.fromReceiver) || moved;
      this.senderEvents.push(...this.sender.takeEvents());
      this.receiverEvents.push(...this.receiver.takeEvents());
      if (!moved) return true;
    }
    return false;
  }

  /** The connection drops: both sides are told; what is in flight is lost. */
  cut(): void {
    this.linkUp = false;
    this.sender.suspended();
    this.receiver.suspended();
    this.settle();
  }

  resume(): void {
    this.linkUp = true;
    this.sender.resumed();
    this.receiver.resumed();
    this.settle();
  }

  private runDisk(side: Transfers, disk: (action: DiskAction) => DiskResult[]): boolean {
    const actions = side.takeActions();
    for (const action of actions) for (const result of disk(action)) side.diskResult(result, this.now);
    return actions.length > 0;
  }

  private deliver(from: Transfers, to: Transfers, log: OutgoingFrame[]): boolean {
    const frames = from.takeFrames();
    log.push(...frames);
    if (!this.linkUp) return frames.length > 0;
    for (const frame of frames) to.onFrame(frame.type, frame.id, frame.payload, this.now);
    return frames.length > 0;
  }
}
