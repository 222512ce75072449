import { expect } from "bun:test";
import { rmSync } from "node:fs";
import { cleanEnv, PROGRAM_VARIABLES, TEST_CODE } from "./program.ts";

/**
 * Driving the program in a real terminal: a private tmux server per test, with panes the test types into
 * and reads back from, the way a user would see them.
 *
 * Each Tmux has its own server socket (`tmux -L <unique name>`), so tests running in parallel and the
 * user's own tmux never see each other. `kill()` ends the server and everything that runs in its panes.
 */

const WIDTH = 120;
const HEIGHT = 40;
/** The shell prompt in every pane, distinct enough to wait for. */
export const SHELL_PROMPT = "sh$";

/**
 * Whether the terminal tests can run here. Skipping them is for a developer's machine without tmux, and for
 * Windows, which has none. In CI elsewhere they are the only tests of the interactive view's wiring (the
 * sanitiser among it): there a missing tmux fails the run instead (.ci/run installs it, or fails first).
 */
export function tmuxAvailable(): boolean {
  const available = Bun.which("tmux") !== null && Bun.which("bash") !== null;
  if (!available && process.env.CI && process.platform !== "win32") {
    throw new Error(
      "the interactive tests need tmux and bash, and this CI machine lacks one: install tmux (.ci/run does)",
    );
  }
  if (!available && !warned) {
    warned = true;
    // A skip must say why: Bun prints skipped tests without a reason.
    console.warn(
      "SKIPPED the interactive tests: they need tmux and bash, and this machine lacks one (Windows has " +
        "neither). Outside CI only: in CI a missing tmux is a failure.",
    );
  }
  return available;
}
let warned = false;

/** Single-quotes `text` for a POSIX shell. */
export function shellQuote(text: string): string {
  return `'${text.replaceAll("'", "'\\''")}'`;
}

/**
 * The command every pane runs: bash without the user's rc files or history, with a known prompt, TERM set
 * and the variables the program reads removed, so nothing from the caller's shell changes what is tested.
 */
const PANE_COMMAND = [
  "env",
  ...[...PROGRAM_VARIABLES, "TMUX", "TMUX_PANE"].flatMap((name) => ["-u", name]),
  // The code the test programs share (see TEST_CODE); a test of the code prompt runs without it.
  `CHAT121_CODE=${TEST_CODE}`,
  "TERM=xterm-256color",
  "HISTFILE=",
  `PS1=${shellQuote(`${SHELL_PROMPT} `)}`,
  "bash",
  "--norc",
  "--noprofile",
].join(" ");

let serial = 0;

export class Tmux {
  private readonly panes: Pane[] = [];
  private killed = false;

  private constructor(readonly socket: string) {}

  /** Starts a private tmux server with one 120×40 window running a shell; returns it and that first pane. */
  static async start(): Promise<{ tmux: Tmux; pane: Pane }> {
    const socket = `121chat-test-${process.pid}-${++serial}-${Math.random().toString(36).slice(2, 8)}`;
    const tmux = new Tmux(socket);
    try {
      const size = ["-x", String(WIDTH), "-y", String(HEIGHT)];
      const id = await tmux.command("new-session", "-d", ...size, "-P", "-F", "#{pane_id}", PANE_COMMAND);
      return { tmux, pane: await tmux.adopt(id) };
    } catch (error) {
      await tmux.kill();
      throw error;
    }
  }

  /** A new window (full size) running a shell. */
  async newWindow(): Promise<Pane> {
    return this.adopt(await this.command("new-window", "-P", "-F", "#{pane_id}", PANE_COMMAND));
  }

  /** Runs one tmux command against this server; returns its stdout without the final newline. */
  async command(...args: string[]): Promise<string> {
    const env = cleanEnv();
    delete env.TMUX;
    delete env.TMUX_PANE;
    const proc = Bun.spawn(["tmux", "-L", this.socket, "-f", "/dev/null", ...args], {
      stdin: "ignore",
      stdout: "pipe",
      stderr: "pipe",
      env: { ...env, TERM: "xterm-256color" },
    });
    const timer = setTimeout(() => proc.kill("SIGKILL"), 10_000);
    const [stdout, stderr, code] = await Promise.all([
      new Response(proc.stdout).text(),
      new Response(proc.stderr).text(),
      proc.exited,
    ]);
    clearTimeout(timer);
    if (code !== 0) throw new Error(`tmux ${args.join(" ")} failed (${code}): ${stderr.trim()}`);
    return stdout.replace(/\n$/, "");
  }

