import { expect } from "bun:test";
import { exitOf } from "./bounded.ts";
import { type JsonEvent, JsonProgram } from "./program.ts";

export interface ClientOptions {
  /** More arguments for the client, e.g. RAW_PEER_PROGRAM_ARGS when the server runs version 1. */
  args?: readonly string[];
  /** Its environment beyond the test defaults, e.g. `{ CHAT121_CODE: code }` for a server's generated code. */
  env?: Record<string, string>;
}

/**
 * Proves a server is (still) serving: a new JSON client connects, both sides send a message that the other
 * receives and acknowledges, and the client leaves cleanly. `target` is what the client dials, e.g.
 * `127.0.0.1:PORT` or `[::1]:PORT`. The client runs version 2 with the test code unless `options` say
 * otherwise; the session it gets must be encrypted exactly when it runs version 2.
 */
export async function expectClientChats(
  server: JsonProgram,
  target: string,
  options: ClientOptions = {},
): Promise<void> {
  const fromClient = `from the client ${crypto.randomUUID()}`;
  const fromServer = `from the server ${crypto.randomUUID()}`;
  const args = options.args ?? [];
  const client = new JsonProgram(["client", target, ...args], options.env);
  try {
    const connected = await client.waitFor((e) => e.event === "connected");
    expect(connected.encrypted).toBe(!args.includes("--no-encryption"));
    client.write(`${fromClient}\n`);
    const sent = await client.waitFor((e) => e.event === "sent");
    await client.waitFor((e) => e.event === "ack" && e.id === sent.id);
    await server.waitFor((e) => e.event === "message" && e.text === fromClient);

    server.write(`${fromServer}\n`);
    const received = await client.waitFor((e) => e.event === "message" && e.text === fromServer);
    // Ids start again with each session, so the ACK that counts is the one after this session's message.
    await server.waitFor((e) => e.event === "ack" && e.id === received.id && isAfter(server, e, fromClient));

    client.endInput();
    expect(await exitOf(client)).toBe(0);
  } finally {
    await client.stop();
  }
}

/** Whether `event` came after the message carrying `text` in the program's event list. */
function isAfter(program: JsonProgram, event: JsonEvent, text: string): boolean {
  const at = program.events.findIndex((e) => e.event === "message" && e.text === text);
  return at !== -1 && program.events.indexOf(event) > at;
}
