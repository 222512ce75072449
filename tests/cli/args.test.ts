import { describe, expect, test } from "bun:test";
import { type Config, parseCommandLine } from "../../src/cli/args.ts";
import { UsageError } from "../../src/cli/usage-error.ts";
import { DEFAULT_MAX_MESSAGE } from "../../src/protocol/constants.ts";

type Env = Record<string, string | undefined>;

/** The config of a `run` invocation; fails the test for help/version. */
function config(argv: string[], env: Env = {}): Config {
  const invocation = parseCommandLine(argv, env);
  if (invocation.action !== "run") throw new Error(`expected a run, got ${invocation.action}`);
  return invocation.config;
}

/** The message of the UsageError that `argv` must cause; it must be one line. */
function usageError(argv: string[], env: Env = {}): string {
  try {
    parseCommandLine(argv, env);
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    const message = (error as UsageError).message;
    expect(message).not.toContain("\n");
    expect(message.length).toBeGreaterThan(0);
    return message;
  }
  throw new Error(`expected a usage error for ${JSON.stringify(argv)} ${JSON.stringify(env)}`);
}

describe("modes", () => {
  test("no arguments: nothing decided yet, defaults elsewhere", () => {
    expect(config([])).toEqual({
      mode: undefined,
      host: undefined,
      port: undefined,
      maxMessage: DEFAULT_MAX_MESSAGE,
      json: false,
      color: true,
      pingIntervalMs: undefined,
      deadAfterMs: undefined,
      encryption: true,
      resumeWindowMs: undefined,
      downloadDir: undefined,
      acceptFiles: false,
      send: undefined,
    });
  });

  test("server with no options listens on all interfaces at the default port", () => {
    const c = config(["server"]);
    expect(c.mode).toBe("server");
    expect(c.host).toBeUndefined();
    expect(c.port).toBeUndefined();
  });

  test("client without a host leaves the host to ask for", () => {
    const c = config(["client"]);
    expect(c.mode).toBe("client");
    expect(c.host).toBeUndefined();
  });

  test("an unknown mode is a usage error naming it", () => {
    expect(usageError(["chat"])).toContain("'chat'");
  });
});

describe("client HOST[:PORT]", () => {
  const cases: [string, string, number | undefined][] = [
    ["10.0.0.5", "10.0.0.5", undefined],
    ["10.0.0.5:7000", "10.0.0.5", 7000],
    ["localhost", "localhost", undefined],
    ["chat.example.org:7000", "chat.example.org", 7000],
    ["::1", "::1", undefined],
    ["[::1]", "::1", undefined],
    ["[::1]:7121", "::1", 7121],
    ["fe80::1:2:3", "fe80::1:2:3", undefined],
    ["[2001:db8::7]:65535", "2001:db8::7", 65535],
  ];
  for (const [text, host, port] of cases) {
    test(`${text} -> host ${host}, port ${port}`, () => {
      const c = config(["client", text]);
      expect(c.mode).toBe("client");
      expect(c.host).toBe(host);
      expect(c.port).toBe(port);
    });
  }

  test("bad ports in HOST:PORT are usage errors", () => {
    expect(usageError(["client", "10.0.0.5:0"])).toContain("'0'");
    expect(usageError(["client", "10.0.0.5:70000"])).toContain("70000");
    expect(usageError(["client", "10.0.0.5:abc"])).toContain("abc");
    expect(usageError(["client", "[::1]:0"])).toContain("'0'");
    expect(usageError(["client", "localhost:"])).toContain("port");
  });

  test("something that is not a host is a usage error", () => {
    usageError(["client", "not a host"]);
    usageError(["client", "[10.0.0.5]:7000"]);
    usageError(["client", "-bad-.example"]);
  });
});

