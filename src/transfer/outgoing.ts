import { createHash } from "node:crypto";
import { FrameType, HEADER_SIZE } from "../protocol/constants.ts";
import type { TransferSummary } from "./events.ts";
import { FlowWindow } from "./flow-window.ts";
import { encodeCancel, encodeEntry, encodeOffer, type FileAnswer, SHA256_SIZE, ZERO_HASH } from "./frames.ts";
import type { Outbox } from "./outbox.ts";
import type { DiskResult, Listing, RunningHash } from "./types.ts";

/**
 * FILE_DATA carries at most this much: 64 KiB less a frame header, so that a FILE_DATA frame is exactly one
 * record's plaintext (protocol-v2 section 2), and its payload reaches the receiver whole inside one record
 * (no record boundary to collect it across: see RecordSealer).
 */
export const DATA_CHUNK = 64 * 1024 - HEADER_SIZE;
/** Bytes read from disk ahead of sending: enough to keep the connection fed between reads; whole FILE_DATAs. */
const READ_AHEAD = 8 * DATA_CHUNK;

/** A read from disk not all sent yet: what is left of it, and the read itself (released once all is sent). */
interface Buffered {
  left: Uint8Array;
  read: Uint8Array;
}

export type OutgoingState = "offered" | "checking" | "sending" | "finishing" | "done" | "cancelled";

/**
 * One transfer this side sends: the offer, then every entry of the listing in order (FILE_ENTRY, its
 * FILE_DATA within the flow window, FILE_SUM), until the receiver says FILE_DONE. Pure: the listing and
 * the bytes come from the disk adapter through actions and results; frames go out through the outbox.
 *
 * A resume (after a reconnect, or of a partial left by an earlier run) starts where the receiver's
 * FILE_ANSWER says it holds data up to, after checking that the held part hashes the same as this side's.
 */
export class OutgoingTransfer {
  readonly key: string;
  private current: OutgoingState = "offered";
  /** Bumped whenever earlier disk results stop mattering (a new answer, a resume, the end). */
  private seq = 0;
  private readonly starts: number[] = [];
  private readonly files: number;
  private entry = 0;
  private entryStarted = false;
  /** Next byte of the current entry to send, and to read. */
  private offset = 0;
  private readOffset = 0;
  private reading = false;
  /** Bytes read and not yet sent, in order. */
  private buffered: Buffered[] = [];
  private bufferedBytes = 0;
  private hash: RunningHash | null = null;
  private window: FlowWindow;
  private reported = 0;
  /** When the first progress report came: the data's flow starts there (see the done event's flowMs). */
  private flowStartedAt: number | null = null;
  private resumedFrom = 0;
  /** The entry and held part waiting for a prefix check, while `checking`. */
  private check: { entry: number; held: number; expected: Uint8Array } | null = null;
  private cancelledHere: string | null = null;

  constructor(
    readonly id: number,
    readonly listing: Listing,
    private readonly out: Outbox,
    now: number,
  ) {
    this.key = `out:${id}`;
    let at = 0;
    for (const entry of listing.entries) {
      this.starts.push(at);
      at += entry.size;
    }
    this.files = listing.entries.filter((e) => e.kind === "file").length;
    this.window = new FlowWindow(0, now);
  }

  get state(): OutgoingState {
    return this.current;
  }

  get ended(): boolean {
    return this.current === "done" || this.current === "cancelled";
  }

  /** Sending data now (rather than waiting for an answer or a check). */
  get sending(): boolean {
    return this.current === "sending";
  }

  summary(): TransferSummary {
    return {
      id: this.id,
      direction: "out",
      name: this.listing.name,
      totalBytes: this.listing.totalBytes,
      files: this.files,
      entries: this.listing.entries.length,
    };
  }

  /** Says FILE_OFFER (again, after a resume: same id). */
  offer(): void {
    this.out.frame(
      FrameType.FILE_OFFER,
      this.id,
      encodeOffer({
        totalBytes: this.listing.totalBytes,
        entries: this.listing.entries.length,
        name: this.listing.name,
      }),
    );
  }

  onAnswer(answer: FileAnswer, now: number): void {
    if (this.current !== "offered") return; // a duplicate, or one overtaken by the end
    if (!answer.accept) {
      this.end("peer", answer.reason || "declined", true);
      return;
    }
    this.seq++;
    const resumeFrom = answer.resumeFrom;
    this.resumedFrom = resumeFrom;
    this.reported = resumeFrom;
    this.window.restart(resumeFrom, now);
    if (resumeFrom === 0) {
      this.startAt(0, 0);
      return;
    }
    const target = this.continuation(resumeFrom, answer.prefixSha256);
    if (!target) {
      this.cancel(`the receiver holds ${resumeFrom} bytes, which do not fit this transfer`);
      return;
    }
    if (target.held === 0) {
      this.startAt(target.entry, 0);
      return;
    }
    // The receiver holds part of an entry: hash the same part here before going on from it.
    this.current = "checking";
    this.check = { entry: target.entry, held: target.held, expected: answer.prefixSha256 };
    this.out.action({
      kind: "hash-prefix",
      key: this.key,
      seq: this.seq,
      entry: target.entry,
      length: target.held,
    });
  }