  /** Every pane's screen, for the message of a failed test. */
  async describe(): Promise<string> {
    const parts: string[] = [];
    for (const pane of this.panes) {
      const screen = await pane.capture().catch((error: unknown) => `(no capture: ${error})`);
      parts.push(`--- pane ${pane.id} ---\n${screen.trimEnd()}`);
    }
    return parts.join("\n");
  }

  /**
   * Ends the tmux server and every process started in its panes. The panes' processes get SIGHUP when
   * their terminal goes away; anything still alive shortly after that is killed.
   */
  async kill(): Promise<void> {
    if (this.killed) return;
    this.killed = true;
    let paneProcesses: number[] = [];
    let socketPath = "";
    try {
      const listed = await this.command("list-panes", "-a", "-F", "#{pane_pid}");
      paneProcesses = descendantsAndSelf(listed.split("\n").map(Number).filter(Boolean));
      socketPath = await this.command("display-message", "-p", "#{socket_path}");
    } catch {
      // the server is already gone
    }
    await this.command("kill-server").catch(() => {});
    // tmux leaves its socket file behind; it is ours alone (the unique name), so remove it.
    if (socketPath.includes(this.socket)) rmSync(socketPath, { force: true });
    for (let waited = 0; waited < 3000 && living(paneProcesses).length > 0; waited += 50) await Bun.sleep(50);
    for (const pid of living(paneProcesses)) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // it ended just now
      }
    }
  }

  private async adopt(id: string): Promise<Pane> {
    const pane = new Pane(this, id);
    this.panes.push(pane);
    await pane.waitForShellPrompt();
    return pane;
  }
}

/** Runs `body` with a fresh tmux server; kills it afterwards, and shows every screen if `body` fails. */
export async function withTmux(body: (tmux: Tmux, pane: Pane) => Promise<void>): Promise<void> {
  const { tmux, pane } = await Tmux.start();
  try {
    await body(tmux, pane);
  } catch (error) {
    const screens = await tmux.describe();
    if (error instanceof Error) {
      error.message += `\n\nscreens at the failure:\n${screens}`;
      throw error;
    }
    throw new Error(`${String(error)}\n\nscreens at the failure:\n${screens}`);
  } finally {
    await tmux.kill();
  }
}

/** One pane: a terminal the test types into and reads back. */
export class Pane {
  constructor(
    private readonly tmux: Tmux,
    readonly id: string,
  ) {}

  /** Types `text` literally (no Enter). */
  async type(text: string): Promise<void> {
    await this.tmux.command("send-keys", "-t", this.id, "-l", "--", text);
  }

  /** Presses keys by tmux name: `Enter`, `C-c`, `C-d`, `Down`, … */
  async press(...keys: string[]): Promise<void> {
    await this.tmux.command("send-keys", "-t", this.id, ...keys);
  }

  /**
   * Pastes `text` as a terminal does: line feeds become carriage returns, and the paste is marked with
   * bracketed-paste sequences if the program asked for them (ESC[?2004h).
   */
  async paste(text: string): Promise<void> {
    const buffer = `paste-${Math.random().toString(36).slice(2, 8)}`;
    await this.tmux.command("set-buffer", "-b", buffer, "--", text);
    await this.tmux.command("paste-buffer", "-p", "-d", "-b", buffer, "-t", this.id);
  }

  /** Resizes the pane's window, as a user dragging the terminal's edge; the program gets SIGWINCH. */
  async resize(columns: number, rows = HEIGHT): Promise<void> {
    await this.tmux.command("resize-window", "-t", this.id, "-x", String(columns), "-y", String(rows));
  }

  /** Where the cursor is: column and row on the visible screen, from 0. */
  async cursor(): Promise<{ x: number; y: number }> {
    const [x, y] = (
      await this.tmux.command("display-message", "-p", "-t", this.id, "#{cursor_x} #{cursor_y}")
    )
      .split(" ")
      .map(Number);
    return { x: x ?? -1, y: y ?? -1 };
  }

  /** The visible screen's rows as the terminal shows them (not joined), trailing blanks removed. */
  async rows(): Promise<string[]> {
    const screen = await this.tmux.command("capture-pane", "-p", "-t", this.id);
    return screen.split("\n").map((line) => line.trimEnd());
  }

  /** Types a command line and presses Enter. */
  async run(commandLine: string): Promise<void> {
    await this.type(commandLine);
    await this.press("Enter");
  }

