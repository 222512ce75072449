/** The soak's command line: `bun run scripts/soak.ts [--seconds N] [--rate R] [--chaos [--seed S]]`. */
export interface SoakOptions {
  /** How long messages are sent (the drain and the checks come after). */
  seconds: number;
  /** Target messages per second, both directions together (half client→server, half server→client). */
  rate: number;
  /** Through a relay that cuts the connection every 1–3 s at random (issue 10). */
  chaos: boolean;
  /** The chaos's random seed (where, when and how it cuts); drawn when not given, and printed. */
  seed?: number;
}

/** How often the chaos relay cuts: every CHAOS_MIN_MS to CHAOS_MAX_MS, uniformly at random. */
export const CHAOS_MIN_MS = 1000;
export const CHAOS_MAX_MS = 3000;

export const SOAK_USAGE = `Usage: bun run scripts/soak.ts [--seconds N] [--rate R] [--chaos [--seed S]]

Runs a 121chat server and client as two processes (JSON mode, encrypted, both given the same code) on
127.0.0.1 and pushes random messages through them in both directions for N seconds (default 60) at R
messages per second in total, both directions together, half each way (default 10000). Payloads are random
bytes without a newline (input is line based), mostly 0 B to 4 KiB, one in a hundred up to 1 MiB; a quarter
of the small ones are UTF-8 text, so both the "text" and the "base64" form of the message event are
exercised.

--chaos: the client talks to the server through a relay in this process that cuts the connection every 1 to
3 s at random (by a reset or a plain close, at once or after a random number of bytes of a random direction,
on a record boundary or inside a record); the client reconnects and the session resumes each time. The
cutting stops once every message is delivered and acknowledged, before the goodbye. --seed S repeats a
run's cuts (the payloads stay random).

At the end: every message delivered byte for byte (sha256 of each payload, compared id by id), in order and
once, and acknowledged exactly once (with --chaos, by an ACK or, for one delivered just before a drop, by the
peer's RESUME: counted apart, without a round trip); server and client memory flat (RSS sampled 10 times a
second: the floor of the last ten seconds, the median of each second's lowest sample, within 10% of the
floor of the first ten after a ten-second warm-up; shorter runs scale these down and allow 20%); a table of round-trip percentiles; with --chaos, the drops survived.
Exits 1 on any loss, duplicate, corruption, missing or duplicate acknowledgement, growth, or a session that
ended early; 2 on a usage error.
`;

export function parseSoakOptions(argv: string[]): SoakOptions | "help" {
  const options: SoakOptions = { seconds: 60, rate: 10_000, chaos: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "-h" || arg === "--help") return "help";
    if (arg === "--chaos") {
      options.chaos = true;
      continue;
    }
    const value = argv[i + 1];
    if (arg !== "--seconds" && arg !== "--rate" && arg !== "--seed")
      throw new Error(`unknown argument '${arg}'`);
    const number = Number(value);
    if (arg === "--seed") {
      if (value === undefined || !Number.isInteger(number) || number < 0 || number >= 2 ** 32) {
        throw new Error(`--seed needs an integer from 0 to 2^32 - 1, got '${value ?? ""}'`);
      }
      options.seed = number;
      i++;
      continue;
    }
    if (value === undefined || !Number.isFinite(number) || number <= 0) {
      throw new Error(`${arg} needs a positive number, got '${value ?? ""}'`);
    }
    if (arg === "--seconds") options.seconds = number;
    else options.rate = number;
    i++;
  }
  if (options.seed !== undefined && !options.chaos) throw new Error("--seed is for --chaos only");
  return options;
}
