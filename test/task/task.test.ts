import assert from "node:assert/strict";
import { test } from "node:test";
import {
  type ExitMessage,
  isAlive,
  isBeamishError,
  isDownMessage,
  isExitMessage,
  type Pid,
  processInfo,
  send,
  spawn,
  Task,
  TaskExitError,
  TaskTimeoutError,
} from "beamish";
import { assertReceive, refuteReceive, withRuntime } from "beamish/testing";

test(
  "Task.async executes concurrently: two tasks that wait on each other both complete",
  withRuntime(async ({ self }) => {
    const exchange = (name: string) =>
      Task.async(self, async (t) => {
        const peer = (await t.receive()) as Pid;
        send(peer, `hello from ${name}`);
        return await t.receive();
      });
    const a = exchange("a");
    const b = exchange("b");
    send(a.pid, b.pid);
    send(b.pid, a.pid);
    assert.deepEqual(await Promise.all([Task.await(a), Task.await(b)]), [
      "hello from b",
      "hello from a",
    ]);
  }),
);

test(
  "tasks interleave at awaits: completion order follows the waits, not the start order",
  withRuntime(async ({ self, clock }) => {
    const order: string[] = [];
    const slow = Task.async(self, async (t) => {
      order.push("slow started");
      await t.sleep(20);
      order.push("slow done");
      return "slow";
    });
    const fast = Task.async(self, async (t) => {
      order.push("fast started");
      await t.sleep(10);
      order.push("fast done");
      return "fast";
    });
    const both = Promise.all([Task.await(slow), Task.await(fast)]);
    await clock.advance(20);
    assert.deepEqual(await both, ["slow", "fast"]);
    assert.deepEqual(order, ["slow started", "fast started", "fast done", "slow done"]);
  }),
);

test(
  "Task.await resolves the value of a sync or async function, and of a finished task",
  withRuntime(async ({ self, settle }) => {
    assert.equal(await Task.await(Task.async(() => 42)), 42);
    assert.equal(await Task.await(Task.async(self, async () => "x")), "x");
    const done = Task.async(self, (t) => t.pid);
    await settle();
    assert.ok(!isAlive(done.pid));
    assert.ok((await Task.await(done)).equals(done.pid));
  }),
);

test(
  "the handle names its pid, a ref and its owner",
  withRuntime(async ({ self }) => {
    const linked = Task.async(self, () => 1);
    const free = Task.async(() => 1);
    assert.ok(linked.owner?.equals(self.pid));
    assert.equal(free.owner, undefined);
    assert.ok(linked.ref !== free.ref && !linked.ref.equals(free.ref));
    assert.equal(linked.ref, linked.ref);
    assert.ok(processInfo(linked.pid)?.links.some((p) => p.equals(self.pid)));
    assert.deepEqual(processInfo(free.pid)?.links, []);
  }),
);

test(
  "Task.await of a crashing task rejects with TaskExitError carrying the reason",
  withRuntime(async ({ crashes }) => {
    const boom = new Error("boom");
    const task = Task.async(async () => {
      throw boom;
    });
    const error = await Task.await(task).then(
      () => assert.fail("should reject"),
      (e: unknown) => e,
    );
    assert.ok(error instanceof TaskExitError);
    assert.ok(isBeamishError(error, "ERR_TASK_EXIT"));
    assert.equal(error.reason, boom);
    assert.ok(error.pid.equals(task.pid));
    assert.equal(error.cause, boom);
    assert.match(error.message, /^task <0\.\d+\.0> exited: Error: boom$/);
    assert.equal(crashes.length, 1);
    // Awaiting again gives the same answer.
    await assert.rejects(Task.await(task), (e) => e instanceof TaskExitError && e.reason === boom);
  }),
);

test(
  "Task.await times out: rejects with TaskTimeoutError and kills the task, not the caller",
  withRuntime(async ({ self, clock }) => {
    const task = Task.async(self, async (t) => {
      await t.sleep(10_000);
      return "late";
    });
    const awaited = Task.await(task, 100).then(
      () => assert.fail("should time out"),
      (e: unknown) => e,
    );
    await clock.advance(99);
    assert.ok(isAlive(task.pid));
    await clock.advance(1);
    const error = await awaited;
    assert.ok(error instanceof TaskTimeoutError);
    assert.ok(isBeamishError(error, "ERR_TASK_TIMEOUT"));
    assert.equal(error.timeout, 100);
    assert.ok(error.pid.equals(task.pid));
    assert.ok(!isAlive(task.pid));
    assert.ok(isAlive(self.pid));
    assert.equal(Task.ignore(task)?.status, "exit");
  }),
);

test(
  "Task.await with Infinity sets no timer",
  withRuntime(async ({ self, clock }) => {
    const task = Task.async(self, (t) => t.receive());
    const awaited = Task.await(task, Infinity);
    assert.equal(clock.pendingTimers, 0);
    send(task.pid, "go");
    assert.equal(await awaited, "go");
  }),
);

