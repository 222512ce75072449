import { expect, test } from "bun:test";
import { type Clock, StatusThrottle } from "../../src/ui/status-throttle.ts";

/** A clock the test moves by hand: `advance` runs what falls due. */
class FakeClock implements Clock {
  time = 1000;
  private timers: { at: number; fn: () => void }[] = [];
  now = () => this.time;
  later = (fn: () => void, ms: number) => {
    const timer = { at: this.time + ms, fn };
    this.timers.push(timer);
    return () => {
      this.timers = this.timers.filter((t) => t !== timer);
    };
  };
  advance(ms: number): void {
    this.time += ms;
    const due = this.timers.filter((t) => t.at <= this.time);
    this.timers = this.timers.filter((t) => t.at > this.time);
    for (const t of due) t.fn();
  }
  get pending(): number {
    return this.timers.length;
  }
}

test("the first change shows at once; changes within the interval wait, and only the latest shows", () => {
  const clock = new FakeClock();
  const shown: (string | null)[] = [];
  const throttle = new StatusThrottle<string | null>((v) => shown.push(v), 250, clock);
  throttle.set("a");
  expect(shown).toEqual(["a"]);
  clock.advance(10);
  throttle.set("b");
  throttle.set(null);
  throttle.set("c");
  expect(shown).toEqual(["a"]);
  clock.advance(239);
  expect(shown).toEqual(["a"]);
  clock.advance(1);
  expect(shown).toEqual(["a", "c"]);
  expect(clock.pending).toBe(0);
});

test("a thousand updates in a second show about four times, and the last one is shown last", () => {
  const clock = new FakeClock();
  const shown: string[] = [];
  const throttle = new StatusThrottle<string>((v) => shown.push(v), 250, clock);
  for (let i = 1; i <= 1000; i++) {
    throttle.set(`update ${i}`);
    clock.advance(1);
  }
  clock.advance(250);
  expect(shown.length).toBeLessThanOrEqual(5);
  expect(shown[shown.length - 1]).toBe("update 1000");
});

test("after a quiet interval a change shows at once again", () => {
  const clock = new FakeClock();
  const shown: string[] = [];
  const throttle = new StatusThrottle<string>((v) => shown.push(v), 250, clock);
  throttle.set("a");
  clock.advance(300);
  throttle.set("b");
  expect(shown).toEqual(["a", "b"]);
});

test("stop forgets what is held", () => {
  const clock = new FakeClock();
  const shown: string[] = [];
  const throttle = new StatusThrottle<string>((v) => shown.push(v), 250, clock);
  throttle.set("a");
  throttle.set("b");
  throttle.stop();
  clock.advance(1000);
  expect(shown).toEqual(["a"]);
});
