import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  type DownMessage,
  type ExitMessage,
  InvalidArgumentError,
  isAlive,
  isDownMessage,
  isExitMessage,
  MaxChildrenError,
  NoProcError,
  type Pid,
  type Self,
  spawn,
  Task,
  TaskExitError,
  type TaskResult,
  TaskSupervisor,
} from "beamish";
import { assertReceive, type VirtualClock, withRuntime } from "beamish/testing";

/** Runs `body` in a fresh process that reports its value (or error) to `self` as a message. */
function inProcess(self: Self, body: (caller: Self) => Promise<unknown>): Pid {
  const to = self.pid;
  return spawn(async (caller) => {
    try {
      to.process?.deliver({ from: caller.pid, ok: await body(caller) });
    } catch (error) {
      to.process?.deliver({ from: caller.pid, error });
    }
  });
}

async function outcome(self: Self, pid: Pid): Promise<{ ok?: unknown; error?: unknown }> {
  return assertReceive(self, (m) => (m as { from?: Pid }).from?.equals(pid) === true, {
    timeout: 60_000,
  }) as Promise<{ ok?: unknown; error?: unknown }>;
}

async function downReason(self: Self, pid: Pid): Promise<unknown> {
  const down = await assertReceive<DownMessage>(
    self,
    (m) => isDownMessage(m) && m.pid.equals(pid),
    { timeout: 60_000 },
  );
  return down.reason;
}

/** Consumes `iterable` while moving the virtual clock from timer to timer. */
async function collect<T>(clock: VirtualClock, iterable: AsyncIterable<T>): Promise<T[]> {
  let done = false;
  const out: T[] = [];
  const run = (async () => {
    for await (const item of iterable) out.push(item);
  })().finally(() => {
    done = true;
  });
  run.catch(() => undefined);
  for (let guard = 0; !done; guard++) {
    if (guard > 100_000) throw new Error("the stream did not finish");
    await clock.advance(clock.nextTimerIn() ?? 0, () => done);
  }
  await run;
  return out;
}

const boom = new Error("boom");

describe("async", () => {
  test(
    "the result is awaited with Task.await; the task is a child until it finishes",
    withRuntime(async ({ self, settle }) => {
      const sup = await TaskSupervisor.start();
      const task = await TaskSupervisor.async(sup, self, async (t) => {
        await t.receive();
        return 6 * 7;
      });
      assert.deepEqual(await TaskSupervisor.children(sup), [task.pid]);
      assert.ok(task.owner?.equals(self.pid));
      task.pid.process?.deliver("go");
      assert.equal(await Task.await(task), 42);
      await settle();
      assert.deepEqual(await TaskSupervisor.children(sup), []);
    }),
  );

  test(
    "Task.yield and Task.shutdown take a supervised task",
    withRuntime(async ({ self, settle }) => {
      const sup = await TaskSupervisor.start();
      const task = await TaskSupervisor.async(sup, self, (t) => t.receive());
      assert.equal(await Task.yield(task, 0), undefined);
      assert.equal(await Task.shutdown(task), undefined);
      await settle();
      assert.deepEqual(await TaskSupervisor.children(sup), []);
      assert.ok(isAlive(self.pid));
    }),
  );

  test(
    "a crashing linked task kills a caller that does not trap exits",
    withRuntime(async ({ self }) => {
      const sup = await TaskSupervisor.start();
      const caller = inProcess(self, async (me) => {
        await TaskSupervisor.async(sup, me, () => {
          throw boom;
        });
        return me.receive();
      });
      self.monitor(caller);
      assert.equal(await downReason(self, caller), boom);
      assert.ok(isAlive(sup));
    }),
  );

  test(
    "a caller trapping exits gets the ExitMessage and Task.await rejects with TaskExitError",
    withRuntime(async ({ self }) => {
      const sup = await TaskSupervisor.start();
      const caller = inProcess(self, async (me) => {
        me.trapExit(true);
        const task = await TaskSupervisor.async(sup, me, () => Promise.reject(boom));
        const error = await Task.await(task).catch((e: unknown) => e);
        const signal = await me.receive({ match: isExitMessage });
        return { error, signal };
      });
      const { ok } = await outcome(self, caller);
      const { error, signal } = ok as { error: TaskExitError; signal: ExitMessage };
      assert.ok(error instanceof TaskExitError);
      assert.equal(error.reason, boom);
      assert.equal(signal.reason, boom);
    }),
  );

  test(
    "the caller's exit takes its linked task down",
    withRuntime(async ({ self }) => {
      const sup = await TaskSupervisor.start();
      const caller = inProcess(self, async (me) => {
        const task = await TaskSupervisor.async(sup, me, (t) => t.receive());
        self.pid.process?.deliver({ task: task.pid });
        await me.receive();
        me.exit("bye");
      });
      const { task } = (await assertReceive(
        self,
        (m) => (m as { task?: Pid }).task !== undefined,
      )) as {
        task: Pid;
      };
      self.monitor(task);
      caller.process?.deliver("go");
      assert.equal(await downReason(self, task), "bye");
      assert.deepEqual(await TaskSupervisor.children(sup), []);
    }),
  );
});

