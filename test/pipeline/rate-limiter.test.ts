import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { VirtualClock } from "beamish/testing";
import fc from "fast-check";
import { RateLimiter } from "../../src/pipeline/rate-limiter.js";

describe("RateLimiter", () => {
  test("take grants at most allowedMessages per window", () => {
    const clock = new VirtualClock();
    const limiter = new RateLimiter(10, 1000, clock);
    assert.equal(limiter.available, 10);
    assert.equal(limiter.take(4), 4);
    assert.equal(limiter.take(4), 4);
    assert.equal(limiter.take(4), 2);
    assert.equal(limiter.take(4), 0);
    assert.equal(limiter.available, 0);
  });

  test("the window refills allowedMessages after interval ms, not before", async () => {
    const clock = new VirtualClock();
    const limiter = new RateLimiter(5, 1000, clock);
    assert.equal(limiter.take(5), 5);
    await clock.advance(999);
    assert.equal(limiter.take(1), 0);
    await clock.advance(1);
    assert.equal(limiter.available, 5);
    assert.equal(limiter.take(7), 5);
  });

  test("unused allowance does not carry over to the next window", async () => {
    const clock = new VirtualClock();
    const limiter = new RateLimiter(5, 100, clock);
    assert.equal(limiter.take(1), 1);
    await clock.advance(100);
    assert.equal(limiter.available, 5);
  });

  test("onRefill runs once, when the next window opens", async () => {
    const clock = new VirtualClock();
    const limiter = new RateLimiter(3, 500, clock);
    const refills: number[] = [];
    assert.equal(
      limiter.take(5, () => refills.push(clock.now())),
      3,
    );
    await clock.advance(499);
    assert.deepEqual(refills, []);
    await clock.advance(1);
    assert.deepEqual(refills, [500]);
    await clock.advance(5000);
    assert.deepEqual(refills, [500], "not again in later windows");
  });

  test("onRefill is not kept when everything wanted was granted", async () => {
    const clock = new VirtualClock();
    const limiter = new RateLimiter(3, 500, clock);
    let called = false;
    assert.equal(
      limiter.take(3, () => {
        called = true;
      }),
      3,
    );
    await clock.advance(500);
    assert.equal(called, false);
  });

  test("several waiters each run once, in the order they asked", async () => {
    const clock = new VirtualClock();
    const limiter = new RateLimiter(1, 100, clock);
    const order: string[] = [];
    limiter.take(2, () => order.push("a"));
    limiter.take(1, () => order.push("b"));
    limiter.take(1, () => order.push("c"));
    await clock.advance(100);
    assert.deepEqual(order, ["a", "b", "c"]);
  });

  test("a waiter sees the refilled window and can take from it, which opens the next window", async () => {
    const clock = new VirtualClock();
    const limiter = new RateLimiter(2, 100, clock);
    const granted: number[] = [];
    const want = () => {
      const n = limiter.take(3, want);
      granted.push(n);
    };
    want();
    await clock.advance(100);
    await clock.advance(100);
    assert.deepEqual(granted, [2, 2, 2]);
    assert.equal(clock.pendingTimers, 1, "the next window is armed for the pending waiter");
  });

  test("no timer is pending while idle: before any take and after the window closed", async () => {
    const clock = new VirtualClock();
    const limiter = new RateLimiter(5, 1000, clock);
    assert.equal(clock.pendingTimers, 0);
    assert.equal(limiter.take(0), 0);
    assert.equal(clock.pendingTimers, 0, "taking nothing opens no window");
    limiter.take(2);
    assert.equal(clock.pendingTimers, 1);
    limiter.take(2);
    assert.equal(clock.pendingTimers, 1, "one timer per window");
    await clock.advance(1000);
    assert.equal(clock.pendingTimers, 0);
  });

  test("a window opens at the first take after the last one closed", async () => {
    const clock = new VirtualClock();
    const limiter = new RateLimiter(2, 1000, clock);
    limiter.take(2);
    await clock.advance(1000);
    await clock.advance(4321);
    assert.equal(limiter.take(2), 2);
    assert.equal(clock.nextTimerIn(), 1000);
    await clock.advance(999);
    assert.equal(limiter.take(1), 0);
    await clock.advance(1);
    assert.equal(limiter.take(1), 1);
  });

  test("stop cancels the pending window and drops its waiters", async () => {
    const clock = new VirtualClock();
    const limiter = new RateLimiter(1, 100, clock);
    let called = false;
    limiter.take(2, () => {
      called = true;
    });
    assert.equal(clock.pendingTimers, 1);
    limiter.stop();
    assert.equal(clock.pendingTimers, 0);
    await clock.advance(1000);
    assert.equal(called, false);
  });

  test("stop on an idle limiter is harmless", () => {
    const clock = new VirtualClock();
    const limiter = new RateLimiter(1, 100, clock);
    limiter.stop();
    limiter.stop();
    assert.equal(clock.pendingTimers, 0);
  });

  test("property: whatever the takes and waits, no window grants more than allowedMessages", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 1, max: 500 }),
        fc.array(
          fc.oneof(
            fc.record({ take: fc.integer({ min: 0, max: 30 }) }),
            fc.record({ wait: fc.integer({ min: 0, max: 700 }) }),
          ),
          { maxLength: 40 },
        ),
        async (allowed, interval, ops) => {
          const clock = new VirtualClock();
          clock.settle = async () => {};
          const limiter = new RateLimiter(allowed, interval, clock);
          // Grants with their instant; a window starts at a take made with no timer pending.
          let windowStart = -1;
          let inWindow = 0;
          for (const op of ops) {
            if ("wait" in op) {
              await clock.advance(op.wait);
              continue;
            }
            if (clock.pendingTimers === 0) {
              windowStart = clock.now();
              inWindow = 0;
            }
            const granted = limiter.take(op.take);
            assert.ok(granted >= 0 && granted <= op.take);
            inWindow += granted;
            assert.ok(inWindow <= allowed, `${inWindow} granted in the window from ${windowStart}`);
            if (granted > 0) assert.equal(clock.pendingTimers, 1);
          }
          limiter.stop();
          assert.equal(clock.pendingTimers, 0);
        },
      ),
      { numRuns: 200 },
    );
  });
});
