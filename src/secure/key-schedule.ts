import { createHmac, hkdfSync, timingSafeEqual } from "node:crypto";

/**
 * From CPace's ISK to everything the channel needs (protocol-v2 section 1): PRK = HKDF-Extract(salt = sid,
 * IKM = ISK) with SHA-256, then one HKDF-Expand per purpose, each with its own ASCII label, so no two uses
 * ever share key material.
 */

export const LABELS = {
  serverConfirm: "121chat/2 server confirm",
  clientConfirm: "121chat/2 client confirm",
  c2sKey: "121chat/2 c2s key",
  c2sIv: "121chat/2 c2s iv",
  s2cKey: "121chat/2 s2c key",
  s2cIv: "121chat/2 s2c iv",
  resume: "121chat/2 resume",
  keyUpdate: "121chat/2 key update",
} as const;

export const KEY_SIZE = 32;
export const IV_SIZE = 12;
export const CONFIRM_SIZE = 32;
export const RESUME_TAG_SIZE = 16;

/** One direction's record protection: an AES-256-GCM key and the 12-byte IV its nonces are made from. */
export interface DirectionKeys {
  key: Uint8Array;
  iv: Uint8Array;
}

export interface ChannelSecrets {
  serverConfirm: Uint8Array;
  clientConfirm: Uint8Array;
  /** Protects the client's records. */
  c2s: DirectionKeys;
  /** Protects the server's records. */
  s2c: DirectionKeys;
  resumeSecret: Uint8Array;
}

/** HKDF-Extract then HKDF-Expand with `label` (node:crypto's hkdfSync does both, RFC 5869). */
function expand(isk: Uint8Array, sid: Uint8Array, label: string, length: number): Uint8Array {
  return new Uint8Array(hkdfSync("sha256", isk, sid, label, length));
}

export function deriveSecrets(isk: Uint8Array, sid: Uint8Array): ChannelSecrets {
  return {
    serverConfirm: expand(isk, sid, LABELS.serverConfirm, CONFIRM_SIZE),
    clientConfirm: expand(isk, sid, LABELS.clientConfirm, CONFIRM_SIZE),
    c2s: { key: expand(isk, sid, LABELS.c2sKey, KEY_SIZE), iv: expand(isk, sid, LABELS.c2sIv, IV_SIZE) },
    s2c: { key: expand(isk, sid, LABELS.s2cKey, KEY_SIZE), iv: expand(isk, sid, LABELS.s2cIv, IV_SIZE) },
    resumeSecret: expand(isk, sid, LABELS.resume, KEY_SIZE),
  };
}

/**
 * The next key of a direction after 2^24 records: HKDF-Expand(key, "121chat/2 key update", 32), the key
 * itself being the PRK. One SHA-256 block of output is T(1) = HMAC(PRK, info ‖ 0x01).
 */
export function nextKey(key: Uint8Array): Uint8Array {
  return new Uint8Array(
    createHmac("sha256", key)
      .update(LABELS.keyUpdate)
      .update(new Uint8Array([1]))
      .digest(),
  );
}

/** The resume_tag a mode-1 HELLO carries: the first 16 bytes of HMAC-SHA256(resume_secret, sid). */
export function resumeTag(resumeSecret: Uint8Array, sid: Uint8Array): Uint8Array {
  return new Uint8Array(createHmac("sha256", resumeSecret).update(sid).digest()).subarray(0, RESUME_TAG_SIZE);
}

/** Compares two secrets in constant time (false for different lengths, without throwing). */
export function sameSecret(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
