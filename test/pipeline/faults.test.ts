/**
 * Faults: a crashed stage is restarted with everything downstream of it and the pipeline goes
 * on; a batcher that exits with batches open fails what it held; a producer that emits past
 * demand is reported, not trusted, and loses nothing; a producer that cannot start fails
 * `Pipeline.start`; and no handler's exception ever crashes a stage.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  type CrashReport,
  exit,
  GenStage,
  isAlive,
  isBeamishError,
  type Pid,
  setLogger,
  whereis,
} from "beamish";
import {
  AckError,
  type Acknowledger,
  Message,
  Pipeline,
  ProducerOverflowError,
  type Topology,
} from "beamish/pipeline";
import { withRuntime } from "beamish/testing";

/** Every pid of `topology`, by stage name. */
function pids(topology: Topology): Map<string, Pid | undefined> {
  const stages = [
    ...topology.producers,
    ...Object.values(topology.processors).flat(),
    ...Object.values(topology.batchers).flatMap((b) => [b.batcher, ...b.processors]),
  ];
  return new Map(stages.map((s) => [s.name, s.pid]));
}

const reasonOf = (message: Message) =>
  message.status.kind === "failed" ? message.status.reason : undefined;

describe("a crashed stage", () => {
  test(
    "a killed processor restarts with every stage downstream of it, and new messages go through",
    withRuntime(async ({ crashes, settle }) => {
      const pipeline = await Pipeline.start({
        name: "crash",
        producer: { module: Pipeline.testProducer<number>() },
        processors: { default: { concurrency: 2 } },
        batchers: { default: { batchSize: 10 } },
        handleMessage: (_processor, message) => message,
        handleBatch: (_batcher, messages) => messages,
      });
      assert.equal((await Pipeline.testMessages(pipeline, [1, 2, 3])).successful.length, 3);
      const before = pids(pipeline.topology());

      exit(before.get("crash.processor.default.0") as Pid, "kill");
      await settle();

      const after = pids(pipeline.topology());
      assert.deepEqual([...after.keys()], [...before.keys()]);
      for (const [name, pid] of after) {
        assert.ok(pid !== undefined && isAlive(pid), `${name} runs`);
        if (name.startsWith("crash.producer.")) {
          assert.ok(pid.equals(before.get(name) as Pid), `${name} upstream: untouched`);
        } else {
          assert.ok(!pid.equals(before.get(name) as Pid), `${name} restarted`);
        }
      }
      const { successful, failed } = await Pipeline.testMessages(pipeline, [4, 5, 6, 7]);
      assert.deepEqual(successful.map((m) => m.data).sort(), [4, 5, 6, 7]);
      assert.equal(failed.length, 0);
      // Downstream stages stop with their upstream's reason; no stage's code crashed.
      for (const report of crashes) assert.equal(report.error, "killed");
      await pipeline.stop();
    }),
  );

  test(
    "past the stages' restart intensity (3 in 5 s) the pipeline gives up and exits",
    withRuntime(async ({ settle }) => {
      const pipeline = await Pipeline.start({
        name: "fragile",
        producer: { module: Pipeline.testProducer() },
        processors: { default: { concurrency: 1 } },
        handleMessage: (_processor, message) => message,
      });
      const supervisor = pipeline.pid as Pid;
      for (let i = 0; i < 3; i++) {
        exit(whereis("fragile.processor.default.0") as Pid, "kill");
        await settle();
        assert.ok(isAlive(supervisor), `restart ${i + 1} is within the intensity`);
      }
      exit(whereis("fragile.processor.default.0") as Pid, "kill");
      await settle();
      assert.equal(isAlive(supervisor), false);
      assert.equal(whereis("fragile.producer.0"), undefined);
    }),
  );

  test(
    "an exit signal from another process does not stop a batcher: it traps exits, and its batches go on",
    withRuntime(async ({ clock, crashes, settle }) => {
      const pipeline = await Pipeline.start({
        name: "trapping",
        producer: { module: Pipeline.testProducer<number>() },
        processors: { default: { concurrency: 1 } },
        batchers: { default: { batchSize: 10, batchTimeout: 100 } },
        handleMessage: (_processor, message) => message,
        handleBatch: (_batcher, messages) => messages,
      });
      const result = Pipeline.testBatch(pipeline, [1, 2]);
      await settle();
      const batcher = pipeline.topology().batchers.default?.batcher.pid as Pid;
      exit(batcher, "boom");
      await settle();
      assert.ok(isAlive(batcher));
      await clock.advance(100);
      assert.deepEqual((await result).successful.map((m) => m.data).sort(), [1, 2]);
      assert.deepEqual(crashes, []);
      await pipeline.stop();
    }),
  );

  test(
    "a batcher stopped with batches open (its batch processor died) fails what it held, through handleFailed, and restarts",
    withRuntime(async ({ crashes, settle }) => {
      const sawFailed: unknown[] = [];
      const pipeline = await Pipeline.start({
        name: "held",
        producer: { module: Pipeline.testProducer<number>() },
        processors: { default: { concurrency: 1 } },
        batchers: { default: { batchSize: 10, batchTimeout: 60_000 } },
        handleMessage: (_processor, message) => message,
        handleBatch: (_batcher, messages) => messages,
        handleFailed: (messages) => {
          sawFailed.push(...messages.map((m) => m.data));
          return messages;
        },
      });
      const result = Pipeline.testBatch(pipeline, [1, 2, 3]);
      await settle();
      const before = pipeline.topology().batchers.default;
      assert.equal(pipeline.stats().batchers.default?.pending, 3);

      // The batcher's group gives up at once: its supervisor shuts the batcher down, and the
      // batcher fails its open batches with that reason.
      exit(before?.processors[0]?.pid as Pid, "boom");
      await settle();
      const { successful, failed } = await result;
      assert.equal(successful.length, 0);
      assert.deepEqual(failed.map((m) => [m.data, reasonOf(m)]).sort(), [
        [1, "shutdown"],
        [2, "shutdown"],
        [3, "shutdown"],
      ]);
      assert.deepEqual(sawFailed.sort(), [1, 2, 3]);
      const stats = pipeline.stats();
      assert.equal(stats.failed, 3);
      assert.equal(stats.inFlight, 0);
      assert.equal(stats.batchers.default?.failed, 3);

      const batcher = pipeline.topology().batchers.default?.batcher.pid as Pid;
      assert.ok(!batcher.equals(before?.batcher.pid as Pid));
      assert.ok(isAlive(batcher));
      const next = await Pipeline.testMessages(pipeline, [4]);
      assert.equal(next.successful.length, 1);
      assert.deepEqual(crashes, []);
      await pipeline.stop();
    }),
  );
});

