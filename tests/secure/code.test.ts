import { describe, expect, test } from "bun:test";
import {
  codeWords,
  completeWord,
  generateCode,
  givenCodeWarning,
  isCodeWord,
  normalizeCode,
  ServerCode,
  unknownWords,
  WORDS,
} from "../../src/secure/code.ts";

/** A deterministic "random" source: the bytes given, then zeros. */
const fixed =
  (...bytes: number[]) =>
  (length: number) =>
    Uint8Array.from({ length }, (_, i) => bytes[i] ?? 0);

describe("codes", () => {
  test("the word list is BIP-39's English list: 2048 words, unique, lower-case ASCII", () => {
    expect(WORDS).toHaveLength(2048);
    expect(new Set(WORDS).size).toBe(2048);
    expect(WORDS.every((w) => /^[a-z]{3,8}$/.test(w))).toBe(true);
    expect(WORDS[0]).toBe("abandon");
    expect(WORDS[2047]).toBe("zoo");
  });

  test("a generated code is three words of the list, 11 bits each", () => {
    expect(generateCode(fixed(0, 0, 0x07, 0xff, 0xff, 0xff))).toBe("abandon-zoo-zoo");
    expect(generateCode(fixed(0xf8, 0x01, 0, 2, 0, 3))).toBe("ability-able-about"); // the top 5 bits are dropped
    const code = generateCode();
    expect(codeWords(code)).toHaveLength(3);
    expect(unknownWords(code)).toEqual([]);
  });

  test("normalized: NFKC, lower-cased, runs of space - _ . made one -, none at the ends", () => {
    expect(normalizeCode("  Orbit Lantern_SWIFT ")).toBe("orbit-lantern-swift");
    expect(normalizeCode("orbit--lemon..swift")).toBe("orbit-lemon-swift");
    expect(normalizeCode("\u00a0orbit\u3000lemon\tswift\n")).toBe("orbit-lemon-swift"); // Unicode white space
    expect(normalizeCode("ＯＲＢＩＴ-lemon-swift")).toBe("orbit-lemon-swift"); // full-width letters (NFKC)
    expect(normalizeCode("-_.")).toBe("");
  });

  test("words are checked against the list; completion finds words by prefix", () => {
    expect(isCodeWord("orbit")).toBe(true);
    expect(isCodeWord("lantern")).toBe(false);
    expect(unknownWords("orbit lantern swift")).toEqual(["lantern"]);
    expect(completeWord("lem")).toEqual(["lemon"]);
    expect(completeWord("ab", 3)).toEqual(["abandon", "ability", "able"]);
    expect(completeWord("xq")).toEqual([]);
    expect(completeWord("")).toEqual([]);
  });

  test("a given code is warned about when it is weak or cannot be typed at a client's prompt", () => {
    expect(givenCodeWarning("orbit-lemon-swift")).toBeNull();
    expect(givenCodeWarning("orbit")).toContain("weak");
    expect(givenCodeWarning("correct horse battery staple")).toContain("CHAT121_CODE");
    expect(givenCodeWarning("my-secret-passphrase")).toContain("cannot type it");
  });
});

describe("ServerCode", () => {
  test("a generated code is replaced after it opened a session, and after a failed try", () => {
    const code = new ServerCode(null, fixed(0, 1, 0, 2, 0, 3));
    expect(code.given).toBe(false);
    const first = code.code;
    expect(new TextDecoder().decode(code.prs)).toBe(first);
    const second = code.used();
    expect(second).not.toBeNull();
    expect(code.code).toBe(second as string);
    expect(code.failed()).toBe(code.code);
  });

  test("a given code stays for the server's life; its PRS is the normalized code", () => {
    const code = new ServerCode("  Orbit LEMON swift ");
    expect(code.given).toBe(true);
    expect(code.used()).toBeNull();
    expect(code.failed()).toBeNull();
    expect(code.code).toBe("  Orbit LEMON swift ");
    expect(new TextDecoder().decode(code.prs)).toBe("orbit-lemon-swift");
  });
});
