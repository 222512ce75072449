import { sha256 } from "./payloads.ts";

/**
 * The books of one direction (client→server or server→client): what was written to the sender's stdin, and
 * what the sender's and the receiver's events said about it. Message ids count 1, 2, 3, … in the order the
 * lines were written, so line k is message k; its sha256 is kept (not its bytes) and compared with the
 * sha256 of what the receiver reports for id k.
 */
export class DirectionLedger {
  written = 0;
  writtenBytes = 0;
  sentEvents = 0;
  sentBytes = 0;
  delivered = 0;
  deliveredBytes = 0;
  acked = 0;
  /** Of `acked`: acknowledged by the peer's RESUME (delivered just before a drop that took the ACK). */
  ackedBeforeDrop = 0;
  /** Problems, by kind; each should stay 0. */
  readonly faults = {
    corrupted: 0, // delivered with other bytes than were sent
    duplicated: 0, // delivered more than once
    outOfOrder: 0, // delivered with an id other than the next one
    unknownId: 0, // delivered or acknowledged with an id never sent
    duplicateAck: 0, // acknowledged more than once
    sentMismatch: 0, // a `sent` event whose id or size is not the next line's
  };
  private hashes = new Uint8Array(0);
  private sizes = new Uint32Array(0);
  private deliveries = new Uint8Array(0);
  private acks = new Uint8Array(0);
  private rtts = new Float64Array(1024);
  private rttCount = 0;
  private lastDelivered = 0;

  constructor(
    readonly name: string,
    expectedMessages: number,
  ) {
    this.grow(expectedMessages);
  }

  /** A line was written to the sender's stdin: it will be message `written`. */
  recordWritten(hash: Uint8Array, size: number): void {
    const id = ++this.written;
    if (id >= this.sizes.length) this.grow(this.sizes.length * 2);
    this.hashes.set(hash, id * 32);
    this.sizes[id] = size;
    this.writtenBytes += size;
  }

  /** The lines written that the sender has not turned into messages yet. */
  get unsentLines(): number {
    return this.written - this.sentEvents;
  }

  get unsentBytes(): number {
    return this.writtenBytes - this.sentBytes;
  }

  onSent(id: number, bytes: number): void {
    this.sentEvents++;
    if (id !== this.sentEvents || bytes !== this.sizes[id]) this.faults.sentMismatch++;
    this.sentBytes += bytes;
  }

  onMessage(id: number, payload: Uint8Array): void {
    if (!(id >= 1 && id <= this.written)) {
      this.faults.unknownId++;
      return;
    }
    if (id !== this.lastDelivered + 1) this.faults.outOfOrder++;
    this.lastDelivered = id;
    const times = this.deliveries[id] as number;
    this.deliveries[id] = Math.min(255, times + 1);
    if (times > 0) {
      this.faults.duplicated++;
      return;
    }
    const expected = this.hashes.subarray(id * 32, id * 32 + 32);
    if (payload.length !== this.sizes[id] || Buffer.compare(sha256(payload), expected) !== 0) {
      this.faults.corrupted++;
    }
    this.delivered++;
    this.deliveredBytes += payload.length;
  }

  /** An acknowledgement: by an ACK, with its round trip, or by the peer's RESUME (`rttMs` null). */
  onAck(id: number, rttMs: number | null): void {
    if (!(id >= 1 && id <= this.written)) {
      this.faults.unknownId++;
      return;
    }
    const times = this.acks[id] as number;
    this.acks[id] = Math.min(255, times + 1);
    if (times > 0) {
      this.faults.duplicateAck++;
      return;
    }
    this.acked++;
    if (rttMs === null) {
      this.ackedBeforeDrop++;
      return;
    }
    if (this.rttCount === this.rtts.length) {
      const bigger = new Float64Array(this.rtts.length * 2);
      bigger.set(this.rtts);
      this.rtts = bigger;
    }
    this.rtts[this.rttCount++] = rttMs;
  }

  /** Every line written has been sent, delivered and acknowledged. */
  get settled(): boolean {
    return this.sentEvents === this.written && this.delivered === this.written && this.acked === this.written;
  }

  /** Messages written and never delivered; acknowledgements never received. */
  get lost(): number {
    return this.written - this.delivered;
  }

  get unacked(): number {
    return this.written - this.acked;
  }

  roundTrips(): Float64Array {
    return this.rtts.subarray(0, this.rttCount);
  }

  private grow(messages: number): void {
    const capacity = Math.max(1024, messages + 1);
    const grown = <T extends Uint8Array | Uint32Array>(old: T, make: (n: number) => T, perId = 1): T => {
      const next = make(capacity * perId);
      next.set(old as never);
      return next;
    };
    this.hashes = grown(this.hashes, (n) => new Uint8Array(n), 32);
    this.sizes = grown(this.sizes, (n) => new Uint32Array(n));
    this.deliveries = grown(this.deliveries, (n) => new Uint8Array(n));
    this.acks = grown(this.acks, (n) => new Uint8Array(n));
  }
}
