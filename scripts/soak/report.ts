import type { CutRecord } from "../../tests/helpers/cutting-relay.ts";
import type { SoakBooks } from "./books.ts";
import type { DirectionLedger } from "./ledger.ts";
import { judgeMemory, perSecondMedians, perSecondMinima, SAMPLES_PER_SECOND } from "./memory.ts";

/** The soak's report: each function prints one part and returns the problems that part found. */

const PERCENTILES = [50, 90, 99, 99.9] as const;

export const mib = (bytes: number): string => `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;

/**
 * Every message of each direction: sent, delivered (byte for byte, once, in order), acknowledged once ("before
 * drop": of those acknowledged, how many by the peer's RESUME after a drop took their ACK).
 */
export function reportDeliveries(directions: DirectionLedger[]): string[] {
  const header = ["direction", "written", "sent", "delivered", "lost", "duplicated", "corrupted"];
  header.push("out of order", "acked", "before drop", "unacked", "dup acks", "unknown id");
  const rows = directions.map((l) =>
    [
      l.name,
      l.written,
      l.sentEvents,
      l.delivered,
      l.lost,
      l.faults.duplicated,
      l.faults.corrupted,
      l.faults.outOfOrder,
      l.acked,
      l.ackedBeforeDrop,
      l.unacked,
      l.faults.duplicateAck,
      l.faults.unknownId,
    ].map(String),
  );
  console.log(table([header, ...rows]));
  const problems: string[] = [];
  for (const l of directions) {
    const f = l.faults;
    const faults =
      l.lost +
      l.unacked +
      f.duplicated +
      f.corrupted +
      f.outOfOrder +
      f.duplicateAck +
      f.unknownId +
      f.sentMismatch;
    if (faults > 0)
      problems.push(
        `${l.name}: ${faults} faults (the table above; sent-event mismatches: ${f.sentMismatch})`,
      );
  }
  return problems;
}

/** RSS flatness of each process, with the samples themselves. */
export function reportMemory(samples: Record<string, number[]>): string[] {
  const problems: string[] = [];
  console.log(
    `memory (RSS sampled ${SAMPLES_PER_SECOND} times a second; windows compared by their floor, the median of each second's lowest sample):`,
  );
  for (const [side, series] of Object.entries(samples)) {
    const { first, last, warmupSeconds, windowSeconds, growth, limit, flat } = judgeMemory(series);
    const window = (w: typeof first) =>
      `floor ${mib(w.floor)} (median ${mib(w.median)}, ${mib(w.min)} to ${mib(w.max)})`;
    const percent = `${growth >= 0 ? "+" : ""}${(growth * 100).toFixed(1)}%`;
    console.log(
      `  ${side}: seconds ${warmupSeconds + 1}-${warmupSeconds + windowSeconds} ${window(first)}; ` +
        `last ${windowSeconds} s ${window(last)}: ${percent} (${flat ? "flat" : "GROWTH"}; limit +${limit * 100}%)`,
    );
    const inMiB = (values: number[]) => values.map((b) => (b / 1048576).toFixed(0)).join(" ");
    console.log(`    lowest of each second (MiB): ${inMiB(perSecondMinima(series))}`);
    console.log(`    median of each second (MiB): ${inMiB(perSecondMedians(series))}`);
    if (!flat) problems.push(`${side} memory grew ${percent}`);
  }
  return problems;
}

/** Round-trip-time percentiles, per direction and both together. */
export function reportRoundTrips(directions: DirectionLedger[]): void {
  const series = directions.map((l) => [l.name, l.roundTrips()] as [string, Float64Array]);
  const all = new Float64Array(series.reduce((n, [, rtts]) => n + rtts.length, 0));
  let at = 0;
  for (const [, rtts] of series) {
    all.set(rtts, at);
    at += rtts.length;
  }
  series.push(["both", all]);
  const header = ["direction", "acks", ...PERCENTILES.map((p) => `p${p}`), "max"];
  const rows = series.map(([name, rtts]) => {
    const sorted = Float64Array.from(rtts).sort();
    const cells = [...PERCENTILES.map((p) => percentile(sorted, p)), sorted[sorted.length - 1] ?? Number.NaN];
    return [name, String(sorted.length), ...cells.map((ms) => `${ms.toFixed(3)} ms`)];
  });
  console.log(
    "round-trip times in ms (from the ack events: MSG handed to the connection → its ACK back; a resent " +
      "message's from its resend; those acknowledged by a RESUME have none):",
  );
  console.log(table([header, ...rows]));
}

/** The p-th percentile (nearest rank) of sorted values. */
function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))] as number;
}

/** Columns padded to their widest cell; the first left-aligned, the rest right-aligned. */
function table(lines: string[][]): string {
  const widths = (lines[0] ?? []).map((_, c) => Math.max(...lines.map((line) => (line[c] ?? "").length)));
  return lines
    .map((line) =>
      line
        .map((cell, c) => (c === 0 ? cell.padEnd(widths[c] ?? 0) : cell.padStart(widths[c] ?? 0)))
        .join("  "),
    )
    .join("\n");
}

/**
 * With --chaos: the connections the relay cut and how, and what each side saw of them. Every drop a side
 * noticed must have been followed by a resume; none may have ended the session.
 */
export function reportChaos(cuts: CutRecord[], books: SoakBooks): string[] {
  const problems: string[] = [];
  const count = (test: (cut: CutRecord) => boolean) => cuts.filter(test).length;
  const where = (cut: CutRecord) =>
    cut.where === "now"
      ? "at once"
      : cut.where.includes("not reached")
        ? "at once (its point not reached in time)"
        : cut.where.includes("after byte")
          ? "after a random byte"
          : cut.where.endsWith("+ 0")
            ? "on a record boundary"
            : "inside a record";
  const kinds = new Map<string, number>();
  for (const cut of cuts) kinds.set(where(cut), (kinds.get(where(cut)) ?? 0) + 1);
  console.log(
    `drops: the relay cut ${cuts.length} connections (${count((c) => c.how === "reset")} by reset, ` +
      `${count((c) => c.how === "close")} by a plain close; ` +
      `${[...kinds].map(([kind, n]) => `${n} ${kind}`).join(", ")})`,
  );
  for (const side of ["client", "server"] as const) {
    const lost = books.events(side, "connection-lost").length;
    const resumed = books.events(side, "resumed");
    const resent = resumed.reduce((n, e) => n + Number(e.resent), 0);
    const afterMs = resumed.map((e) => Number(e.after_ms)).sort((a, b) => a - b);
    const median = afterMs[Math.floor(afterMs.length / 2)] ?? Number.NaN;
    const attempts =
      side === "client" ? `, ${books.events(side, "reconnecting").length} reconnect attempts` : "";
    console.log(
      `  ${side}: ${lost} drops noticed, ${resumed.length} resumes${attempts}; ${resent} messages resent; ` +
        `back after ${median.toFixed(0)} ms (median), ${(afterMs.at(-1) ?? Number.NaN).toFixed(0)} ms at most`,
    );
    if (resumed.length !== lost)
      problems.push(`${side}: ${lost} drops noticed, but ${resumed.length} resumes`);
  }
  const beforeDrop = books.directions.map((l) => `${l.ackedBeforeDrop} ${l.name}`).join(", ");
  console.log(`  acknowledged by a RESUME (delivered just before a drop that took the ACK): ${beforeDrop}`);
  if (cuts.length === 0) problems.push("the relay cut no connection");
  return problems;
}
