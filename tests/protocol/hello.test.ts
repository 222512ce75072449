import { describe, expect, test } from "bun:test";
import { HELLO_SIZE, MAX_U32 } from "../../src/protocol/constants.ts";
import { ProtocolError } from "../../src/protocol/errors.ts";
import { encodeHello, parseHello } from "../../src/protocol/hello.ts";
import { concat, helloPayload, utf8 } from "../helpers/frames.ts";

describe("encodeHello", () => {
  test('is "121chat", version 1, then max_message big-endian', () => {
    expect(Buffer.from(encodeHello(16 * 1024 * 1024)).toString("hex")).toBe(
      "31323163686174" + "01" + "01000000",
    );
    expect(encodeHello(0).length).toBe(HELLO_SIZE);
  });

  test("refuses a max_message the field cannot carry", () => {
    for (const bad of [-1, 1.5, MAX_U32 + 1, Number.NaN]) expect(() => encodeHello(bad)).toThrow(RangeError);
    expect(parseHello(encodeHello(MAX_U32)).maxMessage).toBe(MAX_U32);
  });
});

describe("parseHello", () => {
  test("reads back what encodeHello wrote", () => {
    expect(parseHello(encodeHello(65536))).toEqual({ version: 1, maxMessage: 65536 });
  });

  test("ignores bytes after the first 12", () => {
    expect(parseHello(helloPayload(100, { extra: utf8("future fields") }))).toEqual({
      version: 1,
      maxMessage: 100,
    });
  });

  test("reads a payload that is a view into a larger buffer at an odd offset", () => {
    const buffer = concat([utf8("xyz"), encodeHello(0x01020304), utf8("tail")]);
    expect(parseHello(buffer.subarray(3, 3 + HELLO_SIZE)).maxMessage).toBe(0x01020304);
  });

  test("a short HELLO is a protocol error that says how short", () => {
    expect(() => parseHello(encodeHello(1).subarray(0, 11))).toThrow(
      new ProtocolError("malformed HELLO: 11 bytes, expected at least 12"),
    );
    expect(() => parseHello(new Uint8Array(0))).toThrow(ProtocolError);
  });

  test("a wrong magic is an unsupported protocol", () => {
    const payload = helloPayload(100, { magic: utf8("122chat") });
    expect(() => parseHello(payload)).toThrow(ProtocolError);
    expect(() => parseHello(payload)).toThrow(/^unsupported protocol/);
  });

  test("another version is refused with both versions named", () => {
    for (const version of [0, 3, 255]) {
      expect(() => parseHello(helloPayload(100, { version }))).toThrow(
        new ProtocolError(`unsupported protocol version ${version}, this side speaks 1`),
      );
    }
  });

  test("version 2 (an encrypted peer) is refused with the flag that would make the two agree", () => {
    expect(() => parseHello(helloPayload(100, { version: 2 }))).toThrow(
      new ProtocolError(
        "protocol version mismatch: one side runs with --no-encryption (version 1, plaintext) and the other " +
          "without it (version 2, encrypted); use --no-encryption on both sides, or on neither",
      ),
    );
  });
});
