/**
 * The stage process: an actor turning mailbox messages into callback runs, like GenServer's,
 * with the subscription protocol on top. Synchronous callbacks take the fast path (no Promise
 * per batch); an async one holds the mailbox until it settles.
 *
 * The actor starts the stage and routes each message; the work is done by the stage's halves:
 * its subscriptions to producers and their events ({@link Upstream}), its subscriptions from
 * consumers and their demand ({@link Downstream}), both taking callback results through the
 * shared {@link StageCallbacks}.
 */

import { CastTag, PendingCall, StopRequest } from "../gen-server/call.js";
import { Directive, IGNORE, STOP, type Stop } from "../gen-server/directives.js";
import { BadReturnError } from "../gen-server/errors.js";
import type { StartListener } from "../gen-server/server.js";
import { invalidArgument } from "../kernel/errors.js";
import { ExitMessage } from "../kernel/exit.js";
import { attachHook } from "../kernel/hooks.js";
import { type Actor, isThenable, type Process } from "../kernel/process.js";
import { StageCallbacks } from "./callbacks.js";
import { type AnyDefinition, StageInit } from "./definition.js";
import { Downstream } from "./downstream.js";
import { StageKindError } from "./errors.js";
import {
  consumerOptions,
  type ParsedSubscription,
  parseSubscription,
  producerConsumerOptions,
  producerOptions,
} from "./options.js";
import { FreedDemand, ProducerCore } from "./producer.js";
import { registerStage } from "./stage-kind.js";
import { eachStep, type Step, settled } from "./step.js";
import {
  AskMessage,
  CancelToConsumer,
  CancelToProducer,
  ConsumerSide,
  EventsMessage,
  ProducerSide,
  StageCleanup,
  SubscribeMessage,
} from "./subscription.js";
import { Upstream } from "./upstream.js";

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

/** @internal */
export class StageActor implements Actor {
  private readonly stage: StageCallbacks;
  private readonly upstream: Upstream;
  private readonly downstream: Downstream;
  /** A cast's tag came: the next message is its argument. */
  private cast: CastTag | null = null;

  constructor(
    private readonly definition: AnyDefinition,
    private readonly arg: unknown,
    private readonly listener: StartListener,
  ) {
    this.stage = new StageCallbacks(definition);
    this.upstream = new Upstream(this.stage);
    this.downstream = new Downstream(this.stage, this.upstream);
  }

  init(self: Process): void | Promise<void> {
    registerStage(self, this.stage);
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
    yield* this.upstream.producers.values();
    const core = this.stage.core;
    if (core !== null) yield* core.consumers.values();
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
    const upstream = this.upstream;
    for (const options of subscriptions) {
      const outcome = upstream.subscribe(options, self);
      if (!(outcome instanceof ConsumerSide)) {
        self.exit(outcome);
        return;
      }
    }
    this.listener.started(self);
    const sides = [...upstream.producers.values()];
    return settled(eachStep(sides, (side) => upstream.subscribed(side, self)));
  }

