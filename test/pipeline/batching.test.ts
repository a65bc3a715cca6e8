/**
 * Batchers as users rely on them: a batch closes when full, when its timeout (counted from its
 * first message) passes, or at once for a message in flush mode; batch keys and batchers keep
 * messages apart; `handleBatch` learns how its batch was made; a broken route or a broken
 * `handleBatch` fails the messages involved, never a stage.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { isBeamishError } from "beamish";
import {
  type BatchInfo,
  type Message,
  Pipeline,
  type PipelineDefinition,
  type TestResult,
  UnknownBatcherError,
} from "beamish/pipeline";
import { type VirtualClock, withRuntime } from "beamish/testing";

interface Delivery {
  readonly batcher: string;
  readonly data: unknown[];
  readonly info: BatchInfo;
  /** The virtual time when `handleBatch` ran. */
  readonly at: number;
}

/** A pipeline fed by `Pipeline.testMessages`, recording every batch `handleBatch` gets. */
async function recording<T>(
  clock: VirtualClock,
  overrides: Partial<PipelineDefinition<T>> = {},
): Promise<{ pipeline: Pipeline<T>; deliveries: Delivery[]; failed: Message[] }> {
  const deliveries: Delivery[] = [];
  const failed: Message[] = [];
  const pipeline = await Pipeline.start<T>({
    producer: { module: Pipeline.testProducer<T>() },
    processors: { default: { concurrency: 1 } },
    batchers: { default: { batchSize: 3, batchTimeout: 100 } },
    handleMessage: (_processor, message) => message,
    handleBatch: (batcher, messages, info) => {
      deliveries.push({ batcher, data: messages.map((m) => m.data), info, at: clock.now() });
      return messages;
    },
    handleFailed: (messages) => {
      failed.push(...messages);
      return messages;
    },
    ...overrides,
  });
  return { pipeline, deliveries, failed };
}

/** Waits for `result`, moving virtual time on in `step` ms so that batch timeouts can fire. */
async function settled<R>(clock: VirtualClock, result: Promise<R>, step = 10): Promise<R> {
  let done = false;
  void result.then(
    () => {
      done = true;
    },
    () => {
      done = true;
    },
  );
  for (let i = 0; i < 1000 && !done; i++) await clock.advance(step);
  assert.ok(done, "the messages were acknowledged");
  return result;
}

const sorted = (result: TestResult) => ({
  successful: result.successful.map((m) => m.data).sort(),
  failed: result.failed.map((m) => m.data).sort(),
});

