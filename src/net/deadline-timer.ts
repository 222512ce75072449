/** The monotonic clock every pure state machine here is given (ms). */
export const now = (): number => performance.now();

/**
 * One timer kept at (or before) a state machine's deadline. A deadline that moved later is not chased: the
 * machine is ticked at the earlier time, finds nothing due, and gives its new deadline. That keeps a busy
 * session (whose deadline moves with every byte received) from resetting a timer per chunk.
 */
export class DeadlineTimer {
  private timer: ReturnType<typeof setTimeout> | null = null;
  private at = Number.POSITIVE_INFINITY;

  constructor(private readonly onDue: () => void) {}

  set(deadline: number): void {
    if (deadline >= this.at) return;
    this.clear();
    if (deadline === Number.POSITIVE_INFINITY) return;
    this.at = deadline;
    this.timer = setTimeout(
      () => {
        this.timer = null;
        this.at = Number.POSITIVE_INFINITY;
        this.onDue();
      },
      Math.max(0, deadline - now()),
    );
  }

  clear(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.at = Number.POSITIVE_INFINITY;
  }
}
