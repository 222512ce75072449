import { describe, expect, test } from "bun:test";
import {
  calculateGenerator,
  generatorString,
  intermediateSessionKey,
  prependLen,
  publicShare,
  scalarFromBytes,
  sharedSecret,
} from "../../src/secure/cpace.ts";

/** draft-irtf-cfrg-cpace-21, appendix B.3 (ristretto255, SHA-512). */
const V = {
  prs: "Password",
  ci: "0b415f696e69746961746f720b425f726573706f6e646572",
  sid: "7e4b4791d6a8ef019b936c79fb7f2c57",
  adA: "ADa",
  adB: "ADb",
  ya: "da3d23700a9e5699258aef94dc060dfda5ebb61f02a5ea77fad53f4ff0976d08",
  yb: "d2316b454718c35362d83d69df6320f38578ed5984651435e2949762d900b80d",
  g: "222b6b195fe84b1652badb6f6a3ae3d24341e7306967f0b8115b40d5698c7e56",
  Ya: "d6bac480f2c386c394efc7c47adb9925dcd2630b64f240c50f8d0eec482b9157",
  Yb: "3ea7e0b19560d7c0b0f5734f63b955286dfa8232b5ebe63324e2d9e7433f7258",
  K: "80b69a8a76457ab6a4d7f887a4bf6b55a2f80ac19c333f917a05fc9887c8b40f",
  ISK:
    "b69effbf61b51d56401c0f65601abe428de8206feaaf0e32198896dcae7b35cd" +
    "2b38950a39dfd5d4a79164614c2984f7daa460b588c1e80c3fa2068af7900447",
};

const hex = (text: string) => new Uint8Array(Buffer.from(text, "hex"));
const utf8 = (text: string) => new TextEncoder().encode(text);
const toHex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");

describe("CPace (ristretto255, SHA-512) against draft-irtf-cfrg-cpace-21 appendix B.3", () => {
  const g = calculateGenerator(utf8(V.prs), hex(V.ci), hex(V.sid));
  const ya = scalarFromBytes(hex(V.ya));
  const yb = scalarFromBytes(hex(V.yb));
  const Ya = publicShare(g, ya);
  const Yb = publicShare(g, yb);

  test("the generator", () => {
    expect(toHex(g.toBytes())).toBe(V.g);
  });

  test("both public shares", () => {
    expect(toHex(Ya)).toBe(V.Ya);
    expect(toHex(Yb)).toBe(V.Yb);
  });

  test("K is the same from both sides and matches the vector", () => {
    expect(toHex(sharedSecret(ya, Yb) as Uint8Array)).toBe(V.K);
    expect(toHex(sharedSecret(yb, Ya) as Uint8Array)).toBe(V.K);
  });

  test("the initiator–responder ISK", () => {
    const isk = intermediateSessionKey(hex(V.sid), hex(V.K), {
      ya: Ya,
      adA: utf8(V.adA),
      yb: Yb,
      adB: utf8(V.adB),
    });
    expect(toHex(isk)).toBe(V.ISK);
  });

  test("the generator string pads the PRS to SHA-512's block", () => {
    // lv_cat(DSI (17+1), PRS (8+1), zeros (128-1-9-18 = 100, +1), CI (24+1), sid (16+1))
    expect(generatorString(utf8(V.prs), hex(V.ci), hex(V.sid)).length).toBe(18 + 9 + 101 + 25 + 17);
  });
});

describe("CPace refuses what an attacker could force", () => {
  const g = calculateGenerator(utf8("pw"), utf8("ci"), new Uint8Array(16));
  const y = scalarFromBytes(new Uint8Array(64).fill(7));

  test("the identity as the peer's share gives no secret", () => {
    expect(sharedSecret(y, new Uint8Array(32))).toBeNull();
  });

  test("a share that is not a valid encoding gives no secret", () => {
    expect(sharedSecret(y, new Uint8Array(32).fill(0xff))).toBeNull();
    expect(sharedSecret(y, new Uint8Array(31))).toBeNull();
  });

  test("a valid share gives a 32-byte secret", () => {
    expect(sharedSecret(y, publicShare(g, 5n))?.length).toBe(32);
  });

  test("a zero scalar is refused (the caller draws again)", () => {
    expect(() => scalarFromBytes(new Uint8Array(64))).toThrow(RangeError);
  });
});

describe("prepend_len", () => {
  test("lengths below 128 take one byte, longer ones LEB128", () => {
    expect([...prependLen(new Uint8Array(3))]).toEqual([3, 0, 0, 0]);
    expect([...prependLen(new Uint8Array(127)).subarray(0, 1)]).toEqual([127]);
    expect([...prependLen(new Uint8Array(128)).subarray(0, 2)]).toEqual([0x80, 0x01]);
    expect([...prependLen(new Uint8Array(300)).subarray(0, 2)]).toEqual([0xac, 0x02]);
  });
});
