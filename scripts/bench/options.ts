/** The benchmark's command line: `bun run scripts/bench.ts [--rounds N] [--quick]`. */
export interface BenchOptions {
  rounds: number;
  quick: boolean;
  /** Sequential round trips per round, after `warmup` more that are not counted. */
  roundTrips: number;
  warmup: number;
  /** Messages per pipelined run. */
  pipelined: number;
  /** The one message of the bulk run, in bytes. */
  bulkBytes: number;
  /** Runs of each start-up measurement per round. */
  startups: number;
  /** Version-2 handshakes measured one after the other. */
  handshakes: number;
  /** The sections to run (--only; all by default). */
  sections: Set<Section>;
  /** The file sent over loopback, app to app and through nc, in bytes; its rounds. */
  fileBytes: number;
  fileRounds: number;
  /** The file sent over the shaped link, in bytes; its rounds. */
  shapedBytes: number;
  shapedRounds: number;
}

export const SECTIONS = ["messaging", "bulk", "startup", "files"] as const;
export type Section = (typeof SECTIONS)[number];

/** Payload of the round-trip and pipelined messages. */
export const MESSAGE_SIZE = 64;
/** Frames per write in the pipelined run. */
export const FRAMES_PER_WRITE = 64;

export const BENCH_USAGE = `Usage: bun run scripts/bench.ts [--rounds N] [--quick] [--only SECTIONS] [--files]

Measures the 121chat server, without encryption (--no-encryption, protocol version 1) and with it (version
2, the default), side by side with two floors started by the benchmark itself: a minimal Bun server (the
runtime floor, run both ways too) and, where \`cc\` exists, the same minimal server in C (the native floor). Each
figure is the median of N rounds (default 5); client and servers are pinned to CPU 0 with taskset where
it exists. The program under test is src/main.ts run by this Bun, or the executable named by CHAT121_BIN.

  a. ack round trip: 5,000 sequential 64-byte messages after a warm-up, p50 and p99 in µs;
  b. pipelined: 100,000 messages of 64 bytes, 64 frames per write, acks per second (each round the
     median of 3 runs);
  c. bulk: one 256 MiB message from an app client to an app server (pipe mode), MB/s and the receiver's
     peak RSS, beside nc moving the same bytes where nc is installed;
  e. version 2's handshake: 200 connections one after another (40 with --quick), TCP connect to the
     channel up on the client (issue 8's measure) and to the server's SESSION, p50 and p99 in ms;
  d. start-up of the compiled executable (CHAT121_BIN, or dist/121chat-<os>-<arch> from
     \`npm run build -- --target host\`): --version and time to \`listening\`, against a compiled hello-world.
  f. files: a 1 GiB sparse file (64 MiB with --quick) sent with \`client --send\` to \`server --accept-files\`
     (encrypted, JSON mode), timed from the sender's file-offer event to its file-done, beside nc moving the
     same file into a file in the same run (where nc is installed: apt-get install netcat-openbsd); MB/s,
     each side's peak RSS and CPU; once with both sides on CPU 0 and once free to use every CPU. In the
     same rounds, the file floor (scripts/bench/file-floor.ts: read, SHA-256, AES-GCM records, then open,
     SHA-256, write; nothing else) moves the same file: the most the runtime reaches. Received files go to
     /dev/shm (tmpfs) when it has room, else the work folder.
  g. chat during a transfer over a slow link (root only; skipped with the reason otherwise): two network
     namespaces joined by a veth pair whose sending end is shaped to 20 Mbit/s with tc tbf; a 50 MB file
     (5 MB with --quick) sent while the sender sends a chat message every 100 ms: ack RTT p50/p90/max and
     the share of the link the file used.

Prints a Markdown table and writes the figures to bench-results.json.

  --rounds N   rounds per figure (default 5; 3 with --quick)
  --quick      a reduced run for CI (small counts, 16 MiB bulk, small files): well under a minute
  --only S     only these sections, comma-separated: messaging (a, b, e), bulk (c), startup (d), files (f, g)
  --files      the same as --only files
`;

export function parseBenchOptions(argv: string[]): BenchOptions | "help" {
  let rounds: number | undefined;
  let quick = false;
  let sections: Set<Section> = new Set(SECTIONS);
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "-h" || arg === "--help") return "help";
    if (arg === "--quick") {
      quick = true;
      continue;
    }
    if (arg === "--files") {
      sections = new Set(["files"]);
      continue;
    }
    if (arg === "--only") {
      const value = argv[++i] ?? "";
      const names = value.split(",").filter((name) => name !== "");
      const unknown = names.filter((name) => !(SECTIONS as readonly string[]).includes(name));
      if (names.length === 0 || unknown.length > 0) {
        throw new Error(`--only takes sections from ${SECTIONS.join(", ")}, got '${value}'`);
      }
      sections = new Set(names as Section[]);
      continue;
    }
    if (arg !== "--rounds") throw new Error(`unknown argument '${arg}'`);
    const value = argv[++i];
    const number = Number(value);
    if (value === undefined || !Number.isInteger(number) || number < 1 || number > 100) {
      throw new Error(`--rounds needs a whole number from 1 to 100, got '${value ?? ""}'`);
    }
    rounds = number;
  }
  if (quick) {
    return {
      rounds: rounds ?? 3,
      quick,
      roundTrips: 1000,
      warmup: 500,
      pipelined: 20_000,
      bulkBytes: 16 * 1024 * 1024,
      startups: 5,
      handshakes: 40,
      sections,
      fileBytes: 64 * 1024 * 1024,
      fileRounds: rounds ?? 3,
      shapedBytes: 5_000_000,
      shapedRounds: 1,
    };
  }
  return {
    rounds: rounds ?? 5,
    quick,
    roundTrips: 5000,
    warmup: 2000,
    pipelined: 100_000,
    bulkBytes: 256 * 1024 * 1024,
    startups: 20,
    handshakes: 200,
    sections,
    fileBytes: 1024 * 1024 * 1024,
    fileRounds: rounds ?? 5,
    shapedBytes: 50_000_000,
    shapedRounds: Math.min(rounds ?? 3, 3),
  };
}