  /**
   * The visible screen as text, lines wrapped by the terminal joined back into one, trailing blanks
   * removed. With `escapes`, the colours and attributes are included as escape sequences; with `history`,
   * the lines scrolled off the top come first.
   */
  async capture(options: { escapes?: boolean; history?: boolean } = {}): Promise<string> {
    const flags = [...(options.escapes ? ["-e"] : []), ...(options.history ? ["-S", "-"] : [])];
    const screen = await this.tmux.command("capture-pane", "-p", "-J", ...flags, "-t", this.id);
    return screen
      .split("\n")
      .map((line) => line.trimEnd())
      .join("\n")
      .trimEnd();
  }

  /** The last non-empty line on the screen: where the cursor's prompt is. */
  async lastLine(): Promise<string> {
    const lines = (await this.capture()).split("\n");
    return lines[lines.length - 1] ?? "";
  }

  /** Waits until the screen matches `pattern`; returns the match. Fails with the screen after `timeoutMs`. */
  async waitForText(pattern: RegExp, timeoutMs = 20_000): Promise<RegExpMatchArray> {
    let found: RegExpMatchArray | null = null;
    await this.waitUntil(
      (screen) => {
        found = screen.match(pattern);
        return found !== null;
      },
      `${pattern}`,
      timeoutMs,
    );
    return found as unknown as RegExpMatchArray;
  }

  /** Waits until `check` holds for the screen. */
  async waitUntil(check: (screen: string) => boolean, what: string, timeoutMs = 20_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const screen = await this.capture();
      if (check(screen)) return screen;
      if (Date.now() > deadline) {
        throw new Error(`pane ${this.id}: no ${what} on the screen within ${timeoutMs} ms:\n${screen}`);
      }
      await Bun.sleep(100);
    }
  }

  /** Waits until the shell is back: its prompt is the last line, with nothing typed after it. */
  async waitForShellPrompt(timeoutMs = 20_000): Promise<void> {
    await this.waitUntil(
      (screen) => (screen.split("\n").pop() ?? "").endsWith(SHELL_PROMPT),
      "shell prompt",
      timeoutMs,
    );
  }

  /** Runs `echo EXIT=$?` once the shell is back, and returns the exit status of the previous command. */
  async exitStatus(timeoutMs = 20_000): Promise<number> {
    await this.waitForShellPrompt(timeoutMs);
    const marker = `EXIT${Math.random().toString(36).slice(2, 8)}`;
    await this.run(`echo ${marker}=$?`);
    const match = await this.waitForText(new RegExp(`^${marker}=(\\d+)$`, "m"), timeoutMs);
    return Number(match[1]);
  }
}

/** The cursor is on the last row with text, just after that text. */
export async function expectCursorAtEnd(pane: Pane): Promise<void> {
  const rows = await pane.rows();
  const last = rows.findLastIndex((row) => row !== "");
  expect(await pane.cursor()).toEqual({ x: Bun.stringWidth(rows[last] ?? ""), y: last });
}

/** The processes of `pids` that still run (zombies, which only wait for their parent to reap them, do not). */
function living(pids: number[]): number[] {
  if (pids.length === 0) return [];
  const ps = Bun.spawnSync(["ps", "-A", "-o", "pid=,stat="], { stdout: "pipe", stderr: "ignore" });
  const running = new Set<number>();
  for (const line of ps.stdout.toString().split("\n")) {
    const [pid, stat] = line.trim().split(/\s+/);
    if (pid && stat && !stat.startsWith("Z")) running.add(Number(pid));
  }
  return pids.filter((pid) => running.has(pid));
}

/** `roots` and all their descendants, from `ps` (Linux and macOS). */
function descendantsAndSelf(roots: number[]): number[] {
  const ps = Bun.spawnSync(["ps", "-A", "-o", "pid=,ppid="], { stdout: "pipe", stderr: "ignore" });
  const children = new Map<number, number[]>();
  for (const line of ps.stdout.toString().split("\n")) {
    const [pid, ppid] = line.trim().split(/\s+/).map(Number);
    if (!pid || ppid === undefined) continue;
    children.set(ppid, [...(children.get(ppid) ?? []), pid]);
  }
  const found: number[] = [];
  const queue = [...roots];
  while (queue.length > 0 && found.length < 10_000) {
    const pid = queue.shift() as number;
    found.push(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return found;
}
