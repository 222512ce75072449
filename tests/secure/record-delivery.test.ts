/**
 * Regression tests for what the record properties (tests/property/record-properties.ts) found:
 * - the opener used to return a chunk's plaintexts only once the whole chunk had been read, so a failing
 *   record also swallowed the authentic records before it in the same chunk, depending on how TCP happened
 *   to cut the stream;
 * - its bufferedBytes forgot a record's 4 header bytes once the header was complete.
 */
import { describe, expect, test } from "bun:test";
import { Session, type SessionEvent } from "../../src/core/session.ts";
import { flat } from "../../src/protocol/bytes.ts";
import { IntegrityError } from "../../src/protocol/errors.ts";
import type { ChannelKeys } from "../../src/secure/handshake.ts";
import { RecordOpener, RecordSealer } from "../../src/secure/records.ts";
import { SecureChannel } from "../../src/secure/secure-channel.ts";
import { concat, utf8 } from "../helpers/frames.ts";

const c2s = { key: new Uint8Array(32).fill(1), iv: new Uint8Array(12).fill(2) };
const s2c = { key: new Uint8Array(32).fill(3), iv: new Uint8Array(12).fill(4) };
const clientKeys: ChannelKeys = { send: c2s, receive: s2c };
const serverKeys: ChannelKeys = { send: s2c, receive: c2s };

describe("records: a failing record after authentic ones in the same chunk", () => {
  test("the authentic records are handed out, then IntegrityError, and nothing of the failing one", () => {
    const sealer = new RecordSealer(c2s);
    const first = sealer.seal([utf8("first")]);
    const second = sealer.seal([utf8("second")]);
    const third = sealer.seal([utf8("third")]);
    third[third.length - 1] = (third[third.length - 1] as number) ^ 1;
    const opener = new RecordOpener(c2s);
    const handed: string[] = [];
    const deliver = (plaintext: Uint8Array) => handed.push(new TextDecoder().decode(plaintext));
    expect(() => opener.open(concat([first, second, third]), deliver)).toThrow(IntegrityError);
    expect(handed).toEqual(["first", "second"]);
    // Refused from then on, with nothing handed out.
    expect(() => opener.open(sealer.seal([utf8("later")]), deliver)).toThrow(IntegrityError);
    expect(handed).toEqual(["first", "second"]);
  });
});

describe("records: bytes held of an incomplete record", () => {
  test("count every byte received of it, its 4 header bytes included", () => {
    const record = new RecordSealer(c2s).seal([utf8("hello")]);
    for (const split of [[2, 4, 9], [4, 9], [9]]) {
      const opener = new RecordOpener(c2s);
      let from = 0;
      for (const to of split) {
        opener.open(record.subarray(from, to), () => {});
        expect(opener.bufferedBytes).toBe(to);
        from = to;
      }
      const handed: Uint8Array[] = [];
      opener.open(record.subarray(from), (plaintext) => handed.push(plaintext));
      expect(handed).toEqual([utf8("hello")]);
      expect(opener.bufferedBytes).toBe(0);
    }
  });
});

describe("version-2 session: a failing record in the same chunk as authentic ones", () => {
  function pair(resumeWindowMs: number) {
    const client = new Session({ role: "client", version: 2, maxMessage: 1000, now: 0 });
    const server = new Session({ role: "server", version: 2, maxMessage: 1000, now: 0, resumeWindowMs });
    client.attach(new SecureChannel(clientKeys), 0, 1000);
    server.attach(new SecureChannel(serverKeys), 0, 1000);
    for (const bytes of server.takeOutput()) client.receive(bytes, 0); // SESSION
    client.takeEvents();
    server.takeEvents();
    return { client, server };
  }
  const tamperLast = (bytes: Uint8Array) => {
    const out = bytes.slice();
    out[out.length - 1] = (out[out.length - 1] as number) ^ 0x80;
    return out;
  };
  const texts = (events: SessionEvent[]) =>
    events.flatMap((e) => (e.type === "message" ? [new TextDecoder().decode(flat(e.payload))] : []));

  test("the messages of the authentic records are delivered, then the session is suspended", () => {
    const { client, server } = pair(60_000);
    client.send(utf8("one"), 1);
    const one = concat(client.takeOutput());
    client.send(utf8("two"), 1);
    const two = tamperLast(concat(client.takeOutput()));
    server.receive(concat([one, two]), 2);
    const events = server.takeEvents();
    expect(texts(events)).toEqual(["one"]);
    expect(events.at(-1)).toMatchObject({ type: "suspended" });
    expect(server.state).toBe("suspended");
  });

  test("a BYE in an authentic record ends the session for good, whatever the next record holds", () => {
    const { client, server } = pair(60_000);
    client.close("done");
    const bye = concat(client.takeOutput());
    // A record that fails authentication right behind the BYE, in the same chunk.
    const stray = tamperLast(new RecordSealer(c2s).seal([utf8("stray")]));
    server.receive(concat([bye, stray]), 2);
    expect(server.takeEvents()).toEqual([{ type: "closed", kind: "peer-bye", reason: "done" }]);
    expect(server.state).toBe("closed");
  });
});
