/**
 * @internal A batcher: groups the messages routed to it into batches by batch key (and
 * partition), closed when full, flushed, timed out or drained, and hands them to its batch
 * processors. Messages it holds when it exits abnormally are failed with the exit reason.
 *
 * Batch timeouts take one timer per batcher, not one per batch: every batch of a batcher has the
 * same `batchTimeout`, so the timer is armed for the earliest deadline and, when it fires, closes
 * what is due and re-arms for the next. A batch closed by size leaves the timer armed (setting
 * and clearing a clock timer per batch cost more than the rest of the batch's bookkeeping); it
 * fires at most once per timeout with nothing to do, and is cancelled when the batcher exits.
 */
import { stop } from "../gen-server/directives.js";
import { cancelTimer, sendAfter, type TimerRef } from "../kernel/api.js";
import { type ExitReason, isNormalExit } from "../kernel/exit.js";
import type { Self } from "../kernel/process.js";
import { currentRuntime } from "../kernel/runtime.js";
import { keepShape } from "../kernel/shapes.js";
import { type Definition, emit, producerConsumer } from "../stage/definition.js";
import { DemandDispatcher } from "../stage/dispatcher.js";
import { asyncInfo, cancel } from "../stage/gen-stage.js";
import { PartitionDispatcher } from "../stage/partition-dispatcher.js";
import type { StageFrom } from "../stage/subscription.js";
import { acknowledge, type Report } from "./ack.js";
import { BatchAccumulator, type OpenBatch } from "./batch-accumulator.js";
import { type BatcherConfig, type Core, partitioner } from "./core.js";
import type { BatchTrigger } from "./definition.js";
import { handleFailed } from "./handlers.js";
import type { Message } from "./message.js";
import { CANCEL_CONSUMERS } from "./producer-stage.js";
import type { BatcherStats } from "./stats.js";

/** @internal A closed batch on its way to a batch processor. */
export class Batch {
  constructor(
    readonly batcher: string,
    readonly key: unknown,
    readonly partition: number,
    readonly messages: Message[],
    readonly trigger: BatchTrigger,
  ) {}
}
// One per batch, all dead between bursts: see keepShape.
keepShape(new Batch("", undefined, 0, [], "size"));

/**
 * Sent by the batcher's timer to the batcher: close the batches whose deadline passed. One per
 * arming, so that a tick already in the mailbox when its timer was cancelled is told apart.
 */
class BatchTimeout {}

interface State {
  readonly core: Core;
  readonly config: BatcherConfig;
  readonly stats: BatcherStats;
  readonly batches: BatchAccumulator;
  readonly consumers: StageFrom[];
  producers: number;
  readonly self: Self;
  /** The one timer, armed for the earliest deadline of the open batches, and its message. */
  timer: TimerRef | undefined;
  tick: BatchTimeout | undefined;
  readonly report: Report;
  /** The batch processor a message goes to, when the batcher is partitioned. */
  readonly partition: ((message: Message) => number) | undefined;
}

export interface BatcherArg {
  readonly core: Core;
  readonly config: BatcherConfig;
}

