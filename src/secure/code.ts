import { randomBytes } from "node:crypto";
import { wordlist } from "@scure/bip39/wordlists/english.js";
import { encodeText } from "../protocol/bytes.ts";

/**
 * The short codes both users type (protocol-v2 section 6): three words of the BIP-39 English list, 2048
 * words, 11 bits each, drawn with a cryptographic RNG. BIP-39 words are known by their first four letters,
 * which makes them easy to complete and hard to confuse.
 */

export const WORDS: readonly string[] = wordlist;
const WORD_SET = new Set(WORDS);
export const WORDS_PER_CODE = 3;

export type RandomBytes = (length: number) => Uint8Array;
export const systemRandom: RandomBytes = (length) => new Uint8Array(randomBytes(length));

/** A new code, e.g. `orbit-lemon-swift`. 2048 is a power of two, so 11 bits of each draw pick a word without bias. */
export function generateCode(random: RandomBytes = systemRandom): string {
  const bytes = random(2 * WORDS_PER_CODE);
  const words: string[] = [];
  for (let i = 0; i < WORDS_PER_CODE; i++) {
    const index = (((bytes[2 * i] as number) << 8) | (bytes[2 * i + 1] as number)) & 0x7ff;
    words.push(WORDS[index] as string);
  }
  return words.join("-");
}

/**
 * The normalized code, whose UTF-8 bytes are the PRS: Unicode NFKC, lower-cased, every run of white space,
 * `-`, `_` or `.` made one `-`, and no `-` at either end. `"  Orbit Lantern_SWIFT "` → `orbit-lantern-swift`.
 */
export function normalizeCode(text: string): string {
  return text
    .normalize("NFKC")
    .toLowerCase()
    .replace(/[\p{White_Space}\-_.]+/gu, "-")
    .replace(/^-+|-+$/g, "");
}

/** The words of a code as typed. */
export function codeWords(text: string): string[] {
  const normalized = normalizeCode(text);
  return normalized === "" ? [] : normalized.split("-");
}

export const isCodeWord = (word: string): boolean => WORD_SET.has(word);

/** The words of `text` that are not on the list, in order (empty when every word is). */
export function unknownWords(text: string): string[] {
  return codeWords(text).filter((word) => !isCodeWord(word));
}

/** Words of the list that start with `prefix`, at most `limit` of them, in list (alphabetical) order. */
export function completeWord(prefix: string, limit = 5): string[] {
  const found: string[] = [];
  if (prefix === "") return found;
  for (const word of WORDS) {
    if (word.startsWith(prefix)) {
      found.push(word);
      if (found.length === limit) break;
    }
  }
  return found;
}

/**
 * Why a code given to a server (CHAT121_CODE, --code-file) deserves a warning, or null. A given code is not
 * replaced after a failed try, so its strength is all there is: at one guess a second, a one-word code falls
 * in about half an hour. And a client's prompt takes only three words of the list.
 */
export function givenCodeWarning(text: string): string | null {
  const words = codeWords(text);
  const unknown = words.filter((word) => !isCodeWord(word));
  const untypable =
    unknown.length > 0 || words.length !== WORDS_PER_CODE
      ? " Clients cannot type it at the prompt (it takes three words of the list): they must give it with CHAT121_CODE or --code-file."
      : "";
  if (unknown.length === 0 && words.length < WORDS_PER_CODE) {
    return `a code of ${words.length} word${words.length === 1 ? "" : "s"} is weak, and a given code stays the same after failed tries.${untypable}`;
  }
  return untypable === "" ? null : untypable.trim();
}

/**
 * The code a server answers handshakes with (protocol-v2 section 6). A generated code opens one session and
 * is replaced once it has (by the next one, shown to the server's user), and at once after a failed try, so
 * a guess that failed is never worth repeating. A code the user gave stays for the server's life.
 */
export class ServerCode {
  private current: string;
  private bytes: Uint8Array;
  readonly given: boolean;

  constructor(
    given: string | null,
    private readonly random: RandomBytes = systemRandom,
  ) {
    this.given = given !== null;
    this.current = given ?? generateCode(random);
    this.bytes = encodeText(normalizeCode(this.current));
  }

  /** The code as shown to the user. */
  get code(): string {
    return this.current;
  }

  /** CPace's PRS: the UTF-8 bytes of the normalized code. */
  get prs(): Uint8Array {
    return this.bytes;
  }

  /** A session opened with the code: a generated one is replaced. Returns the new code, or null. */
  used(): string | null {
    return this.replace();
  }

  /** A handshake answered with the code failed: a generated one is replaced. Returns the new code, or null. */
  failed(): string | null {
    return this.replace();
  }

  private replace(): string | null {
    if (this.given) return null;
    this.current = generateCode(this.random);
    this.bytes = encodeText(this.current); // generated codes are normalized already
    return this.current;
  }
}
