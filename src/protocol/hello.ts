import { HELLO_SIZE, MAGIC, MAX_U32, PROTOCOL_VERSION, SECURE_VERSION } from "./constants.ts";
import { ProtocolError } from "./errors.ts";

export interface Hello {
  version: number;
  /** The largest MSG payload the sender of this HELLO accepts. */
  maxMessage: number;
}

export function encodeHello(maxMessage: number): Uint8Array {
  if (!Number.isInteger(maxMessage) || maxMessage < 0 || maxMessage > MAX_U32) {
    throw new RangeError(`max_message must be an integer from 0 to ${MAX_U32}, got ${maxMessage}`);
  }
  const out = new Uint8Array(HELLO_SIZE);
  out.set(MAGIC, 0);
  out[MAGIC.length] = PROTOCOL_VERSION;
  new DataView(out.buffer).setUint32(MAGIC.length + 1, maxMessage);
  return out;
}

/** Reads a HELLO payload; throws ProtocolError for anything this side cannot speak. Extra bytes are ignored. */
export function parseHello(payload: Uint8Array): Hello {
  if (payload.length < HELLO_SIZE) {
    throw new ProtocolError(`malformed HELLO: ${payload.length} bytes, expected at least ${HELLO_SIZE}`);
  }
  for (let i = 0; i < MAGIC.length; i++) {
    if (payload[i] !== MAGIC[i]) {
      throw new ProtocolError(
        `unsupported protocol (HELLO lacks the "121chat" magic), this side speaks ${PROTOCOL_VERSION}`,
      );
    }
  }
  const version = payload[MAGIC.length] as number;
  if (version === SECURE_VERSION) throw new ProtocolError(VERSION_MISMATCH);
  if (version !== PROTOCOL_VERSION) {
    throw new ProtocolError(`unsupported protocol version ${version}, this side speaks ${PROTOCOL_VERSION}`);
  }
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  return { version, maxMessage: view.getUint32(MAGIC.length + 1) };
}

/**
 * What either version says to a peer of the other (one side runs with --no-encryption), and shows its own
 * user: both must learn which flag to change, and neither may fall back silently.
 */
export const VERSION_MISMATCH =
  "protocol version mismatch: one side runs with --no-encryption (version 1, plaintext) and the other " +
  "without it (version 2, encrypted); use --no-encryption on both sides, or on neither";
