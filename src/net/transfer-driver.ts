import { lstat } from "node:fs/promises";
import type { FileLink } from "../core/chat.ts";
import type { SessionEvent } from "../core/session.ts";
import { Disk } from "../disk/disk.ts";
import { listSource } from "../disk/list-source.ts";
import type { Direction, TransferEvent } from "../transfer/events.ts";
import { Transfers } from "../transfer/transfers.ts";
import { sanitizeToString } from "../ui/sanitize.ts";
import { now } from "./deadline-timer.ts";
import type { LiveSession, SessionCompanion } from "./live-session.ts";

/** How far received file data may run ahead of the disk before the socket is no longer read (see `writing`). */
const WRITE_BACKLOG = 4 * 1024 * 1024;

export interface FileOptions {
  /** Where received files go. */
  downloadDir: string;
  /** Accept offers without asking (--accept-files). */
  acceptFiles: boolean;
  /** Decline offers at once with this reason (a front end that cannot ask, without --accept-files). */
  autoDecline?: string;
}

export interface FileView {
  fileEvent(link: LiveSession, event: TransferEvent): void;
  notice(text: string): void;
}

/**
 * The file transfers of one live session: the pure Transfers beside the Session, and the Disk beside the
 * socket. Frames go through the session (file data only when the connection has room, so chat is never
 * queued behind it here), disk actions to the Disk, and its results back; events go to the front end.
 */
export class TransferDriver implements FileLink, SessionCompanion {
  private readonly transfers: Transfers;
  private readonly disk: Disk;
  private refreshPending = false;
  /** Bytes handed to the disk to write and not yet answered. */
  private backlog = 0;

  constructor(
    private readonly live: LiveSession,
    private readonly view: FileView,
    options: FileOptions,
  ) {
    this.transfers = new Transfers({
      autoAccept: options.acceptFiles,
      ...(options.autoDecline === undefined ? {} : { autoDecline: options.autoDecline }),
    });
    this.disk = new Disk({
      downloadDir: options.downloadDir,
      onResult: (result) => {
        if (result.kind === "write" || (result.kind === "failed" && result.action === "write")) {
          this.written(result.bytes ?? 0);
        }
        this.transfers.diskResult(result, now());
        this.refreshSoon();
      },
    });
    live.session.files = this.transfers;
    live.files = this;
    live.accompany(this);
  }

  // ---- FileLink: what a front end does ----

  async send(
    path: string | readonly string[],
  ): Promise<{ ok: true; id: number } | { ok: false; error: string }> {
    let listing: Awaited<ReturnType<typeof listSource>>;
    try {
      listing = await listSource(await firstExisting(typeof path === "string" ? [path] : path));
    } catch (error) {
      return { ok: false, error: error instanceof Error ? error.message : String(error) };
    }
    if (this.live.session.state === "closed") return { ok: false, error: "the session is over" };
    const id = this.transfers.offer(listing, now());
    this.disk.registerSource(`out:${id}`, listing);
    // A name left out is often left out for its control characters: shown escaped, never as they are
    // (the folder may come from anyone; the notice reaches a terminal, stderr included).
    for (const skipped of listing.skipped) {
      const path = sanitizeToString(new TextEncoder().encode(skipped.path));
      this.view.notice(`#${id}: left out ${path}: ${skipped.reason}`);
    }
    this.live.refresh();
    return { ok: true, id };
  }

  accept(id?: number): boolean {
    return this.act(this.transfers.accept(id));
  }

  decline(id?: number): boolean {
    return this.act(this.transfers.decline(id, "declined"));
  }

  cancel(target: { id?: number; direction?: Direction }): { id: number; direction: Direction } | null {
    const cancelled = this.transfers.cancel(target, "cancelled");
    this.live.refresh();
    return cancelled;
  }

  underWay(): ReturnType<Transfers["live"]> {
    return this.transfers.live();
  }

  waitingOffers(): number[] {
    return this.transfers.waitingOffers();
  }

  // ---- SessionCompanion: what the live session does ----

  sessionEvent(event: SessionEvent): void {
    switch (event.type) {
      case "suspended":
        this.transfers.suspended();
        return;
      case "resumed":
        this.transfers.resumed();
        return;
      case "closed":
        this.transfers.sessionEnded();
        this.flush();
        void this.disk.close();
        return;
      default:
        return;
    }
  }

  beforeOutput(room: number): void {
    const session = this.live.session;
    if (session.state === "open" && session.attached && room > 0) this.transfers.pull(room, now());
    this.flush();
  }

  readyForMore(): boolean {
    const session = this.live.session;
    return session.state === "open" && session.attached && this.transfers.ready(now());
  }

  /** Frames into the session, actions to the disk, events to the front end. */
  private flush(): void {
    const session = this.live.session;
    // A frame that cannot be written now (no connection) is said again after the resume.
    for (const frame of this.transfers.takeFrames()) session.writeFrame(frame.type, frame.id, frame.payload);
    for (const action of this.transfers.takeActions()) {
      // Sent file data may be released only where the channel copied it into records.
      if (action.kind === "release" && !session.channelCopies) continue;
      if (action.kind === "write") {
        this.writing(action.bytes.length);
        // A record's plaintext that held only this data is released once it is written.
        this.disk.submit(action, { releaseWritten: session.holdsOnlyFileData(action.bytes) });
      } else this.disk.submit(action);
    }
    for (const event of this.transfers.takeEvents()) this.view.fileEvent(this.live, event);
  }

  /**
   * Received file data waits in memory until the disk has written it. When the disk falls behind by
   * WRITE_BACKLOG, the socket is read no further until it has caught up to half of that: then the sender's
   * data waits in the kernel's socket buffers and the sender's window, not in this process.
   */
  private writing(bytes: number): void {
    this.backlog += bytes;
    if (this.backlog > WRITE_BACKLOG) this.live.holdReading(true);
  }

  /** A write action of `bytes` was answered (every write is, written or failed: both results say its size). */
  private written(bytes: number): void {
    this.backlog -= bytes;
    if (this.backlog <= WRITE_BACKLOG / 2) this.live.holdReading(false);
  }

  /**
   * Runs the session's loop once after the disk results that arrive together (a batch of writes answers
   * each of its actions in one go), not once per result.
   */
  private refreshSoon(): void {
    if (this.refreshPending) return;
    this.refreshPending = true;
    queueMicrotask(() => {
      this.refreshPending = false;
      this.live.refresh();
    });
  }

  private act(done: boolean): boolean {
    if (done) this.live.refresh();
    return done;
  }
}

/** The first of `paths` that exists (a link counts, whatever it points to); else the first. */
async function firstExisting(paths: readonly string[]): Promise<string> {
  for (const path of paths) {
    if (
      await lstat(path).then(
        () => true,
        () => false,
      )
    )
      return path;
  }
  return paths[0] ?? "";
}
