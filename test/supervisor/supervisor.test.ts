import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  ChildStartError,
  exit,
  GenServer,
  InvalidArgumentError,
  ignore,
  isAlive,
  isPid,
  type Pid,
  Supervisor,
  spawn,
} from "beamish";
import { withRuntime } from "beamish/testing";
import { downReason, pids, stubborn, worker } from "./helpers.js";

const maxIntensity = { shutdown: "reachedMaxRestartIntensity" };

describe("start", () => {
  test(
    "children start in order and are listed with their pids",
    withRuntime(async () => {
      const log: string[] = [];
      const sup = await Supervisor.start([worker(log, "a"), worker(log, "b"), worker(log, "c")]);
      assert.deepEqual(log, ["start a", "start b", "start c"]);
      const children = await Supervisor.whichChildren(sup);
      assert.deepEqual(
        children.map((c) => [c.id, c.type, c.restart, isPid(c.pid)]),
        [
          ["a", "worker", "permanent", true],
          ["b", "worker", "permanent", true],
          ["c", "worker", "permanent", true],
        ],
      );
      assert.deepEqual(await Supervisor.countChildren(sup), {
        specs: 3,
        active: 3,
        supervisors: 0,
        workers: 3,
      });
      assert.equal(
        await GenServer.call(
          GenServer.server<import("./helpers.js").Worker>(children[1]?.pid as Pid),
          "ping",
        ),
        "pong b",
      );
    }),
  );

  test(
    "a failing start stops the started children in reverse order and rejects naming the child",
    withRuntime(async ({ runtime }) => {
      const log: string[] = [];
      const failing = {
        id: "db",
        start: () => Promise.reject(new Error("connection refused")),
      };
      const before = runtime.processCount;
      const error = await Supervisor.start([
        worker(log, "a"),
        worker(log, "b"),
        failing,
        worker(log, "c"),
      ]).then(
        () => assert.fail("started"),
        (e: unknown) => e,
      );
      assert.ok(error instanceof ChildStartError);
      assert.equal(error.childId, "db");
      assert.equal(error.message, 'child "db" failed to start: Error: connection refused');
      assert.deepEqual(log, ["start a", "start b", "stop b", "stop a"]);
      assert.equal(runtime.processCount, before);
    }),
  );

  test(
    "a start that throws, or returns something other than a pid, is reported with the child's id",
    withRuntime(async () => {
      const throwing = {
        id: "thrower",
        start: () => {
          throw new TypeError("bad config");
        },
      };
      await assert.rejects(Supervisor.start([throwing]), {
        code: "ERR_CHILD_START",
        message: 'child "thrower" failed to start: TypeError: bad config',
      });
      const notPid = { id: "number", start: () => 42 as unknown as Pid };
      await assert.rejects(Supervisor.start([notPid]), {
        code: "ERR_CHILD_START",
        childId: "number",
        message:
          'child "number" failed to start: BadReturnError: start returned a value it may not return: 42',
      });
    }),
  );

  test(
    "a GenServer child whose init fails is reported with its StartError as the reason",
    withRuntime(async () => {
      const spec = Supervisor.genServer(
        "bad",
        {
          init: () => {
            throw new Error("no");
          },
        },
        undefined,
      );
      await assert.rejects(Supervisor.start([spec]), {
        message: 'child "bad" failed to start: StartError: the server did not start: Error: no',
      });
    }),
  );

  test(
    "a child whose start is ignored is kept as not running; an ignored temporary child is dropped",
    withRuntime(async () => {
      const ignored = Supervisor.genServer("ignored", { init: () => ignore() }, undefined);
      const sup = await Supervisor.start([
        ignored,
        { ...ignored, id: "gone", restart: "temporary" },
      ]);
      assert.deepEqual(await pids(sup), { ignored: undefined });
      assert.deepEqual(await Supervisor.countChildren(sup), {
        specs: 1,
        active: 0,
        supervisors: 0,
        workers: 1,
      });
    }),
  );

  test(
    "a module-style definition: init gets the argument and returns children and flags",
    withRuntime(async () => {
      const log: string[] = [];
      const definition = {
        init: (names: string[]) => ({
          children: names.map((n) => worker(log, n)),
          strategy: "oneForAll" as const,
        }),
      };
      const sup = await Supervisor.start(definition, ["x", "y"], { name: "tree" });
      assert.deepEqual(Object.keys(await pids("tree")), ["x", "y"]);
      const before = await pids(sup);
      exit(before.y as Pid, "kill");
      const after = await pids(sup);
      assert.notEqual(after.x, before.x, "oneForAll from init restarted x too");
    }),
  );
});

