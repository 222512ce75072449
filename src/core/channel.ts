/**
 * What lies between the socket's bytes and the session's frames. Version 1 has nothing there (the bytes are
 * the frames); version 2 has its records, which the session never looks into: it hands received bytes to
 * `open` and the frames it writes to `seal`. A session keeps its channel for one connection; a resumed
 * session gets the new connection's channel.
 */
export interface Channel {
  /** Whether what goes through is encrypted and authenticated (shown to the user, and in JSON). */
  readonly encrypted: boolean;
  /** Passes on the plaintext that `chunk` completes, in order. Throws IntegrityError: then nothing of it. */
  open(chunk: Uint8Array, deliver: (plaintext: Uint8Array) => void): void;
  /** The bytes to send for `frames` (the session's output, in order). */
  seal(frames: Uint8Array[]): Uint8Array[];
  /**
   * True when `open` keeps nothing of the chunks it is given and `seal`'s output shares no memory with its
   * input or with anything else: then the owner of a chunk may release it once `open` returned, and the
   * transport may release sealed output once it is written (see `release` in protocol/bytes.ts).
   */
  readonly copies?: boolean;
  /**
   * The transport has written all of `output` (an array `seal` gave, when `copies`): its memory is free. A
   * channel may keep it for later output; otherwise it is released.
   */
  recycle?(output: Uint8Array): void;
}

/** Version 1: the bytes are the frames. */
export const PLAIN_CHANNEL: Channel = {
  encrypted: false,
  open: (chunk, deliver) => deliver(chunk),
  seal: (frames) => frames,
};
