/**
 * The stage process: an actor turning mailbox messages into callback runs, like GenServer's,
 * with the subscription protocol on top. Synchronous callbacks take the fast path (no Promise
 * per batch); an async one holds the mailbox until it settles.
 */

import { CastTag, PendingCall, StopRequest } from "../gen-server/call.js";
import {
  Directive,
  IGNORE,
  NOREPLY,
  type NoReply,
  REPLY,
  type Reply,
  STOP,
  type Stop,
} from "../gen-server/directives.js";
import { BadReturnError } from "../gen-server/errors.js";
import type { StartListener } from "../gen-server/server.js";
import { resolve } from "../kernel/api.js";
import { invalidArgument } from "../kernel/errors.js";
import { ExitMessage, type ExitReason, isNormalExit, NoProcError } from "../kernel/exit.js";
import { attachHook, detachHook } from "../kernel/hooks.js";
import { type Actor, isThenable, type Process } from "../kernel/process.js";
import { Queue } from "../kernel/queue.js";
import { type AnyDefinition, Emit, StageInit, type StageKind } from "./definition.js";
import { SubscriptionDemand } from "./demand.js";
import type { DispatcherSubscribeOptions } from "./dispatcher.js";
import { NotAProducerError, StageKindError } from "./errors.js";
import {
  consumerOptions,
  type ParsedSubscription,
  parseSubscription,
  producerConsumerOptions,
  producerOptions,
} from "./options.js";
import { FreedDemand, ProducerCore } from "./producer.js";
import {
  AskMessage,
  CancelToConsumer,
  CancelToProducer,
  ConsumerSide,
  EventsMessage,
  ProducerSide,
  StageCleanup,
  type StageFrom,
  SubscribeMessage,
} from "./subscription.js";

type Step = boolean | Promise<boolean>;

/** @internal Requests of the GenStage API, sent as calls and casts with these names. */
export const SUBSCRIBE = "$gen_stage:subscribe";
/** @internal */
export const DEMAND = "$gen_stage:demand";
/** @internal */
export const INFO = "$gen_stage:info";

/** @internal What `syncSubscribe` gets back when subscribing failed. */
export class SubscribeFailure {
  constructor(readonly error: unknown) {}
}

/** Events a producer-consumer took from a producer but has no downstream demand for yet. */
class Pending {
  constructor(
    readonly side: ConsumerSide,
    readonly events: readonly unknown[],
    public offset: number,
  ) {}
}

const stages = new WeakMap<Process, StageActor>();

/** @internal The kind of the stage behind `process`: `null` while it starts, `undefined` if none. */
export function stageKind(process: Process): StageKind | null | undefined {
  const actor = stages.get(process);
  return actor === undefined ? undefined : actor.kind;
}

/** @internal */
export class StageActor implements Actor {
  kind: StageKind | null = null;
  private state: unknown = undefined;
  private cast: CastTag | null = null;
  private core: ProducerCore | null = null;
  private readonly producers = new Map<number, ConsumerSide>();
  private readonly queue = new Queue<Pending>(4);
  private readonly handleEvents: AnyDefinition["handleEvents"];

  constructor(
    private readonly definition: AnyDefinition,
    private readonly arg: unknown,
    private readonly listener: StartListener,
  ) {
    this.handleEvents = definition.handleEvents;
  }

  init(self: Process): void | Promise<void> {
    stages.set(self, this);
    attachHook(self, new StageCleanup(() => this.records()));
    let result: unknown;
    try {
      result = this.definition.init(this.arg, self);
    } catch (error) {
      self.exit(error);
      return;
    }
    if (isThenable(result)) {
      return Promise.resolve(result).then(
        (value) => this.initDone(value, self),
        (error: unknown) => self.exit(error),
      );
    }
    return this.initDone(result, self);
  }

  private *records(): Iterable<ConsumerSide | ProducerSide> {
    yield* this.producers.values();
    if (this.core !== null) yield* this.core.consumers.values();
  }

  private initDone(result: unknown, self: Process): void | Promise<void> {
    if (!self.alive) return;
    if (result instanceof Directive && result.kind === IGNORE) {
      this.listener.ignored();
      self.exit("normal");
      return;
    }
    if (result instanceof Directive && result.kind === STOP) {
      self.exit((result as Stop).reason);
      return;
    }
    if (!(result instanceof StageInit)) {
      self.exit(new BadReturnError("init", result));
      return;
    }
    let subscriptions: ParsedSubscription[];
    try {
      subscriptions = this.setUp(result, self);
    } catch (error) {
      self.exit(error);
      return;
    }
    for (const options of subscriptions) {
      const outcome = this.subscribe(options, self);
      if (!(outcome instanceof ConsumerSide)) {
        self.exit(outcome);
        return;
      }
    }
    this.listener.started(self);
    const step = eachStep(this.producersList(), (side) => this.subscribed(side, self));
    return step === true || step === false ? undefined : step.then(noop);
  }

