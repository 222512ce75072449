import { FRAMES_PER_WRITE, MESSAGE_SIZE } from "./options.ts";
import { RawClient } from "./raw-client.ts";
import type { ServerUnderTest } from "./servers.ts";
import { median, percentile } from "./stats.ts";

/** Figures a (sequential round trips) and b (pipelined) for one server, each the median over the rounds. */
export interface MessagingFigures {
  rttP50Us: number;
  rttP99Us: number;
  acksPerSecond: number;
  rounds: { rttP50Us: number; rttP99Us: number; acksPerSecond: number }[];
}

export interface MessagingPlan {
  rounds: number;
  roundTrips: number;
  warmup: number;
  pipelined: number;
}

/** Bounds every wait on a server, generously: a stuck server must fail the run, not hang it. */
const TIMEOUT_MS = 120_000;
/** Pipelined runs per round; the round's figure is their median. */
const PIPELINED_RUNS = 3;

/**
 * Measures every server, round by round, taking the servers in a different order each round, so that
 * a slow spell of the machine does not fall on the same server every time. Each round uses a fresh
 * connection and warms it (and the server's JIT) up before measuring.
 */
export async function measureMessaging(
  servers: ServerUnderTest[],
  plan: MessagingPlan,
): Promise<Map<ServerUnderTest["name"], MessagingFigures>> {
  const rounds = new Map<ServerUnderTest["name"], MessagingFigures["rounds"]>();
  for (const server of servers) rounds.set(server.name, []);
  for (let round = 0; round < plan.rounds; round++) {
    for (let k = 0; k < servers.length; k++) {
      const server = servers[(round + k) % servers.length] as ServerUnderTest;
      rounds.get(server.name)?.push(await measureRound(server, plan));
    }
  }
  const figures = new Map<ServerUnderTest["name"], MessagingFigures>();
  for (const [name, list] of rounds) {
    figures.set(name, {
      rttP50Us: median(list.map((r) => r.rttP50Us)),
      rttP99Us: median(list.map((r) => r.rttP99Us)),
      acksPerSecond: median(list.map((r) => r.acksPerSecond)),
      rounds: list,
    });
  }
  return figures;
}

async function measureRound(server: ServerUnderTest, plan: MessagingPlan) {
  const client = await RawClient.connect(server.port, server.speech);
  try {
    await client.roundTrips(plan.warmup, MESSAGE_SIZE, TIMEOUT_MS);
    const samples = await client.roundTrips(plan.roundTrips, MESSAGE_SIZE, TIMEOUT_MS);
    // One unmeasured run to warm up, then the median of a few: one run lasts only tens of ms, short enough
    // for a single preemption to move it by a third.
    await client.pipelined(plan.pipelined, MESSAGE_SIZE, FRAMES_PER_WRITE, TIMEOUT_MS);
    const runs: number[] = [];
    for (let run = 0; run < PIPELINED_RUNS; run++) {
      runs.push(await client.pipelined(plan.pipelined, MESSAGE_SIZE, FRAMES_PER_WRITE, TIMEOUT_MS));
    }
    return {
      rttP50Us: percentile(samples, 50),
      rttP99Us: percentile(samples, 99),
      acksPerSecond: plan.pipelined / (median(runs) / 1000),
    };
  } finally {
    await client.close();
  }
}

/** Figure e: version 2's handshake, from the start of the TCP connect to the channel up and to SESSION, in ms. */
export interface HandshakeFigures {
  /** TCP connect to the channel up on the client (issue 8's measure). */
  p50Ms: number;
  p99Ms: number;
  /** TCP connect to the server's SESSION: the session usable. */
  sessionP50Ms: number;
  sessionP99Ms: number;
  count: number;
}

/**
 * `count` handshakes with the encrypted app server, one after the other, each followed by a goodbye (the
 * next waits until the server has freed its slot: RawClient.connect retries a BUSY).
 */
export async function measureHandshakes(server: ServerUnderTest, count: number): Promise<HandshakeFigures> {
  const up: number[] = [];
  const session: number[] = [];
  for (let i = 0; i < count; i++) {
    const client = await RawClient.connect(server.port, server.speech);
    up.push(client.channelUpMs);
    session.push(client.handshakeMs);
    await client.close();
  }
  return {
    p50Ms: percentile(up, 50),
    p99Ms: percentile(up, 99),
    sessionP50Ms: percentile(session, 50),
    sessionP99Ms: percentile(session, 99),
    count,
  };
}
