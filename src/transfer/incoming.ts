import { createHash } from "node:crypto";
import { FrameType } from "../protocol/constants.ts";
import { encodeU64 } from "../protocol/encoder.ts";
import type { TransferSummary } from "./events.ts";
import { encodeAnswer, encodeCancel, type FileEntry, type FileOffer, ZERO_HASH } from "./frames.ts";
import type { Outbox } from "./outbox.ts";
import { componentProblem, entryComponents, PathRuleError, safeMode } from "./path-rules.ts";
import { DISK_FULL, type DiskResult, type RunningHash } from "./types.ts";

/** FILE_PROGRESS at least every this many bytes written (the spec's rule)… */
const REPORT_EVERY = 256 * 1024;
/** …and every this many when reports are far enough apart in time (a slow link: the sender's window shrinks). */
const REPORT_FINE = 64 * 1024;
const REPORT_FINE_MS = 2;

export type IncomingState = "offered" | "inspecting" | "receiving" | "done" | "cancelled";

interface CurrentFile {
  entry: FileEntry;
  components: string[];
  root: boolean;
  received: number;
  /** Of what was received, what the disk has written (the held part counts): the file's progress. */
  written: number;
  hash: RunningHash;
}

/**
 * One transfer this side receives, with the receiver's rules of protocol-v2 section 4: it asks the user
 * (or is told to accept), checks the free space and a partial from an earlier run, and then takes entries
 * strictly as the rules allow, handing each write to the disk and reporting what was written. Anything a
 * rule forbids ends the transfer with FILE_CANCEL and its reason; the chat session goes on.
 */
export class IncomingTransfer {
  readonly key: string;
  private current: IncomingState = "offered";
  private seq = 0;
  /** Entries made (folders, verified files, empty files), by path, with their kind and size. */
  private readonly made = new Map<string, { kind: FileEntry["kind"]; size: number }>();
  private file: CurrentFile | null = null;
  /** Bytes of files verified and in place. */
  private verified = 0;
  /** Bytes handed to the disk and written (the held part of a resumed entry counts as written). */
  private written = 0;
  private lastReported = 0;
  private lastReportAt = Number.NEGATIVE_INFINITY;
  /** When the first progress report went out: the data's flow starts there (see the done event's flowMs). */
  private flowStartedAt: number | null = null;
  /** The file of each write handed to the disk and not yet answered, in order (the disk answers in order). */
  private readonly writing: CurrentFile[] = [];
  /** Files verified whose final name the disk has not given yet (the next entry need not wait for it). */
  private finalsPending = 0;
  /** Folders asked of the disk and not yet made: FILE_DONE waits for them too (one may fail). */
  private foldersPending = 0;
  private localName: string | null = null;
  private resumedFrom = 0;
  /** A held part to continue: from an earlier run (one-file transfers) or from before a drop. */
  private held: { path: string; size: number; hash: RunningHash } | null = null;
  private cancelReason = "";

  constructor(
    readonly id: number,
    readonly offer: FileOffer,
    private readonly out: Outbox,
  ) {
    this.key = `in:${id}`;
  }

  get state(): IncomingState {
    return this.current;
  }

  get ended(): boolean {
    return this.current === "done" || this.current === "cancelled";
  }

  summary(): TransferSummary {
    return {
      id: this.id,
      direction: "in",
      name: this.offer.name,
      totalBytes: this.offer.totalBytes,
      files: this.offer.entries, // the offer does not say how many are folders
      entries: this.offer.entries,
    };
  }

  /** Checks the offer itself; false when it breaks a rule (then the transfer is already cancelled). */
  start(): boolean {
    const problem = this.offer.entries === 0 ? "an offer of no entries" : componentProblem(this.offer.name);
    if (problem) {
      this.refuse(`the offered name is refused: ${problem}`);
      return false;
    }
    // No entry has come yet (they come only after the answer): the offer names none.
    this.out.event({ type: "offer", transfer: this.summary(), firstEntries: [] });
    return true;
  }

