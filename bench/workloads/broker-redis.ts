// broker-redis (BENCH.md): 50,000 entries `{ id }`, added to a fresh stream before the clock
// starts, consumed and acknowledged through a consumer group of Redis on 127.0.0.1:6379.
// beamish: a pipeline over redisProducer, processors (concurrency 2, maxDemand 50, a trivial
// transform), one batcher (batchSize 100): XREADGROUP COUNT up to twice the most demanded at
// once (200), two reads in flight, one XACK for the batches acknowledged in one turn of a
// stage. raw, the limit: one node-redis client in a loop of XREADGROUP with the same COUNT (200)
// and one XACK per read (sent without waiting, ahead of the next read on the same connection),
// with the same decoding and transform. Both connect inside the timed part (duplicating a client
// made once per process, as the connector does: node-redis builds a client class per
// createClient) and stop once every entry is acknowledged.
import { randomUUID } from "node:crypto";
import { redisProducer } from "beamish/connectors/redis";
import { Pipeline } from "beamish/pipeline";
import { createClient } from "redis";
import { checkIds, rate, workload } from "../workload.js";
import { brokerTally, type Payload } from "./broker-tally.js";
import { inFreshRuntime } from "./fresh-runtime.js";

const URL = "redis://127.0.0.1:6379";
const N = 50_000;
const BATCH_SIZE = 100;
const CONCURRENCY = 2;
const MAX_DEMAND = 50;
const GROUP = "bench";
/** What one XREADGROUP asks for: the connector's reads ask for up to twice the demand. */
const READ_COUNT = 2 * CONCURRENCY * MAX_DEMAND;

const decode = (fields: Readonly<Record<string, string>>): Payload => ({ id: Number(fields.id) });

/** Runs `timed` on a fresh stream holding N entries and its group; the stream is deleted after. */
async function withStream(timed: (stream: string) => Promise<number>): Promise<number> {
  const admin = createClient({ url: URL });
  admin.on("error", () => {});
  await admin.connect();
  const stream = `beamish-bench:${randomUUID().slice(0, 8)}`;
  try {
    await admin.xGroupCreate(stream, GROUP, "0", { MKSTREAM: true });
    // A script adds a thousand entries, rather than a MULTI of a thousand XADDs: the MULTI keeps
    // a thousand commands alive until EXEC, so V8 learned to allocate node-redis's command
    // objects in the old generation ("allocation-site pretenuring"), and the timed consumers,
    // whose commands go through the same code, paid for it: both ran 15-25% faster with
    // `--no-allocation-site-pretenuring`, a flag that makes no consistent difference with this
    // setup.
    for (let start = 0; start < N; start += 1000) {
      await admin.eval(
        "for i = tonumber(ARGV[1]), tonumber(ARGV[2]) do redis.call('XADD', KEYS[1], '*', 'id', i) end",
        { keys: [stream], arguments: [String(start), String(Math.min(N, start + 1000) - 1)] },
      );
    }
    const figure = await timed(stream);
    const { pending } = await admin.xPending(stream, GROUP);
    const [group] = (await admin.xInfoGroups(stream)) as { lag?: unknown }[];
    if (Number(pending) !== 0 || Number(group?.lag ?? 0) !== 0) {
      throw new Error(`${pending} entries pending, ${String(group?.lag)} never read`);
    }
    return figure;
  } finally {
    await admin.del(stream).catch(() => {});
    await admin.close();
  }
}

async function beamish(): Promise<number> {
  return withStream((stream) =>
    inFreshRuntime(async () => {
      const tally = brokerTally(N);
      const producer = redisProducer<Payload>({ url: URL, stream, group: GROUP, decode });
      const figure = await rate(N, async () => {
        const pipeline = await Pipeline.start({
          producer: { module: producer },
          processors: { default: { concurrency: CONCURRENCY, maxDemand: MAX_DEMAND } },
          batchers: { default: { batchSize: BATCH_SIZE } },
          handleMessage: tally.handleMessage,
          handleBatch: tally.handleBatch,
        });
        await tally.finished;
        // stop() waits for the last XACKs before closing the connection.
        await pipeline.stop();
      });
      tally.check();
      if (producer.counters.acked !== N) throw new Error(`acked ${producer.counters.acked}`);
      return figure;
    }),
  );
}

let template: ReturnType<typeof createClient> | undefined;

async function raw(): Promise<number> {
  template ??= createClient({ url: URL });
  const base = template;
  return withStream(async (stream) => {
    let count = 0;
    let sum = 0;
    const figure = await rate(N, async () => {
      const client = base.duplicate();
      client.on("error", () => {});
      await client.connect();
      const acks: Promise<number>[] = [];
      while (count < N) {
        const reply = await client.xReadGroup(
          GROUP,
          "raw",
          { key: stream, id: ">" },
          { COUNT: READ_COUNT, BLOCK: 1000 },
        );
        const entries = reply?.[0]?.messages ?? [];
        const ids = new Array<string>(entries.length);
        for (let i = 0; i < entries.length; i++) {
          const entry = entries[i] as { id: string; message: Record<string, string> };
          const data = decode(entry.message);
          data.seen = true;
          sum += data.id;
          ids[i] = entry.id;
        }
        count += entries.length;
        if (ids.length > 0) acks.push(client.xAck(stream, GROUP, ids));
      }
      await Promise.all(acks);
      await client.close();
    });
    checkIds(count, sum, N);
    return figure;
  });
}

export const brokerRedis = workload({
  name: "broker-redis",
  // Five processes per implementation, as for the other brokers: one process's median can be
  // far off the others' (beamish/raw 0.878-1.10 over thirteen runs of three rounds).
  rounds: 5,
  unit: "msgs/s",
  params: { n: N, batchSize: BATCH_SIZE, concurrency: CONCURRENCY, maxDemand: MAX_DEMAND },
  impls: { beamish, raw },
  // Both warm up on three streams first: the pipeline's and node-redis's paths take a few runs
  // of 50,000 to be compiled (the first runs are twice as slow).
  warmup: 3,
});