describe("asyncNolink", () => {
  test(
    "a crash does not reach the caller: await rejects with TaskExitError, yield reports the exit",
    withRuntime(async ({ self }) => {
      const sup = await TaskSupervisor.start();
      const caller = inProcess(self, async (me) => {
        const first = await TaskSupervisor.asyncNolink(sup, me, () => {
          throw boom;
        });
        const second = await TaskSupervisor.asyncNolink(sup, () => Promise.reject(boom));
        const awaited = await Task.await(first).catch((e: unknown) => e);
        const yielded = await Task.yield(second);
        return { awaited, yielded, owner: first.owner, unowned: second.owner };
      });
      self.monitor(caller);
      const { ok } = await outcome(self, caller);
      const { awaited, yielded, owner, unowned } = ok as {
        awaited: unknown;
        yielded: TaskResult<unknown>;
        owner: Pid;
        unowned: Pid | undefined;
      };
      assert.ok(awaited instanceof TaskExitError);
      assert.equal(awaited.reason, boom);
      assert.deepEqual(yielded, { status: "exit", reason: boom });
      assert.ok(owner.equals(caller));
      assert.equal(unowned, undefined);
      assert.equal(await downReason(self, caller), "normal");
      assert.ok(isAlive(sup));
    }),
  );

  test(
    "the task outlives its caller",
    withRuntime(async ({ self }) => {
      const sup = await TaskSupervisor.start();
      const caller = inProcess(self, async (me) => {
        const task = await TaskSupervisor.asyncNolink(sup, me, (t) => t.receive());
        me.exit("bye");
        return task;
      });
      self.monitor(caller);
      await downReason(self, caller);
      const [pid] = await TaskSupervisor.children(sup);
      assert.ok(pid !== undefined && isAlive(pid));
    }),
  );
});

describe("startChild", () => {
  test(
    "a temporary task runs once; a transient one is started again after a crash until it returns",
    withRuntime(async ({ self, settle }) => {
      const sup = await TaskSupervisor.start();
      const runs = { temporary: 0, transient: 0 };
      await TaskSupervisor.startChild(sup, () => {
        runs.temporary++;
        throw boom;
      });
      await TaskSupervisor.startChild(
        sup,
        () => {
          runs.transient++;
          if (runs.transient < 3) throw boom;
          self.pid.process?.deliver("done");
        },
        { restart: "transient" },
      );
      await assertReceive(self, "done");
      await settle();
      assert.deepEqual(runs, { temporary: 1, transient: 3 });
      assert.deepEqual(await TaskSupervisor.children(sup), []);
    }),
  );

  test(
    "maxChildren bounds the running tasks; a slot frees when a task ends",
    withRuntime(async ({ self, settle }) => {
      const sup = await TaskSupervisor.start({ maxChildren: 2 });
      const a = await TaskSupervisor.startChild(sup, (t) => t.receive());
      await TaskSupervisor.async(sup, self, (t) => t.receive());
      const full = await TaskSupervisor.asyncNolink(sup, () => 1).catch((e: unknown) => e);
      assert.ok(full instanceof MaxChildrenError);
      assert.equal(full.maxChildren, 2);
      await assert.rejects(
        TaskSupervisor.startChild(sup, () => 1),
        MaxChildrenError,
      );
      a.process?.deliver("stop");
      await settle();
      const task = await TaskSupervisor.asyncNolink(sup, () => "room again");
      assert.equal(await Task.await(task), "room again");
    }),
  );

  test(
    "stopping the supervisor stops its tasks",
    withRuntime(async ({ self }) => {
      const sup = await TaskSupervisor.start();
      const pid = await TaskSupervisor.startChild(sup, (t) => t.receive());
      self.monitor(pid);
      await TaskSupervisor.stop(sup);
      assert.equal(await downReason(self, pid), "shutdown");
      await assert.rejects(TaskSupervisor.children(sup), NoProcError);
      await assert.rejects(
        TaskSupervisor.async(sup, self, () => 1),
        NoProcError,
      );
    }),
  );

  test(
    "terminateChild stops one task",
    withRuntime(async ({ self }) => {
      const sup = await TaskSupervisor.start({ name: "jobs" });
      const pid = await TaskSupervisor.startChild("jobs", (t) => t.receive());
      self.monitor(pid);
      await TaskSupervisor.terminateChild("jobs", pid);
      assert.equal(await downReason(self, pid), "shutdown");
      assert.deepEqual(await TaskSupervisor.children(sup), []);
    }),
  );
});

