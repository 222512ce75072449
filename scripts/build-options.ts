import { hostTarget, isTargetName, TARGET_NAMES, type TargetName } from "./targets.ts";

export const BUILD_HELP = `Usage: bun run build [--target NAME]...

Builds one standalone executable per target into dist/ (121chat-<os>-<arch>, .exe on Windows) and
writes dist/SHA256SUMS for the executables in dist/. Without --target, builds all targets (and first
removes the executables of earlier builds, so dist/ holds one release).

Options:
  --target NAME   one of ${TARGET_NAMES.join(", ")},
                  or host (this machine); may be given more than once
  -h, --help      show this help

Examples:
  bun run build                       all five executables
  bun run build --target host         just this machine's, e.g. to test it
  npm run build -- --target linux-arm64
`;

export class BuildUsageError extends Error {}

export type BuildRequest = { help: true } | { help: false; targets: TargetName[]; all: boolean };

/** Reads the build script's arguments. Throws BuildUsageError with one line for anything wrong. */
export function parseBuildArgs(args: string[]): BuildRequest {
  const targets: TargetName[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === "-h" || arg === "--help") return { help: true };
    let value: string | undefined;
    if (arg === "--target") {
      value = args[++i];
      if (value === undefined) throw new BuildUsageError("option '--target' needs a value");
    } else if (arg.startsWith("--target=")) {
      value = arg.slice("--target=".length);
    } else {
      throw new BuildUsageError(
        arg.startsWith("-") ? `unknown option '${arg}'` : `unexpected argument '${arg}'`,
      );
    }
    const target = value === "host" ? hostTarget() : value;
    if (target === null) {
      throw new BuildUsageError(
        `no executable is built for this machine (${process.platform}-${process.arch})`,
      );
    }
    if (!isTargetName(target)) {
      throw new BuildUsageError(`unknown target '${value}' (known: ${TARGET_NAMES.join(", ")}, host)`);
    }
    if (!targets.includes(target)) targets.push(target);
  }
  if (targets.length === 0) return { help: false, targets: [...TARGET_NAMES], all: true };
  return { help: false, targets, all: false };
}
