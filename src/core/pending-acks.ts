import type { Bytes } from "../protocol/bytes.ts";

/** A message this side sent and the peer has not acknowledged yet. */
export interface PendingMessage {
  id: number;
  /** Monotonic time (ms) at which its frame was handed to the transport. */
  sentAt: number;
  payload: Bytes;
}

/**
 * Messages awaiting their ACK, in the order they were sent. A Map keeps insertion order, so listing the
 * unacknowledged ones at the end of a session needs no sorting.
 */
export class PendingAcks {
  private readonly byId = new Map<number, PendingMessage>();

  get size(): number {
    return this.byId.size;
  }

  add(id: number, sentAt: number, payload: Bytes): void {
    this.byId.set(id, { id, sentAt, payload });
  }

  /** Removes and returns the message `id` acknowledges, or undefined for an id that is not pending. */
  settle(id: number): PendingMessage | undefined {
    const pending = this.byId.get(id);
    if (pending) this.byId.delete(id);
    return pending;
  }

  list(): PendingMessage[] {
    return [...this.byId.values()];
  }
}