  /** Reads the kind and options `init` returned; returns the subscriptions to make. */
  private setUp(init: StageInit, self: Process): ParsedSubscription[] {
    const definition = this.definition;
    const stage = this.stage;
    stage.state = init.state;
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
      stage.core = new ProducerCore(self, options);
    } else if (init.kind === "producerConsumer") {
      need("handleEvents");
      const options = producerConsumerOptions.parse(init.options, "options");
      stage.core = new ProducerCore(self, options);
      subscribeTo = options.subscribeTo;
    } else {
      need("handleEvents");
      subscribeTo = consumerOptions.parse(init.options, "options").subscribeTo;
    }
    const parsed = (subscribeTo ?? []).map((s, i) =>
      parseSubscription(s, `options.subscribeTo[${i}]`),
    );
    stage.kind = init.kind;
    return parsed;
  }

  handle(message: unknown, self: Process): void | Promise<void> {
    return settled(this.route(message, self));
  }

  private route(message: unknown, self: Process): Step {
    if (this.cast !== null) return this.onCast(this.cast, message, self);
    if (message instanceof EventsMessage) return this.upstream.onEvents(message, self);
    if (message instanceof AskMessage) return this.downstream.onAsk(message, self);
    if (message instanceof CastTag) {
      if (!message.hasArg) return this.onCast(message, undefined, self);
      this.cast = message;
      return true;
    }
    if (message instanceof PendingCall) return this.onCall(message, self);
    if (message instanceof SubscribeMessage) return this.downstream.onSubscribe(message, self);
    if (message instanceof CancelToProducer) return this.downstream.onCancel(message, self);
    if (message instanceof CancelToConsumer) return this.upstream.onCancel(message, self);
    if (message instanceof ConsumerSide) return this.upstream.onProducerDown(message, self);
    if (message instanceof ProducerSide) return this.downstream.onConsumerDown(message, self);
    if (message instanceof FreedDemand) return this.downstream.onFreedDemand(message, self);
    if (message instanceof StopRequest) return this.stage.terminate(message.reason, self, false);
    if (
      message instanceof ExitMessage &&
      self.parent !== undefined &&
      message.from.equals(self.parent)
    ) {
      return this.stage.terminate(message.reason, self, false);
    }
    const handleInfo = this.definition.handleInfo;
    if (handleInfo === undefined) return true;
    let result: unknown;
    try {
      result = handleInfo(message, this.stage.state, self);
    } catch (error) {
      return this.stage.crash(error, self);
    }
    return this.stage.apply(result, self, "handleInfo");
  }

  private onCall(call: PendingCall, self: Process): Step {
    const stage = this.stage;
    if (call.request === SUBSCRIBE) {
      const outcome = this.upstream.subscribe(call.arg as ParsedSubscription, self);
      if (!(outcome instanceof ConsumerSide)) {
        call.reply(new SubscribeFailure(outcome));
        return true;
      }
      call.reply(outcome.ref);
      return this.upstream.subscribed(outcome, self);
    }
    if (call.request === INFO) {
      call.reply(undefined);
      return this.info(call.arg, self);
    }
    const handler = this.definition.handleCall;
    if (handler === undefined)
      return stage.crash(new BadReturnError("handleCall", undefined), self);
    let result: unknown;
    try {
      result = handler(call.request, call.arg, call, stage.state, self);
    } catch (error) {
      return stage.crash(error, self);
    }
    return stage.afterCall(result, call, self);
  }

  private onCast(tag: CastTag, arg: unknown, self: Process): Step {
    this.cast = null;
    const stage = this.stage;
    switch (tag.request) {
      case SUBSCRIBE: {
        const outcome = this.upstream.subscribe(arg as ParsedSubscription, self);
        if (outcome instanceof ConsumerSide) return this.upstream.subscribed(outcome, self);
        const mode = (arg as ParsedSubscription).cancel;
        return mode === "temporary" ? true : stage.terminate(outcome, self, false);
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
      result = handler(tag.request, arg, stage.state, self);
    } catch (error) {
      return stage.crash(error, self);
    }
    return stage.apply(result, self, "handleCast");
  }

  private demandMode(mode: "forward" | "accumulate", self: Process): Step {
    const stage = this.stage;
    const core = stage.core;
    if (core === null || stage.kind !== "producer") {
      return stage.crash(
        new StageKindError(stage.kind ?? "starting", "change its demand mode"),
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
    return demand > 0 ? this.downstream.supply(demand, self) : true;
  }

  private info(message: unknown, self: Process): Step {
    const core = this.stage.core;
    // A producer-consumer's info also waits for the events it received and has not handled.
    if (core !== null && !this.upstream.holdInfo(message)) core.info(message);
    else if (core === null) self.deliver(message);
    return true;
  }
}