describe("--port / -p", () => {
  test("long, short and = forms", () => {
    expect(config(["server", "--port", "7000"]).port).toBe(7000);
    expect(config(["server", "-p", "7001"]).port).toBe(7001);
    expect(config(["server", "--port=7002"]).port).toBe(7002);
    expect(config(["client", "localhost", "-p", "7003"]).port).toBe(7003);
  });

  test("a server may ask for port 0 (any free port); a client may not", () => {
    expect(config(["server", "--port", "0"]).port).toBe(0);
    expect(usageError(["client", "localhost", "--port", "0"])).toContain("'0'");
  });

  test("out of range or not a number", () => {
    expect(usageError(["server", "--port", "70000"])).toContain("70000");
    expect(usageError(["server", "--port", "65536"])).toContain("65536");
    expect(usageError(["server", "--port", "abc"])).toContain("abc");
    expect(usageError(["server", "--port", "-1"])).toBeTruthy();
    expect(usageError(["server", "--port", "1.5"])).toContain("1.5");
    expect(usageError(["server", "--port", ""])).toContain("port");
    expect(config(["server", "--port", "65535"]).port).toBe(65535);
  });

  test("a missing value names the option without parser jargon", () => {
    const message = usageError(["server", "--port"]);
    expect(message).toContain("--port");
    expect(message).toContain("needs a value");
    expect(message).not.toContain("<value>");
  });

  test("the same port in HOST:PORT and --port is fine; two different ones are an error", () => {
    expect(config(["client", "localhost:7000", "--port", "7000"]).port).toBe(7000);
    const message = usageError(["client", "localhost:7000", "--port", "8000"]);
    expect(message).toContain("7000");
    expect(message).toContain("8000");
    usageError(["client", "[::1]:7000", "-p", "7001"]);
  });
});

describe("--host", () => {
  test("the server's bind address, IPv6 with or without brackets", () => {
    expect(config(["server", "--host", "127.0.0.1"]).host).toBe("127.0.0.1");
    expect(config(["server", "--host", "::"]).host).toBe("::");
    expect(config(["server", "--host", "[::1]"]).host).toBe("::1");
    expect(config(["server", "--host", "localhost"]).host).toBe("localhost");
  });

  test("a port inside --host is refused rather than silently dropped", () => {
    expect(usageError(["server", "--host", "127.0.0.1:7000"])).toContain("--port");
    expect(usageError(["server", "--host", "[::1]:7000"])).toContain("--port");
  });

  test("a client is told how to name its host", () => {
    expect(usageError(["client", "localhost", "--host", "::"])).toContain("client HOST");
    expect(usageError(["client", "--host", "10.0.0.5"])).toContain("client HOST");
  });

  test("without a mode, the error says --host belongs to the server", () => {
    expect(usageError(["--host", "::"])).toContain("server");
  });

  test("a server takes no positional host", () => {
    expect(usageError(["server", "127.0.0.1"])).toContain("--host");
  });
});

describe("--max-message-size", () => {
  const cases: [string, number][] = [
    ["64k", 64 * 1024],
    ["16m", 16 * 1024 * 1024],
    ["1g", 1024 ** 3],
    ["65536", 65536],
    ["0", 0],
    ["4294967295", 0xffff_ffff],
    ["64KiB", 64 * 1024],
    ["2M", 2 * 1024 * 1024],
  ];
  for (const [text, bytes] of cases) {
    test(`${text} = ${bytes} bytes`, () => {
      expect(config(["server", "--max-message-size", text]).maxMessage).toBe(bytes);
    });
  }

  test("garbage and values over u32 are usage errors", () => {
    for (const text of ["abc", "", "-1", "16q", "1e6", "0x100", "1.2.3"]) {
      expect(usageError(["server", "--max-message-size", text])).toContain("--max-message-size");
    }
    for (const text of ["4g", "4294967296", "99999999999999999999"]) {
      expect(usageError(["server", "--max-message-size", text])).toContain("out of range");
    }
  });
});

