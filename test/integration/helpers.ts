// What the broker integration tests share: waiting on real time, counting deliveries, and a
// pipeline whose handlers fail at random.
import assert from "node:assert/strict";
import { Pipeline, type ProducerDefinition } from "beamish/pipeline";

/** Waits, in real time, until `condition` holds; fails after `ms`. */
export async function until(
  condition: () => boolean | Promise<boolean>,
  ms = 15_000,
  what = "condition",
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) assert.fail(`${what} not reached within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Counts how many times each id reached a successful `handleBatch`. */
export class Ledger {
  readonly counts = new Map<number, number>();
  add(id: number): void {
    this.counts.set(id, (this.counts.get(id) ?? 0) + 1);
  }
  get unique(): number {
    return this.counts.size;
  }
  get duplicates(): number {
    let extra = 0;
    for (const n of this.counts.values()) extra += n - 1;
    return extra;
  }
}

/**
 * Starts a pipeline over `producer` whose handlers fail at random: `failure` of the messages in
 * handleMessage and half that in handleBatch, each time they come. Ids that reach a successful
 * handleBatch go to `ledger`.
 */
export function startRandomlyFailing(
  producer: ProducerDefinition<{ id: number }>,
  ledger: Ledger,
  failure: number,
): Promise<Pipeline<{ id: number }>> {
  return Pipeline.start({
    producer: { module: producer },
    processors: { default: { concurrency: 4, maxDemand: 10 } },
    batchers: { default: { batchSize: 50, batchTimeout: 20 } },
    handleMessage: (_processor, message) => {
      if (Math.random() < failure) throw new Error("random handler failure");
      return message;
    },
    handleBatch: (_batcher, messages) =>
      messages.map((m) => {
        if (Math.random() < failure / 2) return m.fail("random batch failure");
        ledger.add((m.data as { id: number }).id);
        return m;
      }),
  });
}
