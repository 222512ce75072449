import { describe, expect, setDefaultTimeout, test } from "bun:test";
import pkg from "../../package.json" with { type: "json" };
import { closedPort } from "../helpers/ports.ts";
import { type JsonEvent, JsonProgram, type RunResult, runProgram } from "../helpers/program.ts";

// bunfig's [test] timeout is not applied by this Bun (every file gets 5 s unless it says otherwise); these
// tests start processes and have their own, tighter bounds inside, so a hang fails there and cleans up.
setDefaultTimeout(30_000);

/** A usage error: status 2, nothing on stdout, one line saying what is wrong and one pointing to --help. */
function expectUsageError(result: RunResult, what: RegExp): void {
  expect(result.stdout).toBe("");
  const lines = result.stderr.trimEnd().split("\n");
  expect(lines).toHaveLength(2);
  expect(lines[0]).toMatch(/^121chat: /);
  expect(lines[0]).toMatch(what);
  expect(lines[1]).toContain("--help");
  expect(result.code).toBe(2);
}

const jsonLines = (stdout: string): JsonEvent[] =>
  stdout
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => JSON.parse(line) as JsonEvent);

describe("usage errors exit 2 with one line and a pointer to --help", () => {
  test("an unknown flag", async () => {
    expectUsageError(await runProgram(["server", "--frobnicate"]), /--frobnicate/);
  });

  test("a bad port, as a flag, in HOST:PORT and in PORT", async () => {
    expectUsageError(await runProgram(["server", "--port", "70000"]), /70000.*port/);
    expectUsageError(await runProgram(["server", "--port", "abc"]), /abc.*port/);
    expectUsageError(await runProgram(["client", "127.0.0.1:99999"]), /99999.*port/);
    expectUsageError(await runProgram(["client", "127.0.0.1"], { env: { PORT: "-1" } }), /PORT/);
  });

  test("an unknown mode", async () => {
    expectUsageError(await runProgram(["serve"]), /serve/);
  });

  test("'client' without a host when stdin is not a terminal", async () => {
    expectUsageError(await runProgram(["client"]), /host/);
    expectUsageError(await runProgram(["client"], { stdin: "a line\n" }), /host/);
    expectUsageError(await runProgram([], { env: { MODE: "client" } }), /host/);
  });

  test("no arguments and no terminal: a usage error, not a prompt that hangs", async () => {
    // Bounded: a hang is killed, and its status (not 2) fails the test.
    expectUsageError(await runProgram([], { timeoutMs: 10_000 }), /mode/);
    expectUsageError(await runProgram([], { stdin: "", timeoutMs: 10_000 }), /mode/);
  });
});

describe("help and version", () => {
  test("--help and -h show the usage with examples and exit 0", async () => {
    for (const flag of ["--help", "-h"]) {
      const result = await runProgram([flag]);
      expect(result.code).toBe(0);
      expect(result.stderr).toBe("");
      expect(result.stdout).toContain("Usage");
      expect(result.stdout).toContain("121chat server");
      expect(result.stdout).toContain("121chat client HOST[:PORT]");
      expect(result.stdout).toContain("--max-message-size");
      expect(result.stdout).toContain("Examples");
      expect(result.stdout).toMatch(/121chat client \[::1\]:\d+/);
      // The file commands are listed with the others.
      for (const command of ["/send PATH", "/accept [N]", "/decline [N]", "/cancel [in|out] [N]", "/files"]) {
        expect(result.stdout).toContain(command);
      }
    }
  });

  test("--help wins over everything else on the line", async () => {
    const result = await runProgram(["client", "--help"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("Usage");
  });

  test("--version and -v print the version and exit 0", async () => {
    for (const flag of ["--version", "-v"]) {
      const result = await runProgram([flag]);
      expect(result.code).toBe(0);
      expect(result.stdout).toStartWith(`121chat ${pkg.version}`);
      expect(result.stdout.trimEnd().split("\n")).toHaveLength(1);
    }
  });
});

describe("connection failures exit 1 with a clear message", () => {
  test("a closed port, in pipe mode: a sentence on stderr, nothing on stdout", async () => {
    const port = closedPort();
    const result = await runProgram(["client", `127.0.0.1:${port}`], { stdin: "hello\n" });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain(`127.0.0.1:${port}`);
    expect(result.stderr).toMatch(/connection refused/);
    expect(result.stderr).not.toMatch(/internal error|\bat .*\.ts:\d+/); // a sentence, not a stack trace
  });

  test("a closed port, in JSON mode: an error event", async () => {
    const port = closedPort();
    const result = await runProgram(["client", `127.0.0.1:${port}`, "--json"], { stdin: "hello\n" });
    expect(result.code).toBe(1);
    const events = jsonLines(result.stdout);
    const error = events.find((e) => e.event === "error");
    expect(error?.message).toEqual(expect.stringContaining("connection refused"));
    expect(events.filter((e) => e.event === "connected" || e.event === "sent")).toEqual([]);
  });

  test("an unknown host", async () => {
    const result = await runProgram(["client", "nonexistent.invalid"], {
      stdin: "hello\n",
      timeoutMs: 20_000,
    });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain("nonexistent.invalid");
    expect(result.stderr).toMatch(/unknown host/);
  });

  test("an unknown host, in JSON mode", async () => {
    const result = await runProgram(["client", "nonexistent.invalid:7000", "--json"], { timeoutMs: 20_000 });
    expect(result.code).toBe(1);
    const error = jsonLines(result.stdout).find((e) => e.event === "error");
    expect(error?.message).toEqual(expect.stringMatching(/nonexistent\.invalid.*unknown host/));
  });

  test("a server whose port is taken", async () => {
    const first = await JsonProgram.server(["--host", "127.0.0.1"]);
    try {
      const second = await runProgram(["server", "--host", "127.0.0.1", "--port", String(first.port)]);
      expect(second.code).toBe(1);
      expect(second.stderr).toMatch(/already in use/);
    } finally {
      await first.stop();
    }
  });
});
