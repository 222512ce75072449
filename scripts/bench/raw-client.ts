import type { Socket } from "bun";
import { FrameType, HEADER_SIZE } from "../../src/protocol/constants.ts";
import { readU32 } from "../../src/protocol/decoder.ts";
import { encodeFrame, writeHeader } from "../../src/protocol/encoder.ts";
import { encodeHello } from "../../src/protocol/hello.ts";
import { ClientHandshake } from "../../src/secure/handshake.ts";
import { RecordOpener, RecordSealer } from "../../src/secure/records.ts";

/** How the raw client speaks: version 1 in the clear, or version 2 with this code. */
export type Speech = { version: 1 } | { version: 2; code: string };

/**
 * The benchmark's load generator: a protocol client written straight on a Bun socket, with hand-rolled
 * framing, so that what is measured is the server (the app's, or a floor) and not the app's own client.
 * It speaks just enough of the protocol: HELLO, MSG with ids 1, 2, 3, …, ACKs (checked: type and id, in
 * order), BYE. In version 2 it runs the real handshake (src/secure, pure code) and then seals its frames
 * into records as the app does: one record per write.
 */
export class RawClient {
  private socket!: Socket<undefined>;
  private speech: Speech = { version: 1 };
  private handshake: ClientHandshake | null = null;
  private sealer: RecordSealer | null = null;
  private opener: RecordOpener | null = null;
  /** Version 2: from the start of the TCP connect to the server's SESSION, in ms. */
  handshakeMs = Number.NaN;
  /**
   * Version 2: from the start of the TCP connect to the channel being up on this side (the server's HELLO
   * checked, this side's CONFIRM written), in ms: issue 8's measure. SESSION follows one trip later.
   */
  channelUpMs = Number.NaN;
  private connectStarted = 0;
  private nextId = 1;
  /** Id of the next ACK expected. */
  private expectedAck = 1;
  private readonly header = new Uint8Array(HEADER_SIZE);
  private headerFill = 0;
  private skip = 0;
  private greeted = false;
  private onAck: () => void = () => {};
  private failure: Error | null = null;
  private fail: (error: Error) => void = () => {};
  private onDrain: () => void = () => {};
  private closed!: Promise<void>;

