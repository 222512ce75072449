import { describe, expect, test } from "bun:test";
import {
  clashName,
  componentProblem,
  entryComponents,
  MAX_COMPONENT_BYTES,
  PathRuleError,
  safeMode,
} from "../../src/transfer/path-rules.ts";

/** The receiver's rules (protocol-v2 section 4) as tables: each row is a name and what the rule says of it. */

describe("componentProblem: names refused", () => {
  const refused: [string, string, string][] = [
    // [name, why it matters, a word of the reason]
    ["", "an empty component", "empty"],
    [".", "this folder", '"."'],
    ["..", "the parent folder", '".."'],
    ["../x", "climbs out", "slash"],
    ["/etc/x", "absolute", "slash"],
    ["a/../../x", "climbs out through a folder", "slash"],
    ["x/", "a hidden second component", "slash"],
    ["C:\\x", "a Windows drive and path", "slash"],
    ["..\\x", "climbs out on Windows", "slash"],
    ["C:x", "a Windows drive-relative path", "colon"],
    ["file:stream", "an NTFS alternate data stream", "colon"],
    ["con", "a Windows device", "reserved"],
    ["CON", "a Windows device in capitals", "reserved"],
    ["con.txt", "a device with an extension", "reserved"],
    ["Con.tar.gz", "a device with two extensions", "reserved"],
    ["CONIN$", "the console's input", "reserved"],
    ["conout$.log", "the console's output", "reserved"],
    ["prn", "the printer", "reserved"],
    ["aux", "aux", "reserved"],
    ["NUL", "the null device", "reserved"],
    ["com0", "COM0", "reserved"],
    ["COM9.txt", "COM9", "reserved"],
    ["lpt1", "LPT1", "reserved"],
    ["x\u001b[2J", "a terminal escape sequence (clears the screen)", "control"],
    ["\u001b]0;title\u0007", "an OSC sequence", "control"],
    ["nul\u0000byte", "a NUL byte", "control"],
    ["line\nbreak", "a line break", "control"],
    ["carriage\rreturn", "a carriage return", "control"],
    ["tab\there", "a tab", "control"],
    ["del\u007f", "DEL", "control"],
    ["c1\u0085", "a C1 control (NEL)", "control"],
    ["csi\u009b2J", "the C1 CSI", "control"],
    ["evil\u202etxt.exe", "RIGHT-TO-LEFT OVERRIDE", "bidirectional"],
    ["\u202aembed", "LEFT-TO-RIGHT EMBEDDING", "bidirectional"],
    ["mark\u200e", "LEFT-TO-RIGHT MARK", "bidirectional"],
    ["mark\u200f", "RIGHT-TO-LEFT MARK", "bidirectional"],
    ["iso\u2066late", "LEFT-TO-RIGHT ISOLATE", "bidirectional"],
    ["pop\u2069", "POP DIRECTIONAL ISOLATE", "bidirectional"],
    ["a".repeat(300), "a 300-byte component", "longer than"],
    ["a".repeat(MAX_COMPONENT_BYTES + 1), "one byte over the limit", "longer than"],
    ["é".repeat(101), "202 bytes in 101 characters", "longer than"],
    ["name.", "a trailing dot (Windows drops it)", "ends with"],
    ["name ", "a trailing space (Windows drops it)", "ends with"],
    ["con.", "a device behind a trailing dot", "ends with"],
  ];
  for (const [name, why, word] of refused) {
    test(`${JSON.stringify(name).slice(0, 40)}: ${why}`, () => {
      expect(componentProblem(name)).toContain(word);
    });
  }
});

