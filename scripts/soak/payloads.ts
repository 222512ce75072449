import { createHash, randomFillSync } from "node:crypto";

/**
 * Random messages for the soak, written as stdin lines: mostly 0 B to 4 KiB, one in a hundred up to 1 MiB,
 * a quarter of the small ones UTF-8 text (so the receiver's JSON carries "text"), the rest random bytes (so it
 * carries "base64"). No payload contains 0x0a: pipe and JSON input is one message per line.
 */

const NEWLINE = 0x0a;
const SMALL_MAX = 4 * 1024;
const LARGE_MAX = 1024 * 1024;

export interface PayloadBatch {
  /** The lines, each followed by `\n`, ready for one write to stdin. */
  bytes: Uint8Array;
  /** sha256 of each payload, in order. */
  hashes: Uint8Array[];
  sizes: number[];
}

/** Text made of 1- to 4-byte UTF-8 characters (and a tab, a CR), never a newline. */
const TEXT_POOL = buildTextPool(2 * LARGE_MAX);

export function makeBatch(count: number): PayloadBatch {
  const sizes: number[] = [];
  const isText: boolean[] = [];
  let total = 0;
  for (let i = 0; i < count; i++) {
    const large = Math.random() < 0.01;
    const size = randomInt(large ? LARGE_MAX : SMALL_MAX);
    sizes.push(size);
    isText.push(!large && Math.random() < 0.25);
    total += size + 1;
  }
  const bytes = new Uint8Array(total);
  randomFillSync(bytes);
  const hashes: Uint8Array[] = [];
  let at = 0;
  for (let i = 0; i < count; i++) {
    const size = sizes[i] as number;
    if (isText[i]) {
      const text = textSlice(size);
      bytes.set(text, at);
      // Cut at character boundaries, the text may fall a few bytes short: pad with ASCII, so it stays text.
      bytes.fill(0x61, at + text.length, at + size);
    } else {
      fillWithoutNewline(bytes, at, size);
    }
    const payload = bytes.subarray(at, at + size);
    hashes.push(sha256(payload));
    bytes[at + size] = NEWLINE;
    at += size + 1;
  }
  return { bytes, hashes, sizes };
}

export function sha256(bytes: Uint8Array): Uint8Array {
  return createHash("sha256").update(bytes).digest();
}

/** Replaces the newlines in `bytes[at, at + size)`, which are random already. */
function fillWithoutNewline(bytes: Uint8Array, at: number, size: number): void {
  const end = at + size;
  for (let nl = bytes.indexOf(NEWLINE, at); nl !== -1 && nl < end; nl = bytes.indexOf(NEWLINE, nl + 1)) {
    bytes[nl] = NEWLINE + 1 + (nl % 200);
  }
}

/** A slice of the text pool of at most `size` bytes that starts and ends on character boundaries. */
function textSlice(size: number): Uint8Array {
  let start = randomInt(TEXT_POOL.length - size - 4);
  while (isContinuation(TEXT_POOL[start] as number)) start++;
  let end = start + size;
  while (end > start && isContinuation(TEXT_POOL[end] as number)) end--;
  return TEXT_POOL.subarray(start, end);
}

const isContinuation = (byte: number) => (byte & 0xc0) === 0x80;

function buildTextPool(bytes: number): Uint8Array {
  const alphabet = [..."abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ 0123456789 .,;:!?-\t\r"];
  alphabet.push("é", "ß", "ø", "Ж", "ω", "€", "→", "日", "本", "語", "😀", "🚀", "\u{10ffff}", "\ufeff");
  const parts: string[] = [];
  let length = 0;
  while (length < bytes) {
    const char = alphabet[randomInt(alphabet.length - 1)] as string;
    parts.push(char);
    length += Buffer.byteLength(char);
  }
  return new TextEncoder().encode(parts.join(""));
}

/** A whole number from 0 to `max`, inclusive. */
function randomInt(max: number): number {
  return Math.floor(Math.random() * (max + 1));
}
