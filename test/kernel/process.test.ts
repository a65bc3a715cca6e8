import assert from "node:assert/strict";
import diagnostics from "node:diagnostics_channel";
import { describe, it } from "node:test";
import { inspect } from "node:util";
import {
  channels,
  type DownMessage,
  exit,
  InvalidArgumentError,
  isAlive,
  isBeamishError,
  isDownMessage,
  isPid,
  makeRef,
  Pid,
  ProcessExitedError,
  processInfo,
  Ref,
  send,
  spawn,
  whereis,
} from "beamish";
import { assertReceive, refuteReceive, withRuntime } from "beamish/testing";

/** Collects Node's unhandled rejections while `fn` runs, then lets one more turn pass. */
async function unhandledRejectionsDuring(fn: () => Promise<void>): Promise<unknown[]> {
  const seen: unknown[] = [];
  const listener = (reason: unknown) => seen.push(reason);
  process.on("unhandledRejection", listener);
  try {
    await fn();
    // Node reports an unhandled rejection after the microtask queue drains: give it two turns.
    await new Promise<void>((resolve) => setImmediate(resolve));
    await new Promise<void>((resolve) => setImmediate(resolve));
  } finally {
    process.off("unhandledRejection", listener);
  }
  return seen;
}

/** The DOWN message for `pid`, which `self` must be monitoring. */
function downOf(pid: Pid) {
  return (m: unknown): m is DownMessage => isDownMessage(m) && m.pid.equals(pid);
}