test(
  "the task's signal aborts when the task is killed",
  withRuntime(async ({ self, clock }) => {
    const task = Task.async(self, async (t) => {
      t.signal.addEventListener("abort", () => send(self.pid, "aborted"));
      await t.sleep(10_000);
    });
    const awaited = assert.rejects(Task.await(task, 50), TaskTimeoutError);
    await clock.advance(50);
    await awaited;
    await assertReceive(self, "aborted", { timeout: 0 });
  }),
);

test(
  "Task.yield: undefined while running (it keeps running), then the result",
  withRuntime(async ({ self, clock }) => {
    const task = Task.async(self, async (t) => {
      await t.sleep(200);
      return "done";
    });
    const first = Task.yield(task, 100);
    await clock.advance(100);
    assert.equal(await first, undefined);
    assert.ok(isAlive(task.pid));
    const second = Task.yield(task, 1000);
    await clock.advance(100);
    assert.deepEqual(await second, { status: "ok", value: "done" });
    assert.deepEqual(await Task.yield(task, 0), { status: "ok", value: "done" });
    assert.equal(await Task.await(task), "done");
  }),
);

test(
  "Task.yield reports a crash as an exit result",
  withRuntime(async () => {
    const task = Task.async(() => {
      throw new Error("bad");
    });
    const result = await Task.yield(task);
    assert.equal(result?.status, "exit");
    assert.equal(result?.status === "exit" && (result.reason as Error).message, "bad");
  }),
);

test(
  "Task.yieldMany: results in the given order after at most one timeout",
  withRuntime(async ({ self, clock }) => {
    const sleeper = (ms: number, value: string) =>
      Task.async(self, async (t) => {
        await t.sleep(ms);
        return value;
      });
    const crashing = Task.async(async (t) => {
      await t.sleep(10);
      throw new Error("crash");
    });
    const tasks = [sleeper(50, "a"), sleeper(500, "b"), crashing, sleeper(20, "c")];
    const all = Task.yieldMany(tasks, 100);
    await clock.advance(100);
    const results = await all;
    assert.equal(clock.now(), 100);
    assert.deepEqual(results[0], { status: "ok", value: "a" });
    assert.equal(results[1], undefined);
    assert.equal(results[2]?.status, "exit");
    assert.deepEqual(results[3], { status: "ok", value: "c" });
    assert.ok(isAlive(tasks[1]?.pid as Pid));
  }),
);

test(
  "Task.yieldMany resolves as soon as every task has settled",
  withRuntime(async ({ self, clock }) => {
    const tasks = [1, 2, 3].map((n) =>
      Task.async(self, async (t) => {
        await t.sleep(n * 10);
        return n;
      }),
    );
    const all = Task.yieldMany(tasks);
    await clock.advance(30);
    assert.deepEqual(
      (await all).map((r) => r?.status === "ok" && r.value),
      [1, 2, 3],
    );
    assert.equal(clock.pendingTimers, 0);
    assert.deepEqual(await Task.yieldMany([]), []);
  }),
);

test(
  "Task.shutdown stops a running task: undefined, and it is dead",
  withRuntime(async ({ self }) => {
    const task = Task.async(self, (t) => t.receive());
    assert.equal(await Task.shutdown(task), undefined);
    assert.ok(!isAlive(task.pid));
    assert.ok(isAlive(self.pid));
    await refuteReceive(self, isExitMessage, { timeout: 0 });
  }),
);

test(
  "Task.shutdown of a finished task gives its value; of a crashed one, its exit",
  withRuntime(async ({ self, settle }) => {
    const finished = Task.async(self, () => "value");
    const crashed = Task.async(() => {
      throw new Error("earlier");
    });
    await settle();
    assert.deepEqual(await Task.shutdown(finished), { status: "ok", value: "value" });
    const result = await Task.shutdown(crashed, "brutalKill");
    assert.equal(result?.status === "exit" && (result.reason as Error).message, "earlier");
  }),
);

test(
  "Task.shutdown with brutalKill kills at once",
  withRuntime(async ({ self, clock }) => {
    const task = Task.async(self, async (t) => {
      t.trapExit(true);
      await t.sleep(10_000);
    });
    await clock.advance(0);
    assert.equal(await Task.shutdown(task, "brutalKill"), undefined);
    assert.ok(!isAlive(task.pid));
    assert.equal(clock.now(), 0);
  }),
);

test(
  "Task.shutdown kills a task that traps exits and ignores the shutdown, after the timeout",
  withRuntime(async ({ self, clock }) => {
    const task = Task.async(self, async (t) => {
      t.trapExit(true);
      for (;;) send(self.pid, await t.receive());
    });
    await clock.advance(0);
    const shutdown = Task.shutdown(task, 300);
    const exit = await assertReceive<ExitMessage>(self, isExitMessage, { timeout: 0 });
    assert.equal(exit.reason, "shutdown");
    assert.ok(exit.from.equals(self.pid));
    await clock.advance(299);
    assert.ok(isAlive(task.pid));
    await clock.advance(1);
    assert.equal(await shutdown, undefined);
    assert.ok(!isAlive(task.pid));
  }),
);

