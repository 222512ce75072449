/**
 * The commit a build comes from, as `--version` shows it: the short hash, with "-dirty" when tracked files
 * differ from it or untracked (not ignored) files exist, since either may have gone into the build.
 * "unknown" when there is no git or no repository (a source tarball, say).
 */
export function describeCommit(cwd: string): string {
  const hash = git(["rev-parse", "--short", "HEAD"], cwd);
  if (!hash) return "unknown";
  const status = git(["status", "--porcelain"], cwd);
  return status === "" ? hash : `${hash}-dirty`; // a failed status counts as dirty: it is unknown
}

/** Runs git and returns its trimmed output, or null when git is missing or fails. */
function git(args: string[], cwd: string): string | null {
  try {
    const result = Bun.spawnSync(["git", ...args], { cwd, stdout: "pipe", stderr: "ignore" });
    return result.exitCode === 0 ? result.stdout.toString().trim() : null;
  } catch {
    return null; // git is not installed
  }
}
