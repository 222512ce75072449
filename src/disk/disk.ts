import { createHash } from "node:crypto";
import { realpathSync, statSync, writeSync, writevSync } from "node:fs";
import { type FileHandle, lstat, statfs } from "node:fs/promises";
import { join } from "node:path";
import { ownsBuffer, release, releaseBuffer, uninitialized } from "../protocol/bytes.ts";
import { clashName, componentProblem, PART_SUFFIX, safeMode } from "../transfer/path-rules.ts";
import type { DiskAction, DiskResult, RunningHash } from "../transfer/types.ts";
import { DiskFailure, errorCode, failure } from "./errors.ts";
import { InlineIo, type InlineIoOptions } from "./inline-io.ts";
import type { SourceListing } from "./list-source.ts";
import {
  createNew,
  createOrReuse,
  existingPart,
  fileEntry,
  giveName,
  type Identity,
  identity,
  makeFolder,
  OPEN_EXISTING_FOR_WRITING,
  OPEN_FOR_READING,
  openExisting,
  openSource,
  readFully,
  readFullySync,
  removeIfStill,
} from "./safe-files.ts";

/**
 * The disk adapter: executes the transfer logic's DiskActions on real files and answers with DiskResults
 * (src/transfer/types.ts). It decides nothing about the protocol; what it enforces is the receiver's rules
 * of protocol-v2 section 4, again, whatever the logic asks — a hostile sender chooses the names, and this is
 * the last code between them and the file system:
 *
 * - everything is written under the download folder, resolved once when the Disk is made;
 * - never through a symbolic link: new files are created with O_CREAT|O_EXCL|O_NOFOLLOW, folders with an
 *   exclusive mkdir (neither follows a link at the last component), existing files are opened with
 *   O_NOFOLLOW, and the folders between the download folder and a name are checked with lstat to be real
 *   folders (and the transfer's own top folder to be the very one it made);
 * - never over an existing file or into an existing folder: a final name is given with link() (which never
 *   replaces anything) and the part file removed after; a clash of the transfer's top-level name takes the
 *   next `clashName`, one deeper down is a failure;
 * - an existing part file is reused only when it is a regular file with one name, owned by this user (a
 *   hard link planted under a part file's name could otherwise truncate a file elsewhere);
 * - memory does not grow with a file's size: reads, writes and hashes go by bounded chunks.
 *
 * Actions of one transfer (`key`) run one after the other and their results come in the same order;
 * different transfers run side by side. A result echoes its action's `seq`.
 */
export interface DiskOptions {
  /**
   * Where received files go; resolved (realpath) by each transfer when it first needs it. It must exist and
   * be a folder then (else that action fails, saying so, and the next transfer tries again). Undefined: this
   * Disk only sends (receiving actions fail).
   */
  downloadDir?: string;
  /** Every result, in order per transfer. Called from the Disk's own promise chains; must not throw. */
  onResult: (result: DiskResult) => void;
  /** Bytes read at a time while hashing (default 1 MiB). */
  hashChunkBytes?: number;
  /** At least this long between two `hashing` progress results of one action (default 250 ms). */
  progressIntervalMs?: number;
  /** When file data is read and written on the main thread, when on the thread pool (inline-io.ts). */
  inlineIo?: InlineIoOptions;
}

/** The largest single `read` answered; the logic reads FILE_DATA-sized pieces (64 KiB), far below. */
export const MAX_READ_BYTES = 16 * 1024 * 1024;

/** Read buffers kept for reuse (see spareRead). */
const SPARE_READS = 4;

/** A batch of writes goes to the file in one go up to about this many bytes, or this many pieces. */
const MAX_WRITE_BATCH = 4 * 1024 * 1024;
const MAX_WRITE_PIECES = 512;

type WriteAction = Extract<DiskAction, { kind: "write" }>;

interface WriteBatch {
  writes: WriteAction[];
  /** For each write, whether its buffer is released once written. */
  release: boolean[];
  bytes: number;
}

