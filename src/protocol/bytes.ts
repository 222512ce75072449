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
