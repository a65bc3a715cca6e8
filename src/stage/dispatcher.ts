/**
 * Dispatchers: how a producer shares its events among its subscribers. A pure state machine,
 * driven by the producer's process and unit-tested without one, as GenStage's
 * `GenStage.Dispatcher` behaviour.
 *
 * The producer calls the dispatcher on four occasions, and each call returns a number or the
 * events it could not place:
 * - `subscribe`: a consumer subscribed; returns demand to ask upstream (usually 0).
 * - `cancel`: a subscription ended; returns demand to ask upstream (usually 0).
 * - `ask`: a consumer asked for `count` more events; returns the demand the producer adds to its
 *   own and passes to `handleDemand` (0 when it is already covered, as the broadcast dispatcher
 *   does until the slowest subscriber asks).
 * - `dispatch`: the producer has events; the dispatcher sends what demand allows through each
 *   subscriber's `send` and returns the rest, which the producer keeps in its buffer.
 *
 * A dispatcher that frees demand on its own while dispatching (the broadcast dispatcher, for the
 * events a selector rejected) also has `takeDemand`, which the producer calls after each
 * `dispatch`.
 */
import type { Pid, Ref } from "../kernel/pid.js";

/**
 * One subscription as its producer's dispatcher sees it. `send` delivers an array of events to
 * the consumer in one message; the array is handed over by reference, so the dispatcher must not
 * touch it afterwards (slice first when it keeps a part). Events always travel as arrays.
 */
export interface Subscriber<T> {
  /** The consumer's pid. */
  readonly pid: Pid;
  /** Names this subscription, unique within the producer. */
  readonly ref: Ref;
  /** Delivers `events` (non-empty) to the consumer, as one message. */
  send(events: readonly T[]): void;
}

/**
 * What a consumer passed to `subscribe` that concerns the producer's dispatcher. Each dispatcher
 * reads the fields it knows and ignores the others.
 */
export interface DispatcherSubscribeOptions<T> {
  /** The partition this subscriber takes (partition dispatcher). */
  readonly partition?: unknown;
  /** Only events for which it returns true go to this subscriber (broadcast dispatcher). */
  readonly selector?: ((event: T) => boolean) | undefined;
}

/**
 * How a producer hands its events to its subscribers: {@link DemandDispatcher} (the default),
 * broadcast, partition. Make a new one per producer (in the producer's `init`): it holds state.
 * `subscribe` may throw a `BeamishError` to refuse a subscription; the producer then cancels it
 * with that error as the reason.
 *
 * @example
 * ```ts
 * class EveryOther<T> implements Dispatcher<T> { ... }
 * GenStage.start(self, {
 *   init: () => GenStage.producer(0, { dispatcher: new EveryOther<number>() }),
 *   handleDemand: (demand, n) => GenStage.events(range(n, demand), n + demand),
 * });
 * ```
 */
export interface Dispatcher<T> {
  /** A new subscription; returns the demand to ask upstream now. */
  subscribe(subscriber: Subscriber<T>, options: DispatcherSubscribeOptions<T>): number;
  /** The subscription ended (cancelled, or its consumer died); returns demand to ask upstream. */
  cancel(subscriber: Subscriber<T>): number;
  /** `subscriber` asked for `count` more events; returns the demand for `handleDemand`. */
  ask(count: number, subscriber: Subscriber<T>): number;
  /**
   * Sends what demand allows of `events` (whose length is `length`) and returns the events left
   * over, in order: {@link NO_EVENTS} (or any empty array) when all went out.
   */
  dispatch(events: readonly T[], length: number): readonly T[];
  /**
   * Optional: demand freed during `dispatch` without a consumer asking (the broadcast
   * dispatcher's selectors rejected events, which count as delivered). The producer calls it
   * after each `dispatch` and, when it is positive, asks itself for that much through its
   * mailbox, as if a consumer had asked (the buffer first, then `handleDemand`); so a producer
   * whose events keep being rejected goes on producing one mailbox turn at a time. Leave it out
   * when a dispatcher never frees demand this way: the producer then never calls it.
   */
  takeDemand?(): number;
  /**
   * Optional, for a dispatcher that queues events of its own (as the partition dispatcher
   * does per partition): hold `message` (an info from `GenStage.syncInfo`/`asyncInfo`) until the
   * events it holds now went out, then call `deliver(message)`. Without it, infos are delivered
   * once the producer's buffer is through.
   */
  info?(message: unknown, deliver: (message: unknown) => void): void;
}