describe("batch triggers", () => {
  test(
    "a batch closes when it holds batchSize messages; the rest waits for the timeout",
    withRuntime(async ({ clock, crashes }) => {
      const { pipeline, deliveries } = await recording<number>(clock);
      const result = Pipeline.testBatch(pipeline, [1, 2, 3, 4, 5, 6, 7]);
      await clock.advance(0);
      assert.deepEqual(
        deliveries.map((d) => [d.data, d.info.trigger, d.at]),
        [
          [[1, 2, 3], "size", 0],
          [[4, 5, 6], "size", 0],
        ],
      );
      assert.equal(pipeline.stats().batchers.default?.pending, 1);
      assert.deepEqual(sorted(await settled(clock, result)), {
        successful: [1, 2, 3, 4, 5, 6, 7],
        failed: [],
      });
      assert.deepEqual(deliveries[2], {
        batcher: "default",
        data: [7],
        info: {
          batcher: "default",
          batchKey: "default",
          partition: 0,
          size: 1,
          trigger: "timeout",
        },
        at: 100,
      });
      await pipeline.stop();
      assert.deepEqual(crashes, []);
    }),
  );

  test(
    "batchTimeout counts from the first message of the batch, not the last",
    withRuntime(async ({ clock, crashes }) => {
      const { pipeline, deliveries } = await recording<string>(clock, {
        batchers: { default: { batchSize: 10, batchTimeout: 100 } },
      });
      const first = Pipeline.testBatch(pipeline, ["a"]);
      await clock.advance(60);
      const second = Pipeline.testBatch(pipeline, ["b"]);
      await clock.advance(39);
      assert.equal(deliveries.length, 0, "nothing before the timeout of the first message");
      await clock.advance(1);
      assert.deepEqual(
        deliveries.map((d) => [d.data, d.info.trigger, d.at]),
        [[["a", "b"], "timeout", 100]],
      );
      await first;
      await second;
      // The next batch opens with its own first message, and times out 100 ms after it.
      await clock.advance(50);
      const third = Pipeline.testBatch(pipeline, ["c"]);
      await clock.advance(99);
      assert.equal(deliveries.length, 1);
      await clock.advance(1);
      assert.deepEqual(deliveries[1]?.data, ["c"]);
      assert.equal(deliveries[1]?.at, 250);
      await third;
      await pipeline.stop();
      assert.deepEqual(crashes, []);
    }),
  );

  test(
    "one timer serves a batcher: a batch opened while it is armed for an earlier one still times out at its own deadline",
    withRuntime(async ({ clock, crashes }) => {
      const { pipeline, deliveries } = await recording<string>(clock, {
        batchers: { default: { batchSize: 2, batchTimeout: 100 } },
        handleMessage: (_processor, message: Message<string>) =>
          message.putBatchKey(message.data[0]),
      });
      // a1 opens a batch (the timer is armed for 100) that a2 closes by size at 10.
      const a = Pipeline.testBatch(pipeline, ["a1"]);
      await clock.advance(10);
      const a2 = Pipeline.testBatch(pipeline, ["a2"]);
      await clock.advance(0);
      assert.deepEqual(
        deliveries.map((d) => [d.data, d.info.trigger, d.at]),
        [[["a1", "a2"], "size", 10]],
        "closed by size",
      );
      // b1 opens at 50, c1 at 70: the tick at 100 finds neither due.
      await clock.advance(40);
      const b = Pipeline.testBatch(pipeline, ["b1"]);
      await clock.advance(20);
      const c = Pipeline.testBatch(pipeline, ["c1"]);
      await clock.advance(79);
      assert.equal(deliveries.length, 1, "b1 is not due before 150");
      await clock.advance(1);
      assert.deepEqual(
        deliveries.slice(1).map((d) => [d.data, d.info.trigger, d.at]),
        [[["b1"], "timeout", 150]],
        "b1 at its own deadline",
      );
      await clock.advance(20);
      assert.deepEqual(
        deliveries.slice(2).map((d) => [d.data, d.info.trigger, d.at]),
        [[["c1"], "timeout", 170]],
        "c1 at its own deadline",
      );
      await Promise.all([a, a2, b, c]);
      await clock.advance(1000);
      assert.equal(deliveries.length, 3, "no batch twice");
      await pipeline.stop();
      assert.equal(clock.pendingTimers, 0, "no timer outlives the stopped pipeline");
      assert.deepEqual(crashes, []);
    }),
  );

  test(
    "a batcher stopped with its timer armed and no batch open leaves no timer behind",
    withRuntime(async ({ clock, crashes }) => {
      const { pipeline, deliveries } = await recording<number>(clock, {
        batchers: { default: { batchSize: 2, batchTimeout: 100 } },
      });
      await settled(clock, Pipeline.testBatch(pipeline, [1, 2]));
      assert.deepEqual(
        deliveries.map((d) => d.info.trigger),
        ["size"],
        "closed by size, the timer still armed",
      );
      await pipeline.stop();
      assert.equal(clock.pendingTimers, 0, "the armed timer is cancelled");
      assert.deepEqual(crashes, []);
    }),
  );

  test(
    "a message in flush mode closes its batch at once, with what it holds",
    withRuntime(async ({ clock, crashes }) => {
      const { pipeline, deliveries } = await recording<number>(clock, {
        batchers: { default: { batchSize: 10, batchTimeout: 100 } },
        handleMessage: (_processor, message: Message<number>) =>
          message.data === 3 ? message.putBatchMode("flush") : message,
      });
      const result = Pipeline.testBatch(pipeline, [1, 2, 3, 4]);
      await clock.advance(0);
      assert.deepEqual(
        deliveries.map((d) => [d.data, d.info.trigger, d.info.size]),
        [[[1, 2, 3], "flush", 3]],
      );
      await settled(clock, result);
      assert.deepEqual(
        deliveries.map((d) => [d.data, d.info.trigger, d.at]),
        [
          [[1, 2, 3], "flush", 0],
          [[4], "timeout", 100],
        ],
      );
      // testMessage sends in flush mode: each call is a batch of its own, at once.
      const one = await Pipeline.testMessage(pipeline, 9);
      assert.deepEqual(
        one.successful.map((m) => m.data),
        [9],
      );
      assert.deepEqual(
        deliveries.slice(2).map((d) => [d.data, d.info.trigger]),
        [[[9], "flush"]],
      );
      await pipeline.stop();
      assert.deepEqual(crashes, []);
    }),
  );
});