describe("producers", () => {
  test(
    "a producer emitting more than demanded: ProducerOverflowError is reported once, and no message is lost",
    withRuntime(async ({ clock, settle }) => {
      const reports: CrashReport[] = [];
      const previous = setLogger({ crash: (report) => reports.push(report) });
      try {
        const total = 40;
        const acked = new Map<number, number>();
        const ledger: Acknowledger = {
          name: "ledger",
          ack(_ref, successful, failed) {
            for (const m of [...successful, ...failed]) {
              acked.set(m.data as number, (acked.get(m.data as number) ?? 0) + 1);
            }
          },
        };
        const demands: number[] = [];
        const pipeline = await Pipeline.start({
          producer: {
            module: {
              name: "greedy",
              init: () => 0,
              // Three times what was asked, while there is any left.
              handleDemand(demand: number, next: number) {
                demands.push(demand);
                const count = Math.min(demand * 3, total - next);
                const messages = Array.from(
                  { length: count },
                  (_, i) => new Message(next + i, ledger),
                );
                return GenStage.emit(messages, next + count);
              },
            },
          },
          processors: { default: { concurrency: 2, maxDemand: 4 } },
          handleMessage: (_processor, message) => message,
        });
        for (let i = 0; i < 100 && acked.size < total; i++) await clock.advance(10);
        await settle();
        assert.equal(acked.size, total);
        for (const [id, count] of acked) assert.equal(count, 1, `message ${id} acked once`);
        assert.equal(reports.length, 1);
        const error = reports[0]?.error;
        assert.ok(error instanceof ProducerOverflowError);
        assert.ok(isBeamishError(error, "ERR_PRODUCER_OVERFLOW"));
        assert.equal(error.producer, "greedy");
        assert.ok(error.emitted > error.demanded);
        assert.match(error.message, /^producer greedy emitted \d+ messages with \d+ demanded/);
        const stats = pipeline.stats();
        assert.equal(stats.received, total);
        assert.equal(stats.succeeded, total);
        // The surplus is held, not asked for again: the producer was asked less than it gave.
        assert.ok(demands.reduce((a, b) => a + b, 0) < total);
        await pipeline.stop();
      } finally {
        setLogger(previous);
      }
    }),
  );

  test(
    "a producer whose init throws: Pipeline.start rejects with that error, and no stage is left",
    withRuntime(async ({ crashes }) => {
      const refused = new Error("connection refused");
      await assert.rejects(
        Pipeline.start({
          name: "unreachable",
          producer: {
            module: {
              name: "broker",
              init: () => {
                throw refused;
              },
              handleDemand: (_demand: number, state: unknown) => state,
            },
          },
          processors: { default: { concurrency: 1 } },
          handleMessage: (_processor, message) => message,
        }),
        (error: unknown) => error === refused,
      );
      assert.equal(whereis("unreachable.producer.0"), undefined);
      assert.equal(whereis("unreachable.processor.default.0"), undefined);
      assert.deepEqual(crashes, []);

      // The same for an async init that rejects.
      await assert.rejects(
        Pipeline.start({
          producer: {
            module: {
              init: async () => Promise.reject(new Error("auth failed")),
              handleDemand: (_demand: number, state: unknown) => state,
            },
          },
          processors: { default: { concurrency: 1 } },
          handleMessage: (_processor, message) => message,
        }),
        { message: "auth failed" },
      );
    }),
  );
});

