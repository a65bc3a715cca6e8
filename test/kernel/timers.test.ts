import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  cancelTimer,
  exit,
  InvalidArgumentError,
  type Pid,
  register,
  send,
  sendAfter,
  spawn,
  TimerRef,
} from "beamish";
import { assertReceive, refuteReceive, withRuntime } from "beamish/testing";

describe("sendAfter", () => {
  it(
    "delivers at the exact instant of the virtual clock",
    withRuntime(async ({ self, clock }) => {
      const timer = sendAfter(self.pid, "tick", 1000);
      assert.ok(timer instanceof TimerRef);
      assert.equal(timer.deadline, 1000);
      await clock.advance(999);
      await refuteReceive(self, "tick", { timeout: 0 });
      await clock.advance(1);
      await assertReceive(self, "tick", { timeout: 0 });
      assert.equal(clock.now(), 1000);
    }),
  );

  it(
    "fires timers in deadline order, and same-instant timers in the order they were set",
    withRuntime(async ({ self, clock }) => {
      sendAfter(self.pid, "c", 30);
      sendAfter(self.pid, "a", 10);
      sendAfter(self.pid, "b1", 20);
      sendAfter(self.pid, "b2", 20);
      await clock.advance(30);
      const got = [];
      for (let i = 0; i < 4; i++) got.push(await self.receive({ timeout: 0 }));
      assert.deepEqual(got, ["a", "b1", "b2", "c"]);
    }),
  );

  it(
    "fires a 0 ms timer on the next advance, not synchronously",
    withRuntime(async ({ self, clock }) => {
      sendAfter(self.pid, "now", 0);
      await refuteReceive(self, "now", { timeout: 0 });
      await clock.advance(0);
      await assertReceive(self, "now", { timeout: 0 });
    }),
  );

  it(
    "resolves a name when it fires, and drops the message when nobody holds it",
    withRuntime(async ({ self, clock, crashes }) => {
      sendAfter("later", "for whoever holds the name", 100);
      sendAfter("nobody", "lost", 100);
      register("later", self.pid);
      await clock.advance(100);
      await assertReceive(self, "for whoever holds the name", { timeout: 0 });
      assert.deepEqual(crashes, []);
    }),
  );

  it(
    "drops the message for a pid that died meanwhile",
    withRuntime(async ({ self, clock }) => {
      const pid: Pid = spawn(async (p) => {
        send(self.pid, { got: await p.receive() });
      });
      sendAfter(pid, "late", 50);
      exit(pid, "kill");
      await clock.advance(50);
      await refuteReceive(self, () => true, { timeout: 0 });
    }),
  );

  it(
    "rejects a bad delay with the exact message",
    withRuntime(({ self }) => {
      for (const [ms, got] of [
        [-5, "-5"],
        [Number.NaN, "NaN"],
        [Infinity, "Infinity"],
        ["10", '"10"'],
      ] as const) {
        assert.throws(
          () => sendAfter(self.pid, "x", ms as never),
          (e: unknown) =>
            e instanceof InvalidArgumentError &&
            e.message ===
              `invalid value for \`ms\`: expected a non-negative number (ms), got ${got}`,
        );
      }
    }),
  );
});

describe("cancelTimer", () => {
  it(
    "returns the milliseconds left and stops the message",
    withRuntime(async ({ self, clock }) => {
      const timer = sendAfter(self.pid, "never", 1000);
      await clock.advance(300);
      assert.equal(cancelTimer(timer), 700);
      assert.equal(clock.pendingTimers, 0);
      await clock.advance(1000);
      await refuteReceive(self, "never", { timeout: 0 });
    }),
  );

  it(
    "returns false after the timer fired or was cancelled",
    withRuntime(async ({ self, clock }) => {
      const fired = sendAfter(self.pid, "fired", 10);
      await clock.advance(10);
      assert.equal(cancelTimer(fired), false);
      await assertReceive(self, "fired", { timeout: 0 });
      const cancelled = sendAfter(self.pid, "x", 10);
      assert.equal(cancelTimer(cancelled), 10);
      assert.equal(cancelTimer(cancelled), false);
    }),
  );

  it(
    "rejects what is not a TimerRef",
    withRuntime(() => {
      assert.throws(
        () => cancelTimer(42 as never),
        (e: unknown) =>
          e instanceof InvalidArgumentError &&
          e.message === "invalid value for `timer`: expected a TimerRef from sendAfter, got 42",
      );
    }),
  );
});

describe("sleep", () => {
  it(
    "resolves at the exact instant, leaving messages to queue meanwhile",
    withRuntime(async ({ self, clock }) => {
      const pid = spawn(async (p) => {
        await p.sleep(250);
        send(self.pid, { woke: clock.now(), queued: await p.receive({ timeout: 0 }) });
      });
      await clock.advance(100);
      send(pid, "while asleep");
      await clock.advance(149);
      await refuteReceive(self, () => true, { timeout: 0 });
      await clock.advance(1);
      await assertReceive(self, { woke: 250, queued: "while asleep" }, { timeout: 0 });
    }),
  );

  it(
    "with 0 ms waits for the next advance of the clock",
    withRuntime(async ({ self, clock }) => {
      spawn(async (p) => {
        await p.sleep(0);
        send(self.pid, "slept");
      });
      await clock.advance(0);
      await assertReceive(self, "slept", { timeout: 0 });
    }),
  );

  it(
    "rejects a bad duration with the exact message",
    withRuntime(async ({ self }) => {
      for (const [ms, got] of [
        [-1, "-1"],
        [Infinity, "Infinity"],
        [Number.NaN, "NaN"],
      ] as const) {
        await assert.rejects(
          async () => self.sleep(ms),
          (e: unknown) =>
            e instanceof InvalidArgumentError &&
            e.message ===
              `invalid value for \`sleep.ms\`: expected a non-negative number (ms), got ${got}`,
        );
      }
    }),
  );
});
