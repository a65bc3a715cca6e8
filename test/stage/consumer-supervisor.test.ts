import assert from "node:assert/strict";
import { test } from "node:test";
import {
  type ConsumerChildSpec,
  ConsumerSupervisor,
  GenStage,
  isBeamishError,
  isDownMessage,
  isPid,
  type Pid,
  type StageDefinition,
  send,
  spawn,
} from "beamish";
import { assertReceive, refuteReceive, withRuntime } from "beamish/testing";

/** A producer of 0..limit-1, then nothing. */
function upTo(limit: number): StageDefinition<never, number, number, undefined> {
  return {
    init: () => GenStage.producer(0),
    handleDemand: (demand, next) => {
      const count = Math.max(0, Math.min(demand, limit - next));
      return GenStage.emit(
        Array.from({ length: count }, (_, i) => next + i),
        next + count,
      );
    },
  };
}

/** Children that report `{ started: event }`, wait for "go", report `{ done: event }` and exit. */
function waiting(to: Pid, live: Set<number>): ConsumerChildSpec<number> {
  return {
    start: (sup, event) =>
      sup.spawnLink(async (child) => {
        live.add(event);
        send(to, { started: event, pid: child.pid });
        try {
          await child.receive({ match: (m) => m === "go" });
        } finally {
          live.delete(event);
        }
        send(to, { done: event });
      }),
  };
}

test(
  "a child per event, with the event as argument; maxDemand bounds the children alive",
  withRuntime(async ({ self, settle }) => {
    const producer = await GenStage.start(upTo(20), undefined);
    const live = new Set<number>();
    const sup = await ConsumerSupervisor.start({
      child: waiting(self.pid, live),
      subscribeTo: [{ to: producer, maxDemand: 4, minDemand: 2 }],
    });
    const started: number[] = [];
    const pids = new Map<number, Pid>();
    let maxLive = 0;
    while (started.length < 20 || live.size > 0) {
      await settle();
      maxLive = Math.max(maxLive, live.size);
      assert.ok(live.size <= 4, `${live.size} children alive with maxDemand 4`);
      assert.equal((await ConsumerSupervisor.countChildren(sup)).active, live.size);
      for (;;) {
        const m = await self.receive({ timeout: 0 });
        if (typeof m !== "object" || m === null || !("started" in m)) break;
        const { started: event, pid } = m as { started: number; pid: Pid };
        started.push(event);
        pids.set(event, pid);
      }
      // Let the oldest child finish.
      const oldest = [...live].sort((a, b) => a - b)[0];
      if (oldest !== undefined) send(pids.get(oldest) as Pid, "go");
    }
    assert.deepEqual(
      started,
      Array.from({ length: 20 }, (_, i) => i),
    );
    assert.equal(maxLive, 4);
    assert.deepEqual(await ConsumerSupervisor.whichChildren(sup), []);
  }),
);

