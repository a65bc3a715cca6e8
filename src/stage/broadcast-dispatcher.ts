/**
 * The broadcast dispatcher: every event to every subscriber, at the pace of the slowest one, as
 * GenStage's `BroadcastDispatcher`. A pure state machine driven by its producer.
 */
import { invalidArgument } from "../kernel/errors.js";
import {
  type Dispatcher,
  type DispatcherSubscribeOptions,
  NO_EVENTS,
  type Subscriber,
} from "./dispatcher.js";
import { AlreadySubscribedError } from "./dispatcher-errors.js";

interface BroadcastEntry<T> {
  readonly subscriber: Subscriber<T>;
  readonly selector: ((event: T) => boolean) | undefined;
  /**
   * What this subscriber asked for beyond what the dispatcher already counts in `waiting`; it
   * goes below zero for a subscriber that came late (it must first ask for what the others
   * already asked).
   */
  counter: number;
}

/**
 * GenStage's `BroadcastDispatcher`: each event goes to every subscriber, and the producer is
 * asked only for what all of them asked, so it proceeds at the pace of the slowest one and no
 * subscriber ever gets more than it asked for. A subscriber may pass a `selector` when it
 * subscribes: it gets only the events the selector accepts, and the events it rejects still
 * count as delivered to it (its demand for them is given back), so a selective subscriber never
 * holds the others back. A process may subscribe once: a second subscription of the same
 * consumer is refused with an `AlreadySubscribedError`. Every subscriber receives the same array of a batch: events must not be
 * mutated.
 *
 * Demand given back for rejected events is asked upstream at the next `ask` or `cancel`, or as
 * soon as the producer collects it with {@link BroadcastDispatcher.takeDemand}.
 *
 * @example Every consumer sees every event; one only the errors
 * ```ts
 * const logs = await GenStage.start(self, {
 *   init: () => GenStage.producer(0, { dispatcher: new BroadcastDispatcher<LogLine>() }),
 *   handleDemand: (demand, n) => GenStage.events(nextLines(n, demand), n + demand),
 * });
 * await GenStage.syncSubscribe(archive, { to: logs });
 * await GenStage.syncSubscribe(alerts, { to: logs, selector: (line) => line.level === "error" });
 * ```
 */
export class BroadcastDispatcher<T> implements Dispatcher<T> {
  private readonly entries: BroadcastEntry<T>[] = [];
  /** Events the producer was asked for that every subscriber can take: the next ones out. */
  private waiting = 0;
  /** Some subscriber got demand back from its selector since the minimum was last taken. */
  private credited = false;

  subscribe(subscriber: Subscriber<T>, options: DispatcherSubscribeOptions<T>): number {
    const selector = options.selector;
    if (selector !== undefined && typeof selector !== "function") {
      invalidArgument("selector", "a function", selector);
    }
    for (const entry of this.entries) {
      if (entry.subscriber.pid.equals(subscriber.pid)) {
        throw new AlreadySubscribedError(subscriber.pid);
      }
    }
    this.entries.push({ subscriber, selector, counter: -this.waiting });
    return 0;
  }

  cancel(subscriber: Subscriber<T>): number {
    const index = this.indexOf(subscriber);
    if (index < 0) return 0;
    this.entries.splice(index, 1);
    // The slowest subscriber may be the one that left: what the others asked is free now.
    return this.takeMinimum();
  }

  ask(count: number, subscriber: Subscriber<T>): number {
    const index = this.indexOf(subscriber);
    if (index < 0) return 0;
    (this.entries[index] as BroadcastEntry<T>).counter += count;
    return this.takeMinimum();
  }

  /**
   * Demand given back by selectors (events a subscriber's selector rejected count as delivered
   * to it) that is now free for every subscriber: a producer calls it after `dispatch` and asks
   * for the result as if a consumer had, so a selective subscriber is never left waiting for
   * events that will never reach it. Returns 0 when there is none.
   *
   * @example
   * ```ts
   * dispatcher.dispatch([1, 2, 3], 3); // a subscriber selecting even numbers rejected 2 events
   * dispatcher.takeDemand(); // up to 2, once every other subscriber asked as much
   * ```
   */
  takeDemand(): number {
    return this.credited ? this.takeMinimum() : 0;
  }

  dispatch(events: readonly T[], length: number): readonly T[] {
    const waiting = this.waiting;
    if (waiting === 0 || this.entries.length === 0) return events;
    const n = Math.min(length, waiting);
    this.waiting = waiting - n;
    const now = n === events.length ? events : events.slice(0, n);
    for (const entry of this.entries) {
      const selector = entry.selector;
      if (selector === undefined) {
        entry.subscriber.send(now);
        continue;
      }
      const selected: T[] = [];
      for (let i = 0; i < n; i++) {
        const event = now[i] as T;
        if (selector(event)) selected.push(event);
      }
      if (selected.length > 0) entry.subscriber.send(selected);
      const rejected = n - selected.length;
      if (rejected > 0) {
        entry.counter += rejected;
        this.credited = true;
      }
    }
    if (n === events.length) return NO_EVENTS;
    return events.slice(n);
  }

  /**
   * What each subscriber can still take before the producer must be asked again, in
   * subscription order: for tests and inspection.
   */
  demands(): Array<{ subscriber: Subscriber<T>; demand: number }> {
    return this.entries.map((e) => ({
      subscriber: e.subscriber,
      demand: e.counter + this.waiting,
    }));
  }

  /**
   * Moves what every subscriber asked for (the minimum of their counters) into `waiting` and
   * returns it: the demand to ask upstream.
   */
  private takeMinimum(): number {
    this.credited = false;
    const entries = this.entries;
    if (entries.length === 0) return 0;
    let min = (entries[0] as BroadcastEntry<T>).counter;
    for (let i = 1; i < entries.length; i++) {
      const counter = (entries[i] as BroadcastEntry<T>).counter;
      if (counter < min) min = counter;
    }
    if (min <= 0) return 0;
    for (const entry of entries) entry.counter -= min;
    this.waiting += min;
    return min;
  }

  private indexOf(subscriber: Subscriber<T>): number {
    const entries = this.entries;
    for (let i = 0; i < entries.length; i++) {
      if ((entries[i] as BroadcastEntry<T>).subscriber === subscriber) return i;
    }
    return -1;
  }
}
