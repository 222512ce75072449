import * as readline from "node:readline";
import { clipInput } from "./input-window.ts";
import { LineEditor } from "./line-editor.ts";
import { blockLines, inputDisplay } from "./message-block.ts";
import { DISABLE_BRACKETED_PASTE, ENABLE_BRACKETED_PASTE, type Key, PasteGate } from "./paste.ts";
import { sanitizeToString } from "./sanitize.ts";
import { StatusThrottle } from "./status-throttle.ts";
import { caretAt, layoutText, textWidth, truncateToWidth, wrapWords } from "./text-layout.ts";

/** Where a printed line ended on the screen, so a note can be added to it later (the ✓ of an ACK). */
export interface LineMark {
  row: number;
  column: number;
  /** The screen's layout when the mark was taken: a resize or a clear voids it. */
  layout: number;
}

export interface ScreenHandlers {
  line(text: string): void;
  /** Ctrl-C, or Ctrl-D on an empty line. */
  quit(): void;
}

export interface ScreenOptions {
  /** Styles the status line's text (after it has been cut to the width). */
  statusStyle?: (text: string) => string;
}

/** The status line changes at most this often (see status-throttle.ts). */
const STATUS_INTERVAL_MS = 250;

const encoder = new TextEncoder();

/** What is on the screen below the conversation: the status line and the input, as last drawn. */
interface LiveArea {
  /** The row of the area the cursor is on (0: its top row). */
  cursorRow: number;
  /** The status as drawn (cut to the width), or null. */
  status: string | null;
  /** The prompt and input as drawn, split at the cursor. */
  before: string;
  after: string;
}

/**
 * The terminal of the interactive front end. From the top: the conversation, printed line by line; then the
 * live area, redrawn in place: an optional status line and the input (the prompt and what is typed so far).
 *
 * The screen draws the live area itself, from a count of its rows it keeps, and readline only keeps the
 * input's state (line-editor.ts): printing a line is "erase the live area, print, draw it again", so
 * whatever is printed stays whole above a half-typed input of any length, and the input stays intact.
 *
 * It also counts the rows printed above, so an earlier line can still be found and annotated in place (the
 * ACK's ✓ appended to the message it acknowledges) as long as it is on the screen and nothing has reflowed;
 * otherwise the caller prints the note as a line of its own.
 *
 * When stdout is not a terminal, lines are read as they come and output is plain lines.
 */
export class TerminalScreen {
  private readonly out = process.stdout;
  private readonly tty: boolean;
  private readonly editor: LineEditor | null = null;
  private readonly plain: readline.Interface | null = null;
  private readonly gate = new PasteGate();
  private readonly statusStyle: (text: string) => string;
  private readonly throttle: StatusThrottle<string | null>;
  private promptText: string;
  private closed = false;
  /** Rows printed above the live area so far; marks are rows counted the same way. */
  private rowsPrinted = 0;
  /** Counts the events after which rows printed earlier cannot be found by counting (resize, clear). */
  private layout = 0;
  private area: LiveArea | null = null;
  private status: string | null = null;
  private drawQueued = false;
  /** Leaves when input ends (set in the constructor, where the handlers are). */
  private readonly onInputEnd: () => void = () => {};

  constructor(prompt: string, handlers: ScreenHandlers, options: ScreenOptions = {}) {
    this.tty = process.stdout.isTTY === true && process.stdin.isTTY === true;
    this.promptText = prompt;
    this.statusStyle = options.statusStyle ?? ((text) => text);
    this.throttle = new StatusThrottle((status) => this.showStatus(status), STATUS_INTERVAL_MS);
    if (!this.tty) {
      this.plain = readline.createInterface({
        input: process.stdin,
        output: process.stdout,
        terminal: false,
      });
      this.plain.setPrompt(prompt);
      this.plain.on("line", (text) => handlers.line(text));
      this.plain.on("close", () => {
        if (this.closed) return;
        this.closed = true;
        handlers.quit();
      });
      return;
    }
    // Ctrl-D on an empty line, or the terminal went away (readline reading stdin itself ended the same
    // way): the summary that follows must start on a clean line, not after "you › ".
    this.onInputEnd = () => {
      if (this.closed) return;
      this.close();
      handlers.quit();
    };
    this.editor = new LineEditor({
      line: (text) => {
        this.commitLine(text);
        handlers.line(text);
      },
      interrupt: () => handlers.quit(),
      end: this.onInputEnd,
      suspend: () => this.suspend(),
    });
    readline.emitKeypressEvents(process.stdin);
    process.stdin.setRawMode?.(true);
    process.stdin.on("keypress", this.onKeypress);
    process.stdin.once("end", this.onInputEnd);
    process.stdin.resume();
    this.out.on("resize", this.onResize);
    this.out.write(ENABLE_BRACKETED_PASTE);
    process.once("exit", this.restoreTerminal);
  }

