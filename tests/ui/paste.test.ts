import { expect, test } from "bun:test";
import { cleanPaste, type Key, type KeyAction, PasteGate } from "../../src/ui/paste.ts";

const char = (c: string): [string, Key] => [c, { sequence: c, name: c.toLowerCase() }];
const RETURN: [string, Key] = ["\r", { sequence: "\r", name: "return" }];
const START: [undefined, Key] = [undefined, { sequence: "\x1b[200~", name: "paste-start" }];
const END: [undefined, Key] = [undefined, { sequence: "\x1b[201~", name: "paste-end" }];

function feedAll(gate: PasteGate, keys: [string | undefined, Key][]): KeyAction[] {
  return keys.map(([s, key]) => gate.feed(s, key)).filter((a): a is KeyAction => a !== null);
}

test("keys outside a paste pass through, Enter among them", () => {
  const actions = feedAll(new PasteGate(), [char("h"), char("i"), RETURN]);
  expect(actions.map((a) => (a.kind === "key" ? a.key.name : a.kind))).toEqual(["h", "i", "return"]);
});

test("a paste of several lines comes out as one piece of text: its line breaks end no line", () => {
  const gate = new PasteGate();
  const actions = feedAll(gate, [START, char("a"), RETURN, char("b"), RETURN, END, RETURN]);
  expect(actions).toEqual([
    { kind: "paste", text: "a\nb" },
    { kind: "key", s: "\r", key: { sequence: "\r", name: "return" } },
  ]);
});

test("escape sequences inside a paste are dropped, not typed", () => {
  const arrow: [undefined, Key] = [undefined, { sequence: "\x1b[A", name: "up" }];
  expect(feedAll(new PasteGate(), [START, char("x"), arrow, char("y"), END])).toEqual([
    { kind: "paste", text: "xy" },
  ]);
});

test("pasted text: line breaks of any kind become \\n, trailing ones go, controls but tab go", () => {
  expect(cleanPaste("one\r\ntwo\rthree\nfour\n\n")).toBe("one\ntwo\nthree\nfour");
  expect(cleanPaste("a\tb\x07c\x1bd\x7fe\x0bf")).toBe("a\tbcdef");
  expect(cleanPaste("\n\nleading kept")).toBe("\n\nleading kept");
});
