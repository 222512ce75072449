import type { Direction } from "../transfer/events.ts";

/** What a line typed in the interactive front end means. */
export type Input =
  | { kind: "message"; text: string }
  | { kind: "help" }
  | { kind: "stats" }
  | { kind: "quit" }
  | { kind: "send"; path: string }
  | { kind: "accept"; id?: number }
  | { kind: "decline"; id?: number }
  | { kind: "cancel"; id?: number; direction?: Direction }
  | { kind: "files" }
  | { kind: "usage"; error: string }
  | { kind: "unknown"; command: string }
  | { kind: "empty" };

export const COMMAND_HELP = [
  "/help              this list",
  "/stats             messages so far and round-trip times (min, median, p99, max)",
  "/send PATH         offer a file or a folder to the other side",
  "/accept [N]        take the offer N (the only one waiting if N is left out)",
  "/decline [N]       refuse the offer N",
  "/cancel [in|out] [N]  stop a transfer, either way",
  "/files             transfers under way",
  "/quit              leave (also Ctrl-C, or Ctrl-D on an empty line)",
  "//text             sends '/text' (a leading '/' doubled is sent as one)",
];

/** Lines starting with `/` are commands; `//` escapes a message that starts with `/`. */
export function parseInput(line: string): Input {
  if (line === "") return { kind: "empty" };
  if (!line.startsWith("/")) return { kind: "message", text: line };
  if (line.startsWith("//")) return { kind: "message", text: line.slice(1) };
  const trimmed = line.trim();
  const space = trimmed.search(/\s/);
  const command = (space === -1 ? trimmed : trimmed.slice(0, space)).toLowerCase();
  const rest = space === -1 ? "" : trimmed.slice(space).trim();
  // Commands without arguments are only themselves: "/quit now" is not /quit (it may be a typo'd message).
  const bare = rest === "";
  switch (command) {
    case "/help":
    case "/?":
      if (bare) return { kind: "help" };
      break;
    case "/stats":
      if (bare) return { kind: "stats" };
      break;
    case "/quit":
    case "/exit":
      if (bare) return { kind: "quit" };
      break;
    case "/send":
      // The rest of the line is the path, spaces and all; no quoting needed (nor understood).
      return rest === ""
        ? { kind: "usage", error: "/send needs a path: /send PATH" }
        : { kind: "send", path: rest };
    case "/accept":
    case "/decline":
      return withId(command.slice(1) as "accept" | "decline", rest);
    case "/cancel":
      return parseCancel(rest);
    case "/files":
      if (bare) return { kind: "files" };
      break;
  }
  return { kind: "unknown", command: trimmed.split(/\s/)[0] as string };
}

function transferId(text: string): number | null {
  const cleaned = text.replace(/^#/, "");
  return /^[1-9]\d{0,9}$/.test(cleaned) ? Number(cleaned) : null;
}

function withId(kind: "accept" | "decline", rest: string): Input {
  if (rest === "") return { kind };
  const id = transferId(rest);
  return id === null
    ? { kind: "usage", error: `/${kind} takes a transfer number, not '${rest}'` }
    : { kind, id };
}

function parseCancel(rest: string): Input {
  const words = rest.split(/\s+/).filter((w) => w !== "");
  let direction: Direction | undefined;
  if (words[0] === "in" || words[0] === "out") direction = words.shift() as Direction;
  if (words.length > 1) return { kind: "usage", error: "/cancel [in|out] [N]" };
  if (words.length === 0) return direction ? { kind: "cancel", direction } : { kind: "cancel" };
  const id = transferId(words[0] as string);
  if (id === null) return { kind: "usage", error: `/cancel takes a transfer number, not '${words[0]}'` };
  return direction ? { kind: "cancel", id, direction } : { kind: "cancel", id };
}
