import { readdir } from "node:fs/promises";
import { join } from "node:path";

export const CHECKSUMS_FILE = "SHA256SUMS";

/**
 * Writes `dir/SHA256SUMS` for the files in `dir` whose names start with `prefix`, in the format of GNU
 * sha256sum ("<hex>  <name>", sorted by name), so `sha256sum -c SHA256SUMS` inside `dir` checks them.
 * Returns the lines written.
 */
export async function writeChecksums(dir: string, prefix: string): Promise<string[]> {
  const names = (await readdir(dir)).filter((name) => name.startsWith(prefix)).sort();
  const lines: string[] = [];
  for (const name of names) lines.push(`${await sha256File(join(dir, name))}  ${name}`);
  await Bun.write(join(dir, CHECKSUMS_FILE), lines.map((line) => `${line}\n`).join(""));
  return lines;
}

/** The SHA-256 of a file as lowercase hex, read in chunks (the executables are ~100 MB each). */
export async function sha256File(path: string): Promise<string> {
  const hasher = new Bun.CryptoHasher("sha256");
  for await (const chunk of Bun.file(path).stream()) hasher.update(chunk);
  return hasher.digest("hex");
}