export const batcherStage: Definition<Message, Batch, State, BatcherArg> = {
  init({ core, config }, self) {
    self.trapExit(true);
    const partitioned = config.partitionBy !== undefined && config.concurrency > 1;
    const state: State = {
      core,
      config,
      stats: core.counters.batchers.get(config.name) as BatcherStats,
      batches: new BatchAccumulator(config.batchSize, partitioned ? config.concurrency : 1),
      consumers: [],
      producers: 0,
      self,
      timer: undefined,
      tick: undefined,
      report: (error) => core.report(self, error),
      partition:
        partitioned && config.partitionBy !== undefined
          ? partitioner(config.partitionBy, config.concurrency)
          : undefined,
    };
    const subscribeTo = Array.from({ length: core.processorConcurrency }, (_, i) => ({
      to: core.processorName(i),
      ...(core.batchers.length > 1 ? { partition: config.name } : {}),
      maxDemand: config.maxDemand,
      minDemand: config.minDemand,
      cancel: "temporary" as const,
    }));
    const dispatcher = partitioned
      ? new PartitionDispatcher<Batch>({
          partitions: config.concurrency,
          hash: (batch) => batch.partition,
        })
      : new DemandDispatcher<Batch>();
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
    // Upstream's crash is reported once, by upstream; the supervisor restarts this group anyway.
    if (info.kind === "down" && !isNormalExit(info.reason)) {
      return stop({ shutdown: info.reason }, state);
    }
    state.producers--;
    if (state.producers > 0) return state;
    const out = closeAll(state, "drain");
    asyncInfo(self.pid, CANCEL_CONSUMERS);
    return out.length === 0 ? state : emit(out, state);
  },

  handleEvents(messages, _from, state) {
    const { batches, config, stats } = state;
    stats.received += messages.length;
    const partition = state.partition;
    // Most calls close no batch and fail nothing: no array for either until one is needed.
    let out: Batch[] | null = null;
    let failed: Message[] | null = null;
    for (let i = 0; i < messages.length; i++) {
      const message = messages[i] as Message;
      const index = partition === undefined ? 0 : partition(message);
      if (message.failed) {
        if (failed === null) failed = [];
        failed.push(message);
        continue;
      }
      const closed = batches.add(message, index, open, state);
      if (closed === undefined) continue;
      const full = closed.messages.length >= config.batchSize;
      if (out === null) out = [];
      out.push(close(state, closed, full ? "size" : "flush"));
    }
    stats.pending = batches.pending;
    const result = out === null ? state : emit(out, state);
    if (failed === null) return result;
    const failedMessages = failed;
    // Its partitionBy threw: the message cannot be placed in a batch.
    stats.failed += failedMessages.length;
    const settle = () => {
      acknowledge([], failedMessages, state.report);
      return result;
    };
    const pending = handleFailed(state.core, failedMessages);
    return pending === undefined ? settle() : pending.then(settle);
  },

  handleInfo(message, state) {
    if (message instanceof BatchTimeout) {
      if (message !== state.tick) return state;
      state.timer = undefined;
      state.tick = undefined;
      const batches = state.batches;
      const expired = batches.closeExpired(now());
      const next = batches.nextDeadline();
      if (next !== Number.POSITIVE_INFINITY) arm(state, next);
      state.stats.pending = batches.pending;
      if (expired.length === 0) return state;
      return emit(
        expired.map((batch) => close(state, batch, "timeout")),
        state,
      );
    }
    if (message === CANCEL_CONSUMERS) {
      for (const from of state.consumers.splice(0)) cancel(from, "shutdown");
      return stop("normal", state);
    }
    return state;
  },

  terminate(reason: ExitReason, state) {
    // A batch timer outliving its batcher would hold Node's event loop open until it fires.
    disarm(state);
    const open = state.batches.closeAll();
    state.stats.pending = 0;
    if (open.length === 0) return;
    const failed: Message[] = [];
    for (const batch of open) {
      for (const m of batch.messages) failed.push(m.fail(reason));
    }
    state.stats.failed += failed.length;
    const ack = () => acknowledge([], failed, state.report);
    // As for every failed message: handleFailed sees them before they are acknowledged.
    const pending = handleFailed(state.core, failed);
    return pending === undefined ? ack() : pending.then(ack);
  },
};

/** The time on the clock `sendAfter` takes its timers from. */
function now(): number {
  return currentRuntime().clock.now();
}

function open(batch: OpenBatch, state: State): void {
  batch.deadline = now() + state.config.batchTimeout;
  if (state.timer === undefined) arm(state, batch.deadline);
}

function arm(state: State, deadline: number): void {
  const tick = new BatchTimeout();
  state.tick = tick;
  state.timer = sendAfter(state.self.pid, tick, Math.max(0, deadline - now()));
}

function disarm(state: State): void {
  if (state.timer !== undefined) cancelTimer(state.timer);
  state.timer = undefined;
  state.tick = undefined;
}

function close(state: State, batch: OpenBatch, trigger: BatchTrigger): Batch {
  state.stats.batches++;
  return new Batch(state.config.name, batch.key, batch.partition, batch.messages, trigger);
}

function closeAll(state: State, trigger: BatchTrigger): Batch[] {
  disarm(state);
  const out = state.batches.closeAll().map((batch) => close(state, batch, trigger));
  state.stats.pending = 0;
  return out;
}
