/**
 * @internal A batch processor: runs `handleBatch` on one batch at a time from its batcher, then
 * `handleFailed` on the failed messages, and acknowledges the batch. Exits when its batcher
 * cancels it (a drain).
 */
import { stop } from "../gen-server/directives.js";
import { isNormalExit } from "../kernel/exit.js";
import type { Self } from "../kernel/process.js";
import { consumer, type Definition } from "../stage/definition.js";
import { acknowledge } from "./ack.js";
import type { Batch } from "./batcher-stage.js";
import type { BatcherConfig, Core } from "./core.js";
import { handleFailed, type Outcome, processBatch } from "./handlers.js";
import type { ProcessorStats } from "./stats.js";

interface State {
  readonly core: Core;
  readonly stats: ProcessorStats;
}

export interface BatchProcessorArg {
  readonly core: Core;
  readonly config: BatcherConfig;
  readonly index: number;
}

export const batchProcessorStage: Definition<Batch, never, State, BatchProcessorArg> = {
  init({ core, config, index }) {
    const partitioned = config.partitionBy !== undefined && config.concurrency > 1;
    const state: State = {
      core,
      stats: core.counters.batchProcessors.get(config.name)?.[index] as ProcessorStats,
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
    return stop(info.kind === "down" && !isNormalExit(info.reason) ? info.reason : "normal", state);
  },

  handleEvents(batches, _from, state, self) {
    return run(state, batches, 0, self);
  },
};

function run(
  state: State,
  batches: readonly Batch[],
  from: number,
  self: Self,
): State | Promise<State> {
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
      return outcome
        .then((o) => finish(state, o, self))
        .then(() => run(state, batches, i + 1, self));
    }
    const pending = finish(state, outcome, self);
    if (pending !== undefined) return pending.then(() => run(state, batches, i + 1, self));
  }
  return state;
}

function finish(state: State, { ok, failed }: Outcome, self: Self): void | Promise<void> {
  const { core, stats } = state;
  stats.batches++;
  stats.succeeded += ok.length;
  stats.failed += failed.length;
  const ack = () => acknowledge(ok, failed, (error) => core.report(self, error));
  const pending = failed.length > 0 ? handleFailed(core, failed) : undefined;
  if (pending === undefined) return ack();
  return pending.then(ack);
}
