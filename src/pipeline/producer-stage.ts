/**
 * @internal The producer stage: runs one copy of the user's producer and keeps the pipeline's
 * promises about it: never more messages downstream than demanded, the rate limit, surplus
 * kept rather than lost, and draining on stop.
 */
import { send } from "../kernel/api.js";
import type { ExitReason } from "../kernel/exit.js";
import type { Self } from "../kernel/process.js";
import { Queue } from "../kernel/queue.js";
import { type Definition, Emit, emit, producer } from "../stage/definition.js";
import { DemandDispatcher } from "../stage/dispatcher.js";
import { asyncInfo, cancel } from "../stage/gen-stage.js";
import { PartitionDispatcher } from "../stage/partition-dispatcher.js";
import type { StageFrom } from "../stage/subscription.js";
import { type Core, partitioner } from "./core.js";
import type { ProducerDefinition } from "./definition.js";
import { ProducerOverflowError } from "./errors.js";
import type { Message } from "./message.js";
import type { ProducerStats } from "./stats.js";

/** Sent by the terminator: stop asking the producer, flush, then cancel the processors. */
export const DRAIN = Symbol("beamish.pipeline.drain");
/** Sent to a stage by itself once everything before it in its buffer went downstream. */
export const CANCEL_CONSUMERS = Symbol("beamish.pipeline.cancelConsumers");
const REFILL = Symbol("beamish.pipeline.refill");
const NO_MESSAGES: readonly Message[] = Object.freeze([]);

/** Messages put straight into a producer stage (`Pipeline.testMessages`, `push`). */
export class Inject {
  constructor(readonly messages: readonly Message[]) {}
}

interface State {
  readonly core: Core;
  readonly index: number;
  readonly inner: ProducerDefinition;
  readonly stats: ProducerStats;
  readonly surplus: Queue<Message>;
  readonly consumers: StageFrom[];
  innerState: unknown;
  /** Demanded by processors, not yet sent. */
  demand: number;
  /** Demanded from the producer, not yet emitted by it. */
  outstanding: number;
  draining: boolean;
  waitingForRefill: boolean;
  overflowReported: boolean;
}

type Result = State | Emit<Message, State>;

export interface ProducerArg {
  readonly core: Core;
  readonly index: number;
}

export const producerStage: Definition<never, Message, State, ProducerArg> = {
  async init({ core, index }, self) {
    self.trapExit(true);
    const inner = core.producer;
    const innerState = await inner.init(
      { pipeline: core.name, index, concurrency: core.producerConcurrency },
      self,
    );
    const partitionBy = core.partitionBy;
    const dispatcher =
      partitionBy === undefined
        ? new DemandDispatcher<Message>()
        : new PartitionDispatcher<Message>({
            partitions: core.processorConcurrency,
            hash: partitioner(partitionBy, core.processorConcurrency),
          });
    const state: State = {
      core,
      index,
      inner,
      stats: core.counters.producers[index] as ProducerStats,
      surplus: new Queue<Message>(),
      consumers: [],
      innerState,
      demand: 0,
      outstanding: 0,
      draining: false,
      waitingForRefill: false,
      overflowReported: false,
    };
    return producer(state, { dispatcher, bufferSize: Infinity });
  },

  handleSubscribe(kind, _options, from, state) {
    if (kind === "consumer") state.consumers.push(from);
    return state;
  },

  handleCancel(_cancel, from, state) {
    const at = state.consumers.indexOf(from);
    if (at >= 0) state.consumers.splice(at, 1);
    return state;
  },

  handleDemand(demand, state, self) {
    state.demand += demand;
    return pump(state, self);
  },

  handleInfo(message, state, self) {
    if (message === REFILL) {
      state.waitingForRefill = false;
      return pump(state, self);
    }
    if (message instanceof Inject) {
      for (const m of message.messages) state.surplus.push(m);
      state.stats.waiting = state.surplus.length;
      return pump(state, self);
    }
    if (message === DRAIN) return drain(state, self);
    if (message === CANCEL_CONSUMERS) {
      for (const from of state.consumers.splice(0)) cancel(from, "shutdown");
      return state;
    }
    const handle = state.inner.handleInfo;
    if (handle === undefined) return state;
    return then(handle.call(state.inner, message, state.innerState, self), (result) =>
      accept(state, self, result),
    );
  },

  async terminate(reason: ExitReason, state, self) {
    state.core.limiter?.stop();
    await state.inner.terminate?.(reason, state.innerState, self);
  },
};

function then<T, R>(value: T | PromiseLike<T>, fn: (value: T) => R): R | Promise<R> {
  if (typeof (value as PromiseLike<T>)?.then === "function") {
    return Promise.resolve(value).then(fn);
  }
  return fn(value as T);
}

