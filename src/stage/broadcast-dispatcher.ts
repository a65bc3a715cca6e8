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
  /** What it asked for and did not get yet. */
  demand: number;
  /** The position in the sequence of the next event it gets (see `BroadcastDispatcher.end`). */
  cursor: number;
}

/**
 * GenStage's `BroadcastDispatcher`: each event goes to every subscriber, in the order emitted,
 * and the producer is asked only for what all of them can take, so it proceeds at the pace of
 * the slowest one; no subscriber ever gets more than it asked for. A subscriber gets every event
 * emitted after it subscribed: one that comes while the others' events are under way, or that
 * falls behind, gets them from a backlog the dispatcher keeps until every subscriber has had
 * them (bounded by what was asked for).
 *
 * A subscriber may pass a `selector` when it subscribes: it gets only the events the selector
 * accepts, and the events it rejects count as delivered to it without using its demand, so a
 * selective subscriber never holds the others back. The demand this frees is asked upstream at
 * the next `ask` or `cancel`, or as soon as the producer collects it with
 * {@link BroadcastDispatcher.takeDemand}, which a stage does after each dispatch: a consumer
 * whose selector rejects most events is not left waiting for the few it takes.
 *
 * A process may subscribe once: a second subscription of the same consumer is refused with an
 * `AlreadySubscribedError`. Subscribers may receive the same array: events must not be mutated.
 *
 * @example Every consumer sees every event; one only the errors
 * ```ts
 * const logs = await GenStage.start({
 *   init: () => GenStage.producer(0, { dispatcher: new BroadcastDispatcher<LogLine>() }),
 *   handleDemand: (demand, n) => GenStage.emit(nextLines(n, demand), n + demand),
 * }, undefined);
 * await GenStage.syncSubscribe(archive, { to: logs });
 * await GenStage.syncSubscribe(alerts, { to: logs, selector: (line) => line.level === "error" });
 * ```
 */
export class BroadcastDispatcher<T> implements Dispatcher<T> {
  private readonly entries: BroadcastEntry<T>[] = [];
  /** Events some subscriber has not had yet, from position `base` of the sequence on. */
  private backlog: T[] = [];
  private base = 0;
  /** Events the producer was asked for and has not emitted yet. */
  private waiting = 0;
  /** A selector rejected events since the demand was last computed. */
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
    this.entries.push({ subscriber, selector, demand: 0, cursor: this.end });
    return 0;
  }

  cancel(subscriber: Subscriber<T>): number {
    const index = this.indexOf(subscriber);
    if (index < 0) return 0;
    this.entries.splice(index, 1);
    this.trim();
    // The slowest subscriber may be the one that left: what the others asked is free now.
    return this.newDemand();
  }

  ask(count: number, subscriber: Subscriber<T>): number {
    const index = this.indexOf(subscriber);
    if (index < 0) return 0;
    const entry = this.entries[index] as BroadcastEntry<T>;
    entry.demand += count;
    if (entry.cursor < this.end) {
      this.deliver(entry);
      this.trim();
    }
    return this.newDemand();
  }

  /**
   * Demand freed since the last `ask` by events that selectors rejected (they count as delivered
   * without using demand): a producer calls it after `dispatch` and asks for the result as if a
   * consumer had, so that a selective subscriber is never left waiting for events that will not
   * reach it. Returns 0 when there is none.
   *
   * @example
   * ```ts
   * dispatcher.dispatch([1, 3, 5, 6], 4); // the lone subscriber selects even numbers
   * dispatcher.takeDemand(); // 3
   * ```
   */
  takeDemand(): number {
    return this.credited ? this.newDemand() : 0;
  }

  dispatch(events: readonly T[], length: number): readonly T[] {
    const n = Math.min(length, this.waiting);
    if (n === 0 || this.entries.length === 0) return events;
    this.waiting -= n;
    const now = n === events.length ? events : events.slice(0, n);
    if (this.backlog.length === 0 && this.allTake(n)) {
      // The usual case: everyone is up to date and has demand for all of them.
      for (const entry of this.entries) {
        entry.demand -= n;
        entry.cursor += n;
        entry.subscriber.send(now);
      }
      this.base += n;
    } else {
      for (let i = 0; i < n; i++) this.backlog.push(now[i] as T);
      for (const entry of this.entries) {
        if (entry.cursor < this.end) this.deliver(entry);
      }
      this.trim();
    }
    if (n === events.length) return NO_EVENTS;
    return events.slice(n);
  }

  /**
   * What each subscriber asked for and did not get yet, and how many events wait for it in the
   * backlog, in subscription order: for tests and inspection.
   */
  demands(): Array<{ subscriber: Subscriber<T>; demand: number; behind: number }> {
    const end = this.end;
    return this.entries.map((e) => ({
      subscriber: e.subscriber,
      demand: e.demand,
      behind: end - e.cursor,
    }));
  }

  /** The position of the next event the producer emits. */
  private get end(): number {
    return this.base + this.backlog.length;
  }

  private allTake(n: number): boolean {
    for (const entry of this.entries) {
      if (entry.selector !== undefined || entry.demand < n || entry.cursor !== this.base) {
        return false;
      }
    }
    return true;
  }

  /** Sends `entry` what its demand allows of the events it has not had, skipping rejected ones. */
  private deliver(entry: BroadcastEntry<T>): void {
    const backlog = this.backlog;
    const end = this.end;
    const selector = entry.selector;
    let cursor = entry.cursor;
    let demand = entry.demand;
    const out: T[] = [];
    while (cursor < end) {
      const event = backlog[cursor - this.base] as T;
      if (selector !== undefined && !selector(event)) {
        this.credited = true;
        cursor++;
        continue;
      }
      if (demand === 0) break;
      out.push(event);
      demand--;
      cursor++;
    }
    entry.cursor = cursor;
    entry.demand = demand;
    if (out.length > 0) entry.subscriber.send(out);
  }

  /** Drops the events every subscriber has had. */
  private trim(): void {
    const entries = this.entries;
    let min = this.end;
    for (const entry of entries) if (entry.cursor < min) min = entry.cursor;
    const drop = min - this.base;
    if (drop === 0) return;
    if (drop === this.backlog.length) this.backlog = [];
    else this.backlog.splice(0, drop);
    this.base = min;
  }

  /**
   * Asks for what every subscriber can still take beyond the events already on their way to it
   * (its backlog, and what the producer was asked for): the least of these, over subscribers.
   */
  private newDemand(): number {
    this.credited = false;
    const entries = this.entries;
    if (entries.length === 0) return 0;
    const end = this.end;
    let room = Infinity;
    for (const entry of entries) {
      const free = entry.demand - (end - entry.cursor);
      if (free < room) room = free;
    }
    const more = room - this.waiting;
    if (more <= 0) return 0;
    this.waiting += more;
    return more;
  }

  private indexOf(subscriber: Subscriber<T>): number {
    const entries = this.entries;
    for (let i = 0; i < entries.length; i++) {
      if ((entries[i] as BroadcastEntry<T>).subscriber === subscriber) return i;
    }
    return -1;
  }
}
