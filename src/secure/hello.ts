import { MAGIC, MAX_U32, PROTOCOL_VERSION, SECURE_VERSION } from "../protocol/constants.ts";
import { ProtocolError } from "../protocol/errors.ts";
import { VERSION_MISMATCH } from "../protocol/hello.ts";
import { CONFIRM_SIZE, RESUME_TAG_SIZE } from "./key-schedule.ts";

/**
 * The two HELLOs of version 2's handshake (protocol-v2 section 1), sent in plaintext version-1 frames. Both
 * start like version 1's (magic, version, max_message), so either version can tell what it is talking to.
 */

/** The one suite: CPace over ristretto255 with SHA-512, HKDF-SHA256, AES-256-GCM. */
export const SUITE = 1;
export const SID_SIZE = 16;
export const SHARE_BYTES = 32;

/** Mode 0 opens a new session with the code; mode 1 resumes one with its resume secret. */
export type HelloMode = 0 | 1;

export const CLIENT_AD_SIZE = MAGIC.length + 1 + 4 + 1 + 1 + SID_SIZE + RESUME_TAG_SIZE; // 46
export const CLIENT_HELLO_SIZE = CLIENT_AD_SIZE + SHARE_BYTES; // 78
export const SERVER_AD_SIZE = MAGIC.length + 1 + 4 + 1; // 13
export const SERVER_HELLO_SIZE = SERVER_AD_SIZE + SHARE_BYTES + CONFIRM_SIZE; // 77

export interface ClientHello {
  maxMessage: number;
  mode: HelloMode;
  sid: Uint8Array;
  resumeTag: Uint8Array;
  share: Uint8Array;
  /** ADa: the payload up to and excluding the share. */
  ad: Uint8Array;
}

export interface ServerHello {
  maxMessage: number;
  share: Uint8Array;
  confirm: Uint8Array;
  /** ADb: the payload up to and excluding the share. */
  ad: Uint8Array;
}

function writePrefix(out: Uint8Array, maxMessage: number): void {
  if (!Number.isInteger(maxMessage) || maxMessage < 0 || maxMessage > MAX_U32) {
    throw new RangeError(`max_message must be an integer from 0 to ${MAX_U32}, got ${maxMessage}`);
  }
  out.set(MAGIC, 0);
  out[MAGIC.length] = SECURE_VERSION;
  new DataView(out.buffer, out.byteOffset).setUint32(MAGIC.length + 1, maxMessage);
  out[MAGIC.length + 5] = SUITE;
}

export function encodeClientHello(hello: Omit<ClientHello, "ad">): Uint8Array {
  const out = new Uint8Array(CLIENT_HELLO_SIZE);
  writePrefix(out, hello.maxMessage);
  out[13] = hello.mode;
  out.set(hello.sid, 14);
  out.set(hello.resumeTag, 14 + SID_SIZE);
  out.set(hello.share, CLIENT_AD_SIZE);
  return out;
}

export function encodeServerHello(hello: Omit<ServerHello, "ad">): Uint8Array {
  const out = new Uint8Array(SERVER_HELLO_SIZE);
  writePrefix(out, hello.maxMessage);
  out.set(hello.share, SERVER_AD_SIZE);
  out.set(hello.confirm, SERVER_AD_SIZE + SHARE_BYTES);
  return out;
}

/** Checks magic, version and suite, and returns max_message. Bytes beyond `size` are ignored. */
function readPrefix(payload: Uint8Array, size: number, who: string): number {
  for (let i = 0; i < MAGIC.length; i++) {
    if (payload[i] !== MAGIC[i]) {
      throw new ProtocolError(`unsupported protocol (HELLO lacks the "121chat" magic), this side speaks 2`);
    }
  }
  const version = payload[MAGIC.length];
  if (version === PROTOCOL_VERSION) throw new ProtocolError(VERSION_MISMATCH);
  if (payload.length >= MAGIC.length + 1 && version !== SECURE_VERSION) {
    throw new ProtocolError(`unsupported protocol version ${version}, this side speaks 2`);
  }
  if (payload.length < size) {
    throw new ProtocolError(`malformed ${who} HELLO: ${payload.length} bytes, expected at least ${size}`);
  }
  const suite = payload[MAGIC.length + 5];
  if (suite !== SUITE) throw new ProtocolError(`unsupported suite ${suite}, this side speaks suite ${SUITE}`);
  return new DataView(payload.buffer, payload.byteOffset, payload.byteLength).getUint32(MAGIC.length + 1);
}

/** Reads a client's HELLO; throws ProtocolError for anything this side cannot speak. */
export function parseClientHello(payload: Uint8Array): ClientHello {
  const maxMessage = readPrefix(payload, CLIENT_HELLO_SIZE, "client");
  const mode = payload[13] as number;
  if (mode !== 0 && mode !== 1) throw new ProtocolError(`malformed client HELLO: unknown mode ${mode}`);
  const tag = payload.slice(14 + SID_SIZE, CLIENT_AD_SIZE);
  if (mode === 0 && tag.some((byte) => byte !== 0)) {
    throw new ProtocolError("malformed client HELLO: a mode-0 HELLO carries a zero resume_tag");
  }
  return {
    maxMessage,
    mode,
    sid: payload.slice(14, 14 + SID_SIZE),
    resumeTag: tag,
    share: payload.slice(CLIENT_AD_SIZE, CLIENT_HELLO_SIZE),
    ad: payload.slice(0, CLIENT_AD_SIZE),
  };
}

/** Reads a server's HELLO; throws ProtocolError for anything this side cannot speak. */
export function parseServerHello(payload: Uint8Array): ServerHello {
  const maxMessage = readPrefix(payload, SERVER_HELLO_SIZE, "server");
  return {
    maxMessage,
    share: payload.slice(SERVER_AD_SIZE, SERVER_AD_SIZE + SHARE_BYTES),
    confirm: payload.slice(SERVER_AD_SIZE + SHARE_BYTES, SERVER_HELLO_SIZE),
    ad: payload.slice(0, SERVER_AD_SIZE),
  };
}