describe("spawn", () => {
  it(
    "returns the pid before the body runs",
    withRuntime(async ({ self, settle }) => {
      const order: string[] = [];
      const pid = spawn((p) => {
        order.push("body");
        send(self.pid, p.pid);
      });
      order.push("spawn returned");
      assert.ok(isPid(pid));
      assert.deepEqual(order, ["spawn returned"]);
      await settle();
      assert.deepEqual(order, ["spawn returned", "body"]);
      const reported = await assertReceive(self, isPid);
      assert.ok(reported.equals(pid));
    }),
  );

  it(
    "gives each process a fresh pid and its own handle",
    withRuntime(async ({ self }) => {
      const a = spawn((p) => send(self.pid, { who: "a", pid: p.pid }));
      const b = spawn((p) => send(self.pid, { who: "b", pid: p.pid }));
      assert.ok(!a.equals(b));
      const ma = await assertReceive<{ pid: Pid }>(self, { who: "a" });
      const mb = await assertReceive<{ pid: Pid }>(self, { who: "b" });
      assert.ok(ma.pid.equals(a));
      assert.ok(mb.pid.equals(b));
    }),
  );

  it(
    "exits normal when the body returns, sync or async",
    withRuntime(async ({ self, crashes }) => {
      const sync = spawn(() => 42);
      const async = spawn(async (p) => {
        await p.sleep(10);
        return "done";
      });
      self.monitor(sync);
      self.monitor(async);
      assert.equal((await assertReceive<DownMessage>(self, downOf(sync))).reason, "normal");
      assert.equal((await assertReceive<DownMessage>(self, downOf(async))).reason, "normal");
      assert.equal(isAlive(sync), false);
      assert.equal(isAlive(async), false);
      assert.deepEqual(crashes, []);
    }),
  );

  it("reports a throw once through the logger and exits with the error, never an unhandled rejection", async () => {
    const unhandled = await unhandledRejectionsDuring(
      withRuntime(async ({ self, crashes }) => {
        const boom = new Error("boom");
        const pid = spawn(() => {
          throw boom;
        });
        self.monitor(pid);
        const down = await assertReceive<DownMessage>(self, downOf(pid));
        assert.equal(down.reason, boom);
        assert.equal(crashes.length, 1);
        assert.equal(crashes[0]?.error, boom);
        assert.ok(crashes[0]?.pid.equals(pid));
        assert.equal(crashes[0]?.name, null);
      }),
    );
    assert.deepEqual(unhandled, []);
  });

  it("reports a rejected promise once, with the process's name, never an unhandled rejection", async () => {
    const unhandled = await unhandledRejectionsDuring(
      withRuntime(async ({ self, crashes }) => {
        const pid = spawn(
          async (p) => {
            await p.sleep(5);
            throw new RangeError("late");
          },
          { name: "worker" },
        );
        self.monitor(pid);
        const down = await assertReceive<DownMessage>(self, downOf(pid));
        assert.ok(down.reason instanceof RangeError);
        assert.equal(down.reason.message, "late");
        assert.equal(crashes.length, 1);
        assert.equal(crashes[0]?.error, down.reason);
        assert.equal(crashes[0]?.name, "worker");
      }),
    );
    assert.deepEqual(unhandled, []);
  });

  it("reports a rejection with a non-Error value, and exits with that value", async () => {
    const unhandled = await unhandledRejectionsDuring(
      withRuntime(async ({ self, crashes }) => {
        const pid = spawn(() => Promise.reject({ code: 7 }));
        self.monitor(pid);
        const down = await assertReceive<DownMessage>(self, downOf(pid));
        assert.deepEqual(down.reason, { code: 7 });
        assert.equal(crashes.length, 1);
        assert.deepEqual(crashes[0]?.error, { code: 7 });
      }),
    );
    assert.deepEqual(unhandled, []);
  });

  it("does not report a process killed while it waits as a crash, nor as an unhandled rejection", async () => {
    const unhandled = await unhandledRejectionsDuring(
      withRuntime(async ({ self, crashes, settle }) => {
        const waiting = spawn(async (p) => {
          await p.receive();
        });
        const sleeping = spawn(async (p) => {
          await p.sleep(1000);
        });
        await settle();
        self.monitor(waiting);
        self.monitor(sleeping);
        exit(waiting, "kill");
        exit(sleeping, "shutdown");
        assert.equal((await assertReceive<DownMessage>(self, downOf(waiting))).reason, "killed");
        assert.equal((await assertReceive<DownMessage>(self, downOf(sleeping))).reason, "shutdown");
        assert.deepEqual(crashes, []);
      }),
    );
    assert.deepEqual(unhandled, []);
  });

  it(
    "never runs the body of a process killed before its first turn, and frees its name",
    withRuntime(async ({ self, settle }) => {
      let ran = false;
      const pid = spawn(
        () => {
          ran = true;
        },
        { name: "short-lived" },
      );
      self.monitor(pid);
      exit(pid, "kill");
      await settle();
      assert.equal(ran, false);
      assert.equal((await assertReceive<DownMessage>(self, downOf(pid))).reason, "killed");
      assert.equal(whereis("short-lived"), undefined);
    }),
  );

  it(
    "delivers a message sent just before exiting ahead of the DOWN message",
    withRuntime(async ({ self }) => {
      const pid = spawn(() => send(self.pid, "last words"));
      self.monitor(pid);
      assert.equal(await self.receive({ timeout: 100 }), "last words");
      const down = await assertReceive<DownMessage>(self, () => true);
      assert.ok(isDownMessage(down));
    }),
  );

  it(
    "keeps a logger that throws from turning one crash into two",
    withRuntime(async ({ self, runtime }) => {
      runtime.logger = {
        crash() {
          throw new Error("logger down");
        },
      };
      const pid = spawn(() => {
        throw new Error("boom");
      });
      self.monitor(pid);
      const down = await assertReceive<DownMessage>(self, downOf(pid));
      assert.equal((down.reason as Error).message, "boom");
    }),
  );

  it(
    "rejects a body that is not a function, with the exact message",
    withRuntime(() => {
      for (const [body, got] of [
        [42, "42"],
        [undefined, "undefined"],
        [{ run: 1 }, "an object with keys run"],
      ] as const) {
        assert.throws(
          () => spawn(body as never),
          (e: unknown) => {
            assert.ok(e instanceof InvalidArgumentError);
            assert.equal(e.message, `invalid value for \`body\`: expected a function, got ${got}`);
            assert.equal(e.path, "body");
            assert.equal(e.got, body);
            return true;
          },
        );
      }
    }),
  );

  it(
    "publishes spawn, exit and crash on the telemetry channels",
    withRuntime(async ({ self }) => {
      const events: Array<[string, unknown]> = [];
      const on = (name: string) => (message: unknown) => events.push([name, message]);
      const handlers = {
        [channels.spawn]: on("spawn"),
        [channels.exit]: on("exit"),
        [channels.crash]: on("crash"),
      };
      for (const [name, fn] of Object.entries(handlers)) diagnostics.subscribe(name, fn);
      try {
        const boom = new Error("boom");
        const pid = spawn(
          () => {
            throw boom;
          },
          { name: "t" },
        );
        self.monitor(pid);
        await assertReceive(self, downOf(pid));
        const mine = events.filter(([, m]) => (m as { pid: Pid }).pid.equals(pid));
        assert.deepEqual(
          mine.map(([n]) => n),
          ["spawn", "crash", "exit"],
        );
        assert.deepEqual(mine[1]?.[1], { pid, name: "t", error: boom });
        assert.deepEqual(mine[2]?.[1], { pid, reason: boom });
      } finally {
        for (const [name, fn] of Object.entries(handlers)) diagnostics.unsubscribe(name, fn);
      }
    }),
  );
});

