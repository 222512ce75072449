/**
 * The worked example of docs/protocol.md ("Version 2: a worked example"), computed by the real code from
 * fixed inputs: a code, the client's sid and both secret scalars. `bun run scripts/worked-example.ts`
 * prints the section's hex blocks and values; tests/secure/worked-example.test.ts checks that the document
 * shows exactly these bytes, so the example cannot drift from the implementation.
 */
import type { Channel } from "../src/core/channel.ts";
import { Session } from "../src/core/session.ts";
import { FrameType, frameTypeName, HEADER_SIZE } from "../src/protocol/constants.ts";
import { readU32 } from "../src/protocol/decoder.ts";
import { normalizeCode } from "../src/secure/code.ts";
import {
  calculateGenerator,
  generatorString,
  intermediateSessionKey,
  scalarFromBytes,
  sharedSecret,
} from "../src/secure/cpace.ts";
import { CHANNEL_ID, type ChannelUp, ClientHandshake, ServerHandshake } from "../src/secure/handshake.ts";
import { deriveSecrets } from "../src/secure/key-schedule.ts";
import { recordNonce } from "../src/secure/records.ts";
import { SecureChannel } from "../src/secure/secure-channel.ts";

const hex = (text: string) => new Uint8Array(Buffer.from(text.replaceAll(" ", ""), "hex"));
export const toHex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex");

/** The fixed inputs. The scalars are the draft's test-vector scalars (32 bytes, little-endian), padded to
 * the 64 random bytes a scalar is drawn from (reduced modulo the group order, they stay the same). */
export const INPUTS = {
  code: "Orbit Lemon SWIFT",
  maxMessage: 16 * 1024 * 1024,
  sid: hex("7e4b4791d6a8ef019b936c79fb7f2c57"),
  clientScalar: hex(`da3d23700a9e5699258aef94dc060dfda5ebb61f02a5ea77fad53f4ff0976d08${"00".repeat(32)}`),
  serverScalar: hex(`d2316b454718c35362d83d69df6320f38578ed5984651435e2949762d900b80d${"00".repeat(32)}`),
  resumeWindowMs: 60_000,
  message: "hi ☺",
};

/** A random source that hands out `values` in order (what each side draws: sid, then its scalar). */
function scripted(...values: Uint8Array[]): (length: number) => Uint8Array {
  return (length) => {
    const next = values.shift();
    if (!next || next.length !== length) throw new Error(`unexpected draw of ${length} bytes`);
    return next;
  };
}

export interface WireMessage {
  /** e.g. "client → server  HELLO" */
  title: string;
  bytes: Uint8Array;
}

export interface WorkedExample {
  values: [name: string, value: string][];
  messages: WireMessage[];
}

