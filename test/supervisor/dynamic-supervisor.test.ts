import assert from "node:assert/strict";
import { test } from "node:test";
import {
  DynamicSupervisor,
  exit,
  GenServer,
  InvalidArgumentError,
  ignore,
  isAlive,
  isPid,
  MaxChildrenError,
  type Pid,
  type Self,
  Supervisor,
} from "beamish";
import { withRuntime } from "beamish/testing";
import { downReason, worker } from "./helpers.js";

const maxIntensity = { shutdown: "reachedMaxRestartIntensity" };

async function childPids(sup: Pid): Promise<unknown[]> {
  return (await DynamicSupervisor.whichChildren(sup)).map((c) => c.pid);
}

test(
  "startChild starts children on demand; whichChildren lists them in start order",
  withRuntime(async () => {
    const log: string[] = [];
    const sup = await DynamicSupervisor.start();
    const a = await DynamicSupervisor.startChild(sup, worker(log, "a"));
    const b = await DynamicSupervisor.startChild(sup, {
      start: (s: Self) => s.spawnLink(async (p) => void (await p.receive())),
    });
    assert.deepEqual(await childPids(sup), [a, b]);
    assert.deepEqual(
      (await DynamicSupervisor.whichChildren(sup)).map((c) => c.id),
      ["a", undefined],
    );
    assert.deepEqual(await DynamicSupervisor.countChildren(sup), {
      specs: 2,
      active: 2,
      supervisors: 0,
      workers: 2,
    });
  }),
);

test(
  "maxChildren: a start past it rejects with MaxChildrenError; room frees when a child goes",
  withRuntime(async () => {
    const sup = await DynamicSupervisor.start({ maxChildren: 2 });
    const first = (await DynamicSupervisor.startChild(sup, worker([], "a"))) as Pid;
    await DynamicSupervisor.startChild(sup, worker([], "b"));
    const error = await DynamicSupervisor.startChild(sup, worker([], "c")).catch((e: unknown) => e);
    assert.ok(error instanceof MaxChildrenError);
    assert.equal(error.maxChildren, 2);
    assert.equal(error.message, "the supervisor already has its maximum of 2 children");
    await DynamicSupervisor.terminateChild(sup, first);
    assert.equal(isPid(await DynamicSupervisor.startChild(sup, worker([], "c"))), true);
  }),
);

test(
  "extraArguments are passed to every child's start after the supervisor",
  withRuntime(async () => {
    const seen: unknown[] = [];
    const sup = await DynamicSupervisor.start({ extraArguments: ["db", 3] });
    await DynamicSupervisor.startChild(sup, {
      start: (s: Self, ...extra: never[]) => {
        seen.push(extra);
        return s.spawnLink(async (p) => void (await p.receive()));
      },
    });
    assert.deepEqual(seen, [["db", 3]]);
  }),
);

test(
  "terminateChild stops a child within its shutdown time; an unknown pid is refused",
  withRuntime(async ({ self }) => {
    const log: string[] = [];
    const sup = await DynamicSupervisor.start();
    const a = (await DynamicSupervisor.startChild(sup, worker(log, "a"))) as Pid;
    await DynamicSupervisor.terminateChild(sup, a);
    assert.deepEqual(log, ["start a", "stop a"]);
    assert.deepEqual(await childPids(sup), []);
    await assert.rejects(DynamicSupervisor.terminateChild(sup, a), {
      code: "ERR_CHILD_NOT_FOUND",
      message: `no child ${a}`,
    });
    await assert.rejects(DynamicSupervisor.terminateChild(sup, self.pid), {
      code: "ERR_CHILD_NOT_FOUND",
    });
  }),
);

test(
  "crashed children are restarted by their restart type",
  withRuntime(async () => {
    const sup = await DynamicSupervisor.start();
    const permanent = (await DynamicSupervisor.startChild(sup, worker([], "p"))) as Pid;
    const transient = (await DynamicSupervisor.startChild(
      sup,
      worker([], "t", { restart: "transient" }),
    )) as Pid;
    const temporary = (await DynamicSupervisor.startChild(
      sup,
      worker([], "x", { restart: "temporary" }),
    )) as Pid;
    exit(permanent, "kill");
    await GenServer.stop(transient, "normal");
    exit(temporary, "kill");
    const children = await DynamicSupervisor.whichChildren(sup);
    assert.deepEqual(
      children.map((c) => c.id),
      ["p"],
    );
    assert.equal(isPid(children[0]?.pid) && !children[0].pid.equals(permanent), true);
  }),
);

