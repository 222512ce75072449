/** The session's clocks, as the command line sets them (all in ms; undefined means the protocol default). */
export interface SessionTiming {
  helloTimeoutMs?: number;
  pingIntervalMs?: number;
  deadAfterMs?: number;
}