/** The empty array a dispatcher returns when every event went out: shared, never mutated. */
export const NO_EVENTS: readonly never[] = Object.freeze([]);

interface DemandEntry<T> {
  readonly subscriber: Subscriber<T>;
  demand: number;
}

/**
 * GenStage's default dispatcher: each batch goes to the subscriber with the most demand (equal
 * demands take turns), so the work spreads over consumers that ask. A cancelled subscription's
 * unmet demand stays counted against the next asks, so the producer never emits more than all
 * subscribers asked for in total.
 *
 * @example
 * ```ts
 * const dispatcher = new DemandDispatcher<number>();
 * dispatcher.subscribe(a, {}); // 0
 * dispatcher.ask(10, a); // 10: handleDemand(10)
 * dispatcher.dispatch([1, 2, 3], 3); // [] and a.send([1, 2, 3])
 * ```
 */
export class DemandDispatcher<T> implements Dispatcher<T> {
  /** Sorted by demand, largest first; equal demands in the order they reached that demand. */
  private readonly entries: DemandEntry<T>[] = [];
  /** Demand asked upstream for subscriptions cancelled since, not yet met by events. */
  private pending = 0;

  subscribe(subscriber: Subscriber<T>, _options: DispatcherSubscribeOptions<T>): number {
    this.entries.push({ subscriber, demand: 0 });
    return 0;
  }

  cancel(subscriber: Subscriber<T>): number {
    const index = this.indexOf(subscriber);
    if (index < 0) return 0;
    const entry = this.entries[index] as DemandEntry<T>;
    this.entries.splice(index, 1);
    this.pending += entry.demand;
    return 0;
  }

  ask(count: number, subscriber: Subscriber<T>): number {
    const index = this.indexOf(subscriber);
    if (index < 0) return 0;
    const entry = this.entries[index] as DemandEntry<T>;
    entry.demand += count;
    this.moveUp(index);
    const alreadyAsked = Math.min(this.pending, count);
    this.pending -= alreadyAsked;
    return count - alreadyAsked;
  }

  dispatch(events: readonly T[], length: number): readonly T[] {
    const entries = this.entries;
    let offset = 0;
    while (offset < length && entries.length > 0) {
      const entry = entries[0] as DemandEntry<T>;
      const demand = entry.demand;
      if (demand === 0) break;
      const left = length - offset;
      const n = Math.min(demand, left);
      entry.subscriber.send(
        offset === 0 && n === events.length ? events : events.slice(offset, offset + n),
      );
      offset += n;
      entry.demand = demand - n;
      this.moveDown(0);
    }
    if (offset === 0) return events;
    return offset >= events.length ? NO_EVENTS : events.slice(offset);
  }

  /** The demand each subscriber has, largest first: for tests and inspection. */
  demands(): Array<{ subscriber: Subscriber<T>; demand: number }> {
    return this.entries.map((e) => ({ subscriber: e.subscriber, demand: e.demand }));
  }

  private indexOf(subscriber: Subscriber<T>): number {
    const entries = this.entries;
    for (let i = 0; i < entries.length; i++) {
      if ((entries[i] as DemandEntry<T>).subscriber === subscriber) return i;
    }
    return -1;
  }

  /** The entry at `index` grew: move it before every entry with less demand. */
  private moveUp(index: number): void {
    const entries = this.entries;
    const entry = entries[index] as DemandEntry<T>;
    let i = index;
    while (i > 0 && (entries[i - 1] as DemandEntry<T>).demand < entry.demand) {
      entries[i] = entries[i - 1] as DemandEntry<T>;
      i--;
    }
    entries[i] = entry;
  }

  /** The entry at `index` shrank: move it after every entry with as much demand or more. */
  private moveDown(index: number): void {
    const entries = this.entries;
    const entry = entries[index] as DemandEntry<T>;
    let i = index;
    while (i + 1 < entries.length && (entries[i + 1] as DemandEntry<T>).demand >= entry.demand) {
      entries[i] = entries[i + 1] as DemandEntry<T>;
      i++;
    }
    entries[i] = entry;
  }
}