describe("ignore", () => {
  test(
    "a definition whose init returns ignore() does not start; as a child it is kept not running",
    withRuntime(async () => {
      const nothing = { init: () => ignore() };
      await assert.rejects(Supervisor.start(nothing, undefined), {
        code: "ERR_START",
        reason: "ignore",
      });
      const root = await Supervisor.start([Supervisor.supervisor("idle", nothing, undefined)]);
      assert.deepEqual(await pids(root), { idle: undefined });
    }),
  );
});

describe("bad input", () => {
  const start = () => spawn(() => undefined);
  const cases: Array<[string, () => Promise<unknown>, string]> = [
    [
      "a child without id",
      () => Supervisor.start([{ id: "a", start }, { start } as never]),
      "invalid value for `children[1].id`: expected a non-empty string, got undefined",
    ],
    [
      "a child without start",
      () => Supervisor.start([{ id: "a" } as never]),
      "invalid value for `children[0].start`: expected a function, got undefined",
    ],
    [
      "duplicate ids",
      () =>
        Supervisor.start([
          { id: "a", start },
          { id: "b", start },
          { id: "a", start },
        ]),
      'invalid value for `children[2].id`: expected an id not used by another child, got "a"',
    ],
    [
      "an unknown strategy",
      () => Supervisor.start([], { strategy: "oneForSome" as never }),
      'invalid value for `options.strategy`: expected one of "oneForOne", "oneForAll", "restForOne", got "oneForSome"',
    ],
    [
      "a negative maxRestarts",
      () => Supervisor.start([], { maxRestarts: -1 }),
      "invalid value for `options.maxRestarts`: expected a non-negative integer, got -1",
    ],
    [
      "a zero maxSeconds",
      () => Supervisor.start([], { maxSeconds: 0 }),
      "invalid value for `options.maxSeconds`: expected a positive integer, got 0",
    ],
    [
      "a bad shutdown",
      () => Supervisor.start([{ id: "a", start, shutdown: 1.5 }]),
      'invalid value for `children[0].shutdown`: expected a non-negative integer (ms), "brutalKill" or "infinity", got 1.5',
    ],
    [
      "neither children nor a definition",
      () => Supervisor.start(42 as never),
      "invalid value for `children`: expected an array of child specs or a definition { init }, got 42",
    ],
    [
      "a bad strategy returned by init",
      () =>
        Supervisor.start({ init: () => ({ children: [], strategy: "all" as never }) }, undefined),
      'invalid value for `init().strategy`: expected one of "oneForOne", "oneForAll", "restForOne", got "all"',
    ],
    [
      "a bad child returned by init",
      () =>
        Supervisor.start({ init: () => ({ children: [{ id: 7, start }] as never }) }, undefined),
      "invalid value for `init().children[0].id`: expected a non-empty string, got 7",
    ],
    [
      "a bad spec given to startChild",
      async () =>
        Supervisor.startChild(await Supervisor.start([]), {
          id: "x",
          start,
          type: "boss" as never,
        }),
      'invalid value for `spec.type`: expected one of "worker", "supervisor", got "boss"',
    ],
  ];
  for (const [name, run, message] of cases) {
    test(
      name,
      withRuntime(async () => {
        const error = await run().then(
          () => assert.fail("no error"),
          (e: unknown) => e,
        );
        assert.ok(error instanceof InvalidArgumentError, String(error));
        assert.equal(error.message, message);
      }),
    );
  }
});

