import * as readline from "node:readline";
import { PassThrough } from "node:stream";
import type { Key } from "./paste.ts";

/**
 * Node's readline, used only as a line editor's state: it is fed keys through its public `write(data, key)`,
 * and the line and cursor are read back from its public `line` and `cursor`. It has no output, so it never
 * draws: the screen draws the input itself (terminal-screen.ts). Drawing through readline cannot be kept
 * right when other text is printed above the input: it redraws from its own count of the rows the input
 * took (its private `prevRows`), which printing makes stale, and no public call updates that count.
 *
 * Editing keys, history (Up/Down), Ctrl-C, and Ctrl-D on an empty line behave as readline makes them:
 * `write(data, key)` given what a `keypress` event carries does what readline does with a keypress from
 * its own input (in Node and in Bun both go to the same key handler); tests/ui/line-editor.test.ts pins it.
 */

/**
 * A line break inside the input (from a paste). readline would end the line at a real one, so the input
 * holds this instead, and `line` events give `\n` back. Vertical tab: it is Ctrl-K on a keyboard, which
 * readline takes as "delete to the end", and pastes have their control characters removed, so it cannot
 * get in any other way.
 */
const BREAK = "\x0b";

export interface EditorHandlers {
  /** A line was entered (Enter); line breaks in it are `\n`. */
  line(text: string): void;
  /** Ctrl-C. */
  interrupt(): void;
  /** Ctrl-D on an empty line. */
  end(): void;
  /** Ctrl-Z. */
  suspend(): void;
}

export class LineEditor {
  private readonly rl: readline.Interface;
  private closed = false;

  constructor(handlers: EditorHandlers, historySize = 200) {
    this.rl = readline.createInterface({
      input: new PassThrough(),
      output: undefined,
      terminal: true,
      prompt: "",
      historySize,
    });
    this.rl.on("line", (text) => handlers.line(text.replaceAll(BREAK, "\n")));
    this.rl.on("SIGINT", () => handlers.interrupt());
    this.rl.on("SIGTSTP", () => handlers.suspend());
    this.rl.on("close", () => {
      if (this.closed) return;
      this.closed = true;
      handlers.end();
    });
  }

  /** The text typed so far, line breaks as `\n`, split at the cursor. */
  get parts(): { before: string; after: string } {
    const line = this.rl.line.replaceAll(BREAK, "\n");
    return { before: line.slice(0, this.rl.cursor), after: line.slice(this.rl.cursor) };
  }

  /** One key, as the terminal's keypress parser reported it. */
  key(s: string | undefined, key: Key): void {
    if (this.closed) return;
    this.rl.write(s ?? "", key as readline.Key);
  }

  /** Text inserted at the cursor as it is: its `\n`s stay in the input as line breaks. */
  insert(text: string): void {
    if (this.closed || text === "") return;
    this.rl.write(text.replaceAll("\n", BREAK));
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.rl.close();
  }
}
