/**
 * A byte sequence in one of three shapes, so that bytes can be passed on where they lie instead of being
 * copied, joined or viewed: one array; a range of a larger array (a payload inside a received chunk); or
 * several arrays in order (the pieces a large message was read or received in). All three have a `length`,
 * the number of bytes; code that needs one flat array asks `flat()` for it.
 */
export type Bytes = Uint8Array | ByteRange | ByteParts;

/**
 * `length` bytes of `source` from `start`, described rather than viewed. The decoder hands out every payload
 * that lies whole in a received chunk like this: making a Uint8Array view of it cost more (~30 ns in
 * JavaScriptCore, and garbage) than anything else a small message needs on its way (docs/performance.md).
 */
export class ByteRange {
  constructor(
    readonly source: Uint8Array,
    readonly start: number,
    readonly length: number,
  ) {}

  /** The bytes as a view of the source (no copy). */
  view(): Uint8Array {
    return this.source.subarray(this.start, this.start + this.length);
  }
}

/**
 * Several byte arrays that together form one byte sequence. Joining the pieces of a 256 MiB message into one
 * array is a copy into 256 MiB of fresh memory (a page fault per 4 KiB), so they are passed on as they are.
 */
export class ByteParts {
  /** The bytes of all parts together. */
  readonly length: number;

  constructor(readonly parts: readonly Uint8Array[]) {
    let length = 0;
    for (const part of parts) length += part.length;
    this.length = length;
  }

  /** The bytes as one fresh array: a copy of every part. */
  join(): Uint8Array {
    const out = new Uint8Array(this.length);
    let at = 0;
    for (const part of this.parts) {
      out.set(part, at);
      at += part.length;
    }
    return out;
  }
}

/** The bytes as one array: `bytes` itself, a view of the range, or the parts joined (a copy). */
export function flat(bytes: Bytes): Uint8Array {
  if (bytes instanceof Uint8Array) return bytes;
  return bytes instanceof ByteRange ? bytes.view() : bytes.join();
}

/** The first `max` bytes (all of them when there are fewer) as one array, copying at most those. */
export function prefix(bytes: Bytes, max: number): Uint8Array {
  if (bytes instanceof ByteParts) {
    return bytes.length <= max ? bytes.join() : new ByteParts(firstParts(bytes.parts, max)).join();
  }
  const array = flat(bytes);
  return array.length > max ? array.subarray(0, max) : array;
}

/** Views of `parts` covering their first `max` bytes. */
function firstParts(parts: readonly Uint8Array[], max: number): Uint8Array[] {
  const taken: Uint8Array[] = [];
  let left = max;
  for (const part of parts) {
    if (left === 0) break;
    const piece = part.length > left ? part.subarray(0, left) : part;
    taken.push(piece);
    left -= piece.length;
  }
  return taken;
}

/**
 * A plain Uint8Array (not a Buffer, whose `slice` is a view) of `length` bytes, not zeroed: for output that is
 * written whole before anyone reads it. Zeroing 1 GiB of record buffers costs about 0.1 s of CPU.
 */
export function uninitialized(length: number): Uint8Array {
  return new Uint8Array(Buffer.allocUnsafeSlow(length).buffer, 0, length);
}

/**
 * Gives the memory of `bytes` back at once instead of leaving it to the garbage collector, when `bytes` is the
 * whole of its buffer (detaching the buffer: any other view of it becomes empty). Only for arrays nothing
 * else holds: a received chunk that the secure channel has opened, a sealed output the socket has taken.
 * JavaScriptCore collects large buffers late: a bulk transfer otherwise keeps tens of MiB of them waiting
 * (docs/performance.md), and each new one is fresh memory, a page fault per 4 KiB.
 */
export function release(bytes: Uint8Array): void {
  // The length first: asking a small array for its `buffer` makes JavaScriptCore give it one (~0.3 µs).
  if (bytes.length >= RELEASE_FROM && ownsBuffer(bytes)) releaseBuffer(bytes.buffer);
}

/**
 * Whether `bytes` has its buffer to itself: the whole of it, or all but a few spare bytes at its end (what
 * node:crypto's `update` gives: 64 KiB of output in a buffer of 64 KiB + 1). Never a slice of Buffer's shared
 * pool (only arrays under 4 KiB come from it) nor a view into a larger array.
 */
export function ownsBuffer(bytes: Uint8Array): boolean {
  const spare = bytes.buffer.byteLength - bytes.byteLength;
  return (
    bytes.byteOffset === 0 && (spare === 0 || (spare <= SPARE_BYTES && bytes.byteLength >= POOLED_BELOW))
  );
}

const SPARE_BYTES = 64;
const POOLED_BELOW = 4096;

/**
 * Detaches `buffer` (see `release`); the caller knows that nothing else uses it. Buffers under
 * RELEASE_FROM are left to the collector: detaching costs ~0.6 µs, more than collecting a small one.
 */
export function releaseBuffer(buffer: ArrayBufferLike): void {
  if (buffer instanceof ArrayBuffer && buffer.byteLength >= RELEASE_FROM && !buffer.detached)
    buffer.transfer(0);
}

const RELEASE_FROM = 16 * 1024;

const textEncoder = new TextEncoder();

/** The UTF-8 bytes of `text` (reasons in BYE, ERROR and BUSY; codes). */
export const encodeText = (text: string): Uint8Array => textEncoder.encode(text);
