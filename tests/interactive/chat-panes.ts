import { programShellCommand } from "../helpers/program.ts";
import { type Pane, SHELL_PROMPT, type Tmux } from "../helpers/tmux.ts";

/**
 * The program in tmux panes, started the way a user starts it: by typing `121chat …` at a shell prompt.
 * `121chat` is a shell function around programShellCommand(), so CHAT121_BIN (the compiled executable)
 * is what runs when it is set.
 */

/** The interactive line editor's prompt. */
export const PROMPT = "you ›";

/** Prepares `pane` (a fresh shell) so that `121chat` runs the program under test; leaves a clear screen. */
export async function defineProgram(pane: Pane): Promise<Pane> {
  await pane.run(`121chat() { ${programShellCommand()} "$@"; }`);
  await pane.waitUntil(
    (screen) => screen.includes("121chat()") && screen.endsWith(`\n${SHELL_PROMPT}`),
    "shell prompt after the definition",
  );
  // Ctrl-L: bash clears the screen and shows its prompt again.
  await pane.press("C-l");
  await pane.waitUntil((screen) => screen === SHELL_PROMPT, "cleared screen");
  return pane;
}

/** A new full-size window with `121chat` defined. */
export async function programWindow(tmux: Tmux): Promise<Pane> {
  return defineProgram(await tmux.newWindow());
}

/** Starts an interactive server on a free loopback port in `pane`; returns the port from its banner. */
export async function startServer(pane: Pane): Promise<number> {
  await pane.run("121chat server --port 0 --host 127.0.0.1");
  const banner = await pane.waitForText(/listening on port (\d+)/);
  await waitForEditor(pane);
  return Number(banner[1]);
}

/** Starts an interactive client in `pane` and waits until it is connected. */
export async function startClient(pane: Pane, port: number): Promise<void> {
  await pane.run(`121chat client 127.0.0.1:${port}`);
  await pane.waitForText(new RegExp(`connected to 127\\.0\\.0\\.1:${port}\\b`));
  await waitForEditor(pane);
}

/**
 * The usual start of a test: `first` (the tmux session's pane) runs a server, a new window runs a client
 * connected to it.
 */
export async function startChat(
  tmux: Tmux,
  first: Pane,
): Promise<{ server: Pane; client: Pane; port: number }> {
  const server = await defineProgram(first);
  const client = await programWindow(tmux);
  const port = await startServer(server);
  await startClient(client, port);
  return { server, client, port };
}

/** Waits until the line editor's prompt is the last line, with nothing typed on it. */
export async function waitForEditor(pane: Pane): Promise<void> {
  await pane.waitUntil((screen) => (screen.split("\n").pop() ?? "") === PROMPT, "empty input prompt");
}

/** Types a line into the program and presses Enter. */
export async function say(pane: Pane, text: string): Promise<void> {
  await pane.type(text);
  await pane.press("Enter");
}

/** Escapes `text` for use inside a RegExp. */
export function literal(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** A round-trip time as the sender sees it: `✓ 0.42 ms` (or `✓ 153 ms` when the machine is very slow). */
export const RTT = String.raw`✓ \d+(?:\.\d+)? ms`;