  /** Shows the prompt (with whatever is typed so far). */
  prompt(): void {
    if (this.closed) return;
    if (this.plain) this.plain.prompt(true);
    else this.redraw();
  }

  setPrompt(prompt: string): void {
    this.promptText = prompt;
    this.plain?.setPrompt(prompt);
    if (this.area) this.redraw();
  }

  /**
   * Sets the status line: one line just above the input, for a state that lasts ("reconnecting (attempt
   * 3)…", a transfer's progress). Call it as often as the state changes: the line is redrawn in place at
   * most a few times a second, always ending with the latest text. It is cut to the terminal's width, and
   * control characters in it are shown escaped (`\e[2J`), as in a peer's messages: a file name may come
   * from the peer. Nothing is shown when stdout is not a terminal.
   */
  setStatus(text: string): void {
    this.throttle.set(text);
  }

  /** Removes the status line (rate-limited like setStatus, so it cannot overtake an earlier update). */
  clearStatus(): void {
    this.throttle.set(null);
  }

  /**
   * The mark of the line the user just entered (call from the `line` handler, before printing anything):
   * its last row and the column after its last character.
   */
  markOfEnteredLine(text: string): LineMark {
    const lines = this.enteredLines(text);
    const last = lines[lines.length - 1] ?? "";
    return {
      row: this.rowsPrinted - 1,
      column: layoutText(last, this.columns()).column,
      layout: this.layout,
    };
  }

  /** Prints lines above the live area, keeping the half-typed input intact. */
  print(...lines: string[]): void {
    if (this.closed || !this.tty) {
      this.out.write(`${lines.join("\n")}\n`);
      return;
    }
    this.out.write(this.erase() + this.rowsOut(lines) + this.draw());
  }

  /**
   * Prints lines of the program's own prose (notices, errors) above the live area, each broken at spaces
   * to fit the terminal's width (wrapWords) rather than cut mid-word by the terminal (also after close:
   * the last words of a session). Not on a terminal, each stays one line. Text a user may copy whole (a
   * message, a file name, a path, a command to type) goes through `print`: a copy must not gain breaks.
   */
  say(...lines: string[]): void {
    if (!this.tty) {
      this.print(...lines);
      return;
    }
    const columns = this.columns();
    this.print(...lines.map((line) => wrapWords(line, columns)));
  }

  /**
   * Appends `note` to an earlier line, in place, if that line is still on the screen and the note fits on
   * its row. Returns false when it could not, so the caller can print the note on a line of its own.
   */
  annotate(mark: LineMark, note: string): boolean {
    if (this.closed || !this.tty || mark.layout !== this.layout) return false;
    if (mark.column + textWidth(note) >= this.columns()) return false;
    const up = this.rowsPrinted - mark.row + (this.area?.cursorRow ?? 0);
    if (up <= 0 || up >= (this.out.rows ?? 24) - 1) return false;
    // Save the cursor, go up to the line, write after its text, come back: the live area is untouched.
    this.out.write(`\x1b7\x1b[${up}A\x1b[${mark.column + 1}G${note}\x1b8`);
    return true;
  }

  /** Ends line editing: the live area is cleared and the terminal restored; later prints are plain lines. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.throttle.stop();
    if (this.plain) {
      this.plain.close();
      return;
    }
    this.out.write(this.erase());
    this.restoreTerminal();
    process.stdin.off("keypress", this.onKeypress);
    process.stdin.off("end", this.onInputEnd);
    process.stdin.pause();
    this.out.off("resize", this.onResize);
    process.off("exit", this.restoreTerminal);
    this.editor?.close();
  }

  // ---- input ----

  private readonly onKeypress = (s: string | undefined, key: Key | undefined): void => {
    if (this.closed || !this.editor) return;
    const action = this.gate.feed(s, key);
    if (action === null) return;
    if (action.kind === "paste") {
      this.editor.insert(action.text);
    } else if (action.key.ctrl && action.key.name === "l" && !action.key.meta) {
      this.clearScreen();
      return;
    } else {
      this.editor.key(action.s, action.key);
    }
    // Keys arrive one by one from a chunk of input (a fast typist, a paste without brackets): one redraw
    // after the chunk does.
    if (!this.drawQueued) {
      this.drawQueued = true;
      queueMicrotask(() => {
        this.drawQueued = false;
        if (!this.closed) this.redraw();
      });
    }
  };

  /** The entered line leaves the live area and joins the conversation, drawn as it was in the input. */
  private commitLine(text: string): void {
    this.out.write(this.erase() + this.rowsOut(this.enteredLines(text)));
  }

