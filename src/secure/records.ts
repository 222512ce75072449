import { createCipheriv, createDecipheriv } from "node:crypto";
import { release, uninitialized } from "../protocol/bytes.ts";
import { readU32 } from "../protocol/decoder.ts";
import { IntegrityError } from "../protocol/errors.ts";
import { type DirectionKeys, IV_SIZE, nextKey } from "./key-schedule.ts";

/**
 * The record layer of protocol version 2 (section 2): after the handshake, each direction is a sequence of
 * records, `length u32 · AES-256-GCM(key, nonce, aad = the 4 length bytes, plaintext)`, where length counts
 * the ciphertext and its 16-byte tag. The nonce is the direction's IV XOR the record's sequence number
 * (0, 1, 2, … per connection), so a record that is dropped, repeated or moved fails authentication just like
 * one that was altered. Pure: bytes in, bytes out.
 */

export const RECORD_HEADER = 4;
export const TAG_SIZE = 16;
export const MAX_PLAINTEXT = 65536;
export const MIN_RECORD = TAG_SIZE + 1;
export const MAX_RECORD = MAX_PLAINTEXT + TAG_SIZE;
/** After this many records in a direction, its key is replaced by the next one (the IV stays). */
export const RECORDS_PER_KEY = 2 ** 24;

/** The nonce of record `seq`: iv XOR (4 zero bytes ‖ seq as u64 big-endian). */
export function recordNonce(iv: Uint8Array, seq: number): Uint8Array {
  const nonce = iv.slice(0, IV_SIZE);
  writeNonce(nonce, iv, seq);
  return nonce;
}

/** Writes the nonce of record `seq` into `nonce` (whose first 4 bytes are the IV's already). */
function writeNonce(nonce: Uint8Array, iv: Uint8Array, seq: number): void {
  const high = Math.floor(seq / 2 ** 32);
  const low = seq >>> 0;
  nonce[4] = (iv[4] as number) ^ (high >>> 24);
  nonce[5] = (iv[5] as number) ^ ((high >>> 16) & 0xff);
  nonce[6] = (iv[6] as number) ^ ((high >>> 8) & 0xff);
  nonce[7] = (iv[7] as number) ^ (high & 0xff);
  nonce[8] = (iv[8] as number) ^ (low >>> 24);
  nonce[9] = (iv[9] as number) ^ ((low >>> 16) & 0xff);
  nonce[10] = (iv[10] as number) ^ ((low >>> 8) & 0xff);
  nonce[11] = (iv[11] as number) ^ (low & 0xff);
}

/**
 * One direction's key, IV and sequence number, with the key update every RECORDS_PER_KEY records.
 *
 * Per record it allocates nothing: `next` writes the record's nonce into one buffer (node:crypto copies key
 * and IV when a cipher is made, so the buffer can be overwritten for the next), and key and nonce are Buffers
 * already (a Uint8Array is converted on every createCipheriv call). AES-GCM's key setup per record is
 * node:crypto's way and stays.
 */
class DirectionState {
  /** The key and nonce of the record `next` last prepared. */
  key: Buffer;
  readonly nonce: Buffer;
  private readonly iv: Uint8Array;
  private seq = 0;

  constructor(
    keys: DirectionKeys,
    private readonly recordsPerKey: number,
  ) {
    this.key = Buffer.from(keys.key);
    this.iv = keys.iv.slice(0, IV_SIZE);
    this.nonce = Buffer.from(this.iv);
  }

  /** Prepares `key` and `nonce` for the next record; advances the sequence number. */
  next(): void {
    const seq = this.seq;
    if (seq > 0 && seq % this.recordsPerKey === 0) this.key = Buffer.from(nextKey(this.key));
    writeNonce(this.nonce, this.iv, seq);
    this.seq = seq + 1;
  }

  get sequence(): number {
    return this.seq;
  }
}

export interface RecordOptions {
  /** Test seam: a smaller key-update interval, so the update can be exercised without 16 million records. */
  recordsPerKey?: number;
}

