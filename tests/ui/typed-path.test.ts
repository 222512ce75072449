import { expect, test } from "bun:test";
import { typedPathCandidates } from "../../src/ui/typed-path.ts";

const HOME = "/home/ann";

test("a plain path is itself, first and alone", () => {
  expect(typedPathCandidates("/tmp/notes.txt", HOME)).toEqual(["/tmp/notes.txt"]);
  expect(typedPathCandidates("photos/trip", HOME)).toEqual(["photos/trip"]);
});

test("what terminals paste for a dropped file: quoted, backslash-escaped, a file:// URL", () => {
  // GNOME Terminal and others: single quotes, a quote inside written '\''.
  expect(typedPathCandidates("'/home/ann/My File.pdf'", HOME)).toContain("/home/ann/My File.pdf");
  expect(typedPathCandidates("'/tmp/it'\\''s here.txt'", HOME)).toContain("/tmp/it's here.txt");
  // Double quotes, with \" and \\ inside.
  expect(typedPathCandidates('"/tmp/say \\"hi\\".txt"', HOME)).toContain('/tmp/say "hi".txt');
  // macOS Terminal and iTerm: backslashes before spaces and parentheses.
  expect(typedPathCandidates("/Users/ann/My\\ File\\ \\(1\\).pdf", HOME)).toContain(
    "/Users/ann/My File (1).pdf",
  );
  // A file:// URL, percent-encoded.
  expect(typedPathCandidates("file:///tmp/a%20b%C3%A9.txt", HOME)).toContain("/tmp/a bé.txt");
  expect(typedPathCandidates("file://localhost/tmp/x", HOME)).toContain("/tmp/x");
});

test("the literal text is always tried first: a file whose name has quotes or backslashes is found as it is", () => {
  expect(typedPathCandidates("'quoted'", HOME)[0]).toBe("'quoted'");
  expect(typedPathCandidates("back\\slash", HOME)[0]).toBe("back\\slash");
});

test("Windows: a dropped path in double quotes keeps its backslashes", () => {
  expect(typedPathCandidates('"C:\\Users\\ann\\My File.txt"', HOME)).toContain("C:\\Users\\ann\\My File.txt");
  expect(typedPathCandidates('"\\\\server\\share\\a.txt"', HOME)).toContain("\\\\server\\share\\a.txt");
});

test("~ and ~/ are the home folder, also inside quotes; ~user and a ~ later on are left alone", () => {
  expect(typedPathCandidates("~/Downloads/x.pdf", HOME)).toEqual([
    "~/Downloads/x.pdf",
    "/home/ann/Downloads/x.pdf",
  ]);
  expect(typedPathCandidates("~", HOME)).toEqual(["~", "/home/ann"]);
  expect(typedPathCandidates("'~/My File'", HOME)).toContain("/home/ann/My File");
  expect(typedPathCandidates("~bob/x", HOME)).toEqual(["~bob/x"]);
  expect(typedPathCandidates("a/~/b", HOME)).toEqual(["a/~/b"]);
  expect(typedPathCandidates("~/x", null)).toEqual(["~/x"]);
});

test("no reading twice, and none empty", () => {
  const all = typedPathCandidates("'a'", HOME);
  expect(new Set(all).size).toBe(all.length);
  expect(typedPathCandidates("''", HOME)).toEqual(["''"]);
});