describe("strategies", () => {
  test(
    "oneForOne restarts only the crashed child",
    withRuntime(async () => {
      const log: string[] = [];
      const sup = await Supervisor.start([worker(log, "a"), worker(log, "b"), worker(log, "c")]);
      const before = await pids(sup);
      log.length = 0;
      exit(before.b as Pid, "kill");
      const after = await pids(sup);
      assert.equal(after.a, before.a);
      assert.notEqual(after.b, before.b);
      assert.ok(isPid(after.b) && isAlive(after.b));
      assert.equal(after.c, before.c);
      assert.deepEqual(log, ["start b"]);
    }),
  );

  test(
    "oneForAll stops the others in reverse order, then starts all in order",
    withRuntime(async () => {
      const log: string[] = [];
      const sup = await Supervisor.start([worker(log, "a"), worker(log, "b"), worker(log, "c")], {
        strategy: "oneForAll",
      });
      const before = await pids(sup);
      log.length = 0;
      exit(before.b as Pid, "kill");
      const after = await pids(sup);
      for (const id of ["a", "b", "c"]) assert.notEqual(after[id], before[id], id);
      assert.deepEqual(log, ["stop c", "stop a", "start a", "start b", "start c"]);
    }),
  );

  test(
    "restForOne restarts the crashed child and those started after it",
    withRuntime(async () => {
      const log: string[] = [];
      const sup = await Supervisor.start(
        [worker(log, "a"), worker(log, "b"), worker(log, "c"), worker(log, "d")],
        { strategy: "restForOne" },
      );
      const before = await pids(sup);
      log.length = 0;
      exit(before.b as Pid, "kill");
      const after = await pids(sup);
      assert.equal(after.a, before.a);
      for (const id of ["b", "c", "d"]) assert.notEqual(after[id], before[id], id);
      assert.deepEqual(log, ["stop d", "stop c", "start b", "start c", "start d"]);
    }),
  );

  test(
    "a temporary sibling stopped by oneForAll is not started again",
    withRuntime(async () => {
      const log: string[] = [];
      const sup = await Supervisor.start(
        [worker(log, "a"), worker(log, "t", { restart: "temporary" }), worker(log, "c")],
        { strategy: "oneForAll" },
      );
      exit((await pids(sup)).a as Pid, "kill");
      assert.deepEqual(Object.keys(await pids(sup)), ["a", "c"]);
    }),
  );
});

describe("restart types", () => {
  test(
    "permanent: restarted after a normal exit too",
    withRuntime(async () => {
      const log: string[] = [];
      const sup = await Supervisor.start([worker(log, "p")]);
      const before = await pids(sup);
      await GenServer.stop(before.p as Pid, "normal");
      const after = await pids(sup);
      assert.ok(isPid(after.p) && !after.p.equals(before.p as Pid));
    }),
  );

  test(
    "transient: not restarted after normal, shutdown or { shutdown }; restarted after a crash",
    withRuntime(async () => {
      const log: string[] = [];
      const sup = await Supervisor.start(
        ["n", "s", "d", "k"].map((id) => worker(log, id, { restart: "transient" })),
      );
      const before = await pids(sup);
      await GenServer.stop(before.n as Pid, "normal");
      await GenServer.stop(before.s as Pid, "shutdown");
      await GenServer.stop(before.d as Pid, { shutdown: "done" });
      exit(before.k as Pid, "kill");
      const after = await pids(sup);
      assert.deepEqual([after.n, after.s, after.d], [undefined, undefined, undefined]);
      assert.ok(isPid(after.k) && !after.k.equals(before.k as Pid));
      assert.deepEqual(await Supervisor.countChildren(sup), {
        specs: 4,
        active: 1,
        supervisors: 0,
        workers: 4,
      });
    }),
  );

  test(
    "temporary: never restarted, and its spec is dropped",
    withRuntime(async () => {
      const log: string[] = [];
      const sup = await Supervisor.start([
        worker(log, "a", { restart: "temporary" }),
        worker(log, "b"),
      ]);
      exit((await pids(sup)).a as Pid, "kill");
      assert.deepEqual(Object.keys(await pids(sup)), ["b"]);
    }),
  );
});