test(
  "a crashing temporary child does not take the supervisor down, and its demand comes back",
  withRuntime(async ({ self, crashes, settle }) => {
    const producer = await GenStage.start(upTo(10), undefined);
    const sup = await ConsumerSupervisor.start({
      child: {
        start: (s, event: number) =>
          s.spawnLink(() => {
            send(self.pid, { ran: event });
            if (event % 2 === 1) throw new Error(`child ${event} failed`);
          }),
      },
      subscribeTo: [{ to: producer, maxDemand: 2, minDemand: 0 }],
    });
    const ran: number[] = [];
    for (let i = 0; i < 10; i++) {
      ran.push(
        (
          await assertReceive<{ ran: number }>(
            self,
            (m) => typeof m === "object" && m !== null && "ran" in m,
          )
        ).ran,
      );
    }
    await settle();
    assert.deepEqual(
      ran.toSorted((a, b) => a - b),
      [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    );
    assert.equal(crashes.length, 5);
    assert.ok(isPid(sup) && (await ConsumerSupervisor.countChildren(sup)).active === 0);
  }),
);

test(
  "a transient child is restarted with its event after an abnormal exit, not after a normal one",
  withRuntime(async ({ self, settle }) => {
    const producer = await GenStage.start(upTo(4), undefined);
    const attempts = new Map<number, number>();
    await ConsumerSupervisor.start({
      child: {
        restart: "transient",
        start: (s, event: number) =>
          s.spawnLink(() => {
            const n = (attempts.get(event) ?? 0) + 1;
            attempts.set(event, n);
            if (event === 2 && n === 1) throw new Error("first try fails");
            send(self.pid, { done: event, attempt: n });
          }),
      },
      subscribeTo: [{ to: producer, maxDemand: 10 }],
    });
    for (const event of [0, 1, 3]) await assertReceive(self, { done: event, attempt: 1 });
    await assertReceive(self, { done: 2, attempt: 2 });
    await settle();
    assert.deepEqual([...attempts].sort(), [
      [0, 1],
      [1, 1],
      [2, 2],
      [3, 1],
    ]);
  }),
);

test(
  "past its restart intensity the supervisor exits reachedMaxRestartIntensity",
  withRuntime(async ({ self }) => {
    const producer = await GenStage.start(upTo(1), undefined);
    const sup = await ConsumerSupervisor.start({
      child: {
        restart: "transient",
        start: (s) =>
          s.spawnLink(() => {
            throw new Error("always");
          }),
      },
      subscribeTo: [{ to: producer, maxDemand: 1 }],
      maxRestarts: 2,
    });
    self.monitor(sup);
    const down = await assertReceive(self, isDownMessage);
    assert.deepEqual(down.reason, { shutdown: "reachedMaxRestartIntensity" });
  }),
);

test(
  "stop stops every child; terminateChild one, giving its demand back",
  withRuntime(async ({ self }) => {
    const producer = await GenStage.start(upTo(3), undefined);
    const live = new Set<number>();
    const sup = await ConsumerSupervisor.start({
      child: waiting(self.pid, live),
      subscribeTo: [{ to: producer, maxDemand: 2, minDemand: 0 }],
    });
    const first = await assertReceive<{ started: number; pid: Pid }>(self, { started: 0 });
    await assertReceive(self, { started: 1 });
    await refuteReceive(self, { started: 2 });
    assert.equal(await ConsumerSupervisor.terminateChild(sup, first.pid), true);
    assert.equal(await ConsumerSupervisor.terminateChild(sup, first.pid), false);
    // Its slot is free: event 2 gets a child.
    const third = await assertReceive<{ started: number; pid: Pid }>(self, { started: 2 });
    const children = await ConsumerSupervisor.whichChildren(sup);
    assert.deepEqual(
      children.map((c) => [c.restart, c.type]),
      [
        ["temporary", "worker"],
        ["temporary", "worker"],
      ],
    );
    assert.ok(children.some((c) => c.pid.equals(third.pid)));
    for (const c of children) self.monitor(c.pid);
    await ConsumerSupervisor.stop(sup);
    const reasons = [
      (await assertReceive(self, isDownMessage)).reason,
      (await assertReceive(self, isDownMessage)).reason,
    ];
    assert.deepEqual(reasons, ["shutdown", "shutdown"]);
    assert.equal(live.size, 0);
  }),
);

test(
  "startChild starts a child outside any demand, with its extra arguments",
  withRuntime(async ({ self }) => {
    const sup = await ConsumerSupervisor.start({
      child: {
        start: (s, a: unknown, b?: unknown) =>
          s.spawnLink(() => {
            send(self.pid, { args: [a, b] });
          }),
      } as ConsumerChildSpec<unknown>,
    });
    const pid = await ConsumerSupervisor.startChild(sup, "x", 2);
    assert.ok(isPid(pid));
    await assertReceive(self, { args: ["x", 2] });
    const failing = await ConsumerSupervisor.start({
      child: {
        start: () => {
          throw new Error("nope");
        },
      },
    });
    await assert.rejects(ConsumerSupervisor.startChild(failing, 1), (e) =>
      isBeamishError(e, "ERR_CHILD_START"),
    );
  }),
);

test(
  "a subscription made with automatic demand is cancelled with a clear error",
  withRuntime(async ({ self }) => {
    const producer = await GenStage.start(upTo(5), undefined);
    const sup = await ConsumerSupervisor.start({
      child: { start: (s) => s.spawnLink(() => {}) },
    });
    self.monitor(sup);
    await GenStage.syncSubscribe(sup, { to: producer });
    const down = await assertReceive(self, isDownMessage);
    assert.ok(isBeamishError(down.reason, "ERR_INVALID_ARGUMENT"));
    assert.equal(
      down.reason.message,
      'invalid value for `demand`: expected "manual" (a ConsumerSupervisor asks as its children exit), got "automatic"',
    );
    // ConsumerSupervisor.subscribe makes it manual.
    const other = await ConsumerSupervisor.start({
      child: { start: (s, n: number) => s.spawnLink(() => void send(self.pid, { child: n })) },
    });
    const fresh = await GenStage.start(upTo(5), undefined);
    await ConsumerSupervisor.subscribe(other, { to: fresh, maxDemand: 2 });
    for (let n = 0; n < 5; n++) await assertReceive(self, { child: n });
  }),
);

test(
  "bad options are refused with the option's path",
  withRuntime(async () => {
    const start = (options: unknown) => ConsumerSupervisor.start(options as never);
    const rejects = (options: unknown, message: string) =>
      assert.rejects(
        start(options),
        (e) => isBeamishError(e, "ERR_INVALID_ARGUMENT") && e.message === message,
      );
    await rejects(
      {},
      "invalid value for `options.child`: expected a child spec { start, restart, shutdown, type }, got undefined",
    );
    await rejects(
      { child: { start: () => undefined, restart: "permanent" } },
      'invalid value for `options.child.restart`: expected "temporary" or "transient" (a ConsumerSupervisor starts a child per event), got "permanent"',
    );
    await rejects(
      { child: { start: 1 } },
      "invalid value for `options.child.start`: expected a function, got 1",
    );
    await rejects(
      { child: { start: () => undefined }, maxRestarts: -1 },
      "invalid value for `options.maxRestarts`: expected a non-negative integer, got -1",
    );
    await rejects(
      { child: { start: () => undefined }, subscribeTo: "p" },
      'invalid value for `options.subscribeTo`: expected an array of subscriptions, got "p"',
    );
  }),
);

test(
  "startLink: when its parent exits, the supervisor stops its children",
  withRuntime(async ({ self }) => {
    const producer = await GenStage.start(upTo(2), undefined);
    const live = new Set<number>();
    const parent = spawn(async (p) => {
      const sup = await ConsumerSupervisor.startLink(p, {
        child: waiting(self.pid, live),
        subscribeTo: [producer],
      });
      send(self.pid, { sup });
      await p.receive({ match: (m) => m === "quit" });
      p.exit("shutdown");
    });
    const { sup } = await assertReceive<{ sup: Pid }>(
      self,
      (m) => typeof m === "object" && m !== null && "sup" in m,
    );
    await assertReceive(self, { started: 0 });
    await assertReceive(self, { started: 1 });
    self.monitor(sup);
    send(parent, "quit");
    const down = await assertReceive(self, isDownMessage);
    assert.equal(down.reason, "shutdown");
    assert.equal(live.size, 0);
  }),
);
