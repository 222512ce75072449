import { describe, expect, test } from "bun:test";
import { codeHint, codeProblem, completeCode } from "../../src/ui/code-entry.ts";

describe("typing a code: Tab completion", () => {
  test("a prefix with one word completes it and adds the separator for the next word", () => {
    expect(completeCode("orb")).toBe("orbit-");
    expect(completeCode("orbit-lem")).toBe("orbit-lemon-");
    expect(completeCode("orbit lem")).toBe("orbit lemon "); // the user's separator is kept
  });

  test("the last word gets no separator after it", () => {
    expect(completeCode("orbit-lemon-swif")).toBe("orbit-lemon-swift");
    expect(completeCode("orbit-lemon-swift")).toBe("orbit-lemon-swift");
  });

  test("a prefix shared by several words extends to what they have in common", () => {
    expect(completeCode("aba")).toBe("abandon-"); // only one word starts with "aba"
    expect(completeCode("ab")).toBe("ab"); // abandon, ability, able, … share only "ab"
    expect(completeCode("abs")).toBe("abs"); // absent, absorb, abstract, absurd
    expect(completeCode("abso")).toBe("absorb-");
  });

  test("a word already whole (even if longer words start with it) gets its separator", () => {
    expect(completeCode("act")).toBe("act-"); // act, action, actor, actress, actual
  });

  test("nothing to complete: unchanged", () => {
    expect(completeCode("")).toBe("");
    expect(completeCode("orbit-")).toBe("orbit-");
    expect(completeCode("xq")).toBe("xq");
  });
});

describe("typing a code: the hint under the input", () => {
  test("help at first, then the words that fit the prefix", () => {
    expect(codeHint("")).toEqual({ text: expect.stringContaining("3 words"), warning: false });
    expect(codeHint("lem")).toEqual({ text: "lemon   (Tab completes)", warning: false });
    expect(codeHint("orbit-")).toEqual({ text: "word 2 of 3", warning: false });
  });

  test("a finished word that is not on the list is flagged as soon as the next word starts", () => {
    expect(codeHint("orbit-lantern-")).toEqual({ text: "“lantern” is not a code word", warning: true });
    expect(codeHint("orbit-lantern-sw")).toEqual({ text: "“lantern” is not a code word", warning: true });
  });

  test("a prefix no word starts with is flagged while it is typed", () => {
    expect(codeHint("orbit-xq")).toEqual({ text: "no code word starts with “xq”", warning: true });
  });
});

describe("typing a code: what may be sent", () => {
  test("three words of the list, any case and separators", () => {
    expect(codeProblem("orbit-lemon-swift")).toBeNull();
    expect(codeProblem("  Orbit LEMON swift ")).toBeNull();
  });

  test("a word off the list, a missing or extra word, or nothing: refused with the reason", () => {
    expect(codeProblem("orbit-lantern-swift")).toContain("“lantern” is not a code word");
    expect(codeProblem("orbit-lemon")).toBe("a code has 3 words; this has 2");
    expect(codeProblem("orbit-lemon-swift-zoo")).toBe("a code has 3 words; this has 4");
    expect(codeProblem("   ")).toBe("type the code the server shows");
  });
});
