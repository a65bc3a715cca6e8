/**
 * The producer half of a stage (producers and producer-consumers): subscriptions from
 * consumers, the dispatcher, the buffer, accumulated demand. The stage's actor calls
 * `handleDemand`; everything else about demand on this side is here.
 */
import type { Process } from "../kernel/process.js";
import { EventBuffer } from "./buffer.js";
import { DemandDispatcher, type Dispatcher } from "./dispatcher.js";
import type { ProducerSide } from "./subscription.js";
import { publishDiscard } from "./telemetry.js";

/**
 * @internal The demand a producer's dispatcher freed on its own (see `Dispatcher.takeDemand`),
 * which the producer asks of itself through its mailbox. One per producer, reused as
 * `AskMessage` is: while it waits in the mailbox, more freed demand adds to its count.
 */
export class FreedDemand {
  count = 0;
  queued = false;
}

/** @internal */
export class ProducerCore {
  readonly consumers = new Map<number, ProducerSide>();
  readonly dispatcher: Dispatcher<unknown>;
  readonly buffer: EventBuffer<unknown>;
  /** `demand: "accumulate"`: demand is held, not passed to `handleDemand`. */
  accumulating: boolean;
  accumulated = 0;
  /** Producer-consumer: demand from downstream not yet met by emitted events. */
  downstream = 0;
  /**
   * The dispatcher has `takeDemand`: read once, so that a dispatcher without it (the default
   * one) costs one boolean test per dispatch.
   */
  private readonly freesDemand: boolean;
  private readonly freed = new FreedDemand();

  constructor(
    private readonly process: Process,
    options: {
      readonly dispatcher: Dispatcher<unknown> | undefined;
      readonly bufferSize: number;
      readonly bufferKeep: "first" | "last";
      readonly demand?: "forward" | "accumulate";
    },
  ) {
    this.dispatcher = options.dispatcher ?? new DemandDispatcher();
    this.freesDemand = typeof this.dispatcher.takeDemand === "function";
    this.buffer = new EventBuffer(options.bufferSize, options.bufferKeep);
    this.accumulating = options.demand === "accumulate";
  }

  /**
   * Demand `count` came: buffered events go first; returns what is left for `handleDemand`
   * (or for the producer-consumer's queue).
   */
  take(count: number): number {
    let demand = count;
    const buffer = this.buffer;
    while (demand > 0 && !buffer.empty) {
      const events = buffer.take(demand, this.holdInfo);
      if (events.length === 0) break;
      demand -= events.length;
      const left = this.dispatcher.dispatch(events, events.length);
      if (this.freesDemand) this.collectFreed();
      if (left.length > 0) {
        // The dispatcher placed fewer events than the demand it reported: keep them for later,
        // with the infos that came after them still behind them.
        this.store(left);
        for (const message of this.released) this.buffer.storeInfo(message);
        this.released = [];
        break;
      }
    }
    if (demand === 0 && !buffer.empty) buffer.take(0, this.holdInfo);
    if (this.released.length > 0) this.releaseInfos();
    return demand;
  }

  /** Sends what demand allows of `events`; the rest waits in the buffer (a full one drops some). */
  dispatch(events: readonly unknown[]): void {
    const n = events.length;
    if (n === 0) return;
    // Events already waiting go first: new ones queue behind them.
    if (!this.buffer.empty) {
      this.store(events);
      return;
    }
    const left = this.dispatcher.dispatch(events, n);
    if (this.freesDemand) this.collectFreed();
    if (left.length > 0) this.store(left);
  }

  /**
   * Asks this producer, through its mailbox, for the demand the dispatcher freed. Not at once:
   * a `handleDemand` whose events are all rejected would otherwise loop without end inside one
   * message; this way each round is one mailbox turn, as GenStage's producer sends itself an ask.
   */
  private collectFreed(): void {
    const count = this.dispatcher.takeDemand?.() ?? 0;
    if (count <= 0) return;
    const message = this.freed;
    message.count += count;
    if (message.queued) return;
    message.queued = true;
    this.process.deliver(message);
  }

  private store(events: readonly unknown[]): void {
    const dropped = this.buffer.store(events);
    if (dropped > 0) publishDiscard(this.process.pid, dropped, this.buffer.keep);
  }

  /**
   * Queues `message` for `handleInfo` behind the events buffered now, and behind those its
   * dispatcher holds (see `Dispatcher.info`).
   */
  info(message: unknown): void {
    if (this.buffer.empty) this.routeInfo(message);
    else this.buffer.storeInfo(message);
  }

  /** Infos the buffer let through during `take`: routed once the events before them are dispatched. */
  private released: unknown[] = [];

  private readonly holdInfo = (message: unknown): void => {
    this.released.push(message);
  };

  private releaseInfos(): void {
    const infos = this.released;
    this.released = [];
    for (const message of infos) this.routeInfo(message);
  }

  private routeInfo(message: unknown): void {
    if (this.dispatcher.info === undefined) this.process.deliver(message);
    else this.dispatcher.info(message, this.deliverInfo);
  }

  private readonly deliverInfo = (message: unknown): void => {
    this.process.deliver(message);
  };
}
