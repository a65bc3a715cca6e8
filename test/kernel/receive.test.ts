import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  type DownMessage,
  exit,
  InvalidArgumentError,
  isBeamishError,
  isDownMessage,
  NoProcError,
  type Pid,
  ProcessExitedError,
  processInfo,
  type Self,
  send,
  sendAfter,
  spawn,
  Task,
  TIMEOUT,
} from "beamish";
import { assertReceive, refuteReceive, runInRuntime, withRuntime } from "beamish/testing";
import fc from "fast-check";

/** Spawns a process that takes `count` messages with plain receive and sends them back as one array. */
function collector(to: Pid, count: number): Pid {
  return spawn(async (p) => {
    const got: unknown[] = [];
    for (let i = 0; i < count; i++) got.push(await p.receive());
    send(to, { got });
  });
}

/** Runs `fn` inside a fresh process and sends `{ result }` or `{ error }` to `to`. */
function inProcess(to: Pid, fn: (p: Self) => Promise<unknown>): Pid {
  return spawn(async (p) => {
    try {
      send(to, { result: await fn(p) });
    } catch (error) {
      send(to, { error });
    }
  });
}

describe("send and receive", () => {
  it("keeps each sender's messages in order, however senders interleave (property)", async () => {
    const senderPlans = fc.array(
      fc.array(fc.record({ value: fc.integer(), yieldAfter: fc.boolean() }), { maxLength: 30 }),
      { minLength: 1, maxLength: 5 },
    );
    await fc.assert(
      fc.asyncProperty(senderPlans, async (plans) => {
        await runInRuntime(async ({ self }) => {
          const total = plans.reduce((n, plan) => n + plan.length, 0);
          const receiver = collector(self.pid, total);
          const senders = plans.map((plan, s) =>
            spawn(async () => {
              for (const [i, step] of plan.entries()) {
                send(receiver, { s, i, value: step.value });
                // Yielding lets the other senders run between two sends of this one.
                if (step.yieldAfter) await Promise.resolve();
              }
            }),
          );
          assert.equal(senders.length, plans.length);
          const { got } = await assertReceive<{
            got: Array<{ s: number; i: number; value: number }>;
          }>(self, { got: Array.isArray });
          assert.equal(got.length, total);
          for (const [s, plan] of plans.entries()) {
            const fromS = got.filter((m) => m.s === s);
            assert.deepEqual(
              fromS.map((m) => m.value),
              plan.map((step) => step.value),
            );
            assert.deepEqual(
              fromS.map((m) => m.i),
              plan.map((_, i) => i),
            );
          }
        });
      }),
      { numRuns: 60 },
    );
  });

  it(
    "delivers messages sent from outside any process in order",
    withRuntime(async ({ self }) => {
      const receiver = collector(self.pid, 100);
      for (let i = 0; i < 100; i++) send(receiver, i);
      const { got } = await assertReceive<{ got: number[] }>(self, { got: Array.isArray });
      assert.deepEqual(
        got,
        Array.from({ length: 100 }, (_, i) => i),
      );
    }),
  );

  it(
    "delivers any value as is, including undefined, functions and errors",
    withRuntime(async ({ self }) => {
      const fn = () => 1;
      const error = new Error("as data");
      const values = [undefined, null, 0, "", fn, error, Symbol.for("s"), { deep: [1] }];
      const receiver = collector(self.pid, values.length);
      for (const v of values) send(receiver, v);
      const { got } = await assertReceive<{ got: unknown[] }>(self, { got: Array.isArray });
      assert.equal(got.length, values.length);
      for (const [i, v] of values.entries()) assert.equal(got[i], v);
    }),
  );

  it(
    "drops a message to a dead pid silently",
    withRuntime(async ({ self, settle }) => {
      const pid = spawn(() => undefined);
      await settle();
      assert.equal(processInfo(pid), undefined);
      assert.doesNotThrow(() => send(pid, "into the void"));
      await refuteReceive(self, () => true, { timeout: 0 });
    }),
  );

  it(
    "throws NoProcError for a name nobody holds",
    withRuntime(() => {
      assert.throws(
        () => send("nobody", "hello"),
        (e: unknown) => {
          assert.ok(e instanceof NoProcError);
          assert.ok(isBeamishError(e, "ERR_NOPROC"));
          assert.equal(e.code, "ERR_NOPROC");
          assert.equal(e.dest, "nobody");
          assert.equal(e.message, 'no process: "nobody"');
          return true;
        },
      );
    }),
  );

  it(
    "rejects a destination that is neither a pid nor a name",
    withRuntime(() => {
      assert.throws(
        () => send(42 as never, "x"),
        (e: unknown) => {
          assert.ok(e instanceof InvalidArgumentError);
          assert.equal(
            e.message,
            "invalid value for `dest`: expected a pid, a registered name or a via-name { via, key }, got 42",
          );
          return true;
        },
      );
    }),
  );

  it(
    "sends through a via-name resolved by its Naming",
    withRuntime(async ({ self }) => {
      const table = new Map<string, Pid>([["me", self.pid]]);
      const via = {
        registerName: (k: string, p: Pid) => void table.set(k, p),
        unregisterName: (k: string) => void table.delete(k),
        whereisName: (k: string) => table.get(k),
      };
      send({ via, key: "me" }, "through via");
      await assertReceive(self, "through via");
      assert.throws(() => send({ via, key: "other" }, "x"), NoProcError);
    }),
  );
});

