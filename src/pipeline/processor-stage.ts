/**
 * @internal A processor: runs `handleMessage` on what it gets from the producers, acknowledges
 * failures (and, without batchers, everything), forwards the rest to the batcher each message
 * names. When every producer has cancelled it (a drain), it passes the cancel on and exits.
 */
import { stop } from "../gen-server/directives.js";
import { isNormalExit } from "../kernel/exit.js";
import { consumer, type Definition, emit, producerConsumer } from "../stage/definition.js";
import { DemandDispatcher } from "../stage/dispatcher.js";
import { asyncInfo, cancel } from "../stage/gen-stage.js";
import { PartitionDispatcher } from "../stage/partition-dispatcher.js";
import type { StageFrom } from "../stage/subscription.js";
import { acknowledge, type Report } from "./ack.js";
import type { Core } from "./core.js";
import type { ThreadedHandler } from "./definition.js";
import { handleFailed, type Outcome, processMessages } from "./handlers.js";
import type { Message } from "./message.js";
import { CANCEL_CONSUMERS } from "./producer-stage.js";
import type { ProcessorStats } from "./stats.js";

interface State {
  readonly core: Core;
  readonly stats: ProcessorStats;
  readonly consumers: StageFrom[];
  readonly batched: boolean;
  readonly report: Report;
  producers: number;
}

export interface ProcessorArg {
  readonly core: Core;
  readonly index: number;
}

export const processorStage: Definition<Message, Message, State, ProcessorArg> = {
  init({ core, index }, self) {
    const partitioned = core.partitionBy !== undefined;
    const subscribeTo = Array.from({ length: core.producerConcurrency }, (_, i) => ({
      to: core.producerName(i),
      maxDemand: core.maxDemand,
      minDemand: core.minDemand,
      cancel: "temporary" as const,
      ...(partitioned ? { partition: index } : {}),
    }));
    const state: State = {
      core,
      stats: core.counters.processors[index] as ProcessorStats,
      consumers: [],
      batched: core.batchers.length > 0,
      report: (error) => core.report(self, error),
      producers: 0,
    };
    if (!state.batched) return consumer(state, { subscribeTo });
    // With one batcher every message goes to it: no routing needed.
    const dispatcher =
      core.batchers.length === 1
        ? new DemandDispatcher<Message>()
        : new PartitionDispatcher<Message>({
            partitions: core.batcherNames,
            hash: (message) => message.batcher,
          });
    return producerConsumer(state, { subscribeTo, dispatcher });
  },

  handleSubscribe(kind, _options, from, state) {
    if (kind === "producer") state.producers++;
    else state.consumers.push(from);
    return state;
  },

  handleCancel(info, from, state, self) {
    const at = state.consumers.indexOf(from);
    if (at >= 0) {
      state.consumers.splice(at, 1);
      return state;
    }
    // A producer that died takes its unacknowledged messages with it; the pipeline restarts.
    // Reported once, by the producer; the supervisor restarts this group anyway.
    if (info.kind === "down" && !isNormalExit(info.reason)) {
      return stop({ shutdown: info.reason }, state);
    }
    state.producers--;
    if (state.producers > 0) return state;
    if (!state.batched) return stop("normal", state);
    asyncInfo(self.pid, CANCEL_CONSUMERS);
    return state;
  },

  handleInfo(message, state) {
    if (message !== CANCEL_CONSUMERS) return state;
    for (const from of state.consumers.splice(0)) cancel(from, "shutdown");
    return stop("normal", state);
  },

  handleEvents(messages, _from, state) {
    state.stats.received += messages.length;
    if (state.core.threads !== undefined) return offload(state, messages);
    const outcome = processMessages(state.core, messages);
    if (outcome instanceof Promise) return outcome.then((o) => finish(state, o));
    return finish(state, outcome);
  },
};

/**
 * The chunk's data through the processors' threads first (in order: this processor waits for
 * its chunk, so per-partition order holds), then `handleMessage` on the main thread.
 */
async function offload(state: State, messages: readonly Message[]) {
  const threads = state.core.threads as ThreadedHandler;
  const live = messages.filter((m) => !m.failed);
  if (live.length > 0) {
    try {
      const results = await threads.run(live.map((m) => ({ data: m.data, metadata: m.metadata })));
      for (let i = 0; i < live.length; i++) {
        const message = live[i] as Message;
        const result = results[i];
        if (result === undefined)
          message.fail(new TypeError("the threads returned no result for this message"));
        else if (result.ok) message.data = result.data;
        else message.fail(result.error);
      }
    } catch (error) {
      for (const message of live) message.fail(error);
    }
  }
  return finish(state, await processMessages(state.core, messages));
}

function finish(state: State, outcome: Outcome) {
  const { ok, failed } = outcome;
  state.stats.failed += failed.length;
  state.stats.succeeded += ok.length;
  const pending = failed.length > 0 ? handleFailed(state.core, failed) : undefined;
  return pending === undefined
    ? settle(state, outcome)
    : pending.then(() => settle(state, outcome));
}

function settle(state: State, { ok, failed }: Outcome) {
  if (state.batched) {
    if (failed.length > 0) acknowledge([], failed, state.report);
    return ok.length === 0 ? state : emit(ok, state);
  }
  acknowledge(ok, failed, state.report);
  return state;
}
