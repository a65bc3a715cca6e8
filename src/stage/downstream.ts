/**
 * The producer half of a stage (producers and producer-consumers), as messages reach it:
 * subscriptions from consumers, their asks and cancels, and the demand this leaves for
 * `handleDemand` (or, in a producer-consumer, for the events waiting upstream). The dispatcher,
 * buffer and demand counts it works on are the {@link ProducerCore}'s.
 */
import type { ExitReason } from "../kernel/exit.js";
import { detachHook } from "../kernel/hooks.js";
import type { Process } from "../kernel/process.js";
import type { StageCallbacks } from "./callbacks.js";
import type { AnyDefinition } from "./definition.js";
import type { DispatcherSubscribeOptions } from "./dispatcher.js";
import { NotAProducerError } from "./errors.js";
import type { FreedDemand, ProducerCore } from "./producer.js";
import { type Step, then } from "./step.js";
import {
  type AskMessage,
  CancelToConsumer,
  type CancelToProducer,
  ProducerSide,
  type SubscribeMessage,
} from "./subscription.js";
import type { Upstream } from "./upstream.js";

/** @internal A stage's subscriptions from its consumers, and the demand they bring. */
export class Downstream {
  constructor(
    private readonly stage: StageCallbacks,
    /** A producer-consumer's demand from downstream lets its waiting events through. */
    private readonly upstream: Upstream,
  ) {}

  /** A consumer subscribes: to the dispatcher, then `handleSubscribe("consumer")`. */
  onSubscribe(message: SubscribeMessage, self: Process): Step {
    const core = this.stage.core;
    if (core === null) {
      message.consumer.deliver(
        new CancelToConsumer(message.ref, new NotAProducerError(self.pid, "consumer")),
      );
      return true;
    }
    const options = message.options;
    const side = new ProducerSide(
      self,
      message.consumer,
      message.ref,
      options.demand === "manual" ? 0 : options.maxDemand - options.minDemand,
      message.side,
    );
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
    const handler = this.stage.definition.handleSubscribe;
    if (handler === undefined) return demand > 0 ? this.supply(demand, self) : true;
    let result: unknown;
    try {
      result = handler("consumer", message.options, side, this.stage.state, self);
    } catch (error) {
      return this.stage.crash(error, self);
    }
    return then(this.stage.apply(result, self, "handleSubscribe"), () =>
      demand > 0 ? this.supply(demand, self) : true,
    );
  }

  /** A consumer asks for more events: the dispatcher says how much reaches this producer. */
  onAsk(message: AskMessage, self: Process): Step {
    const count = message.count;
    message.count = 0;
    message.queued = false;
    const core = this.stage.core;
    if (core === null) return true;
    const side = core.consumers.get(message.ref.id);
    if (side === undefined) return true;
    return this.supply(core.dispatcher.ask(count, side), self);
  }

  /** The dispatcher freed demand while dispatching: as if a consumer had asked for it. */
  onFreedDemand(message: FreedDemand, self: Process): Step {
    const count = message.count;
    message.count = 0;
    message.queued = false;
    return this.supply(count, self);
  }

  /** Demand reached this producer: the buffer first, then `handleDemand` (or the queue). */
  supply(count: number, self: Process): Step {
    const stage = this.stage;
    const core = stage.core as ProducerCore;
    const demand = core.buffer.empty ? count : core.take(count);
    if (demand <= 0) return true;
    if (stage.kind === "producerConsumer") {
      core.downstream += demand;
      return this.upstream.drain(self);
    }
    if (core.accumulating) {
      core.accumulated += demand;
      return true;
    }
    let result: unknown;
    try {
      result = (stage.definition.handleDemand as NonNullable<AnyDefinition["handleDemand"]>)(
        demand,
        stage.state,
        self,
      );
    } catch (error) {
      return stage.crash(error, self);
    }
    return stage.apply(result, self, "handleDemand");
  }

  /** A consumer cancels its subscription: confirmed to it, then `handleCancel`. */
  onCancel(message: CancelToProducer, self: Process): Step {
    const core = this.stage.core;
    const side = core?.consumers.get(message.ref.id);
    if (core === null || core === undefined || side === undefined) return true;
    side.consumer.deliver(new CancelToConsumer(message.ref, message.reason));
    return this.consumerGone(core, side, "cancel", message.reason, self);
  }

  /** The consumer of `side` exited. */
  onConsumerDown(side: ProducerSide, self: Process): Step {
    const core = this.stage.core;
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
    const step = this.stage.cancelled(kind, reason, side, self);
    return demand > 0 ? then(step, () => this.supply(demand, self)) : step;
  }
}