describe("batch keys and batchers", () => {
  test(
    "putBatchKey keeps messages of different keys in different batches, named in batchInfo",
    withRuntime(async ({ clock, crashes }) => {
      const { pipeline, deliveries } = await recording<number>(clock, {
        batchers: { default: { batchSize: 2, batchTimeout: 100 } },
        handleMessage: (_processor, message: Message<number>) =>
          message.putBatchKey(message.data % 2 === 0 ? "even" : "odd"),
      });
      const result = await settled(clock, Pipeline.testBatch(pipeline, [1, 2, 3, 4, 5, 6, 7]));
      assert.equal(result.successful.length, 7);
      const summary = deliveries.map((d) => [d.info.batchKey, d.data, d.info.trigger]);
      assert.deepEqual(summary, [
        ["odd", [1, 3], "size"],
        ["even", [2, 4], "size"],
        ["odd", [5, 7], "size"],
        ["even", [6], "timeout"],
      ]);
      for (const d of deliveries) assert.equal(d.info.size, d.data.length);
      await pipeline.stop();
      assert.deepEqual(crashes, []);
    }),
  );

  test(
    "putBatcher routes each message to the batcher it names, each with its own options",
    withRuntime(async ({ clock, crashes }) => {
      const { pipeline, deliveries } = await recording<string>(clock, {
        batchers: {
          s3: { batchSize: 2, batchTimeout: 100 },
          db: { batchSize: 5, batchTimeout: 30, concurrency: 2 },
        },
        handleMessage: (_processor, message: Message<string>) =>
          message.putBatcher(message.data.startsWith("s") ? "s3" : "db"),
      });
      const result = await settled(
        clock,
        Pipeline.testBatch(pipeline, ["s1", "d1", "s2", "d2", "s3", "d3"]),
      );
      assert.equal(result.successful.length, 6);
      assert.deepEqual(
        deliveries.map((d) => [d.batcher, d.info.batcher, d.data, d.info.trigger, d.at]),
        [
          ["s3", "s3", ["s1", "s2"], "size", 0],
          ["db", "db", ["d1", "d2", "d3"], "timeout", 30],
          ["s3", "s3", ["s3"], "timeout", 100],
        ],
      );
      const stats = pipeline.stats();
      assert.equal(stats.batchers.s3?.received, 3);
      assert.equal(stats.batchers.db?.received, 3);
      assert.equal(stats.batches, 3);
      await pipeline.stop();
      assert.deepEqual(crashes, []);
    }),
  );

  test(
    "a message routed to a batcher that does not exist fails with UnknownBatcherError, through handleFailed",
    withRuntime(async ({ clock, crashes }) => {
      const { pipeline, deliveries, failed } = await recording<string>(clock, {
        batchers: { s3: { batchSize: 10 }, db: { batchSize: 10 } },
        handleMessage: (_processor, message: Message<string>) => message.putBatcher(message.data),
      });
      const result = await settled(clock, Pipeline.testMessages(pipeline, ["s3", "nope", "db"]));
      assert.deepEqual(sorted(result), { successful: ["db", "s3"], failed: ["nope"] });
      const status = result.failed[0]?.status;
      const reason = status?.kind === "failed" ? status.reason : undefined;
      assert.ok(reason instanceof UnknownBatcherError);
      assert.ok(isBeamishError(reason, "ERR_UNKNOWN_BATCHER"));
      assert.equal(reason.batcher, "nope");
      assert.deepEqual(reason.known, ["s3", "db"]);
      assert.equal(reason.message, 'no batcher named "nope": the pipeline has "s3", "db"');
      assert.deepEqual(
        failed.map((m) => m.data),
        ["nope"],
      );
      assert.ok(deliveries.every((d) => !d.data.includes("nope")));
      const stats = pipeline.stats();
      assert.equal(stats.failed, 1);
      assert.equal(stats.succeeded, 2);
      await pipeline.stop();
      assert.deepEqual(crashes, []);
    }),
  );
});

describe("a broken handleBatch fails messages, not the batch processor", () => {
  test(
    "a handleBatch returning something else than an array fails every message of the batch",
    withRuntime(async ({ clock, crashes }) => {
      const { pipeline, failed } = await recording<number>(clock, {
        handleBatch: () => ({ not: "an array" }) as never,
      });
      const result = await settled(clock, Pipeline.testBatch(pipeline, [1, 2]));
      assert.deepEqual(sorted(result), { successful: [], failed: [1, 2] });
      for (const m of result.failed) {
        const reason = m.status.kind === "failed" ? m.status.reason : undefined;
        assert.ok(reason instanceof TypeError);
        assert.equal(
          reason.message,
          "handleBatch must return the batch's messages, got an object with keys not",
        );
      }
      assert.equal(failed.length, 2);
      // The batch processor lives on: the next batch goes through it.
      const topology = pipeline.topology();
      const next = await settled(clock, Pipeline.testMessage(pipeline, 3));
      assert.equal(next.failed.length, 1);
      assert.deepEqual(pipeline.topology(), topology);
      await pipeline.stop();
      assert.deepEqual(crashes, []);
    }),
  );

  test(
    "messages handleBatch leaves out of what it returns are failed; those it returns succeed",
    withRuntime(async ({ clock, crashes }) => {
      const { pipeline, failed } = await recording<number>(clock, {
        handleBatch: async (_batcher, messages) =>
          messages.filter((m) => (m.data as number) % 2 === 1),
      });
      const result = await settled(clock, Pipeline.testBatch(pipeline, [1, 2, 3, 4, 5]));
      assert.deepEqual(sorted(result), { successful: [1, 3, 5], failed: [2, 4] });
      for (const m of result.failed) {
        const reason = m.status.kind === "failed" ? m.status.reason : undefined;
        assert.ok(reason instanceof TypeError);
        assert.equal(reason.message, "handleBatch did not return this message");
      }
      assert.deepEqual(failed.map((m) => m.data).sort(), [2, 4]);
      const stats = pipeline.stats();
      assert.equal(stats.succeeded, 3);
      assert.equal(stats.failed, 2);
      assert.equal(stats.inFlight, 0);
      await pipeline.stop();
      assert.deepEqual(crashes, []);
    }),
  );
});
