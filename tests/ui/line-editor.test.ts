import { expect, test } from "bun:test";
import { LineEditor } from "../../src/ui/line-editor.ts";

function editor() {
  const lines: string[] = [];
  const events: string[] = [];
  const ed = new LineEditor({
    line: (text) => lines.push(text),
    interrupt: () => events.push("interrupt"),
    end: () => events.push("end"),
    suspend: () => events.push("suspend"),
  });
  return { ed, lines, events };
}
const type = (ed: LineEditor, text: string) => {
  for (const c of text) ed.key(c, { sequence: c, name: c });
};
const press = (ed: LineEditor, name: string, sequence: string, ctrl = false) =>
  ed.key(ctrl ? sequence : undefined, { sequence, name, ctrl });

test("text inserted with line breaks stays one line until Enter, and comes out with its breaks", () => {
  const { ed, lines } = editor();
  type(ed, "before ");
  ed.insert("one\ntwo\nthree");
  expect(lines).toEqual([]);
  expect(ed.parts).toEqual({ before: "before one\ntwo\nthree", after: "" });
  press(ed, "return", "\r");
  expect(lines).toEqual(["before one\ntwo\nthree"]);
  expect(ed.parts).toEqual({ before: "", after: "" });
  ed.close();
});

test("the cursor splits the text where the editing keys put it; history brings a block back", () => {
  const { ed, lines } = editor();
  ed.insert("a\nb");
  press(ed, "left", "\x1b[D");
  expect(ed.parts).toEqual({ before: "a\n", after: "b" });
  press(ed, "return", "\r");
  expect(lines).toEqual(["a\nb"]);
  press(ed, "up", "\x1b[A");
  expect(ed.parts).toEqual({ before: "a\nb", after: "" });
  ed.close();
});

test("Ctrl-C interrupts, Ctrl-D on an empty line ends, Ctrl-Z suspends", () => {
  const { ed, events } = editor();
  type(ed, "x");
  press(ed, "c", "\x03", true);
  press(ed, "z", "\x1a", true);
  press(ed, "d", "\x04", true); // not empty: nothing
  expect(events).toEqual(["interrupt", "suspend"]);
  press(ed, "backspace", "\x7f");
  press(ed, "d", "\x04", true);
  expect(events).toEqual(["interrupt", "suspend", "end"]);
});
