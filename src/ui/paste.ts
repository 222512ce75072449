/**
 * Bracketed paste: once a program writes ESC[?2004h, the terminal marks pasted text with ESC[200~ … ESC[201~.
 * Node's keypress parser (under Bun too) reports the markers as keys named `paste-start` and `paste-end`
 * but the line editor ignores them, so a pasted newline would end the line like Enter. The gate below
 * holds back every key between the markers and hands the paste over whole, to be inserted as text.
 */

export const ENABLE_BRACKETED_PASTE = "\x1b[?2004h";
export const DISABLE_BRACKETED_PASTE = "\x1b[?2004l";

/** A key as Node's `keypress` event describes it. */
export interface Key {
  sequence?: string | null;
  name?: string | undefined;
  ctrl?: boolean;
  meta?: boolean;
  shift?: boolean;
}

/** What a key event amounts to: a key for the line editor, a finished paste, or nothing yet. */
export type KeyAction = { kind: "key"; s: string | undefined; key: Key } | { kind: "paste"; text: string };

/** Sorts key events into keys typed and pastes (see the module comment). */
export class PasteGate {
  private pasted: string | null = null;

  feed(s: string | undefined, key: Key | undefined): KeyAction | null {
    const name = key?.name;
    if (name === "paste-start") {
      this.pasted ??= "";
      return null;
    }
    if (name === "paste-end") {
      const text = this.pasted ?? "";
      this.pasted = null;
      return { kind: "paste", text: cleanPaste(text) };
    }
    if (this.pasted !== null) {
      // `s` is the character itself (`\r` for a pasted line break); escape sequences inside a paste come
      // without one and are dropped: they would be keys (arrows, F-keys), not text.
      if (s !== undefined) this.pasted += s;
      return null;
    }
    return { kind: "key", s, key: key ?? {} };
  }
}

/**
 * Pasted text as it goes into the input: line breaks of any kind become `\n`, trailing ones are dropped
 * (copying whole lines usually takes the last line's end along), and other control characters, which a
 * paste would otherwise slip past the line editor, are removed. Tabs stay.
 */
export function cleanPaste(text: string): string {
  return (
    text
      .replace(/\r\n?/g, "\n")
      // biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point.
      .replace(/[\x00-\x08\x0b-\x1f\x7f]/g, "")
      .replace(/\n+$/, "")
  );
}
