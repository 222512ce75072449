import * as readline from "node:readline";
import { layoutText } from "./text-layout.ts";

/** Where a printed line ended on the screen, so a note can be added to it later (the ✓ of an ACK). */
export interface LineMark {
  row: number;
  column: number;
}

export interface ScreenHandlers {
  line(text: string): void;
  /** Ctrl-C, or Ctrl-D on an empty line. */
  quit(): void;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: strips the SGR sequences we emit ourselves.
const SGR = /\x1b\[[0-9;]*m/g;
const width = (text: string): number => Bun.stringWidth(text.replace(SGR, ""));

/**
 * The terminal for the interactive front end: a readline line editor at the bottom, with output printed
 * above it so that a half-typed line is never clobbered or lost.
 *
 * It counts the rows it has printed, so an earlier line can still be found and annotated in place (the
 * ACK's ✓ appended to the message it acknowledges) as long as it is on the screen; otherwise the caller
 * prints the note as a line of its own.
 */
export class TerminalScreen {
  private readonly rl: readline.Interface;
  private readonly out = process.stdout;
  private readonly tty: boolean;
  private rowsPrinted = 0;
  private promptText: string;
  private closed = false;

  constructor(prompt: string, handlers: ScreenHandlers) {
    this.tty = process.stdout.isTTY === true;
    this.promptText = prompt;
    this.rl = readline.createInterface({
      input: process.stdin,
      output: process.stdout,
      terminal: this.tty,
      prompt,
      historySize: 200,
    });
    this.rl.on("line", (text) => {
      // The line editor left "prompt + text" on screen and moved to the next row.
      this.rowsPrinted += this.rowsOf(this.promptText + text);
      handlers.line(text);
    });
    this.rl.on("SIGINT", () => handlers.quit());
    this.rl.on("close", () => {
      if (!this.closed) {
        // Ctrl-D on an empty line: the editor is gone but its prompt is still on screen; the summary that
        // follows must start on a clean line, not after "you › ".
        if (this.tty) this.clearInput();
        this.closed = true;
        handlers.quit();
      }
    });
    this.out.on("resize", () => {
      // Lines reflow on a resize: rows counted so far no longer say where anything is.
      this.rowsPrinted += 100_000;
    });
  }

  /** Shows the prompt (with whatever is typed so far). */
  prompt(): void {
    if (!this.closed) this.rl.prompt(true);
  }

  setPrompt(prompt: string): void {
    this.promptText = prompt;
    this.rl.setPrompt(prompt);
  }

  /**
   * The mark of the line the user just entered (call from the `line` handler, before printing anything):
   * its last row and the column after its last character.
   */
  markOfEnteredLine(text: string): LineMark {
    return { row: this.rowsPrinted - 1, column: layoutText(this.promptText + text, this.columns()).column };
  }

  /** Prints lines above the prompt, keeping the half-typed input intact. */
  print(...lines: string[]): void {
    if (this.closed || !this.tty) {
      this.out.write(`${lines.join("\n")}\n`);
      return;
    }
    this.clearInput();
    for (const line of lines) this.rowsPrinted += this.rowsOf(line);
    this.out.write(`${lines.join("\n")}\n`);
    this.rl.prompt(true);
  }

  /**
   * Appends `note` to an earlier line, in place, if that line is still on the screen and the note fits on
   * its row. Returns false when it could not, so the caller can print the note on a line of its own.
   */
  annotate(mark: LineMark, note: string): boolean {
    if (this.closed || !this.tty) return false;
    const columns = this.columns();
    if (mark.column + width(note) >= columns) return false;
    const up = this.rowsPrinted - mark.row + this.rl.getCursorPos().rows;
    if (up <= 0 || up >= (this.out.rows ?? 24) - 1) return false;
    // Save the cursor, go up to the line, write after its text, come back: the input line is untouched.
    this.out.write(`\x1b7\x1b[${up}A\x1b[${mark.column + 1}G${note}\x1b8`);
    return true;
  }

  /** Ends line editing: the prompt and any half-typed input are cleared; later prints are plain lines. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.tty) this.clearInput();
    this.rl.close();
  }

  private clearInput(): void {
    const rows = this.rl.getCursorPos().rows;
    if (rows > 0) readline.moveCursor(this.out, 0, -rows);
    readline.cursorTo(this.out, 0);
    readline.clearScreenDown(this.out);
  }

  private columns(): number {
    return this.out.columns || 80;
  }

  private rowsOf(text: string): number {
    return layoutText(text, this.columns()).rows;
  }
}
