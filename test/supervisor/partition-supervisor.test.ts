import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  ChildStartError,
  exit,
  GenServer,
  InvalidArgumentError,
  isAlive,
  NoProcError,
  PartitionSupervisor,
  type PartitionSupervisorRef,
  type Pid,
  reply,
  type ServerRef,
  StartError,
  Supervisor,
  send,
} from "beamish";
import { withRuntime } from "beamish/testing";
import fc from "fast-check";
import { downReason } from "./helpers.js";

interface Worker {
  calls: { partition(): number; log(): string[] };
  casts: { event(e: string): void };
}

interface WorkerState {
  readonly partition: number;
  readonly events: string[];
}

const worker: GenServer.Definition<Worker, WorkerState, number> = {
  init: (partition) => ({ partition, events: [] }),
  handleCall: {
    partition: (_, _from, state) => reply(state.partition, state),
    log: (_, _from, state) => reply(state.events, state),
  },
  handleCast: {
    event: (e, state) => {
      state.events.push(e);
      return state;
    },
  },
  handleInfo: (message, state) => {
    state.events.push(`info ${String(message)}`);
    return state;
  },
};

const child = (i: number) => Supervisor.genServer("ignored", worker, i);

function at(sup: PartitionSupervisorRef, key: unknown): ServerRef<Worker> {
  return { via: sup, key } as ServerRef<Worker>;
}

/** Waits until the partition of `key` runs a process other than `old`. */
async function restarted(sup: PartitionSupervisorRef, key: unknown, old: Pid): Promise<Pid> {
  for (let i = 0; i < 1000; i++) {
    const pid = PartitionSupervisor.whichPartition(sup, key);
    if (pid !== undefined && !pid.equals(old)) return pid;
    await new Promise((resolve) => setImmediate(resolve));
  }
  throw new Error("the partition was not restarted");
}

describe("start", () => {
  test(
    "starts N children, each with its partition index, under ids partition-0..N-1",
    withRuntime(async () => {
      const sup = await PartitionSupervisor.start({ partitions: 4, child });
      assert.equal(sup.partitions, 4);
      const children = await PartitionSupervisor.whichChildren(sup);
      assert.deepEqual(
        children.map((c) => [c.id, c.type, c.restart]),
        [0, 1, 2, 3].map((i) => [`partition-${i}`, "worker", "permanent"]),
      );
      for (const [i, c] of children.entries()) {
        assert.equal(await GenServer.call(GenServer.server<Worker>(c.pid as Pid), "partition"), i);
      }
      assert.deepEqual(await PartitionSupervisor.countChildren(sup), {
        specs: 4,
        active: 4,
        supervisors: 0,
        workers: 4,
      });
    }),
  );

  test(
    "partitions default to the number of cores",
    withRuntime(async () => {
      const { availableParallelism } = await import("node:os");
      const sup = await PartitionSupervisor.start({ child });
      assert.equal(sup.partitions, availableParallelism());
      assert.equal(PartitionSupervisor.options.defaults.partitions, availableParallelism());
    }),
  );

  test(
    "a child failing to start is reported with its partition's id",
    withRuntime(async () => {
      const error = await PartitionSupervisor.start({
        partitions: 3,
        child: (i) => ({
          id: "w",
          start: (sup) =>
            i === 1 ? Promise.reject(new Error("no db")) : GenServer.startLink(sup, worker, i),
        }),
      }).catch((e: unknown) => e);
      assert.ok(error instanceof ChildStartError);
      assert.equal(error.childId, "partition-1");
      assert.equal(error.message, 'child "partition-1" failed to start: Error: no db');
    }),
  );
});