describe("a process exiting", () => {
  it(
    "aborts its signal with the exit reason when it is killed",
    withRuntime(async ({ self }) => {
      const pid = spawn(async (p) => {
        p.signal.addEventListener("abort", () => {
          send(self.pid, { aborted: p.signal.reason });
        });
        send(self.pid, "ready");
        await p.receive();
      });
      await assertReceive(self, "ready");
      exit(pid, "kill");
      const { aborted } = await assertReceive<{ aborted: unknown }>(self, { aborted: () => true });
      assert.ok(aborted instanceof ProcessExitedError);
      assert.equal(aborted.code, "ERR_PROCESS_EXITED");
      assert.equal(aborted.reason, "killed");
      assert.ok(aborted.pid.equals(pid));
      assert.equal(aborted.message, `process ${pid} exited (killed)`);
    }),
  );

  it(
    "aborts its signal when it ends normally, and gives an aborted signal after exit",
    withRuntime(async ({ self }) => {
      let kept: { signal: AbortSignal } | undefined;
      const pid = spawn((p) => {
        kept = p;
        assert.equal(p.signal.aborted, false);
      });
      self.monitor(pid);
      await assertReceive(self, downOf(pid));
      assert.ok(kept);
      assert.equal(kept.signal.aborted, true);
      assert.equal((kept.signal.reason as ProcessExitedError).reason, "normal");
    }),
  );

  it(
    "rejects a pending receive with ProcessExitedError, so code after the await does not run",
    withRuntime(async ({ self }) => {
      const pid = spawn(async (p) => {
        try {
          await p.receive();
          send(self.pid, "continued");
        } catch (e) {
          send(self.pid, e);
        }
      });
      await refuteReceive(self, () => true, { timeout: 10 });
      exit(pid, new Error("stop"));
      const e = await assertReceive<ProcessExitedError>(self, (m) => m instanceof Error);
      assert.ok(isBeamishError(e, "ERR_PROCESS_EXITED"));
      assert.ok(e instanceof ProcessExitedError);
      assert.equal((e.reason as Error).message, "stop");
      await refuteReceive(self, "continued", { timeout: 10 });
    }),
  );

  it(
    "rejects a pending sleep with ProcessExitedError and clears its timer",
    withRuntime(async ({ self, clock }) => {
      const pid = spawn(async (p) => {
        try {
          await p.sleep(1000);
          send(self.pid, "woke");
        } catch (e) {
          send(self.pid, e);
        }
      });
      await clock.advance(500);
      assert.equal(clock.pendingTimers, 1);
      exit(pid, "shutdown");
      const e = await assertReceive<ProcessExitedError>(self, (m) => m instanceof Error);
      assert.ok(e instanceof ProcessExitedError);
      assert.equal(e.reason, "shutdown");
      assert.equal(clock.pendingTimers, 0);
      await clock.advance(1000);
      await refuteReceive(self, "woke", { timeout: 0 });
    }),
  );

  it(
    "clears the timer of a timed receive it was waiting in",
    withRuntime(async ({ self, clock }) => {
      const pid = spawn(async (p) => {
        await p.receive({ timeout: 5000 });
      });
      await clock.advance(10);
      assert.equal(clock.pendingTimers, 1);
      self.monitor(pid);
      exit(pid, "kill");
      await assertReceive(self, downOf(pid));
      assert.equal(clock.pendingTimers, 0);
    }),
  );

  it(
    "rejects receive and sleep called after the process exited",
    withRuntime(async ({ self }) => {
      const pid = spawn(async (p) => {
        p.exit("done");
        const results = await Promise.allSettled([p.receive(), p.sleep(1)]);
        send(self.pid, results);
      });
      const results = await assertReceive<PromiseSettledResult<unknown>[]>(self, Array.isArray);
      for (const r of results) {
        assert.equal(r.status, "rejected");
        assert.ok((r as PromiseRejectedResult).reason instanceof ProcessExitedError);
        assert.equal(((r as PromiseRejectedResult).reason as ProcessExitedError).reason, "done");
      }
      assert.equal(isAlive(pid), false);
    }),
  );

  it(
    "exits at once on self.exit, with that reason, and does not report a crash",
    withRuntime(async ({ self, crashes }) => {
      const pid = spawn(async (p) => {
        p.exit({ shutdown: "bye" });
        send(self.pid, { aliveAfterExit: isAlive(p.pid) });
        await p.receive();
        send(self.pid, "after await");
      });
      self.monitor(pid);
      await assertReceive(self, { aliveAfterExit: false });
      const down = await assertReceive<DownMessage>(self, downOf(pid));
      assert.deepEqual(down.reason, { shutdown: "bye" });
      await refuteReceive(self, "after await", { timeout: 10 });
      assert.deepEqual(crashes, []);
    }),
  );

  it(
    "drops its mailbox and ignores messages sent after it exited",
    withRuntime(async ({ self, settle }) => {
      const pid = spawn(async (p) => {
        await p.receive({ match: (m) => m === "never" });
      });
      send(pid, "a");
      await settle();
      assert.equal(processInfo(pid)?.mailboxLength, 1);
      self.monitor(pid);
      exit(pid, "kill");
      await assertReceive(self, downOf(pid));
      send(pid, "b");
      assert.equal(processInfo(pid), undefined);
    }),
  );
});

