import { describe, expect, test } from "bun:test";
import { PendingAcks } from "../../src/core/pending-acks.ts";

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

describe("PendingAcks", () => {
  test("starts empty", () => {
    const pending = new PendingAcks();
    expect(pending.size).toBe(0);
    expect(pending.list()).toEqual([]);
  });

  test("lists messages in the order they were sent, with send time and payload", () => {
    const pending = new PendingAcks();
    pending.add(1, 10.5, bytes("a"), 10.5);
    pending.add(2, 11, bytes("bb"), 11);
    pending.add(3, 12.25, bytes("ccc"), 12.25);
    expect(pending.size).toBe(3);
    expect(pending.list()).toEqual([
      { id: 1, sentAt: 10.5, payload: bytes("a"), givenAt: 10.5, waited: false },
      { id: 2, sentAt: 11, payload: bytes("bb"), givenAt: 11, waited: false },
      { id: 3, sentAt: 12.25, payload: bytes("ccc"), givenAt: 12.25, waited: false },
    ]);
  });

  test("settle removes and returns the message, once", () => {
    const pending = new PendingAcks();
    pending.add(1, 10, bytes("a"), 10);
    pending.add(2, 20, bytes("b"), 20);
    expect(pending.settle(2)).toEqual({ id: 2, sentAt: 20, payload: bytes("b"), givenAt: 20, waited: false });
    expect(pending.settle(2)).toBeUndefined();
    expect(pending.size).toBe(1);
    expect(pending.list().map((m) => m.id)).toEqual([1]);
  });

  test("settling an id that was never added changes nothing", () => {
    const pending = new PendingAcks();
    pending.add(7, 1, bytes("x"), 1);
    expect(pending.settle(8)).toBeUndefined();
    expect(pending.settle(0)).toBeUndefined();
    expect(pending.list().map((m) => m.id)).toEqual([7]);
  });

  test("settling out of order keeps the rest in send order", () => {
    const pending = new PendingAcks();
    for (let id = 1; id <= 5; id++) pending.add(id, id, bytes(String(id)), id);
    pending.settle(3);
    pending.settle(1);
    expect(pending.list().map((m) => m.id)).toEqual([2, 4, 5]);
  });

  test("list() is a copy: changing it does not change what is pending", () => {
    const pending = new PendingAcks();
    pending.add(1, 1, bytes("x"), 1);
    pending.list().pop();
    expect(pending.size).toBe(1);
  });
});
