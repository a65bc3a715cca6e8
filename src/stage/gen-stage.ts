/**
 * The functions of the `GenStage` namespace: start stages, subscribe them, ask for events by
 * hand, switch a producer's demand mode, talk to stages as to servers.
 */

import {
  callServer,
  callTimeout,
  castServer,
  replyTo,
  serverProcess,
  stopServer,
} from "../gen-server/call.js";
import { type StartOptions, startActor } from "../gen-server/start.js";
import type { Dest } from "../kernel/api.js";
import { invalidArgument } from "../kernel/errors.js";
import type { ExitReason } from "../kernel/exit.js";
import { checkPositiveInteger } from "../kernel/options.js";
import type { Pid, Ref } from "../kernel/pid.js";
import type { Self } from "../kernel/process.js";
import type { AnyDefinition, Definition } from "./definition.js";
import { NotAConsumerError } from "./errors.js";
import { parseSubscription, type SubscriptionOptions } from "./options.js";
import { DEMAND, INFO, StageActor, SUBSCRIBE, SubscribeFailure } from "./stage-actor.js";
import { stageKind } from "./stage-kind.js";
import { CancelToProducer, ConsumerSide, ProducerSide, type StageFrom } from "./subscription.js";

/** Options of {@link call} and {@link syncSubscribe}: `timeout` in ms (default 5000). */
export interface CallOptions {
  readonly timeout?: number | undefined;
}

function checkStageDefinition(definition: unknown): AnyDefinition {
  if (typeof definition !== "object" || definition === null) {
    invalidArgument("definition", "a callbacks object with init", definition);
  }
  const d = definition as Record<string, unknown>;
  if (typeof d.init !== "function") invalidArgument("definition.init", "a function", d.init);
  for (const key of [
    "handleDemand",
    "handleEvents",
    "handleSubscribe",
    "handleCancel",
    "handleInfo",
    "handleCall",
    "handleCast",
    "terminate",
  ]) {
    if (d[key] !== undefined && typeof d[key] !== "function") {
      invalidArgument(`definition.${key}`, "a function", d[key]);
    }
  }
  return definition as AnyDefinition;
}

function startStage(
  definition: unknown,
  arg: unknown,
  options: unknown,
  parent: Self | undefined,
): Promise<Pid> {
  let checked: AnyDefinition;
  try {
    checked = checkStageDefinition(definition);
  } catch (error) {
    return Promise.reject(error);
  }
  return startActor((listener) => new StageActor(checked, arg, listener), options, parent);
}

/**
 * Starts a stage running `definition`; its `init(arg)` picks the kind (`GenStage.producer`,
 * `producerConsumer`, `consumer`) and makes the subscriptions of `subscribeTo` before `start`
 * resolves. Rejects with a `StartError` as `GenServer.start` does (its reason the
 * `InvalidArgumentError` of a bad option, or the `NotAProducerError`/`NoProcError` of a
 * subscription that cannot be made). Options: `name`, `timeout` (5000), `trapExit`.
 *
 * @example
 * ```ts
 * const producer = await GenStage.start({
 *   init: (n: number) => GenStage.producer(n),
 *   handleDemand: (demand, n) => GenStage.emit(Array.from({ length: demand }, (_, i) => n + i), n + demand),
 * }, 0);
 * ```
 */
export function start<In, Out, S, A>(
  definition: Definition<In, Out, S, A>,
  arg: A,
  options?: StartOptions,
): Promise<Pid> {
  return startStage(definition, arg, options, undefined);
}

/**
 * Like {@link start}, linked to `self` (its parent), as a supervisor starts its children.
 *
 * @example
 * ```ts
 * const consumer = await GenStage.startLink(self, printer, undefined);
 * ```
 */
export function startLink<In, Out, S, A>(
  self: Self,
  definition: Definition<In, Out, S, A>,
  arg: A,
  options?: StartOptions,
): Promise<Pid> {
  return startStage(definition, arg, options, self);
}

function checkConsumer(stage: Dest): void {
  const process = serverProcess(stage);
  if (process === undefined) return;
  const kind = stageKind(process);
  if (kind === undefined) throw new NotAConsumerError(stage, "process");
  if (kind === "producer") throw new NotAConsumerError(stage, "producer");
}

/**
 * Subscribes the consumer (or producer-consumer) `stage` to the producer `options.to` and
 * resolves with the subscription's ref once made. Rejects with `InvalidArgumentError` for bad
 * options (`maxDemand` not a positive integer, `minDemand` not below `maxDemand`, ...),
 * `NotAConsumerError` when `stage` cannot consume, `NotAProducerError` when `to` is no
 * producer, `NoProcError` when `to` or `stage` is not alive.
 *
 * @example
 * ```ts
 * const ref = await GenStage.syncSubscribe(consumer, { to: producer, maxDemand: 50, cancel: "transient" });
 * ```
 */
export async function syncSubscribe<T>(
  stage: Dest,
  options: SubscriptionOptions<T>,
  callOptions?: CallOptions,
): Promise<Ref> {
  const parsed = parseSubscription(options, "options");
  const timeout = callTimeout(callOptions);
  checkConsumer(stage);
  const outcome = await callServer(stage, SUBSCRIBE, parsed, timeout);
  if (outcome instanceof SubscribeFailure) throw outcome.error;
  return outcome as Ref;
}

