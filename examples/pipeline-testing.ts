/**
 * Testing a pipeline without its broker.
 *
 * In production the orders below come from a broker connector; in a test there is no broker.
 * Three habits make a pipeline testable:
 *
 * 1. The definition is a function of what differs between production and a test: the producer
 *    (the broker's in production, `Pipeline.testProducer()` in tests, which produces nothing by
 *    itself), the store it writes to, and the batch timeout (so a test does not wait a second
 *    for a batch that is not full).
 * 2. `Pipeline.testMessage(pipeline, data)` puts one message in past the producer and resolves
 *    once it was acknowledged, with `{ successful, failed }`: the very messages, with their
 *    final data, and for the failed ones their `status.reason`. Its batch goes out at once
 *    (batch mode `"flush"`), so it does not wait for `batchTimeout`.
 * 3. `Pipeline.testBatch(pipeline, items)` puts several messages in together, in batch mode
 *    `"bulk"`: they are batched as in production (here, all in one batch).
 *
 * The messages still go through demand, the processors, the batchers and acknowledgement: only
 * the source is replaced.
 *
 * Below, the checks run one after another with `node:assert`, as a program. In a test file the
 * same code runs under node:test: replace `check(name, fn)` with `test(name, fn)` from
 * "node:test", start the pipeline in `before` and stop it in `after`.
 *
 * Run it: `node --import tsx --conditions=beamish-source examples/pipeline-testing.ts`
 */
import assert from "node:assert/strict";
import { pathToFileURL } from "node:url";
import { Pipeline, type PipelineDefinition, type ProducerDefinition } from "beamish/pipeline";

/** An order as it arrives: a JSON string. */
type RawOrder = string;

interface Order {
  readonly id: string;
  readonly sku: string;
  readonly quantity: number;
}

/** The database the pipeline writes orders to: one insert per batch. */
export interface OrderStore {
  insertMany(orders: readonly Order[]): Promise<void>;
}

/** A bad order: the reason its message fails. */
export class InvalidOrderError extends Error {
  override readonly name = "InvalidOrderError";
}

function parseOrder(raw: RawOrder): Order {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw new InvalidOrderError(`not JSON: ${raw}`);
  }
  const order = value as Partial<Order>;
  if (typeof order.id !== "string" || typeof order.sku !== "string") {
    throw new InvalidOrderError(`an order needs an id and a sku: ${raw}`);
  }
  if (!Number.isInteger(order.quantity) || (order.quantity as number) <= 0) {
    throw new InvalidOrderError(`order ${order.id}: quantity must be a positive integer`);
  }
  return { id: order.id, sku: order.sku, quantity: order.quantity as number };
}

/** 1. The pipeline's definition, as a function of what a test replaces. */
export function ordersPipeline(options: {
  readonly producer: ProducerDefinition<RawOrder>;
  readonly store: OrderStore;
  readonly batchTimeout: number;
}): PipelineDefinition<RawOrder, OrderStore, Order> {
  return {
    name: "orders",
    producer: { module: options.producer },
    processors: { default: { concurrency: 2 } },
    batchers: { db: { batchSize: 100, batchTimeout: options.batchTimeout } },
    context: options.store,
    handleMessage: (_processor, message) => message.update(parseOrder).putBatcher("db"),
    handleBatch: async (_batcher, messages, _info, store) => {
      await store.insertMany(messages.map((m) => m.data));
      return messages;
    },
  };
}

/** An in-memory store for the tests: it records each insert. */
class FakeStore implements OrderStore {
  readonly inserts: Order[][] = [];
  async insertMany(orders: readonly Order[]): Promise<void> {
    this.inserts.push([...orders]);
  }
}

/** What the checks found, for the example's own test. */
export interface TestingResult {
  readonly passed: readonly string[];
}

export async function main(log: (line: string) => void = console.log): Promise<TestingResult> {
  const store = new FakeStore();
  const pipeline = await Pipeline.start(
    ordersPipeline({ producer: Pipeline.testProducer(), store, batchTimeout: 20 }),
  );
  const passed: string[] = [];
  // Stands for node:test's `test`: runs the checks in order and reports each.
  const check = async (name: string, fn: () => Promise<void>) => {
    await fn();
    passed.push(name);
    log(`ok - ${name}`);
  };

  try {
    await check("a good order is parsed and stored", async () => {
      const { successful, failed } = await Pipeline.testMessage(
        pipeline,
        '{"id":"o-1","sku":"tea","quantity":2}',
      );
      assert.equal(failed.length, 0);
      assert.deepEqual(successful[0]?.data, { id: "o-1", sku: "tea", quantity: 2 });
      assert.deepEqual(store.inserts.at(-1), [{ id: "o-1", sku: "tea", quantity: 2 }]);
    });

    await check("a bad order fails with the reason, and is not stored", async () => {
      const inserts = store.inserts.length;
      const { successful, failed } = await Pipeline.testMessage(
        pipeline,
        '{"id":"o-2","sku":"tea","quantity":0}',
      );
      assert.equal(successful.length, 0);
      const status = failed[0]?.status;
      assert.equal(status?.kind, "failed");
      const reason = status?.kind === "failed" ? status.reason : undefined;
      assert.ok(reason instanceof InvalidOrderError);
      assert.equal(reason.message, "order o-2: quantity must be a positive integer");
      assert.equal(store.inserts.length, inserts);
    });

    await check("orders tested together are stored in one batch", async () => {
      const inserts = store.inserts.length;
      const orders = ["o-3", "o-4", "o-5"].map((id) =>
        JSON.stringify({ id, sku: "mug", quantity: 1 }),
      );
      const { successful, failed } = await Pipeline.testBatch(pipeline, orders);
      assert.equal(successful.length, 3);
      assert.equal(failed.length, 0);
      assert.equal(store.inserts.length, inserts + 1);
      assert.deepEqual(
        store.inserts.at(-1)?.map((o) => o.id),
        ["o-3", "o-4", "o-5"],
      );
    });

    await check("a batch with a bad order: only that one fails", async () => {
      const { successful, failed } = await Pipeline.testBatch(pipeline, [
        '{"id":"o-6","sku":"pen","quantity":1}',
        "{not json",
        '{"id":"o-7","sku":"pen","quantity":3}',
      ]);
      assert.deepEqual(successful.map((m) => (m.data as unknown as Order).id).sort(), [
        "o-6",
        "o-7",
      ]);
      assert.equal(failed.length, 1);
      assert.equal(failed[0]?.data, "{not json");
    });
  } finally {
    await pipeline.stop();
  }
  log(`${passed.length} checks passed`);
  return { passed };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) await main();
