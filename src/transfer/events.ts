/** What the transfer logic tells the front end. `direction`: "out" for what this side sends, "in" for what it receives. */
export type Direction = "in" | "out";

export interface TransferSummary {
  id: number;
  direction: Direction;
  /** The offered name (from the other side when "in": escape it before showing it). */
  name: string;
  totalBytes: number;
  /** Files (not folders) in the transfer, and entries of any kind. */
  files: number;
  entries: number;
}

export type TransferEvent =
  /**
   * This side offered something (direction "out"), or the other side did ("in": accept or decline it).
   * `firstEntries`: the paths of the first few entries; always empty for "in" (entries come after the answer).
   */
  | { type: "offer"; transfer: TransferSummary; firstEntries: string[] }
  /** Bytes written by the receiver so far (either side sees it), and the current file. */
  | {
      type: "progress";
      transfer: TransferSummary;
      bytes: number;
      currentPath: string | null;
      currentBytes: number;
      currentSize: number;
    }
  /** A long check of a partial file before the transfer can go on (resume). */
  | { type: "checking"; transfer: TransferSummary; done: number; total: number }
  /**
   * Every entry verified and in place at the receiver. `localName`: where it landed ("in" only). `flowMs`:
   * how long the data flowed, from the first progress report (the time before it went into being asked);
   * 0 when none came (nothing to write).
   */
  | { type: "done"; transfer: TransferSummary; localName: string | null; resumedFrom: number; flowMs: number }
  /** Declined, cancelled by either side, or failed: `by` says who ended it. */
  | { type: "cancelled"; transfer: TransferSummary; by: "you" | "peer"; reason: string; declined: boolean };