test(
  "a transient child that crashes is restarted",
  withRuntime(async () => {
    const sup = await DynamicSupervisor.start();
    const pid = (await DynamicSupervisor.startChild(
      sup,
      worker([], "t", { restart: "transient" }),
    )) as Pid;
    exit(pid, "kill");
    const [after] = await childPids(sup);
    assert.equal(isPid(after) && !after.equals(pid), true);
  }),
);

test(
  "past its intensity the dynamic supervisor exits and stops its other children",
  withRuntime(async ({ self, clock }) => {
    const sup = await DynamicSupervisor.start({ maxRestarts: 1, maxSeconds: 1 });
    self.monitor(sup);
    const other = (await DynamicSupervisor.startChild(sup, worker([], "o"))) as Pid;
    exit((await DynamicSupervisor.startChild(sup, worker([], "c"))) as Pid, "kill");
    await clock.advance(1000);
    const [, again] = await childPids(sup);
    exit(again as Pid, "kill");
    assert.deepEqual(await downReason(self, sup), maxIntensity);
    assert.equal(isAlive(other), false);
  }),
);

test(
  "stop stops the children in reverse start order",
  withRuntime(async () => {
    const log: string[] = [];
    const sup = await DynamicSupervisor.start();
    for (const id of ["a", "b", "c"]) await DynamicSupervisor.startChild(sup, worker(log, id));
    log.length = 0;
    await DynamicSupervisor.stop(sup);
    assert.deepEqual(log, ["stop c", "stop b", "stop a"]);
  }),
);

test(
  "an ignored start resolves with undefined and adds nothing; a failing one rejects",
  withRuntime(async () => {
    const sup = await DynamicSupervisor.start();
    const ignored = Supervisor.genServer("i", { init: () => ignore() }, undefined);
    assert.equal(await DynamicSupervisor.startChild(sup, ignored), undefined);
    await assert.rejects(
      DynamicSupervisor.startChild(sup, {
        start: () => {
          throw new Error("no");
        },
      }),
      { code: "ERR_CHILD_START", message: "a child failed to start: Error: no" },
    );
    assert.deepEqual(await childPids(sup), []);
  }),
);

test(
  "as a child of a Supervisor, reachable by name",
  withRuntime(async () => {
    const log: string[] = [];
    const root = await Supervisor.start([Supervisor.dynamicSupervisor("jobs", { name: "jobs" })]);
    await DynamicSupervisor.startChild("jobs", worker(log, "job"));
    log.length = 0;
    await Supervisor.stop(root);
    assert.deepEqual(log, ["stop job"]);
  }),
);

test(
  "bad options and specs name the field",
  withRuntime(async () => {
    const cases: Array<[() => Promise<unknown>, string]> = [
      [
        () => DynamicSupervisor.start({ strategy: "oneForAll" as never }),
        'invalid value for `options.strategy`: expected one of "oneForOne", got "oneForAll"',
      ],
      [
        () => DynamicSupervisor.start({ maxChildren: -1 }),
        "invalid value for `options.maxChildren`: expected a non-negative integer or Infinity, got -1",
      ],
      [
        () => DynamicSupervisor.start({ maxRestarts: -1 }),
        "invalid value for `options.maxRestarts`: expected a non-negative integer, got -1",
      ],
      [
        () => DynamicSupervisor.start({ extraArguments: "x" as never }),
        'invalid value for `options.extraArguments`: expected an array, got "x"',
      ],
      [
        async () => DynamicSupervisor.startChild(await DynamicSupervisor.start(), {} as never),
        "invalid value for `spec.start`: expected a function, got undefined",
      ],
      [
        async () => DynamicSupervisor.terminateChild(await DynamicSupervisor.start(), "x" as never),
        'invalid value for `pid`: expected a pid, got "x"',
      ],
    ];
    for (const [run, message] of cases) {
      const error = await run().catch((e: unknown) => e);
      assert.ok(error instanceof InvalidArgumentError, String(error));
      assert.equal(error.message, message);
    }
  }),
);
