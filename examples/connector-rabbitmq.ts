/**
 * Orders from RabbitMQ, with failures handled the way production wants them.
 *
 * An `orders` queue (a quorum queue, so the broker counts deliveries) receives 200 orders, among
 * them a few that a flaky payment service refuses once, two that can never be charged, and one
 * whose body is not JSON. A pipeline consumes the queue:
 *
 * - `rabbitmqProducer` declares the queue with a dead-letter queue beside it, takes deliveries
 *   as the processors ask for them, and acknowledges each message on its channel;
 * - 4 processors charge each order; a refused charge fails the message, which is requeued
 *   (`onFailure: "requeue"`, the default) and comes back with `deliveryCount` 2; an order that
 *   can never be charged is failed with `configureAck({ onFailure: "reject" })`, which sends it
 *   to the dead-letter queue instead of round and round;
 * - a body that does not parse fails its message with `MalformedMessageError` and is rejected:
 *   dead-lettered too, never requeued;
 * - one batcher writes the charged orders 50 at a time; a batch's messages are acked together,
 *   in one `basic.ack` with `multiple` where their delivery tags allow.
 *
 * Run it (RabbitMQ on 127.0.0.1:5672, guest/guest):
 * `node --import tsx --conditions=beamish-source examples/connector-rabbitmq.ts`
 */
import { randomUUID } from "node:crypto";
import { pathToFileURL } from "node:url";
import amqp from "amqplib";
import { type RabbitmqMetadata, rabbitmqProducer } from "beamish/connectors/rabbitmq";
import { Pipeline } from "beamish/pipeline";

const URL = "amqp://guest:guest@127.0.0.1:5672";
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
  const suffix = randomUUID().slice(0, 8);
  const queue = `example-orders-${suffix}`;
  const deadLetters = `${queue}-dead`;

  const admin = await amqp.connect(URL);
  const channel = await admin.createConfirmChannel();
  await channel.assertQueue(deadLetters);
  const declare = {
    durable: true,
    arguments: {
      "x-queue-type": "quorum",
      "x-dead-letter-exchange": "",
      "x-dead-letter-routing-key": deadLetters,
    },
  };
  await channel.assertQueue(queue, declare);
  for (let id = 0; id < ORDERS; id++) {
    channel.sendToQueue(queue, Buffer.from(JSON.stringify({ id, amount: 10 + (id % 7) })));
  }
  channel.sendToQueue(queue, Buffer.from("{ this is not an order"));
  await channel.waitForConfirms();

  const orders = rabbitmqProducer<Order>({ url: URL, queue, declare, prefetch: 100 });
  const written: number[] = [];
  let retried = 0;
  let finished = 0;
  const pipeline = await Pipeline.start({
    name: "orders",
    producer: { module: orders },
    processors: { default: { concurrency: 4 } },
    batchers: { default: { batchSize: 50, batchTimeout: 100 } },
    handleMessage: (_processor, message) => {
      const { deliveryCount } = message.metadata as RabbitmqMetadata;
      const outcome = charge(message.data, deliveryCount);
      if (outcome === "retry") {
        retried++;
        return message.fail(new Error(`payment of order ${message.data.id} refused, retry`));
      }
      if (outcome === "never") {
        return message.configureAck({ onFailure: "reject" }).fail(new Error("card expired"));
      }
      return message;
    },
    handleBatch: (_batcher, messages) => {
      written.push(...messages.map((m) => m.data.id));
      finished += messages.length;
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
  let dead = 0;
  while ((finished < ORDERS - 2 || dead < 3) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    dead = (await channel.checkQueue(deadLetters)).messageCount;
  }
  await pipeline.stop();
  const left = (await channel.checkQueue(queue)).messageCount;
  const stats = orders.stats();
  log(`${written.length} orders written, ${retried} charges retried, ${dead} dead-lettered`);
  log(`acks: ${stats.acked} acked, ${stats.requeued} requeued, ${stats.rejected} rejected`);

  await channel.deleteQueue(queue);
  await channel.deleteQueue(deadLetters);
  await admin.close();
  return {
    written: new Set(written).size,
    duplicates: written.length - new Set(written).size,
    retried,
    deadLettered: dead,
    left,
    acked: stats.acked,
    requeued: stats.requeued,
    rejected: stats.rejected,
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) await main();