  /** The user (or --accept-files) says yes: check the disk first. */
  accept(): void {
    if (this.current !== "offered") return;
    this.current = "inspecting";
    this.seq++;
    this.out.action({
      kind: "inspect",
      key: this.key,
      seq: this.seq,
      name: this.offer.name,
      oneFile: this.offer.entries === 1,
    });
  }

  decline(reason: string): void {
    if (this.current !== "offered" && this.current !== "inspecting") return;
    this.answer(false, reason);
    this.finish("you", reason, true);
  }

  /** This side ends it: FILE_CANCEL with side 1 (a transfer this side receives); its partial is removed. */
  cancel(reason: string): void {
    if (this.ended) return;
    if (this.current === "offered" || this.current === "inspecting") {
      this.decline(reason);
      return;
    }
    this.refuse(reason);
  }

  /** The sender ended it. */
  onCancel(reason: string): void {
    if (this.ended) return;
    this.discard();
    this.finish("peer", reason || "cancelled", false);
  }

  /** The same id offered again (after a resume): answered by this transfer's state, not asked again. */
  onOfferAgain(): void {
    switch (this.current) {
      case "done":
        this.out.frame(FrameType.FILE_DONE, this.id);
        return;
      case "cancelled":
        this.out.frame(FrameType.FILE_CANCEL, this.id, encodeCancel({ side: 1, reason: this.cancelReason }));
        return;
      case "receiving":
        this.answerWithHeld();
        return;
      default:
        return; // still being asked or inspected: the answer comes when that is done
    }
  }

  onEntry(entry: FileEntry, now: number): void {
    if (this.current !== "receiving") return;
    if (this.file) {
      this.refuse(`an entry came before ${this.file.entry.path} was finished`);
      return;
    }
    let components: string[];
    try {
      components = entryComponents(entry.path, this.offer.name);
    } catch (error) {
      if (!(error instanceof PathRuleError)) throw error;
      this.refuse(`a refused path: ${error.message}`);
      return;
    }
    const root = components.length === 1;
    const already = this.made.get(entry.path);
    if (already) {
      // Sent again after a resume: folders and empty files at the boundary, which this transfer made.
      if (already.kind === entry.kind && (entry.kind === "folder" || entry.size === 0)) return;
      this.refuse(`${entry.path} came twice`);
      return;
    }
    // A one-entry offer is one file, or an empty folder; an offer of more is a folder.
    if (root && entry.kind === "file" && this.offer.entries !== 1) {
      this.refuse("the first entry must be the offered folder");
      return;
    }
    if (!root && !this.isFolder(components.slice(0, -1).join("/"))) {
      this.refuse(`${entry.path} came before its folder`);
      return;
    }
    if (this.made.size >= this.offer.entries) {
      this.refuse(`more entries than the ${this.offer.entries} offered`);
      return;
    }
    if (this.verified + entry.size > this.offer.totalBytes) {
      this.refuse(`more than the ${this.offer.totalBytes} bytes offered`);
      return;
    }
    if (entry.kind === "folder") {
      this.made.set(entry.path, { kind: "folder", size: 0 });
      this.foldersPending++;
      this.out.action({
        kind: "mkdir",
        key: this.key,
        seq: this.seq,
        path: components,
        mode: safeMode(entry.mode, "folder"),
        root,
      });
      this.entryDone(now);
      return;
    }
    const held = this.held?.path === entry.path ? this.held : null;
    if (entry.offset !== 0 && entry.offset !== held?.size) {
      this.refuse(`${entry.path} starts at byte ${entry.offset}, which this side does not hold`);
      return;
    }
    if (entry.offset > entry.size) {
      this.refuse(`${entry.path} starts past its own end`);
      return;
    }
    if (entry.offset === 0 && held) {
      // Its held part is discarded (the sender's bytes differ): written anew, and reported anew from here.
      this.written -= held.size;
      this.lastReported = Math.min(this.lastReported, this.written);
      this.resumedFrom -= held.size;
    }
    this.held = null;
    this.file = {
      entry,
      components,
      root,
      received: entry.offset,
      written: entry.offset,
      hash: entry.offset > 0 && held ? held.hash : createHash("sha256"),
    };
    this.out.action({
      kind: "open",
      key: this.key,
      seq: this.seq,
      path: components,
      offset: entry.offset,
      root,
    });
  }

