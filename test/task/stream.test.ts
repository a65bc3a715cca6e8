import assert from "node:assert/strict";
import { test } from "node:test";
import {
  isAlive,
  isBeamishError,
  isDownMessage,
  isExitMessage,
  type Pid,
  processInfo,
  spawn,
  Task,
  TaskExitError,
  TaskTimeoutError,
} from "beamish";
import { assertReceive, runInRuntime, type VirtualClock, withRuntime } from "beamish/testing";
import fc from "fast-check";

/** Consumes `iterable` while moving the virtual clock from timer to timer. */
async function drive<T>(clock: VirtualClock, consume: () => Promise<T>): Promise<T> {
  let done = false;
  const run = consume().finally(() => {
    done = true;
  });
  run.catch(() => undefined);
  for (let guard = 0; !done; guard++) {
    if (guard > 100_000) throw new Error("the stream did not finish");
    await clock.advance(clock.nextTimerIn() ?? 0, () => done);
  }
  return run;
}

async function collect<T>(clock: VirtualClock, iterable: AsyncIterable<T>): Promise<T[]> {
  return drive(clock, async () => {
    const out: T[] = [];
    for await (const item of iterable) out.push(item);
    return out;
  });
}

/** An iterable over `items` that counts how many it has handed out and whether it was closed. */
function counted<T>(items: readonly T[]) {
  const stats = { pulls: 0, closed: false };
  const iterable: Iterable<T> = {
    [Symbol.iterator]() {
      let i = 0;
      return {
        next() {
          if (i >= items.length) return { done: true, value: undefined };
          stats.pulls++;
          return { done: false, value: items[i++] as T };
        },
        return() {
          stats.closed = true;
          return { done: true, value: undefined };
        },
      };
    },
  };
  return { iterable, stats };
}

test("asyncStream property: bounded in flight, each item once, ordered output in input order", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.integer({ min: 0, max: 20 }), { maxLength: 30 }),
      fc.integer({ min: 1, max: 6 }),
      fc.boolean(),
      async (delays, maxConcurrency, ordered) => {
        await runInRuntime(async ({ clock }) => {
          const { iterable, stats } = counted(delays.map((delay, index) => ({ delay, index })));
          let running = 0;
          let consumed = 0;
          const stream = Task.asyncStream(
            iterable,
            async ({ delay, index }, t) => {
              running++;
              assert.ok(running <= maxConcurrency, `${running} tasks running`);
              await t.sleep(delay);
              running--;
              return index;
            },
            { maxConcurrency, ordered },
          );
          assert.equal(stats.pulls, 0, "nothing is read before iteration");
          const results = await drive(clock, async () => {
            const out: number[] = [];
            for await (const result of stream) {
              consumed++;
              assert.ok(
                stats.pulls - consumed <= maxConcurrency,
                `${stats.pulls} read, ${consumed} consumed`,
              );
              assert.equal(result.status, "ok");
              if (result.status === "ok") out.push(result.value);
            }
            return out;
          });
          const indexes = delays.map((_, i) => i);
          if (ordered) assert.deepEqual(results, indexes);
          else
            assert.deepEqual(
              [...results].sort((a, b) => a - b),
              indexes,
            );
          assert.equal(stats.pulls, delays.length);
        });
      },
    ),
    { numRuns: 60 },
  );
});

test(
  "ordered: false yields results as tasks finish",
  withRuntime(async ({ clock }) => {
    const delays = [30, 10, 20];
    const sleepy = (ms: number, t: { sleep(ms: number): Promise<void> }) =>
      t.sleep(ms).then(() => ms);
    const unordered = await collect(
      clock,
      Task.asyncStream(delays, sleepy, { ordered: false, maxConcurrency: 3 }),
    );
    assert.deepEqual(
      unordered.map((r) => r.status === "ok" && r.value),
      [10, 20, 30],
    );
    const ordered = await collect(clock, Task.asyncStream(delays, sleepy, { maxConcurrency: 3 }));
    assert.deepEqual(
      ordered.map((r) => r.status === "ok" && r.value),
      [30, 10, 20],
    );
  }),
);

test(
  "the input is not read ahead of the consumer: at most maxConcurrency items are out",
  withRuntime(async ({ settle }) => {
    const { iterable, stats } = counted(Array.from({ length: 100 }, (_, i) => i));
    const stream = Task.asyncStream(iterable, (n) => n * 2, { maxConcurrency: 3 });
    await settle();
    assert.equal(stats.pulls, 0);
    const seen: number[] = [];
    for await (const result of stream) {
      if (result.status === "ok") seen.push(result.value);
      await settle();
      assert.ok(stats.pulls <= seen.length + 3, `${stats.pulls} read for ${seen.length} taken`);
      if (seen.length === 5) break;
    }
    assert.deepEqual(seen, [0, 2, 4, 6, 8]);
    assert.ok(stats.pulls <= 8);
    assert.equal(stats.closed, true);
  }),
);

