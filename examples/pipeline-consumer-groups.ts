/**
 * Consumer groups in a pipeline: one stream of events, routed by content to two batchers, each
 * with its own batch size, concurrency and demand.
 *
 * A shop's event stream carries page views, signups and purchases. Signups and purchases need an
 * email (a slow mail API that takes 10 at a time and can be called twice at once); page views
 * go to analytics (a warehouse that prefers 50 rows per insert, one insert at a time):
 *
 * - `batchers: { emails: { batchSize: 10, concurrency: 2 }, analytics: { batchSize: 50,
 *   concurrency: 1 } }`: each batcher is a stage of its own with its own batch processors, so a
 *   slow mail API never holds analytics back, and the reverse;
 * - `handleMessage` routes each message with `message.putBatcher(name)`, from its content;
 * - each batcher asks each processor for `maxDemand` messages (default: its `batchSize`), so
 *   the processors never run further ahead of a batcher than it asked;
 * - `pipeline.stats().batchers` counts, per batcher and per batch processor, what was received
 *   and batched.
 *
 * Run it: `node --import tsx --conditions=beamish-source examples/pipeline-consumer-groups.ts`
 */
import { setTimeout as sleep } from "node:timers/promises";
import { pathToFileURL } from "node:url";
import { Pipeline } from "beamish/pipeline";

type Kind = "pageview" | "signup" | "purchase";

interface ShopEvent {
  readonly id: number;
  readonly kind: Kind;
  readonly user: string;
}

type Group = "emails" | "analytics";

/**
 * The batchers' options. Emails ask each processor for two batches' worth (`maxDemand: 20`),
 * enough to keep both of their batch processors busy; analytics ask for one (the default).
 */
const groups = {
  emails: { batchSize: 10, concurrency: 2, maxDemand: 20, batchTimeout: 50 },
  analytics: { batchSize: 50, concurrency: 1, batchTimeout: 50 },
} as const;

/** How long one call to each sink takes (ms). */
const work: Record<Group, number> = { emails: 10, analytics: 5 };

/** 300 events: 3 page views for every signup and purchase. */
const events: ShopEvent[] = Array.from({ length: 300 }, (_, id) => ({
  id,
  kind: (["pageview", "signup", "pageview", "purchase", "pageview"] as const)[id % 5] as Kind,
  user: `user-${id % 17}`,
}));

/** One batcher's figures, for the test. */
export interface GroupFigures {
  readonly messages: number;
  readonly batches: number;
  readonly largestBatch: number;
  /** The most `handleBatch` calls of this batcher running at once. */
  readonly peakConcurrency: number;
  /** Batches handled by each of its batch processors (from `pipeline.stats()`). */
  readonly perBatchProcessor: readonly number[];
  /** Every message in this group's batches is of a kind routed to it. */
  readonly routedRight: boolean;
}

export interface ConsumerGroupsResult {
  readonly succeeded: number;
  readonly failed: number;
  readonly groups: Record<Group, GroupFigures>;
}

export async function main(
  log: (line: string) => void = console.log,
): Promise<ConsumerGroupsResult> {
  const running: Record<Group, number> = { emails: 0, analytics: 0 };
  const peak: Record<Group, number> = { emails: 0, analytics: 0 };
  const sizes: Record<Group, number[]> = { emails: [], analytics: [] };
  const routedRight: Record<Group, boolean> = { emails: true, analytics: true };

  const source = Pipeline.fromIterable(events);
  const pipeline = await Pipeline.start({
    name: "shop",
    producer: { module: source },
    processors: { default: { concurrency: 2 } },
    batchers: {
      emails: groups.emails,
      analytics: groups.analytics,
    },
    handleMessage: (_processor, message) =>
      message.putBatcher(message.data.kind === "pageview" ? "analytics" : "emails"),
    handleBatch: async (batcher, messages) => {
      const group = batcher as Group;
      running[group]++;
      peak[group] = Math.max(peak[group], running[group]);
      try {
        await sleep(work[group]); // the mail API or the warehouse insert
      } finally {
        running[group]--;
      }
      sizes[group].push(messages.length);
      const expected = (kind: Kind) => (kind === "pageview" ? "analytics" : "emails");
      if (messages.some((m) => expected(m.data.kind) !== group)) routedRight[group] = false;
      return messages;
    },
  });

  const summary = await source.done;
  const stats = pipeline.stats();
  await pipeline.stop();

  const figures = {} as Record<Group, GroupFigures>;
  for (const group of ["emails", "analytics"] as const) {
    const batcher = stats.batchers[group];
    const perBatchProcessor = batcher?.processors.map((p) => p.batches) ?? [];
    figures[group] = {
      messages: batcher?.received ?? 0,
      batches: batcher?.batches ?? 0,
      largestBatch: Math.max(...sizes[group]),
      peakConcurrency: peak[group],
      perBatchProcessor,
      routedRight: routedRight[group],
    };
    const { batchSize, concurrency } = groups[group];
    log(
      `${group}: ${figures[group].messages} messages in ${figures[group].batches} batches ` +
        `(batchSize ${batchSize}, largest ${figures[group].largestBatch}); ` +
        `${peak[group]} at once (concurrency ${concurrency}); ` +
        `batches per batch processor: [${perBatchProcessor.join(", ")}]`,
    );
  }
  log(`acknowledged: ${summary.successful} succeeded, ${summary.failed} failed`);
  return { succeeded: summary.successful, failed: summary.failed, groups: figures };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) await main();