/**
 * A piece of plaintext at least this long that would straddle two records is moved whole into the next record
 * instead (when it fits in one): see RecordSealer.
 */
export const WHOLE_PIECE = 16 * 1024;

/**
 * Seals this side's outgoing plaintext into records. Many small frames share one record (one seal, not one
 * per frame: that is what keeps pipelined messages cheap), and a large payload is cut into 64 KiB records.
 *
 * Records are filled greedily, with one exception: a large piece (at least WHOLE_PIECE bytes: the payload of
 * a FILE_DATA or a large MSG, which the frame writer hands over by reference) that does not fit in what is
 * left of the current record, but fits whole in a record of its own, ends the current record early and
 * starts the next one. So a FILE_DATA payload of up to 64 KiB lies whole inside one record, and the receiver
 * hands it on where it lies instead of collecting it from two records (a copy per 64 KiB).
 */
export class RecordSealer {
  private readonly direction: DirectionState;
  /** The record header being written, also its AAD (a Buffer: node:crypto takes it without converting). */
  private readonly header = Buffer.alloc(RECORD_HEADER);
  /** Output buffers of SPARE_OUTPUT bytes written out and given back (`recycle`), for the next large seal. */
  private readonly spare: Uint8Array[] = [];

  constructor(keys: DirectionKeys, options: RecordOptions = {}) {
    this.direction = new DirectionState(keys, options.recordsPerKey ?? RECORDS_PER_KEY);
  }

  /** Records written so far. */
  get records(): number {
    return this.direction.sequence;
  }

  /**
   * Seals `chunks` (the plaintext, in order, split anywhere) into records as above, and returns the bytes to
   * send: one array holding all of them.
   */
  seal(chunks: readonly Uint8Array[]): Uint8Array {
    let total = 0;
    for (const chunk of chunks) total += chunk.length;
    if (total === 0) return new Uint8Array(0);
    // One record (the usual case for chat): every piece fits, nothing to plan.
    const plan = total <= MAX_PLAINTEXT ? null : planRecords(chunks);
    let size = 0;
    if (plan === null) size = RECORD_HEADER + total + TAG_SIZE;
    else for (const length of plan) size += RECORD_HEADER + length + TAG_SIZE;
    // Bulk output goes into a buffer of SPARE_OUTPUT that can be used again once written out, not zeroed
    // first (every byte of it is written below); small output into a plain new array (cheaper at that size).
    const out =
      size >= SPARE_FROM && size <= SPARE_OUTPUT
        ? (this.spare.pop() ?? uninitialized(SPARE_OUTPUT)).subarray(0, size)
        : size >= SPARE_FROM
          ? uninitialized(size)
          : new Uint8Array(size);
    const direction = this.direction;
    let at = 0;
    let chunkIndex = 0;
    let chunkOffset = 0;
    const records = plan === null ? 1 : plan.length;
    for (let r = 0; r < records; r++) {
      const length = plan === null ? total : (plan[r] as number);
      const header = this.header;
      writeU32(header, length + TAG_SIZE);
      out[at] = header[0] as number;
      out[at + 1] = header[1] as number;
      out[at + 2] = header[2] as number;
      out[at + 3] = header[3] as number;
      direction.next();
      // The tag is 16 bytes, GCM's default (giving authTagLength costs ~0.5 µs per record in Bun).
      const cipher = createCipheriv("aes-256-gcm", direction.key, direction.nonce);
      cipher.setAAD(header);
      at += RECORD_HEADER;
      // The record's plaintext may come from several chunks: each piece goes through the same cipher.
      let need = length;
      while (need > 0) {
        const chunk = chunks[chunkIndex] as Uint8Array;
        const take = Math.min(need, chunk.length - chunkOffset);
        const piece = take === chunk.length ? chunk : chunk.subarray(chunkOffset, chunkOffset + take);
        const encrypted = cipher.update(piece);
        out.set(encrypted, at);
        at += encrypted.length;
        // Copied: a large one's memory is reused at once instead of waiting for the collector.
        release(encrypted);
        need -= take;
        chunkOffset += take;
        if (chunkOffset === chunk.length) {
          chunkIndex++;
          chunkOffset = 0;
        }
      }
      const rest = cipher.final();
      if (rest.length > 0) {
        out.set(rest, at);
        at += rest.length;
      }
      out.set(cipher.getAuthTag(), at);
      at += TAG_SIZE;
    }
    return out;
  }

