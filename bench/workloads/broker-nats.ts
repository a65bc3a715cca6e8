// broker-nats (BENCH.md): 50,000 JSON messages, published to a fresh in-memory JetStream stream
// before the clock starts, consumed from a durable pull consumer (max_ack_pending 1000) on
// 127.0.0.1:4222 and acknowledged. beamish: a pipeline over natsProducer (pulls of at most 250),
// processors (concurrency 2, maxDemand 250, a trivial transform), one batcher (batchSize 100),
// acks per batch. raw, the limit: the client's own pull loop, `consumer.consume` with
// max_messages 250 (it keeps pulls in flight and refills them), the same decoding and transform,
// acking 100 messages at a time. Both connect inside the timed part and stop once every message
// is acked; the consumer is checked empty after.
import { randomUUID } from "node:crypto";
import { AckPolicy, type JsMsg, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { natsProducer } from "beamish/connectors/nats";
import { Pipeline } from "beamish/pipeline";
import { checkIds, rate, workload } from "../workload.js";
import { brokerTally, type Payload } from "./broker-tally.js";
import { inFreshRuntime } from "./fresh-runtime.js";

const SERVERS = "127.0.0.1:4222";
const N = 50_000;
const PULL = 250;
const MAX_ACK_PENDING = 1000;
const BATCH_SIZE = 100;
const CONCURRENCY = 2;
const CONSUMER = "bench";

/** Runs `timed` on a fresh stream holding N messages and its consumer; both deleted after. */
async function withStream(timed: (stream: string) => Promise<number>): Promise<number> {
  const nc = await connect({ servers: SERVERS });
  const jsm = await jetstreamManager(nc);
  const stream = `beamish_bench_${randomUUID().slice(0, 8)}`;
  try {
    await jsm.streams.add({ name: stream, subjects: [`${stream}.>`], storage: "memory" });
    await jsm.consumers.add(stream, {
      durable_name: CONSUMER,
      ack_policy: AckPolicy.Explicit,
      max_ack_pending: MAX_ACK_PENDING,
    });
    const js = jetstream(nc);
    for (let id = 0; id < N; id += 1000) {
      const acks = [];
      for (let i = id; i < id + 1000; i++) {
        acks.push(js.publish(`${stream}.ids`, JSON.stringify({ id: i })));
      }
      await Promise.all(acks);
    }
    const figure = await timed(stream);
    // The server takes acks off a queue of the consumer's own: right after the flush, the last
    // few hundred may still be on it (seen once, 311 of them). Lost acks would stay pending
    // until `ack_wait` (30 s), far past this wait.
    let info = await jsm.consumers.info(stream, CONSUMER);
    for (let i = 0; i < 50 && info.num_pending + info.num_ack_pending > 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      info = await jsm.consumers.info(stream, CONSUMER);
    }
    if (info.num_pending !== 0 || info.num_ack_pending !== 0) {
      throw new Error(`${info.num_pending} pending, ${info.num_ack_pending} unacked`);
    }
    return figure;
  } finally {
    await jsm.streams.delete(stream).catch(() => {});
    await nc.close();
  }
}

async function beamish(): Promise<number> {
  return withStream((stream) =>
    inFreshRuntime(async () => {
      const tally = brokerTally(N);
      const producer = natsProducer<Payload>({
        servers: SERVERS,
        stream,
        consumer: CONSUMER,
        maxBatch: PULL,
      });
      const figure = await rate(N, async () => {
        const pipeline = await Pipeline.start({
          producer: { module: producer },
          processors: { default: { concurrency: CONCURRENCY, maxDemand: PULL } },
          batchers: { default: { batchSize: BATCH_SIZE } },
          handleMessage: tally.handleMessage,
          handleBatch: tally.handleBatch,
        });
        await tally.finished;
        await pipeline.stop();
      });
      tally.check();
      if (producer.stats().acked !== N) throw new Error(`acked ${producer.stats().acked}`);
      return figure;
    }),
  );
}

async function raw(): Promise<number> {
  return withStream(async (stream) => {
    let count = 0;
    let sum = 0;
    const figure = await rate(N, async () => {
      const nc = await connect({ servers: SERVERS });
      const consumer = await jetstream(nc).consumers.get(stream, CONSUMER);
      const messages = await consumer.consume({ max_messages: PULL });
      let batch: JsMsg[] = [];
      const decoder = new TextDecoder();
      for await (const m of messages) {
        const data = JSON.parse(decoder.decode(m.data)) as Payload;
        data.seen = true;
        sum += data.id;
        batch.push(m);
        if (batch.length < BATCH_SIZE) continue;
        for (let i = 0; i < batch.length; i++) (batch[i] as JsMsg).ack();
        count += batch.length;
        batch = [];
        if (count === N) break;
      }
      await messages.close();
      await nc.flush();
      await nc.close();
    });
    checkIds(count, sum, N);
    return figure;
  });
}

export const brokerNats = workload({
  name: "broker-nats",
  // Five processes per implementation, as broker-rabbitmq: one process's median can be far off
  // the others' (one full run gave nats 0.826, five others 0.95-1.06).
  rounds: 5,
  unit: "msgs/s",
  params: {
    n: N,
    pull: PULL,
    maxAckPending: MAX_ACK_PENDING,
    batchSize: BATCH_SIZE,
    concurrency: CONCURRENCY,
  },
  impls: { beamish, raw },
  // Both warm up on three streams first, as broker-redis does: the pipeline's path takes a few
  // runs of 50,000 to be compiled (its first two runs are about half as fast as the later ones).
  warmup: 3,
});
