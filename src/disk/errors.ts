import { DISK_FULL, type DiskAction, type DiskResult } from "../transfer/types.ts";

/** The `code` of a Node-style system error (`ENOENT`, `ENOSPC`, …), or undefined for anything else. */
export function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

/** Whether `error` says there is no room left: no space on the device, or the user's quota is used up. */
export function isDiskFull(error: unknown): boolean {
  const code = errorCode(error);
  return code === "ENOSPC" || code === "EDQUOT";
}

/** A failure with a reason meant for people (it may go to the other side: no local paths in it). */
export class DiskFailure extends Error {
  override name = "DiskFailure";
}

/**
 * The `failed` result for an action that threw: a full disk says so; other reasons carry no local path. A
 * write's result carries its length.
 */
export function failure(action: DiskAction, error: unknown): DiskResult {
  const base = {
    kind: "failed" as const,
    key: action.key,
    seq: action.seq,
    action: action.kind,
    ...(action.kind === "write" ? { bytes: action.bytes.length } : {}),
  };
  if (isDiskFull(error)) return { ...base, reason: DISK_FULL, full: true };
  if (error instanceof DiskFailure) return { ...base, reason: error.message, full: false };
  const code = errorCode(error);
  return { ...base, reason: code ? systemReason(action.kind, code) : String(error), full: false };
}

const VERBS: Record<DiskAction["kind"], string> = {
  read: "reading a file",
  "hash-prefix": "hashing a file",
  "close-source": "closing a file",
  release: "releasing memory",
  inspect: "looking at the download folder",
  mkdir: "making a folder",
  open: "opening a file",
  write: "writing a file",
  finalize: "naming a finished file",
  discard: "removing a partial file",
  keep: "closing a partial file",
};

const CODES: Record<string, string> = {
  EACCES: "permission denied",
  EPERM: "not permitted",
  EROFS: "a read-only file system",
  ENOENT: "no such file or folder",
  ENOTDIR: "a part of the path is not a folder",
  ELOOP: "a symbolic link is in the way",
  EIO: "an input/output error",
  ENAMETOOLONG: "a name too long for this file system",
  EMFILE: "too many open files",
  ENFILE: "too many open files",
};

function systemReason(kind: DiskAction["kind"], code: string): string {
  return `${VERBS[kind]} failed: ${CODES[code] ?? code}`;
}
