/** What a line typed in the interactive front end means. */
export type Input =
  | { kind: "message"; text: string }
  | { kind: "help" }
  | { kind: "stats" }
  | { kind: "quit" }
  | { kind: "unknown"; command: string }
  | { kind: "empty" };

export const COMMAND_HELP = [
  "/help    this list",
  "/stats   messages so far and round-trip times (min, median, p99, max)",
  "/quit    leave (also Ctrl-C, or Ctrl-D on an empty line)",
  "//text   sends '/text' (a leading '/' doubled is sent as one)",
];

/** Lines starting with `/` are commands; `//` escapes a message that starts with `/`. */
export function parseInput(line: string): Input {
  if (line === "") return { kind: "empty" };
  if (!line.startsWith("/")) return { kind: "message", text: line };
  if (line.startsWith("//")) return { kind: "message", text: line.slice(1) };
  const command = line.trim().toLowerCase();
  if (command === "/help" || command === "/?") return { kind: "help" };
  if (command === "/stats") return { kind: "stats" };
  if (command === "/quit" || command === "/exit") return { kind: "quit" };
  return { kind: "unknown", command: line.trim().split(/\s/)[0] as string };
}
