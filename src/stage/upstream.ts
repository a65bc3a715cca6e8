/**
 * The consumer half of a stage (consumers and producer-consumers): its subscriptions to
 * producers, the events they send handed to `handleEvents` in batches of the subscription's
 * demand, asking again as they are handled, and a producer-consumer's events waiting for demand
 * from downstream.
 */
import { resolve } from "../kernel/api.js";
import { type ExitReason, isNormalExit, NoProcError } from "../kernel/exit.js";
import { detachHook } from "../kernel/hooks.js";
import type { Process } from "../kernel/process.js";
import { Queue } from "../kernel/queue.js";
import { keepShape } from "../kernel/shapes.js";
import type { StageCallbacks } from "./callbacks.js";
import type { AnyDefinition } from "./definition.js";
import { SubscriptionDemand } from "./demand.js";
import { NotAProducerError } from "./errors.js";
import type { ParsedSubscription } from "./options.js";
import type { ProducerCore } from "./producer.js";
import { stageKind } from "./stage-kind.js";
import type { Step } from "./step.js";
import {
  type CancelToConsumer,
  ConsumerSide,
  type EventsMessage,
  SubscribeMessage,
} from "./subscription.js";

/** Events a producer-consumer took from a producer but has no downstream demand for yet. */
class Pending {
  constructor(
    readonly side: ConsumerSide,
    readonly events: readonly unknown[],
    public offset: number,
  ) {}
}
// One per chunk waiting for demand, all dead between bursts: see keepShape.
keepShape(new Pending(undefined as unknown as ConsumerSide, [], 0));

/** An info (`asyncInfo`) waiting behind the events received before it. */
class PendingInfo {
  constructor(readonly message: unknown) {}
}

/** @internal A stage's subscriptions to its producers, and the events they send. */
export class Upstream {
  /** By subscription ref id. */
  readonly producers = new Map<number, ConsumerSide>();
  private readonly queue = new Queue<Pending | PendingInfo>(4);
  private readonly handleEvents: AnyDefinition["handleEvents"];

  constructor(private readonly stage: StageCallbacks) {
    this.handleEvents = stage.definition.handleEvents;
  }

  /** Events from a producer: to `handleEvents`, or to wait for downstream demand. */
  onEvents(message: EventsMessage, self: Process): Step {
    // A side leaves `producers` only as it turns inactive: no lookup needed.
    const side = message.side;
    if (!side.active) return true;
    if (
      this.stage.kind === "producerConsumer" &&
      (this.queue.length > 0 || (this.stage.core as ProducerCore).downstream <= 0)
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
    const stage = this.stage;
    const core = stage.kind === "producerConsumer" ? stage.core : null;
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
        result = handler(batch, side, stage.state, self);
      } catch (error) {
        return stage.crash(error, self);
      }
      const step = stage.apply(result, self, "handleEvents");
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

  /**
   * Producer-consumer: holds `message` behind the events waiting for downstream demand (it then
   * goes on behind what they become); false when none wait.
   */
  holdInfo(message: unknown): boolean {
    if (this.queue.length === 0) return false;
    this.queue.push(new PendingInfo(message));
    return true;
  }

  /** Producer-consumer: downstream demand came; handle the events waiting for it. */
  drain(self: Process): Step {
    const queue = this.queue;
    const core = this.stage.core as ProducerCore;
    while (queue.length > 0) {
      const head = queue.at(0) as Pending | PendingInfo;
      if (head instanceof PendingInfo) {
        queue.shift();
        core.info(head.message);
        continue;
      }
      if (core.downstream <= 0) break;
      // Events received before their subscription ended are still handled: they were sent.
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

  /** Subscribes to a producer from inside this stage; the error if it cannot. */
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
    producer.deliver(new SubscribeMessage(self, ref, options, side));
    if (demand !== null) side.ask(demand.initial());
    return side;
  }

  /** Runs `handleSubscribe("producer")` for a subscription just made. */
  subscribed(side: ConsumerSide, self: Process): Step {
    const handler = this.stage.definition.handleSubscribe;
    if (handler === undefined) return true;
    let result: unknown;
    try {
      result = handler("producer", side.options, side, this.stage.state, self);
    } catch (error) {
      return this.stage.crash(error, self);
    }
    return this.stage.apply(result, self, "handleSubscribe");
  }

  /** The producer ended a subscription (or confirmed this stage's cancel). */
  onCancel(message: CancelToConsumer, self: Process): Step {
    const side = this.producers.get(message.ref.id);
    if (side === undefined) return true;
    return this.cancelled(side, "cancel", message.reason, self);
  }

  /** The producer of `side` exited. */
  onProducerDown(side: ConsumerSide, self: Process): Step {
    if (this.producers.get(side.ref.id) !== side) return true;
    return this.cancelled(side, "down", side.downReason, self);
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
    const step = this.stage.cancelled(kind, reason, side, self);
    if (!exits) return step;
    if (step === false) return false;
    if (step === true) return this.stage.terminate(reason, self, false);
    return step.then((alive) => (alive ? this.stage.terminate(reason, self, false) : false));
  }
}