/** How many ` (n)` names a clashing top-level name tries before giving up. */
const MAX_CLASHES = 10_000;

const DEFAULT_HASH_CHUNK = 1024 * 1024;
const DEFAULT_PROGRESS_MS = 250;

interface PartFile {
  /** Absolute path of `NAME.121chat-part`. */
  abs: string;
  /** The entry's path as the action gave it (finalize must name the same). */
  path: string[];
  /** Where the final name goes (absolute) and the final name wanted. */
  dir: string;
  finalName: string;
  root: boolean;
  id: Identity;
  /** Open for writing; null once closed (a failed finalize leaves it for discard). */
  handle: FileHandle | null;
  position: number;
  /** This transfer's hold on the part file's name (see Disk.partsInUse). */
  claim: Claim;
}

/** A hold on a part file's name: `released` settles when it is let go. */
interface Claim {
  released: Promise<void>;
  release: () => void;
}

interface Receiving {
  /** The transfer's name (its paths' first component), once its root was made or opened. */
  name: string | null;
  /** The top folder this transfer made: its local name (clashes renamed) and identity. */
  rootFolder: { local: string; id: Identity } | null;
  part: PartFile | null;
  /** A one-file transfer whose file got its final name: nothing more is written for it. */
  finished: boolean;
  /**
   * Part files this transfer holds without writing them, by absolute path: kept at a cut (`keep`), or found
   * by `inspect` from an earlier run. Only these very files are continued (offset > 0); a cancel removes them.
   */
  kept: Map<string, Identity>;
  /** The download folder as this transfer found it (resolved at its first action): see Disk.dl. */
  dl: string | null;
}

interface Sending {
  listing: SourceListing;
  open: { entry: number; handle: FileHandle } | null;
}

export class Disk {
  /** The download folder as given; null for a Disk that only sends. */
  private readonly downloadDirGiven: string | null;
  private readonly onResult: (result: DiskResult) => void;
  private readonly hashChunk: number;
  private readonly progressMs: number;
  private readonly queues = new Map<string, Promise<void>>();
  private readonly receiving = new Map<string, Receiving>();
  private readonly sending = new Map<string, Sending>();
  /**
   * Part files in use (open for writing, or being given their final name), by absolute path, across
   * transfers: one writer per part file. Another transfer's open of the same name waits until it is
   * released (two one-file transfers of the same name, queued: the second's entry comes right behind the
   * first's FILE_SUM, while the first's writes may still be on their way to the disk).
   */
  private readonly partsInUse = new Map<string, Claim>();
  /** Read buffers given back (`release`: all of it was sent), for later reads of the same size. */
  private readonly spareReads: Uint8Array[] = [];
  /** Per transfer, the writes queued last that have not started yet: a later write joins them. */
  private readonly writeBatches = new Map<string, WriteBatch>();
  /** Whether a `read` of file data to send, and a write of data received, run on the main thread. */
  private readonly inlineReads: InlineIo;
  private readonly inlineWrites: InlineIo;

  /**
   * Touches nothing on disk: a Disk is made for every session, before its first frame, and the download
   * folder (checked when the program started) may have gone since; that must cost the session nothing but
   * its transfers, each told why.
   */
  constructor(options: DiskOptions) {
    this.onResult = options.onResult;
    this.hashChunk = Math.max(4096, options.hashChunkBytes ?? DEFAULT_HASH_CHUNK);
    this.progressMs = options.progressIntervalMs ?? DEFAULT_PROGRESS_MS;
    this.downloadDirGiven = options.downloadDir ?? null;
    this.inlineReads = new InlineIo(options.inlineIo);
    this.inlineWrites = new InlineIo(options.inlineIo);
  }

  /**
   * Makes `listing` (from listSource) the files that the `read`, `hash-prefix` and `close-source` actions of
   * `key` use. Call it before submitting them (it takes its turn among the transfer's actions); a second
   * call for the same key replaces the listing and closes what the first had open.
   */
  registerSource(key: string, listing: SourceListing): void {
    this.writeBatches.delete(key);
    void this.enqueue(key, async () => {
      await this.closeSending(key);
      this.sending.set(key, { listing, open: null });
    });
  }

