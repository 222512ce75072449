import { describe, expect, test } from "bun:test";
import { parseHost, parsePort, parseTarget } from "../../src/cli/target.ts";
import { UsageError } from "../../src/cli/usage-error.ts";

function rejects(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    const message = (error as UsageError).message;
    expect(message).not.toContain("\n");
    return message;
  }
  throw new Error("expected a UsageError");
}

describe("parsePort", () => {
  test("1 to 65535, surrounding spaces ignored", () => {
    expect(parsePort("1", "port")).toBe(1);
    expect(parsePort("7121", "port")).toBe(7121);
    expect(parsePort("65535", "port")).toBe(65535);
    expect(parsePort(" 7000 ", "port")).toBe(7000);
  });

  test("0 only where allowed", () => {
    expect(parsePort("0", "port", true)).toBe(0);
    expect(rejects(() => parsePort("0", "port"))).toContain("1–65535");
  });

  test("anything else is refused with the option's name and the text", () => {
    for (const text of ["65536", "70000", "abc", "", "-1", "+80", "1.5", "1e3", "0x50", "80a", "８０"]) {
      const message = rejects(() => parsePort(text, "--port", true));
      expect(message).toStartWith("--port:");
      expect(message).toContain(`'${text}'`);
    }
  });
});

describe("parseHost", () => {
  test("addresses and names", () => {
    expect(parseHost("127.0.0.1", "h")).toBe("127.0.0.1");
    expect(parseHost("::1", "h")).toBe("::1");
    expect(parseHost("[::1]", "h")).toBe("::1");
    expect(parseHost("localhost", "h")).toBe("localhost");
    expect(parseHost("chat.example.org.", "h")).toBe("chat.example.org.");
    expect(parseHost("my_host-1", "h")).toBe("my_host-1");
  });

  test("not a host", () => {
    for (const text of ["", "a b", "-x", "x-", "a..b", "host:7000", "[localhost]", `${"a".repeat(64)}.org`]) {
      expect(rejects(() => parseHost(text, "host"))).toStartWith("host:");
    }
  });
});

describe("parseTarget", () => {
  const good: [string, string, number | undefined][] = [
    ["10.0.0.5", "10.0.0.5", undefined],
    ["10.0.0.5:7000", "10.0.0.5", 7000],
    ["localhost", "localhost", undefined],
    ["localhost:1", "localhost", 1],
    ["chat.example.org:7000", "chat.example.org", 7000],
    ["::1", "::1", undefined],
    ["::", "::", undefined],
    ["2001:db8::1", "2001:db8::1", undefined],
    ["::ffff:10.0.0.5", "::ffff:10.0.0.5", undefined],
    ["[::1]", "::1", undefined],
    ["[::1]:7121", "::1", 7121],
    ["  [::1]:7121  ", "::1", 7121],
  ];
  for (const [text, host, port] of good) {
    test(`'${text}'`, () => {
      const target = parseTarget(text);
      expect(target.host).toBe(host);
      expect(target.port).toBe(port);
      // no port means no `port` key at all, so spreading a target never overwrites a port with undefined
      if (port === undefined) expect("port" in target).toBe(false);
    });
  }

  test("bad targets, each with a one-line reason naming the source", () => {
    expect(rejects(() => parseTarget("", "IP_ADDR"))).toBe("IP_ADDR: the host is empty");
    expect(rejects(() => parseTarget("   "))).toContain("empty");
    expect(rejects(() => parseTarget("[10.0.0.5]"))).toContain("not an IPv6 address");
    expect(rejects(() => parseTarget("[localhost]:7000"))).toContain("not an IPv6 address");
    expect(rejects(() => parseTarget("[::1]:"))).toContain("port");
    expect(rejects(() => parseTarget("[::1]:70000"))).toContain("70000");
    expect(rejects(() => parseTarget("[::1]:0"))).toContain("'0'");
    expect(rejects(() => parseTarget("localhost:"))).toContain("port");
    expect(rejects(() => parseTarget("localhost:abc"))).toContain("abc");
    expect(rejects(() => parseTarget(":7000"))).toContain("not an IP address or host name");
    expect(rejects(() => parseTarget("[::1"))).toContain("[::1");
    expect(rejects(() => parseTarget("1:2:3"))).toContain("1:2:3");
    // An IPv6 address with a port but no brackets is ambiguous: refused, not guessed.
    expect(rejects(() => parseTarget("::1:7000:x"))).toBeTruthy();
  });
});
