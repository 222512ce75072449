import { constants } from "node:fs";
import { access, lstat, readdir, realpath, stat } from "node:fs/promises";
import { basename, join } from "node:path";
import { componentProblem } from "../transfer/path-rules.ts";
import type { Entry, Listing } from "../transfer/types.ts";
import { errorCode } from "./errors.ts";
import { type Identity, identity } from "./safe-files.ts";

/**
 * What the sending side found at a path, with what the disk needs to read it later: the folder or file the
 * listing's name stands for, and each file's identity, so that a file replaced after it was listed (by
 * another file, or by a link to somewhere else) is refused instead of read.
 */
export interface SourceListing extends Listing {
  /** The absolute, resolved path of the transfer's file or folder (entry `name` itself). */
  root: string;
  /** For each entry, in the same order: the identity of a file as it was listed (null for a folder). */
  identities: (Identity | null)[];
}

/** Permission bits (with set-uid, set-gid and sticky): what FILE_ENTRY's mode carries. */
const PERMISSION_BITS = 0o7777;

/**
 * Lists `path` for sending: a file, or a folder walked in pre-order (a folder before its contents, the
 * contents of each folder sorted by name so that the order is the same on every run). No file is read here.
 *
 * The path itself, named by the user, may be a symbolic link: it is followed, as `cp` and `tar` follow a link
 * named on their command line: the user asked for that thing by its name, and the transfer keeps the link's
 * name. Inside a folder, a symbolic link is never followed: it is skipped, with the reason in `skipped`, and
 * so is anything that is not a regular file or a folder, anything that cannot be read, and any name the
 * receiver would refuse (path-rules.ts), so that one odd name does not end the whole transfer at the other
 * end.
 *
 * Throws an Error with one sentence when the path cannot be sent at all (missing, unreadable, not a file or
 * a folder, or a name the receiver refuses).
 */
export async function listSource(path: string): Promise<SourceListing> {
  if (path === "") throw new Error("no path given to send");
  const shown = JSON.stringify(path);
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    info = await stat(path, { bigint: true });
  } catch (error) {
    throw new Error(`cannot send ${shown}: ${describe(error, "it does not exist")}`);
  }
  const root = await realpath(path);
  if (root === "/") throw new Error("cannot send the whole file system's root folder");
  const name = transferName(path, root);
  const problem = componentProblem(name);
  if (problem) throw new Error(`cannot send ${shown}: the receiver refuses its name (${problem})`);

  const listing: SourceListing = { name, entries: [], totalBytes: 0, skipped: [], root, identities: [] };
  if (info.isFile()) {
    const unreadable = await cannotRead(root);
    if (unreadable) throw new Error(`cannot send ${shown}: ${unreadable}`);
    add(
      listing,
      { kind: "file", path: name, mode: Number(info.mode) & PERMISSION_BITS, size: Number(info.size) },
      info,
    );
    return listing;
  }
  if (!info.isDirectory())
    throw new Error(`cannot send ${shown}: it is ${kindOf(info)}, not a file or a folder`);
  let names: string[];
  try {
    names = await readdir(root);
  } catch (error) {
    throw new Error(`cannot send ${shown}: the folder cannot be read (${describe(error)})`);
  }
  add(listing, { kind: "folder", path: name, mode: Number(info.mode) & PERMISSION_BITS, size: 0 }, info);
  await walk(listing, root, name, names);
  return listing;
}

/**
 * The transfer's name: the last component of the path as typed (`docs/` and `docs` are both `docs`; a link
 * keeps its own name). `.`, `..` and the like name the folder they resolve to.
 */
function transferName(path: string, resolved: string): string {
  const last = basename(path.replace(/\/+$/, ""));
  return last === "" || last === "." || last === ".." ? basename(resolved) : last;
}

/** Adds the contents of the folder `dir` (whose entry path is `prefix`), depth first, sorted by name. */
async function walk(listing: SourceListing, dir: string, prefix: string, names: string[]): Promise<void> {
  names.sort(byName);
  for (const child of names) {
    const entryPath = `${prefix}/${child}`;
    const problem = componentProblem(child);
    if (problem) {
      listing.skipped.push({ path: entryPath, reason: `the receiver refuses its name (${problem})` });
      continue;
    }
    const full = join(dir, child);
    let info: Awaited<ReturnType<typeof lstat>>;
    try {
      info = await lstat(full, { bigint: true });
    } catch (error) {
      listing.skipped.push({ path: entryPath, reason: `it cannot be read (${describe(error)})` });
      continue;
    }
    const mode = Number(info.mode) & PERMISSION_BITS;
    if (info.isSymbolicLink()) {
      listing.skipped.push({ path: entryPath, reason: "a symbolic link (links are never followed)" });
    } else if (info.isFile()) {
      const unreadable = await cannotRead(full);
      if (unreadable) listing.skipped.push({ path: entryPath, reason: unreadable });
      else add(listing, { kind: "file", path: entryPath, mode, size: Number(info.size) }, info);
    } else if (info.isDirectory()) {
      let inside: string[];
      try {
        inside = await readdir(full);
      } catch (error) {
        listing.skipped.push({
          path: entryPath,
          reason: `the folder cannot be read (${describe(error)})`,
        });
        continue;
      }
      add(listing, { kind: "folder", path: entryPath, mode, size: 0 }, info);
      await walk(listing, full, entryPath, inside);
    } else {
      listing.skipped.push({ path: entryPath, reason: `${kindOf(info)}, not a regular file or a folder` });
    }
  }
}

function add(listing: SourceListing, entry: Entry, info: { dev: bigint; ino: bigint }): void {
  listing.entries.push(entry);
  listing.identities.push(entry.kind === "file" ? identity(info) : null);
  listing.totalBytes += entry.size;
}

/** Code-unit order: the same on every run and every machine (no locale). */
function byName(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Why the file cannot be read by this process, or null when it can. */
async function cannotRead(path: string): Promise<string | null> {
  try {
    await access(path, constants.R_OK);
    return null;
  } catch (error) {
    return `it cannot be read (${describe(error)})`;
  }
}

function kindOf(info: {
  isFIFO(): boolean;
  isSocket(): boolean;
  isCharacterDevice(): boolean;
  isBlockDevice(): boolean;
}): string {
  if (info.isFIFO()) return "a named pipe";
  if (info.isSocket()) return "a socket";
  if (info.isCharacterDevice() || info.isBlockDevice()) return "a device";
  return "something else";
}

/** A short reason for a failed file system call: "permission denied", or the error's code. */
function describe(error: unknown, ifMissing = "gone since the folder was read"): string {
  const code = errorCode(error);
  switch (code) {
    case "ENOENT":
      return ifMissing;
    case "EACCES":
    case "EPERM":
      return "permission denied";
    case "ENOTDIR":
      return "a part of the path is not a folder";
    case "ELOOP":
      return "too many symbolic links";
    default:
      return code ?? (error instanceof Error ? error.message : String(error));
  }
}