  /**
   * Queues an action behind the earlier actions of its transfer; its result (if any) comes via onResult.
   * Writes that follow one another in a transfer's queue go to the file together (one `writev`), each still
   * answered by a result of its own. `releaseWritten`: the write's bytes are a view of a buffer that nothing
   * else uses, to be released (detached) once written.
   */
  submit(action: DiskAction, options: { releaseWritten?: boolean } = {}): void {
    if (action.kind === "write") {
      const releaseAfter = options.releaseWritten === true;
      const batch = this.writeBatches.get(action.key);
      if (batch && batch.bytes < MAX_WRITE_BATCH && batch.writes.length < MAX_WRITE_PIECES) {
        batch.writes.push(action);
        batch.release.push(releaseAfter);
        batch.bytes += action.bytes.length;
        return;
      }
      const fresh: WriteBatch = { writes: [action], release: [releaseAfter], bytes: action.bytes.length };
      this.writeBatches.set(action.key, fresh);
      this.enqueue(action.key, () => {
        // From now on, later writes start a batch of their own.
        if (this.writeBatches.get(action.key) === fresh) this.writeBatches.delete(action.key);
        return this.writeBatch(fresh.writes, fresh.release);
      });
      return;
    }
    this.writeBatches.delete(action.key); // a later write must come after this action
    this.enqueue(action.key, () => this.execute(action));
  }

  /**
   * Drops everything this Disk holds for `key` (after the transfer ended, or to free a cut-off transfer
   * that will not resume): open files are closed, a part file being written is kept on disk. Runs after
   * the actions already queued for `key`.
   */
  forget(key: string): Promise<void> {
    this.writeBatches.delete(key);
    return this.enqueue(key, async () => {
      await this.closeReceiving(key);
      await this.closeSending(key);
    });
  }

  /** Resolves once every action queued so far has run and reported. */
  async idle(): Promise<void> {
    while (this.queues.size > 0) await Promise.all([...this.queues.values()]);
  }

  /** Closes every open file (part files are kept, as at a cut), after the queued actions. */
  async close(): Promise<void> {
    const keys = new Set([...this.queues.keys(), ...this.receiving.keys(), ...this.sending.keys()]);
    await Promise.all([...keys].map((key) => this.forget(key)));
  }

  private enqueue(key: string, work: () => Promise<void>): Promise<void> {
    const previous = this.queues.get(key) ?? Promise.resolve();
    const run = previous.then(work);
    // The transfer's next action runs even if this one threw (only the result callback can throw: that is a
    // bug of the caller's, and `run` rejects with it, unhandled, so that it is seen).
    const settled = run.catch(() => {});
    this.queues.set(key, settled);
    void settled.then(() => {
      if (this.queues.get(key) === settled) this.queues.delete(key);
    });
    return run;
  }

  private async execute(action: DiskAction): Promise<void> {
    let result: DiskResult | null;
    try {
      result = await this.perform(action);
    } catch (error) {
      result = failure(action, error);
    }
    if (result) this.onResult(result);
  }

  private perform(action: DiskAction): Promise<DiskResult | null> {
    switch (action.kind) {
      case "read":
        return this.read(action);
      case "hash-prefix":
        return this.hashPrefix(action);
      case "close-source":
        return this.closeSending(action.key).then(() => null);
      case "release":
        this.spareRead(action.bytes);
        return Promise.resolve(null);
      case "inspect":
        return this.inspect(action);
      case "mkdir":
        return this.mkdir(action);
      case "open":
        return this.openPart(action);
      case "write":
        return this.writeBatch([action]).then(() => null);
      case "finalize":
        return this.finalize(action);
      case "discard":
        return this.discard(action);
      case "keep":
        return this.closeReceiving(action.key).then(() => null);
    }
  }

  // ---- the receiving side ----