  private producersList(): ConsumerSide[] {
    return [...this.producers.values()];
  }

  /** Reads the kind and options `init` returned; returns the subscriptions to make. */
  private setUp(init: StageInit, self: Process): ParsedSubscription[] {
    const definition = this.definition;
    this.state = init.state;
    const need = (key: "handleDemand" | "handleEvents") => {
      if (typeof definition[key] !== "function") {
        invalidArgument(
          `definition.${key}`,
          `a function (the stage is a ${init.kind})`,
          definition[key],
        );
      }
    };
    let subscribeTo: readonly unknown[] | undefined;
    if (init.kind === "producer") {
      need("handleDemand");
      const options = producerOptions.parse(init.options, "options");
      this.core = new ProducerCore(self, options);
    } else if (init.kind === "producerConsumer") {
      need("handleEvents");
      const options = producerConsumerOptions.parse(init.options, "options");
      this.core = new ProducerCore(self, options);
      subscribeTo = options.subscribeTo;
    } else {
      need("handleEvents");
      subscribeTo = consumerOptions.parse(init.options, "options").subscribeTo;
    }
    const parsed = (subscribeTo ?? []).map((s, i) =>
      parseSubscription(s, `options.subscribeTo[${i}]`),
    );
    this.kind = init.kind;
    return parsed;
  }

  handle(message: unknown, self: Process): void | Promise<void> {
    const step = this.route(message, self);
    return step === true || step === false ? undefined : step.then(noop);
  }

  private route(message: unknown, self: Process): Step {
    if (this.cast !== null) return this.onCast(this.cast, message, self);
    if (message instanceof EventsMessage) return this.onEvents(message, self);
    if (message instanceof AskMessage) return this.onAsk(message, self);
    if (message instanceof CastTag) {
      this.cast = message;
      return true;
    }
    if (message instanceof PendingCall) return this.onCall(message, self);
    if (message instanceof SubscribeMessage) return this.onSubscribe(message, self);
    if (message instanceof CancelToProducer) return this.onCancelToProducer(message, self);
    if (message instanceof CancelToConsumer) {
      const side = this.producers.get(message.ref.id);
      if (side === undefined) return true;
      return this.cancelled(side, "cancel", message.reason, self);
    }
    if (message instanceof ConsumerSide) {
      if (this.producers.get(message.ref.id) !== message) return true;
      return this.cancelled(message, "down", message.downReason, self);
    }
    if (message instanceof ProducerSide) return this.onConsumerDown(message, self);
    if (message instanceof FreedDemand) return this.onFreedDemand(message, self);
    if (message instanceof StopRequest) return this.terminate(message.reason, self, false);
    if (
      message instanceof ExitMessage &&
      self.parent !== undefined &&
      message.from.equals(self.parent)
    ) {
      return this.terminate(message.reason, self, false);
    }
    const handleInfo = this.definition.handleInfo;
    if (handleInfo === undefined) return true;
    let result: unknown;
    try {
      result = handleInfo(message, this.state, self);
    } catch (error) {
      return this.crash(error, self);
    }
    return this.apply(result, self, "handleInfo");
  }

  // ---- consumer side ------------------------------------------------------------------------

  private onEvents(message: EventsMessage, self: Process): Step {
    const side = this.producers.get(message.ref.id);
    if (side === undefined || !side.active) return true;
    if (
      this.kind === "producerConsumer" &&
      (this.queue.length > 0 || (this.core as ProducerCore).downstream <= 0)
    ) {
      this.queue.push(new Pending(side, message.events, 0));
      return true;
    }
    return this.consume(side, message.events, 0, self, null);
  }