describe("--json, --no-color and NO_COLOR", () => {
  test("--json", () => {
    expect(config(["server", "--json"]).json).toBe(true);
    expect(config(["server"]).json).toBe(false);
  });

  test("--json takes no value", () => {
    usageError(["server", "--json=yes"]);
  });

  test("colour is on unless --no-color or a non-empty NO_COLOR", () => {
    expect(config(["server"]).color).toBe(true);
    expect(config(["server", "--no-color"]).color).toBe(false);
    expect(config(["server"], { NO_COLOR: "1" }).color).toBe(false);
    expect(config(["server"], { NO_COLOR: "anything" }).color).toBe(false);
    // no-color.org: present *and not empty*.
    expect(config(["server"], { NO_COLOR: "" }).color).toBe(true);
  });
});

describe("--ping-interval / --dead-after", () => {
  test("seconds, fractions allowed, stored as milliseconds", () => {
    const c = config(["server", "--ping-interval", "0.25", "--dead-after", "0.5"]);
    expect(c.pingIntervalMs).toBe(250);
    expect(c.deadAfterMs).toBe(500);
  });

  test("--dead-after must be longer than --ping-interval (the defaults count when one is left out)", () => {
    expect(usageError(["server", "--ping-interval", "5", "--dead-after", "5"])).toContain("longer than");
    expect(usageError(["server", "--dead-after", "10"])).toContain("--ping-interval (15 s)");
    expect(usageError(["server", "--ping-interval", "60"])).toContain("--dead-after (45 s)");
    expect(config(["server", "--ping-interval", "1", "--dead-after", "3"]).deadAfterMs).toBe(3000);
  });

  test("zero, negative, garbage and more than a day are usage errors", () => {
    for (const text of ["0", "-1", "abc", "", "86401", "Infinity", "NaN"]) {
      expect(usageError(["server", "--ping-interval", text])).toContain("--ping-interval");
      expect(usageError(["server", "--dead-after", text])).toContain("--dead-after");
    }
  });
});

describe("help and version", () => {
  test("-h / --help, whatever else is there", () => {
    expect(parseCommandLine(["-h"], {})).toEqual({ action: "help" });
    expect(parseCommandLine(["--help"], {})).toEqual({ action: "help" });
    expect(parseCommandLine(["client", "localhost", "--help"], {})).toEqual({ action: "help" });
    // help is honoured even where the rest would be a usage error
    expect(parseCommandLine(["server", "--port", "70000", "-h"], {})).toEqual({ action: "help" });
  });

  test("-v / --version", () => {
    expect(parseCommandLine(["-v"], {})).toEqual({ action: "version" });
    expect(parseCommandLine(["--version"], {})).toEqual({ action: "version" });
  });
});

describe("usage errors", () => {
  test("an unknown flag gives one line naming it", () => {
    expect(usageError(["--bogus"])).toBe("unknown option '--bogus'");
    expect(usageError(["server", "-x"])).toBe("unknown option '-x'");
  });

  test("extra positionals", () => {
    expect(usageError(["client", "a", "b"])).toContain("'b'");
    expect(usageError(["client", "a", "b", "c"])).toContain("'b'");
  });
});