  private state(key: string): Receiving {
    let state = this.receiving.get(key);
    if (!state) {
      state = { name: null, rootFolder: null, part: null, finished: false, kept: new Map(), dl: null };
      this.receiving.set(key, state);
    }
    return state;
  }

  /**
   * The download folder as transfer `key` sees it: resolved when the transfer first needs it (its inspect),
   * and the same for the rest of it. Each transfer looks again: the folder may have gone, or come back,
   * since the last. Throws DiskFailure when there is none, or it is gone.
   */
  private dl(key: string): string {
    if (this.downloadDirGiven === null) throw new DiskFailure("this side has no download folder");
    const state = this.state(key);
    state.dl ??= resolveDownloadDir(this.downloadDirGiven);
    return state.dl;
  }

  private async inspect(action: Extract<DiskAction, { kind: "inspect" }>): Promise<DiskResult> {
    const dl = this.dl(action.key);
    const fs = await statfs(dl, { bigint: true });
    const freeBytes = Number(fs.bavail * fs.bsize);
    let partial: { size: number; hash: RunningHash } | null = null;
    if (action.oneFile && componentProblem(action.name) === null) {
      const abs = join(dl, action.name + PART_SUFFIX);
      // Another transfer's part file, being written or named, is not a partial from an earlier run.
      const taken = this.partsInUse.has(abs);
      const found = taken ? null : await existingPart(abs);
      if (found) {
        // This transfer takes it on: only this very file is continued, and a cancel removes it.
        this.state(action.key).kept.set(abs, found.id);
        const handle = await openExisting(abs, OPEN_FOR_READING, found.id);
        try {
          const size = Number(found.size);
          partial = { size, hash: await this.hashHandle(handle, size, action) };
        } finally {
          await handle.close();
        }
      }
    }
    return { kind: "inspect", key: action.key, seq: action.seq, freeBytes, partial };
  }

  private async mkdir(action: Extract<DiskAction, { kind: "mkdir" }>): Promise<DiskResult> {
    const dl = this.dl(action.key);
    const path = checked(action.path);
    const state = this.state(action.key);
    const mode = safeMode(action.mode, "folder");
    if (action.root) {
      if (path.length !== 1) throw new DiskFailure("a transfer's top folder must be one name");
      if (state.name !== null) throw new DiskFailure("this transfer already has its top folder or file");
      const name = path[0] as string;
      const made = await underFreeName(name, async (local) => {
        const id = await makeFolder(join(dl, local), mode);
        return id === null ? null : { local, id };
      });
      if (made === null) throw new DiskFailure(`too many files named like "${name}" in the download folder`);
      state.name = name;
      state.rootFolder = made;
      return { kind: "mkdir", key: action.key, seq: action.seq, localName: made.local };
    }
    const parent = await this.folderOf(dl, state, path);
    const last = path[path.length - 1] as string;
    if ((await makeFolder(join(parent, last), mode)) === null) {
      throw new DiskFailure(`"${path.join("/")}" already exists`);
    }
    return { kind: "mkdir", key: action.key, seq: action.seq };
  }

  /**
   * The absolute folder that holds the last component of `path`, a path inside this transfer's top folder
   * (made in `dl`, the transfer's download folder): that folder must be the one this transfer made, and
   * every folder between a real folder (no link).
   */
  private async folderOf(dl: string, state: Receiving, path: string[]): Promise<string> {
    if (path.length < 2)
      throw new DiskFailure("an entry inside a transfer needs a path below its top folder");
    const root = state.rootFolder;
    if (root === null || state.name === null) {
      throw new DiskFailure("an entry inside a folder came before the transfer's top folder");
    }
    if (path[0] !== state.name) throw new DiskFailure("an entry outside the transfer's top folder");
    let dir = join(dl, root.local);
    const top = await lstat(dir, { bigint: true }).catch(() => null);
    if (!top?.isDirectory() || identity(top) !== root.id) {
      throw new DiskFailure("the transfer's folder was moved or replaced");
    }
    for (const component of path.slice(1, -1)) {
      dir = join(dir, component);
      const info = await lstat(dir).catch(() => null);
      if (!info?.isDirectory()) {
        throw new DiskFailure(
          `"${component}" is not a folder this transfer made (or its folder entry is missing)`,
        );
      }
    }
    return dir;
  }

