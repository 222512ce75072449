import { constants, readSync } from "node:fs";
import { type FileHandle, link, lstat, mkdir, open, rename, unlink } from "node:fs/promises";
import { join } from "node:path";
import { PART_SUFFIX } from "../transfer/path-rules.ts";
import { DiskFailure, errorCode } from "./errors.ts";
import type { SourceListing } from "./list-source.ts";

/**
 * File operations that never follow a symbolic link and never replace what is there: the building blocks
 * the Disk keeps the receiver's rules with (and reads the sender's files with, only the files it listed).
 */

const { O_RDONLY, O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW, O_NONBLOCK, O_DIRECTORY } = constants;
/** A new file: fails on anything already there, a dangling link included. */
export const CREATE_NEW = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW;
/** An existing file, not through a link; O_NONBLOCK so that a named pipe cannot hang the open. */
export const OPEN_EXISTING_FOR_WRITING = O_WRONLY | O_NOFOLLOW | O_NONBLOCK;
export const OPEN_FOR_READING = O_RDONLY | O_NOFOLLOW | O_NONBLOCK;
export const OPEN_FOLDER = O_RDONLY | O_DIRECTORY | O_NOFOLLOW;
/** A part file is the user's alone until it is finished. */
export const PART_MODE = 0o600;

/** `dev:ino`: which file a path or a handle is, to notice one replaced by another. */
export type Identity = string;

export function identity(info: { dev: bigint | number; ino: bigint | number }): Identity {
  return `${info.dev}:${info.ino}`;
}

/**
 * Makes the folder `abs` (exclusive: fails on anything there, a link included) and gives it `mode`, through
 * a handle opened without following links. Returns its identity, or null when the name was taken.
 */
export async function makeFolder(abs: string, mode: number): Promise<Identity | null> {
  try {
    await mkdir(abs, { mode: 0o700 });
  } catch (error) {
    if (errorCode(error) === "EEXIST") return null;
    throw error;
  }
  const handle = await open(abs, OPEN_FOLDER);
  try {
    await handle.chmod(mode);
    return identity(await handle.stat({ bigint: true }));
  } finally {
    await handle.close();
  }
}

/** A part file left at `abs`, if it is one this side may continue: a regular file, one name, this user's. */
export async function existingPart(abs: string): Promise<{ id: Identity; size: bigint } | null> {
  let info: Awaited<ReturnType<typeof lstat>>;
  try {
    info = await lstat(abs, { bigint: true });
  } catch (error) {
    if (errorCode(error) === "ENOENT") return null;
    throw error;
  }
  if (!plainFileOfOurs(info)) return null;
  return { id: identity(info), size: info.size };
}

export function plainFileOfOurs(info: {
  isFile(): boolean;
  nlink: bigint | number;
  uid: bigint | number;
}): boolean {
  const uid = typeof process.getuid === "function" ? process.getuid() : undefined;
  return info.isFile() && Number(info.nlink) === 1 && (uid === undefined || Number(info.uid) === uid);
}

/** Removes the file at `abs` if it is still the file `id` (never a link, never what replaced it). */
export async function removeIfStill(abs: string, id: Identity): Promise<void> {
  const now = await lstat(abs, { bigint: true }).catch(() => null);
  if (now?.isFile() && identity(now) === id) await unlink(abs);
}

/** Opens an existing file without following a link, and checks it is still the file `id` that lstat saw. */
export async function openExisting(abs: string, flags: number, id: Identity): Promise<FileHandle> {
  const handle = await open(abs, flags);
  const info = await handle.stat({ bigint: true }).catch(async (error) => {
    await handle.close();
    throw error;
  });
  if (!plainFileOfOurs(info) || identity(info) !== id) {
    await handle.close();
    throw new DiskFailure("a partial file was replaced while it was being opened");
  }
  return handle;
}

export async function createNew(abs: string, ifTaken: string): Promise<FileHandle> {
  try {
    return await open(abs, CREATE_NEW, PART_MODE);
  } catch (error) {
    if (errorCode(error) === "EEXIST") throw new DiskFailure(ifTaken);
    throw error;
  }
}

/**
 * A part file to write from the start: created, or, when one is there (left by an earlier run, or kept by
 * this transfer), reused only if it is a plain file of ours (and, for a kept one, the very file kept).
 */
export async function createOrReuse(
  abs: string,
  finalName: string,
  kept: Identity | undefined,
): Promise<FileHandle> {
  const taken = `"${finalName}${PART_SUFFIX}" exists and is not a partial file this side can reuse`;
  const found = await existingPart(abs);
  if (found && (kept === undefined || found.id === kept))
    return openExisting(abs, OPEN_EXISTING_FOR_WRITING, found.id);
  return createNew(abs, taken);
}

/**
 * Gives the closed part file `part` the name `final`, never replacing anything: link() fails on any name
 * already there (a dangling link too), then the part name is removed. Where the file system has no hard
 * links, a rename after an lstat check (a narrow race, the best such file systems allow). Returns false
 * when `final` is taken.
 */
export async function giveName(part: string, final: string): Promise<boolean> {
  try {
    await link(part, final);
  } catch (error) {
    const code = errorCode(error);
    if (code === "EEXIST") return false;
    if (
      !(
        code === "EPERM" ||
        code === "ENOTSUP" ||
        code === "EOPNOTSUPP" ||
        code === "ENOSYS" ||
        code === "EMLINK"
      )
    ) {
      throw error;
    }
    if (
      await lstat(final).then(
        () => true,
        (e) => errorCode(e) !== "ENOENT",
      )
    )
      return false;
    await rename(part, final);
    return true;
  }
  await unlink(part);
  return true;
}

export function fileEntry(listing: SourceListing, index: number) {
  const entry = listing.entries[index];
  if (entry?.kind !== "file") throw new DiskFailure(`there is no file entry ${index}`);
  return entry;
}

/** Opens entry `index` of a listing for reading: not through a link, and the same file that was listed. */
export async function openSource(listing: SourceListing, index: number): Promise<FileHandle> {
  const entry = fileEntry(listing, index);
  const abs =
    entry.path === listing.name
      ? listing.root
      : join(listing.root, entry.path.slice(listing.name.length + 1));
  let handle: FileHandle;
  try {
    handle = await open(abs, OPEN_FOR_READING);
  } catch (error) {
    const code = errorCode(error);
    if (code === "ENOENT") throw new DiskFailure(`"${entry.path}" no longer exists`);
    if (code === "ELOOP") throw new DiskFailure(`"${entry.path}" was replaced by a symbolic link`);
    throw error;
  }
  const info = await handle.stat({ bigint: true });
  if (!info.isFile() || identity(info) !== listing.identities[index]) {
    await handle.close();
    throw new DiskFailure(`"${entry.path}" was replaced since it was listed`);
  }
  if (Number(info.size) !== entry.size) {
    await handle.close();
    throw new DiskFailure(
      `"${entry.path}" changed size since it was listed (${entry.size} → ${info.size} bytes)`,
    );
  }
  return handle;
}

/** readFully on the calling thread (a synchronous read: see inline-io.ts for when). */
export function readFullySync(fd: number, buffer: Uint8Array, position: number): number {
  let done = 0;
  while (done < buffer.length) {
    const bytesRead = readSync(fd, buffer, done, buffer.length - done, position + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return done;
}

/** Reads into `buffer` from `position` until it is full or the file ends; returns the bytes read. */
export async function readFully(handle: FileHandle, buffer: Uint8Array, position: number): Promise<number> {
  let done = 0;
  while (done < buffer.length) {
    const { bytesRead } = await handle.read(buffer, done, buffer.length - done, position + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return done;
}