  /** Hands `events` from `offset` on to `handleEvents` in batches, asking again as it goes. */
  private consume(
    side: ConsumerSide,
    events: readonly unknown[],
    start: number,
    self: Process,
    pending: Pending | null,
  ): Step {
    const demand = side.demand;
    const length = events.length;
    const size = demand === null ? length : demand.batchSize;
    const handler = this.handleEvents as NonNullable<AnyDefinition["handleEvents"]>;
    const core = this.kind === "producerConsumer" ? this.core : null;
    let offset = start;
    while (offset < length) {
      if (core !== null && core.downstream <= 0) {
        if (pending === null) this.queue.push(new Pending(side, events, offset));
        else pending.offset = offset;
        return true;
      }
      const n = Math.min(length - offset, size);
      const batch = offset === 0 && n === length ? events : events.slice(offset, offset + n);
      offset += n;
      const ask = demand === null ? 0 : demand.received(n);
      let result: unknown;
      try {
        result = handler(batch, side, this.state, self);
      } catch (error) {
        return this.crash(error, self);
      }
      const step = this.apply(result, self, "handleEvents");
      if (step === false) return false;
      if (step !== true) {
        const at = offset;
        return step.then((alive) => {
          if (!alive) return false;
          if (ask > 0 && side.active) side.ask(ask);
          return this.consume(side, events, at, self, pending);
        });
      }
      if (ask > 0 && side.active) side.ask(ask);
    }
    if (pending !== null) pending.offset = length;
    return true;
  }

  /** Producer-consumer: downstream demand came; handle the events waiting for it. */
  private drain(self: Process): Step {
    const queue = this.queue;
    const core = this.core as ProducerCore;
    while (queue.length > 0 && core.downstream > 0) {
      const head = queue.at(0) as Pending;
      if (!head.side.active) {
        queue.shift();
        continue;
      }
      const step = this.consume(head.side, head.events, head.offset, self, head);
      if (step === false) return false;
      if (step !== true) {
        return step.then((alive) => {
          if (!alive) return false;
          if (head.offset >= head.events.length && queue.at(0) === head) queue.shift();
          return this.drain(self);
        });
      }
      if (head.offset >= head.events.length) queue.shift();
    }
    return true;
  }

  /** @internal Subscribes to a producer from inside this stage; the error if it cannot. */
  subscribe(options: ParsedSubscription, self: Process): ConsumerSide | Error {
    const producer = resolve(options.to);
    if (producer === undefined || !producer.alive) return new NoProcError(options.to);
    const kind = stageKind(producer);
    if (kind === undefined) return new NotAProducerError(options.to, "process");
    if (kind === "consumer") return new NotAProducerError(options.to, "consumer");
    const ref = self.runtime.makeRef();
    const demand =
      options.demand === "manual"
        ? null
        : new SubscriptionDemand(options.maxDemand, options.minDemand);
    const side = new ConsumerSide(self, producer, ref, options, demand);
    this.producers.set(ref.id, side);
    producer.deliver(new SubscribeMessage(self, ref, options));
    if (demand !== null) side.ask(demand.initial());
    return side;
  }

  /** @internal Runs `handleSubscribe("producer")` for a subscription just made. */
  subscribed(side: ConsumerSide, self: Process): Step {
    const handler = this.definition.handleSubscribe;
    if (handler === undefined) return true;
    let result: unknown;
    try {
      result = handler("producer", side.options, side, this.state, self);
    } catch (error) {
      return this.crash(error, self);
    }
    return this.apply(result, self, "handleSubscribe");
  }

  /** A subscription to a producer ended; the cancel mode says whether this stage exits. */
  private cancelled(
    side: ConsumerSide,
    kind: "cancel" | "down",
    reason: ExitReason,
    self: Process,
  ): Step {
    this.producers.delete(side.ref.id);
    side.active = false;
    detachHook(side);
    const mode = side.options.cancel;
    const exits = mode === "permanent" || (mode === "transient" && !isNormalExit(reason));
    const handler = this.definition.handleCancel;
    let step: Step = true;
    if (handler !== undefined) {
      let result: unknown;
      try {
        result = handler({ kind, reason }, side, this.state, self);
      } catch (error) {
        return this.crash(error, self);
      }
      step = this.apply(result, self, "handleCancel");
    }
    if (!exits) return step;
    if (step === false) return false;
    if (step === true) return this.terminate(reason, self, false);
    return step.then((alive) => (alive ? this.terminate(reason, self, false) : false));
  }

  // ---- producer side ------------------------------------------------------------------------

  private onSubscribe(message: SubscribeMessage, self: Process): Step {
    const core = this.core;
    if (core === null) {
      message.consumer.deliver(
        new CancelToConsumer(message.ref, new NotAProducerError(self.pid, "consumer")),
      );
      return true;
    }
    const side = new ProducerSide(self, message.consumer, message.ref);
    core.consumers.set(message.ref.id, side);
    let demand: number;
    try {
      demand = core.dispatcher.subscribe(
        side,
        message.options as DispatcherSubscribeOptions<unknown>,
      );
    } catch (error) {
      core.consumers.delete(message.ref.id);
      detachHook(side);
      message.consumer.deliver(new CancelToConsumer(message.ref, error));
      return true;
    }
    const handler = this.definition.handleSubscribe;
    if (handler === undefined) return demand > 0 ? this.supply(demand, self) : true;
    let result: unknown;
    try {
      result = handler("consumer", message.options, side, this.state, self);
    } catch (error) {
      return this.crash(error, self);
    }
    return then(this.apply(result, self, "handleSubscribe"), () =>
      demand > 0 ? this.supply(demand, self) : true,
    );
  }