  /**
   * `output`, an array `seal` gave, has been written out whole: its buffer is kept for a later seal (bulk
   * output), or released.
   */
  recycle(output: Uint8Array): void {
    if (output.length < SPARE_FROM) return; // left to the collector (and `buffer` not asked for: see release)
    const buffer = output.buffer;
    if (
      output.byteOffset === 0 &&
      buffer.byteLength === SPARE_OUTPUT &&
      buffer instanceof ArrayBuffer &&
      this.spare.length < SPARE_KEPT &&
      !this.spare.some((kept) => kept.buffer === buffer)
    ) {
      this.spare.push(new Uint8Array(buffer));
    } else release(output);
  }
}

/** Sealed output of this size or more goes into reusable buffers of SPARE_OUTPUT bytes (see RecordSealer). */
const SPARE_FROM = 64 * 1024;
/** Enough for one pull of bulk data (the live session's 256 KiB) in records, with room to spare. */
const SPARE_OUTPUT = 320 * 1024;
const SPARE_KEPT = 4;

/**
 * The plaintext length of each record that `chunks` are sealed into: filled greedily up to MAX_PLAINTEXT,
 * except that a piece of WHOLE_PIECE or more that would straddle two records, and fits in one, starts a
 * record of its own (see RecordSealer).
 */
export function planRecords(chunks: readonly Uint8Array[]): number[] {
  const plan: number[] = [];
  let filled = 0;
  for (const chunk of chunks) {
    let left = chunk.length;
    if (filled > 0 && left > MAX_PLAINTEXT - filled && left >= WHOLE_PIECE && left <= MAX_PLAINTEXT) {
      plan.push(filled);
      filled = 0;
    }
    while (left > 0) {
      const take = Math.min(left, MAX_PLAINTEXT - filled);
      filled += take;
      left -= take;
      if (filled === MAX_PLAINTEXT) {
        plan.push(filled);
        filled = 0;
      }
    }
  }
  if (filled > 0) plan.push(filled);
  return plan;
}

/**
 * Opens the peer's records as their bytes arrive, split anywhere. A record's plaintext is handed out only
 * once its tag has been checked; a record that fails, or announces an impossible length, throws
 * IntegrityError, and nothing of it is handed out. It holds at most one record (64 KiB + 20 bytes).
 */
export class RecordOpener {
  private readonly direction: DirectionState;
  /** The current record's header (its AAD): a Buffer, which node:crypto takes without converting it. */
  private readonly header = Buffer.alloc(RECORD_HEADER);
  private headerFill = 0;
  private body: Uint8Array | null = null;
  private bodyFill = 0;
  /**
   * Where a record that arrives in pieces is gathered: one buffer for the opener's life, since decrypting
   * gives the plaintext in an array of its own and nothing keeps the ciphertext afterwards.
   */
  private scratch: Uint8Array | null = null;
  private failed: IntegrityError | null = null;

  constructor(keys: DirectionKeys, options: RecordOptions = {}) {
    this.direction = new DirectionState(keys, options.recordsPerKey ?? RECORDS_PER_KEY);
  }

  /** Bytes held of a record not yet complete (its header counts once complete, while the body comes). */
  get bufferedBytes(): number {
    return this.body === null ? this.headerFill : RECORD_HEADER + this.bodyFill;
  }

  /** Records opened so far. */
  get records(): number {
    return this.direction.sequence;
  }

