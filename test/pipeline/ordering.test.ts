/**
 * Per-key order: with `partitionBy`, the messages of one key reach `handleMessage` and
 * `handleBatch` in the order the producer emitted them, whatever the concurrency of processors
 * and batch processors and however long each handler takes.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { type Message, Pipeline } from "beamish/pipeline";
import { runInRuntime } from "beamish/testing";
import fc from "fast-check";

interface Item {
  readonly seq: number;
  readonly key: number;
  /** setImmediate turns each handler waits for this message. */
  readonly ticks: number;
}

const turns = async (n: number) => {
  for (let i = 0; i < n; i++) await new Promise<void>((resolve) => setImmediate(resolve));
};

const items = fc
  .array(
    fc.record({ key: fc.integer({ min: 0, max: 5 }), ticks: fc.integer({ min: 0, max: 3 }) }),
    {
      minLength: 10,
      maxLength: 80,
      size: "medium",
    },
  )
  .map((list) => list.map((item, seq): Item => ({ seq, ...item })));

/** The seqs of each key, in the order they come in `seqs`. */
const key = (message: Message<Item>) => message.data.key;

function byKey(list: readonly Item[], seqs: readonly number[]): Map<number, number[]> {
  const out = new Map<number, number[]>();
  for (const seq of seqs) {
    const key = (list[seq] as Item).key;
    const keyed = out.get(key) ?? [];
    keyed.push(seq);
    out.set(key, keyed);
  }
  return out;
}

test("with partitionBy (pipeline-wide or per stage group), each key's messages reach handleMessage and handleBatch in production order", async () => {
  await fc.assert(
    fc.asyncProperty(
      items,
      fc.integer({ min: 2, max: 4 }),
      fc.integer({ min: 1, max: 5 }),
      fc.integer({ min: 2, max: 3 }),
      fc.integer({ min: 1, max: 5 }),
      fc.boolean(),
      fc.boolean(),
      (list, processors, maxDemand, batchConcurrency, batchSize, twoBatchers, wide) =>
        runInRuntime(async ({ clock, crashes }) => {
          const handled: number[] = [];
          const batched: number[] = [];
          const source = Pipeline.fromIterable(list);
          const batcherOf = (item: Item) => (twoBatchers && item.key % 2 === 1 ? "odd" : "even");
          const batcherOptions = {
            batchSize,
            batchTimeout: 20,
            concurrency: batchConcurrency,
            ...(wide ? {} : { partitionBy: key }),
          };
          const pipeline = await Pipeline.start({
            producer: { module: source },
            ...(wide ? { partitionBy: key } : {}),
            processors: {
              default: {
                concurrency: processors,
                maxDemand,
                ...(wide ? {} : { partitionBy: key }),
              },
            },
            batchers: twoBatchers
              ? { even: batcherOptions, odd: batcherOptions }
              : { even: batcherOptions },
            async handleMessage(_processor, message) {
              handled.push(message.data.seq);
              await turns(message.data.ticks);
              // One batch key per partition key: batches of one key close in order.
              return message.putBatcher(batcherOf(message.data)).putBatchKey(message.data.key);
            },
            async handleBatch(_batcher, messages) {
              for (const m of messages) batched.push((m.data as Item).seq);
              await turns((messages[0] as Message<Item>).data.ticks);
              return messages;
            },
          });
          let done = false;
          void source.done.then(() => {
            done = true;
          });
          for (let i = 0; i < 1000 && !done; i++) await clock.advance(20);
          assert.ok(done, "every message was acknowledged");
          await pipeline.stop();

          const produced = byKey(
            list,
            list.map((item) => item.seq),
          );
          assert.deepEqual(byKey(list, handled), produced, "handleMessage order per key");
          assert.deepEqual(byKey(list, batched), produced, "handleBatch order per key");
          assert.deepEqual(crashes, []);
        }),
    ),
    { numRuns: 40 },
  );
});
