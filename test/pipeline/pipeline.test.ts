/**
 * Whole pipelines under random handler failures: every message is acknowledged exactly once,
 * with the status its handlers gave it; `handleFailed` sees exactly the failed ones; the
 * counters agree. Then rate limiting over several windows, and introspection.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { GenStage, isAlive, Pid } from "beamish";
import {
  type Acknowledger,
  Message,
  Pipeline,
  type PipelineDefinition,
  type ProducerDefinition,
} from "beamish/pipeline";
import { runInRuntime, withRuntime } from "beamish/testing";
import fc from "fast-check";

/** What `handleMessage` does with one message. */
type MessageAction = "ok" | "throw" | "reject" | "fail";
/** What `handleBatch` does with one message of its batch. */
type BatchAction = "ok" | "fail" | "omit";
/** What `handleBatch` does with a whole batch holding this message. */
type BatchFault = "none" | "throw" | "reject";

interface Plan {
  readonly id: number;
  readonly message: MessageAction;
  readonly messageAsync: boolean;
  readonly batcher: "a" | "b";
  readonly batch: BatchAction;
  readonly batchFault: BatchFault;
  readonly batchAsync: boolean;
  /** setImmediate turns an async handler waits. */
  readonly ticks: number;
}

const plan = (id: number) =>
  fc.record({
    id: fc.constant(id),
    message: fc.constantFrom<MessageAction>("ok", "ok", "ok", "throw", "reject", "fail"),
    messageAsync: fc.boolean(),
    batcher: fc.constantFrom<"a" | "b">("a", "b"),
    batch: fc.constantFrom<BatchAction>("ok", "ok", "ok", "fail", "omit"),
    batchFault: fc.oneof(
      { arbitrary: fc.constant<BatchFault>("none"), weight: 20 },
      { arbitrary: fc.constantFrom<BatchFault>("throw", "reject"), weight: 1 },
    ),
    batchAsync: fc.boolean(),
    ticks: fc.integer({ min: 0, max: 2 }),
  });

const plans = fc
  .integer({ min: 0, max: 60 })
  .chain((n) => fc.tuple(...Array.from({ length: n }, (_, id) => plan(id))));

const turns = async (n: number) => {
  for (let i = 0; i < n; i++) await new Promise<void>((resolve) => setImmediate(resolve));
};

/** An acknowledger that counts, per message id, each time it is acknowledged, and how. */
class Ledger implements Acknowledger<number> {
  readonly counts = new Map<number, number>();
  readonly statuses = new Map<number, Message<Plan>["status"]>();
  acks = 0;
  constructor(readonly name: string) {}

  ack(_ref: number, successful: readonly Message[], failed: readonly Message[]): void {
    for (const m of [...successful, ...failed]) {
      const id = (m.data as Plan).id;
      this.counts.set(id, (this.counts.get(id) ?? 0) + 1);
      this.statuses.set(id, m.status);
      this.acks++;
    }
    for (const m of successful) assert.equal(m.status.kind, "ok");
    for (const m of failed) assert.equal(m.status.kind, "failed");
  }
}

/**
 * A producer over `items`, shared by every producer stage, that spreads its messages over two
 * acknowledgers and three ack refs, so that acknowledgement is grouped for real.
 */
function planProducer(
  items: readonly Plan[],
  ledgers: readonly Ledger[],
): ProducerDefinition<Plan, null> {
  let next = 0;
  return {
    name: "plans",
    init: () => null,
    handleDemand(demand, state) {
      const out: Message<Plan>[] = [];
      while (out.length < demand && next < items.length) {
        const item = items[next++] as Plan;
        out.push(new Message(item, ledgers[item.id % 2] as Ledger, item.id % 3));
      }
      return GenStage.emit(out, state);
    },
  };
}

const errorOf = (where: string, id: number) => new Error(`${where} ${id}`);

