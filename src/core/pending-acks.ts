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

/** What the session keeps of a pending message besides what it reports. */
export interface PendingEntry extends PendingMessage {
  /** When it was given to the session to send (ms): the user's Enter, say. */
  givenAt: number;
  /** It was not sent at once (given during an outage), or had to be sent again after one. */
  waited: boolean;
}

/**
 * Messages awaiting their ACK, in the order they were sent (ids are given in that order). A Map keeps
 * insertion order, so listing them, resending them and forgetting the oldest need no sorting.
 */
export class PendingAcks {
  private readonly byId = new Map<number, PendingEntry>();

  get size(): number {
    return this.byId.size;
  }

  /** A message given at `givenAt`, sent then (`sentAt`), or null when it has to wait for a connection. */
  add(id: number, sentAt: number | null, payload: Bytes, givenAt: number): void {
    this.byId.set(id, { id, sentAt, payload, givenAt, waited: sentAt === null });
  }

  /** The pending message `id`, or undefined. Its `sentAt` may be updated in place (when it is sent again). */
  get(id: number): PendingEntry | undefined {
    return this.byId.get(id);
  }

  /** The oldest message, or undefined when none is pending. */
  oldest(): PendingEntry | undefined {
    for (const message of this.byId.values()) return message;
    return undefined;
  }

  /** Removes and returns the message `id` acknowledges, or undefined for an id that is not pending. */
  settle(id: number): PendingEntry | undefined {
    const pending = this.byId.get(id);
    if (pending) this.byId.delete(id);
    return pending;
  }

  /** Removes and returns the messages from the oldest through `id`, in send order (`id` must be pending). */
  settleThrough(id: number): PendingEntry[] {
    const settled: PendingEntry[] = [];
    for (const message of this.byId.values()) {
      settled.push(message);
      if (message.id === id) break;
    }
    for (const message of settled) this.byId.delete(message.id);
    return settled;
  }

  list(): PendingEntry[] {
    return [...this.byId.values()];
  }
}
