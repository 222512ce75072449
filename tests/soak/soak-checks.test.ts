import { expect, test } from "bun:test";
import { DirectionLedger } from "../../scripts/soak/ledger.ts";
import { judgeMemory, SAMPLES_PER_SECOND } from "../../scripts/soak/memory.ts";
import { parseSoakOptions } from "../../scripts/soak/options.ts";
import { makeBatch, sha256 } from "../../scripts/soak/payloads.ts";

/** The soak's verdicts must catch what they claim to catch; these check the checker with made-up events. */

function ledgerWith(payloads: Uint8Array[]): DirectionLedger {
  const ledger = new DirectionLedger("test", 4);
  for (const payload of payloads) ledger.recordWritten(sha256(payload), payload.length);
  payloads.forEach((payload, i) => {
    ledger.onSent(i + 1, payload.length);
  });
  return ledger;
}

const bytes = (text: string) => new TextEncoder().encode(text);
const payloads = ["one", "two", "three", "four", "five"].map(bytes);

test("a clean run settles with no faults", () => {
  const ledger = ledgerWith(payloads);
  payloads.forEach((payload, i) => {
    ledger.onMessage(i + 1, payload);
    ledger.onAck(i + 1, 0.5);
  });
  expect(ledger.settled).toBe(true);
  expect(ledger.lost + ledger.unacked).toBe(0);
  expect(Object.values(ledger.faults).every((n) => n === 0)).toBe(true);
  expect(ledger.roundTrips()).toHaveLength(5);
});

test("loss, duplication, corruption, reordering and a duplicate ack are each counted", () => {
  const ledger = ledgerWith(payloads);
  ledger.onMessage(1, payloads[0] as Uint8Array);
  ledger.onMessage(1, payloads[0] as Uint8Array); // duplicate
  ledger.onMessage(3, payloads[2] as Uint8Array); // 2 lost, and 3 out of order
  ledger.onMessage(4, bytes("fouR")); // corrupted, same length
  ledger.onMessage(5, bytes("five!")); // corrupted, other length
  ledger.onMessage(9, bytes("nine")); // never sent
  ledger.onAck(1, 1);
  ledger.onAck(1, 1); // duplicate ack
  expect(ledger.settled).toBe(false);
  expect(ledger.lost).toBe(1);
  expect(ledger.unacked).toBe(4);
  expect(ledger.faults).toMatchObject({
    duplicated: 1,
    outOfOrder: 2, // 1 again after 1 (the duplicate), 3 after 1
    corrupted: 2,
    unknownId: 1,
    duplicateAck: 1,
  });
});

test("a sent event that does not match the line written is counted", () => {
  const ledger = new DirectionLedger("test", 4);
  ledger.recordWritten(sha256(bytes("abc")), 3);
  ledger.onSent(1, 4);
  expect(ledger.faults.sentMismatch).toBe(1);
});

test("generated payloads are lines: no newline inside, hashes and sizes match", () => {
  const batch = makeBatch(500);
  let at = 0;
  batch.sizes.forEach((size, i) => {
    const payload = batch.bytes.subarray(at, at + size);
    expect(payload.includes(0x0a)).toBe(false);
    expect(batch.bytes[at + size]).toBe(0x0a);
    expect(Buffer.from(sha256(payload)).equals(Buffer.from(batch.hashes[i] as Uint8Array))).toBe(true);
    at += size + 1;
  });
  expect(at).toBe(batch.bytes.length);
});

test("memory: flat within 10%, growth beyond it is caught", () => {
  const MiB = 1024 * 1024;
  const samples = 60 * SAMPLES_PER_SECOND;
  const flat = Array.from({ length: samples }, (_, i) => (100 + (i % 7) * 5) * MiB); // a saw, not a slope
  expect(judgeMemory(flat).flat).toBe(true);
  const growing = Array.from({ length: samples }, (_, i) => (100 + i / SAMPLES_PER_SECOND) * MiB);
  const verdict = judgeMemory(growing);
  expect(verdict.flat).toBe(false);
  expect(verdict.warmupSeconds).toBe(10);
  expect(verdict.windowSeconds).toBe(10);
});

test("an acknowledgement by a RESUME (no round trip) counts once, apart, and adds no round trip", () => {
  const ledger = ledgerWith(payloads.slice(0, 2));
  ledger.onMessage(1, payloads[0] as Uint8Array);
  ledger.onMessage(2, payloads[1] as Uint8Array);
  ledger.onAck(1, null);
  ledger.onAck(2, 0.7);
  ledger.onAck(1, null); // a second acknowledgement of the same message is still a fault
  expect(ledger.settled).toBe(true);
  expect(ledger.ackedBeforeDrop).toBe(1);
  expect(ledger.faults.duplicateAck).toBe(1);
  expect([...ledger.roundTrips()]).toEqual([0.7]);
});

test("the soak's options: --chaos, with an optional --seed", () => {
  expect(parseSoakOptions([])).toEqual({ seconds: 60, rate: 10_000, chaos: false });
  expect(parseSoakOptions(["--chaos", "--seconds", "10", "--rate", "2000"])).toEqual({
    seconds: 10,
    rate: 2000,
    chaos: true,
  });
  expect(parseSoakOptions(["--chaos", "--seed", "42"])).toMatchObject({ chaos: true, seed: 42 });
  expect(() => parseSoakOptions(["--seed", "42"])).toThrow("--chaos only");
  expect(() => parseSoakOptions(["--chaos", "--seed", "x"])).toThrow("--seed");
});

test("memory is judged by its floor: a saw whose teeth grow is flat, a rising floor is not", () => {
  const MiB = 1024 * 1024;
  const samples = 10 * SAMPLES_PER_SECOND;
  // The collector's saw: each second falls back to 70 MiB, but the later teeth reach higher (more garbage
  // between collections, nothing kept). Judged by medians this grew by more than 20%.
  const taller = Array.from({ length: samples }, (_, i) => {
    const tooth = i % SAMPLES_PER_SECOND;
    return (70 + tooth * (i < samples / 2 ? 2 : 8)) * MiB;
  });
  const verdict = judgeMemory(taller);
  expect(verdict.last.median / verdict.first.median - 1).toBeGreaterThan(0.2);
  expect(verdict.growth).toBe(0);
  expect(verdict.flat).toBe(true);
  // The same saw on a floor that rises 6 MiB a second (kept memory): growth.
  const leaking = taller.map((bytes, i) => bytes + Math.floor(i / SAMPLES_PER_SECOND) * 6 * MiB);
  expect(judgeMemory(leaking).flat).toBe(false);
});

test("short windows are allowed 20% (their floors are noisier), windows of ten seconds 10%", () => {
  const MiB = 1024 * 1024;
  const stepped = (seconds: number, rise: number) =>
    Array.from({ length: seconds * SAMPLES_PER_SECOND }, (_, i) =>
      i < (seconds / 2) * SAMPLES_PER_SECOND ? 100 * MiB : (100 + rise) * MiB,
    );
  expect(judgeMemory(stepped(10, 15))).toMatchObject({ windowSeconds: 4, limit: 0.2, flat: true });
  expect(judgeMemory(stepped(10, 25))).toMatchObject({ limit: 0.2, flat: false });
  expect(judgeMemory(stepped(60, 15))).toMatchObject({ windowSeconds: 10, limit: 0.1, flat: false });
});