  onData(bytes: Uint8Array): void {
    if (this.current !== "receiving") return;
    const file = this.file;
    if (!file) {
      this.refuse("data without an entry");
      return;
    }
    if (file.received + bytes.length > file.entry.size) {
      this.refuse(`more data than the ${file.entry.size} bytes ${file.entry.path} announced`);
      return;
    }
    file.hash.update(bytes);
    file.received += bytes.length;
    this.writing.push(file);
    this.out.action({ kind: "write", key: this.key, seq: this.seq, bytes });
  }

  onSum(sum: Uint8Array, now: number): void {
    if (this.current !== "receiving") return;
    const file = this.file;
    if (!file) {
      this.refuse("a FILE_SUM without an entry");
      return;
    }
    if (file.received !== file.entry.size) {
      this.refuse(`a FILE_SUM after ${file.received} of the ${file.entry.size} bytes of ${file.entry.path}`);
      return;
    }
    // The file's hash ends here (verified or refused, the file is done with): digested as it is.
    if (!file.hash.digest().equals(sum)) {
      this.refuse(`${file.entry.path} does not match its SHA-256 (corrupted on the way, or changed)`);
      return;
    }
    // Verified: the disk gives it its final name after the writes before it; the next entry may come now.
    this.out.action({
      kind: "finalize",
      key: this.key,
      seq: this.seq,
      path: file.components,
      mode: safeMode(file.entry.mode, "file"),
      root: file.root,
    });
    this.finalsPending++;
    this.made.set(file.entry.path, { kind: "file", size: file.entry.size });
    this.verified += file.entry.size;
    this.file = null;
    this.entryDone(now);
  }

  diskResult(result: DiskResult, now: number): void {
    if (result.seq !== this.seq || this.ended) return;
    switch (result.kind) {
      case "inspect":
        this.inspected(result);
        return;
      case "mkdir":
        if (result.localName !== undefined) this.localName = result.localName;
        this.foldersPending--;
        this.entryDone(now);
        return;
      case "open":
        if (result.localName !== undefined) this.localName = result.localName;
        return;
      case "write": {
        const file = this.writing.shift();
        if (file) file.written += result.bytes;
        this.written += result.bytes;
        this.maybeReport(now, false);
        return;
      }
      case "finalize":
        if (result.localName !== undefined) this.localName = result.localName;
        this.finalsPending--;
        this.entryDone(now);
        return;
      case "failed":
        this.refuse(result.full ? DISK_FULL : result.reason);
        return;
      default:
        return;
    }
  }

  /** The connection dropped: keep the part file for the resume; what was in flight is lost. */
  suspended(): void {
    if (this.current !== "receiving") return;
    const file = this.file;
    // The held part: what was handed to the disk (writes still pending complete before the reopen).
    if (file) {
      this.held = { path: file.entry.path, size: file.received, hash: file.hash };
      this.file = null;
    }
    this.out.action({ kind: "keep", key: this.key, seq: this.seq });
  }

  /** The session ended for good: the part stays (a one-file transfer can be resumed by sending it again). */
  sessionEnded(): void {
    if (this.ended) return;
    if (this.current === "receiving") this.out.action({ kind: "keep", key: this.key, seq: this.seq });
    this.current = "cancelled";
    this.cancelReason = "the session ended";
  }

  // ---- inside ----