describe("selective receive", () => {
  it(
    "takes the first matching message and leaves the others in order",
    withRuntime(async ({ self }) => {
      const pid = inProcess(self.pid, async (p) => {
        await p.sleep(10);
        const picked = await p.receive({ match: (m) => typeof m === "number" && m > 2 });
        const rest = [];
        while (processInfo(p.pid)?.mailboxLength) rest.push(await p.receive());
        return { picked, rest };
      });
      for (const m of [1, "a", 3, 4, "b"]) send(pid, m);
      const { result } = await assertReceive<{ result: unknown }>(self, { result: () => true });
      assert.deepEqual(result, { picked: 3, rest: [1, "a", 4, "b"] });
    }),
  );

  it(
    "skips messages that arrive while it waits, taking the match and keeping the order of the rest",
    withRuntime(async ({ self, settle }) => {
      const pid = inProcess(self.pid, async (p) => {
        const picked = await p.receive({ match: (m) => m === "wanted" });
        const rest = [await p.receive(), await p.receive(), await p.receive()];
        return { picked, rest };
      });
      await settle();
      send(pid, 1);
      await settle();
      send(pid, 2);
      await settle();
      assert.equal(processInfo(pid)?.mailboxLength, 2);
      send(pid, "wanted");
      send(pid, 3);
      const { result } = await assertReceive<{ result: unknown }>(self, { result: () => true });
      assert.deepEqual(result, { picked: "wanted", rest: [1, 2, 3] });
    }),
  );

  it(
    "narrows the type with a type guard",
    withRuntime(async ({ self }) => {
      const isTagged = (m: unknown): m is { tag: string } =>
        typeof m === "object" && m !== null && "tag" in m;
      const pid = inProcess(self.pid, async (p) => {
        const m = await p.receive({ match: isTagged });
        return m.tag.toUpperCase();
      });
      send(pid, "noise");
      send(pid, { tag: "ok" });
      await assertReceive(self, { result: "OK" });
    }),
  );

  it(
    "rejects the receive with the error a match throws, leaving the mailbox intact",
    withRuntime(async ({ self }) => {
      const boom = new Error("bad match");
      const pid = inProcess(self.pid, async (p) => {
        await p.sleep(1);
        try {
          await p.receive({
            match: () => {
              throw boom;
            },
          });
        } catch (e) {
          return { caught: e, left: processInfo(p.pid)?.mailboxLength };
        }
      });
      send(pid, "m");
      const { result } = await assertReceive<{ result: unknown }>(self, { result: () => true });
      assert.deepEqual(result, { caught: boom, left: 1 });
    }),
  );
});

