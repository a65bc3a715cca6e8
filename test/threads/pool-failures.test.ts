// What stops or replaces a pool thread: task timeouts (a runaway busy loop), a thread that dies
// (process.exit, an uncaught error, out of memory), recycling, the bounded queue, and stop.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { isBeamishError } from "beamish";
import { VirtualClock } from "beamish/testing";
import { CpuPool } from "beamish/threads";

const functions = new URL("./fixtures/pool-functions.ts", import.meta.url);

/** Resolves once a `*Flagged` fixture has set its flag: its task runs on its thread. */
async function running(flag: Int32Array): Promise<void> {
  for (let i = 0; i < 2000 && Atomics.load(flag, 0) === 0; i++) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  assert.equal(Atomics.load(flag, 0), 1, "the flagged task started within 10 s");
}

/** Runs `body` with a fresh pool, always stopped after. */
async function withPool(
  options: Parameters<typeof CpuPool.start>[0],
  body: (pool: CpuPool) => Promise<void>,
): Promise<void> {
  const pool = await CpuPool.start(options);
  try {
    await body(pool);
  } finally {
    await pool.stop({ timeout: 0 });
  }
}

describe("a task past its timeout", () => {
  test("stops a runaway busy loop: the thread is terminated and replaced", async () => {
    await withPool({ threads: 1, taskTimeout: 200 }, async (pool) => {
      const before = await pool.run<number>(functions, "threadId");
      const started = performance.now();
      const error = await pool.run(functions, "spin").catch((e: unknown) => e);
      assert.ok(isBeamishError(error, "ERR_POOL_TASK_TIMEOUT"));
      assert.equal(error.timeout, 200);
      assert.equal(error.exportName, "spin");
      assert.ok(performance.now() - started < 5000);
      // The next task runs on a fresh thread: the spinning one is gone.
      const afterId = await pool.run<number>(functions, "threadId");
      assert.notEqual(afterId, before);
      assert.deepEqual(
        { threads: pool.stats().threads, replaced: pool.stats().replaced },
        { threads: 1, replaced: 1 },
      );
    });
  });

  test("takes its time from the pool's clock: a virtual clock fires it without waiting", async () => {
    const clock = new VirtualClock();
    await withPool({ threads: 1, taskTimeout: 60_000, clock }, async (pool) => {
      const spinning = pool.run(functions, "spin").catch((e: unknown) => e);
      // The timer starts once the thread has loaded the module and starts the function.
      for (let i = 0; i < 2000 && clock.pendingTimers === 0; i++) {
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      assert.equal(clock.nextTimerIn(), 60_000);
      await clock.advance(60_000);
      const error = await spinning;
      assert.ok(isBeamishError(error, "ERR_POOL_TASK_TIMEOUT"));
      assert.equal(error.timeout, 60_000);
    });
  });

  test("exec's timeout overrides the pool's", async () => {
    await withPool({ threads: 1 }, async (pool) => {
      const error = await pool
        .exec({ module: functions, exportName: "spin", timeout: 100 })
        .catch((e: unknown) => e);
      assert.ok(isBeamishError(error, "ERR_POOL_TASK_TIMEOUT"));
      assert.equal(await pool.run(functions, "double", 2), 4);
    });
  });
});

describe("a thread that dies", () => {
  test("process.exit, an uncaught error and running out of memory fail the task and the thread is replaced", async () => {
    await withPool({ threads: 1, maxHeapMb: 32 }, async (pool) => {
      const exit = await pool.run(functions, "exit", 3).catch((e: unknown) => e);
      assert.ok(isBeamishError(exit, "ERR_POOL_WORKER_DIED"));
      assert.equal(exit.reason, "exit");
      assert.equal(exit.exitCode, 3);
      assert.match(exit.message, /pool-functions\.ts#exit exited with code 3/);

      const crash = await pool.run(functions, "crashLater").catch((e: unknown) => e);
      assert.ok(isBeamishError(crash, "ERR_POOL_WORKER_DIED"));
      assert.equal(crash.reason, "error");
      assert.match(crash.message, /crashed: uncaught in the worker/);

      const oom = await pool.run(functions, "allocate").catch((e: unknown) => e);
      assert.ok(isBeamishError(oom, "ERR_POOL_WORKER_DIED"));
      assert.equal(oom.reason, "outOfMemory");

      assert.equal(await pool.run(functions, "double", 5), 10);
      assert.equal(pool.stats().replaced, 3);
    });
  });
});

describe("the tasks a thread holds behind the running one", () => {
  test("a timed-out task's sibling on its thread runs once, on the fresh thread", async () => {
    await withPool({ threads: 1, taskTimeout: 200 }, async (pool) => {
      const counter = new Int32Array(new SharedArrayBuffer(4));
      const spinning = pool.run(functions, "spin").catch((e: unknown) => e);
      const sibling = pool.run<number>(functions, "counted", counter, 7);
      assert.equal(pool.stats().inFlight, 2, "both are handed to the one thread");
      const error = await spinning;
      assert.ok(isBeamishError(error, "ERR_POOL_TASK_TIMEOUT"), `a timeout, got ${error}`);
      assert.equal(await sibling, 7, "the sibling completes");
      assert.equal(Atomics.load(counter, 0), 1, "the sibling ran exactly once");
      assert.equal(pool.stats().replaced, 1, "the spinning thread was replaced");
    });
  });

  test("a dying thread's sibling task is sent again and completes", async () => {
    await withPool({ threads: 1 }, async (pool) => {
      const counter = new Int32Array(new SharedArrayBuffer(4));
      const exiting = pool.run(functions, "exit", 4).catch((e: unknown) => e);
      const sibling = pool.run<number>(functions, "counted", counter, 8);
      const error = await exiting;
      assert.ok(isBeamishError(error, "ERR_POOL_WORKER_DIED"), `the thread died, got ${error}`);
      assert.equal(error.exitCode, 4, "with the exit code");
      assert.equal(await sibling, 8, "the sibling completes");
      assert.equal(Atomics.load(counter, 0), 1, "the sibling ran exactly once");
    });
  });

  test("cancelling a task waiting on a thread drops it there; the running one goes on", async () => {
    await withPool({ threads: 1 }, async (pool) => {
      const counter = new Int32Array(new SharedArrayBuffer(4));
      const first = pool.run(functions, "busy", "first", 100);
      const controller = new AbortController();
      const second = pool
        .exec({
          module: functions,
          exportName: "counted",
          args: [counter, 1],
          signal: controller.signal,
        })
        .catch((e: unknown) => e);
      const third = pool.run<number>(functions, "counted", counter, 3);
      controller.abort("not needed");
      const error = await second;
      assert.ok(isBeamishError(error, "ERR_POOL_TASK_CANCELLED"), `cancelled, got ${error}`);
      assert.equal(await first, "first", "the running task finished");
      assert.equal(await third, 3, "the task behind it ran");
      assert.equal(Atomics.load(counter, 0), 1, "the cancelled task never ran");
      assert.equal(pool.stats().replaced, 0, "no thread was terminated");
    });
  });

  test("a cancelled running task's thread is replaced; its sibling runs elsewhere once", async () => {
    await withPool({ threads: 1 }, async (pool) => {
      const flag = new Int32Array(new SharedArrayBuffer(4));
      const counter = new Int32Array(new SharedArrayBuffer(4));
      const controller = new AbortController();
      const spinning = pool
        .exec({
          module: functions,
          exportName: "spinFlagged",
          args: [flag],
          signal: controller.signal,
        })
        .catch((e: unknown) => e);
      const sibling = pool.run<number>(functions, "counted", counter, 5);
      await running(flag);
      controller.abort();
      assert.ok(isBeamishError(await spinning, "ERR_POOL_TASK_CANCELLED"), "cancelled");
      assert.equal(await sibling, 5, "the sibling completes");
      assert.equal(Atomics.load(counter, 0), 1, "the sibling ran exactly once");
      assert.equal(pool.stats().replaced, 1, "the spinning thread was replaced");
    });
  });
});

describe("recycling", () => {
  test("a thread is replaced after recycleAfter tasks", async () => {
    await withPool({ threads: 1, recycleAfter: 2 }, async (pool) => {
      const ids = [];
      for (let i = 0; i < 3; i++) ids.push(await pool.run<number>(functions, "threadId"));
      assert.equal(ids[0], ids[1]);
      assert.notEqual(ids[1], ids[2]);
    });
  });

  test("a recycled thread first finishes the tasks it holds", async () => {
    await withPool({ threads: 1, recycleAfter: 2 }, async (pool) => {
      const ids = await Promise.all([1, 2, 3].map(() => pool.run<number>(functions, "threadId")));
      assert.equal(ids[0], ids[1], "the first two ran on the first thread");
      assert.notEqual(ids[1], ids[2], "the third on its replacement");
      assert.equal(pool.stats().replaced, 1, "one thread recycled");
    });
  });

  test("past recycleHeapMb, the task waiting on the thread still runs there before it is replaced", async () => {
    await withPool({ threads: 1, recycleHeapMb: 64 }, async (pool) => {
      const first = await pool.run<number>(functions, "threadId");
      const [, same] = await Promise.all([
        pool.run(functions, "keep", 80),
        pool.run<number>(functions, "threadId"),
      ]);
      assert.equal(same, first, "the task behind the heavy one ran on the same thread");
      assert.notEqual(await pool.run<number>(functions, "threadId"), first, "then it was replaced");
    });
  });

  test("a thread whose heap passes recycleHeapMb after a task is replaced", async () => {
    await withPool({ threads: 1, recycleHeapMb: 64 }, async (pool) => {
      const first = await pool.run<number>(functions, "threadId");
      await pool.run(functions, "keep", 8);
      assert.equal(await pool.run<number>(functions, "threadId"), first, "below the limit");
      await pool.run(functions, "keep", 80);
      assert.notEqual(await pool.run<number>(functions, "threadId"), first);
    });
  });
});

describe("back-pressure", () => {
  test("the queue never holds more than maxQueue tasks: further callers wait", async () => {
    await withPool({ threads: 1, maxQueue: 2 }, async (pool) => {
      const seen: Array<{ queued: number; waiting: number }> = [];
      const results = Array.from({ length: 8 }, (_, i) =>
        pool.run<number>(functions, "busy", i, 10).then((v) => {
          const { queued, waiting } = pool.stats();
          seen.push({ queued, waiting });
          return v;
        }),
      );
      const { busy, inFlight, queued, waiting } = pool.stats();
      assert.deepEqual(
        { busy, inFlight, queued, waiting },
        { busy: 1, inFlight: 2, queued: 2, waiting: 4 },
        "two tasks handed to the thread (tasksPerThread), two queued, the rest waiting",
      );
      assert.deepEqual(await Promise.all(results), [0, 1, 2, 3, 4, 5, 6, 7], "all in order");
      assert.ok(
        seen.every((s) => s.queued <= 2),
        `the queue stayed within maxQueue: ${JSON.stringify(seen)}`,
      );
      assert.deepEqual(seen.at(-1), { queued: 0, waiting: 0 }, "nothing left at the end");
    });
  });

  test("with maxQueue 0, callers wait until a thread has room", async () => {
    await withPool({ threads: 1, maxQueue: 0, tasksPerThread: 1 }, async (pool) => {
      const results = [1, 2, 3].map((i) => pool.run<number>(functions, "busy", i, 5));
      assert.deepEqual(
        {
          inFlight: pool.stats().inFlight,
          queued: pool.stats().queued,
          waiting: pool.stats().waiting,
        },
        { inFlight: 1, queued: 0, waiting: 2 },
        "one task at a time on the thread, the others wait",
      );
      assert.deepEqual(await Promise.all(results), [1, 2, 3], "all in order");
    });
    await withPool({ threads: 1, maxQueue: 0 }, async (pool) => {
      const results = [1, 2, 3].map((i) => pool.run<number>(functions, "busy", i, 5));
      assert.deepEqual(
        {
          inFlight: pool.stats().inFlight,
          queued: pool.stats().queued,
          waiting: pool.stats().waiting,
        },
        { inFlight: 2, queued: 0, waiting: 1 },
        "two tasks handed to the thread by default",
      );
      assert.deepEqual(await Promise.all(results), [1, 2, 3], "all in order");
    });
  });
});

describe("stop", () => {
  test("waits for running tasks, fails queued ones and later calls", async () => {
    const pool = await CpuPool.start({ threads: 1 });
    const running = pool.run(functions, "busy", "done", 200);
    const queued = pool.run(functions, "double", 1).catch((e: unknown) => e);
    await new Promise((resolve) => setTimeout(resolve, 20));
    await pool.stop({ timeout: 5000 });
    assert.equal(await running, "done");
    const dropped = await queued;
    assert.ok(isBeamishError(dropped, "ERR_POOL_STOPPED"));
    assert.equal(dropped.started, false);
    const late = await pool.run(functions, "double", 1).catch((e: unknown) => e);
    assert.ok(isBeamishError(late, "ERR_POOL_STOPPED"));
    assert.equal(pool.stats().threads, 0);
  });

  test("terminates a task still running when its timeout passes", async () => {
    const pool = await CpuPool.start({ threads: 1 });
    const flag = new Int32Array(new SharedArrayBuffer(4));
    const spinning = pool.run(functions, "spinFlagged", flag).catch((e: unknown) => e);
    await running(flag);
    await pool.stop({ timeout: 50 });
    const error = await spinning;
    assert.ok(isBeamishError(error, "ERR_POOL_STOPPED"), `a stop error, got ${error}`);
    assert.equal(error.started, true, "it had started");
    assert.equal(pool.stats().threads, 0, "every thread terminated");
  });

  test("a task handed to a thread but not started fails as not run, and never runs", async () => {
    const pool = await CpuPool.start({ threads: 1 });
    const counter = new Int32Array(new SharedArrayBuffer(4));
    const flag = new Int32Array(new SharedArrayBuffer(4));
    const first = pool.run(functions, "busyFlagged", flag, "done", 200);
    const next = pool.run(functions, "counted", counter, 1).catch((e: unknown) => e);
    assert.equal(pool.stats().inFlight, 2, "both are on the thread");
    await running(flag);
    await pool.stop({ timeout: 5000 });
    assert.equal(await first, "done", "the running task finished");
    const error = await next;
    assert.ok(isBeamishError(error, "ERR_POOL_STOPPED"), `a stop error, got ${error}`);
    assert.equal(error.started, false, "it had not started");
    assert.equal(Atomics.load(counter, 0), 0, "it never ran");
  });
});