  private onAsk(message: AskMessage, self: Process): Step {
    const count = message.count;
    message.count = 0;
    message.queued = false;
    const core = this.core;
    if (core === null) return true;
    const side = core.consumers.get(message.ref.id);
    if (side === undefined) return true;
    return this.supply(core.dispatcher.ask(count, side), self);
  }

  /** The dispatcher freed demand while dispatching: as if a consumer had asked for it. */
  private onFreedDemand(message: FreedDemand, self: Process): Step {
    const count = message.count;
    message.count = 0;
    message.queued = false;
    return this.supply(count, self);
  }

  /** Demand reached this producer: the buffer first, then `handleDemand` (or the queue). */
  private supply(count: number, self: Process): Step {
    const core = this.core as ProducerCore;
    const demand = core.buffer.empty ? count : core.take(count);
    if (demand <= 0) return true;
    if (this.kind === "producerConsumer") {
      core.downstream += demand;
      return this.drain(self);
    }
    if (core.accumulating) {
      core.accumulated += demand;
      return true;
    }
    let result: unknown;
    try {
      result = (this.definition.handleDemand as NonNullable<AnyDefinition["handleDemand"]>)(
        demand,
        this.state,
        self,
      );
    } catch (error) {
      return this.crash(error, self);
    }
    return this.apply(result, self, "handleDemand");
  }

  private onCancelToProducer(message: CancelToProducer, self: Process): Step {
    const core = this.core;
    const side = core?.consumers.get(message.ref.id);
    if (core === null || core === undefined || side === undefined) return true;
    side.consumer.deliver(new CancelToConsumer(message.ref, message.reason));
    return this.consumerGone(core, side, "cancel", message.reason, self);
  }

  private onConsumerDown(side: ProducerSide, self: Process): Step {
    const core = this.core;
    if (core === null || core.consumers.get(side.ref.id) !== side) return true;
    return this.consumerGone(core, side, "down", side.downReason, self);
  }

  private consumerGone(
    core: ProducerCore,
    side: ProducerSide,
    kind: "cancel" | "down",
    reason: ExitReason,
    self: Process,
  ): Step {
    core.consumers.delete(side.ref.id);
    detachHook(side);
    const demand = core.dispatcher.cancel(side);
    const handler = this.definition.handleCancel;
    let step: Step = true;
    if (handler !== undefined) {
      let result: unknown;
      try {
        result = handler({ kind, reason }, side, this.state, self);
      } catch (error) {
        return this.crash(error, self);
      }
      step = this.apply(result, self, "handleCancel");
    }
    return demand > 0 ? then(step, () => this.supply(demand, self)) : step;
  }

  // ---- calls, casts, results ----------------------------------------------------------------

  private onCall(call: PendingCall, self: Process): Step {
    if (call.request === SUBSCRIBE) {
      const outcome = this.subscribe(call.arg as ParsedSubscription, self);
      if (!(outcome instanceof ConsumerSide)) {
        call.reply(new SubscribeFailure(outcome));
        return true;
      }
      call.reply(outcome.ref);
      return this.subscribed(outcome, self);
    }
    if (call.request === INFO) {
      call.reply(undefined);
      return this.info(call.arg, self);
    }
    const handler = this.definition.handleCall;
    if (handler === undefined) return this.crash(new BadReturnError("handleCall", undefined), self);
    let result: unknown;
    try {
      result = handler(call.request, call.arg, call, this.state, self);
    } catch (error) {
      return this.crash(error, self);
    }
    return this.afterCall(result, call, self);
  }

  private afterCall(result: unknown, call: PendingCall, self: Process): Step {
    if (result instanceof Directive && result.kind === REPLY) {
      const r = result as Reply;
      this.state = r.state;
      call.reply(r.value);
      return true;
    }
    if (isThenable(result)) {
      return Promise.resolve(result).then(
        (value) => (self.alive ? this.afterCall(value, call, self) : false),
        (error: unknown) => this.crash(error, self),
      );
    }
    return this.apply(result, self, "handleCall");
  }