describe("restart intensity", () => {
  test(
    "the (maxRestarts + 1)-th restart within maxSeconds makes the supervisor exit, exactly at the boundary",
    withRuntime(async ({ self, clock }) => {
      const log: string[] = [];
      const sup = await Supervisor.start([worker(log, "a"), worker(log, "b")], {
        maxRestarts: 3,
        maxSeconds: 5,
      });
      self.monitor(sup);
      for (const at of [0, 1000, 2000]) {
        await clock.advance(at === 0 ? 0 : 1000);
        exit((await pids(sup)).a as Pid, "kill");
        assert.ok(isPid((await pids(sup)).a), `restart at ${at} ms is allowed`);
      }
      await clock.advance(3000); // 5000 ms after the first restart: still inside the window
      const b = (await pids(sup)).b as Pid;
      log.length = 0;
      exit((await pids(sup)).a as Pid, "kill");
      assert.deepEqual(await downReason(self, sup), maxIntensity);
      assert.equal(isAlive(b), false, "the other children are stopped");
      assert.deepEqual(log, ["stop b"]);
    }),
  );

  test(
    "one ms later the first restart has left the window and the fourth is allowed",
    withRuntime(async ({ clock }) => {
      const log: string[] = [];
      const sup = await Supervisor.start([worker(log, "a")], { maxRestarts: 3, maxSeconds: 5 });
      for (let i = 0; i < 3; i++) {
        exit((await pids(sup)).a as Pid, "kill");
        await pids(sup);
        await clock.advance(1000);
      }
      await clock.advance(2001);
      exit((await pids(sup)).a as Pid, "kill");
      assert.ok(isPid((await pids(sup)).a));
      assert.ok(isAlive(sup));
    }),
  );

  test(
    "maxRestarts 0: the first crash ends the supervisor",
    withRuntime(async ({ self }) => {
      const sup = await Supervisor.start([worker([], "a")], { maxRestarts: 0 });
      self.monitor(sup);
      exit((await pids(sup)).a as Pid, "kill");
      assert.deepEqual(await downReason(self, sup), maxIntensity);
    }),
  );

  test(
    "a failed restart leaves the child restarting, is tried again, and each attempt counts",
    withRuntime(async ({ self, crashes }) => {
      let attempts = 0;
      let healthy = true;
      const flaky = {
        id: "flaky",
        start: (sup: import("beamish").Self) => {
          attempts++;
          if (!healthy) throw new Error(`down ${attempts}`);
          return sup.spawnLink(async (s) => {
            await s.receive();
          });
        },
      };
      const sup = await Supervisor.start([flaky], { maxRestarts: 2 });
      self.monitor(sup);
      healthy = false;
      exit((await pids(sup)).flaky as Pid, "kill");
      // Restart 1 fails, the retry (restart 2) fails, the third attempt is one too many.
      assert.deepEqual(await downReason(self, sup), maxIntensity);
      assert.equal(attempts, 3);
      assert.deepEqual(
        crashes.map((c) => (c.error as Error).message),
        [
          'child "flaky" failed to start: Error: down 2',
          'child "flaky" failed to start: Error: down 3',
        ],
      );
    }),
  );

  test(
    "a restart that fails once succeeds on the retry",
    withRuntime(async ({ settle }) => {
      let failNext = false;
      const flaky = {
        id: "flaky",
        start: (sup: import("beamish").Self) => {
          if (failNext) {
            failNext = false;
            throw new Error("once");
          }
          return sup.spawnLink(async (s) => {
            await s.receive();
          });
        },
      };
      const sup = await Supervisor.start([flaky]);
      failNext = true;
      exit((await pids(sup)).flaky as Pid, "kill");
      await settle();
      assert.equal(isPid((await pids(sup)).flaky), true, "restarted on the retry");
    }),
  );
});

describe("shutdown", () => {
  test(
    "stop stops the children in reverse order, then the supervisor exits with the reason",
    withRuntime(async ({ self }) => {
      const log: string[] = [];
      const sup = await Supervisor.start([worker(log, "a"), worker(log, "b"), worker(log, "c")]);
      self.monitor(sup);
      log.length = 0;
      await Supervisor.stop(sup, "shutdown");
      assert.deepEqual(log, ["stop c", "stop b", "stop a"]);
      assert.equal(await downReason(self, sup), "shutdown");
    }),
  );

  test(
    "a child that ignores shutdown is killed after its shutdown time, and only then the next stops",
    withRuntime(async ({ clock }) => {
      const log: string[] = [];
      const sup = await Supervisor.start([
        worker(log, "a"),
        stubborn(log, "s", 1000),
        worker(log, "c"),
      ]);
      const s = (await pids(sup)).s as Pid;
      log.length = 0;
      let stopped = false;
      const stopping = Supervisor.stop(sup).then(() => {
        stopped = true;
      });
      await clock.advance(999);
      assert.deepEqual(log, ["stop c"]);
      assert.ok(isAlive(s));
      await clock.advance(1);
      await stopping;
      assert.ok(stopped);
      assert.equal(isAlive(s), false);
      assert.deepEqual(log, ["stop c", "stop a"]);
    }),
  );

  test(
    "brutalKill children die at once, without terminate",
    withRuntime(async () => {
      const log: string[] = [];
      const sup = await Supervisor.start([
        worker(log, "a"),
        worker(log, "b", { shutdown: "brutalKill" }),
      ]);
      log.length = 0;
      await Supervisor.stop(sup);
      assert.deepEqual(log, ["stop a"]);
    }),
  );

  test(
    "when its parent exits, the supervisor stops its children in reverse order and exits too",
    withRuntime(async ({ self }) => {
      const log: string[] = [];
      let sup: Pid | undefined;
      const parent = spawn(async (p) => {
        sup = await Supervisor.startLink(p, [worker(log, "a"), worker(log, "b")]);
        await p.receive();
      });
      await pids(await until(() => sup));
      self.monitor(sup as Pid);
      log.length = 0;
      exit(parent, "kill");
      assert.equal(await downReason(self, sup as Pid), "killed");
      assert.deepEqual(log, ["stop b", "stop a"]);
    }),
  );
});