  onProgress(bytes: number, now: number): void {
    if (this.ended || bytes <= this.reported) return;
    this.reported = Math.min(bytes, this.listing.totalBytes);
    this.flowStartedAt ??= now;
    this.window.progress(this.reported, now);
    const at = this.entryAt(this.reported);
    const entry = this.listing.entries[at];
    this.out.event({
      type: "progress",
      transfer: this.summary(),
      bytes: this.reported,
      currentPath: entry?.path ?? null,
      currentBytes: entry ? this.reported - (this.starts[at] as number) : 0,
      currentSize: entry?.size ?? 0,
    });
  }

  onDone(now: number): void {
    if (this.ended) return;
    this.current = "done";
    this.seq++;
    this.out.action({ kind: "close-source", key: this.key, seq: this.seq });
    this.out.event({
      type: "done",
      transfer: this.summary(),
      localName: null,
      resumedFrom: this.resumedFrom,
      flowMs: this.flowStartedAt === null ? 0 : now - this.flowStartedAt,
    });
  }

  /** The receiver ended it (FILE_CANCEL about a transfer it receives). */
  onCancel(reason: string): void {
    if (this.ended) return;
    this.end("peer", reason || "cancelled", false);
  }

  /** This side ends it: FILE_CANCEL with side 0 (a transfer this side sends). */
  cancel(reason: string): void {
    if (this.ended) return;
    this.cancelledHere = reason;
    this.out.frame(FrameType.FILE_CANCEL, this.id, encodeCancel({ side: 0, reason }));
    this.end("you", reason, false);
  }

  diskResult(result: DiskResult, now: number): void {
    if (result.seq !== this.seq || this.ended) return; // stale: the transfer moved on since
    switch (result.kind) {
      case "read":
        this.reading = false;
        if (result.bytes.length === 0) {
          const path = this.listing.entries[this.entry]?.path ?? "";
          this.cancel(`${path} changed while it was being sent (it is shorter than it was)`);
          return;
        }
        this.buffered.push({ left: result.bytes, read: result.bytes });
        this.bufferedBytes += result.bytes.length;
        this.readOffset += result.bytes.length;
        return;
      case "hash-prefix":
        this.prefixChecked(result.hash, now);
        return;
      case "failed":
        this.cancel(result.reason);
        return;
      default:
        return;
    }
  }

  /**
   * Writes the frames of as much of the transfer as the flow window and `budget` (bytes) allow now: entries
   * and their data, in order. Returns the bytes written; asks the disk for more data as it goes.
   */
  pull(budget: number, now: number): number {
    let used = 0;
    while (this.current === "sending" && used < budget) {
      const entries = this.listing.entries;
      const entry = entries[this.entry];
      if (!entry) {
        this.current = "finishing"; // everything said; FILE_DONE will come once it is all in place
        break;
      }
      if (!this.entryStarted) {
        this.out.frame(
          FrameType.FILE_ENTRY,
          this.id,
          encodeEntry({
            kind: entry.kind,
            mode: entry.mode,
            size: entry.size,
            offset: this.offset,
            path: entry.path,
          }),
        );
        used += HEADER_SIZE + 19 + entry.path.length;
        this.entryStarted = true;
        if (entry.kind === "folder") {
          this.nextEntry();
          continue;
        }
        this.hash ??= createHash("sha256");
        this.readOffset = this.offset;
      }
      if (this.offset >= entry.size) {
        this.out.frame(FrameType.FILE_SUM, this.id, new Uint8Array((this.hash as RunningHash).digest()));
        used += HEADER_SIZE + SHA256_SIZE;
        this.nextEntry();
        continue;
      }
      const allowance = this.window.allowance(now);
      if (allowance <= 0 || this.bufferedBytes === 0) break;
      const chunk = this.takeBuffered(Math.min(DATA_CHUNK, allowance, Math.max(1, budget - used)));
      this.out.frame(FrameType.FILE_DATA, this.id, chunk);
      (this.hash as RunningHash).update(chunk);
      this.window.sentBytes(chunk.length, now);
      this.offset += chunk.length;
      used += HEADER_SIZE + chunk.length;
    }
    this.readMore();
    return used;
  }

