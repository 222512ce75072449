/**
 * The file floor: the least a Bun program must do to move a file the way protocol version 2 asks (spec
 * section 4), and nothing else. The sender reads the file, hashes it with SHA-256 (FILE_SUM) and seals it
 * into records with the app's own record layer (src/secure/records.ts: AES-256-GCM, a record per 65,527
 * bytes, as the app's FILE_DATA); the receiver opens the records, hashes what they hold and writes it to
 * the file. No handshake (fixed keys: the benchmark times the transfer, not the set-up), no frames, no
 * flow control, no progress, no event loop turns it can avoid: file reads and writes are synchronous.
 *
 * The benchmark runs it beside the app and nc in the same rounds, so "app ÷ floor" is what 121chat adds on
 * top of what the runtime must do, and "floor ÷ nc" is how far the runtime itself gets.
 *
 * Run: `bun scripts/bench/file-floor.ts receive FILE` (listens on a free port of 127.0.0.1; the benchmark
 * finds it in /proc) and `bun scripts/bench/file-floor.ts send PORT FILE`. The sender prints `sending` once
 * connected; the receiver prints `received BYTES SHA256` once the file is written and closed, then exits.
 */
import { createHash } from "node:crypto";
import { closeSync, openSync, readSync, writeSync } from "node:fs";
import { RecordOpener, RecordSealer } from "../../src/secure/records.ts";
import { DATA_CHUNK } from "../../src/transfer/outgoing.ts";

/** Both directions' key and IV: any fixed value does (the cost of AES-GCM does not depend on it). */
const KEYS = { key: new Uint8Array(32).fill(0x21), iv: new Uint8Array(12).fill(0x12) };
/** Bytes read from the file at a time: four records' worth, sealed into one of the sealer's reused buffers. */
const READ_BYTES = 4 * DATA_CHUNK;

const [role, ...rest] = process.argv.slice(2);
if (role === "receive" && rest.length === 1) receive(rest[0] as string);
else if (role === "send" && rest.length === 2) send(Number(rest[0]), rest[1] as string);
else {
  process.stderr.write("usage: file-floor.ts receive FILE | send PORT FILE\n");
  process.exit(2);
}

function receive(path: string): void {
  const fd = openSync(path, "w");
  const hash = createHash("sha256");
  const opener = new RecordOpener(KEYS);
  let bytes = 0;
  const take = (plaintext: Uint8Array): void => {
    hash.update(plaintext);
    for (let at = 0; at < plaintext.length; ) at += writeSync(fd, plaintext, at);
    bytes += plaintext.length;
  };
  const server = Bun.listen({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      data(_socket, chunk) {
        opener.open(chunk, take);
      },
      close() {
        closeSync(fd);
        writeSync(1, `received ${bytes} ${hash.digest("hex")}\n`);
        server.stop(true);
        process.exit(0);
      },
    },
  });
}

function send(port: number, path: string): void {
  const fd = openSync(path, "r");
  const hash = createHash("sha256");
  const sealer = new RecordSealer(KEYS);
  const buffer = new Uint8Array(READ_BYTES);
  /** What the socket has not taken yet of `sealed` (the sealer's buffer, given back once all is written). */
  let sealed: Uint8Array | null = null;
  let unsent: Uint8Array | null = null;
  let sent = 0;
  // Writes until the socket takes no more (then `drain` calls again) or the file ends.
  const pump = (socket: Bun.Socket): void => {
    for (;;) {
      if (unsent) {
        const took = socket.write(unsent);
        if (took < unsent.length) {
          unsent = unsent.subarray(Math.max(0, took));
          return;
        }
        unsent = null;
        sealer.recycle(sealed as Uint8Array);
      }
      const got = readSync(fd, buffer, 0, buffer.length, sent);
      if (got === 0) {
        closeSync(fd);
        writeSync(2, `sent ${sent} ${hash.digest("hex")}\n`);
        socket.end();
        return;
      }
      sent += got;
      const data = buffer.subarray(0, got);
      hash.update(data);
      const records: Uint8Array[] = [];
      for (let at = 0; at < got; at += DATA_CHUNK)
        records.push(data.subarray(at, Math.min(got, at + DATA_CHUNK)));
      sealed = sealer.seal(records);
      unsent = sealed;
    }
  };
  void Bun.connect({
    hostname: "127.0.0.1",
    port,
    socket: {
      open(socket) {
        writeSync(1, "sending\n");
        pump(socket);
      },
      drain: pump,
      data() {},
      close() {
        process.exit(0);
      },
    },
  });
}