  /** Connects to 127.0.0.1:`port` and completes the handshake. A server that answers BUSY is tried again. */
  static async connect(
    port: number,
    speech: Speech = { version: 1 },
    timeoutMs = 10_000,
  ): Promise<RawClient> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const client = new RawClient();
      client.speech = speech;
      try {
        await client.open(port, Math.max(1, deadline - performance.now()));
        return client;
      } catch (error) {
        client.socket?.terminate();
        const busy = error instanceof Error && error.message.includes("BUSY");
        if (!busy || performance.now() > deadline) throw error;
        await Bun.sleep(20); // the server has not seen the previous client leave yet
      }
    }
  }

  private async open(port: number, timeoutMs: number): Promise<void> {
    let closedResolve!: () => void;
    this.closed = new Promise((resolve) => {
      closedResolve = resolve;
    });
    const greeting = new Promise<void>((resolve, reject) => {
      this.onAck = resolve; // the first frame a server sends is its HELLO (version 2: SESSION)
      this.fail = reject;
    });
    // Version 2: the HELLO is computed before the connect starts, as the app's client does.
    if (this.speech.version === 2) {
      this.handshake = new ClientHandshake({
        now: performance.now(),
        maxMessage: 0,
        secret: { mode: 0, code: this.speech.code },
      });
    }
    const started = performance.now();
    this.connectStarted = started;
    this.socket = await Bun.connect({
      hostname: "127.0.0.1",
      port,
      socket: {
        data: (_socket, chunk) => this.receive(chunk),
        drain: () => this.onDrain(),
        close: () => {
          this.failWith(new Error("the server closed the connection"));
          closedResolve();
        },
        error: (_socket, error) => this.failWith(error),
      },
    });
    this.socket.setNoDelay(true);
    if (this.speech.version === 1) this.socket.write(encodeFrame(FrameType.HELLO, 0, encodeHello(0)));
    else this.writeHandshake();
    await withTimeout(greeting, timeoutMs, "the server's HELLO");
    this.handshakeMs = performance.now() - started;
  }

  /** Writes what the handshake has to say; once it is up, switches to records. */
  private writeHandshake(): Uint8Array | null {
    const handshake = this.handshake as ClientHandshake;
    for (const bytes of handshake.takeOutput()) this.socket.write(bytes);
    for (const event of handshake.takeEvents()) {
      if (event.type === "failed") this.failWith(new Error(`handshake failed: ${event.failure.reason}`));
      if (event.type === "up") {
        this.channelUpMs = performance.now() - this.connectStarted;
        this.sealer = new RecordSealer(event.channel.keys.send);
        this.opener = new RecordOpener(event.channel.keys.receive);
        this.handshake = null;
        return event.channel.leftover;
      }
    }
    return null;
  }

  /** The bytes to write for `frames`: themselves (version 1), or sealed into one record (version 2). */
  private wire(frames: Uint8Array): Uint8Array {
    return this.sealer ? this.sealer.seal([frames]) : frames;
  }

  /**
   * `count` round trips one after the other: send a MSG of `size` bytes, wait for its ACK, send the next.
   * Returns each round trip in µs.
   */
  roundTrips(count: number, size: number, timeoutMs: number): Promise<Float64Array> {
    const samples = new Float64Array(count);
    const frame = encodeFrame(FrameType.MSG, 0, new Uint8Array(size).fill(0x61));
    let done = 0;
    let sentAt = 0;
    const sendNext = () => {
      writeHeader(frame, 0, FrameType.MSG, this.nextId++, size);
      sentAt = performance.now();
      const bytes = this.wire(frame);
      if (this.socket.write(bytes) !== bytes.length) this.failWith(new Error("a small write was cut"));
    };
    const finished = new Promise<Float64Array>((resolve, reject) => {
      this.fail = reject;
      this.onAck = () => {
        samples[done++] = (performance.now() - sentAt) * 1000;
        if (done === count) resolve(samples);
        else sendNext();
      };
    });
    sendNext();
    return withTimeout(finished, timeoutMs, `${count} round trips`);
  }

  /**
   * `count` MSGs of `size` bytes sent as fast as the socket takes them, `perWrite` frames per write; resolves
   * with the ms from the first write to the last ACK.
   */
  pipelined(count: number, size: number, perWrite: number, timeoutMs: number): Promise<number> {
    const frameSize = HEADER_SIZE + size;
    const batch = new Uint8Array(frameSize * perWrite).fill(0x61);
    let sent = 0;
    let acked = 0;
    let started = 0;
    let pending: Uint8Array | null = null; // the part of a batch the socket has not taken yet
    const writeMore = () => {
      for (;;) {
        if (pending === null) {
          if (sent === count) return;
          const frames = Math.min(perWrite, count - sent);
          for (let i = 0; i < frames; i++)
            writeHeader(batch, i * frameSize, FrameType.MSG, this.nextId++, size);
          sent += frames;
          pending = this.wire(batch.subarray(0, frames * frameSize));
        }
        const written = this.socket.write(pending);
        if (written < pending.length) {
          pending = pending.subarray(Math.max(0, written));
          return; // the rest goes on `drain`
        }
        pending = null;
      }
    };
    const finished = new Promise<number>((resolve, reject) => {
      this.fail = reject;
      this.onAck = () => {
        if (++acked === count) resolve(performance.now() - started);
      };
      this.onDrain = writeMore;
    });
    started = performance.now();
    writeMore();
    return withTimeout(finished, timeoutMs, `${count} pipelined messages`).finally(() => {
      this.onDrain = () => {};
    });
  }

  /** Says BYE and waits (bounded) for the server to close, so that its slot is free for the next client. */
  async close(): Promise<void> {
    this.fail = () => {};
    this.failure = new Error("closing");
    this.socket.write(this.wire(encodeFrame(FrameType.BYE, 0)));
    this.socket.end();
    await withTimeout(this.closed, 5000, "the server to close").catch(() => this.socket.terminate());
  }

  private receive(chunk: Uint8Array): void {
    if (this.handshake) {
      this.handshake.receive(chunk, performance.now());
      const leftover = this.writeHandshake();
      if (leftover && leftover.length > 0) this.receive(leftover);
      return;
    }
    if (this.opener) {
      try {
        this.opener.open(chunk, (plaintext) => this.receiveFrames(plaintext));
      } catch (error) {
        this.failWith(error as Error);
      }
      return;
    }
    this.receiveFrames(chunk);
  }

  private receiveFrames(chunk: Uint8Array): void {
    let pos = 0;
    while (pos < chunk.length) {
      if (this.skip > 0) {
        // The rest of the server's HELLO payload.
        const take = Math.min(this.skip, chunk.length - pos);
        this.skip -= take;
        pos += take;
        if (this.skip === 0) this.greet();
        continue;
      }
      const take = Math.min(HEADER_SIZE - this.headerFill, chunk.length - pos);
      this.header.set(chunk.subarray(pos, pos + take), this.headerFill);
      this.headerFill += take;
      pos += take;
      if (this.headerFill < HEADER_SIZE) return;
      this.headerFill = 0;
      const type = this.header[0] as number;
      const id = readU32(this.header, 1);
      const length = readU32(this.header, 5);
      if (!this.greeted) {
        const greeting = this.speech.version === 1 ? FrameType.HELLO : FrameType.SESSION;
        if (type !== greeting) {
          const what = type === FrameType.BUSY ? "BUSY" : `frame type ${type}`;
          this.failWith(
            new Error(`the server answered ${what} instead of ${greeting === 1 ? "HELLO" : "SESSION"}`),
          );
          return;
        }
        if (length === 0) this.greet();
        else this.skip = length;
        continue;
      }
      if (type !== FrameType.ACK || length !== 0) {
        this.failWith(new Error(`frame type ${type} of ${length} bytes instead of an ACK`));
        return;
      }
      if (id !== this.expectedAck) {
        this.failWith(new Error(`ACK ${id} arrived, ${this.expectedAck} was expected`));
        return;
      }
      this.expectedAck++;
      this.onAck();
    }
  }

  private greet(): void {
    this.greeted = true;
    this.onAck();
  }

  private failWith(error: Error): void {
    if (this.failure) return;
    this.failure = error;
    this.fail(error);
  }
}

/** `promise`, or a rejection naming `what` after `ms`. */
export async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
