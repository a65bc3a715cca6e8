// A CPU pool under supervision: its child spec starts the pool, a restart starts a fresh one,
// stopping the supervisor stops the pool; a pool made with create() takes no task until started.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { exit, isBeamishError, type Pid, Supervisor } from "beamish";
import { CpuPool } from "beamish/threads";

const functions = new URL("./fixtures/pool-functions.ts", import.meta.url);

async function childPid(sup: Pid, id: string): Promise<Pid | undefined> {
  const child = (await Supervisor.whichChildren(sup)).find((c) => c.id === id);
  return typeof child?.pid === "object" ? child.pid : undefined;
}

describe("CpuPool.childSpec", () => {
  test("a supervisor starts the pool, restarts it fresh, and stops it when it stops", async () => {
    const pool = CpuPool.create({ threads: 2 });
    const sup = await Supervisor.start([pool.childSpec({ id: "hashing" })], {
      strategy: "oneForOne",
    });
    try {
      assert.equal(await pool.run(functions, "double", 21), 42, "the pool runs tasks");
      assert.equal(pool.stats().threads, 2, "with its threads");
      const first = await childPid(sup, "hashing");
      assert.ok(first !== undefined, "the child runs");
      const before = await pool.run<number>(functions, "threadId");

      exit(first, "kill");
      let second: Pid | undefined;
      for (let i = 0; i < 500 && (second === undefined || second === first); i++) {
        await new Promise((resolve) => setTimeout(resolve, 10));
        second = await childPid(sup, "hashing");
      }
      assert.ok(second !== undefined && second !== first, "the supervisor restarted the child");
      assert.equal(await pool.run(functions, "double", 2), 4, "the restarted pool runs tasks");
      const ids = await Promise.all([1, 2].map(() => pool.run<number>(functions, "threadId")));
      assert.ok(!ids.includes(before), `fresh threads after the restart: ${ids} vs ${before}`);
      assert.equal(pool.stats().threads, 2, "as many threads as before");
    } finally {
      await Supervisor.stop(sup);
    }
    assert.equal(pool.stats().threads, 0, "stopping the supervisor stopped the pool's threads");
    const late = await pool.run(functions, "double", 1).catch((e: unknown) => e);
    assert.ok(isBeamishError(late, "ERR_POOL_STOPPED"), `a stopped pool refuses, got ${late}`);
  });

  test("the child spec's id defaults, and its shutdown leaves the pool its stopTimeout", () => {
    const spec = CpuPool.create({ threads: 1, stopTimeout: 2000 }).childSpec();
    assert.deepEqual(
      { id: spec.id, shutdown: spec.shutdown },
      { id: "cpu-pool", shutdown: 3000 },
      "id and shutdown",
    );
    const forever = CpuPool.create({ threads: 1, stopTimeout: Number.POSITIVE_INFINITY });
    assert.equal(forever.childSpec().shutdown, "infinity", "an endless stopTimeout");
  });

  test("a pool made with create() takes no task until started", async () => {
    const pool = CpuPool.create({ threads: 1 });
    const early = await pool.run(functions, "double", 1).catch((e: unknown) => e);
    assert.ok(isBeamishError(early, "ERR_POOL_STOPPED"), `refused before start, got ${early}`);
    assert.equal(early.neverStarted, true, "the error says the pool was never started");
    assert.match(early.message, /not started/, "the message says so");
    await pool.start();
    try {
      assert.equal(await pool.run(functions, "double", 3), 6, "runs once started");
    } finally {
      await pool.stop();
    }
  });

  test("create() checks the options at once", () => {
    assert.throws(
      () => CpuPool.create({ tasksPerThread: 0 }),
      /invalid value for `tasksPerThread`: expected a positive integer, got 0/,
      "bad options throw at create",
    );
  });
});
