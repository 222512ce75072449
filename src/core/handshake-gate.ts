/**
 * Which waiting handshake the server answers next (protocol-v2 section 1): one at a time, in turn by source
 * address (round robin), and, after a failed try, not before a cool-down. So each guess of a code costs one
 * full attempt and at least a second however many connections an attacker opens, and an honest client waits
 * at most about one turn per other waiting address. Pure: items, addresses and the time in, decisions out.
 */
export class HandshakeGate<T> {
  /** Waiting items by address; the Map's order is the round-robin ring (its first address is served next). */
  private readonly waiting = new Map<string, T[]>();
  private answeredItem: T | null = null;
  private notBefore = Number.NEGATIVE_INFINITY;

  constructor(private readonly cooldownMs = 1000) {}

  /** The item answered and not yet settled, if any. */
  get answered(): T | null {
    return this.answeredItem;
  }

  /** How many wait for their turn. */
  get waitingCount(): number {
    let count = 0;
    for (const queue of this.waiting.values()) count += queue.length;
    return count;
  }

  enqueue(item: T, address: string): void {
    const queue = this.waiting.get(address);
    if (queue) queue.push(item);
    else this.waiting.set(address, [item]);
  }

  /** Forgets a waiting item (its connection closed or timed out before its turn). */
  remove(item: T): void {
    for (const [address, queue] of this.waiting) {
      const at = queue.indexOf(item);
      if (at === -1) continue;
      queue.splice(at, 1);
      if (queue.length === 0) this.waiting.delete(address);
      return;
    }
  }

  /**
   * The item to answer now, taken out of the queue and marked answered; null while one is answered, none
   * waits, or the cool-down after a failure runs (see `deadline`). The address served goes to the back of
   * the ring, behind every other address with someone waiting.
   */
  next(now: number): T | null {
    if (this.answeredItem !== null || now < this.notBefore) return null;
    const first = this.waiting.entries().next();
    if (first.done) return null;
    const [address, queue] = first.value;
    const item = queue.shift() as T;
    this.waiting.delete(address);
    if (queue.length > 0) this.waiting.set(address, queue);
    this.answeredItem = item;
    return item;
  }

  /** The answered item's handshake ended; a failure starts the cool-down. */
  settled(item: T, ok: boolean, now: number): void {
    if (item !== this.answeredItem) return;
    this.answeredItem = null;
    if (!ok) this.notBefore = now + this.cooldownMs;
  }

  /** When `next` may give an item that it cannot give now (the end of a cool-down); Infinity otherwise. */
  deadline(now: number): number {
    if (this.answeredItem !== null || this.waiting.size === 0 || now >= this.notBefore) {
      return Number.POSITIVE_INFINITY;
    }
    return this.notBefore;
  }
}
