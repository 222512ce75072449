import { afterEach, expect, test } from "bun:test";
import type { Socket } from "bun";
import { CuttingRelay } from "../helpers/cutting-relay.ts";
import { waitUntil } from "../helpers/wait.ts";

/**
 * The resume tests trust the cutting relay to cut exactly where and how it is told; these check that it does,
 * with plain sockets on both sides: a byte count, a record boundary, a reset (the peer sees ECONNRESET) and
 * a close (a clean end), one end only, a silent hold, and refusing.
 */

const HOST = "127.0.0.1";

/** One end of a test connection: what it received, and how it was closed. */
interface Peer {
  socket: Socket<Peer>;
  received: Uint8Array[];
  closed: { error: string | null } | null;
}

const handlers = {
  data: (socket: Socket<Peer>, chunk: Uint8Array) => {
    socket.data.received.push(new Uint8Array(chunk));
  },
  close: (socket: Socket<Peer>, error?: Error) => {
    socket.data.closed ??= { error: (error as { code?: string } | undefined)?.code ?? null };
  },
  error: (socket: Socket<Peer>, error: Error) => {
    socket.data.closed ??= { error: (error as { code?: string }).code ?? error.message };
  },
};

const received = (peer: Peer) => Buffer.concat(peer.received);

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});

/** A client connection to `port` that keeps what it receives and how it closed; terminated after the test. */
async function connectTo(port: number): Promise<Peer> {
  const peer: Peer = { socket: null as unknown as Socket<Peer>, received: [], closed: null };
  peer.socket = await Bun.connect<Peer>({ hostname: HOST, port, data: peer, socket: handlers });
  cleanups.push(() => peer.socket.terminate());
  return peer;
}

/** A server that keeps its accepted peers, a relay in front of it, and a client through the relay. */
async function setUp() {
  const accepted: Peer[] = [];
  const server = Bun.listen<Peer>({
    hostname: HOST,
    port: 0,
    socket: {
      open(socket) {
        socket.data = { socket, received: [], closed: null };
        accepted.push(socket.data);
      },
      ...handlers,
    },
  });
  cleanups.push(() => server.stop(true));
  const relay = new CuttingRelay({ host: HOST, port: server.port });
  cleanups.push(() => relay.close());
  const client = await connectTo(relay.port);
  await until(() => accepted.length === 1, "the relay has passed the connection on");
  return { relay, client, server: accepted[0] as Peer, accepted };
}

/** Polls every 5 ms, for at most 5 s. */
const until = (condition: () => boolean, what: string) =>
  waitUntil(condition, what, { timeoutMs: 5000, everyMs: 5 });

const bytes = (n: number, fill: number) => new Uint8Array(n).fill(fill);

test("forwards both ways unchanged until told otherwise", async () => {
  const { client, server } = await setUp();
  client.socket.write(bytes(1000, 1));
  server.socket.write(bytes(700, 2));
  await until(
    () => received(server).length === 1000 && received(client).length === 700,
    "both ends have all the bytes",
  );
  expect(received(server).every((b) => b === 1)).toBe(true);
});

test("a reset after exactly N bytes of a direction: the peers get those bytes, then ECONNRESET", async () => {
  const { relay, client, server } = await setUp();
  const link = await relay.link(0);
  const cut = link.cutAt({ direction: "to-server", afterBytes: 1234 }, { how: "reset" });
  client.socket.write(bytes(5000, 7));
  await cut;
  await until(() => server.closed !== null && client.closed !== null, "both ends are closed");
  expect(received(server).length).toBe(1234);
  expect(server.closed?.error).toBe("ECONNRESET");
  expect(client.closed?.error).toBe("ECONNRESET");
  expect(link.dropped["to-server"]).toBe(5000 - 1234);
  expect(relay.cuts).toMatchObject([{ link: 0, how: "reset", sides: "both" }]);
});

test("a plain close on a record boundary: the bytes before it, then a clean end on both sides", async () => {
  const { relay, client, server } = await setUp();
  const link = await relay.link(0);
  // A handshake as version 2 has it to the server (HELLO, CONFIRM), then records of 10 and 20 bytes.
  const frame = (length: number) => [1, 0, 0, 0, 0, 0, 0, 0, length, ...bytes(length, 9)];
  const record = (length: number) => [0, 0, 0, length, ...bytes(length, 5)];
  const stream = new Uint8Array([...frame(78), ...frame(32), ...record(10), ...record(20), ...record(30)]);
  const cut = link.cutAt({ direction: "to-server", record: 2, offset: 0 }, { how: "close" });
  // One byte at a time: the boundaries must be found however the stream is split.
  for (const byte of stream) client.socket.write(new Uint8Array([byte]));
  await cut;
  await until(() => server.closed !== null && client.closed !== null, "both ends are closed");
  expect(received(server).length).toBe(87 + 41 + 14 + 24);
  expect(link.recordStart("to-server", 1)).toBe(87 + 41 + 14);
  expect(server.closed?.error).toBeNull();
  expect(client.closed?.error).toBeNull();
});

test("a cut toward one end only: that end is cut, the other is held open and silent", async () => {
  const { relay, client, server } = await setUp();
  const link = await relay.link(0);
  link.cut({ how: "reset", sides: "client" });
  await until(() => client.closed !== null, "the client is closed");
  server.socket.write(bytes(100, 3));
  await Bun.sleep(100);
  expect(server.closed).toBeNull();
  expect(link.state).toBe("held");
  expect(link.dropped["to-client"]).toBe(100);
});

test("a hold forwards nothing and passes no close on; a cut point not reached gives way to the fallback", async () => {
  const { relay, client, server } = await setUp();
  const link = await relay.link(0);
  link.hold();
  client.socket.write(bytes(10, 1));
  client.socket.end();
  await until(() => client.closed !== null, "the client is closed");
  await Bun.sleep(100);
  expect(received(server).length).toBe(0);
  expect(server.closed).toBeNull();

  const second = await setUp();
  const other = await second.relay.link(0);
  const started = performance.now();
  await other.cutAt({ direction: "to-client", afterBytes: 10_000 }, { how: "close" }, 200);
  expect(performance.now() - started).toBeGreaterThanOrEqual(190);
  await until(() => second.client.closed !== null, "the second client is closed");
});

test("while refusing, a new connection is cut at once and the server never sees it", async () => {
  const { relay, accepted } = await setUp();
  relay.refusing = "reset";
  const refused = await connectTo(relay.port);
  await until(() => refused.closed !== null, "the refused connection is closed");
  expect(refused.closed?.error).toBe("ECONNRESET");
  await Bun.sleep(50);
  expect(accepted).toHaveLength(1);
  expect(relay.links).toHaveLength(2);
});