  private async openPart(action: Extract<DiskAction, { kind: "open" }>): Promise<DiskResult> {
    const dl = this.dl(action.key);
    const path = checked(action.path);
    const state = this.state(action.key);
    if (!Number.isSafeInteger(action.offset) || action.offset < 0) throw new DiskFailure("a bad offset");
    if (state.finished) throw new DiskFailure("this transfer's file is already in place");
    if (state.part?.handle) throw new DiskFailure("a file is already open for this transfer");
    if (state.part) await this.removePart(state); // a failed finalize's leftover: never resumed
    let dir: string;
    if (action.root) {
      if (path.length !== 1) throw new DiskFailure("a one-file transfer's file must be one name");
      if (state.name !== null && state.name !== path[0]) throw new DiskFailure("a second top-level name");
      if (state.rootFolder !== null) throw new DiskFailure("this transfer already has its top folder");
      dir = dl;
    } else {
      dir = await this.folderOf(dl, state, path);
    }
    const finalName = path[path.length - 1] as string;
    const abs = join(dir, finalName + PART_SUFFIX);
    for (let other = this.partsInUse.get(abs); other; other = this.partsInUse.get(abs)) await other.released;
    // Claimed at once (no await between the check and the claim): the next open of this name waits.
    const claim = this.claimPart(abs);
    let handle: FileHandle;
    let id: Identity;
    try {
      handle = await this.openPartFile(abs, action, finalName, path, state.kept.get(abs));
      try {
        await handle.truncate(action.offset);
        id = identity(await handle.stat({ bigint: true }));
      } catch (error) {
        await handle.close();
        throw error;
      }
    } catch (error) {
      this.releasePart(abs, claim);
      throw error;
    }
    state.kept.delete(abs);
    state.name = path[0] as string;
    state.part = { abs, path, dir, finalName, root: action.root, id, handle, position: action.offset, claim };
    return { kind: "open", key: action.key, seq: action.seq };
  }

  /** The part file to write, opened as the action says: continued, started over or created. */
  private async openPartFile(
    abs: string,
    action: Extract<DiskAction, { kind: "open" }>,
    finalName: string,
    path: string[],
    kept: Identity | undefined,
  ): Promise<FileHandle> {
    if (action.offset > 0) {
      // Continuing a part file: a root one's from an earlier run, or one this transfer kept at a cut.
      if (!action.root && kept === undefined) throw new DiskFailure("there is no partial file to continue");
      const found = await existingPart(abs);
      if (!found || (kept !== undefined && found.id !== kept)) {
        throw new DiskFailure(`the partial file "${finalName}${PART_SUFFIX}" is gone or was replaced`);
      }
      if (Number(found.size) < action.offset) {
        throw new DiskFailure(`the partial file "${finalName}${PART_SUFFIX}" is shorter than the offset`);
      }
      return openExisting(abs, OPEN_EXISTING_FOR_WRITING, found.id);
    }
    // A root part may be left from an earlier run: start it over, if it is a plain file of ours.
    if (action.root || kept !== undefined) return createOrReuse(abs, finalName, kept);
    return createNew(abs, `"${path.join("/")}${PART_SUFFIX}" already exists`);
  }

