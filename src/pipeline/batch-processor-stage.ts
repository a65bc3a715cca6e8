/**
 * @internal A batch processor: runs `handleBatch` on one batch at a time from its batcher, then
 * `handleFailed` on the failed messages, and acknowledges the batch. Exits when its batcher
 * cancels it (a drain).
 */
import { stop } from "../gen-server/directives.js";
import { isNormalExit } from "../kernel/exit.js";
import { consumer, type Definition } from "../stage/definition.js";
import { acknowledge, type Report } from "./ack.js";
import type { Batch } from "./batcher-stage.js";
import type { BatcherConfig, Core } from "./core.js";
import { handleFailed, type Outcome, processBatch } from "./handlers.js";
import type { ProcessorStats } from "./stats.js";

interface State {
  readonly core: Core;
  readonly stats: ProcessorStats;
  readonly report: Report;
}

export interface BatchProcessorArg {
  readonly core: Core;
  readonly config: BatcherConfig;
  readonly index: number;
}

export const batchProcessorStage: Definition<Batch, never, State, BatchProcessorArg> = {
  init({ core, config, index }, self) {
    const partitioned = config.partitionBy !== undefined && config.concurrency > 1;
    const state: State = {
      core,
      stats: core.counters.batchProcessors.get(config.name)?.[index] as ProcessorStats,
      report: (error) => core.report(self, error),
    };
    return consumer(state, {
      subscribeTo: [
        {
          to: core.batcherName(config.name),
          maxDemand: 1,
          minDemand: 0,
          cancel: "temporary",
          ...(partitioned ? { partition: index } : {}),
        },
      ],
    });
  },

  handleCancel(info, _from, state) {
    // Upstream's crash is reported once, by upstream; the supervisor restarts this group anyway.
    const crashed = info.kind === "down" && !isNormalExit(info.reason);
    return stop(crashed ? { shutdown: info.reason } : "normal", state);
  },

  handleEvents(batches, _from, state) {
    return run(state, batches, 0);
  },
};

function run(state: State, batches: readonly Batch[], from: number): State | Promise<State> {
  for (let i = from; i < batches.length; i++) {
    const batch = batches[i] as Batch;
    state.stats.received += batch.messages.length;
    const outcome = processBatch(state.core, batch.messages, {
      batcher: batch.batcher,
      batchKey: batch.key,
      partition: batch.partition,
      size: batch.messages.length,
      trigger: batch.trigger,
    });
    if (outcome instanceof Promise) {
      return outcome.then((o) => finish(state, o)).then(() => run(state, batches, i + 1));
    }
    const pending = finish(state, outcome);
    if (pending !== undefined) return pending.then(() => run(state, batches, i + 1));
  }
  return state;
}

function finish(state: State, outcome: Outcome): void | Promise<void> {
  const { ok, failed } = outcome;
  const stats = state.stats;
  stats.batches++;
  stats.succeeded += ok.length;
  stats.failed += failed.length;
  const pending = failed.length > 0 ? handleFailed(state.core, failed) : undefined;
  if (pending === undefined) return acknowledge(ok, failed, state.report);
  return pending.then(() => acknowledge(ok, failed, state.report));
}
