import { describe, expect, test } from "bun:test";
import { HandshakeGate } from "../../src/core/handshake-gate.ts";

describe("HandshakeGate: one answered handshake at a time", () => {
  test("nothing waits: nothing to answer", () => {
    expect(new HandshakeGate<string>().next(0)).toBeNull();
  });

  test("the first waiting is answered; no other until it is settled", () => {
    const gate = new HandshakeGate<string>();
    gate.enqueue("a1", "10.0.0.1");
    gate.enqueue("b1", "10.0.0.2");
    expect(gate.next(0)).toBe("a1");
    expect(gate.answered).toBe("a1");
    expect(gate.next(0)).toBeNull();
    gate.settled("a1", true, 5);
    expect(gate.next(5)).toBe("b1");
  });

  test("turns go round the addresses: one address with many connections cannot starve another", () => {
    const gate = new HandshakeGate<string>();
    for (let i = 1; i <= 5; i++) gate.enqueue(`attacker${i}`, "10.6.6.6");
    gate.enqueue("honest", "192.168.1.31");
    gate.enqueue("other", "172.16.0.9");
    const order: string[] = [];
    for (let t = 0; ; t++) {
      const next = gate.next(t);
      if (next === null) break;
      order.push(next);
      gate.settled(next, true, t);
    }
    expect(order).toEqual([
      "attacker1",
      "honest",
      "other",
      "attacker2",
      "attacker3",
      "attacker4",
      "attacker5",
    ]);
  });

  test("an address that comes back goes behind the ones already waiting", () => {
    const gate = new HandshakeGate<string>();
    gate.enqueue("a1", "A");
    gate.enqueue("b1", "B");
    expect(gate.next(0)).toBe("a1");
    gate.settled("a1", true, 0);
    gate.enqueue("a2", "A");
    gate.enqueue("c1", "C");
    const order = [];
    for (let next = gate.next(0); next; next = gate.next(0)) {
      order.push(next);
      gate.settled(next, true, 0);
    }
    expect(order).toEqual(["b1", "a2", "c1"]);
  });

  test("after a failed try, the next is answered no sooner than the cool-down", () => {
    const gate = new HandshakeGate<string>(1000);
    gate.enqueue("guess1", "A");
    gate.enqueue("guess2", "A");
    expect(gate.next(0)).toBe("guess1");
    gate.settled("guess1", false, 2_000);
    expect(gate.deadline(2_000)).toBe(3_000);
    expect(gate.next(2_999)).toBeNull();
    expect(gate.next(3_000)).toBe("guess2");
    expect(gate.deadline(3_000)).toBe(Number.POSITIVE_INFINITY);
  });

  test("a success starts no cool-down", () => {
    const gate = new HandshakeGate<string>(1000);
    gate.enqueue("x", "A");
    gate.enqueue("y", "A");
    gate.settled(gate.next(0) as string, true, 10);
    expect(gate.next(10)).toBe("y");
  });

  test("a waiting item that goes away is forgotten; settling something not answered changes nothing", () => {
    const gate = new HandshakeGate<string>();
    gate.enqueue("gone", "A");
    gate.enqueue("stays", "B");
    gate.remove("gone");
    gate.settled("stays", false, 0);
    expect(gate.waitingCount).toBe(1);
    expect(gate.next(0)).toBe("stays");
  });
});