describe("componentProblem: names allowed", () => {
  const allowed = [
    "report (1).pdf",
    "a.tar (1).gz",
    ".bashrc (1)",
    "Makefile (1)",
    ".bashrc",
    "a.b.c",
    " leading space",
    "console",
    "icon",
    "con-artist.txt",
    "com10",
    "lpt",
    "ünïcødé 日本 名前.txt",
    "emoji 😀",
    "a".repeat(MAX_COMPONENT_BYTES),
    "é".repeat(100),
    "x.121chat-part",
    "-rf",
    "$HOME",
  ];
  for (const name of allowed) {
    test(JSON.stringify(name).slice(0, 40), () => {
      expect(componentProblem(name)).toBeNull();
    });
  }
});

describe("entryComponents", () => {
  test("a relative path under the transfer's name gives its components", () => {
    expect(entryComponents("photos", "photos")).toEqual(["photos"]);
    expect(entryComponents("photos/2024/a b.jpg", "photos")).toEqual(["photos", "2024", "a b.jpg"]);
  });

  const refused: [string, string, string][] = [
    ["/etc/x", "x", "absolute"],
    ["/photos/x", "photos", "absolute"],
    ["../x", "x", '".."'],
    ["photos/../../x", "photos", '".."'],
    ["a/../../x", "a", '".."'],
    ["photos/./x", "photos", '"."'],
    ["photos//x", "photos", "empty"],
    ["photos/", "photos", "empty"],
    ["photos/a\\..\\..\\x", "photos", "slash"],
    ["C:\\x", "C:\\x", "slash"],
    ["photos/con", "photos", "reserved"],
    ["photos/x\u001b[2J", "photos", "control"],
    ["photos/nul\u0000", "photos", "control"],
    [`photos/${"a".repeat(300)}`, "photos", "longer than"],
    ["other/x", "photos", "outside the transfer"],
    ["photo/x", "photos", "outside the transfer"],
    ["", "photos", "empty"],
  ];
  for (const [path, name, word] of refused) {
    test(`${JSON.stringify(path).slice(0, 40)} in a transfer named ${JSON.stringify(name)} is refused`, () => {
      expect(() => entryComponents(path, name)).toThrow(PathRuleError);
      expect(() => entryComponents(path, name)).toThrow(word);
    });
  }
});

describe("clashName", () => {
  const cases: [string, number, string][] = [
    ["report.pdf", 1, "report (1).pdf"],
    ["report.pdf", 2, "report (2).pdf"],
    ["report (1).pdf", 1, "report (1) (1).pdf"],
    ["a.tar.gz", 1, "a.tar (1).gz"],
    [".bashrc", 1, ".bashrc (1)"],
    [".config.json", 1, ".config (1).json"],
    ["Makefile", 1, "Makefile (1)"],
    ["photos", 12, "photos (12)"],
    ["photos.2024", 1, "photos (1).2024"],
    ["日本.txt", 3, "日本 (3).txt"],
  ];
  for (const [name, n, expected] of cases) {
    test(`${name} #${n} -> ${expected}`, () => {
      expect(clashName(name, n)).toBe(expected);
      expect(componentProblem(clashName(name, n))).toBeNull();
    });
  }
});

describe("safeMode", () => {
  const cases: [number, "file" | "folder", number][] = [
    [0o644, "file", 0o644],
    [0o755, "file", 0o755],
    [0o711, "file", 0o711],
    [0o4755, "file", 0o755],
    [0o2755, "file", 0o755],
    [0o1755, "file", 0o755],
    [0o6777, "file", 0o755],
    [0o666, "file", 0o644],
    [0o777, "file", 0o755],
    [0o770, "file", 0o750],
    [0o600, "file", 0o600],
    [0o000, "file", 0o000],
    [0o1777, "folder", 0o755],
    [0o755, "folder", 0o755],
    [0o555, "folder", 0o755],
    [0o500, "folder", 0o700],
    [0o000, "folder", 0o700],
    [0o2770, "folder", 0o750],
    [0xffff, "file", 0o755],
  ];
  for (const [mode, kind, expected] of cases) {
    test(`${kind} ${mode.toString(8)} -> ${expected.toString(8)}`, () => {
      expect(safeMode(mode, kind).toString(8)).toBe(expected.toString(8));
    });
  }
});