describe("receive timeouts", () => {
  it(
    "resolves TIMEOUT when the virtual clock reaches the timeout, not before",
    withRuntime(async ({ self, clock }) => {
      inProcess(self.pid, async (p) => p.receive({ timeout: 100 }));
      await clock.advance(99);
      await refuteReceive(self, () => true, { timeout: 0 });
      await clock.advance(1);
      const { result } = await assertReceive<{ result: unknown }>(
        self,
        { result: () => true },
        { timeout: 0 },
      );
      assert.equal(result, TIMEOUT);
      assert.equal(clock.now(), 100);
    }),
  );

  it(
    "lets a message that arrives before the timeout win, and clears the timer",
    withRuntime(async ({ self, clock }) => {
      const pid = inProcess(self.pid, async (p) => p.receive({ timeout: 100 }));
      sendAfter(pid, "in time", 60);
      await clock.advance(60);
      await assertReceive(self, { result: "in time" }, { timeout: 0 });
      assert.equal(clock.pendingTimers, 0);
    }),
  );

  it(
    "times out when only non-matching messages arrived",
    withRuntime(async ({ self, clock }) => {
      const pid = inProcess(self.pid, async (p) => {
        const r = await p.receive({ match: (m) => m === "yes", timeout: 50 });
        return { r, left: processInfo(p.pid)?.mailboxLength };
      });
      sendAfter(pid, "no", 10);
      await clock.advance(50);
      await assertReceive(self, { result: { r: TIMEOUT, left: 1 } }, { timeout: 0 });
    }),
  );

  it(
    "polls with timeout 0: a waiting message, else TIMEOUT at once",
    withRuntime(async ({ self, clock, settle }) => {
      const pid = inProcess(self.pid, async (p) => {
        const empty = await p.receive({ timeout: 0 });
        await p.receive({ match: (m) => m === "go" });
        const full = await p.receive({ timeout: 0 });
        return { empty, full };
      });
      await settle();
      send(pid, "go");
      send(pid, "there");
      await assertReceive(self, { result: { empty: TIMEOUT, full: "there" } }, { timeout: 0 });
      assert.equal(clock.now(), 0);
    }),
  );

  it(
    "waits without a timer for timeout Infinity",
    withRuntime(async ({ self, clock }) => {
      const pid = inProcess(self.pid, async (p) => p.receive({ timeout: Infinity }));
      await clock.advance(1e9);
      assert.equal(clock.pendingTimers, 0);
      send(pid, "eventually");
      await assertReceive(self, { result: "eventually" });
    }),
  );

  it(
    "rejects a bad timeout or match with the exact message",
    withRuntime(async ({ self }) => {
      const cases: Array<[object, string]> = [
        [
          { timeout: -1 },
          "invalid value for `receive.timeout`: expected a non-negative integer (ms) or Infinity, got -1",
        ],
        [
          { timeout: 1.5 },
          "invalid value for `receive.timeout`: expected a non-negative integer (ms) or Infinity, got 1.5",
        ],
        [
          { timeout: Number.NaN },
          "invalid value for `receive.timeout`: expected a non-negative integer (ms) or Infinity, got NaN",
        ],
        [
          { timeout: "10" },
          'invalid value for `receive.timeout`: expected a non-negative integer (ms) or Infinity, got "10"',
        ],
        [{ match: 1 }, "invalid value for `receive.match`: expected a function, got 1"],
      ];
      for (const [options, message] of cases) {
        await assert.rejects(
          async () => self.receive(options as never),
          (e: unknown) => {
            assert.ok(e instanceof InvalidArgumentError, String(e));
            assert.equal(e.message, message);
            return true;
          },
        );
      }
    }),
  );

  it(
    "refuses a second receive while one is pending",
    withRuntime(async ({ self }) => {
      const pid = inProcess(self.pid, async (p) => {
        const first = p.receive();
        let second: unknown;
        try {
          await p.receive();
        } catch (e) {
          second = e;
        }
        return { first: await first, second };
      });
      await refuteReceive(self, () => true, { timeout: 10 });
      send(pid, "one");
      const { result } = await assertReceive<{ result: { first: unknown; second: unknown } }>(
        self,
        {
          result: () => true,
        },
      );
      assert.equal(result.first, "one");
      assert.ok(result.second instanceof TypeError);
      assert.equal(result.second.message, `process ${pid} is already waiting in receive()`);
    }),
  );

  it(
    "counts messages taken in messagesHandled, and leaves others in mailboxLength",
    withRuntime(async ({ self, settle }) => {
      const pid = inProcess(self.pid, async (p) => {
        await p.receive({ match: (m) => m === "b" });
        await p.receive({ match: (m) => m === "stop" });
      });
      for (const m of ["a", "b", "c"]) send(pid, m);
      await settle();
      const info = processInfo(pid);
      assert.equal(info?.messagesHandled, 1);
      assert.equal(info?.mailboxLength, 2);
      assert.equal(info?.status, "waiting");
    }),
  );
});

