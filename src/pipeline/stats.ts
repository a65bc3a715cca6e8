/**
 * Counters of a running pipeline, kept by its stages as plain numbers (no message per update)
 * and read at any time through `pipeline.stats()`.
 */

/** A producer stage's counters. */
export interface ProducerStats {
  /** Messages sent to processors. */
  emitted: number;
  /** Messages emitted by the producer and waiting for demand or the rate limit. */
  waiting: number;
}

/** A processor's or batch processor's counters. */
export interface ProcessorStats {
  received: number;
  /** Processors: acknowledged or forwarded to a batcher. Batch processors: acknowledged. */
  succeeded: number;
  failed: number;
  /** Batch processors: batches handled. */
  batches: number;
}

/** A batcher's counters. */
export interface BatcherStats {
  received: number;
  /** Batches handed to batch processors. */
  batches: number;
  /** Messages in batches still open. */
  pending: number;
  /** Messages failed by the batcher itself: in open batches when it exited abnormally. */
  failed: number;
}

/** A snapshot of a pipeline's counters. */
export interface PipelineStats {
  /** Messages that reached a processor. */
  readonly received: number;
  /** Acknowledged as successful. */
  readonly succeeded: number;
  /** Acknowledged as failed. */
  readonly failed: number;
  /** Received, not yet acknowledged. */
  readonly inFlight: number;
  readonly batches: number;
  readonly producers: readonly Readonly<ProducerStats>[];
  readonly processors: readonly Readonly<ProcessorStats>[];
  readonly batchers: Readonly<
    Record<
      string,
      Readonly<BatcherStats> & { readonly processors: readonly Readonly<ProcessorStats>[] }
    >
  >;
}

const processorStats = (): ProcessorStats => ({ received: 0, succeeded: 0, failed: 0, batches: 0 });

/** @internal The live counters; stages write, `snapshot` reads. */
export class Counters {
  readonly producers: ProducerStats[];
  readonly processors: ProcessorStats[];
  readonly batchers = new Map<string, BatcherStats>();
  readonly batchProcessors = new Map<string, ProcessorStats[]>();

  constructor(
    producers: number,
    processors: number,
    batchers: readonly (readonly [string, number])[],
  ) {
    this.producers = Array.from({ length: producers }, () => ({ emitted: 0, waiting: 0 }));
    this.processors = Array.from({ length: processors }, processorStats);
    for (const [name, concurrency] of batchers) {
      this.batchers.set(name, { received: 0, batches: 0, pending: 0, failed: 0 });
      this.batchProcessors.set(name, Array.from({ length: concurrency }, processorStats));
    }
  }

  snapshot(): PipelineStats {
    const sum = (list: readonly ProcessorStats[], key: keyof ProcessorStats) =>
      list.reduce((total, s) => total + s[key], 0);
    const received = sum(this.processors, "received");
    const batchProcessors = [...this.batchProcessors.values()].flat();
    const batched = this.batchers.size > 0;
    // With batchers a processor's success is a hand-over, not an acknowledgement.
    const succeeded = batched
      ? sum(batchProcessors, "succeeded")
      : sum(this.processors, "succeeded");
    let failed = sum(this.processors, "failed") + sum(batchProcessors, "failed");
    for (const stats of this.batchers.values()) failed += stats.failed;
    const batchers: Record<string, BatcherStats & { processors: ProcessorStats[] }> = {};
    for (const [name, stats] of this.batchers) {
      batchers[name] = {
        ...stats,
        processors: (this.batchProcessors.get(name) ?? []).map((s) => ({ ...s })),
      };
    }
    return {
      received,
      succeeded,
      failed,
      inFlight: received - succeeded - failed,
      batches: sum(batchProcessors, "batches"),
      producers: this.producers.map((s) => ({ ...s })),
      processors: this.processors.map((s) => ({ ...s })),
      batchers,
    };
  }
}
