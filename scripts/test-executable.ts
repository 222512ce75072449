import { existsSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { DIST_DIR, executableName, hostTarget } from "./targets.ts";

/**
 * Runs the end-to-end and interactive tests against this machine's standalone executable (built by
 * `npm run build -- --target host`) instead of the source: tests/helpers/program.ts starts whatever
 * CHAT121_BIN names. A script rather than a shell line, so CI runs it the same way on every OS.
 */
const ROOT = resolve(import.meta.dir, "..");
const SUITES = ["./tests/e2e", "./tests/interactive"];

const host = hostTarget();
if (!host) {
  process.stderr.write(`test:executable: no executable is built for ${process.platform}-${process.arch}\n`);
  process.exit(1);
}
const executable = join(ROOT, DIST_DIR, executableName(host));
if (!existsSync(executable)) {
  process.stderr.write(
    `test:executable: ${relative(ROOT, executable)} is missing; build it first: npm run build -- --target host\n`,
  );
  process.exit(1);
}

console.log(`testing ${relative(ROOT, executable)}: ${SUITES.join(" ")}`);
const tests = Bun.spawn([process.execPath, "test", ...SUITES, ...process.argv.slice(2)], {
  cwd: ROOT,
  env: { ...process.env, CHAT121_BIN: executable },
  stdio: ["inherit", "inherit", "inherit"],
});
process.exit(await tests.exited);