  /** Whether a pull could write something now (false while waiting for the disk, the window or an answer). */
  ready(now: number): boolean {
    if (this.current !== "sending") return false;
    const entry = this.listing.entries[this.entry];
    if (!entry || !this.entryStarted || entry.kind === "folder" || this.offset >= entry.size) return true;
    return this.bufferedBytes > 0 && this.window.allowance(now) > 0;
  }

  /** The connection dropped: what was in flight is lost; nothing more is read until the resume. */
  suspended(): void {
    this.seq++;
    this.reading = false;
    this.dropBuffer();
  }

  /** A resume completed: say the last word again (the offer of one under way, the cancel of one ended here). */
  resumed(): void {
    if (this.current === "cancelled") {
      if (this.cancelledHere !== null) {
        this.out.frame(FrameType.FILE_CANCEL, this.id, encodeCancel({ side: 0, reason: this.cancelledHere }));
      }
      return;
    }
    if (this.current === "done") return;
    this.seq++;
    this.current = "offered";
    this.check = null;
    this.hash = null;
    this.reading = false;
    this.dropBuffer();
    this.offer();
  }

  // ---- inside ----

  /**
   * Where a resume_from of `at` bytes falls: inside a file entry (held part of it), at its end with the
   * whole entry held but not yet verified (a prefix hash that is not zeros), or at the start of the first
   * entry not yet verified (zeros: its held part is empty; folders and empty files there are sent again).
   */
  private continuation(at: number, prefix: Uint8Array): { entry: number; held: number } | null {
    const entries = this.listing.entries;
    const emptyPrefix = prefix.every((byte) => byte === 0) && prefix.length === ZERO_HASH.length;
    for (let i = 0; i < entries.length; i++) {
      const start = this.starts[i] as number;
      const end = start + (entries[i]?.size ?? 0);
      if (emptyPrefix && start === at) return { entry: i, held: 0 };
      if (!emptyPrefix && start < at && at <= end) return { entry: i, held: at - start };
    }
    return null;
  }

  private prefixChecked(hash: RunningHash, now: number): void {
    const check = this.check;
    if (this.current !== "checking" || !check) return;
    this.check = null;
    // A copy is digested: the hash goes on over the rest of the entry.
    if (hash.copy().digest().equals(check.expected)) {
      this.startAt(check.entry, check.held, hash);
      return;
    }
    // Not the same bytes: that entry starts over (the receiver discards its part on offset 0).
    this.reported = this.starts[check.entry] as number;
    this.resumedFrom = this.reported;
    this.window.restart(this.reported, now);
    this.startAt(check.entry, 0);
  }

  private startAt(entry: number, offset: number, hash: RunningHash | null = null): void {
    this.current = "sending";
    this.entry = entry;
    this.offset = offset;
    this.readOffset = offset;
    this.entryStarted = false;
    this.hash = hash;
    this.dropBuffer();
    this.readMore();
  }

  private nextEntry(): void {
    this.entry++;
    this.offset = 0;
    this.readOffset = 0;
    this.entryStarted = false;
    this.hash = null;
    this.dropBuffer();
  }

  /** Keeps up to READ_AHEAD bytes of the current file read ahead of sending. */
  private readMore(): void {
    if (this.current !== "sending" || this.reading) return;
    const entry = this.listing.entries[this.entry];
    if (entry?.kind !== "file" || !this.entryStarted) return;
    const left = entry.size - this.readOffset;
    if (left <= 0 || this.bufferedBytes >= READ_AHEAD) return;
    this.reading = true;
    this.out.action({
      kind: "read",
      key: this.key,
      seq: this.seq,
      entry: this.entry,
      offset: this.readOffset,
      length: Math.min(READ_AHEAD, left),
    });
  }

  private takeBuffered(max: number): Uint8Array {
    const first = this.buffered[0] as Buffered;
    const { left, read } = first;
    if (left.length <= max) {
      this.buffered.shift();
      this.bufferedBytes -= left.length;
      // Its last FILE_DATA is written now and sealed before this action is carried out (actions run later).
      this.out.action({ kind: "release", key: this.key, seq: this.seq, bytes: read });
      return left;
    }
    first.left = left.subarray(max);
    this.bufferedBytes -= max;
    return left.subarray(0, max);
  }

  private dropBuffer(): void {
    this.buffered = [];
    this.bufferedBytes = 0;
  }

  /** The entry whose bytes `at` falls in: the last one starting at or before it (a binary search). */
  private entryAt(at: number): number {
    let low = 0;
    let high = this.starts.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if ((this.starts[middle] as number) <= at) low = middle;
      else high = middle - 1;
    }
    return low;
  }

  private end(by: "you" | "peer", reason: string, declined: boolean): void {
    this.current = "cancelled";
    this.seq++;
    this.dropBuffer();
    this.out.action({ kind: "close-source", key: this.key, seq: this.seq });
    this.out.event({ type: "cancelled", transfer: this.summary(), by, reason, declined });
  }
}
