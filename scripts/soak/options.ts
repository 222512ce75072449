/** The soak's command line: `bun run scripts/soak.ts [--seconds N] [--rate R]`. */
export interface SoakOptions {
  /** How long messages are sent (the drain and the checks come after). */
  seconds: number;
  /** Target messages per second, both directions together (half client→server, half server→client). */
  rate: number;
}

export const SOAK_USAGE = `Usage: bun run scripts/soak.ts [--seconds N] [--rate R]

Runs a 121chat server and client as two processes (JSON mode) on 127.0.0.1 and pushes random messages
through them in both directions for N seconds (default 60) at R messages per second in total, both
directions together, half each way (default 10000). Payloads are random bytes without a newline (input
is line based), mostly 0 B to 4 KiB, one in a hundred up to 1 MiB; a quarter of the small ones are UTF-8
text, so both the "text" and the "base64" form of the message event are exercised.

At the end: every message delivered byte for byte (sha256 of each payload, compared id by id) and
acknowledged exactly once; server and client memory flat (RSS sampled 10 times a second: the median of
the last ten seconds within 10% of the median of the first ten after a ten-second warm-up; shorter runs
scale these down); a table of round-trip percentiles. Exits 1 on any loss, duplicate, corruption, missing
or duplicate acknowledgement, or growth; 2 on a usage error.
`;

export function parseSoakOptions(argv: string[]): SoakOptions | "help" {
  const options: SoakOptions = { seconds: 60, rate: 10_000 };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "-h" || arg === "--help") return "help";
    const value = argv[i + 1];
    if (arg !== "--seconds" && arg !== "--rate") throw new Error(`unknown argument '${arg}'`);
    const number = Number(value);
    if (value === undefined || !Number.isFinite(number) || number <= 0) {
      throw new Error(`${arg} needs a positive number, got '${value ?? ""}'`);
    }
    if (arg === "--seconds") options.seconds = number;
    else options.rate = number;
    i++;
  }
  return options;
}