describe("asyncStream", () => {
  test(
    "each item runs as a child of the supervisor, at most maxConcurrency at once, in order",
    withRuntime(async ({ self, clock }) => {
      const sup = await TaskSupervisor.start();
      let running = 0;
      let peak = 0;
      const parents = new Set<string>();
      const results = await collect(
        clock,
        TaskSupervisor.asyncStream(
          sup,
          self,
          [5, 1, 4, 2, 3, 6],
          async (n, t) => {
            parents.add(String(t.parent));
            peak = Math.max(peak, ++running);
            await t.sleep(n * 10);
            running--;
            return n * 2;
          },
          { maxConcurrency: 2 },
        ),
      );
      assert.deepEqual(
        results.map((r) => (r.status === "ok" ? r.value : r)),
        [10, 2, 8, 4, 6, 12],
      );
      assert.equal(peak, 2);
      assert.deepEqual([...parents], [String(sup)]);
    }),
  );

  test(
    "a crashing item kills a caller that does not trap exits",
    withRuntime(async ({ self, clock }) => {
      const sup = await TaskSupervisor.start();
      const caller = inProcess(self, async (me) => {
        for await (const _ of TaskSupervisor.asyncStream(sup, me, [1, 2], (n) => {
          if (n === 2) throw boom;
          return n;
        })) {
          // consume
        }
      });
      self.monitor(caller);
      await clock.advance(0);
      assert.equal(await downReason(self, caller), boom);
    }),
  );

  test(
    "the supervisor refusing an item ends the stream with its error and stops the others",
    withRuntime(async ({ self, clock, settle }) => {
      const sup = await TaskSupervisor.start({ maxChildren: 1 });
      const stream = TaskSupervisor.asyncStream(sup, self, [1, 2, 3], (_n, t) => t.sleep(100), {
        maxConcurrency: 3,
      });
      await assert.rejects(collect(clock, stream), MaxChildrenError);
      await settle();
      assert.deepEqual(await TaskSupervisor.children(sup), []);
      assert.ok(isAlive(self.pid));
    }),
  );

  test(
    "leaving the loop early stops the running items",
    withRuntime(async ({ self, clock, settle }) => {
      const sup = await TaskSupervisor.start();
      const seen: unknown[] = [];
      const done = (async () => {
        for await (const r of TaskSupervisor.asyncStream(
          sup,
          self,
          [1, 2, 3, 4],
          async (n, t) => {
            await t.sleep(n * 10);
            return n;
          },
          { maxConcurrency: 3 },
        )) {
          seen.push(r);
          break;
        }
      })();
      while (seen.length === 0) await clock.advance(clock.nextTimerIn() ?? 0);
      await done;
      await settle();
      assert.deepEqual(seen, [{ status: "ok", value: 1 }]);
      assert.deepEqual(await TaskSupervisor.children(sup), []);
    }),
  );
  test(
    "items the supervisor starts after the stream was closed are killed before they run",
    withRuntime(async ({ settle }) => {
      const sup = await TaskSupervisor.start();
      const ran: number[] = [];
      const stream = TaskSupervisor.asyncStreamNolink(sup, [1, 2, 3], (n) => {
        ran.push(n);
        return n;
      });
      const iterator = stream[Symbol.asyncIterator]();
      const first = iterator.next();
      // The three start requests are still in the supervisor's mailbox.
      assert.deepEqual(await iterator.return?.(), { done: true, value: undefined });
      assert.deepEqual(await first, { done: true, value: undefined });
      await settle();
      assert.deepEqual(ran, []);
      assert.deepEqual(await TaskSupervisor.children(sup), []);
    }),
  );
});