/** Runs the handshake and the first records between the real client and server code. */
export function workedExample(): WorkedExample {
  const now = 0;
  const client = new ClientHandshake({
    now,
    maxMessage: INPUTS.maxMessage,
    secret: { mode: 0, code: INPUTS.code },
    random: scripted(INPUTS.sid, INPUTS.clientScalar),
  });
  const server = new ServerHandshake({
    now,
    maxMessage: INPUTS.maxMessage,
    findResume: () => null,
    random: scripted(INPUTS.serverScalar),
  });
  const prs = new TextEncoder().encode(normalizeCode(INPUTS.code));
  const messages: WireMessage[] = [];
  const one = (chunks: Uint8Array[]) => {
    if (chunks.length !== 1) throw new Error(`expected one chunk, got ${chunks.length}`);
    return chunks[0] as Uint8Array;
  };

  const clientHello = one(client.takeOutput());
  messages.push({ title: "client → server  HELLO (mode 0)", bytes: clientHello });
  server.receive(clientHello, now);
  server.answer(prs, now);
  const serverHello = one(server.takeOutput());
  messages.push({ title: "server → client  HELLO", bytes: serverHello });
  client.receive(serverHello, now);
  const confirm = one(client.takeOutput());
  messages.push({ title: "client → server  CONFIRM", bytes: confirm });
  server.receive(confirm, now);
  const clientUp = upOf(client.takeEvents());
  const serverUp = upOf(server.takeEvents());

  // The sessions on top, each with its channel: the server's SESSION, the client's MSG, the server's ACK.
  const serverSession = new Session({
    role: "server",
    version: 2,
    maxMessage: INPUTS.maxMessage,
    now,
    resumeWindowMs: INPUTS.resumeWindowMs,
  });
  const clientSession = new Session({ role: "client", version: 2, maxMessage: INPUTS.maxMessage, now });
  const serverChannel: Channel = new SecureChannel(serverUp.keys);
  const clientChannel: Channel = new SecureChannel(clientUp.keys);
  serverSession.attach(serverChannel, now, serverUp.peerMaxMessage);
  clientSession.attach(clientChannel, now, clientUp.peerMaxMessage);
  const sessionRecord = one(serverSession.takeOutput());
  messages.push({ title: "server → client  record 0: SESSION", bytes: sessionRecord });
  clientSession.receive(sessionRecord, now);
  clientSession.send(new TextEncoder().encode(INPUTS.message), now);
  const msgRecord = one(clientSession.takeOutput());
  messages.push({ title: "client → server  record 0: MSG id 1", bytes: msgRecord });
  serverSession.receive(msgRecord, now);
  const ackRecord = one(serverSession.takeOutput());
  messages.push({ title: "server → client  record 1: ACK id 1", bytes: ackRecord });

  // The intermediate values, recomputed step by step from the wire bytes, for implementers to check theirs.
  const ya = clientHello.subarray(HEADER_SIZE + 46, HEADER_SIZE + 78);
  const yb = serverHello.subarray(HEADER_SIZE + 13, HEADER_SIZE + 45);
  const g = calculateGenerator(prs, CHANNEL_ID, INPUTS.sid);
  const k = sharedSecret(scalarFromBytes(INPUTS.clientScalar), yb) as Uint8Array;
  const isk = intermediateSessionKey(INPUTS.sid, k, {
    ya,
    adA: clientHello.subarray(HEADER_SIZE, HEADER_SIZE + 46),
    yb,
    adB: serverHello.subarray(HEADER_SIZE, HEADER_SIZE + 13),
  });
  const secrets = deriveSecrets(isk, INPUTS.sid);
  const values: [string, string][] = [
    ["PRS (normalized code)", `"${normalizeCode(INPUTS.code)}" = ${toHex(prs)}`],
    ["sid", toHex(INPUTS.sid)],
    ["ya (client scalar, LE)", toHex(INPUTS.clientScalar.subarray(0, 32))],
    ["yb (server scalar, LE)", toHex(INPUTS.serverScalar.subarray(0, 32))],
    ["generator_string", toHex(generatorString(prs, CHANNEL_ID, INPUTS.sid))],
    ["g", toHex(g.toBytes())],
    ["Ya", toHex(ya)],
    ["Yb", toHex(yb)],
    ["K", toHex(k)],
    ["ISK", toHex(isk)],
    ["server_confirm", toHex(secrets.serverConfirm)],
    ["client_confirm", toHex(secrets.clientConfirm)],
    ["c2s key", toHex(secrets.c2s.key)],
    ["c2s iv", toHex(secrets.c2s.iv)],
    ["s2c key", toHex(secrets.s2c.key)],
    ["s2c iv", toHex(secrets.s2c.iv)],
    ["resume_secret", toHex(secrets.resumeSecret)],
    ["nonce of record 1 (s2c)", toHex(recordNonce(secrets.s2c.iv, 1))],
  ];
  return { values, messages };
}

function upOf(events: ReturnType<ClientHandshake["takeEvents"]>): ChannelUp {
  const up = events.find((e) => e.type === "up");
  if (up?.type !== "up") throw new Error(`the handshake did not complete: ${JSON.stringify(events)}`);
  return up.channel;
}

/** Hex in lines of 16 bytes, indented, as the document shows it. */
export function hexLines(bytes: Uint8Array): string[] {
  const lines: string[] = [];
  for (let at = 0; at < bytes.length; at += 16) {
    lines.push(`  ${[...bytes.subarray(at, at + 16)].map((b) => b.toString(16).padStart(2, "0")).join(" ")}`);
  }
  return lines;
}

/** A one-line description of what a handshake frame or a record is, for the document. */
export function describe(bytes: Uint8Array): string {
  if (
    bytes.length >= HEADER_SIZE &&
    bytes[0] !== 0 &&
    bytes[0] !== undefined &&
    bytes[0] <= FrameType.CONFIRM
  ) {
    return `frame ${frameTypeName(bytes[0])}, id ${readU32(bytes, 1)}, payload ${readU32(bytes, 5)} bytes`;
  }
  return `record: length ${readU32(bytes, 0)} (ciphertext + 16-byte tag)`;
}

if (import.meta.main) {
  const example = workedExample();
  for (const [name, value] of example.values) console.log(`${name} = ${value}`);
  for (const message of example.messages) {
    console.log(`\n${message.title}    (${describe(message.bytes)})`);
    for (const line of hexLines(message.bytes)) console.log(line);
  }
}
