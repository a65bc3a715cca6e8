/**
 * Back-pressure: a fast producer and a slow consumer.
 *
 * The producer could make events as fast as anyone asks (its `handleDemand` builds `demand`
 * integers at once, forever); the consumer takes a few milliseconds per batch. Nothing sits in
 * between to absorb the difference, and nothing needs to: the consumer subscribes with
 * `maxDemand: 10, minDemand: 5`, so
 *
 * - it asks for 10 events when it subscribes, and the producer makes exactly 10;
 * - it gets them in batches of at most `maxDemand - minDemand` = 5 (GenStage's batching);
 * - once the events still owed to it fall to `minDemand`, it asks for 5 more, and only then does
 *   the producer make 5 more.
 *
 * So the producer never runs more than `maxDemand` events ahead of what the consumer has handled,
 * however fast it could go: the example records `generated - handled` after every step and finds
 * at most 10. A push model (an EventEmitter, a producer that `send`s in a loop) has no such
 * bound: even a finite source of 100 events would put all 100 in the consumer's mailbox before
 * its first batch is done, and an endless one would grow the mailbox at the producer's full
 * speed until memory runs out. The example prints that figure from the producer's measured
 * speed.
 *
 * Run it: `node --import tsx --conditions=beamish-source examples/stage-back-pressure.ts`
 */
import { pathToFileURL } from "node:url";
import { currentRuntime, GenStage, type Pid, send, stop, Task } from "beamish";

const MAX_DEMAND = 10;
const MIN_DEMAND = 5;
/** Events the consumer handles before it stops. */
const TOTAL = 100;
/** How long the consumer takes per batch (ms). */
const WORK_MS = 2;

/**
 * What both stages report to, for the example to measure (a probe, not a way for stages to talk:
 * they talk by demand and events only).
 */
interface Meter {
  generated: number;
  handled: number;
  /** The most `generated - handled` ever was. */
  maxAhead: number;
  /** Each demand `handleDemand` was called with. */
  readonly demands: number[];
  /** Each batch size `handleEvents` was called with. */
  readonly batches: number[];
}

/** The `count` integers from `next`: as fast as a producer can make events. */
const range = (next: number, count: number): number[] =>
  Array.from({ length: count }, (_, i) => next + i);

/** An endless producer of integers that makes exactly what is asked, at once. */
function numbers(meter: Meter): GenStage.Definition<never, number, number, undefined> {
  return {
    init: () => GenStage.producer(0),
    handleDemand: (demand, next) => {
      meter.demands.push(demand);
      meter.generated += demand;
      meter.maxAhead = Math.max(meter.maxAhead, meter.generated - meter.handled);
      return GenStage.emit(range(next, demand), next + demand);
    },
  };
}

/** A slow consumer: each batch takes `WORK_MS`; after `TOTAL` events it tells `owner` and stops. */
function slowConsumer(
  meter: Meter,
  owner: Pid,
  producer: Pid,
): GenStage.Definition<number, never, number, undefined> {
  return {
    init: () =>
      GenStage.consumer(0, {
        subscribeTo: [{ to: producer, maxDemand: MAX_DEMAND, minDemand: MIN_DEMAND }],
      }),
    handleEvents: async (events, _from, sum, self) => {
      await self.sleep(WORK_MS);
      meter.batches.push(events.length);
      meter.handled += events.length;
      const total = sum + events.reduce((a, b) => a + b, 0);
      if (meter.handled < TOTAL) return total;
      send(owner, { done: total });
      return stop("normal", total);
    },
  };
}

/** What the example found, for its test. */
export interface BackPressureResult {
  /** Events the consumer handled: `TOTAL`. */
  readonly handled: number;
  /** The sum of the handled events: 0 + 1 + ... + 99, each once and in order. */
  readonly sum: number;
  /** Events the producer made; at most `handled + maxDemand`. */
  readonly generated: number;
  /** The most events the producer ever was ahead of the consumer: `maxDemand`. */
  readonly maxAhead: number;
  /** The largest demand the producer was asked for: `maxDemand` (at subscription). */
  readonly largestDemand: number;
  /** The largest batch the consumer got: `maxDemand - minDemand`. */
  readonly largestBatch: number;
  /** How far ahead a push producer of the same `TOTAL` events would have been: all of them. */
  readonly pushAhead: number;
}

export async function main(log: (line: string) => void = console.log): Promise<BackPressureResult> {
  const clock = currentRuntime().clock;
  const meter: Meter = { generated: 0, handled: 0, maxAhead: 0, demands: [], batches: [] };

  const run = Task.async(async (self): Promise<BackPressureResult> => {
    const started = clock.now();
    const producer = await GenStage.start(numbers(meter), undefined);
    await GenStage.start(slowConsumer(meter, self.pid, producer), undefined);
    const { done: sum } = (await self.receive({
      match: (m) => typeof m === "object" && m !== null && "done" in m,
    })) as { done: number };
    const elapsed = clock.now() - started;
    await GenStage.stop(producer);

    log(
      `handled ${meter.handled} events in ${meter.batches.length} batches of at most ` +
        `${Math.max(...meter.batches)}; the producer made ${meter.generated}, ` +
        `never more than ${meter.maxAhead} ahead (maxDemand ${MAX_DEMAND})`,
    );
    // What the same producer would have done pushing: measure how fast it makes events.
    const probe = 100_000;
    const t0 = performance.now();
    range(0, probe);
    const perMs = probe / Math.max(performance.now() - t0, 0.001);
    log(
      `pushing instead, it would have queued all ${TOTAL} before the first batch was handled; ` +
        `an endless one, about ${Math.round(perMs * elapsed).toLocaleString("en")} events ` +
        `in the ${Math.round(elapsed)} ms the consumer took`,
    );

    return {
      handled: meter.handled,
      sum,
      generated: meter.generated,
      maxAhead: meter.maxAhead,
      largestDemand: Math.max(...meter.demands),
      largestBatch: Math.max(...meter.batches),
      pushAhead: TOTAL,
    };
  });
  return Task.await(run, 10_000);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) await main();