  /**
   * Appends the bytes of consecutive write actions to the part file with as few `writev` calls as the file
   * takes, then answers each action. If it fails, every action of the batch is answered with the failure
   * (the transfer ends at the first).
   */
  private async writeBatch(writes: WriteAction[], releases: boolean[] = []): Promise<void> {
    const first = writes[0] as WriteAction;
    let results: DiskResult[];
    try {
      const part = this.receiving.get(first.key)?.part;
      if (!part?.handle) throw new DiskFailure("no file is open for this transfer");
      let pieces: Uint8Array[] = writes.map((write) => write.bytes);
      let left = 0;
      for (const piece of pieces) left += piece.length;
      while (left > 0) {
        const bytesWritten = await this.writeAt(part.handle, pieces, left, part.position);
        if (bytesWritten <= 0) throw new DiskFailure("the disk took no bytes");
        part.position += bytesWritten;
        left -= bytesWritten;
        if (left > 0) pieces = after(pieces, bytesWritten);
      }
      results = writes.map((write) => ({
        kind: "write",
        key: write.key,
        seq: write.seq,
        bytes: write.bytes.length,
      }));
      writes.forEach((write, i) => {
        if (releases[i]) releaseBuffer(write.bytes.buffer);
      });
    } catch (error) {
      results = writes.map((write) => failure(write, error));
    }
    for (const result of results) this.onResult(result);
  }

  /**
   * Writes `pieces` (`bytes` in all) at `position`, inline while the disk keeps up (see inline-io.ts), else
   * on the thread pool; returns the bytes written (maybe fewer).
   */
  private async writeAt(
    handle: FileHandle,
    pieces: Uint8Array[],
    bytes: number,
    position: number,
  ): Promise<number> {
    if (this.inlineWrites.inline) {
      const started = performance.now();
      try {
        return pieces.length === 1
          ? writeSync(handle.fd, pieces[0] as Uint8Array, 0, bytes, position)
          : writevSync(handle.fd, pieces, position);
      } finally {
        this.inlineWrites.took(started, performance.now());
      }
    }
    const { bytesWritten } =
      pieces.length === 1
        ? await handle.write(pieces[0] as Uint8Array, 0, bytes, position)
        : await handle.writev(pieces, position);
    return bytesWritten;
  }

  private async finalize(action: Extract<DiskAction, { kind: "finalize" }>): Promise<DiskResult> {
    const dl = this.dl(action.key);
    const path = checked(action.path);
    const state = this.state(action.key);
    const part = state.part;
    if (!part?.handle) throw new DiskFailure("no file is open for this transfer");
    if (part.root !== action.root || part.path.join("/") !== path.join("/")) {
      throw new DiskFailure("finalize names another file than the one open");
    }
    const handle = part.handle;
    part.handle = null;
    let localName: string | undefined;
    try {
      try {
        await handle.chmod(safeMode(action.mode, "file"));
      } finally {
        await handle.close();
      }
      const now = await lstat(part.abs, { bigint: true }).catch(() => null);
      if (!now?.isFile() || identity(now) !== part.id) {
        throw new DiskFailure("the partial file was moved or replaced");
      }
      if (part.root) {
        const named = await underFreeName(part.finalName, async (candidate) =>
          (await giveName(part.abs, join(dl, candidate))) ? candidate : null,
        );
        if (named === null) throw new DiskFailure(`too many files named like "${part.finalName}"`);
        localName = named;
        state.finished = true;
      } else if (!(await giveName(part.abs, join(part.dir, part.finalName)))) {
        throw new DiskFailure(`"${path.join("/")}" already exists`);
      }
    } catch (error) {
      // The transfer ends here: the entry is never left under its final name, nor as a part file.
      await this.removePart(state).catch(() => {});
      throw error;
    } finally {
      this.releasePart(part.abs, part.claim);
    }
    state.part = null;
    return localName === undefined
      ? { kind: "finalize", key: action.key, seq: action.seq }
      : { kind: "finalize", key: action.key, seq: action.seq, localName };
  }

  /**
   * The transfer was cancelled: its part file goes, whether open, kept at a cut, or found by `inspect` from
   * an earlier run and taken on (each only if it is still the very file this transfer wrote or hashed).
   */
  private async discard(action: Extract<DiskAction, { kind: "discard" }>): Promise<null> {
    const state = this.receiving.get(action.key);
    if (!state) return null;
    this.receiving.delete(action.key);
    await this.removePart(state);
    for (const [abs, id] of state.kept) await removeIfStill(abs, id);
    return null;
  }

