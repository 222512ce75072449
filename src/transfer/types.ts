import type { Hash } from "node:crypto";

/**
 * The vocabulary shared by the pure transfer logic (src/transfer) and the disk adapter (src/disk): what a
 * transfer is made of, what the logic asks the disk to do, and what the disk answers. The logic never
 * touches a file; the adapter never decides anything about the protocol.
 */

/** One entry of a transfer, in the sender's listing and in FILE_ENTRY. */
export interface Entry {
  kind: "file" | "folder";
  /** Relative, `/`-separated, starting with the transfer's name (a one-file transfer: just the name). */
  path: string;
  /** Permission bits as the sender has them (the receiver keeps only the safe ones). */
  mode: number;
  /** Bytes; 0 for a folder. */
  size: number;
}

/** What the sender found at the path it was asked to send. */
export interface Listing {
  /** The transfer's name: the last component of the path (one component, checked like any name). */
  name: string;
  /** In pre-order: a folder before its contents; one entry for a single file. */
  entries: Entry[];
  totalBytes: number;
  /** What was left out, each with why (a symbolic link is never followed). */
  skipped: { path: string; reason: string }[];
}

/** A running SHA-256, so that a prefix hashed once can be continued instead of hashed again. */
export type RunningHash = Hash;

/**
 * What the transfer logic asks of the disk. Every action names its transfer by `key` (the direction and
 * the transfer id) and carries a `seq`, echoed in the result, so a result that arrives after the transfer
 * moved on (cancelled, resumed afresh) is recognised as stale and ignored.
 */
export type DiskAction =
  // ---- the sending side ----
  /** Read `length` bytes of the sender's entry `entry` from `offset` (fewer only at the end of the file). */
  | { kind: "read"; key: string; seq: number; entry: number; offset: number; length: number }
  /** SHA-256 of the first `length` bytes of entry `entry`: the answer holds the running hash. */
  | { kind: "hash-prefix"; key: string; seq: number; entry: number; length: number }
  /** The transfer is over on this side: close what is open for it. */
  | { kind: "close-source"; key: string; seq: number }
  /**
   * All of a read's `bytes` have gone out as FILE_DATA (sealed into records, copied): their memory may be
   * reused. No result.
   */
  | { kind: "release"; key: string; seq: number; bytes: Uint8Array }
  // ---- the receiving side ----
  /**
   * Before answering an offer: free space in the download folder, and for a one-file transfer a partial
   * `NAME.121chat-part` left by an earlier run (a regular file, never through a link), hashed.
   */
  | { kind: "inspect"; key: string; seq: number; name: string; oneFile: boolean }
  /** Make a folder: `path` relative to the download folder, components already checked. */
  | { kind: "mkdir"; key: string; seq: number; path: string[]; mode: number; root: boolean }
  /**
   * Open the file entry's `NAME.121chat-part` for writing from `offset` (0: a new one, created; else the
   * held part, cut to `offset`). `root` for the transfer's own top-level file (a one-file transfer).
   */
  | { kind: "open"; key: string; seq: number; path: string[]; offset: number; root: boolean }
  /** Append bytes to the open part file. */
  | { kind: "write"; key: string; seq: number; bytes: Uint8Array }
  /** The part file's SHA-256 matched: close it, give it its mode and its final name (never over another). */
  | { kind: "finalize"; key: string; seq: number; path: string[]; mode: number; root: boolean }
  /** The transfer was cancelled: close and remove the open part file, if any. */
  | { kind: "discard"; key: string; seq: number }
  /** The connection was cut: close the open part file and keep it, for a resume. */
  | { kind: "keep"; key: string; seq: number };

/** What the disk answers, for the actions that need an answer. */
export type DiskResult =
  | { kind: "read"; key: string; seq: number; bytes: Uint8Array }
  | { kind: "hash-prefix"; key: string; seq: number; hash: RunningHash }
  /** Progress of a long hash-prefix or inspect (a partial of gigabytes takes seconds to hash). */
  | { kind: "hashing"; key: string; seq: number; done: number; total: number }
  | {
      kind: "inspect";
      key: string;
      seq: number;
      freeBytes: number;
      /** A partial from an earlier run: its size and running hash. */
      partial: { size: number; hash: RunningHash } | null;
    }
  /** A folder made, a part file opened: for the transfer's root, the local name it got (clashes renamed). */
  | { kind: "mkdir" | "open"; key: string; seq: number; localName?: string }
  | { kind: "write"; key: string; seq: number; bytes: number }
  | { kind: "finalize"; key: string; seq: number; localName?: string }
  /**
   * Any action that failed: `full` when the disk is full (the reason then says so: DISK_FULL). A failed
   * write's `bytes` is its length, as a written one's is (what the disk was handed, answered either way).
   */
  | {
      kind: "failed";
      key: string;
      seq: number;
      action: DiskAction["kind"];
      reason: string;
      full: boolean;
      bytes?: number;
    };

/** The reason a transfer ends with when the receiver's disk (or the user's quota on it) is full: the spec's words. */
export const DISK_FULL = "receiver's disk is full";
