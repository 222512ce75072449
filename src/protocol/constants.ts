/**
 * The wire protocol's numbers that other implementations must agree on: version 1's frames, and the frames
 * version 2 adds (../../docs/protocol.md is the prose version of this file; change both together).
 */

/** Every frame starts with this header: type (u8), id (u32), payload length (u32), all big-endian. */
export const HEADER_SIZE = 9;

export const FrameType = {
  HELLO: 0x01,
  MSG: 0x02,
  ACK: 0x03,
  BYE: 0x04,
  BUSY: 0x05,
  PING: 0x06,
  PONG: 0x07,
  ERROR: 0x08,
  // Version 2 only.
  CONFIRM: 0x09,
  SESSION: 0x0a,
  RESUME: 0x0b,
  FILE_OFFER: 0x10,
  FILE_ANSWER: 0x11,
  FILE_ENTRY: 0x12,
  FILE_DATA: 0x13,
  FILE_SUM: 0x14,
  FILE_PROGRESS: 0x15,
  FILE_DONE: 0x16,
  FILE_CANCEL: 0x17,
} as const;
export type FrameType = (typeof FrameType)[keyof typeof FrameType];

const NAMES: Record<number, string> = Object.fromEntries(
  Object.entries(FrameType).map(([name, t]) => [t, name]),
);

/** The frame types of version 1 (HELLO to ERROR): a version-1 session refuses any other type. */
export function isFrameType(byte: number): byte is FrameType {
  return byte >= FrameType.HELLO && byte <= FrameType.ERROR;
}

/**
 * The frame types allowed inside version 2's records: version 1's without HELLO (the handshake is over),
 * SESSION and RESUME, and the file frames. CONFIRM belongs to the handshake only.
 */
export function isRecordFrameType(byte: number): byte is FrameType {
  return (
    (byte >= FrameType.MSG && byte <= FrameType.ERROR) ||
    byte === FrameType.SESSION ||
    byte === FrameType.RESUME ||
    (byte >= FrameType.FILE_OFFER && byte <= FrameType.FILE_CANCEL)
  );
}

export function frameTypeName(type: number): string {
  return NAMES[type] ?? `0x${type.toString(16).padStart(2, "0")}`;
}

/** The HELLO payload starts with these 7 ASCII bytes. */
export const MAGIC = new TextEncoder().encode("121chat");
export const PROTOCOL_VERSION = 1;
/** The encrypted protocol (docs/protocol.md, "Version 2"); version 1 only with --no-encryption. */
export const SECURE_VERSION = 2;
/** magic (7) + version (1) + max_message (4); a receiver ignores anything after these. */
export const HELLO_SIZE = MAGIC.length + 1 + 4;

/** Largest payload of any frame other than MSG; checked on the header, before the payload is buffered. */
export const MAX_CONTROL_PAYLOAD = 64 * 1024;
/** A PING carries 0 to 64 bytes, echoed back by the PONG. */
export const MAX_PING_PAYLOAD = 64;

/** The largest length the header can express. */
export const MAX_U32 = 0xffff_ffff;

/** Default for --max-message-size: the largest MSG payload this side accepts. */
export const DEFAULT_MAX_MESSAGE = 16 * 1024 * 1024;
export const DEFAULT_PORT = 7121;
