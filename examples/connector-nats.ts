/**
 * Orders from NATS JetStream, with failures handled the way production wants them.
 *
 * A pipeline consumes the durable consumer `billing` of an `orders` stream; `natsProducer`
 * creates both when they do not exist (the stream in memory here, so that the example leaves
 * nothing behind). Then 200 orders are published, among them a few that a flaky payment service
 * refuses once, two that can never be charged, one whose payload is not JSON, and one that takes
 * longer to charge than the consumer's `ack_wait`:
 *
 * - each pull asks the server for what the processors demanded, never more;
 * - 4 processors charge each order; a refused charge fails the message, which is nak'ed with a
 *   delay (`onFailure: "nak"`, `nakDelay: 50`) and comes back with `deliveryCount` 2; an order
 *   that can never be charged is failed with `configureAck({ onFailure: "term" })`, so the
 *   server never delivers it again;
 * - a payload that does not parse fails its message with `MalformedNatsMessageError` and is
 *   terminated: another delivery would fail the same way;
 * - the slow order stays in the pipeline for 1.5 s while `ack_wait` is 1 s: `inProgressEvery`
 *   tells the server every 300 ms that it is being worked on, so it is delivered only once;
 * - one batcher writes the charged orders 50 at a time, and acks them when the batch is written.
 *
 * Run it (nats-server with JetStream on 127.0.0.1:4222):
 * `node --import tsx --conditions=beamish-source examples/connector-nats.ts`
 */
import { randomUUID } from "node:crypto";
import { pathToFileURL } from "node:url";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect, nanos } from "@nats-io/transport-node";
import { type NatsMetadata, natsProducer } from "beamish/connectors/nats";
import { Pipeline } from "beamish/pipeline";

const SERVERS = "127.0.0.1:4222";
const ORDERS = 200;
const SLOW = 42;

interface Order {
  readonly id: number;
  readonly amount: number;
}

/** Refuses every 25th order on its first try; orders 13 and 113 can never be charged. */
async function charge(order: Order, deliveryCount: number): Promise<"charged" | "retry" | "never"> {
  if (order.id === SLOW) await new Promise((resolve) => setTimeout(resolve, 1500));
  if (order.id % 100 === 13) return "never";
  if (order.id % 25 === 0 && deliveryCount === 1) return "retry";
  return "charged";
}

export async function main(log: (...args: unknown[]) => void = console.log) {
  const stream = `example_orders_${randomUUID().slice(0, 8)}`;
  const orders = natsProducer<Order>({
    servers: SERVERS,
    stream,
    streamConfig: { subjects: [`${stream}.>`], storage: "memory" },
    consumer: "billing",
    consumerConfig: { ack_wait: nanos(1000), max_deliver: 5 },
    onFailure: "nak",
    nakDelay: 50,
    inProgressEvery: 300,
  });
  const written: number[] = [];
  const deliveries = new Map<number, number>();
  let retried = 0;
  const pipeline = await Pipeline.start({
    name: "billing",
    producer: { module: orders },
    processors: { default: { concurrency: 4 } },
    batchers: { default: { batchSize: 50, batchTimeout: 100 } },
    handleMessage: async (_processor, message) => {
      const { deliveryCount } = message.metadata as NatsMetadata;
      deliveries.set(message.data.id, deliveryCount);
      const outcome = await charge(message.data, deliveryCount);
      if (outcome === "retry") {
        retried++;
        return message.fail(new Error(`payment of order ${message.data.id} refused, retry`));
      }
      if (outcome === "never") {
        return message.configureAck({ onFailure: "term" }).fail(new Error("card expired"));
      }
      return message;
    },
    handleBatch: (_batcher, messages) => {
      for (const m of messages) written.push(m.data.id);
      return messages; // acked once the batch is written
    },
    handleFailed: (messages) => {
      for (const m of messages) {
        if (m.status.kind === "failed") log(`failed: ${describe(m.status.reason)}`);
      }
      return messages;
    },
  });

  // The orders come in once the pipeline is running: it pulls them as they arrive.
  const nc = await connect({ servers: SERVERS });
  const js = jetstream(nc);
  const published = [];
  for (let id = 0; id < ORDERS; id++) {
    published.push(js.publish(`${stream}.created`, JSON.stringify({ id, amount: 10 + (id % 7) })));
  }
  published.push(js.publish(`${stream}.created`, "{ this is not an order"));
  await Promise.all(published);

  const expected = ORDERS - 2;
  const deadline = Date.now() + 20_000;
  while (new Set(written).size < expected || orders.stats().terminated < 3) {
    if (Date.now() > deadline) throw new Error("the orders were not all handled in time");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  await pipeline.stop();

  const jsm = await jetstreamManager(nc);
  const info = await jsm.consumers.info(stream, "billing");
  await jsm.streams.delete(stream);
  await nc.close();

  const stats = orders.stats();
  const result = {
    written: new Set(written).size,
    duplicates: written.length - new Set(written).size,
    retried,
    slowDeliveries: deliveries.get(SLOW),
    left: info.num_pending + info.num_ack_pending,
    acked: stats.acked,
    naked: stats.naked,
    terminated: stats.terminated,
  };
  log(
    `${result.written} orders written, ${retried} charges retried, ${stats.terminated} terminated; ` +
      `order ${SLOW} delivered ${result.slowDeliveries} time(s) after ${stats.inProgress} in-progress signals`,
  );
  return result;
}

function describe(reason: unknown): string {
  return reason instanceof Error ? reason.message : String(reason);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  await main();
}