test(
  "an async iterable input is read lazily too",
  withRuntime(async ({ clock }) => {
    let pulls = 0;
    async function* numbers() {
      for (let i = 1; i <= 10; i++) {
        pulls++;
        yield i;
      }
    }
    const results = await collect(
      clock,
      Task.asyncStream(
        numbers(),
        async (n, t) => {
          await t.sleep(n);
          return n * n;
        },
        { maxConcurrency: 2 },
      ),
    );
    assert.deepEqual(
      results.map((r) => r.status === "ok" && r.value),
      [1, 4, 9, 16, 25, 36, 49, 64, 81, 100],
    );
    assert.equal(pulls, 10);
  }),
);

test(
  "breaking out of the loop kills the tasks still running and closes the input",
  withRuntime(async ({ clock, settle }) => {
    const pids: Pid[] = [];
    const { iterable, stats } = counted([0, 1000, 1000, 1000, 1000, 1000]);
    const stream = Task.asyncStream(
      iterable,
      async (ms, t) => {
        pids.push(t.pid);
        await t.sleep(ms);
        return ms;
      },
      { maxConcurrency: 4 },
    );
    await drive(clock, async () => {
      for await (const result of stream) {
        assert.deepEqual(result, { status: "ok", value: 0 });
        break;
      }
    });
    await settle();
    assert.equal(pids.length, 5);
    assert.ok(pids.every((pid) => !isAlive(pid)));
    assert.equal(stats.closed, true);
    assert.ok(clock.now() < 1000);
  }),
);

test(
  'onTimeout "exit": the iterator throws TaskTimeoutError and the running tasks are killed',
  withRuntime(async ({ self, clock, settle }) => {
    const pids: Pid[] = [];
    const stream = Task.asyncStream(
      self,
      [10, 500, 20, 600],
      async (ms, t) => {
        pids.push(t.pid);
        await t.sleep(ms);
        return ms;
      },
      { timeout: 100, maxConcurrency: 4 },
    );
    const seen: unknown[] = [];
    const error = await drive(clock, async () => {
      try {
        for await (const result of stream) seen.push(result);
      } catch (e) {
        return e;
      }
      assert.fail("should time out");
    });
    assert.ok(error instanceof TaskTimeoutError);
    assert.equal(error.timeout, 100);
    assert.ok(error.pid.equals(pids[1] as Pid));
    assert.equal(clock.now(), 100);
    assert.deepEqual(seen, [{ status: "ok", value: 10 }]);
    await settle();
    assert.ok(pids.every((pid) => !isAlive(pid)));
    assert.ok(isAlive(self.pid), "the linked caller survives the kills");
  }),
);

test(
  'onTimeout "killTask": the timed-out item yields an exit with reason "timeout"',
  withRuntime(async ({ clock }) => {
    const pids: Pid[] = [];
    const results = await collect(
      clock,
      Task.asyncStream(
        [10, 500, 20, 30],
        async (ms, t) => {
          pids.push(t.pid);
          await t.sleep(ms);
          return ms;
        },
        { timeout: 100, onTimeout: "killTask", maxConcurrency: 2 },
      ),
    );
    assert.deepEqual(results, [
      { status: "ok", value: 10 },
      { status: "exit", reason: "timeout" },
      { status: "ok", value: 20 },
      { status: "ok", value: 30 },
    ]);
    assert.ok(!isAlive(pids[1] as Pid));
  }),
);

test(
  'onTimeout "killTask" on the system clock (deadlines read once per turn): only the slow item times out',
  withRuntime(
    async () => {
      const began = performance.now();
      const results: unknown[] = [];
      for await (const result of Task.asyncStream(
        [1, 2_000, 2, 3],
        async (ms, t) => {
          await t.sleep(ms);
          return ms;
        },
        { timeout: 40, onTimeout: "killTask", maxConcurrency: 4 },
      )) {
        results.push(result);
      }
      const took = performance.now() - began;
      assert.deepEqual(results, [
        { status: "ok", value: 1 },
        { status: "exit", reason: "timeout" },
        { status: "ok", value: 2 },
        { status: "ok", value: 3 },
      ]);
      assert.ok(took >= 35 && took < 1_000, `the slow item was killed after ${took} ms`);
    },
    { clock: "real" },
  ),
);

