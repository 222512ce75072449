import { expect, test } from "bun:test";
import { describeNetError } from "../../src/net/errors.ts";

const failed = (code: string, message = "Failed to connect") => Object.assign(new Error(message), { code });

test("a link-local IPv6 address without its interface: the refusal says what is missing", () => {
  expect(describeNetError(failed("EINVAL"), "[fe80::1]:7121")).toBe(
    "could not connect to [fe80::1]:7121: a link-local IPv6 address needs the interface to use, as in [fe80::1%eth0]",
  );
  expect(describeNetError(failed("EINVAL"), "[FEBF::2]:7000")).toContain("needs the interface");
});

test("with its interface, or any other address, EINVAL is reported as it came", () => {
  expect(describeNetError(failed("EINVAL"), "[fe80::1%eth0]:7121")).toBe(
    "[fe80::1%eth0]:7121: Failed to connect (EINVAL)",
  );
  expect(describeNetError(failed("EINVAL"), "[fec0::1]:7121")).not.toContain("link-local");
  expect(describeNetError(failed("EINVAL"), "10.0.0.1:7121")).toBe(
    "10.0.0.1:7121: Failed to connect (EINVAL)",
  );
});

test("the common failures in a few words, with a hint for a refusal", () => {
  expect(describeNetError(failed("ECONNREFUSED"), "127.0.0.1:7121")).toBe(
    "could not connect to 127.0.0.1:7121: connection refused (is a 121chat server running there?)",
  );
  expect(describeNetError(failed("EADDRINUSE"), "port 7121")).toBe(
    "cannot listen on port 7121: the address is already in use",
  );
});