describe("routing", () => {
  test(
    "integers route by |key| % partitions, as Elixir's",
    withRuntime(async () => {
      const sup = await PartitionSupervisor.start({ partitions: 4, child });
      assert.deepEqual(
        [0, 1, 2, 3, 4, 10, -7, 2n ** 70n, -5n].map((k) =>
          PartitionSupervisor.partitionFor(sup, k),
        ),
        [0, 1, 2, 3, 0, 2, 3, Number(2n ** 70n % 4n), 1],
      );
    }),
  );

  test(
    "for any key, partitionFor is deterministic, in range, and survives a restart of its partition",
    withRuntime(async ({ self }) => {
      const sup = await PartitionSupervisor.start({ partitions: 5, child, maxRestarts: 1000 });
      const key = fc.oneof(
        fc.string(),
        fc.integer(),
        fc.double(),
        fc.bigInt(),
        fc.boolean(),
        fc.constant(null),
        fc.array(fc.oneof(fc.string(), fc.integer())),
      );
      fc.assert(
        fc.property(key, (k) => {
          const p = PartitionSupervisor.partitionFor(sup, k);
          assert.ok(Number.isInteger(p) && p >= 0 && p < 5);
          assert.equal(PartitionSupervisor.partitionFor(sup, k), p);
          assert.equal(PartitionSupervisor.partitionFor(sup, structuredClone(k)), p);
        }),
      );
      const keys = fc.sample(key, { numRuns: 50, seed: 42 });
      const before = keys.map((k) => PartitionSupervisor.partitionFor(sup, k));
      const fixed = "user:42";
      const old = PartitionSupervisor.whichPartition(sup, fixed) as Pid;
      self.monitor(old);
      exit(old, "kill");
      await downReason(self, old);
      const pid = await restarted(sup, fixed, old);
      assert.equal(
        await GenServer.call(GenServer.server<Worker>(pid), "partition"),
        PartitionSupervisor.partitionFor(sup, fixed),
      );
      assert.deepEqual(
        keys.map((k) => PartitionSupervisor.partitionFor(sup, k)),
        before,
      );
    }),
  );

  test(
    "a via-name reaches the partition that owns the key, with send, call and cast",
    withRuntime(async () => {
      const sup = await PartitionSupervisor.start({ partitions: 3, child });
      for (const key of ["a", "b", "c", "user:42", 7, ["order", 9]]) {
        const p = PartitionSupervisor.partitionFor(sup, key);
        assert.equal(await GenServer.call(at(sup, key), "partition"), p);
        const pid = PartitionSupervisor.whichPartition(sup, key) as Pid;
        const [listed] = (await PartitionSupervisor.whichChildren(sup)).filter(
          (c) => c.id === `partition-${p}`,
        );
        assert.ok(listed?.pid === pid);
      }
      GenServer.cast(at(sup, 5), "event", "one");
      send({ via: sup, key: 5 }, "two");
      GenServer.cast(at(sup, 8), "event", "three");
      assert.deepEqual(await GenServer.call(at(sup, 2), "log"), ["one", "info two", "three"]);
    }),
  );

  test(
    "a crashed partition restarts, keeps its index, and the via-name follows the new pid",
    withRuntime(async ({ self }) => {
      const sup = await PartitionSupervisor.start({ partitions: 2, child });
      const old = PartitionSupervisor.whichPartition(sup, 1) as Pid;
      self.monitor(old);
      exit(old, new Error("crash"));
      assert.ok((await downReason(self, old)) instanceof Error);
      const pid = await restarted(sup, 1, old);
      assert.ok(isAlive(pid));
      assert.equal(await GenServer.call(at(sup, 1), "partition"), 1);
      assert.equal(await GenServer.call(at(sup, 0), "partition"), 0);
      const children = await PartitionSupervisor.whichChildren(sup);
      assert.ok(children[1]?.pid === pid);
    }),
  );

  test(
    "keyHash routes keys the default hash cannot, and must return an integer",
    withRuntime(async () => {
      const sup = await PartitionSupervisor.start({
        partitions: 4,
        child,
        keyHash: (key) => (key as { tenant: number }).tenant,
      });
      assert.equal(PartitionSupervisor.partitionFor(sup, { tenant: 6 }), 2);
      assert.equal(PartitionSupervisor.partitionFor(sup, { tenant: -3 }), 3);
      assert.equal(await GenServer.call(at(sup, { tenant: 5 }), "partition"), 1);
      assert.throws(() => PartitionSupervisor.partitionFor(sup, { tenant: 1.5 }), {
        message: "invalid value for `keyHash(key)`: expected an integer, got 1.5",
      });
    }),
  );
});

