/**
 * The runtime floor: the least a Bun server must do to serve the benchmark's client. It answers HELLO with
 * HELLO and every MSG with its ACK, and does nothing else: no session, no output, no timers. The benchmark
 * runs it as a process of its own, started like the app, so the difference between the two is what the app
 * adds on top of the runtime.
 *
 * With CHAT121_CODE set it is the encrypted floor: version 2's handshake (src/secure, as the app runs it),
 * then a SESSION, then each received chunk's records opened and the ACKs they call for sealed together. So the
 * encrypted and the plain floor differ by exactly what protocol version 2 costs the runtime: the records'
 * AES-GCM in node:crypto and their framing.
 *
 * Run: `bun scripts/bench/runtime-floor.ts` (listens on a free port of 127.0.0.1; the benchmark finds the
 * port in /proc). The ACKs of one received chunk leave in one write; what the socket does not take waits
 * for `drain`, in order.
 */
import type { Socket } from "bun";
import { encodeText } from "../../src/protocol/bytes.ts";
import { FrameType, HEADER_SIZE } from "../../src/protocol/constants.ts";
import { readU32 } from "../../src/protocol/decoder.ts";
import { encodeFrame, writeHeader } from "../../src/protocol/encoder.ts";
import { encodeHello } from "../../src/protocol/hello.ts";
import { normalizeCode } from "../../src/secure/code.ts";
import { ServerHandshake } from "../../src/secure/handshake.ts";
import { RecordOpener, RecordSealer } from "../../src/secure/records.ts";

const HELLO_FRAME = encodeFrame(FrameType.HELLO, 0, encodeHello(0xffff_ffff));
const SESSION_FRAME = encodeFrame(FrameType.SESSION, 0);
/** The encrypted floor's code (the CPace PRS), or null for the plain floor. */
const CODE = process.env.CHAT121_CODE ? encodeText(normalizeCode(process.env.CHAT121_CODE)) : null;

/** Where the parser is: in a header (`headerFill` bytes of it seen), or skipping a payload. */
interface FloorState {
  header: Uint8Array;
  headerFill: number;
  skip: number;
  greeted: boolean;
  unsent: Uint8Array[];
  /** Encrypted floor: the handshake until the channel is up, then the two record directions. */
  handshake: ServerHandshake | null;
  sealer: RecordSealer | null;
  opener: RecordOpener | null;
}

function onData(socket: Socket<FloorState>, chunk: Uint8Array): void {
  const state = socket.data;
  if (state.handshake) {
    handshake(socket, state.handshake, chunk);
    return;
  }
  if (state.opener) {
    // The ACKs of every record in the chunk, sealed together: one seal and one write per chunk, as the app.
    const acks: Uint8Array[] = [];
    state.opener.open(chunk, (plaintext) => {
      const answered = answer(state, plaintext);
      if (answered) acks.push(answered);
    });
    if (acks.length > 0) send(socket, (state.sealer as RecordSealer).seal(acks));
    return;
  }
  const acks = answer(state, chunk);
  if (acks) send(socket, acks);
}

/** Encrypted floor: runs the handshake; once the channel is up, says SESSION and reads records. */
function handshake(socket: Socket<FloorState>, shake: ServerHandshake, chunk: Uint8Array): void {
  const state = socket.data;
  shake.receive(chunk, performance.now());
  for (;;) {
    for (const bytes of shake.takeOutput()) send(socket, bytes);
    const events = shake.takeEvents();
    if (events.length === 0) return;
    for (const event of events) {
      if (event.type === "hello") shake.answer(CODE as Uint8Array, performance.now());
      else if (event.type === "failed") socket.end();
      else if (event.type === "up") {
        for (const bytes of shake.takeOutput()) send(socket, bytes);
        state.handshake = null;
        state.greeted = true;
        state.sealer = new RecordSealer(event.channel.keys.send);
        state.opener = new RecordOpener(event.channel.keys.receive);
        send(socket, state.sealer.seal([SESSION_FRAME]));
        if (event.channel.leftover.length > 0) onData(socket, event.channel.leftover);
        return;
      }
    }
  }
}

/** The frames in `chunk` (split anywhere): the HELLO and ACKs they call for, or null for none. */
function answer(state: FloorState, chunk: Uint8Array): Uint8Array | null {
  // At most one ACK per 9 bytes received, plus the HELLO.
  const out = new Uint8Array(HELLO_FRAME.length + Math.ceil(chunk.length / HEADER_SIZE) * HEADER_SIZE);
  let outEnd = 0;
  let pos = 0;
  while (pos < chunk.length) {
    if (state.skip > 0) {
      const take = Math.min(state.skip, chunk.length - pos);
      state.skip -= take;
      pos += take;
      continue;
    }
    let header: Uint8Array = chunk;
    let at = pos;
    if (state.headerFill === 0 && chunk.length - pos >= HEADER_SIZE) {
      pos += HEADER_SIZE; // the whole header is in this chunk: read it where it is
    } else {
      while (state.headerFill < HEADER_SIZE && pos < chunk.length) {
        state.header[state.headerFill++] = chunk[pos++] as number;
      }
      if (state.headerFill < HEADER_SIZE) break;
      state.headerFill = 0;
      header = state.header;
      at = 0;
    }
    const type = header[at] as number;
    state.skip = readU32(header, at + 5);
    if (type === FrameType.HELLO && !state.greeted) {
      state.greeted = true;
      out.set(HELLO_FRAME, outEnd);
      outEnd += HELLO_FRAME.length;
    } else if (type === FrameType.MSG) {
      writeHeader(out, outEnd, FrameType.ACK, readU32(header, at + 1), 0);
      outEnd += HEADER_SIZE;
    }
  }
  return outEnd > 0 ? out.subarray(0, outEnd) : null;
}

function send(socket: Socket<FloorState>, bytes: Uint8Array): void {
  const unsent = socket.data.unsent;
  if (unsent.length > 0) {
    unsent.push(bytes);
    return;
  }
  const written = socket.write(bytes);
  if (written < bytes.length) unsent.push(bytes.subarray(Math.max(0, written)));
}

function onDrain(socket: Socket<FloorState>): void {
  const unsent = socket.data.unsent;
  while (unsent.length > 0) {
    const bytes = unsent[0] as Uint8Array;
    const written = socket.write(bytes);
    if (written < bytes.length) {
      unsent[0] = bytes.subarray(Math.max(0, written));
      return;
    }
    unsent.shift();
  }
}

Bun.listen<FloorState>({
  hostname: "127.0.0.1",
  port: 0,
  socket: {
    open(socket) {
      socket.setNoDelay(true);
      socket.data = {
        header: new Uint8Array(HEADER_SIZE),
        headerFill: 0,
        skip: 0,
        greeted: false,
        unsent: [],
        handshake: CODE
          ? new ServerHandshake({ now: performance.now(), maxMessage: 0, findResume: () => null })
          : null,
        sealer: null,
        opener: null,
      };
    },
    data: onData,
    drain: onDrain,
  },
});
