/**
 * A data processor with back-pressure and batching: Broadway's classic shape.
 *
 * A thousand sensor readings arrive faster than the warehouse can take them. They go into a
 * pipeline:
 *
 * - `Pipeline.memory({ capacity: 20 })`: an in-memory producer with a bounded queue. `push`
 *   resolves at once while there is room, and waits once 20 readings are queued and the
 *   pipeline has not taken them yet: that wait is the back-pressure a fast source feels;
 * - 4 processors (`handleMessage`) parse and convert each reading; a reading that does not
 *   parse throws, which fails that message only (never the processor) and sends it to
 *   `handleFailed`;
 * - one batcher groups the good readings 50 at a time (or whatever arrived within 100 ms), and
 *   `handleBatch` writes each batch to a slow sink, one batch at a time;
 * - every reading is acknowledged exactly once, as success or failure (`onAck`), and
 *   `inbox.done` resolves once all of them were.
 *
 * The pipeline pulls only what it has room for: the processors ask for 10 readings each, the
 * batcher for a batch's worth from each processor, the sink takes one batch at a time. However
 * fast the pusher is and however many readings it has, what is in flight is bounded by those
 * demands: 20 queued, 4 x 10 asked by the processors, 4 x 50 asked by the batcher, and the open,
 * the waiting and the writing batch past it: a few hundred at most.
 *
 * Run it: `node --import tsx --conditions=beamish-source examples/pipeline-data-processor.ts`
 */
import { setTimeout as sleep } from "node:timers/promises";
import { pathToFileURL } from "node:url";
import { Pipeline } from "beamish/pipeline";

/** A raw reading as the sensors send it. */
interface RawReading {
  readonly id: number;
  readonly sensor: string;
  readonly celsius: string;
}

/** A reading ready for the warehouse. */
interface Reading {
  readonly id: number;
  readonly sensor: string;
  readonly fahrenheit: number;
}

const READINGS = 1000;
const CAPACITY = 20;
const BATCH_SIZE = 50;

/** Every 50th reading is garbage, as in life. */
function reading(id: number): RawReading {
  const celsius = id % 50 === 49 ? "n/a" : (15 + (id % 20) / 2).toFixed(1);
  return { id, sensor: `sensor-${id % 7}`, celsius };
}

/** What the example measured, for its test. */
export interface DataProcessorResult {
  readonly pushed: number;
  readonly succeeded: number;
  readonly failed: number;
  /** Every reading was acknowledged exactly once. */
  readonly ackedOnce: boolean;
  /** Pushes that found the queue full and waited for the pipeline. */
  readonly pushesWaited: number;
  /** The most readings ever queued at once (never above the capacity). */
  readonly peakQueued: number;
  /** The most readings ever between `push` and their acknowledgement. */
  readonly peakInFlight: number;
  readonly batches: number;
  readonly largestBatch: number;
  /** Readings the sink stored. */
  readonly stored: number;
}

export async function main(
  log: (line: string) => void = console.log,
): Promise<DataProcessorResult> {
  const acks = new Map<number, number>();
  const inbox = Pipeline.memory<RawReading>({
    capacity: CAPACITY,
    onAck: (successful, failed) => {
      for (const m of [...successful, ...failed])
        acks.set(m.data.id, (acks.get(m.data.id) ?? 0) + 1);
    },
  });
  // By the time it is acknowledged a message holds a Reading (or, failed, still the raw
  // reading): both carry the `id`.

  const warehouse: Reading[] = [];
  const deadLetters: string[] = [];
  const batchSizes: number[] = [];
  const pipeline = await Pipeline.start({
    name: "sensors",
    producer: { module: inbox },
    processors: { default: { concurrency: 4, maxDemand: 10 } },
    batchers: { warehouse: { batchSize: BATCH_SIZE, batchTimeout: 100 } },
    handleMessage: (_processor, message) =>
      message
        .update((raw): Reading => {
          const celsius = Number.parseFloat(raw.celsius);
          if (Number.isNaN(celsius)) throw new Error(`unreadable temperature ${raw.celsius}`);
          return { id: raw.id, sensor: raw.sensor, fahrenheit: celsius * 1.8 + 32 };
        })
        .putBatcher("warehouse"),
    handleBatch: async (_batcher, messages) => {
      await sleep(5); // the slow sink: one round trip per batch
      batchSizes.push(messages.length);
      for (const m of messages) warehouse.push(m.data);
      return messages;
    },
    // A dead-letter queue would go here; the messages are acknowledged as failed after it.
    handleFailed: (messages) => {
      for (const m of messages) {
        const reason = m.status.kind === "failed" ? m.status.reason : undefined;
        deadLetters.push(reason instanceof Error ? reason.message : String(reason));
      }
      return messages;
    },
  });

  // The fast source: pushes as quickly as `push` lets it.
  let pushesWaited = 0;
  let peakQueued = 0;
  let peakInFlight = 0;
  for (let id = 0; id < READINGS; id++) {
    if (inbox.size >= CAPACITY) pushesWaited++;
    await inbox.push(reading(id));
    peakQueued = Math.max(peakQueued, inbox.size);
    peakInFlight = Math.max(peakInFlight, pipeline.stats().inFlight + inbox.size);
  }
  inbox.close();
  const summary = await inbox.done;
  const stats = pipeline.stats();
  await pipeline.stop();

  log(
    `${READINGS} readings: ${summary.successful} stored in ${batchSizes.length} batches ` +
      `(largest ${Math.max(...batchSizes)}), ${summary.failed} dropped (${deadLetters[0]})`,
  );
  log(
    `back-pressure: ${pushesWaited} pushes waited for room; never more than ${peakQueued} queued, ${peakInFlight} in flight`,
  );
  log(`stats: received ${stats.received}, succeeded ${stats.succeeded}, failed ${stats.failed}`);
  return {
    pushed: READINGS,
    succeeded: summary.successful,
    failed: summary.failed,
    ackedOnce: acks.size === READINGS && [...acks.values()].every((n) => n === 1),
    pushesWaited,
    peakQueued,
    peakInFlight,
    batches: batchSizes.length,
    largestBatch: Math.max(...batchSizes),
    stored: warehouse.length,
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) await main();