  /**
   * Feeds received bytes and hands out the plaintext of each record they complete, in order, as soon as its
   * tag has checked: the records before a failing one in the same chunk are handed out before it throws.
   */
  open(chunk: Uint8Array, deliver: (plaintext: Uint8Array) => void): void {
    if (this.failed) throw this.failed;
    try {
      this.read(chunk, deliver);
    } catch (error) {
      if (error instanceof IntegrityError) {
        this.failed = error;
        this.body = null;
      }
      throw error;
    }
  }

  private read(chunk: Uint8Array, deliver: (plaintext: Uint8Array) => void): void {
    let pos = 0;
    while (pos < chunk.length) {
      if (this.body === null) {
        if (this.headerFill === 0 && chunk.length - pos >= RECORD_HEADER) {
          const length = checkedLength(chunk, pos);
          const end = pos + RECORD_HEADER + length;
          if (end <= chunk.length) {
            // Fast path: the whole record lies in this chunk.
            copyHeader(chunk, pos, this.header);
            deliver(this.decrypt(chunk, pos + RECORD_HEADER, end));
            pos = end;
            continue;
          }
          copyHeader(chunk, pos, this.header);
          pos += RECORD_HEADER;
          this.body = this.bodyOf(length);
          this.bodyFill = 0;
        } else {
          const take = Math.min(RECORD_HEADER - this.headerFill, chunk.length - pos);
          this.header.set(chunk.subarray(pos, pos + take), this.headerFill);
          this.headerFill += take;
          pos += take;
          if (this.headerFill < RECORD_HEADER) break;
          this.headerFill = 0;
          this.body = this.bodyOf(checkedLength(this.header, 0));
          this.bodyFill = 0;
        }
      }
      const body = this.body as Uint8Array;
      const take = Math.min(body.length - this.bodyFill, chunk.length - pos);
      body.set(chunk.subarray(pos, pos + take), this.bodyFill);
      this.bodyFill += take;
      pos += take;
      if (this.bodyFill === body.length) {
        this.body = null;
        this.bodyFill = 0;
        deliver(this.decrypt(body, 0, body.length));
      }
    }
  }

  private bodyOf(length: number): Uint8Array {
    this.scratch ??= new Uint8Array(MAX_RECORD);
    return this.scratch.subarray(0, length);
  }

  /** The record whose header is in `this.header` and whose body is `source` from `start` to `end`. */
  private decrypt(source: Uint8Array, start: number, end: number): Uint8Array {
    const direction = this.direction;
    direction.next();
    const ciphertextEnd = end - TAG_SIZE;
    // The tag handed to setAuthTag is always TAG_SIZE bytes (cut here), so no shorter tag is ever accepted.
    const decipher = createDecipheriv("aes-256-gcm", direction.key, direction.nonce);
    decipher.setAAD(this.header);
    decipher.setAuthTag(source.subarray(ciphertextEnd, end));
    const plaintext = decipher.update(source.subarray(start, ciphertextEnd));
    try {
      decipher.final(); // throws when the tag does not match: then the plaintext above is dropped
    } catch {
      throw new IntegrityError("integrity check failed (corrupted or tampered with)");
    }
    return plaintext;
  }
}

/** The record length at `at`, refused when outside 17–65552. */
function checkedLength(bytes: Uint8Array, at: number): number {
  const length = readU32(bytes, at);
  if (length < MIN_RECORD || length > MAX_RECORD) {
    throw new IntegrityError(
      `integrity check failed (corrupted or tampered with): record length ${length} is outside ${MIN_RECORD}–${MAX_RECORD}`,
    );
  }
  return length;
}

function copyHeader(source: Uint8Array, at: number, header: Uint8Array): void {
  header[0] = source[at] as number;
  header[1] = source[at + 1] as number;
  header[2] = source[at + 2] as number;
  header[3] = source[at + 3] as number;
}

function writeU32(target: Uint8Array, value: number): void {
  target[0] = value >>> 24;
  target[1] = (value >>> 16) & 0xff;
  target[2] = (value >>> 8) & 0xff;
  target[3] = value & 0xff;
}