  /** Closes and removes the transfer's part file (only if it is still the file this transfer wrote). */
  private async removePart(state: Receiving): Promise<void> {
    const part = state.part;
    if (!part) return;
    state.part = null;
    try {
      await part.handle?.close();
      await removeIfStill(part.abs, part.id);
    } finally {
      this.releasePart(part.abs, part.claim); // once it is gone: the next transfer of the name starts anew
    }
  }

  /** Closes the part file being written, keeping it on disk for a resume (`keep`, `forget`). */
  private async closeReceiving(key: string): Promise<void> {
    const state = this.receiving.get(key);
    const part = state?.part;
    if (!state || !part) return;
    state.part = null;
    this.releasePart(part.abs, part.claim);
    if (part.handle) {
      await part.handle.close();
      state.kept.set(part.abs, part.id);
    }
  }

  private claimPart(abs: string): Claim {
    let release = () => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    const claim = { released, release };
    this.partsInUse.set(abs, claim);
    return claim;
  }

  /** Lets go of `claim` (once; never another transfer's hold that came after it). */
  private releasePart(abs: string, claim: Claim): void {
    if (this.partsInUse.get(abs) === claim) this.partsInUse.delete(abs);
    claim.release();
  }

  // ---- the sending side ----

  private source(key: string): Sending {
    const sending = this.sending.get(key);
    if (!sending) throw new DiskFailure("no files are registered for this transfer");
    return sending;
  }

  private async read(action: Extract<DiskAction, { kind: "read" }>): Promise<DiskResult> {
    const sending = this.source(action.key);
    const entry = fileEntry(sending.listing, action.entry);
    const { offset, length } = action;
    if (!Number.isSafeInteger(offset) || offset < 0 || offset > entry.size) {
      throw new DiskFailure(`a read of "${entry.path}" outside the file`);
    }
    if (!Number.isSafeInteger(length) || length < 0 || length > MAX_READ_BYTES) {
      throw new DiskFailure(`a read of ${length} bytes at once`);
    }
    if (sending.open?.entry !== action.entry) {
      const previous = sending.open;
      sending.open = null;
      await previous?.handle.close();
      const handle = await openSource(sending.listing, action.entry);
      sending.open = { entry: action.entry, handle };
    }
    const handle = (sending.open as { handle: FileHandle }).handle;
    const want = Math.min(length, entry.size - offset);
    // A read buffer given back before (all sent), else fresh; not zeroed first: a read that comes back short
    // fails below, so no byte of it goes out unread.
    const index = this.spareReads.findIndex((spare) => spare.length === want);
    const bytes = index >= 0 ? (this.spareReads.splice(index, 1)[0] as Uint8Array) : uninitialized(want);
    const got = await this.readAt(handle, bytes, offset);
    if (got < want) throw new DiskFailure(`"${entry.path}" shrank while it was being sent`);
    if (offset + want === entry.size) {
      const size = Number((await handle.stat({ bigint: true })).size);
      if (size !== entry.size) {
        throw new DiskFailure(
          `"${entry.path}" changed size while it was being sent (${entry.size} → ${size} bytes)`,
        );
      }
    }
    return { kind: "read", key: action.key, seq: action.seq, bytes };
  }

  /** readFully, inline while the disk keeps up (see inline-io.ts), else on the thread pool. */
  private async readAt(handle: FileHandle, bytes: Uint8Array, offset: number): Promise<number> {
    if (!this.inlineReads.inline) return readFully(handle, bytes, offset);
    const started = performance.now();
    try {
      return readFullySync(handle.fd, bytes, offset);
    } finally {
      this.inlineReads.took(started, performance.now());
    }
  }

  private async hashPrefix(action: Extract<DiskAction, { kind: "hash-prefix" }>): Promise<DiskResult> {
    const sending = this.source(action.key);
    const entry = fileEntry(sending.listing, action.entry);
    if (!Number.isSafeInteger(action.length) || action.length < 0 || action.length > entry.size) {
      throw new DiskFailure(`a hash of "${entry.path}" beyond its end`);
    }
    const handle = await openSource(sending.listing, action.entry);
    try {
      const hash = await this.hashHandle(handle, action.length, action, `"${entry.path}"`);
      return { kind: "hash-prefix", key: action.key, seq: action.seq, hash };
    } finally {
      await handle.close();
    }
  }

