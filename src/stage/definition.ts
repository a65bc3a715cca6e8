/** The callbacks of a stage and what they return. */

import type { Ignore, Reply, Stop } from "../gen-server/directives.js";
import type { From } from "../gen-server/protocol.js";
import type { ExitReason } from "../kernel/exit.js";
import type { Self } from "../kernel/process.js";
import { keepShape } from "../kernel/shapes.js";
import type { ConsumerOptions, ProducerConsumerOptions, ProducerOptions } from "./options.js";
import type { CancelInfo, StageFrom } from "./subscription.js";

/** The three kinds of stage. */
export type StageKind = "producer" | "producerConsumer" | "consumer";

/** Returned by `init`: the stage's kind, first state and options. Made by {@link producer} & co. */
export class StageInit<S = unknown> {
  constructor(
    readonly kind: StageKind,
    readonly state: S,
    readonly options: unknown,
  ) {}
}

/** Returned by a callback of a producer or producer-consumer: emit `events`, keep `state`. */
export class Emit<E = unknown, S = unknown> {
  constructor(
    readonly events: readonly E[],
    readonly state: S,
  ) {}
}
// One per callback that emits, all dead between bursts: see keepShape.
keepShape(new Emit([], undefined));

/**
 * `init` of a producer: start with `state`; `handleDemand` then produces events.
 *
 * @example
 * ```ts
 * init: (start: number) => GenStage.producer(start, { bufferSize: 1000, bufferKeep: "first" })
 * ```
 */
export function producer<S>(state: S, options?: ProducerOptions): StageInit<S> {
  return new StageInit("producer", state, options);
}

/**
 * `init` of a producer-consumer: `handleEvents` gets events from its producers and emits
 * events to its consumers.
 *
 * @example
 * ```ts
 * init: () => GenStage.producerConsumer(undefined, { subscribeTo: [{ to: source, maxDemand: 100 }] })
 * ```
 */
export function producerConsumer<S>(state: S, options?: ProducerConsumerOptions): StageInit<S> {
  return new StageInit("producerConsumer", state, options);
}

/**
 * `init` of a consumer: `handleEvents` gets events from its producers.
 *
 * @example
 * ```ts
 * init: () => GenStage.consumer(0, { subscribeTo: [producerPid] })
 * ```
 */
export function consumer<S>(state: S, options?: ConsumerOptions): StageInit<S> {
  return new StageInit("consumer", state, options);
}

/**
 * A producer's (or producer-consumer's) callback result: send `events` downstream (what demand
 * does not cover waits in the buffer) and continue with `state`. Elixir's
 * `{:noreply, events, state}`.
 *
 * @example
 * ```ts
 * handleDemand: (demand, next) => GenStage.emit(range(next, demand), next + demand)
 * ```
 */
export function emit<E, S>(events: readonly E[], state: S): Emit<E, S> {
  return new Emit(events, state);
}

type MaybeAsync<T> = T | PromiseLike<T>;

/**
 * What a stage callback may return: the new state, `emit(events, state)` (producers and
 * producer-consumers) or `stop(reason, state)`.
 */
export type StageResult<S, E = never> = S | Emit<E, S> | Stop<unknown, unknown>;

/**
 * The callbacks of a stage consuming `In` events and producing `Out` events, with state `S` and
 * init argument `A`. `init` picks the kind; a producer needs `handleDemand`, a consumer and a
 * producer-consumer need `handleEvents`. Any callback may be async (messages wait for it); a
 * synchronous one costs no Promise.
 *
 * @example
 * ```ts
 * const counter: GenStage.Definition<never, number, number, number> = {
 *   init: (start) => GenStage.producer(start),
 *   handleDemand: (demand, next) =>
 *     GenStage.emit(Array.from({ length: demand }, (_, i) => next + i), next + demand),
 * };
 * ```
 */
export interface Definition<In, Out, S, A = undefined> {
  init(arg: A, self: Self): MaybeAsync<StageInit<S> | Ignore | Stop<never, never>>;
  /** Producer: consumers asked for `demand` more events (beyond what the buffer held). */
  handleDemand?(demand: number, state: S, self: Self): MaybeAsync<StageResult<S, Out>>;
  /** Consumer, producer-consumer: events from the producer of subscription `from`. */
  handleEvents?(
    events: readonly In[],
    from: StageFrom,
    state: S,
    self: Self,
  ): MaybeAsync<StageResult<S, Out>>;
  /**
   * A subscription started: `"producer"` when this stage subscribed to a producer (from its
   * side), `"consumer"` when a consumer subscribed to this one.
   */
  handleSubscribe?(
    kind: "producer" | "consumer",
    options: unknown,
    from: StageFrom,
    state: S,
    self: Self,
  ): MaybeAsync<StageResult<S, Out>>;
  /** A subscription ended: cancelled (`kind: "cancel"`) or its other side exited (`"down"`). */
  handleCancel?(
    cancel: CancelInfo,
    from: StageFrom,
    state: S,
    self: Self,
  ): MaybeAsync<StageResult<S, Out>>;
  /** Any other message: timers, DOWN messages, infos from `GenStage.syncInfo`. */
  handleInfo?(message: unknown, state: S, self: Self): MaybeAsync<StageResult<S, Out>>;
  /** `GenStage.call(stage, request, arg)`: reply with `reply(value, state)` or `GenStage.reply`. */
  handleCall?(
    request: string,
    arg: unknown,
    from: From<unknown>,
    state: S,
    self: Self,
  ): MaybeAsync<StageResult<S, Out> | Reply<unknown, S>>;
  /** `GenStage.cast(stage, request, arg)`. */
  handleCast?(request: string, arg: unknown, state: S, self: Self): MaybeAsync<StageResult<S, Out>>;
  /** Runs before the stage exits, as GenServer's. */
  terminate?(reason: ExitReason, state: S, self: Self): void | PromiseLike<void>;
}

/** @internal The untyped view the stage runs. */
export interface AnyDefinition {
  init(arg: unknown, self: Self): unknown;
  handleDemand?(demand: number, state: unknown, self: Self): unknown;
  handleEvents?(events: readonly unknown[], from: StageFrom, state: unknown, self: Self): unknown;
  handleSubscribe?(
    kind: "producer" | "consumer",
    options: unknown,
    from: StageFrom,
    state: unknown,
    self: Self,
  ): unknown;
  handleCancel?(cancel: CancelInfo, from: StageFrom, state: unknown, self: Self): unknown;
  handleInfo?(message: unknown, state: unknown, self: Self): unknown;
  handleCall?(request: string, arg: unknown, from: unknown, state: unknown, self: Self): unknown;
  handleCast?(request: string, arg: unknown, state: unknown, self: Self): unknown;
  terminate?(reason: ExitReason, state: unknown, self: Self): unknown;
}
