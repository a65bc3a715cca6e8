// pipeline-batched and pipeline-unbatched (BENCH.md): 1M messages from a producer through
// processors (concurrency 2, a trivial transform), then one batcher (batchSize 100) or none,
// each message acknowledged. Peers: a Node streams pipeline doing the same work (a Readable
// pushing until push() returns false, a synchronous Transform, a batching Transform, a
// Writable acknowledging), and the same work in a plain loop (the limit).
import { Readable, Transform, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { GenStage } from "beamish";
import { type Acknowledger, Message, Pipeline, type ProducerDefinition } from "beamish/pipeline";
import { latch, rate, STEADY, workload } from "../workload.js";
import { inFreshRuntime } from "./fresh-runtime.js";

const N = 1_000_000;
const BATCH_SIZE = 100;
const CONCURRENCY = 2;
const HIGH_WATER_MARK = 100;

interface Tally {
  acked: number;
  sum: number;
}

function check(tally: Tally): void {
  // Every message acknowledged once, each transformed (+1) once.
  const expected = (N * (N - 1)) / 2 + N;
  if (tally.acked !== N || tally.sum !== expected) {
    throw new Error(`acked ${tally.acked}, sum ${tally.sum}; expected ${N}, ${expected}`);
  }
}

/** Counts acknowledged messages; resolves `done` once all N are. */
function counting(tally: Tally, done: () => void): Acknowledger {
  return {
    name: "bench",
    ack(_ref, successful, failed) {
      tally.acked += successful.length + failed.length;
      if (tally.acked === N) done();
    },
  };
}

function counter(acknowledger: Acknowledger): ProducerDefinition<number, { next: number }> {
  return {
    name: "counter",
    init: () => ({ next: 0 }),
    handleDemand(demand, state) {
      const count = Math.min(demand, N - state.next);
      if (count <= 0) return state;
      const messages = new Array<Message<number>>(count);
      for (let i = 0; i < count; i++) messages[i] = new Message(state.next + i, acknowledger);
      state.next += count;
      return GenStage.emit(messages, state);
    },
  };
}

async function beamish(batched: boolean): Promise<number> {
  return inFreshRuntime(async () => {
    const tally: Tally = { acked: 0, sum: 0 };
    const { done, finished } = latch();
    const acknowledger = counting(tally, done);
    const figure = await rate(N, async () => {
      const running = await Pipeline.start({
        producer: { module: counter(acknowledger) },
        processors: { default: { concurrency: CONCURRENCY } },
        ...(batched ? { batchers: { default: { batchSize: BATCH_SIZE } } } : {}),
        handleMessage: (_processor, message) => {
          message.data += 1;
          if (!batched) tally.sum += message.data;
          return message;
        },
        handleBatch: (_batcher, messages) => {
          let sum = 0;
          for (let i = 0; i < messages.length; i++) sum += (messages[i] as Message<number>).data;
          tally.sum += sum;
          return messages;
        },
      });
      await finished;
      await running.stop();
    });
    check(tally);
    return figure;
  });
}

interface Msg {
  data: number;
}

async function streams(batched: boolean): Promise<number> {
  const tally: Tally = { acked: 0, sum: 0 };
  const figure = await rate(N, async () => {
    let next = 0;
    const source = new Readable({
      objectMode: true,
      highWaterMark: HIGH_WATER_MARK,
      read() {
        while (next < N) {
          if (!this.push({ data: next++ })) return;
        }
        this.push(null);
      },
    });
    const transform = new Transform({
      objectMode: true,
      highWaterMark: HIGH_WATER_MARK,
      transform(message: Msg, _encoding, callback) {
        message.data += 1;
        callback(null, message);
      },
    });
    let batch: Msg[] = [];
    const batcher = new Transform({
      objectMode: true,
      highWaterMark: HIGH_WATER_MARK,
      transform(message: Msg, _encoding, callback) {
        batch.push(message);
        if (batch.length < BATCH_SIZE) return callback();
        const full = batch;
        batch = [];
        callback(null, full);
      },
      flush(callback) {
        callback(null, batch.length > 0 ? batch : undefined);
      },
    });
    const sink = new Writable({
      objectMode: true,
      highWaterMark: HIGH_WATER_MARK,
      write(chunk: Msg | Msg[], _encoding, callback) {
        if (Array.isArray(chunk)) {
          let sum = 0;
          for (let i = 0; i < chunk.length; i++) sum += (chunk[i] as Msg).data;
          tally.sum += sum;
          tally.acked += chunk.length;
        } else {
          tally.sum += chunk.data;
          tally.acked += 1;
        }
        callback();
      },
    });
    await (batched
      ? pipeline(source, transform, batcher, sink)
      : pipeline(source, transform, sink));
  });
  check(tally);
  return figure;
}

/** The limit: the same messages made, transformed, batched and acknowledged in a loop. */
async function loop(batched: boolean): Promise<number> {
  const tally: Tally = { acked: 0, sum: 0 };
  const figure = await rate(N, () => {
    let batch: Msg[] = [];
    for (let i = 0; i < N; i++) {
      const message = { data: i };
      message.data += 1;
      if (!batched) {
        tally.sum += message.data;
        tally.acked++;
        continue;
      }
      batch.push(message);
      if (batch.length === BATCH_SIZE || i === N - 1) {
        let sum = 0;
        for (let j = 0; j < batch.length; j++) sum += (batch[j] as Msg).data;
        tally.sum += sum;
        tally.acked += batch.length;
        batch = [];
      }
    }
  });
  check(tally);
  return figure;
}

export const pipelineBatched = workload({
  name: "pipeline-batched",
  ...STEADY,
  unit: "msgs/s",
  params: { n: N, concurrency: CONCURRENCY, batchSize: BATCH_SIZE, maxDemand: 10 },
  impls: {
    beamish: () => beamish(true),
    "node-streams": () => streams(true),
    loop: () => loop(true),
  },
});

export const pipelineUnbatched = workload({
  name: "pipeline-unbatched",
  ...STEADY,
  unit: "msgs/s",
  params: { n: N, concurrency: CONCURRENCY, maxDemand: 10 },
  impls: {
    beamish: () => beamish(false),
    "node-streams": () => streams(false),
    loop: () => loop(false),
  },
});