describe("asyncStreamNolink", () => {
  test(
    "a crashing item yields an exit entry and the stream goes on; the caller is untouched",
    withRuntime(async ({ self, clock }) => {
      const sup = await TaskSupervisor.start();
      let running = 0;
      let peak = 0;
      const results = await collect(
        clock,
        TaskSupervisor.asyncStreamNolink(
          sup,
          [1, 2, 3, 4, 5],
          async (n, t) => {
            peak = Math.max(peak, ++running);
            await t.sleep(10);
            running--;
            if (n % 2 === 0) throw boom;
            return n;
          },
          { maxConcurrency: 2 },
        ),
      );
      assert.deepEqual(results, [
        { status: "ok", value: 1 },
        { status: "exit", reason: boom },
        { status: "ok", value: 3 },
        { status: "exit", reason: boom },
        { status: "ok", value: 5 },
      ]);
      assert.equal(peak, 2);
      assert.ok(isAlive(self.pid));
      assert.deepEqual(await TaskSupervisor.children(sup), []);
    }),
  );

  test(
    "unordered, items come as they finish; killTask timeouts yield exit entries",
    withRuntime(async ({ clock }) => {
      const sup = await TaskSupervisor.start();
      const results = await collect(
        clock,
        TaskSupervisor.asyncStreamNolink(
          sup,
          [30, 10, 500],
          async (ms, t) => {
            await t.sleep(ms);
            return ms;
          },
          { ordered: false, timeout: 100, onTimeout: "killTask" },
        ),
      );
      assert.deepEqual(results, [
        { status: "ok", value: 10 },
        { status: "ok", value: 30 },
        { status: "exit", reason: "timeout" },
      ]);
    }),
  );
});

describe("bad input", () => {
  test(
    "options, functions and callers are checked with the standard message",
    withRuntime(async ({ self }) => {
      await assert.rejects(TaskSupervisor.start({ maxChildren: -1 }), {
        message:
          "invalid value for `options.maxChildren`: expected a non-negative integer or Infinity, got -1",
      });
      await assert.rejects(TaskSupervisor.start({ maxRestarts: 1.5 }), InvalidArgumentError);
      const sup = await TaskSupervisor.start();
      await assert.rejects(TaskSupervisor.async(sup, self, 42 as never), {
        message: "invalid value for `fn`: expected a function, got 42",
      });
      await assert.rejects(
        TaskSupervisor.async(sup, {} as Self, () => 1),
        {
          message: "invalid value for `self`: expected a process's `self`, got an empty object",
        },
      );
      await assert.rejects(
        TaskSupervisor.startChild(sup, () => 1, { restart: "permanent" as never }),
        {
          message:
            'invalid value for `options.restart`: expected one of "temporary", "transient", got "permanent"',
        },
      );
      await assert.rejects(
        TaskSupervisor.asyncNolink(sup, () => 1, { shutdown: -5 }),
        {
          message:
            'invalid value for `options.shutdown`: expected a non-negative integer (ms), "brutalKill" or "infinity", got -5',
        },
      );
      assert.throws(() => TaskSupervisor.asyncStreamNolink(sup, 42 as never, (n) => n), {
        message: "invalid value for `input`: expected an iterable or async iterable, got 42",
      });
      assert.throws(
        () => TaskSupervisor.asyncStream(sup, self, [1], (n) => n, { maxConcurrency: 0 }),
        InvalidArgumentError,
      );
      assert.deepEqual(await TaskSupervisor.children(sup), []);
    }),
  );
});