describe("environment", () => {
  test("MODE, IP_ADDR and PORT configure a client", () => {
    const c = config([], { MODE: "client", IP_ADDR: "10.0.0.5", PORT: "7000" });
    expect(c).toMatchObject({ mode: "client", host: "10.0.0.5", port: 7000 });
  });

  test("IP_ADDR may carry a port, also IPv6 in brackets", () => {
    expect(config([], { MODE: "client", IP_ADDR: "[::1]:7005" })).toMatchObject({ host: "::1", port: 7005 });
  });

  test("MODE is case-insensitive; empty values count as unset", () => {
    expect(config([], { MODE: "SERVER" }).mode).toBe("server");
    expect(config([], { MODE: "", IP_ADDR: " ", PORT: "" })).toMatchObject({
      mode: undefined,
      host: undefined,
      port: undefined,
    });
  });

  test("bad environment values are usage errors naming the variable", () => {
    expect(usageError([], { MODE: "both" })).toContain("MODE");
    expect(usageError(["server"], { PORT: "70000" })).toContain("PORT");
    expect(usageError(["client", "localhost"], { PORT: "abc" })).toContain("PORT");
    expect(usageError(["client"], { IP_ADDR: "not a host" })).toContain("IP_ADDR");
  });

  test("PORT=0 is allowed for a server, not for a client", () => {
    expect(config(["server"], { PORT: "0" }).port).toBe(0);
    usageError(["client", "localhost"], { PORT: "0" });
  });

  test("a server ignores IP_ADDR (it is the client's target)", () => {
    expect(config(["server"], { IP_ADDR: "10.0.0.5:7000" })).toMatchObject({
      host: undefined,
      port: undefined,
    });
  });

  test("without a mode, IP_ADDR is not taken as a server's bind address or port", () => {
    // The prompt may still pick "server": it must not bind to the client's target.
    expect(config([], { IP_ADDR: "10.0.0.5:7000" })).toMatchObject({ host: undefined, port: undefined });
  });

  test("without a mode, IP_ADDR is kept as the target for a client picked at the prompt", () => {
    expect(config([], { IP_ADDR: "10.0.0.5:7000" }).envTarget).toEqual({ host: "10.0.0.5", port: 7000 });
    expect(config([], {}).envTarget).toBeUndefined();
  });
});

describe("flags win over the environment", () => {
  test("a mode argument beats MODE", () => {
    expect(config(["server"], { MODE: "client" }).mode).toBe("server");
    expect(config(["client", "localhost"], { MODE: "server" }).mode).toBe("client");
  });

  test("--port beats PORT", () => {
    expect(config(["server", "--port", "7000"], { PORT: "8000" }).port).toBe(7000);
    expect(config(["client", "localhost", "-p", "7000"], { PORT: "8000" }).port).toBe(7000);
    // even a PORT that would be invalid is not looked at
    expect(config(["server", "--port", "7000"], { PORT: "garbage" }).port).toBe(7000);
  });

  test("client HOST beats IP_ADDR", () => {
    const c = config(["client", "localhost"], { IP_ADDR: "10.0.0.5:7000" });
    expect(c.host).toBe("localhost");
    expect(c.port).toBeUndefined();
    // a broken IP_ADDR does not matter when the host is given
    expect(config(["client", "localhost"], { IP_ADDR: "not a host" }).host).toBe("localhost");
  });

  test("the port in client HOST:PORT beats PORT", () => {
    expect(config(["client", "localhost:7000"], { PORT: "8000" }).port).toBe(7000);
  });

  test("--port beats the port in IP_ADDR (no conflict: one is a flag, the other environment)", () => {
    expect(config(["--port", "8000"], { MODE: "client", IP_ADDR: "localhost:7000" }).port).toBe(8000);
  });

  test("--no-color is not needed when NO_COLOR is set, and --json is unaffected by env", () => {
    expect(config(["server", "--json"], { NO_COLOR: "1" })).toMatchObject({ json: true, color: false });
  });
});

test("text quoted back in an error is escaped: still one line, no terminal controls", () => {
  const cases: [string[], Env][] = [
    [["client", "evil\nhost"], {}],
    [["client", "a\x1b[2Jb"], {}],
    [["server", "--port", "1\r\n2"], {}],
    [["client"], { IP_ADDR: "x\ny" }],
    [[], { MODE: "\x1b]0;t\x07" }],
    [["--\x1b[31m"], {}],
  ];
  for (const [argv, env] of cases) {
    // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point.
    expect(usageError(argv, env)).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
  }
  expect(usageError(["client", "a\x1b[2Jb"])).toContain("'a\\x1b[2Jb'");
});

