import { expect, test } from "bun:test";
import { COMMAND_HELP, parseInput } from "../../src/ui/commands.ts";

test("/help, /stats and /quit, any case, surrounding spaces ignored", () => {
  expect(parseInput("/help")).toEqual({ kind: "help" });
  expect(parseInput("/HELP")).toEqual({ kind: "help" });
  expect(parseInput("/?")).toEqual({ kind: "help" });
  expect(parseInput("/stats")).toEqual({ kind: "stats" });
  expect(parseInput("/stats  ")).toEqual({ kind: "stats" });
  expect(parseInput("/quit")).toEqual({ kind: "quit" });
  expect(parseInput("/Quit")).toEqual({ kind: "quit" });
  expect(parseInput("/exit")).toEqual({ kind: "quit" });
});

test("//text sends '/text': one leading slash is dropped, nothing else", () => {
  expect(parseInput("//text")).toEqual({ kind: "message", text: "/text" });
  expect(parseInput("//quit")).toEqual({ kind: "message", text: "/quit" });
  expect(parseInput("//")).toEqual({ kind: "message", text: "/" });
  expect(parseInput("///x ")).toEqual({ kind: "message", text: "//x " });
});

test("an unknown command is reported by its first word, not sent", () => {
  expect(parseInput("/nope")).toEqual({ kind: "unknown", command: "/nope" });
  expect(parseInput("/nope with words")).toEqual({ kind: "unknown", command: "/nope" });
  expect(parseInput("/quit now")).toEqual({ kind: "unknown", command: "/quit" });
  expect(parseInput("/")).toEqual({ kind: "unknown", command: "/" });
});

test("ordinary lines are messages, exactly as typed", () => {
  expect(parseInput("hello")).toEqual({ kind: "message", text: "hello" });
  expect(parseInput(" /help")).toEqual({ kind: "message", text: " /help" });
  expect(parseInput("a/b")).toEqual({ kind: "message", text: "a/b" });
  expect(parseInput("  ")).toEqual({ kind: "message", text: "  " });
  expect(parseInput("ünïcödé 😀")).toEqual({ kind: "message", text: "ünïcödé 😀" });
});

test("an empty line is nothing to send", () => {
  expect(parseInput("")).toEqual({ kind: "empty" });
});

test("the help lists every command the parser knows", () => {
  const help = COMMAND_HELP.join("\n");
  for (const command of ["/help", "/stats", "/quit", "//text"]) expect(help).toContain(command);
});

test("the file commands: /send takes the rest of the line as the path, spaces and all", () => {
  expect(parseInput("/send ~/My Photos/trip 2026")).toEqual({ kind: "send", path: "~/My Photos/trip 2026" });
  expect(parseInput("/send")).toEqual({ kind: "usage", error: "/send needs a path: /send PATH" });
});

test("the file commands: /accept, /decline and /cancel take an optional number (#3 or 3) and direction", () => {
  expect(parseInput("/accept")).toEqual({ kind: "accept" });
  expect(parseInput("/accept 2")).toEqual({ kind: "accept", id: 2 });
  expect(parseInput("/decline #3")).toEqual({ kind: "decline", id: 3 });
  expect(parseInput("/accept two")).toEqual({
    kind: "usage",
    error: "/accept takes a transfer number, not 'two'",
  });
  expect(parseInput("/cancel")).toEqual({ kind: "cancel" });
  expect(parseInput("/cancel 4")).toEqual({ kind: "cancel", id: 4 });
  expect(parseInput("/cancel out 4")).toEqual({ kind: "cancel", id: 4, direction: "out" });
  expect(parseInput("/cancel in")).toEqual({ kind: "cancel", direction: "in" });
  expect(parseInput("/cancel in 4 5")).toEqual({ kind: "usage", error: "/cancel [in|out] [N]" });
  expect(parseInput("/files")).toEqual({ kind: "files" });
  for (const command of ["/send", "/accept", "/decline", "/cancel", "/files"]) {
    expect(COMMAND_HELP.join("\n")).toContain(command);
  }
});
