/**
 * Orders from a Redis stream, with failures handled the way production wants them.
 *
 * An `orders` stream receives 200 orders, among them a few that a flaky payment service refuses
 * once, two that can never be charged, and one whose body is not JSON. A pipeline consumes the
 * stream through the consumer group `billing`:
 *
 * - `redisProducer` creates the group (and the stream) if absent, reads entries with XREADGROUP
 *   as the processors ask for them, and acknowledges them with XACK, one call per batch;
 * - 4 processors charge each order; a refused charge fails the message, which stays pending in
 *   the group and is claimed again (XAUTOCLAIM) once idle for `minIdle`: it comes back with
 *   `deliveryCount` 2 and `redelivered` true. Another instance of the pipeline, in another
 *   process, would claim it just the same, and so would take over everything a dead instance
 *   left pending;
 * - an order that can never be charged is sent to the dead-letter stream at once with
 *   `configureAck`, instead of waiting for its `maxDeliveries`-th failure;
 * - a body that does not parse fails its message with `MalformedEntryError` and is
 *   dead-lettered too, never retried;
 * - one batcher writes the charged orders 50 at a time.
 *
 * Run it (Redis on 127.0.0.1:6379):
 * `node --import tsx --conditions=beamish-source examples/connector-redis.ts`
 */
import { randomUUID } from "node:crypto";
import { pathToFileURL } from "node:url";
import { redisProducer } from "beamish/connectors/redis";
import { Pipeline } from "beamish/pipeline";
import { createClient } from "redis";

const URL = "redis://127.0.0.1:6379";
const ORDERS = 200;

interface Order {
  readonly id: number;
  readonly amount: number;
}

/** Refuses every 25th order on its first try; orders 13 and 113 can never be charged. */
function charge(order: Order, deliveryCount: number): "charged" | "retry" | "never" {
  if (order.id % 100 === 13) return "never";
  if (order.id % 25 === 0 && deliveryCount === 1) return "retry";
  return "charged";
}

export async function main(log: (...args: unknown[]) => void = console.log) {
  const stream = `example-orders:${randomUUID().slice(0, 8)}`;
  const deadLetters = `${stream}:dead`;

  const admin = createClient({ url: URL });
  await admin.connect();
  for (let id = 0; id < ORDERS; id++) {
    await admin.xAdd(stream, "*", { body: JSON.stringify({ id, amount: 10 + (id % 7) }) });
  }
  await admin.xAdd(stream, "*", { body: "{ this is not an order" });

  const orders = redisProducer<Order>({
    url: URL,
    stream,
    group: "billing",
    decode: (fields) => JSON.parse(fields.body ?? "") as Order,
    onFailure: { deadLetter: deadLetters, maxDeliveries: 3 },
    // Short for the example: a refused charge is tried again a second later. In
    // production, longer than any order takes to handle (a claim takes over a slow one too).
    minIdle: 1000,
    claimInterval: 100,
  });
  const written: number[] = [];
  let retried = 0;
  const pipeline = await Pipeline.start({
    name: "orders",
    producer: { module: orders },
    processors: { default: { concurrency: 4 } },
    batchers: { default: { batchSize: 50, batchTimeout: 100 } },
    handleMessage: (_processor, message) => {
      const { deliveryCount } = message.metadata as { deliveryCount: number };
      const outcome = charge(message.data, deliveryCount);
      if (outcome === "retry") {
        retried++;
        return message.fail(new Error(`payment of order ${message.data.id} refused, retry`));
      }
      if (outcome === "never") {
        return message
          .configureAck({ onFailure: { deadLetter: deadLetters, maxDeliveries: 1 } })
          .fail(new Error("card expired"));
      }
      return message;
    },
    handleBatch: (_batcher, messages) => {
      written.push(...messages.map((m) => m.data.id));
      return messages;
    },
    handleFailed: (messages) => {
      for (const m of messages) {
        const reason = m.status.kind === "failed" ? m.status.reason : undefined;
        log(`failed: ${reason instanceof Error ? reason.message : String(reason)}`);
      }
      return messages;
    },
  });

  // 198 charged; 2 never charged and 1 malformed are dead-lettered.
  const deadline = Date.now() + 20_000;
  while (
    (orders.counters.acked < ORDERS - 2 || orders.counters.deadLettered < 3) &&
    Date.now() < deadline
  ) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  await pipeline.stop();
  const { pending } = await admin.xPending(stream, "billing");
  const dead = await admin.xLen(deadLetters);
  const { acked, claimed, deadLettered } = orders.counters;
  log(`${written.length} orders written, ${retried} charges retried, ${dead} dead-lettered`);
  log(`acks: ${acked} acked, ${claimed} claimed again, ${deadLettered} dead-lettered`);

  await admin.del([stream, deadLetters]);
  await admin.close();
  return {
    written: new Set(written).size,
    duplicates: written.length - new Set(written).size,
    retried,
    deadLettered: dead,
    pending: Number(pending),
    acked,
    claimed,
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) await main();
