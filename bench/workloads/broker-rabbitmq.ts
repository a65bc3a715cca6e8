// broker-rabbitmq (BENCH.md): 50,000 JSON messages, published to a fresh queue before the clock
// starts, consumed and acknowledged from RabbitMQ on 127.0.0.1:5672. beamish: a pipeline over
// rabbitmqProducer (prefetch 500), processors (concurrency 2, a trivial transform), one batcher
// (batchSize 100), acks grouped per batch. raw, the limit: one amqplib consumer with the same
// prefetch, decoding and transform, acking every 100th delivery with `multiple`. Both are
// connected with the queue checked before the clock starts; the clock stops once every message
// is acked and the channel and connection are closed (the pipeline's graceful stop). Both
// connections have TCP_NODELAY.
import { randomUUID } from "node:crypto";
import amqp, { type Channel, type ConsumeMessage } from "amqplib";
import { rabbitmqProducer } from "beamish/connectors/rabbitmq";
import { Pipeline } from "beamish/pipeline";
import { checkIds, rate, workload } from "../workload.js";
import { brokerTally, type Payload } from "./broker-tally.js";
import { inFreshRuntime } from "./fresh-runtime.js";

const URL = "amqp://guest:guest@127.0.0.1:5672";
const N = 50_000;
const PREFETCH = 500;
const BATCH_SIZE = 100;
const CONCURRENCY = 2;

/** Runs `timed` on a fresh queue holding N messages; the queue is deleted after. */
async function withQueue(timed: (queue: string) => Promise<number>): Promise<number> {
  const admin = await amqp.connect(URL);
  const channel = await admin.createConfirmChannel();
  const queue = `beamish-bench-${randomUUID().slice(0, 8)}`;
  try {
    await channel.assertQueue(queue, { durable: false });
    for (let id = 0; id < N; id++) {
      if (!channel.sendToQueue(queue, Buffer.from(JSON.stringify({ id })))) {
        await new Promise((resolve) => channel.once("drain", resolve));
      }
    }
    await channel.waitForConfirms();
    const figure = await timed(queue);
    const left = (await channel.checkQueue(queue)).messageCount;
    if (left !== 0) throw new Error(`${left} messages left in the queue`);
    return figure;
  } finally {
    await channel.deleteQueue(queue).catch(() => {});
    await admin.close();
  }
}

async function beamish(): Promise<number> {
  return withQueue((queue) =>
    inFreshRuntime(async () => {
      const tally = brokerTally(N);
      const producer = rabbitmqProducer<Payload>({ url: URL, queue, prefetch: PREFETCH });
      // Connected, channel open, queue checked: consumption starts with the processors' demand.
      const pipeline = await Pipeline.start({
        producer: { module: producer },
        processors: { default: { concurrency: CONCURRENCY } },
        batchers: { default: { batchSize: BATCH_SIZE } },
        handleMessage: tally.handleMessage,
        handleBatch: tally.handleBatch,
      });
      const figure = await rate(N, async () => {
        await tally.finished;
        // The last acks are settled once the broker confirms the channel's close.
        await pipeline.stop();
      });
      tally.check();
      if (producer.stats().acked !== N) throw new Error(`acked ${producer.stats().acked}`);
      return figure;
    }),
  );
}

async function raw(): Promise<number> {
  return withQueue(async (queue) => {
    let count = 0;
    let sum = 0;
    // TCP_NODELAY, as the connector sets it: with Nagle on, closing the channel took 40 ms.
    const connection = await amqp.connect(URL, { noDelay: true });
    const channel: Channel = await connection.createChannel();
    await channel.prefetch(PREFETCH);
    await channel.checkQueue(queue);
    const figure = await rate(N, async () => {
      let batch: Payload[] = [];
      await new Promise<void>((resolve) => {
        channel.consume(queue, (delivery: ConsumeMessage | null) => {
          if (delivery === null) return;
          const data = JSON.parse(delivery.content.toString("utf8")) as Payload;
          data.seen = true;
          batch.push(data);
          if (batch.length < BATCH_SIZE) return;
          for (let i = 0; i < batch.length; i++) sum += (batch[i] as Payload).id;
          count += batch.length;
          batch = [];
          channel.ack(delivery, true);
          if (count === N) resolve();
        });
      });
      await channel.close();
      await connection.close();
    });
    checkIds(count, sum, N);
    return figure;
  });
}

export const brokerRabbitmq = workload({
  name: "broker-rabbitmq",
  // One process's median can be a quarter off another's (raw: 126k, then 98k and 100k, in one
  // quiet sitting): five processes per implementation keep one of them from deciding the ratio.
  rounds: 5,
  unit: "msgs/s",
  params: { n: N, prefetch: PREFETCH, batchSize: BATCH_SIZE, concurrency: CONCURRENCY },
  impls: { beamish, raw },
  // The broker sets the pace and shares 2 cores with everything else: more samples steady the
  // median.
  repetitions: 7,
  // Three warm-up runs, as for the other brokers: after one, beamish's first two samples were
  // still 15-20% below the rest (146-158k, then 176-197k), while raw's loop was steady from its
  // first.
  warmup: 3,
});
