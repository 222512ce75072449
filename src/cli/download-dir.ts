import { accessSync, constants, realpathSync, statSync } from "node:fs";
import { errorCode } from "../disk/errors.ts";
import { UsageError } from "./usage-error.ts";

/**
 * The download folder, checked before anything else runs: --download-dir must name an existing folder this
 * user can write in (a usage error otherwise, exit status 2, rather than a failure at the first file). The
 * default, the current folder, is taken as it is: a chat that never receives a file needs nothing of it.
 * Returns the folder's resolved absolute path. This is the I/O that parseCommandLine leaves out.
 */
export function checkDownloadDir(given: string | undefined, cwd = process.cwd()): string {
  if (given === undefined) return cwd;
  const shown = `--download-dir '${given}'`;
  let resolved: string;
  try {
    resolved = realpathSync(given);
  } catch (error) {
    throw new UsageError(`${shown} ${reason(error, "does not exist")}`);
  }
  if (!statSync(resolved).isDirectory()) throw new UsageError(`${shown} is not a folder`);
  try {
    accessSync(resolved, constants.W_OK | constants.X_OK);
  } catch (error) {
    throw new UsageError(`${shown} ${reason(error, "does not exist")}`);
  }
  return resolved;
}

function reason(error: unknown, ifMissing: string): string {
  const code = errorCode(error);
  if (code === "ENOENT") return ifMissing;
  if (code === "EACCES" || code === "EPERM") return "cannot be written in (permission denied)";
  if (code === "EROFS") return "is on a read-only file system";
  if (code === "ENOTDIR") return "is not a folder";
  return `cannot be used (${code ?? String(error)})`;
}

/**
 * --send's path, checked before the session starts: it must exist (a typo would otherwise cost a session,
 * and a server's generated code, before it showed). What it holds is listed later, when it is sent.
 */
export function checkSendPath(given: string | undefined): void {
  if (given === undefined) return;
  try {
    statSync(given);
  } catch (error) {
    // A missing path is ENOENT (reason says so) or ENOTDIR (a file on the way where a folder should be).
    const missing = errorCode(error) === "ENOTDIR";
    throw new UsageError(`--send '${given}' ${missing ? "does not exist" : reason(error, "does not exist")}`);
  }
}
