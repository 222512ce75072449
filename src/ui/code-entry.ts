import { codeWords, completeWord, isCodeWord, WORDS_PER_CODE } from "../secure/code.ts";

/**
 * Typing a code at a prompt, as pure functions of what is typed so far: completion, the hint under the
 * input, and the check before anything is sent. A generated code is used up by one wrong try, so a typo
 * must be caught here, not by the server.
 */

/** Where the word being typed starts (after the last separator). */
function lastWordStart(input: string): number {
  const match = /[\s\-_.]+(?=[^\s\-_.]*$)/u.exec(input);
  return match ? match.index + match[0].length : 0;
}

function commonPrefix(words: readonly string[]): string {
  let prefix = words[0] ?? "";
  for (const word of words) while (!word.startsWith(prefix)) prefix = prefix.slice(0, -1);
  return prefix;
}

/**
 * What Tab makes of `input`: the word being typed completed (to the one word it can be, and a separator
 * after it when more words are to come), or extended to what all its completions share.
 */
export function completeCode(input: string): string {
  const start = lastWordStart(input);
  const partial = input.slice(start).toLowerCase();
  if (partial === "") return input;
  const candidates = completeWord(partial, Number.POSITIVE_INFINITY);
  if (candidates.length === 0) return input;
  const typedWords = codeWords(input.slice(0, start)).length;
  if (candidates.length === 1 || isCodeWord(partial)) {
    const word = candidates.length === 1 ? (candidates[0] as string) : partial;
    if (word === partial && typedWords + 1 >= WORDS_PER_CODE) return input;
    const separator = /\s/.test(input.slice(0, start)) ? " " : "-";
    return `${input.slice(0, start)}${word}${typedWords + 1 < WORDS_PER_CODE ? separator : ""}`;
  }
  return input.slice(0, start) + commonPrefix(candidates);
}

export interface CodeHint {
  text: string;
  /** A problem to fix before Enter (shown as a warning), rather than help. */
  warning: boolean;
}

/** The line under the input while the code is typed. */
export function codeHint(input: string): CodeHint {
  const start = lastWordStart(input);
  const done = codeWords(input.slice(0, start));
  const wrong = done.find((word) => !isCodeWord(word));
  if (wrong !== undefined) return { text: `“${wrong}” is not a code word`, warning: true };
  const partial = input.slice(start).toLowerCase();
  if (partial === "") {
    return done.length === 0
      ? { text: `${WORDS_PER_CODE} words, as the server shows them; Tab completes a word`, warning: false }
      : { text: `word ${done.length + 1} of ${WORDS_PER_CODE}`, warning: false };
  }
  const candidates = completeWord(partial, 5);
  if (candidates.length === 0) return { text: `no code word starts with “${partial}”`, warning: true };
  return {
    text: `${candidates.join(" · ")}${candidates.length === 5 ? " · …" : ""}   (Tab completes)`,
    warning: false,
  };
}

/** Why `input` cannot be sent as the code, or null when it can. */
export function codeProblem(input: string): string | null {
  const words = codeWords(input);
  if (words.length === 0) return "type the code the server shows";
  const wrong = words.find((word) => !isCodeWord(word));
  if (wrong !== undefined) return `“${wrong}” is not a code word: check it against the server's screen`;
  if (words.length !== WORDS_PER_CODE) {
    return `a code has ${WORDS_PER_CODE} words; this has ${words.length}`;
  }
  return null;
}