describe("a body that returns its own receive", () => {
  const downOf =
    (pid: Pid) =>
    (m: unknown): m is DownMessage =>
      isDownMessage(m) && m.pid.equals(pid);

  it(
    "ends normally with the message as the body's value once one arrives",
    withRuntime(async ({ self, settle }) => {
      const pid = spawn((p) => p.receive());
      self.monitor(pid);
      await settle();
      assert.equal(processInfo(pid)?.status, "waiting", "the process waits in receive");
      send(pid, "hello");
      const down = await assertReceive<DownMessage>(self, downOf(pid));
      assert.equal(down.reason, "normal", "it exits normal");
      const task = Task.async(self, (t) => t.receive());
      send(task.pid, { value: 42 });
      assert.deepEqual(await Task.await(task), { value: 42 }, "a task's value is the message");
    }),
  );

  it(
    "ends normally with TIMEOUT when the receive times out",
    withRuntime(async ({ self, clock }) => {
      const task = Task.async(self, (t) => t.receive({ timeout: 30 }));
      await clock.advance(30);
      assert.equal(await Task.await(task, 0), TIMEOUT, "the task's value is TIMEOUT");
      assert.equal(clock.pendingTimers, 0, "no timer is left behind");
    }),
  );

  it(
    "takes only a matching message, and crashes with the error a throwing match raises",
    withRuntime(async ({ self }) => {
      const picky = spawn((p) => p.receive({ match: (m) => m === "yes" }));
      self.monitor(picky);
      send(picky, "no");
      await refuteReceive(self, downOf(picky), { timeout: 10 });
      send(picky, "yes");
      assert.equal((await assertReceive<DownMessage>(self, downOf(picky))).reason, "normal");

      const boom = new Error("bad match");
      const thrower = spawn((p) =>
        p.receive({
          match: () => {
            throw boom;
          },
        }),
      );
      self.monitor(thrower);
      send(thrower, "anything");
      const down = await assertReceive<DownMessage>(self, downOf(thrower));
      assert.equal(down.reason, boom, "the exit reason is the match's error");
    }),
  );

  it(
    "exits with the kill's reason and leaves no unhandled rejection; a holder of the promise sees it rejected",
    withRuntime(async ({ self, settle }) => {
      const unhandled: unknown[] = [];
      const onUnhandled = (reason: unknown) => unhandled.push(reason);
      process.on("unhandledRejection", onUnhandled);
      try {
        let held: Promise<unknown> | undefined;
        const pids = Array.from({ length: 3 }, (_, i) =>
          spawn((p) => {
            const receive = p.receive();
            if (i === 0) held = receive;
            return receive;
          }),
        );
        for (const pid of pids) self.monitor(pid);
        await settle();
        for (const pid of pids) exit(pid, "kill");
        for (const pid of pids) {
          const down = await assertReceive<DownMessage>(self, downOf(pid));
          assert.equal(down.reason, "killed", `${pid} was killed`);
        }
        await assert.rejects(held as Promise<unknown>, ProcessExitedError, "the holder sees it");
        // Unhandled rejections are reported after the microtask queue drains.
        await new Promise((resolve) => setTimeout(resolve, 5));
        assert.deepEqual(unhandled, [], "no rejection went unhandled");
      } finally {
        process.off("unhandledRejection", onUnhandled);
      }
    }),
  );
});
