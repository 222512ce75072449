import type { BulkFigures } from "./bulk.ts";
import type { HandshakeFigures, MessagingFigures } from "./messaging.ts";
import type { StartupFigures } from "./startup.ts";

/** Everything one run measured; written as bench-results.json and printed as Markdown. */
export interface BenchResults {
  date: string;
  bun: string;
  /** The command the app ran as (source or compiled). */
  app: string;
  pinned: string;
  rounds: number;
  quick: boolean;
  /** 1-minute load average at the start and the end of the run. */
  load: { start: number; end: number; cpus: number };
  messaging: {
    messageBytes: number;
    roundTrips: number;
    pipelined: number;
    app: MessagingFigures;
    appEncrypted: MessagingFigures;
    handshakes: HandshakeFigures;
    runtimeFloor: MessagingFigures;
    nativeFloor: MessagingFigures | { skipped: string };
  };
  bulk: BulkFigures;
  startup: StartupFigures | { skipped: string };
}

const us = (value: number) => value.toFixed(1);
const perSecond = (value: number) => Math.round(value).toLocaleString("en-US");
const ratio = (value: number) => `${value.toFixed(2)}×`;
const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;
const verdict = (met: boolean) => (met ? "✓" : "✗");

export function renderMarkdown(r: BenchResults): string {
  const m = r.messaging;
  const app = m.app;
  const rt = m.runtimeFloor;
  const native = "skipped" in m.nativeFloor ? null : m.nativeFloor;
  const nativeCell = (value: (f: MessagingFigures) => string) => (native ? value(native) : "—");
  const lines: string[] = [
    `## 121chat benchmark — ${r.date}`,
    "",
    `Bun ${r.bun}; app: \`${r.app}\`; ${r.pinned}; median of ${r.rounds} rounds${r.quick ? " (--quick)" : ""}; ` +
      `load average ${r.load.start.toFixed(2)} → ${r.load.end.toFixed(2)} on ${r.load.cpus} CPUs.`,
    "",
    `| ${m.messageBytes}-byte messages | app | runtime floor | native floor | app ÷ runtime | app ÷ native | target |`,
    "|---|--:|--:|--:|--:|--:|---|",
    `| ack RTT p50, µs (${m.roundTrips.toLocaleString("en-US")} sequential) | ${us(app.rttP50Us)} | ${us(rt.rttP50Us)} | ` +
      `${nativeCell((f) => us(f.rttP50Us))} | ${ratio(app.rttP50Us / rt.rttP50Us)} | ` +
      `${nativeCell((f) => ratio(app.rttP50Us / f.rttP50Us))} | ≤ 1.3× runtime ${verdict(app.rttP50Us <= 1.3 * rt.rttP50Us)} |`,
    `| ack RTT p99, µs | ${us(app.rttP99Us)} | ${us(rt.rttP99Us)} | ${nativeCell((f) => us(f.rttP99Us))} | ` +
      `${ratio(app.rttP99Us / rt.rttP99Us)} | ${nativeCell((f) => ratio(app.rttP99Us / f.rttP99Us))} | |`,
    `| pipelined acks/s (${m.pipelined.toLocaleString("en-US")} messages) | ${perSecond(app.acksPerSecond)} | ` +
      `${perSecond(rt.acksPerSecond)} | ${nativeCell((f) => perSecond(f.acksPerSecond))} | ` +
      `${ratio(app.acksPerSecond / rt.acksPerSecond)} | ${nativeCell((f) => ratio(app.acksPerSecond / f.acksPerSecond))} | ` +
      `≥ 0.5× runtime ${verdict(app.acksPerSecond >= 0.5 * rt.acksPerSecond)}, ≥ 1,000,000 ${verdict(app.acksPerSecond >= 1e6)} |`,
    "",
  ];

  // Version 2 beside version 1: the same build, the same run, the same load generator.
  const enc = m.appEncrypted;
  const h = m.handshakes;
  lines.push(
    "| encryption (protocol version 2) | encrypted | not encrypted | ratio | target |",
    "|---|--:|--:|--:|---|",
    `| ack RTT p50, µs | ${us(enc.rttP50Us)} | ${us(app.rttP50Us)} | ${ratio(enc.rttP50Us / app.rttP50Us)} | ` +
      `≤ 1.25× ${verdict(enc.rttP50Us <= 1.25 * app.rttP50Us)} |`,
    `| ack RTT p99, µs | ${us(enc.rttP99Us)} | ${us(app.rttP99Us)} | ${ratio(enc.rttP99Us / app.rttP99Us)} | |`,
    `| pipelined acks/s | ${perSecond(enc.acksPerSecond)} | ${perSecond(app.acksPerSecond)} | ` +
      `${ratio(enc.acksPerSecond / app.acksPerSecond)} | ≥ 0.7× ${verdict(enc.acksPerSecond >= 0.7 * app.acksPerSecond)} |`,
    `| handshake, TCP connect to SESSION (${h.count}), ms | p50 ${h.p50Ms.toFixed(2)} · p99 ${h.p99Ms.toFixed(2)} | | | ` +
      `p50 ≤ 3 ms ${verdict(h.p50Ms <= 3)} |`,
    "",
  );

  const b = r.bulk;
  const nc = "skipped" in b.nc ? null : b.nc;
  lines.push(
    `| bulk: one ${mib(b.bytes)} message | app → app (--no-encryption) | nc → nc | target |`,
    "|---|--:|--:|---|",
    `| MB/s (10⁶ bytes) | ${b.app.mbPerSecond.toFixed(0)} | ${nc ? nc.mbPerSecond.toFixed(0) : "—"} | ` +
      `≥ 1000 ${verdict(b.app.mbPerSecond >= 1000)} |`,
    `| receiver peak RSS | ${mib(b.app.receiverPeakRss)} (${ratio(b.app.receiverPeakRss / b.bytes)} the message) | | ` +
      `≤ 1.5× ${verdict(b.app.receiverPeakRss <= 1.5 * b.bytes)} |`,
    `| sender peak RSS | ${mib(b.app.senderPeakRss)} (${ratio(b.app.senderPeakRss / b.bytes)} the message) | | |`,
    `| encrypted: MB/s | ${b.appEncrypted.mbPerSecond.toFixed(0)} | | |`,
    `| encrypted: receiver / sender peak RSS | ${mib(b.appEncrypted.receiverPeakRss)} / ${mib(b.appEncrypted.senderPeakRss)} | | |`,
    "",
  );

  if ("skipped" in r.startup) {
    lines.push(`Start-up: skipped (${r.startup.skipped}).`, "");
  } else {
    const s = r.startup;
    lines.push(
      "| start-up, compiled, ms | 121chat | hello-world | ratio | target |",
      "|---|--:|--:|--:|---|",
      `| \`--version\`, spawn to exit | ${s.versionMs.toFixed(1)} | ${s.helloMs.toFixed(1)} | ` +
        `${ratio(s.versionMs / s.helloMs)} | ≤ 2× ${verdict(s.versionMs <= 2 * s.helloMs)} |`,
      `| spawn to \`listening\` / to "hello" on stdout | ${s.listeningMs.toFixed(1)} | ${s.helloOutputMs.toFixed(1)} | ` +
        `${ratio(s.listeningMs / s.helloOutputMs)} | |`,
      `| /bin/true, spawn to exit (the cost of any process) | | ${s.trueMs.toFixed(1)} | | |`,
      "",
    );
    if (s.stale) lines.push(`- start-up measured on a stale build: ${s.stale}`, "");
  }

  const notes: string[] = [];
  if ("skipped" in m.nativeFloor) notes.push(`native floor skipped: ${m.nativeFloor.skipped}`);
  if (!nc && "skipped" in b.nc) notes.push(`nc skipped: ${b.nc.skipped}`);
  for (const note of notes) lines.push(`- ${note}`);
  return `${lines.join("\n")}\n`;
}