/** Sends what demand and the rate limit allow, then asks the producer for the rest. */
function pump(state: State, self: Self): Result | Promise<Result> {
  const out = takeSurplus(state, self);
  if (state.draining || state.surplus.length > 0 || state.demand <= state.outstanding) {
    return finish(state, out);
  }
  let ask = state.demand - state.outstanding;
  const limiter = state.core.limiter;
  if (limiter !== undefined) {
    ask = Math.min(ask, limiter.available);
    if (ask === 0) {
      waitForRefill(state, self);
      return finish(state, out);
    }
  }
  state.outstanding += ask;
  const result = state.inner.handleDemand(ask, state.innerState, self);
  // No closure per demand while the producer answers synchronously (the usual case).
  if (typeof (result as PromiseLike<unknown>)?.then === "function") {
    return Promise.resolve(result).then((value) => afterDemand(state, self, out, value));
  }
  return afterDemand(state, self, out, result);
}

/** Takes what `handleDemand` emitted, behind the surplus `out` that went first. */
function afterDemand(state: State, self: Self, out: readonly Message[], result: unknown): Result {
  const accepted = accept(state, self, result);
  if (out.length === 0) return accepted;
  const more = finish(state, out);
  return accepted instanceof Emit ? emit(out.concat(accepted.events), state) : more;
}

function takeSurplus(state: State, self: Self): readonly Message[] {
  const surplus = state.surplus;
  if (surplus.length === 0 || state.demand === 0) return NO_MESSAGES;
  const n = allow(state, self, Math.min(state.demand, surplus.length));
  const out = new Array<Message>(n);
  for (let i = 0; i < n; i++) out[i] = surplus.shift() as Message;
  state.demand -= n;
  state.stats.waiting = surplus.length;
  return out;
}

/** How many of `wanted` messages the rate limit lets go now. */
function allow(state: State, self: Self, wanted: number): number {
  const limiter = state.core.limiter;
  if (limiter === undefined) return wanted;
  const granted = limiter.take(wanted);
  if (granted < wanted) waitForRefill(state, self);
  return granted;
}

function waitForRefill(state: State, self: Self): void {
  if (state.waitingForRefill) return;
  state.waitingForRefill = true;
  const pid = self.pid;
  state.core.limiter?.take(1, () => send(pid, REFILL));
}

/** Takes what the producer emitted: what demand allows goes now, the rest waits. */
function accept(state: State, self: Self, result: unknown): Result {
  if (!(result instanceof Emit)) {
    state.innerState = result;
    return state;
  }
  state.innerState = result.state;
  const messages = result.events as readonly Message[];
  const count = messages.length;
  if (count === 0) return state;
  if (count > state.outstanding && !state.draining && !state.overflowReported) {
    state.overflowReported = true;
    const name = state.inner.name ?? `${state.core.name}.producer.${state.index}`;
    state.core.report(self, new ProducerOverflowError(name, count, state.outstanding));
  }
  state.outstanding = Math.max(0, state.outstanding - count);
  if (state.draining) {
    for (const m of messages) state.surplus.push(m);
    return state;
  }
  if (state.surplus.length > 0) {
    for (const m of messages) state.surplus.push(m);
    return finish(state, takeSurplus(state, self));
  }
  const direct = state.demand === 0 ? 0 : allow(state, self, Math.min(count, state.demand));
  for (let i = direct; i < count; i++) state.surplus.push(messages[i] as Message);
  state.stats.waiting = state.surplus.length;
  if (direct === 0) return state;
  state.demand -= direct;
  state.stats.emitted += direct;
  // The window is spent and demand is left: nothing else asks again once it refills.
  if (state.core.limiter?.available === 0 && state.demand > state.outstanding) {
    waitForRefill(state, self);
  }
  return emit(direct === count ? messages : messages.slice(0, direct), state);
}

function finish(state: State, out: readonly Message[]): Result {
  if (out.length === 0) return state;
  state.stats.emitted += out.length;
  return emit(out, state);
}

/**
 * Stops asking the producer, lets it emit what it holds, sends everything waiting (past demand:
 * the stage's buffer keeps it, in order), and queues the cancel of the processors behind it.
 */
function drain(state: State, self: Self): Result | Promise<Result> {
  if (state.draining) return state;
  const prepare = state.inner.prepareForDraining;
  const finishDrain = (result: unknown): Result => {
    state.draining = true;
    accept(state, self, result);
    const surplus = state.surplus;
    const out = new Array<Message>(surplus.length);
    for (let i = 0; i < out.length; i++) out[i] = surplus.shift() as Message;
    state.stats.waiting = 0;
    state.stats.emitted += out.length;
    asyncInfo(self.pid, CANCEL_CONSUMERS);
    return out.length === 0 ? state : emit(out, state);
  };
  if (prepare === undefined) return finishDrain(state.innerState);
  return then(prepare.call(state.inner, state.innerState, self), finishDrain);
}
