// pool.asyncStream (ordered and not, bounded reading of the input, failures as results, leaving
// early) and pool.async (a Task running a module function on the pool).
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { isBeamishError, spawn, Task } from "beamish";
import { CpuPool } from "beamish/threads";

const functions = new URL("./fixtures/pool-functions.ts", import.meta.url);

describe("pool.asyncStream", () => {
  let pool: CpuPool;
  before(async () => {
    pool = await CpuPool.start({ threads: 2 });
  });
  after(() => pool.stop({ timeout: 0 }));

  test("yields every item's result in input order", async () => {
    // Later items finish first: order comes from the stream, not from the threads.
    const delays = [40, 1, 30, 1, 20, 1];
    const values: unknown[] = [];
    for await (const r of pool.asyncStream(delays.entries(), functions, "entryLater")) {
      assert.equal(r.status, "ok");
      if (r.status === "ok") values.push(r.value);
    }
    assert.deepEqual(values, [0, 1, 2, 3, 4, 5]);
  });

  test("unordered, yields results as they finish", async () => {
    const values: number[] = [];
    // A wide margin: on a loaded machine the short item's thread may wait tens of ms for a core.
    for await (const r of pool.asyncStream<number, number>([400, 1], functions, "busyFor", {
      ordered: false,
    })) {
      if (r.status === "ok") values.push(r.value);
    }
    assert.deepEqual(values, [1, 400], "the short item first");
  });

  test("a failing item is an exit result; the others go on", async () => {
    const results = [];
    for await (const r of pool.asyncStream([1, -1, 3], functions, "doubleOrFail")) results.push(r);
    assert.deepEqual(results[0], { status: "ok", value: 2 });
    assert.equal(results[1]?.status, "exit");
    assert.match(String((results[1] as { reason: Error }).reason.message), /negative/);
    assert.deepEqual(results[2], { status: "ok", value: 6 });
  });

  test("reads the input no faster than results are taken (maxConcurrency)", async () => {
    let read = 0;
    function* numbers() {
      for (let i = 0; i < 50; i++) {
        read++;
        yield i;
      }
    }
    let taken = 0;
    for await (const r of pool.asyncStream(numbers(), functions, "double", {
      maxConcurrency: 3,
    })) {
      assert.equal(r.status, "ok");
      taken++;
      assert.ok(read <= taken + 3, `read ${read} items with ${taken} taken`);
    }
    assert.equal(taken, 50);
  });

  test("leaving early stops the running items and the pool goes on", async () => {
    let count = 0;
    for await (const r of pool.asyncStream([1, 2, 3, 4], functions, "spinUnlessOne")) {
      assert.deepEqual(r, { status: "ok", value: 1 });
      count++;
      break;
    }
    assert.equal(count, 1, "one item taken");
    // Items not started yet are dropped where they wait; a spinning one's thread is terminated.
    for (let i = 0; i < 2000 && pool.stats().inFlight > 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const stats = pool.stats();
    assert.deepEqual(
      {
        inFlight: stats.inFlight,
        queued: stats.queued,
        waiting: stats.waiting,
        threads: stats.threads,
      },
      { inFlight: 0, queued: 0, waiting: 0, threads: 2 },
      "no thread keeps working on the items left behind",
    );
    assert.deepEqual(
      await Promise.all([pool.run(functions, "double", 21), pool.run(functions, "double", 1)]),
      [42, 2],
      "both threads take tasks again",
    );
  });

  test("takes async iterables and checks its arguments", async () => {
    async function* two() {
      yield 1;
      yield 2;
    }
    const values = [];
    for await (const r of pool.asyncStream(two(), functions, "double")) values.push(r);
    assert.deepEqual(values, [
      { status: "ok", value: 2 },
      { status: "ok", value: 4 },
    ]);
    assert.throws(
      () => pool.asyncStream(42 as never, functions, "double"),
      /invalid value for `items`: expected an iterable or async iterable, got 42/,
    );
    assert.throws(
      () => pool.asyncStream([1], functions, "double", { maxConcurrency: 0 }),
      /invalid value for `maxConcurrency`: expected a positive integer, got 0/,
    );
  });
});

describe("pool.async", () => {
  let pool: CpuPool;
  before(async () => {
    pool = await CpuPool.start({ threads: 1 });
  });
  after(() => pool.stop({ timeout: 0 }));

  test("gives a Task that Task.await takes, linked to the caller", async () => {
    const got = await new Promise((resolve, reject) => {
      spawn(async (self) => {
        try {
          resolve(await Task.await(pool.async<number>(self, functions, "double", 4), 30_000));
        } catch (e) {
          reject(e);
        }
      });
    });
    assert.equal(got, 8);
    assert.equal(await Task.await(pool.async(functions, "double", 5), 30_000), 10);
  });

  test("Task.shutdown terminates the thread running it", async () => {
    const task = pool.async(functions, "spin");
    await new Promise((resolve) => setTimeout(resolve, 50));
    await Task.shutdown(task, "brutalKill");
    assert.equal(await pool.run(functions, "double", 1), 2);
    assert.ok(pool.stats().replaced >= 1);
  });

  // The task crashes, so beamish reports it on stderr, as for any crashed task.
  test("a failure reaches Task.await as the task's exit", async () => {
    const error = await Task.await(pool.async(functions, "fail", "bad"), 30_000).catch(
      (e: unknown) => e,
    );
    assert.ok(isBeamishError(error, "ERR_TASK_EXIT"));
    assert.ok(error.reason instanceof RangeError);
  });
});