describe("managing children", () => {
  test(
    "startChild adds a child after the others; a taken id is refused",
    withRuntime(async () => {
      const log: string[] = [];
      const sup = await Supervisor.start([worker(log, "a")]);
      const pid = await Supervisor.startChild(sup, worker(log, "b"));
      assert.ok(isPid(pid));
      assert.deepEqual(Object.keys(await pids(sup)), ["a", "b"]);
      await assert.rejects(Supervisor.startChild(sup, worker(log, "b")), {
        code: "ERR_CHILD_EXISTS",
        message: `child "b" is already started as ${pid}`,
      });
      await assert.rejects(
        Supervisor.startChild(sup, { id: "c", start: () => Promise.reject(new Error("nope")) }),
        { code: "ERR_CHILD_START", message: 'child "c" failed to start: Error: nope' },
      );
      assert.deepEqual(Object.keys(await pids(sup)), ["a", "b"]);
    }),
  );

  test(
    "terminateChild keeps the spec; restartChild starts it again; deleteChild forgets it",
    withRuntime(async () => {
      const log: string[] = [];
      const sup = await Supervisor.start([worker(log, "a"), worker(log, "b")]);
      await assert.rejects(Supervisor.deleteChild(sup, "a"), {
        code: "ERR_CHILD_RUNNING",
        message: 'child "a" is running',
      });
      await assert.rejects(Supervisor.restartChild(sup, "a"), { code: "ERR_CHILD_RUNNING" });
      await Supervisor.terminateChild(sup, "a");
      assert.equal((await pids(sup)).a, undefined);
      await assert.rejects(Supervisor.startChild(sup, worker(log, "a")), {
        code: "ERR_CHILD_EXISTS",
        message: 'child "a" is already present (not running)',
      });
      const pid = await Supervisor.restartChild(sup, "a");
      assert.ok(isPid(pid));
      await Supervisor.terminateChild(sup, "a");
      await Supervisor.deleteChild(sup, "a");
      assert.deepEqual(Object.keys(await pids(sup)), ["b"]);
      for (const call of [
        Supervisor.terminateChild,
        Supervisor.restartChild,
        Supervisor.deleteChild,
      ]) {
        await assert.rejects(call(sup, "zz"), {
          code: "ERR_CHILD_NOT_FOUND",
          message: 'no child "zz"',
        });
      }
    }),
  );

  test(
    "terminating a temporary child drops its spec",
    withRuntime(async () => {
      const sup = await Supervisor.start([worker([], "t", { restart: "temporary" })]);
      await Supervisor.terminateChild(sup, "t");
      assert.deepEqual(await pids(sup), {});
    }),
  );
});

describe("nested supervisors", () => {
  test(
    "a child supervisor past its intensity exits and its parent restarts it",
    withRuntime(async ({ self }) => {
      const log: string[] = [];
      const root = await Supervisor.start([
        worker(log, "top"),
        Supervisor.supervisor("inner", [worker(log, "leaf")], { maxRestarts: 0 }),
      ]);
      const inner = (await pids(root)).inner as Pid;
      const top = (await pids(root)).top;
      self.monitor(inner);
      exit((await pids(inner)).leaf as Pid, "kill");
      assert.deepEqual(await downReason(self, inner), maxIntensity);
      const after = await pids(root);
      assert.ok(isPid(after.inner) && !after.inner.equals(inner));
      assert.equal(after.top, top);
      assert.ok(isPid((await pids(after.inner)).leaf));
      assert.deepEqual(await Supervisor.countChildren(root), {
        specs: 2,
        active: 2,
        supervisors: 1,
        workers: 1,
      });
    }),
  );

  test(
    "stopping the root stops the tree depth-first, in reverse order",
    withRuntime(async () => {
      const log: string[] = [];
      const root = await Supervisor.start([
        worker(log, "a"),
        Supervisor.supervisor("inner", [worker(log, "b"), worker(log, "c")]),
        worker(log, "d"),
      ]);
      log.length = 0;
      await Supervisor.stop(root);
      assert.deepEqual(log, ["stop d", "stop c", "stop b", "stop a"]);
    }),
  );
});

async function until<T>(get: () => T | undefined): Promise<T> {
  for (let i = 0; i < 1000; i++) {
    const value = get();
    if (value !== undefined) return value;
    await new Promise((resolve) => setImmediate(resolve));
  }
  throw new Error("never set");
}
