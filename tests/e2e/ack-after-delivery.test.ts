import { afterEach, expect, setDefaultTimeout, test } from "bun:test";
import { FrameType } from "../../src/protocol/constants.ts";
import { RAW_PEER_PROGRAM_ARGS, RawPeer } from "../helpers/frame-peer.ts";
import { frameBytes, utf8 } from "../helpers/frames.ts";
import { PipeProgram } from "../helpers/pipe-program.ts";
import { skipBecause } from "../helpers/skip.ts";
import { StdoutFifo } from "../helpers/stdout-fifo.ts";

/**
 * An ACK means the receiving program has handed the message to its user: in pipe mode, written it to stdout.
 * The program's stdout here is a FIFO the test reads without blocking, and the peer (a RawPeer in the test
 * process) looks into it the moment each ACK arrives: the message must already be there. Deterministic: a
 * program that writes stdout before it sends the ACK always passes; one that lets the ACK go first is
 * caught whenever its stdout lags, and a message larger than the FIFO holds makes it lag every time.
 */

setDefaultTimeout(30_000);

const HOST = "127.0.0.1";
const skip = skipBecause(StdoutFifo.unsupported(), "the tests of ACK after delivery");

/** What the peer saw in the program's stdout when an ACK arrived. */
interface AckSeen {
  id: number;
  /** Bytes of stdout read by then, the FIFO drained at that moment. */
  stdoutBytes: number;
}

let cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  cleanups = [];
});

/** A pipe-mode server writing to a FIFO, and a raw peer through its handshake, noting each ACK's moment. */
async function serverWithFifoStdout(): Promise<{ fifo: StdoutFifo; peer: RawPeer; acks: AckSeen[] }> {
  const fifo = new StdoutFifo();
  cleanups.push(() => fifo.close());
  const server = await PipeProgram.server(["--host", HOST, ...RAW_PEER_PROGRAM_ARGS], {}, fifo.programEnd);
  fifo.spawned();
  cleanups.push(() => server.stop());
  const peer = await RawPeer.handshake(HOST, server.port);
  cleanups.push(() => peer.destroy());
  const acks: AckSeen[] = [];
  peer.onFrame = (frame) => {
    if (frame.type !== FrameType.ACK) return;
    fifo.drain();
    acks.push({ id: frame.id, stdoutBytes: fifo.length });
  };
  return { fifo, peer, acks };
}

test.skipIf(skip)("each message is on the receiver's stdout when its ACK reaches the sender", async () => {
  const { fifo, peer, acks } = await serverWithFifoStdout();
  const lines = ["one", "two", "three", "", "a longer fifth message"];
  // One at a time, then all of them in one write (one chunk: one delivery, one batch of ACKs).
  for (const [i, line] of lines.entries()) {
    await peer.write(frameBytes(FrameType.MSG, i + 1, utf8(line)));
    await peer.waitForFrame((f) => f.type === FrameType.ACK && f.id === i + 1);
  }
  const burst = lines.map((line, i) => frameBytes(FrameType.MSG, 100 + i, utf8(line)));
  await peer.write(Buffer.concat(burst));
  await peer.waitForFrame((f) => f.type === FrameType.ACK && f.id === 100 + lines.length - 1);

  // Each message's line ends at a known byte of stdout; its ACK must have found at least that much there.
  const lineEnd = new Map<number, number>();
  let end = 0;
  for (const [i, line] of [...lines, ...lines].entries()) {
    end += utf8(line).length + 1;
    lineEnd.set(i < lines.length ? i + 1 : 100 + i - lines.length, end);
  }
  const late = acks.filter((ack) => ack.stdoutBytes < (lineEnd.get(ack.id) as number));
  expect(late, "ACKs that reached the sender before their message was on stdout").toEqual([]);
  expect(acks.map((ack) => ack.id)).toEqual([1, 2, 3, 4, 5, 100, 101, 102, 103, 104]);
  expect(fifo.bytes.toString()).toBe(`${lines.join("\n")}\n`.repeat(2));
});

test.skipIf(skip)(
  "a message larger than the stdout pipe holds is acknowledged only once stdout has taken all of it",
  async () => {
    const { fifo, peer, acks } = await serverWithFifoStdout();
    // Far more than a pipe holds (64 KiB on Linux): most of it waits in the program until the test reads.
    const payload = new Uint8Array(4 * 1024 * 1024).fill(0x61);
    await peer.write(frameBytes(FrameType.MSG, 1, payload));
    // A slow reader: the FIFO is read a piece at a time until the ACK has come.
    while (acks.length === 0 && !peer.closedWith) {
      fifo.drain();
      await Bun.sleep(1);
    }
    expect(acks, "the ACK came, and stdout held the whole message (and its newline) by then").toEqual([
      { id: 1, stdoutBytes: payload.length + 1 },
    ]);
  },
);
