import { createHash } from "node:crypto";
import { ristretto255, ristretto255_hasher } from "@noble/curves/ed25519.js";
import { bytesToNumberLE } from "@noble/curves/utils.js";
import { ByteParts } from "../protocol/bytes.ts";

/**
 * CPace over ristretto255 with SHA-512, as in the IRTF CFRG draft draft-irtf-cfrg-cpace-21 (section 7 and
 * appendix B.3), in its initiator–responder setting. Only the glue is here; the group arithmetic is
 * @noble/curves (audited), SHA-512 is node:crypto.
 *
 * A party derives the generator g from the password-related string (PRS) and the session's CI and sid,
 * picks a secret scalar y, sends Y = y·g, and from the other share X computes K = y·X. Both sides then hash K
 * and the transcript into the intermediate session key ISK. Without the same PRS the two K differ, and an
 * eavesdropper learns nothing it could test passwords against offline.
 */

const DSI = new TextEncoder().encode("CPaceRistretto255");
const ISK_DSI = new TextEncoder().encode("CPaceRistretto255_ISK");
/** SHA-512's input block size: the generator string is padded so the PRS fills the first block. */
const HASH_BLOCK = 128;
/** Encoded group elements and scalars are 32 bytes. */
export const SHARE_SIZE = 32;

const Point = ristretto255.Point;
export type Point = InstanceType<typeof Point>;
const order = Point.Fn.ORDER;

const sha512 = (data: Uint8Array): Uint8Array => new Uint8Array(createHash("sha512").update(data).digest());

/** The draft's prepend_len: `data` preceded by its length as LEB128. */
export function prependLen(data: Uint8Array): Uint8Array {
  const length: number[] = [];
  let n = data.length;
  do {
    const low = n & 0x7f;
    n >>>= 7;
    length.push(n > 0 ? low | 0x80 : low);
  } while (n > 0);
  const out = new Uint8Array(length.length + data.length);
  out.set(length, 0);
  out.set(data, length.length);
  return out;
}

/** The draft's lv_cat: every argument with its length prepended, concatenated. */
export function lvCat(...parts: Uint8Array[]): Uint8Array {
  return concat(parts.map(prependLen));
}

const concat = (parts: readonly Uint8Array[]): Uint8Array => new ByteParts(parts).join();

/** The draft's generator_string(DSI, PRS, CI, sid, s_in_bytes = 128). */
export function generatorString(prs: Uint8Array, ci: Uint8Array, sid: Uint8Array): Uint8Array {
  const zeroPad = Math.max(0, HASH_BLOCK - 1 - prependLen(prs).length - prependLen(DSI).length);
  return lvCat(DSI, prs, new Uint8Array(zeroPad), ci, sid);
}

/**
 * The generator g: RFC 9496's element derivation (one-way map) of SHA-512(generator string). Not
 * `hashToCurve`, which is RFC 9380 with a domain tag and gives a different point.
 */
export function calculateGenerator(prs: Uint8Array, ci: Uint8Array, sid: Uint8Array): Point {
  return ristretto255_hasher.deriveToCurve?.(sha512(generatorString(prs, ci, sid))) as Point;
}

/**
 * A secret scalar from random bytes: 64 of them reduced modulo the group order (negligible bias), or the
 * 32-byte little-endian scalars of the draft's test vectors. Zero is refused: the caller draws again.
 */
export function scalarFromBytes(bytes: Uint8Array): bigint {
  const scalar = bytesToNumberLE(bytes) % order;
  if (scalar === 0n) throw new RangeError("zero scalar: draw the random bytes again");
  return scalar;
}

/** This party's public share Y = y·g, encoded. */
export function publicShare(generator: Point, scalar: bigint): Uint8Array {
  return generator.multiply(scalar).toBytes();
}

/**
 * The shared point K = y·X, encoded; null when X does not decode or is the identity (then K would be the
 * identity, which an attacker could force without knowing the password: the draft says abort). X may be
 * given already decoded (decoding costs about a fifth of a multiplication).
 */
export function sharedSecret(scalar: bigint, peerShare: Uint8Array | Point): Uint8Array | null {
  const peer = peerShare instanceof Uint8Array ? decodeShare(peerShare) : peerShare;
  if (!peer) return null;
  const k = peer.multiply(scalar);
  return k.is0() ? null : k.toBytes();
}

/** The peer's share as a point; null when it does not decode or is the identity. */
export function decodeShare(share: Uint8Array): Point | null {
  if (share.length !== SHARE_SIZE) return null;
  try {
    const point = Point.fromBytes(share);
    return point.is0() ? null : point;
  } catch {
    return null;
  }
}

/** The transcript of the initiator–responder setting: lv_cat(Ya, ADa) ‖ lv_cat(Yb, ADb). */
export interface Transcript {
  ya: Uint8Array;
  adA: Uint8Array;
  yb: Uint8Array;
  adB: Uint8Array;
}

/** ISK = SHA-512(lv_cat(DSI ‖ "_ISK", sid, K) ‖ lv_cat(Ya, ADa) ‖ lv_cat(Yb, ADb)). */
export function intermediateSessionKey(sid: Uint8Array, k: Uint8Array, t: Transcript): Uint8Array {
  return sha512(concat([lvCat(ISK_DSI, sid, k), lvCat(t.ya, t.adA), lvCat(t.yb, t.adB)]));
}