describe("exactly-once acknowledgement", () => {
  test("under random throws, rejections and fail() in every handler, each message is acknowledged once, as what happened to it", async () => {
    await fc.assert(
      fc.asyncProperty(
        plans,
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 2 }),
        fc.constantFrom(0, 1, 2),
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 10 }),
        (items, processors, producers, batcherCount, batchSize, batchConcurrency, maxDemand) =>
          runInRuntime(async ({ clock, crashes }) => {
            const ledgers = [new Ledger("even"), new Ledger("odd")];
            const batcherNames = (["a", "b"] as const).slice(0, batcherCount);
            const batched = batcherNames.length > 0;
            /** Ids in each batch `handleBatch` got, and whether that batch as a whole failed. */
            const batches: { ids: number[]; fault: BatchFault }[] = [];
            const sawFailed: number[] = [];
            const definition: PipelineDefinition<Plan> = {
              producer: { module: planProducer(items, ledgers), concurrency: producers },
              processors: { default: { concurrency: processors, maxDemand } },
              ...(batched
                ? {
                    batchers: Object.fromEntries(
                      batcherNames.map((name) => [
                        name,
                        { batchSize, batchTimeout: 50, concurrency: batchConcurrency },
                      ]),
                    ),
                  }
                : {}),
              handleMessage(_processor, message) {
                const p = message.data;
                const act = (): Message<Plan> => {
                  if (p.message === "throw") throw errorOf("message", p.id);
                  if (p.message === "fail") return message.fail(errorOf("message", p.id));
                  return batched
                    ? message.putBatcher(p.batcher === "b" && batcherCount === 2 ? "b" : "a")
                    : message;
                };
                if (!p.messageAsync) {
                  if (p.message === "reject") return Promise.reject(errorOf("message", p.id));
                  return act();
                }
                return turns(p.ticks).then(() => {
                  if (p.message === "reject") return Promise.reject(errorOf("message", p.id));
                  return act();
                });
              },
              handleBatch(_batcher, messages) {
                const plansOf = messages.map((m) => m.data as Plan);
                const fault: BatchFault = plansOf.some((p) => p.batchFault === "throw")
                  ? "throw"
                  : plansOf.some((p) => p.batchFault === "reject")
                    ? "reject"
                    : "none";
                batches.push({ ids: plansOf.map((p) => p.id), fault });
                const act = () => {
                  if (fault === "throw") throw new Error("batch");
                  if (fault === "reject") return Promise.reject(new Error("batch"));
                  const out: Message[] = [];
                  for (const m of messages) {
                    const p = m.data as Plan;
                    if (p.batch === "fail") out.push(m.fail(errorOf("batch", p.id)));
                    else if (p.batch === "ok") out.push(m);
                  }
                  return out;
                };
                if (!plansOf.some((p) => p.batchAsync)) return act();
                return turns(plansOf[0]?.ticks ?? 0).then(act);
              },
              handleFailed(messages) {
                for (const m of messages) sawFailed.push((m.data as Plan).id);
                // What handleFailed does cannot change the outcome; it may even fail itself.
                if (messages.length % 3 === 0) throw new Error("handleFailed failed");
                return messages.length % 2 === 0 ? messages : Promise.resolve(messages);
              },
            };
            const pipeline = await Pipeline.start(definition);
            const acked = () => ledgers[0].acks + ledgers[1].acks;
            for (let i = 0; i < 500 && acked() < items.length; i++) await clock.advance(50);
            await pipeline.stop();

            // Exactly once.
            for (const item of items) {
              const ledger = ledgers[item.id % 2] as Ledger;
              assert.equal(ledger.counts.get(item.id), 1, `message ${item.id} acked once`);
            }
            assert.equal(acked(), items.length);

            // The status each message ended with is what its handlers did to it.
            const batchOf = new Map<number, BatchFault>();
            for (const b of batches) for (const id of b.ids) batchOf.set(id, b.fault);
            const expectedFailed = new Set<number>();
            for (const item of items) {
              const status = (ledgers[item.id % 2] as Ledger).statuses.get(item.id);
              assert.ok(status !== undefined);
              if (item.message !== "ok") {
                expectedFailed.add(item.id);
                assert.equal(status.kind, "failed");
                assert.equal(batchOf.has(item.id), false, "a failed message skips the batchers");
                assert.deepEqual(
                  status.kind === "failed" && status.reason,
                  errorOf("message", item.id),
                );
                continue;
              }
              if (!batched) {
                assert.equal(status.kind, "ok");
                continue;
              }
              const fault = batchOf.get(item.id);
              assert.ok(fault !== undefined, `message ${item.id} reached handleBatch`);
              if (fault !== "none") {
                expectedFailed.add(item.id);
                assert.deepEqual(status.kind === "failed" && status.reason, new Error("batch"));
              } else if (item.batch === "fail") {
                expectedFailed.add(item.id);
                assert.deepEqual(
                  status.kind === "failed" && status.reason,
                  errorOf("batch", item.id),
                );
              } else if (item.batch === "omit") {
                expectedFailed.add(item.id);
                const reason = status.kind === "failed" ? status.reason : undefined;
                assert.ok(reason instanceof TypeError);
                assert.match(reason.message, /did not return this message/);
              } else {
                assert.equal(status.kind, "ok");
              }
            }
            for (const b of batches) assert.ok(b.ids.length <= batchSize);

            // handleFailed saw exactly the failed messages, each once.
            assert.deepEqual(
              [...sawFailed].sort((x, y) => x - y),
              [...expectedFailed].sort((x, y) => x - y),
            );

            // The counters agree.
            const stats = pipeline.stats();
            assert.equal(stats.received, items.length);
            assert.equal(stats.failed, expectedFailed.size);
            assert.equal(stats.succeeded, items.length - expectedFailed.size);
            assert.equal(stats.received, stats.succeeded + stats.failed);
            assert.equal(stats.inFlight, 0);
            if (batched) assert.equal(stats.batches, batches.length);
            assert.deepEqual(
              crashes.map((c) => String(c.error)),
              [],
            );
          }),
      ),
      { numRuns: 60 },
    );
  });
});