test(
  "Task.shutdown of a trapping task that finishes on the signal gives its value",
  withRuntime(async ({ self, clock }) => {
    const graceful = Task.async(self, async (t) => {
      t.trapExit(true);
      await t.receive({ match: isExitMessage });
      return "flushed";
    });
    const stubborn = Task.async(self, async (t) => {
      t.trapExit(true);
      await t.receive({ match: isExitMessage });
      throw new Error("refused");
    });
    await clock.advance(0);
    assert.deepEqual(await Task.shutdown(graceful), { status: "ok", value: "flushed" });
    const result = await Task.shutdown(stubborn);
    assert.equal(result?.status === "exit" && (result.reason as Error).message, "refused");
  }),
);

test(
  "Task.ignore unlinks: the task runs on, and its crash no longer reaches the caller",
  withRuntime(async ({ self, clock }) => {
    const task = Task.async(self, async (t) => {
      await t.sleep(100);
      throw new Error("unobserved");
    });
    assert.equal(Task.ignore(task), undefined);
    assert.deepEqual(processInfo(task.pid)?.links, []);
    await clock.advance(100);
    assert.ok(!isAlive(task.pid));
    assert.ok(isAlive(self.pid));
    const done = Task.async(self, () => 7);
    await clock.advance(0);
    assert.deepEqual(Task.ignore(done), { status: "ok", value: 7 });
  }),
);

test(
  "a crashing linked task kills a caller that does not trap exits",
  withRuntime(async ({ self }) => {
    const boom = new Error("linked boom");
    const caller = spawn(async (me) => {
      const task = Task.async(me, async () => {
        throw boom;
      });
      await Task.await(task).catch(() => undefined);
      await me.receive();
    });
    self.monitor(caller);
    const down = await assertReceive(self, isDownMessage);
    assert.equal(down.reason, boom);
  }),
);

test(
  "a caller that traps exits gets an ExitMessage from its crashed task, and await rejects",
  withRuntime(async ({ self }) => {
    self.trapExit(true);
    const boom = new Error("trapped boom");
    const task = Task.async(self, () => {
      throw boom;
    });
    await assert.rejects(Task.await(task), (e) => e instanceof TaskExitError && e.reason === boom);
    const exit = await assertReceive(self, isExitMessage);
    assert.ok(exit.from.equals(task.pid));
    assert.equal(exit.reason, boom);
    self.trapExit(false);
  }),
);

test(
  "a linked task dies with its caller",
  withRuntime(async ({ self }) => {
    let taskPid: Pid | undefined;
    const caller = spawn(async (me) => {
      taskPid = Task.async(me, (t) => t.receive()).pid;
      me.exit("stopped");
    });
    self.monitor(caller);
    await assertReceive(self, isDownMessage);
    assert.ok(taskPid !== undefined && !isAlive(taskPid));
  }),
);

test(
  "Task.start runs unlinked; Task.startLink links to the caller",
  withRuntime(async ({ self }) => {
    const free = Task.start((t) => t.receive());
    const linked = Task.startLink(self, (t) => {
      send(self.pid, { from: t.pid, parent: t.parent });
      return t.receive();
    });
    assert.deepEqual(processInfo(free)?.links, []);
    assert.ok(processInfo(linked)?.links.some((p) => p.equals(self.pid)));
    const hello = await assertReceive<{ from: Pid; parent: Pid }>(self);
    assert.ok(hello.from.equals(linked) && hello.parent.equals(self.pid));
    send(free, "go");
    send(linked, "go");
  }),
);

test(
  "bad arguments are refused with the standard message",
  withRuntime(async ({ self }) => {
    const task = Task.async(() => 1);
    const cases: Array<[() => unknown, string]> = [
      [() => Task.async(42 as never), "invalid value for `fn`: expected a function, got 42"],
      [
        () => Task.async(self, "x" as never),
        'invalid value for `fn`: expected a function, got "x"',
      ],
      [
        () => Task.async({} as never, () => 1),
        "invalid value for `self`: expected a process's `self`, got an empty object",
      ],
      [
        () => Task.await({} as never),
        "invalid value for `task`: expected a task made by Task.async, got an empty object",
      ],
      [
        () => Task.await(task, -1),
        "invalid value for `timeout`: expected a non-negative integer (ms) or Infinity, got -1",
      ],
      [
        () => Task.yield(task, 1.5),
        "invalid value for `timeout`: expected a non-negative integer (ms) or Infinity, got 1.5",
      ],
      [
        () => Task.yieldMany([task, 3 as never]),
        "invalid value for `tasks[1]`: expected a task made by Task.async, got 3",
      ],
      [
        () => Task.shutdown(task, "now" as never),
        'invalid value for `timeout`: expected a non-negative integer (ms), Infinity or "brutalKill", got "now"',
      ],
      [() => Task.start(null as never), "invalid value for `fn`: expected a function, got null"],
    ];
    for (const [call, message] of cases) {
      assert.throws(
        call,
        (e: unknown) => isBeamishError(e, "ERR_INVALID_ARGUMENT") && e.message === message,
        message,
      );
    }
  }),
);
