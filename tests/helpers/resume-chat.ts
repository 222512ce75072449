import { expect } from "bun:test";
import { exitOf } from "./bounded.ts";
import { type JsonEvent, JsonProgram, type SpawnOptions } from "./program.ts";

/**
 * A conversation that must survive dropped connections (issue 10): a JSON server and client, lines written
 * to both while the network misbehaves, and the checks that every message arrived exactly once, in order,
 * and was acknowledged exactly once, and that neither side said the session was over before it was.
 */

export const of = (program: JsonProgram, name: string): JsonEvent[] =>
  program.events.filter((e) => e.event === name);

/** Lines of the given sizes, each unique and telling its side and place: `client 7 ……`. */
export function makeLines(side: string, sizes: number[]): string[] {
  return sizes.map((size, i) => {
    const head = `${side} ${i + 1} ${crypto.randomUUID()} `;
    return (
      head +
      "abcdefghijklmnopqrstuvwxyz0123456789"
        .repeat(Math.ceil(size / 36))
        .slice(0, Math.max(0, size - head.length))
    );
  });
}

/**
 * Writes `lines` to `program`'s stdin a few at a time, `pauseMs` apart, so that the sending goes on while
 * connections are cut.
 */
export async function writePaced(
  program: JsonProgram,
  lines: string[],
  perWrite = 3,
  pauseMs = 15,
): Promise<void> {
  for (let i = 0; i < lines.length; i += perWrite) {
    program.write(
      lines
        .slice(i, i + perWrite)
        .map((line) => `${line}\n`)
        .join(""),
    );
    await Bun.sleep(pauseMs);
  }
}

/** A program's events in brief (names and ids, no texts), for a failure's message. */
export function brief(program: JsonProgram): string {
  return program.events
    .map((e) => (e.id === undefined ? e.event : `${e.event} ${e.id}${e.before_drop ? " (before drop)" : ""}`))
    .join(", ");
}

/** Runs `wait`; a failure names the events so far in brief (the messages' texts can be megabytes). */
async function briefly<T>(wait: () => Promise<T>, ...programs: JsonProgram[]): Promise<T> {
  try {
    return await wait();
  } catch (error) {
    const what = programs.map((p, i) => `program ${i + 1}: ${brief(p)}`).join("\n");
    throw new Error(`${String(error).slice(0, 300)}…\n${what}`);
  }
}

/** Waits until `program` has an ack for each of ids 1..count (before_drop or not). */
export async function waitForAcks(program: JsonProgram, count: number, timeoutMs = 30_000): Promise<void> {
  await briefly(() => program.waitForCount((e) => e.event === "ack", count, timeoutMs), program);
}

/**
 * Waits until the session is carried by a live connection on both sides: each drop either side noticed has
 * been followed by its resume. (A goodbye sent over a connection that one side has not yet noticed is dead
 * would be lost with it, and the other side would hold the session for its window.)
 */
export async function waitUntilBothLive(
  server: JsonProgram,
  client: JsonProgram,
  timeoutMs = 30_000,
): Promise<void> {
  const live = (program: JsonProgram) =>
    of(program, "connection-lost").length === of(program, "resumed").length;
  const deadline = performance.now() + timeoutMs;
  while (!(live(server) && live(client))) {
    if (performance.now() > deadline) {
      throw new Error(
        `not resumed within ${timeoutMs} ms:\nserver: ${brief(server)}\nclient: ${brief(client)}`,
      );
    }
    await Bun.sleep(20);
  }
}

/**
 * One direction, as the receiver and the sender saw it: every line delivered once, in order, with ids 1, 2,
 * 3, …; a `sent` for each; exactly one `ack` for each (with a round trip, or `before_drop` without one).
 */
export function expectExactlyOnce(sender: JsonProgram, receiver: JsonProgram, lines: string[]): void {
  const messages = of(receiver, "message");
  expect(messages.map((e) => e.id)).toEqual(lines.map((_, i) => i + 1));
  // Compared as a whole only when it differs: a megabyte of text in a failure message helps nobody.
  const texts = messages.map((e) => e.text);
  if (JSON.stringify(texts) !== JSON.stringify(lines)) {
    const first = lines.findIndex((line, i) => texts[i] !== line);
    throw new Error(`message ${first + 1} differs: ${String(texts[first]).slice(0, 80)}…`);
  }
  expect(of(sender, "sent").map((e) => e.id)).toEqual(lines.map((_, i) => i + 1));
  const acks = of(sender, "ack");
  expect(acks.map((e) => e.id).sort((a, b) => Number(a) - Number(b))).toEqual(lines.map((_, i) => i + 1));
  for (const ack of acks) {
    if (ack.before_drop === true) expect(ack.rtt_ms).toBeUndefined();
    else expect(typeof ack.rtt_ms).toBe("number");
  }
}

/** Neither program has said `disconnected` (the session is not over, whatever happened to connections). */
export function expectNoEnd(...programs: JsonProgram[]): void {
  for (const program of programs) expect(of(program, "disconnected")).toEqual([]);
}

/**
 * The true end: the client's input ends, it says goodbye and exits 0; the server reports that goodbye as
 * its one `disconnected` (nothing unacknowledged), and exits 0 when stopped.
 */
export async function expectCleanEnd(server: JsonProgram, client: JsonProgram): Promise<void> {
  client.endInput();
  expect(await exitOf(client, 20_000)).toBe(0);
  const clientEnds = of(client, "disconnected");
  expect(clientEnds).toHaveLength(1);
  expect(clientEnds[0]).toMatchObject({ kind: "bye", unacked: [] });
  const ended = await briefly(
    () => server.waitFor((e) => e.event === "disconnected", 10_000),
    server,
    client,
  );
  expect(ended).toMatchObject({ kind: "peer-bye", unacked: [] });
  expect(of(server, "disconnected")).toHaveLength(1);
  // Nothing of the session after its end.
  for (const program of [server, client]) {
    const end = program.events.findIndex((e) => e.event === "disconnected");
    expect(program.events.slice(end + 1).filter((e) => e.event !== "code")).toEqual([]);
  }
  expect(await server.stop()).toBe(0);
}

/** A JSON server and a client that dials `target(port)` (a relay in front of the server, say). */
export async function startPair(
  options: {
    host?: string;
    serverArgs?: string[];
    clientArgs?: string[];
    /** What the client dials, given the server's port. */
    target: (serverPort: number) => string;
    serverSpawn?: SpawnOptions;
    clientSpawn?: SpawnOptions;
  },
  cleanups: (() => Promise<unknown> | unknown)[],
): Promise<{ server: JsonProgram & { port: number }; client: JsonProgram }> {
  const server = await JsonProgram.server(
    ["--host", options.host ?? "127.0.0.1", ...(options.serverArgs ?? [])],
    {},
    options.serverSpawn,
  );
  cleanups.push(() => server.stop());
  const client = new JsonProgram(
    ["client", options.target(server.port), ...(options.clientArgs ?? [])],
    {},
    options.clientSpawn,
  );
  cleanups.push(() => client.stop());
  await client.waitFor((e) => e.event === "connected");
  await server.waitFor((e) => e.event === "connected");
  return { server, client };
}
