import { join } from "node:path";
import { cleanEnv, programCommand, ROOT, TEST_CODE, testEnv } from "../../tests/helpers/program.ts";
import { listeningPort, type ProcessGroup, type Started } from "./processes.ts";
import type { Speech } from "./raw-client.ts";

/** A server under measurement: the app's (version 1, or encrypted), or one of the floors. */
export interface ServerUnderTest {
  name: "app" | "app, encrypted" | "runtime floor" | "runtime floor, encrypted" | "native floor";
  port: number;
  proc: Started;
  /** How the load generator speaks to it. */
  speech: Speech;
}

/**
 * The app's server in JSON mode on 127.0.0.1, its events going to /dev/null: version 1 (--no-encryption),
 * or version 2 with a given code. The same build either way, so the two differ only by the encryption.
 */
export async function startAppServer(group: ProcessGroup, encrypted: boolean): Promise<ServerUnderTest> {
  const args = [...programCommand(), "server", "--json", "--host", "127.0.0.1", "--port", "0"];
  const proc = group.start(encrypted ? args : [...args, "--no-encryption"], {
    stdout: Bun.file("/dev/null"),
    env: encrypted ? testEnv() : cleanEnv(),
  });
  return encrypted
    ? {
        name: "app, encrypted",
        port: await listeningPort(proc),
        proc,
        speech: { version: 2, code: TEST_CODE }, // a given code stays: every round's client uses it
      }
    : { name: "app", port: await listeningPort(proc), proc, speech: { version: 1 } };
}

/**
 * The minimal Bun server (scripts/bench/runtime-floor.ts), run by the same Bun as the app: version 1, or
 * version 2 with the test code (the least the runtime must do for an encrypted session).
 */
export async function startRuntimeFloor(group: ProcessGroup, encrypted = false): Promise<ServerUnderTest> {
  const proc = group.start([process.execPath, join(ROOT, "scripts/bench/runtime-floor.ts")], {
    env: encrypted ? testEnv() : cleanEnv(),
  });
  const port = await listeningPort(proc);
  return encrypted
    ? { name: "runtime floor, encrypted", port, proc, speech: { version: 2, code: TEST_CODE } }
    : { name: "runtime floor", port, proc, speech: { version: 1 } };
}

/**
 * The minimal C server (scripts/bench/native-floor.c), compiled into `workDir`; skipped, with the reason,
 * when there is no C compiler or the build fails.
 */
export async function startNativeFloor(
  group: ProcessGroup,
  workDir: string,
): Promise<ServerUnderTest | { skipped: string }> {
  const cc = Bun.which("cc");
  if (!cc) return { skipped: "no C compiler (cc) on the PATH" };
  const binary = join(workDir, "native-floor");
  const build = Bun.spawnSync([cc, "-O2", "-o", binary, join(ROOT, "scripts/bench/native-floor.c")], {
    stderr: "pipe",
  });
  if (build.exitCode !== 0) return { skipped: `cc failed: ${build.stderr.toString().trim()}` };
  const proc = group.start([binary]);
  return { name: "native floor", port: await listeningPort(proc), proc, speech: { version: 1 } };
}
