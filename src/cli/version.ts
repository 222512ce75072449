import pkg from "../../package.json" with { type: "json" };

// Replaced by scripts/build.ts (Bun.build `define`) in a compiled executable; absent when run from source.
declare const BUILD_COMMIT: string | undefined;

export function versionLine(): string {
  const commit = typeof BUILD_COMMIT === "string" ? BUILD_COMMIT : "source";
  return `121chat ${pkg.version} (${commit}, bun ${Bun.version}, ${process.platform}-${process.arch})`;
}