describe("names", () => {
  test(
    "a named partition supervisor is reached by name, and via(name, key) follows its restarts",
    withRuntime(async ({ self }) => {
      const top = await Supervisor.start([
        PartitionSupervisor.spec("workers", { name: "workers", partitions: 3, child }),
      ]);
      const name = PartitionSupervisor.via("workers", "user:1") as ServerRef<Worker>;
      const p = PartitionSupervisor.partitionFor("workers", "user:1");
      assert.equal(await GenServer.call(name, "partition"), p);
      assert.equal((await PartitionSupervisor.countChildren("workers")).active, 3);
      const [first] = await Supervisor.whichChildren(top);
      const old = first?.pid as Pid;
      self.monitor(old);
      exit(old, "kill");
      await downReason(self, old);
      for (let i = 0; i < 1000; i++) {
        const [now] = await Supervisor.whichChildren(top);
        if (now?.pid !== old && now?.pid !== undefined) break;
      }
      assert.equal(await GenServer.call(name, "partition"), p);
      assert.throws(() => PartitionSupervisor.whichPartition(top, "user:1"), {
        message: `invalid value for \`supervisor\`: expected a partition supervisor, its name or its pid, got a Pid instance`,
      });
    }),
  );

  test(
    "after stop, routing finds no process",
    withRuntime(async () => {
      const sup = await PartitionSupervisor.start({ partitions: 2, child, name: "gone" });
      await PartitionSupervisor.stop(sup);
      assert.equal(isAlive(sup.pid), false);
      assert.equal(PartitionSupervisor.whichPartition(sup, "k"), undefined);
      assert.throws(() => send({ via: sup, key: "k" }, "hello"), NoProcError);
      assert.throws(() => PartitionSupervisor.partitionFor("gone", "k"), NoProcError);
      assert.throws(() => send(PartitionSupervisor.via("gone", "k"), "hello"), NoProcError);
      await assert.rejects(PartitionSupervisor.whichChildren(sup), NoProcError);
    }),
  );
});

describe("bad input", () => {
  test(
    "bad options and bad child specs name the field",
    withRuntime(async () => {
      await assert.rejects(PartitionSupervisor.start({ partitions: 0, child }), {
        message: "invalid value for `options.partitions`: expected a positive integer, got 0",
      });
      await assert.rejects(PartitionSupervisor.start({ partitions: 2 } as never), {
        message: "invalid value for `options.child`: expected a function, got undefined",
      });
      await assert.rejects(
        PartitionSupervisor.start({
          partitions: 3,
          child: (i) => (i === 2 ? ({ id: "w" } as never) : child(i)),
        }),
        {
          message: "invalid value for `options.child(2).start`: expected a function, got undefined",
        },
      );
      await assert.rejects(
        PartitionSupervisor.start({
          partitions: 1,
          child: () => ({ ...child(0), restart: "always" as never }),
        }),
        InvalidArgumentError,
      );
      await assert.rejects(PartitionSupervisor.start({ child, name: "" }), {
        message: 'invalid value for `options.name`: expected a non-empty string, got ""',
      });
    }),
  );

  test(
    "keys without a stable hash are refused; a partition supervisor is not a registry",
    withRuntime(async () => {
      const sup = await PartitionSupervisor.start({ partitions: 2, child });
      assert.throws(() => PartitionSupervisor.partitionFor(sup, { id: 1 }), {
        message:
          "invalid value for `key`: expected a string, number, bigint, boolean, null, undefined or an array of these (or a keyHash option), got an object with keys id",
      });
      assert.throws(() => PartitionSupervisor.partitionFor(sup, ["a", Symbol("s")]), {
        message: /invalid value for `key\[1\]`/,
      });
      const refused = await GenServer.start(worker, 0, { name: { via: sup, key: "x" } }).catch(
        (e: unknown) => e,
      );
      assert.ok(refused instanceof StartError);
      assert.equal(
        (refused.reason as Error).message,
        'invalid value for `name`: expected a name a process can register under (a partition supervisor only routes keys to its partitions), got "x"',
      );
      assert.throws(() => PartitionSupervisor.partitionFor(42 as never, "k"), {
        message:
          "invalid value for `supervisor`: expected a partition supervisor, its name or its pid, got 42",
      });
    }),
  );
});