test(
  "a crashing item makes the iterator throw TaskExitError and kills the others",
  withRuntime(async ({ clock, settle, crashes }) => {
    const boom = new Error("item 2");
    const pids: Pid[] = [];
    const error = await drive(clock, async () => {
      try {
        for await (const _ of Task.asyncStream(
          [1, 2, 3],
          async (n, t) => {
            pids.push(t.pid);
            await t.sleep(n === 2 ? 5 : 1000);
            if (n === 2) throw boom;
            return n;
          },
          { maxConcurrency: 3 },
        ));
      } catch (e) {
        return e;
      }
      assert.fail("should throw");
    });
    assert.ok(error instanceof TaskExitError);
    assert.equal(error.reason, boom);
    await settle();
    assert.ok(pids.every((pid) => !isAlive(pid)));
    assert.equal(crashes.length, 1);
  }),
);

test(
  "linked to a caller: the tasks are linked, and a crash kills a caller that does not trap exits",
  withRuntime(async ({ self }) => {
    const boom = new Error("linked item");
    const links: Pid[][] = [];
    const caller = spawn(async (me) => {
      const stream = Task.asyncStream(
        me,
        [1, 2],
        async (n, t) => {
          links.push(processInfo(t.pid)?.links ?? []);
          if (n === 2) throw boom;
          return t.receive();
        },
        { maxConcurrency: 2 },
      );
      for await (const _ of stream);
    });
    self.monitor(caller);
    const down = await assertReceive(self, isDownMessage);
    assert.equal(down.reason, boom);
    assert.ok(links.length === 2 && links.every((l) => l.some((p) => p.equals(caller))));
  }),
);

test(
  "linked to a trapping caller: the crash arrives as an ExitMessage and the iterator throws",
  withRuntime(async ({ self }) => {
    self.trapExit(true);
    const boom = new Error("trapped item");
    await assert.rejects(
      async () => {
        for await (const _ of Task.asyncStream(self, [1], () => {
          throw boom;
        }));
      },
      (e) => e instanceof TaskExitError && e.reason === boom,
    );
    const exit = await assertReceive(self, isExitMessage);
    assert.equal(exit.reason, boom);
    self.trapExit(false);
  }),
);

test(
  "an input that throws ends the stream with its error",
  withRuntime(async ({ clock }) => {
    function* failing() {
      yield 1;
      throw new Error("input broke");
    }
    await assert.rejects(
      collect(
        clock,
        Task.asyncStream(failing(), (n) => n),
      ),
      /input broke/,
    );
    async function* failingAsync() {
      yield 1;
      throw new Error("async input broke");
    }
    await assert.rejects(
      collect(
        clock,
        Task.asyncStream(failingAsync(), (n) => n),
      ),
      /async input broke/,
    );
  }),
);

test(
  "an empty input ends at once; each iteration of the stream runs it again",
  withRuntime(async ({ clock }) => {
    assert.deepEqual(
      await collect(
        clock,
        Task.asyncStream([], (n) => n),
      ),
      [],
    );
    const stream = Task.asyncStream([1, 2], (n) => n + 1);
    const again = async () =>
      (await collect(clock, stream)).map((r) => r.status === "ok" && r.value);
    assert.deepEqual(await again(), [2, 3]);
    assert.deepEqual(await again(), [2, 3]);
  }),
);

test(
  "bad options and arguments are refused with messages naming them",
  withRuntime(async ({ self }) => {
    const id = (n: number) => n;
    const cases: Array<[() => unknown, string]> = [
      [
        () => Task.asyncStream([1], id, { maxConcurrency: 0 }),
        "invalid value for `maxConcurrency`: expected a positive integer, got 0",
      ],
      [
        () => Task.asyncStream([1], id, { ordered: "yes" as never }),
        'invalid value for `ordered`: expected a boolean, got "yes"',
      ],
      [
        () => Task.asyncStream([1], id, { timeout: -5 }),
        "invalid value for `timeout`: expected a non-negative integer (ms) or Infinity, got -5",
      ],
      [
        () => Task.asyncStream([1], id, { onTimeout: "kill" as never }),
        'invalid value for `onTimeout`: expected one of "exit", "killTask", got "kill"',
      ],
      [
        () => Task.asyncStream([1], id, { maxConcurency: 2 } as never),
        "invalid value for `maxConcurency`: expected one of the options maxConcurrency, ordered, timeout, onTimeout, got 2",
      ],
      [
        () => Task.asyncStream(42 as never, id),
        "invalid value for `input`: expected an iterable or async iterable, got 42",
      ],
      [
        () => Task.asyncStream(self, [1], "f" as never),
        'invalid value for `fn`: expected a function, got "f"',
      ],
      [
        () => Task.asyncStream({} as never, [1], id),
        "invalid value for `self`: expected a process's `self`, got an empty object",
      ],
    ];
    for (const [call, message] of cases) {
      assert.throws(
        call,
        (e: unknown) => isBeamishError(e, "ERR_INVALID_ARGUMENT") && e.message === message,
        message,
      );
    }
    assert.equal(Task.asyncStreamOptions.defaults.timeout, 5000);
  }),
);
