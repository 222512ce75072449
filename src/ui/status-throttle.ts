/**
 * Rate limit for the status line: a transfer may report progress thousands of times a second, and each
 * redraw rewrites the bottom of the screen. At most one change is shown per interval; a change within the
 * interval is held, replaced by any later one, and shown when the interval is over, so that the latest
 * value always appears eventually and nothing older ever replaces it.
 */

export interface Clock {
  now(): number;
  /** Calls `fn` after `ms`; must not keep the process alive. Returns a cancel function. */
  later(fn: () => void, ms: number): () => void;
}

export const systemClock: Clock = {
  now: () => performance.now(),
  later(fn, ms) {
    const timer = setTimeout(fn, ms);
    timer.unref?.();
    return () => clearTimeout(timer);
  },
};

export class StatusThrottle<T> {
  private lastShownAt = Number.NEGATIVE_INFINITY;
  private held: { value: T } | null = null;
  private cancel: (() => void) | null = null;

  constructor(
    private readonly show: (value: T) => void,
    private readonly intervalMs: number,
    private readonly clock: Clock = systemClock,
  ) {}

  /** Shows `value` now if the last change shown is old enough, otherwise as soon as it is. */
  set(value: T): void {
    const wait = this.lastShownAt + this.intervalMs - this.clock.now();
    if (wait <= 0 && this.cancel === null) {
      this.emit(value);
      return;
    }
    this.held = { value };
    this.cancel ??= this.clock.later(
      () => {
        this.cancel = null;
        const held = this.held;
        this.held = null;
        if (held) this.emit(held.value);
      },
      Math.max(0, wait),
    );
  }

  /** Forgets a held value without showing it (the screen is going away). */
  stop(): void {
    this.cancel?.();
    this.cancel = null;
    this.held = null;
  }

  private emit(value: T): void {
    this.lastShownAt = this.clock.now();
    this.show(value);
  }
}