  private inspected(result: Extract<DiskResult, { kind: "inspect" }>): void {
    const partial = result.partial && result.partial.size <= this.offer.totalBytes ? result.partial : null;
    const needed = this.offer.totalBytes - (partial?.size ?? 0);
    if (needed > result.freeBytes) {
      const reason = `not enough free space: ${needed} bytes needed, ${result.freeBytes} free`;
      this.answer(false, reason);
      this.finish("you", reason, true);
      return;
    }
    this.current = "receiving";
    if (partial && partial.size > 0) {
      this.held = { path: this.offer.name, size: partial.size, hash: partial.hash };
      this.written = partial.size;
      this.lastReported = partial.size;
    }
    this.answerWithHeld();
  }

  /** FILE_ANSWER accepting, with what is held: verified entries plus the held part of the next one. */
  private answerWithHeld(): void {
    const held = this.held;
    const resumeFrom = this.verified + (held?.size ?? 0);
    this.resumedFrom = resumeFrom;
    const prefix = held && held.size > 0 ? new Uint8Array(held.hash.copy().digest()) : ZERO_HASH;
    this.out.frame(
      FrameType.FILE_ANSWER,
      this.id,
      encodeAnswer({ accept: true, resumeFrom, prefixSha256: prefix, reason: "" }),
    );
  }

  private answer(accept: boolean, reason: string): void {
    this.out.frame(
      FrameType.FILE_ANSWER,
      this.id,
      encodeAnswer({ accept, resumeFrom: 0, prefixSha256: ZERO_HASH, reason }),
    );
  }

  /** After each entry: a report, and FILE_DONE once every entry is verified and in place. */
  private entryDone(now: number): void {
    this.maybeReport(now, true);
    const waiting = this.finalsPending > 0 || this.foldersPending > 0 || this.writing.length > 0;
    if (this.made.size < this.offer.entries || waiting) return;
    this.current = "done";
    this.out.frame(FrameType.FILE_DONE, this.id);
    this.out.event({
      type: "done",
      transfer: this.summary(),
      localName: this.localName,
      resumedFrom: this.resumedFrom,
      flowMs: this.flowStartedAt === null ? 0 : now - this.flowStartedAt,
    });
  }

  private maybeReport(now: number, force: boolean): void {
    const unreported = this.written - this.lastReported;
    const due =
      (force && this.writing.length === 0) ||
      unreported >= REPORT_EVERY ||
      (unreported >= REPORT_FINE && now - this.lastReportAt >= REPORT_FINE_MS) ||
      // The disk has caught up: report what it wrote, so a sender waiting on its window is never stuck.
      (unreported > 0 && this.writing.length === 0);
    if (!due || this.written <= this.lastReported) return;
    this.lastReported = this.written;
    this.lastReportAt = now;
    this.flowStartedAt ??= now;
    this.out.frame(FrameType.FILE_PROGRESS, this.id, encodeU64(this.written));
    const file = this.file;
    this.out.event({
      type: "progress",
      transfer: this.summary(),
      bytes: this.written,
      currentPath: file?.entry.path ?? null,
      currentBytes: file?.written ?? 0,
      currentSize: file?.entry.size ?? 0,
    });
  }

  private isFolder(path: string): boolean {
    return this.made.get(path)?.kind === "folder";
  }

  /** Ends the transfer with FILE_CANCEL (side 1) and its reason: a broken rule, a disk error, the user. */
  private refuse(reason: string): void {
    if (this.ended) return;
    this.out.frame(FrameType.FILE_CANCEL, this.id, encodeCancel({ side: 1, reason }));
    this.discard();
    this.finish("you", reason, false);
  }

  /** The failing entry's partial is removed: it is never left under its final name or as a part. */
  private discard(): void {
    if (this.file || this.held) this.out.action({ kind: "discard", key: this.key, seq: this.seq });
    this.file = null;
    this.held = null;
  }

  private finish(by: "you" | "peer", reason: string, declined: boolean): void {
    this.current = "cancelled";
    this.cancelReason = reason;
    this.seq++;
    this.out.event({ type: "cancelled", transfer: this.summary(), by, reason, declined });
  }
}