  private onCast(tag: CastTag, arg: unknown, self: Process): Step {
    this.cast = null;
    switch (tag.request) {
      case SUBSCRIBE: {
        const outcome = this.subscribe(arg as ParsedSubscription, self);
        if (outcome instanceof ConsumerSide) return this.subscribed(outcome, self);
        const mode = (arg as ParsedSubscription).cancel;
        return mode === "temporary" ? true : this.terminate(outcome, self, false);
      }
      case DEMAND:
        return this.demandMode(arg as "forward" | "accumulate", self);
      case INFO:
        return this.info(arg, self);
    }
    const handler = this.definition.handleCast;
    if (handler === undefined) return true;
    let result: unknown;
    try {
      result = handler(tag.request, arg, this.state, self);
    } catch (error) {
      return this.crash(error, self);
    }
    return this.apply(result, self, "handleCast");
  }

  private demandMode(mode: "forward" | "accumulate", self: Process): Step {
    const core = this.core;
    if (core === null || this.kind !== "producer") {
      return this.crash(
        new StageKindError(this.kind ?? "starting", "change its demand mode"),
        self,
      );
    }
    if (mode === "accumulate") {
      core.accumulating = true;
      return true;
    }
    core.accumulating = false;
    const demand = core.accumulated;
    core.accumulated = 0;
    return demand > 0 ? this.supply(demand, self) : true;
  }

  private info(message: unknown, self: Process): Step {
    if (this.core !== null) this.core.info(message);
    else self.deliver(message);
    return true;
  }

  /** Takes a callback's result: the new state, `emit(events, state)`, `stop(...)`, or a promise. */
  private apply(result: unknown, self: Process, callback: string): Step {
    if (typeof result !== "object" || result === null) {
      if (typeof result !== "function") {
        this.state = result;
        return true;
      }
    }
    if (result instanceof Emit) {
      this.state = result.state;
      return this.emitEvents(result.events, self, callback);
    }
    if (result instanceof Directive) {
      if (result.kind === STOP) {
        const r = result as Stop;
        if (r.state !== undefined) this.state = r.state;
        return this.terminate(r.reason, self, false);
      }
      if (result.kind === NOREPLY) {
        this.state = (result as NoReply).state;
        return true;
      }
      return this.crash(new BadReturnError(callback, result), self);
    }
    if (isThenable(result)) {
      return Promise.resolve(result).then(
        (value) => (self.alive ? this.apply(value, self, callback) : false),
        (error: unknown) => this.crash(error, self),
      );
    }
    this.state = result;
    return true;
  }

  private emitEvents(events: readonly unknown[], self: Process, callback: string): Step {
    const core = this.core;
    if (core === null) {
      return this.crash(new StageKindError("consumer", `emit events (from ${callback})`), self);
    }
    if (!Array.isArray(events)) return this.crash(new BadReturnError(callback, events), self);
    if (this.kind === "producerConsumer") {
      // Events beyond the downstream demand wait in the buffer and count against later demand
      // when taken from it, so they must not count here too.
      core.downstream = events.length < core.downstream ? core.downstream - events.length : 0;
    }
    core.dispatch(events);
    return true;
  }

  private crash(error: unknown, self: Process): Step {
    if (!self.alive) return false;
    return this.terminate(error, self, true);
  }

  /** Runs `terminate` and exits with `reason`; an abnormal reason is reported. */
  private terminate(reason: ExitReason, self: Process, crashed: boolean): Step {
    const terminate = this.definition.terminate;
    if (terminate !== undefined) {
      let result: unknown;
      try {
        result = terminate(reason, this.state, self);
      } catch (error) {
        self.crash(error);
        return false;
      }
      if (isThenable(result)) {
        return Promise.resolve(result).then(
          () => exitWith(reason, self, crashed),
          (error: unknown) => {
            self.crash(error);
            return false;
          },
        );
      }
    }
    return exitWith(reason, self, crashed);
  }
}

function exitWith(reason: ExitReason, self: Process, crashed: boolean): false {
  if (crashed || !isNormalExit(reason)) self.crash(reason);
  else self.exit(reason);
  return false;
}

function noop(): void {}

/** Runs `next` after `step` when the stage is still alive. */
function then(step: Step, next: () => Step): Step {
  if (step === true) return next();
  if (step === false) return false;
  return step.then((alive) => (alive ? next() : false));
}

/** Runs `fn` over `items` in order, synchronously while each step is. */
function eachStep<T>(items: readonly T[], fn: (item: T) => Step, from = 0): Step {
  for (let i = from; i < items.length; i++) {
    const step = fn(items[i] as T);
    if (step === false) return false;
    if (step !== true) return step.then((alive) => (alive ? eachStep(items, fn, i + 1) : false));
  }
  return true;
}

export type { StageFrom };
