/**
 * Bun lists a skipped test without saying why; this project's rule is that every skip says why. For
 * `test.skipIf` / `describe.skipIf`: prints `SKIPPED what: reason` when there is a reason, and returns whether
 * to skip (`reason` is null when the test can run here).
 */
export function skipBecause(reason: string | null, what: string): boolean {
  if (reason === null) return false;
  console.warn(`SKIPPED ${what}: ${reason}`);
  return true;
}

/** The reason a test needing `command` cannot run here, or null when it is on the PATH. */
export const missingCommand = (command: string): string | null =>
  Bun.which(command) ? null : `the '${command}' command is not installed here`;
