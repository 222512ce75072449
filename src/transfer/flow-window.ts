/**
 * How much file data a sender may have out: bytes sent but not yet reported written by the receiver's
 * FILE_PROGRESS (protocol-v2 section 4). The window has two jobs that pull in opposite directions:
 *
 * - keep the link busy: enough in flight to cover a round trip at the rate the receiver keeps up with;
 * - keep chat responsive: a MSG sent now queues behind everything in flight on this side (the socket
 *   buffer, the network), so that must stay near one round trip, not seconds of file data.
 *
 * It sizes itself from what the reports show: the delivery rate and the shortest delay between sending a
 * byte and hearing it was written (the base round trip), and allows rate × (base + a small target queue).
 *
 * The spec's floor is 1 MiB, because FILE_PROGRESS need only come every 256 KiB: a smaller window could wait
 * forever for a report. When the receiver's reports come in small steps (121chat's do on a slow link:
 * about every 64 KiB written; a step can be a little more when several writes finish together), the floor
 * drops to twice that step, so a 20 Mbit/s link does not hold 1 MiB (half a second) of data in front of every
 * message. If the window ever stalls (full, and no report for a while), the floor goes back to 1 MiB for
 * good: a receiver that reports coarsely is never starved.
 *
 * The base delay is only as good as the send times it is measured against: bytes sent together share one
 * checkpoint, so a checkpoint covers at most CHECKPOINT_SPAN bytes. (With one checkpoint per millisecond, the
 * first burst of a transfer was one checkpoint of 256 KiB, whose last byte waited behind the rest: on a
 * 20 Mbit/s link the base delay came out at 100 ms instead of ~27, and the window kept that much queued.)
 */

export const SPEC_FLOOR = 1024 * 1024;
/** The receiver's fine report step (121chat's): the floor is twice this while reports are fine-grained… */
export const FINE_REPORT = 64 * 1024;
export const FINE_FLOOR = 2 * FINE_REPORT;
/** …which they are while report steps stay within this (a step is sometimes a write or two over 64 KiB). */
export const FINE_STEP = FINE_REPORT + FINE_REPORT / 2;
/** The most bytes sent within a millisecond that share one send-time checkpoint. */
export const CHECKPOINT_SPAN = 16 * 1024;
export const MAX_WINDOW = 16 * 1024 * 1024;
/** The queue allowed on top of the base round trip. */
export const TARGET_DELAY_MS = 25;
/** Without a report for this long while the window is full, the window counts as stalled. */
const STALL_MS = 300;
/** Fine-grained means: the last few report steps all small. */
const STEPS_KEPT = 8;
/** The delivery rate is measured over about this long. */
const RATE_SPAN_MS = 100;

export class FlowWindow {
  /** Transfer bytes sent (counting what the receiver held before: resume_from). */
  private sent: number;
  /** Transfer bytes the receiver reported written. */
  private reported: number;
  /** When each stretch of bytes was sent: [end offset, time], oldest first. */
  private readonly checkpoints: [number, number][] = [];
  /** Where the newest checkpoint's stretch starts. */
  private checkpointStart = 0;
  private baseRttMs = Number.POSITIVE_INFINITY;
  private readonly steps: number[] = [];
  /** Recent reports: [reported, time], for the delivery rate. */
  private readonly history: [number, number][] = [];
  private coarse = false;
  private lastReportAt: number;

  constructor(start: number, now: number) {
    this.sent = start;
    this.reported = start;
    this.lastReportAt = now;
  }

  /** Bytes sent and not yet reported. */
  get inFlight(): number {
    return this.sent - this.reported;
  }

  /** The window now: how much may be in flight. */
  get size(): number {
    const floor = this.coarse || !this.fineGrained() ? SPEC_FLOOR : FINE_FLOOR;
    const rate = this.rate();
    if (!(rate > 0) || this.baseRttMs === Number.POSITIVE_INFINITY) return floor;
    const wanted = (rate / 1000) * (this.baseRttMs + TARGET_DELAY_MS);
    return Math.min(MAX_WINDOW, Math.max(floor, Math.round(wanted)));
  }

  /** How many more bytes may be sent now (0 while the window is full). */
  allowance(now: number): number {
    const room = this.size - this.inFlight;
    if (room <= 0 && now - this.lastReportAt >= STALL_MS) this.coarse = true;
    return Math.max(0, room);
  }

  /** `bytes` more were handed to the connection at `now`. */
  sentBytes(bytes: number, now: number): void {
    const last = this.checkpoints[this.checkpoints.length - 1];
    // Bytes sent within a millisecond share a checkpoint, up to CHECKPOINT_SPAN of them.
    if (last && now - last[1] < 1 && this.sent + bytes - this.checkpointStart <= CHECKPOINT_SPAN) {
      last[0] = this.sent + bytes;
    } else {
      this.checkpointStart = this.sent;
      this.checkpoints.push([this.sent + bytes, now]);
    }
    this.sent += bytes;
  }

  /** The receiver reported `bytes` written (a FILE_PROGRESS). */
  progress(bytes: number, now: number): void {
    if (bytes <= this.reported) return;
    this.steps.push(bytes - this.reported);
    if (this.steps.length > STEPS_KEPT) this.steps.shift();
    this.reported = Math.min(bytes, this.sent);
    this.lastReportAt = now;
    // The delay of the newest byte this report covers: how long the path takes when nothing waits.
    let sentAt: number | null = null;
    while (this.checkpoints.length > 0 && (this.checkpoints[0] as [number, number])[0] <= bytes) {
      sentAt = (this.checkpoints.shift() as [number, number])[1];
    }
    if (sentAt !== null) this.baseRttMs = Math.min(this.baseRttMs, Math.max(0, now - sentAt));
    this.history.push([this.reported, now]);
    while (this.history.length > 2 && now - (this.history[1] as [number, number])[1] >= RATE_SPAN_MS) {
      this.history.shift();
    }
  }

  /** After a resume: everything up to `at` is held by the receiver; nothing is in flight. */
  restart(at: number, now: number): void {
    this.sent = at;
    this.reported = at;
    this.checkpoints.length = 0;
    this.checkpointStart = at;
    this.history.length = 0;
    this.lastReportAt = now;
  }

  private fineGrained(): boolean {
    return this.steps.length >= STEPS_KEPT && this.steps.every((step) => step <= FINE_STEP);
  }

  /** Bytes per second the receiver has been writing lately (NaN before two reports). */
  private rate(): number {
    const first = this.history[0];
    const last = this.history[this.history.length - 1];
    if (!first || !last || last[1] <= first[1]) return Number.NaN;
    return ((last[0] - first[0]) / (last[1] - first[1])) * 1000;
  }
}
