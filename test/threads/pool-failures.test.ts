// What stops or replaces a pool thread: task timeouts (a runaway busy loop), a thread that dies
// (process.exit, an uncaught error, out of memory), recycling, the bounded queue, and stop.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { isBeamishError } from "beamish";
import { VirtualClock } from "beamish/testing";
import { CpuPool } from "beamish/threads";

const functions = new URL("./fixtures/pool-functions.ts", import.meta.url);

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

describe("recycling", () => {
  test("a thread is replaced after recycleAfter tasks", async () => {
    await withPool({ threads: 1, recycleAfter: 2 }, async (pool) => {
      const ids = [];
      for (let i = 0; i < 3; i++) ids.push(await pool.run<number>(functions, "threadId"));
      assert.equal(ids[0], ids[1]);
      assert.notEqual(ids[1], ids[2]);
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
      assert.deepEqual(
        { busy: pool.stats().busy, queued: pool.stats().queued, waiting: pool.stats().waiting },
        { busy: 1, queued: 2, waiting: 5 },
      );
      assert.deepEqual(await Promise.all(results), [0, 1, 2, 3, 4, 5, 6, 7]);
      assert.ok(seen.every((s) => s.queued <= 2));
      assert.deepEqual(seen.at(-1), { queued: 0, waiting: 0 });
    });
  });

  test("with maxQueue 0, callers wait until a thread is free", async () => {
    await withPool({ threads: 1, maxQueue: 0 }, async (pool) => {
      const results = [1, 2, 3].map((i) => pool.run<number>(functions, "busy", i, 5));
      assert.deepEqual(
        { queued: pool.stats().queued, waiting: pool.stats().waiting },
        { queued: 0, waiting: 2 },
      );
      assert.deepEqual(await Promise.all(results), [1, 2, 3]);
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
    const spinning = pool.run(functions, "spin").catch((e: unknown) => e);
    await pool.stop({ timeout: 50 });
    const error = await spinning;
    assert.ok(isBeamishError(error, "ERR_POOL_STOPPED"));
    assert.equal(error.started, true);
    assert.equal(pool.stats().threads, 0);
  });
});