describe("Pid and Ref", () => {
  it(
    "print as Erlang prints them, in String, inspect and JSON",
    withRuntime(() => {
      const pid = spawn(() => undefined);
      assert.match(String(pid), /^<0\.\d+\.0>$/);
      assert.equal(String(pid), `<0.${pid.id}.0>`);
      assert.equal(inspect(pid), String(pid));
      assert.equal(JSON.stringify({ pid }), `{"pid":"${pid}"}`);
      assert.equal(String(new Pid(3, 17)), "<3.17.0>");

      const ref = makeRef();
      assert.match(String(ref), /^#Ref<0\.\d+>$/);
      assert.equal(String(ref), `#Ref<0.${ref.id}>`);
      assert.equal(inspect(ref), String(ref));
      assert.equal(JSON.stringify([ref]), `["${ref}"]`);
      assert.equal(String(new Ref(2, 9)), "#Ref<2.9>");
    }),
  );

  it(
    "compare by value with equals, and refs are unique",
    withRuntime(() => {
      const pid = spawn(() => undefined);
      assert.ok(pid.equals(new Pid(pid.node, pid.id)));
      assert.ok(!pid.equals(new Pid(pid.node + 1, pid.id)));
      const a = makeRef();
      const b = makeRef();
      assert.ok(!a.equals(b));
      assert.ok(a.equals(new Ref(a.node, a.id)));
      assert.equal(isPid(pid), true);
      assert.equal(isPid(String(pid)), false);
    }),
  );
});