/**
 * Like {@link syncSubscribe} without waiting: a subscription that cannot be made cancels as a
 * cancelled one does (a permanent or transient subscriber exits with the error). Bad options
 * throw at once.
 *
 * @example
 * ```ts
 * GenStage.asyncSubscribe(consumer, { to: "events", maxDemand: 10 });
 * ```
 */
export function asyncSubscribe<T>(stage: Dest, options: SubscriptionOptions<T>): void {
  const parsed = parseSubscription(options, "options");
  checkConsumer(stage);
  castServer(stage, SUBSCRIBE, parsed);
}

/**
 * Asks the producer of subscription `from` for `count` more events: how a consumer with
 * `demand: "manual"` pulls. Call it from the consumer stage's own callbacks.
 *
 * @example
 * ```ts
 * handleSubscribe: (kind, _opts, from, state) => { GenStage.ask(from, 10); return state; }
 * ```
 */
export function ask(from: StageFrom, count: number): void {
  if (!(from instanceof ConsumerSide))
    invalidArgument("from", "the `from` of a subscription", from);
  checkPositiveInteger(count, "count");
  if (from.active) from.ask(count);
}

/**
 * Cancels subscription `from` with `reason` (default `"normal"`), from either side: a consumer
 * passes the `from` of its producer, a producer the `from` its `handleSubscribe("consumer")`
 * got. The producer forgets the subscription, then the consumer's `handleCancel` runs and its
 * cancel mode applies (a permanent subscriber exits with `reason`, as in GenStage). Events the
 * producer sent before arrive before the cancel.
 *
 * @example
 * ```ts
 * GenStage.cancel(from, "shutdown");
 * ```
 */
export function cancel(from: StageFrom, reason: ExitReason = "normal"): void {
  if (from instanceof ConsumerSide) {
    from.producer.deliver(new CancelToProducer(from.ref, reason));
  } else if (from instanceof ProducerSide) {
    // Through the producer's own mailbox, so it runs as a consumer's cancel would.
    from.owner.deliver(new CancelToProducer(from.ref, reason));
  } else {
    invalidArgument("from", "the `from` of a subscription", from);
  }
}

/**
 * Switches a producer's demand mode: `"accumulate"` holds the demand consumers send, `"forward"`
 * passes what was held to `handleDemand` at once and the rest as it comes.
 *
 * @example
 * ```ts
 * // started with GenStage.producer(state, { demand: "accumulate" })
 * GenStage.demand(producer, "forward");
 * ```
 */
export function demand(stage: Dest, mode: "forward" | "accumulate"): void {
  if (mode !== "forward" && mode !== "accumulate") {
    invalidArgument("mode", 'one of "forward", "accumulate"', mode);
  }
  castServer(stage, DEMAND, mode);
}

/**
 * Sends `message` to the stage's `handleInfo` once the events its buffer holds now have been
 * dispatched (at once when it holds none); resolves when the stage has queued it.
 *
 * @example
 * ```ts
 * await GenStage.syncInfo(producer, "flushed");
 * ```
 */
export function syncInfo(stage: Dest, message: unknown, options?: CallOptions): Promise<void> {
  let timeout: number;
  try {
    timeout = callTimeout(options);
  } catch (error) {
    return Promise.reject(error);
  }
  return callServer(stage, INFO, message, timeout) as Promise<void>;
}

/** Like {@link syncInfo} without waiting. @example `GenStage.asyncInfo(producer, "flushed")` */
export function asyncInfo(stage: Dest, message: unknown): void {
  castServer(stage, INFO, message);
}

/**
 * Calls the stage's `handleCall(request, arg, from, state)`; as `GenServer.call` (timeout
 * default 5000 ms, typed errors).
 *
 * @example
 * ```ts
 * const count = await GenStage.call(consumer, "count");
 * ```
 */
export function call<R = unknown>(
  stage: Dest,
  request: string,
  arg?: unknown,
  options?: CallOptions,
): Promise<R> {
  let timeout: number;
  try {
    timeout = callTimeout(options);
  } catch (error) {
    return Promise.reject(error);
  }
  return callServer(stage, request, arg, timeout) as Promise<R>;
}

/** Casts to the stage's `handleCast(request, arg, state)`. @example `GenStage.cast(stage, "reset")` */
export function cast(stage: Dest, request: string, arg?: unknown): void {
  castServer(stage, request, arg);
}

/** Replies to a call later, as `GenServer.reply`. @example `GenStage.reply(from, 42)` */
export function reply(from: unknown, value: unknown): void {
  replyTo(from, value);
}

/**
 * Stops the stage: `terminate(reason)` runs, then it exits (its subscriptions end with it).
 *
 * @example
 * ```ts
 * await GenStage.stop(producer);
 * ```
 */
export function stop(
  stage: Dest,
  reason: ExitReason = "normal",
  timeout = Infinity,
): Promise<void> {
  try {
    return stopServer(stage, reason, timeout);
  } catch (error) {
    return Promise.reject(error);
  }
}
