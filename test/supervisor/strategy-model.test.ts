// A property test: a random sequence of child exits, against a small model of the strategies,
// restart types and restart intensity. Compared after each exit: which children were restarted,
// which specs remain (in order), which run, and whether the supervisor itself died.
import assert from "node:assert/strict";
import { test } from "node:test";
import { exit, isAlive, isPid, type Self, type Strategy, Supervisor, send } from "beamish";
import { runInRuntime } from "beamish/testing";
import fc from "fast-check";

type Restart = "permanent" | "transient" | "temporary";

interface Scenario {
  readonly strategy: Strategy;
  readonly maxRestarts: number;
  readonly maxSeconds: number;
  readonly restarts: Restart[];
  readonly events: Array<{ child: number; normal: boolean; gap: number }>;
}

interface ModelChild {
  readonly id: string;
  readonly restart: Restart;
  running: boolean;
}

/** The model: OTP's rules written as plainly as possible. */
class Model {
  children: ModelChild[];
  times: number[] = [];
  alive = true;

  constructor(private readonly s: Scenario) {
    this.children = s.restarts.map((restart, i) => ({ id: `c${i}`, restart, running: true }));
  }

  /** Child `id` exits at `now`; returns the ids started again. */
  exit(id: string, normal: boolean, now: number): string[] {
    const index = this.children.findIndex((c) => c.id === id);
    const child = this.children[index] as ModelChild;
    if (child.restart === "temporary") {
      this.children.splice(index, 1);
      return [];
    }
    child.running = false;
    if (child.restart === "transient" && normal) return [];
    this.times.push(now);
    const inWindow = this.times.filter((t) => now - t <= this.s.maxSeconds * 1000).length;
    if (inWindow > this.s.maxRestarts) {
      this.alive = false;
      return [];
    }
    const group =
      this.s.strategy === "oneForOne"
        ? [child]
        : this.s.strategy === "oneForAll"
          ? [...this.children]
          : this.children.slice(index);
    const restarted = group.filter((c) => c === child || c.restart !== "temporary");
    this.children = this.children.filter((c) => !group.includes(c) || restarted.includes(c));
    for (const c of restarted) c.running = true;
    return restarted.map((c) => c.id);
  }
}

const scenario: fc.Arbitrary<Scenario> = fc.record({
  strategy: fc.constantFrom<Strategy>("oneForOne", "oneForAll", "restForOne"),
  maxRestarts: fc.nat(4),
  maxSeconds: fc.integer({ min: 1, max: 3 }),
  restarts: fc.array(fc.constantFrom<Restart>("permanent", "transient", "temporary"), {
    minLength: 1,
    maxLength: 5,
  }),
  events: fc.array(
    fc.record({
      child: fc.nat(4),
      normal: fc.boolean(),
      gap: fc.oneof(fc.nat(1500), fc.constantFrom(0, 500, 1000)),
    }),
    { maxLength: 15 },
  ),
});

/** A child that exits normally on any message, and dies on a kill. */
const start = (sup: Self) =>
  sup.spawnLink(async (self) => {
    await self.receive();
  });

test("property: restarts and the supervisor's fate follow the model of the strategy", async () => {
  await fc.assert(
    fc.asyncProperty(scenario, (s) =>
      runInRuntime(async ({ clock, settle }) => {
        const model = new Model(s);
        const sup = await Supervisor.start(
          s.restarts.map((restart, i) => ({ id: `c${i}`, restart, start })),
          { strategy: s.strategy, maxRestarts: s.maxRestarts, maxSeconds: s.maxSeconds },
        );
        let before = await Supervisor.whichChildren(sup);
        for (const event of s.events) {
          const target = before.find((c) => c.id === `c${event.child}`);
          if (target === undefined || !isPid(target.pid)) continue;
          await clock.advance(event.gap);
          if (event.normal) send(target.pid, "stop");
          else exit(target.pid, "kill");
          await settle();
          const expected = model.exit(target.id, event.normal, clock.now());
          assert.equal(isAlive(sup), model.alive, "the supervisor's fate");
          if (!model.alive) return;
          const after = await Supervisor.whichChildren(sup);
          const restarted = after
            .filter((c) => {
              const old = before.find((b) => b.id === c.id)?.pid;
              return isPid(c.pid) && !(isPid(old) && old.equals(c.pid));
            })
            .map((c) => c.id);
          assert.deepEqual(restarted, expected, "the children started again");
          assert.deepEqual(
            after.map((c) => [c.id, isPid(c.pid)]),
            model.children.map((c) => [c.id, c.running]),
            "the specs kept, in order, and which run",
          );
          before = after;
        }
        await Supervisor.stop(sup);
      }),
    ),
    { numRuns: 150 },
  );
});

test("the model itself: a crash in oneForAll drops temporary siblings and restarts the rest", () => {
  const model = new Model({
    strategy: "oneForAll",
    maxRestarts: 3,
    maxSeconds: 5,
    restarts: ["permanent", "temporary", "transient"],
    events: [],
  });
  assert.deepEqual(model.exit("c0", false, 0), ["c0", "c2"]);
  assert.deepEqual(
    model.children.map((c) => c.id),
    ["c0", "c2"],
  );
});
