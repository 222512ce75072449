import type { BulkFigures } from "./bulk.ts";
import type { FileBulkFigures, ShapedFigures } from "./files.ts";
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
  /** Absent with --files. */
  messaging?: {
    messageBytes: number;
    roundTrips: number;
    pipelined: number;
    app: MessagingFigures;
    appEncrypted: MessagingFigures;
    handshakes: HandshakeFigures;
    runtimeFloor: MessagingFigures;
    /** The runtime floor speaking version 2: what encryption costs the runtime itself. */
    runtimeFloorEncrypted: MessagingFigures;
    nativeFloor: MessagingFigures | { skipped: string };
  };
  bulk?: BulkFigures;
  startup?: StartupFigures | { skipped: string };
  files?: {
    /** The 1-minute load average when the file rows started. */
    load: number;
    bulk: FileBulkFigures;
    shaped: ShapedFigures;
  };
}

const us = (value: number) => value.toFixed(1);
const perSecond = (value: number) => Math.round(value).toLocaleString("en-US");
const ratio = (value: number) => `${value.toFixed(2)}×`;
const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;
const verdict = (met: boolean) => (met ? "✓" : "✗");

export function renderMarkdown(r: BenchResults): string {
  const lines: string[] = [
    `## 121chat benchmark — ${r.date}`,
    "",
    `Bun ${r.bun}; app: \`${r.app}\`; ${r.pinned}; median of ${r.rounds} rounds${r.quick ? " (--quick)" : ""}; ` +
      `load average ${r.load.start.toFixed(2)} → ${r.load.end.toFixed(2)} on ${r.load.cpus} CPUs.`,
    "",
  ];
  const notes: string[] = [];
  if (r.messaging) renderMessaging(r.messaging, lines, notes);
  if (r.bulk) renderBulk(r.bulk, lines, notes);
  if (r.startup) renderStartup(r.startup, lines);
  if (r.files) renderFiles(r.files, lines, notes);
  for (const note of notes) lines.push(`- ${note}`);
  return `${lines.join("\n")}\n`;
}

function renderMessaging(m: NonNullable<BenchResults["messaging"]>, lines: string[], notes: string[]): void {
  const app = m.app;
  const rt = m.runtimeFloor;
  const native = "skipped" in m.nativeFloor ? null : m.nativeFloor;
  const nativeCell = (value: (f: MessagingFigures) => string) => (native ? value(native) : "—");
  lines.push(
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
  );

  // Version 2 beside version 1: the same build, the same run, the same load generator; and the runtime
  // floor both ways, which says how much of the difference the runtime's own AES-GCM leaves to the app.
  const enc = m.appEncrypted;
  const rtEnc = m.runtimeFloorEncrypted;
  const h = m.handshakes;
  const floorCells = (value: (f: MessagingFigures) => number, show: (n: number) => string) =>
    `${show(value(rtEnc))} | ${show(value(rt))} | ${ratio(value(rtEnc) / value(rt))}`;
  lines.push(
    "| encryption (protocol version 2) | app encrypted | app not encrypted | app ratio | " +
      "runtime floor encrypted | runtime floor not encrypted | floor ratio | target (app ratio) |",
    "|---|--:|--:|--:|--:|--:|--:|---|",
    `| ack RTT p50, µs | ${us(enc.rttP50Us)} | ${us(app.rttP50Us)} | ${ratio(enc.rttP50Us / app.rttP50Us)} | ` +
      `${floorCells((f) => f.rttP50Us, us)} | ≤ 1.25× ${verdict(enc.rttP50Us <= 1.25 * app.rttP50Us)} |`,
    `| ack RTT p99, µs | ${us(enc.rttP99Us)} | ${us(app.rttP99Us)} | ${ratio(enc.rttP99Us / app.rttP99Us)} | ` +
      `${floorCells((f) => f.rttP99Us, us)} | |`,
    `| pipelined acks/s | ${perSecond(enc.acksPerSecond)} | ${perSecond(app.acksPerSecond)} | ` +
      `${ratio(enc.acksPerSecond / app.acksPerSecond)} | ${floorCells((f) => f.acksPerSecond, perSecond)} | ` +
      `≥ 0.7× ${verdict(enc.acksPerSecond >= 0.7 * app.acksPerSecond)} |`,
    `| handshake, TCP connect to channel up (${h.count}), ms | p50 ${h.p50Ms.toFixed(2)} · p99 ${h.p99Ms.toFixed(2)} | | | | | | ` +
      `p50 ≤ 3 ms ${verdict(h.p50Ms <= 3)} |`,
    `| … and to the server's SESSION (the session usable), ms | p50 ${h.sessionP50Ms.toFixed(2)} · p99 ${h.sessionP99Ms.toFixed(2)} | | | | | | |`,
    "",
  );
  if ("skipped" in m.nativeFloor) notes.push(`native floor skipped: ${m.nativeFloor.skipped}`);
}