describe("handlers never crash a stage", () => {
  test(
    "throws in prepareMessages, handleMessage, handleBatch and handleFailed, and a failing acknowledger, leave every stage running",
    withRuntime(async ({ clock, crashes }) => {
      const pipeline = await Pipeline.start({
        name: "sturdy",
        producer: { module: Pipeline.testProducer<string>() },
        processors: { default: { concurrency: 2 } },
        batchers: { default: { batchSize: 2, batchTimeout: 10 } },
        prepareMessages: (messages) => {
          if (messages.some((m) => m.data === "prepare")) throw new Error("prepare");
          return messages;
        },
        handleMessage: (_processor, message) => {
          if (message.data === "message") throw new Error("message");
          if (message.data === "reject") return Promise.reject(new Error("reject"));
          if (message.data === "wrong") return new Message("other", message.acknowledger);
          return message;
        },
        handleBatch: (_batcher, messages) => {
          if (messages.some((m) => m.data === "batch")) throw new Error("batch");
          return messages;
        },
        handleFailed: () => {
          throw new Error("handleFailed");
        },
      });
      const before = pipeline.topology();
      const run = async (data: string[]) => {
        const result = Pipeline.testMessages(pipeline, data, { batchMode: "bulk" });
        for (let i = 0; i < 10; i++) await clock.advance(10);
        return result;
      };
      for (const bad of ["prepare", "message", "reject", "wrong", "batch"]) {
        const { successful, failed } = await run([bad]);
        assert.equal(successful.length, 0, bad);
        assert.equal(failed.length, 1, bad);
        if (bad !== "wrong") assert.deepEqual(reasonOf(failed[0] as Message), new Error(bad));
      }
      const fine = await run(["a", "b"]);
      assert.equal(fine.successful.length, 2);
      assert.deepEqual(pipeline.topology(), before);
      assert.equal(crashes.length, 0);

      // An acknowledger that throws is reported as AckError; the stage still runs.
      const broken: Acknowledger = {
        name: "broken",
        ack() {
          throw new Error("broker gone");
        },
      };
      pipeline.inject([new Message("x", broken).putBatchMode("flush")]);
      for (let i = 0; i < 5; i++) await clock.advance(10);
      assert.equal(crashes.length, 1);
      const error = crashes[0]?.error;
      assert.ok(error instanceof AckError);
      assert.equal(error.acknowledger, "broken");
      assert.equal(error.message, "acknowledger broken failed: Error: broker gone");
      assert.deepEqual(pipeline.topology(), before);
      assert.equal((await run(["c"])).successful.length, 1);
      await pipeline.stop();
    }),
  );
});

describe("a partitionBy that throws", () => {
  test(
    "fails that message (through handleFailed) in the producer stage and in the batcher; every stage keeps running",
    withRuntime(async ({ clock, crashes }) => {
      const seenFailed: unknown[] = [];
      const pipeline = await Pipeline.start({
        name: "poison",
        producer: { module: Pipeline.testProducer<string>() },
        processors: {
          default: {
            concurrency: 2,
            partitionBy: (m) => {
              if (m.data === "bad-key") throw new Error("no key");
              return m.data;
            },
          },
        },
        batchers: {
          default: {
            batchSize: 2,
            batchTimeout: 10,
            concurrency: 2,
            partitionBy: (m) => {
              if (m.data === "bad-batch-key") throw new Error("no batch key");
              return m.data;
            },
          },
        },
        handleMessage: (_processor, message) => message,
        handleBatch: (_batcher, messages) => messages,
        handleFailed: (messages) => {
          seenFailed.push(...messages.map((m) => m.data));
          return messages;
        },
      });
      const before = pipeline.topology();
      const result = Pipeline.testMessages(pipeline, ["a", "bad-key", "b", "bad-batch-key", "c"]);
      for (let i = 0; i < 10; i++) await clock.advance(10);
      const { successful, failed } = await result;
      assert.deepEqual(successful.map((m) => m.data).sort(), ["a", "b", "c"]);
      assert.deepEqual(failed.map((m) => [m.data, (reasonOf(m) as Error).message]).sort(), [
        ["bad-batch-key", "no batch key"],
        ["bad-key", "no key"],
      ]);
      assert.deepEqual(seenFailed.sort(), ["bad-batch-key", "bad-key"]);
      assert.deepEqual(crashes, []);
      assert.deepEqual(pids(pipeline.topology()), pids(before));
      await pipeline.stop();
    }),
  );
});