describe("rate limiting", () => {
  test("allowedMessages per interval holds over several windows, across two producer stages", async () => {
    await runInRuntime(async ({ clock, crashes }) => {
      const handledAt: number[] = [];
      const source = Pipeline.fromIterable(Array.from({ length: 25 }, (_, i) => i));
      const pipeline = await Pipeline.start({
        producer: {
          module: source,
          concurrency: 2,
          rateLimiting: { allowedMessages: 4, interval: 100 },
        },
        processors: { default: { concurrency: 2, maxDemand: 3 } },
        handleMessage: (_processor, message) => {
          handledAt.push(clock.now());
          return message;
        },
      });
      let done = false;
      void source.done.then(() => {
        done = true;
      });
      for (let i = 0; i < 20 && !done; i++) await clock.advance(50);
      assert.ok(done, "all messages were handled");
      const perWindow: number[] = [];
      for (const t of handledAt) {
        const w = Math.floor(t / 100);
        perWindow[w] = (perWindow[w] ?? 0) + 1;
      }
      // The limit is kept in every window, and used in full while messages wait.
      assert.deepEqual(perWindow, [4, 4, 4, 4, 4, 4, 1]);
      const stats = pipeline.stats();
      assert.equal(stats.producers.length, 2);
      assert.ok(
        stats.producers.every((p) => p.emitted > 0),
        "both producer stages took part",
      );
      assert.equal(stats.succeeded, 25);
      await pipeline.stop();
      assert.deepEqual(crashes, []);
    });
  });
});