function renderBulk(b: BulkFigures, lines: string[], notes: string[]): void {
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
  if ("skipped" in b.nc) notes.push(`nc skipped: ${b.nc.skipped}`);
}

function renderStartup(startup: StartupFigures | { skipped: string }, lines: string[]): void {
  if ("skipped" in startup) {
    lines.push(`Start-up: skipped (${startup.skipped}).`, "");
    return;
  }
  const s = startup;
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

/** The peak RSS each side may reach during the 1 GiB transfer (issue 11). */
const FILE_RSS_LIMIT = 80 * 1024 * 1024;

function renderFiles(f: NonNullable<BenchResults["files"]>, lines: string[], notes: string[]): void {
  const b = f.bulk;
  lines.push(
    `| one ${mib(b.bytes)} file over loopback, encrypted, offer → FILE_DONE (load ${f.load.toFixed(2)}) | app MB/s | nc MB/s | app ÷ nc, per round | ` +
      "sender / receiver peak RSS | sender / receiver CPU, s | target |",
    "|---|--:|--:|--:|--:|--:|---|",
  );
  for (const p of b.placements) {
    const a = p.app;
    const nc = "skipped" in p.nc ? null : p.nc;
    const share = p.share ?? Number.NaN;
    const rssOk = a.senderPeakRss <= FILE_RSS_LIMIT && a.receiverPeakRss <= FILE_RSS_LIMIT;
    lines.push(
      `| ${p.cpus} | ${a.mbPerSecond.toFixed(0)} | ${nc ? nc.mbPerSecond.toFixed(0) : "—"} | ` +
        `${nc ? ratio(share) : "—"} | ${mib(a.senderPeakRss)} / ${mib(a.receiverPeakRss)} | ` +
        `${(a.senderCpuMs / 1000).toFixed(2)} / ${(a.receiverCpuMs / 1000).toFixed(2)} | ` +
        `${nc ? `≥ 0.5× nc ${verdict(share >= 0.5)}, ` : ""}RSS ≤ 80 MiB ${verdict(rssOk)} |`,
    );
    if ("skipped" in p.nc) notes.push(`nc skipped (${p.cpus}): ${p.nc.skipped}`);
  }
  lines.push(
    "",
    "| the same file, runtime floor (file-floor.ts: read, SHA-256, seal → open, SHA-256, write; same rounds) | " +
      "floor MB/s | floor ÷ nc | app ÷ floor | sender / receiver CPU, s |",
    "|---|--:|--:|--:|--:|",
  );
  for (const p of b.placements) {
    const floor = p.floor;
    lines.push(
      `| ${p.cpus} | ${floor.mbPerSecond.toFixed(0)} | ${floor.ofNc === undefined ? "—" : ratio(floor.ofNc)} | ` +
        `${ratio(floor.appOfFloor)} | ${(floor.senderCpuMs / 1000).toFixed(2)} / ${(floor.receiverCpuMs / 1000).toFixed(2)} |`,
    );
  }
  lines.push("");
  const s = f.shaped;
  if ("skipped" in s) {
    lines.push(`Chat during a transfer over a slow link: skipped (${s.skipped}).`, "");
    return;
  }
  const m = s.median;
  lines.push(
    `| chat during a ${(s.bytes / 1e6).toFixed(0)} MB transfer at ${s.linkMbit} Mbit/s (tbf ${s.tbf}) | figure | target |`,
    "|---|--:|---|",
    `| chat ack RTT p50, ms (a message every ${s.messageIntervalMs} ms, ${m.messages} during the transfer) | ` +
      `${m.rttP50Ms.toFixed(1)} | ≤ 100 ms ${verdict(m.rttP50Ms <= 100)} |`,
    `| chat ack RTT p90 / max, ms | ${m.rttP90Ms.toFixed(1)} / ${m.rttMaxMs.toFixed(1)} | |`,
    `| link use: file bytes ÷ link rate, offer → FILE_DONE | ${(m.linkUse * 100).toFixed(1)} % (${(m.ms / 1000).toFixed(1)} s) | ` +
      `≥ 80 % ${verdict(m.linkUse >= 0.8)} |`,
    "",
  );
}
