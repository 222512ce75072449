import { RttHistogram, type RttSummary } from "./rtt-histogram.ts";

export interface StatsSnapshot {
  sent: number;
  sentBytes: number;
  received: number;
  receivedBytes: number;
  acked: number;
  unacked: number;
  rtt: RttSummary | null;
}

/** Counters of one session; the session updates them as its events happen. */
export class SessionStats {
  sent = 0;
  sentBytes = 0;
  received = 0;
  receivedBytes = 0;
  acked = 0;
  readonly rtt = new RttHistogram();

  snapshot(unacked: number): StatsSnapshot {
    return {
      sent: this.sent,
      sentBytes: this.sentBytes,
      received: this.received,
      receivedBytes: this.receivedBytes,
      acked: this.acked,
      unacked,
      rtt: this.rtt.summary(),
    };
  }
}
