// stage-chain, stage-chain-3 and stage-fanout (BENCH.md): 10M integer events through GenStage
// stages with maxDemand 1000, against a Node streams pipeline doing the same work (a Readable
// pushing in a loop until push() returns false, a synchronous Transform, a Writable) and the
// same work with no framework at all (the limit).
import { Readable, Transform, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { GenStage, type Pid } from "beamish";
import { latch, rate, workload } from "../workload.js";
import { inFreshRuntime } from "./fresh-runtime.js";

const N = 10_000_000;
const MAX_DEMAND = 1000;
const HIGH_WATER_MARK = 1000;

/** A producer of the integers 0..n-1, as many as demanded. */
function counter(n: number): GenStage.Definition<never, number, number, undefined> {
  return {
    init: () => GenStage.producer(0),
    handleDemand: (demand, next) => {
      const count = Math.min(demand, n - next);
      if (count <= 0) return next;
      const events = new Array<number>(count);
      for (let i = 0; i < count; i++) events[i] = next + i;
      return GenStage.emit(events, next + count);
    },
  };
}

/** A consumer summing events; calls `done` once `total` events came through all consumers. */
function summer(
  producer: Pid,
  shared: { count: number; sum: number },
  total: number,
  done: () => void,
): GenStage.Definition<number, never, undefined, undefined> {
  return {
    init: () =>
      GenStage.consumer(undefined, { subscribeTo: [{ to: producer, maxDemand: MAX_DEMAND }] }),
    handleEvents: (events) => {
      let sum = 0;
      for (let i = 0; i < events.length; i++) sum += events[i] as number;
      shared.sum += sum;
      shared.count += events.length;
      if (shared.count === total) done();
      return undefined;
    },
  };
}

const plusOne: GenStage.Definition<number, number, undefined, Pid> = {
  init: (producer) =>
    GenStage.producerConsumer(undefined, {
      subscribeTo: [{ to: producer, maxDemand: MAX_DEMAND }],
    }),
  handleEvents: (events, _from, state) => {
    const out = new Array<number>(events.length);
    for (let i = 0; i < events.length; i++) out[i] = (events[i] as number) + 1;
    return GenStage.emit(out, state);
  },
};

function check(sum: number, expected: number): void {
  if (sum !== expected) throw new Error(`bad sum ${sum}, expected ${expected}`);
}

const sumTo = (n: number) => (n * (n - 1)) / 2;

async function beamish(stages: 2 | 3, consumers: 1 | 2): Promise<number> {
  return inFreshRuntime(async () => {
    const shared = { count: 0, sum: 0 };
    const { done, finished } = latch();
    return rate(N, async () => {
      let source = await GenStage.start(counter(N), undefined);
      if (stages === 3) source = await GenStage.start(plusOne, source);
      for (let i = 0; i < consumers; i++) {
        await GenStage.start(summer(source, shared, N, done), undefined);
      }
      await finished;
      check(shared.sum, sumTo(N) + (stages === 3 ? N : 0));
    });
  });
}

function source(from: number, to: number): Readable {
  let next = from;
  return new Readable({
    objectMode: true,
    highWaterMark: HIGH_WATER_MARK,
    read() {
      while (next < to) {
        if (!this.push(next++)) return;
      }
      this.push(null);
    },
  });
}

function sink(shared: { sum: number }): Writable {
  return new Writable({
    objectMode: true,
    highWaterMark: HIGH_WATER_MARK,
    write(chunk: number, _encoding, callback) {
      shared.sum += chunk;
      callback();
    },
  });
}

async function streams(stages: 2 | 3, consumers: 1 | 2): Promise<number> {
  const shared = { sum: 0 };
  return rate(N, async () => {
    const share = N / consumers;
    const runs: Promise<void>[] = [];
    for (let i = 0; i < consumers; i++) {
      const from = source(i * share, (i + 1) * share);
      runs.push(
        stages === 3
          ? pipeline(
              from,
              new Transform({
                objectMode: true,
                highWaterMark: HIGH_WATER_MARK,
                transform(chunk: number, _encoding, callback) {
                  callback(null, chunk + 1);
                },
              }),
              sink(shared),
            )
          : pipeline(from, sink(shared)),
      );
    }
    await Promise.all(runs);
    check(shared.sum, sumTo(N) + (stages === 3 ? N : 0));
  });
}

/** The limit: the same batches of integers made and summed in a loop. */
async function loop(stages: 2 | 3): Promise<number> {
  return rate(N, () => {
    let sum = 0;
    for (let next = 0; next < N; next += MAX_DEMAND) {
      const count = Math.min(MAX_DEMAND, N - next);
      let events = new Array<number>(count);
      for (let i = 0; i < count; i++) events[i] = next + i;
      if (stages === 3) {
        const out = new Array<number>(count);
        for (let i = 0; i < count; i++) out[i] = (events[i] as number) + 1;
        events = out;
      }
      for (let i = 0; i < count; i++) sum += events[i] as number;
    }
    check(sum, sumTo(N) + (stages === 3 ? N : 0));
  });
}

export const stageChain = workload({
  name: "stage-chain",
  unit: "events/s",
  params: { n: N, maxDemand: MAX_DEMAND },
  impls: {
    beamish: () => beamish(2, 1),
    "node-streams": () => streams(2, 1),
    loop: () => loop(2),
  },
});

export const stageChain3 = workload({
  name: "stage-chain-3",
  unit: "events/s",
  params: { n: N, maxDemand: MAX_DEMAND },
  impls: {
    beamish: () => beamish(3, 1),
    "node-streams": () => streams(3, 1),
    loop: () => loop(3),
  },
});

export const stageFanout = workload({
  name: "stage-fanout",
  unit: "events/s",
  params: { n: N, maxDemand: MAX_DEMAND, consumers: 2 },
  impls: {
    beamish: () => beamish(2, 2),
    // Two Readable -> Writable pipelines of N/2 events each, side by side: the same work shared
    // by two consumers.
    "node-streams": () => streams(2, 2),
  },
});
