import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { type Clock, systemClock, turnNow } from "../../src/kernel/clock.js";

describe("turnNow", () => {
  test("reads the system clock once per turn of the event loop, and again in the next turn", async () => {
    const first = turnNow(systemClock);
    const until = performance.now() + 2;
    while (performance.now() < until) {
      // Time passes within one turn: the cached reading stays.
    }
    assert.equal(turnNow(systemClock), first, "a second read in the same turn");
    await new Promise<void>((resolve) => setImmediate(resolve));
    await new Promise<void>((resolve) => setImmediate(resolve));
    const next = turnNow(systemClock);
    assert.ok(next >= first + 2, `the next turn reads the clock again: ${next} after ${first}`);
  });

  test("reads any other clock every time", () => {
    let reads = 0;
    const clock: Clock = { now: () => ++reads, setTimer: () => undefined, clearTimer: () => {} };
    assert.equal(turnNow(clock), 1, "first read");
    assert.equal(turnNow(clock), 2, "second read");
  });
});