  /** A read's buffer that nothing uses any more: kept for the next read of its size (a few), else released. */
  private spareRead(bytes: Uint8Array): void {
    if (
      ownsBuffer(bytes) &&
      bytes.length === bytes.buffer.byteLength &&
      this.spareReads.length < SPARE_READS &&
      !this.spareReads.some((spare) => spare.buffer === bytes.buffer)
    ) {
      this.spareReads.push(bytes);
    } else release(bytes);
  }

  private async closeSending(key: string): Promise<void> {
    const sending = this.sending.get(key);
    if (!sending) return;
    this.sending.delete(key);
    const open = sending.open;
    sending.open = null;
    await open?.handle.close();
  }

  // ---- shared ----

  /**
   * SHA-256 of the first `length` bytes of `handle`, read in chunks into one buffer, with `hashing` results
   * at most every progressMs. Returns the running hash, not digested. `what`: the file, as a reason names it.
   */
  private async hashHandle(
    handle: FileHandle,
    length: number,
    action: { key: string; seq: number },
    what = "the partial file",
  ): Promise<RunningHash> {
    const hash = createHash("sha256");
    const buffer = new Uint8Array(Math.min(this.hashChunk, Math.max(length, 1)));
    let done = 0;
    let last = performance.now();
    while (done < length) {
      const want = Math.min(buffer.length, length - done);
      const got = await readFully(handle, buffer.subarray(0, want), done);
      if (got < want) throw new DiskFailure(`${what} shrank while it was being hashed`);
      hash.update(buffer.subarray(0, got));
      done += got;
      const now = performance.now();
      if (now - last >= this.progressMs && done < length) {
        last = now;
        this.onResult({ kind: "hashing", key: action.key, seq: action.seq, done, total: length });
      }
    }
    return hash;
  }
}

/**
 * The download folder, resolved; a DiskFailure with one sentence when it is missing or not a folder. The
 * sentence goes to the peer too (a cancelled transfer's reason): no local path in it.
 */
function resolveDownloadDir(path: string): string {
  let resolved: string;
  try {
    resolved = realpathSync(path);
  } catch (error) {
    const code = errorCode(error);
    throw new DiskFailure(
      code === "ENOENT"
        ? "the download folder does not exist (any more)"
        : `the download folder cannot be used (${code ?? String(error)})`,
    );
  }
  if (!statSync(resolved).isDirectory()) throw new DiskFailure("the download folder is not a folder");
  return resolved;
}

/**
 * Tries `name`, then its clash names `name (1)`, `name (2)`, … (up to MAX_CLASHES), until `take` gets one
 * (returns non-null): returns what `take` returned for it, or null when every name was taken.
 */
async function underFreeName<T>(name: string, take: (local: string) => Promise<T | null>): Promise<T | null> {
  for (let n = 0; n <= MAX_CLASHES; n++) {
    const taken = await take(n === 0 ? name : clashName(name, n));
    if (taken !== null) return taken;
  }
  return null;
}

/** The action's path with every component checked again by the receiver's rules (never trust the caller). */
function checked(path: string[]): string[] {
  if (path.length === 0) throw new DiskFailure("an empty path");
  for (const component of path) {
    const problem = componentProblem(component);
    if (problem) throw new DiskFailure(`a refused name (${problem})`);
  }
  return path;
}

/** `pieces` without their first `skip` bytes (views, no copies). */
function after(pieces: Uint8Array[], skip: number): Uint8Array[] {
  let i = 0;
  while (i < pieces.length && skip >= (pieces[i] as Uint8Array).length) {
    skip -= (pieces[i] as Uint8Array).length;
    i++;
  }
  const rest = pieces.slice(i);
  if (skip > 0 && rest.length > 0) rest[0] = (rest[0] as Uint8Array).subarray(skip);
  return rest;
}
