/** The machines a release is built for, and where each executable goes. */

export const DIST_DIR = "dist";

export const TARGET_NAMES = [
  "linux-x64",
  "linux-arm64",
  "darwin-x64",
  "darwin-arm64",
  "windows-x64",
] as const;

export type TargetName = (typeof TARGET_NAMES)[number];

export function isTargetName(name: string): name is TargetName {
  return (TARGET_NAMES as readonly string[]).includes(name);
}

/** The executable's file name: 121chat-<os>-<arch>, with .exe on Windows (which runs nothing without it). */
export function executableName(target: TargetName): string {
  return `121chat-${target}${target.startsWith("windows-") ? ".exe" : ""}`;
}

/** Bun's name for the runtime a target's executable is built from. */
export function bunTarget(target: TargetName): Bun.Build.CompileTarget {
  return `bun-${target}` as Bun.Build.CompileTarget;
}

/** The target of the machine this runs on, or null when no release is built for it. */
export function hostTarget(): TargetName | null {
  const os = process.platform === "win32" ? "windows" : process.platform;
  const name = `${os}-${process.arch}`;
  return isTargetName(name) ? name : null;
}