  private enteredLines(text: string): string[] {
    return blockLines(this.promptText, inputDisplay(text, "").split("\n"));
  }

  private suspend(): void {
    this.out.write(this.erase() + DISABLE_BRACKETED_PASTE);
    process.stdin.setRawMode?.(false);
    process.once("SIGCONT", () => {
      if (this.closed) return;
      process.stdin.setRawMode?.(true);
      // The shell wrote in the meantime: rows counted before are not where they were.
      this.layout++;
      // (A resize may have drawn the area already: erase whatever is drawn.)
      this.out.write(ENABLE_BRACKETED_PASTE + this.erase() + this.draw());
    });
    process.kill(process.pid, "SIGTSTP");
  }

  // ---- drawing ----

  private readonly onResize = (): void => {
    if (this.closed) return;
    // The terminal rewraps what it shows at the new width (tmux, VTE, iTerm2, kitty, Windows Terminal do),
    // keeping the cursor on its character: find the cursor's row in the live area as rewrapped, so that
    // erasing starts at the area's top. Rows printed above have moved: marks taken before are void.
    const area = this.area;
    if (area) {
      const columns = this.columns();
      const statusRows = area.status === null ? 0 : layoutText(area.status, columns).rows;
      area.cursorRow = statusRows + caretAt(area.before, area.after, columns).row;
    }
    this.layout++;
    this.redraw();
  };

  private clearScreen(): void {
    this.area = null;
    this.layout++;
    this.out.write(`\x1b[H\x1b[2J${this.draw()}`);
  }

  private showStatus(status: string | null): void {
    // Escaped as a peer's message is: part of a status (a file name) may come from the peer.
    this.status = status === null ? null : sanitizeToString(encoder.encode(status));
    if (!this.closed && this.tty) this.redraw();
  }

  private redraw(): void {
    this.out.write(this.erase() + this.draw());
  }

  /** `lines` as written above the live area, counted. */
  private rowsOut(lines: string[]): string {
    const columns = this.columns();
    for (const line of lines) this.rowsPrinted += layoutText(line, columns).rows;
    return `${lines.join("\n")}\n`;
  }

  /** Moves to the top of the live area and clears it and everything below; the cursor ends at column 0. */
  private erase(): string {
    const area = this.area;
    if (!area) return "";
    this.area = null;
    // An area taller than the screen cannot be climbed all the way: the rows above are lost to counting.
    if (area.cursorRow >= (this.out.rows ?? 24)) this.layout++;
    return `${area.cursorRow > 0 ? `\x1b[${area.cursorRow}A` : ""}\r\x1b[J`;
  }

  /**
   * Draws the live area from column 0 of the current row (cleared below), and leaves the cursor where the
   * input's cursor is.
   */
  private draw(): string {
    if (this.closed || !this.editor) return "";
    const columns = this.columns();
    let out = "";
    let statusRows = 0;
    let status: string | null = null;
    if (this.status !== null) {
      // One column to spare: a row filled exactly leaves some terminals' cursor in a state of its own.
      status = truncateToWidth(this.status, columns - 1);
      out += `${this.statusStyle(status)}\r\n`;
      statusRows = 1;
    }
    const { before, after } = this.editor.parts;
    const indent = " ".repeat(textWidth(this.promptText));
    const input = {
      before: this.promptText + inputDisplay(before, indent),
      after: inputDisplay(after, indent),
    };
    // The input gets at most half of the screen: what arrives meanwhile stays in view above it.
    const maxRows = Math.max(3, Math.floor((this.out.rows ?? 24) / 2) - statusRows);
    const note = (text: string) => this.statusStyle(truncateToWidth(text, columns - 1));
    const { before: shownBefore, after: shownAfter } = clipInput(input, columns, maxRows, note);
    const end = layoutText(shownBefore + shownAfter, columns);
    const caret = caretAt(shownBefore, shownAfter, columns);
    out += shownBefore + shownAfter;
    let row = end.rows - 1;
    if (end.column >= columns) {
      // The last row is full and the terminal holds the cursor on it: a space makes it wrap (a soft wrap,
      // which a terminal that reflows keeps), and the cursor comes back to the start of the new row.
      out += " ";
      row++;
    }
    out += "\r";
    if (row > caret.row) out += `\x1b[${row - caret.row}A`;
    if (caret.column > 0) out += `\x1b[${caret.column}C`;
    this.area = { cursorRow: statusRows + caret.row, status, before: shownBefore, after: shownAfter };
    return out;
  }

  /** Leaves the terminal as the program found it (also on an exit that skips close()). */
  private readonly restoreTerminal = (): void => {
    this.out.write(DISABLE_BRACKETED_PASTE);
    process.stdin.setRawMode?.(false);
  };

  private columns(): number {
    return this.out.columns || 80;
  }
}
