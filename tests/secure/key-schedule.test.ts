import { describe, expect, test } from "bun:test";
import { createHmac } from "node:crypto";
import { deriveSecrets, LABELS, nextKey, resumeTag } from "../../src/secure/key-schedule.ts";
import { recordNonce } from "../../src/secure/records.ts";

/** RFC 5869 written out with HMAC alone: an oracle independent of node:crypto's hkdfSync. */
function hkdf(ikm: Uint8Array, salt: Uint8Array, info: string, length: number): Uint8Array {
  const prk = createHmac("sha256", salt).update(ikm).digest();
  const out: number[] = [];
  let block = Buffer.alloc(0);
  for (let i = 1; out.length < length; i++) {
    block = createHmac("sha256", prk)
      .update(Buffer.concat([block, Buffer.from(info, "ascii"), Buffer.from([i])]))
      .digest();
    out.push(...block);
  }
  return new Uint8Array(out.slice(0, length));
}

const isk = Uint8Array.from({ length: 64 }, (_, i) => i);
const sid = Uint8Array.from({ length: 16 }, (_, i) => 0xa0 + i);

describe("key schedule (protocol-v2 section 1)", () => {
  test("the labels are the contract's ASCII strings", () => {
    expect(LABELS).toEqual({
      serverConfirm: "121chat/2 server confirm",
      clientConfirm: "121chat/2 client confirm",
      c2sKey: "121chat/2 c2s key",
      c2sIv: "121chat/2 c2s iv",
      s2cKey: "121chat/2 s2c key",
      s2cIv: "121chat/2 s2c iv",
      resume: "121chat/2 resume",
      keyUpdate: "121chat/2 key update",
    });
  });

  test("each secret is HKDF-SHA256(salt = sid, IKM = ISK) expanded with its own label and length", () => {
    const secrets = deriveSecrets(isk, sid);
    expect(secrets.serverConfirm).toEqual(hkdf(isk, sid, "121chat/2 server confirm", 32));
    expect(secrets.clientConfirm).toEqual(hkdf(isk, sid, "121chat/2 client confirm", 32));
    expect(secrets.c2s.key).toEqual(hkdf(isk, sid, "121chat/2 c2s key", 32));
    expect(secrets.c2s.iv).toEqual(hkdf(isk, sid, "121chat/2 c2s iv", 12));
    expect(secrets.s2c.key).toEqual(hkdf(isk, sid, "121chat/2 s2c key", 32));
    expect(secrets.s2c.iv).toEqual(hkdf(isk, sid, "121chat/2 s2c iv", 12));
    expect(secrets.resumeSecret).toEqual(hkdf(isk, sid, "121chat/2 resume", 32));
  });

  test("no two purposes share key material", () => {
    const s = deriveSecrets(isk, sid);
    const all = [s.serverConfirm, s.clientConfirm, s.c2s.key, s.s2c.key, s.resumeSecret].map((b) =>
      Buffer.from(b).toString("hex"),
    );
    expect(new Set(all).size).toBe(all.length);
  });

  test("the key update is HKDF-Expand(key, 121chat/2 key update, 32): one HMAC block", () => {
    const key = new Uint8Array(32).fill(7);
    const expected = createHmac("sha256", key)
      .update(Buffer.concat([Buffer.from("121chat/2 key update"), Buffer.from([1])]))
      .digest();
    expect(nextKey(key)).toEqual(new Uint8Array(expected));
  });

  test("resume_tag is the first 16 bytes of HMAC-SHA256(resume_secret, sid)", () => {
    const secret = new Uint8Array(32).fill(3);
    const mac = createHmac("sha256", secret).update(sid).digest();
    expect(resumeTag(secret, sid)).toEqual(new Uint8Array(mac.subarray(0, 16)));
  });

  test("a record's nonce is the iv XOR the sequence number in its last 8 bytes", () => {
    const iv = Uint8Array.from({ length: 12 }, (_, i) => 0x10 * (i + 1) - 1);
    expect(recordNonce(iv, 0)).toEqual(iv);
    const at = recordNonce(iv, 2 ** 40 + 0x0102);
    const xor = at.map((byte, i) => byte ^ (iv[i] as number));
    expect([...xor]).toEqual([0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 2]);
  });
});
