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
      const events = buffer.take(demand, this.deliverInfo);
      if (events.length === 0) break;
      demand -= events.length;
      const left = this.dispatcher.dispatch(events, events.length);
      if (left.length > 0) {
        // The dispatcher placed fewer events than the demand it reported: keep them for later.
        this.store(left);
        break;
      }
    }
    if (demand === 0 && !buffer.empty) buffer.take(0, this.deliverInfo);
    return demand;
  }

  /** Sends what demand allows of `events`; the rest waits in the buffer (a full one drops some). */
  dispatch(events: readonly unknown[]): void {
    const n = events.length;
    if (n === 0) return;
    // Events already waiting go first: new ones queue behind them.
    const left = this.buffer.empty ? this.dispatcher.dispatch(events, n) : events;
    if (left.length > 0) this.store(left);
  }

  private store(events: readonly unknown[]): void {
    const dropped = this.buffer.store(events);
    if (dropped > 0) publishDiscard(this.process.pid, dropped, this.buffer.keep);
  }

  /** Queues `message` for `handleInfo` behind the events buffered now. */
  info(message: unknown): void {
    if (this.buffer.empty) this.process.deliver(message);
    else this.buffer.storeInfo(message);
  }

  private readonly deliverInfo = (message: unknown): void => {
    this.process.deliver(message);
  };
}