describe("introspection", () => {
  test(
    "topology() names every stage with its live pid, and none once stopped",
    withRuntime(async ({ crashes }) => {
      const pipeline = await Pipeline.start({
        name: "shop",
        producer: { module: Pipeline.testProducer(), concurrency: 2 },
        processors: { work: { concurrency: 3 } },
        batchers: { s3: { concurrency: 2 }, db: {} },
        handleMessage: (_processor, message) => message,
        handleBatch: (_batcher, messages) => messages,
      });
      assert.ok(pipeline.pid instanceof Pid && isAlive(pipeline.pid));
      const topology = pipeline.topology();
      const names = (stages: readonly { name: string }[]) => stages.map((s) => s.name);
      assert.deepEqual(names(topology.producers), ["shop.producer.0", "shop.producer.1"]);
      assert.deepEqual(Object.keys(topology.processors), ["work"]);
      assert.deepEqual(names(topology.processors.work ?? []), [
        "shop.processor.work.0",
        "shop.processor.work.1",
        "shop.processor.work.2",
      ]);
      assert.deepEqual(Object.keys(topology.batchers), ["s3", "db"]);
      assert.equal(topology.batchers.s3?.batcher.name, "shop.batcher.s3");
      assert.deepEqual(names(topology.batchers.s3?.processors ?? []), [
        "shop.batchProcessor.s3.0",
        "shop.batchProcessor.s3.1",
      ]);
      assert.deepEqual(names(topology.batchers.db?.processors ?? []), ["shop.batchProcessor.db.0"]);
      const all = [
        ...topology.producers,
        ...(topology.processors.work ?? []),
        ...Object.values(topology.batchers).flatMap((b) => [b.batcher, ...b.processors]),
      ];
      assert.equal(all.length, 10);
      for (const stage of all) {
        assert.ok(stage.pid instanceof Pid && isAlive(stage.pid), `${stage.name} is alive`);
      }
      assert.equal(new Set(all.map((s) => String(s.pid))).size, all.length, "one pid per stage");

      await pipeline.stop();
      const after = pipeline.topology();
      for (const stage of [...after.producers, ...(after.processors.work ?? [])]) {
        assert.equal(stage.pid, undefined);
      }
      for (const stage of all) assert.equal(isAlive(stage.pid as Pid), false);
      assert.deepEqual(crashes, []);
    }),
  );

  test(
    "stats() while a handler is blocked shows the message in flight, per stage, and settles after",
    withRuntime(async ({ crashes, settle }) => {
      let release: () => void = () => {};
      const gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      const pipeline = await Pipeline.start({
        producer: { module: Pipeline.testProducer() },
        processors: { default: { concurrency: 1 } },
        batchers: { default: { batchSize: 10 } },
        handleMessage: async (_processor, message: Message<number>) => {
          if (message.data === 0) await gate;
          return message;
        },
        handleBatch: (_batcher, messages) => messages,
      });
      const result = Pipeline.testMessages(pipeline, [0, 1, 2]);
      await settle();
      const during = pipeline.stats();
      assert.equal(during.received, 3);
      assert.equal(during.inFlight, 3);
      assert.equal(during.succeeded, 0);
      assert.deepEqual(during.producers, [{ emitted: 3, waiting: 0 }]);
      assert.deepEqual(during.processors, [{ received: 3, succeeded: 0, failed: 0, batches: 0 }]);
      assert.equal(during.batchers.default?.received, 0);

      release();
      const { successful, failed } = await result;
      assert.equal(successful.length, 3);
      assert.equal(failed.length, 0);
      const after = pipeline.stats();
      assert.equal(after.inFlight, 0);
      assert.equal(after.succeeded, 3);
      assert.deepEqual(after.processors, [{ received: 3, succeeded: 3, failed: 0, batches: 0 }]);
      // testMessages flushes: each message closes its own batch.
      assert.deepEqual(after.batchers.default, {
        received: 3,
        batches: 3,
        pending: 0,
        failed: 0,
        processors: [{ received: 3, succeeded: 3, failed: 0, batches: 3 }],
      });
      assert.equal(after.batches, 3);
      await pipeline.stop();
      assert.deepEqual(pipeline.stats().inFlight, 0);
      assert.deepEqual(crashes, []);
    }),
  );
});
