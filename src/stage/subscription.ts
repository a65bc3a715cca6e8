/**
 * One subscription as each side keeps it, and the messages between the two. Each side's record
 * is also the exit hook watching the other side (allocation-free monitoring) and, once that side
 * exits, the message telling its owner so.
 */
import type { ExitReason } from "../kernel/exit.js";
import { attachHook, detachHook, ExitHook } from "../kernel/hooks.js";
import type { Pid, Ref } from "../kernel/pid.js";
import type { Process } from "../kernel/process.js";
import { keepShape } from "../kernel/shapes.js";
import type { SubscriptionDemand } from "./demand.js";
import type { Subscriber } from "./dispatcher.js";
import type { ParsedSubscription } from "./options.js";

/**
 * The `from` a consumer's callbacks get for a subscription: the producer's pid and the
 * subscription's ref. Pass it to `GenStage.ask` (manual demand) or `GenStage.cancel`.
 */
export interface StageFrom {
  /** The producer. */
  readonly pid: Pid;
  /** Names the subscription. */
  readonly ref: Ref;
}

/** Why a subscription ended, as `handleCancel` gets it: cancelled, or the other side exited. */
export interface CancelInfo {
  readonly kind: "cancel" | "down";
  readonly reason: ExitReason;
}

/**
 * @internal An ask from consumer to producer. One per subscription, reused: while it waits in
 * the producer's mailbox, further asks add to its count instead of queueing another message.
 * (Same-thread only: a remote producer would need a message per ask.)
 */
export class AskMessage {
  count = 0;
  queued = false;
  constructor(readonly ref: Ref) {}
}

/**
 * @internal Events from producer to consumer. `events` grows while the message is the newest in
 * the consumer's mailbox (see {@link ProducerSide.send}).
 */
export class EventsMessage {
  /** `events` is an array of this message's own (made by joining), so it may grow in place. */
  owned = false;

  constructor(
    /** The consumer's record of the subscription: no lookup by ref on arrival. */
    readonly side: ConsumerSide,
    public events: readonly unknown[],
  ) {}

  /** Appends `events`; the arrays it was given stay as they were. */
  join(events: readonly unknown[]): void {
    let target: unknown[];
    if (this.owned) {
      target = this.events as unknown[];
    } else {
      // Array.prototype.concat costs more than the copy (spreadable checks, species lookup).
      const first = this.events;
      target = [];
      for (let i = 0; i < first.length; i++) target.push(first[i]);
      this.events = target;
      this.owned = true;
    }
    for (let i = 0; i < events.length; i++) target.push(events[i]);
  }
}
// One per hop, all dead between bursts: see keepShape.
keepShape(new EventsMessage(undefined as unknown as ConsumerSide, []));

/** @internal A consumer asks a producer for a subscription. */
export class SubscribeMessage {
  constructor(
    readonly consumer: Process,
    readonly ref: Ref,
    readonly options: ParsedSubscription,
    /** The consumer's record, which the producer's events then name. */
    readonly side: ConsumerSide,
  ) {}
}

/** @internal The consumer cancels: to the producer. */
export class CancelToProducer {
  constructor(
    readonly ref: Ref,
    readonly reason: ExitReason,
  ) {}
}

/** @internal The producer ended the subscription (or confirms the consumer's cancel). */
export class CancelToConsumer {
  constructor(
    readonly ref: Ref,
    readonly reason: ExitReason,
  ) {}
}

/**
 * @internal The consumer's record of a subscription: it watches the producer, and is the
 * `from` its callbacks see.
 */
export class ConsumerSide extends ExitHook implements StageFrom {
  readonly pid: Pid;
  /** Set once cancelled or the producer is down: late events are dropped. */
  active = true;
  downReason: ExitReason = undefined;
  private readonly askMessage: AskMessage;

  constructor(
    readonly owner: Process,
    readonly producer: Process,
    readonly ref: Ref,
    readonly options: ParsedSubscription,
    /** `null` for manual demand. */
    readonly demand: SubscriptionDemand | null,
  ) {
    super();
    this.pid = producer.pid;
    this.askMessage = new AskMessage(ref);
    attachHook(producer, this);
  }

  /** Asks the producer for `count` more events. */
  ask(count: number): void {
    const message = this.askMessage;
    if (message.queued) {
      message.count += count;
      return;
    }
    message.count = count;
    message.queued = true;
    this.producer.deliver(message);
  }

  onExit(_pid: Pid, reason: ExitReason): void {
    this.downReason = reason;
    this.owner.deliver(this);
  }
}

/**
 * @internal The producer's record of a subscription: the dispatcher's {@link Subscriber}, and
 * the hook watching the consumer.
 */
export class ProducerSide extends ExitHook implements Subscriber<unknown> {
  readonly pid: Pid;
  downReason: ExitReason = undefined;
  /** The last events sent, which may still wait, unread and newest, in the consumer's mailbox. */
  private last: EventsMessage | null = null;

  constructor(
    readonly owner: Process,
    readonly consumer: Process,
    readonly ref: Ref,
    /**
     * The most events one message may carry by merging sends: the consumer's batch size
     * (`maxDemand - minDemand`), which it hands to `handleEvents` at once anyway; 0 never merges
     * (manual demand, whose consumer gets each message's events as they were sent).
     */
    private readonly mergeLimit: number,
    /** The consumer's record of this subscription. */
    private readonly target: ConsumerSide,
  ) {
    super();
    this.pid = consumer.pid;
    attachHook(consumer, this);
  }

  /**
   * Events sent while the previous message of this subscription is still the newest in the
   * consumer's mailbox join it: the consumer would take the two back to back, so one message
   * holds them, in order, and the consumer handles one batch instead of two (a processor
   * emitting a small chunk per `handleEvents` would otherwise wake its consumer for each).
   */
  send(events: readonly unknown[]): void {
    const last = this.last;
    if (
      last !== null &&
      last.events.length + events.length <= this.mergeLimit &&
      this.consumer.lastMessage() === last
    ) {
      last.join(events);
      return;
    }
    const message = new EventsMessage(this.target, events);
    this.last = message;
    this.consumer.deliver(message);
  }

  onExit(_pid: Pid, reason: ExitReason): void {
    this.downReason = reason;
    this.owner.deliver(this);
  }
}

/** @internal Detaches a stage's records from the processes they watch when the stage exits. */
export class StageCleanup extends ExitHook {
  constructor(private readonly records: () => Iterable<ExitHook>) {
    super();
  }

  onExit(): void {
    for (const record of this.records()) {
      if (record.hookOwner !== null) detachHook(record);
    }
  }
}
