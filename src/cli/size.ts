import { UsageError } from "./usage-error.ts";

const UNITS: Record<string, number> = { "": 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/**
 * A byte count as people write it: `65536`, `64k`, `16m`, `1g` (binary units, so 1k = 1024), also with
 * `KiB`/`MB`-style suffixes. Throws UsageError for anything else or for a value outside [min, max].
 */
export function parseSize(text: string, option: string, min: number, max: number): number {
  const match = /^(\d+(?:\.\d+)?)\s*([kmg]?)(?:i?b)?$/i.exec(text.trim());
  const unit = UNITS[(match?.[2] ?? "").toLowerCase()];
  if (!match || unit === undefined) {
    throw new UsageError(`${option}: '${text}' is not a size (examples: 65536, 64k, 16m, 1g)`);
  }
  const bytes = Math.floor(Number(match[1]) * unit);
  if (bytes < min || bytes > max) {
    throw new UsageError(`${option}: ${text} is out of range (${min} to ${max} bytes)`);
  }
  return bytes;
}