describe("encryption and the code", () => {
  test("encryption is the default; --no-encryption turns it off", () => {
    expect(config(["server"]).encryption).toBe(true);
    expect(config(["server", "--no-encryption"]).encryption).toBe(false);
  });

  test("the code comes from CHAT121_CODE, or from --code-file, which wins", () => {
    expect(config(["client", "h"], { CHAT121_CODE: "orbit-lemon-swift" }).code).toEqual({
      from: "env",
      text: "orbit-lemon-swift",
    });
    expect(config(["client", "h", "--code-file", "/tmp/c"], { CHAT121_CODE: "x" }).code).toEqual({
      from: "file",
      path: "/tmp/c",
    });
    expect(config(["client", "h"], { CHAT121_CODE: "  " }).code).toBeUndefined();
  });

  test("there is no --code option, and the error says why and what to use instead", () => {
    for (const argv of [
      ["client", "h", "--code", "orbit-lemon-swift"],
      ["client", "h", "--code=orbit-lemon-swift"],
      ["server", "--code", "x"],
    ]) {
      const message = usageError(argv);
      expect(message).toContain("process list");
      expect(message).toContain("CHAT121_CODE");
      expect(message).toContain("--code-file");
    }
  });

  test("--code-file or --resume-window with --no-encryption is a mistake worth a word", () => {
    expect(usageError(["client", "h", "--no-encryption", "--code-file", "x"])).toContain("--code-file");
    expect(usageError(["server", "--no-encryption", "--resume-window", "5"])).toContain("--resume-window");
  });

  test("CHAT121_CODE is ignored with --no-encryption (it may be set for every run of a script)", () => {
    const c = config(["client", "h", "--no-encryption"], { CHAT121_CODE: "x" });
    expect(c.encryption).toBe(false);
    expect(c.code).toBeUndefined();
  });

  test("--resume-window: seconds from 0 (off) to a day, on the server only", () => {
    expect(config(["server", "--resume-window", "0"]).resumeWindowMs).toBe(0);
    expect(config(["server", "--resume-window", "90"]).resumeWindowMs).toBe(90_000);
    expect(usageError(["server", "--resume-window", "-1"])).toContain("--resume-window");
    expect(usageError(["server", "--resume-window", "x"])).toContain("'x'");
    expect(usageError(["client", "h", "--resume-window", "5"])).toContain("server's");
  });
});

describe("files: --download-dir, --accept-files, --send", () => {
  test("off by default: the current folder, offers asked about, nothing sent", () => {
    expect(config(["server"])).toMatchObject({ downloadDir: undefined, acceptFiles: false, send: undefined });
  });

  test("each on either side, the paths as typed (checked later, by main, not by this parser)", () => {
    for (const mode of [["server"], ["client", "localhost"]]) {
      expect(
        config([...mode, "--download-dir", "~/in box", "--accept-files", "--send", "./report (1).pdf"]),
      ).toMatchObject({ downloadDir: "~/in box", acceptFiles: true, send: "./report (1).pdf" });
    }
    expect(config(["server", "--download-dir=/no/such/folder"]).downloadDir).toBe("/no/such/folder");
    expect(config(["client", "h", "--send=dir/"]).send).toBe("dir/");
  });

  test("an empty path or a missing value is a usage error", () => {
    expect(usageError(["server", "--download-dir", ""])).toBe("--download-dir: the path is empty");
    expect(usageError(["server", "--send", " "])).toBe("--send: the path is empty");
    expect(usageError(["server", "--send"])).toContain("needs a value");
    expect(usageError(["server", "--download-dir"])).toContain("needs a value");
  });

  test("--accept-files takes no value", () => {
    usageError(["server", "--accept-files=yes"]);
  });

  test("not with --no-encryption: files need protocol version 2, and the error says so", () => {
    for (const flags of [["--send", "x"], ["--accept-files"], ["--download-dir", "."]]) {
      const message = usageError(["client", "h", "--no-encryption", ...flags]);
      expect(message).toContain(flags[0] as string);
      expect(message).toContain("--no-encryption");
      expect(message).toContain("version 2");
    }
  });
});
