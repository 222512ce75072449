import type { Bytes } from "../protocol/bytes.ts";

/** A message this side sent (or queued to send) and the peer has not acknowledged yet. */
export interface PendingMessage {
  id: number;
  /**
   * Monotonic time (ms) at which its frame was last handed to a connection; null while it waits for one
   * (queued during an outage, or waiting for the peer's RESUME).
   */
  sentAt: number | null;
  payload: Bytes;
}

/**
 * Messages awaiting their ACK, in the order they were sent (ids are given in that order). A Map keeps
 * insertion order, so listing them, resending them and forgetting the oldest need no sorting.
 */
export class PendingAcks {
  private readonly byId = new Map<number, PendingMessage>();

  get size(): number {
    return this.byId.size;
  }

  add(id: number, sentAt: number | null, payload: Bytes): void {
    this.byId.set(id, { id, sentAt, payload });
  }

  /** The pending message `id`, or undefined. Its `sentAt` may be updated in place (when it is sent again). */
  get(id: number): PendingMessage | undefined {
    return this.byId.get(id);
  }

  /** The oldest message, or undefined when none is pending. */
  oldest(): PendingMessage | undefined {
    for (const message of this.byId.values()) return message;
    return undefined;
  }

  /** Removes and returns the message `id` acknowledges, or undefined for an id that is not pending. */
  settle(id: number): PendingMessage | undefined {
    const pending = this.byId.get(id);
    if (pending) this.byId.delete(id);
    return pending;
  }

  /** Removes and returns the messages from the oldest through `id`, in send order (`id` must be pending). */
  settleThrough(id: number): PendingMessage[] {
    const settled: PendingMessage[] = [];
    for (const message of this.byId.values()) {
      settled.push(message);
      if (message.id === id) break;
    }
    for (const message of settled) this.byId.delete(message.id);
    return settled;
  }

  list(): PendingMessage[] {
    return [...this.byId.values()];
  }
}
