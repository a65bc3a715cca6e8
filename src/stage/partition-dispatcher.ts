/**
 * The partition dispatcher: events routed by a hash to a fixed partition per subscriber, as
 * GenStage's `PartitionDispatcher`; how per-key ordering is kept. A pure state machine driven by
 * its producer.
 */
import { formatValue, invalidArgument } from "../kernel/errors.js";
import { type OptionsInput, option, schema } from "../kernel/options.js";
import { Queue } from "../kernel/queue.js";
import {
  type Dispatcher,
  type DispatcherSubscribeOptions,
  NO_EVENTS,
  type Subscriber,
} from "./dispatcher.js";
import { PartitionTakenError } from "./dispatcher-errors.js";
import { hashEvent } from "./event-hash.js";

/** The name of a partition: its index when `partitions` is a count, else one of the names given. */
export type PartitionName = string | number;

const isPartitions = (v: unknown): v is number | readonly PartitionName[] =>
  (Number.isInteger(v) && (v as number) >= 1) ||
  (Array.isArray(v) &&
    v.length > 0 &&
    v.every((p) => typeof p === "string" || Number.isFinite(p)) &&
    new Set(v).size === v.length);

/**
 * The options of {@link PartitionDispatcher}.
 *
 * | option | type | default | |
 * |---|---|---|---|
 * | `partitions` | positive integer, or a non-empty array of distinct names | required | `4` names the partitions 0..3 |
 * | `key` | `(event) => key` | the event itself | the partition is chosen by a stable hash of the key |
 * | `hash` | `(event) => partition` | none | chooses the partition itself; not with `key` |
 */
export const partitionDispatcherOptions = schema({
  partitions: option
    .custom(
      "a positive integer or a non-empty array of distinct partition names (strings or numbers)",
      isPartitions,
    )
    .doc("The number of partitions (named 0 to n - 1), or their names."),
  key: option
    .func<(event: never) => unknown>()
    .optional()
    .doc("The part of an event that chooses its partition, by a stable hash; default the event."),
  hash: option
    .func<(event: never) => unknown>()
    .optional()
    .doc("Returns the partition of an event (one of the names); replaces the hash of `key`."),
});

/** The options of {@link PartitionDispatcher}, typed by the events `T`. */
export type PartitionDispatcherOptions<T> = Omit<
  OptionsInput<typeof partitionDispatcherOptions>,
  "key" | "hash"
> & {
  readonly key?: ((event: T) => unknown) | undefined;
  readonly hash?: ((event: T) => PartitionName) | undefined;
};

interface Partition<T> {
  readonly name: PartitionName;
  subscriber: Subscriber<T> | undefined;
  /** What the subscriber asked for and did not get yet; 0 while `queue` holds events. */
  demand: number;
  /** Events of this partition waiting for demand (or for a subscriber), oldest first. */
  readonly queue: Queue<T>;
  /** The events routed here by the dispatch in progress. */
  batch: T[];
  /** Events taken from `queue` so far: positions in the queue for `markers`. */
  taken: number;
  /** Infos waiting for this partition's queue to drain up to `at`, oldest first. */
  readonly markers: Marker[];
}

/** An info held until the events queued before it, in every partition, went out. */
interface PendingInfo {
  readonly message: unknown;
  readonly deliver: (message: unknown) => void;
  /** Partitions whose queued events have not all gone out yet. */
  partitions: number;
}

interface Marker {
  readonly at: number;
  readonly info: PendingInfo;
}

/**
 * GenStage's `PartitionDispatcher`: each event goes to one partition, chosen by `hash(event)`
 * (or by a stable hash of `key(event)`, by default of the event itself), and each partition to
 * the one subscriber that subscribed with `partition: name`. Every event reaches its
 * partition's subscriber exactly once and in the order the producer emitted it, never above the
 * subscriber's demand: so all the events of one key are handled in order by one consumer.
 *
 * The producer is asked for what all subscribers asked in total. Events for a partition whose
 * subscriber has no demand left, or that has no subscriber (yet, or any more), wait in that
 * partition's queue in the dispatcher and go out first when it asks: none is lost. A backed-up
 * partition thus holds the others back once the total demand is spent, as in GenStage; spread
 * keys evenly.
 *
 * Subscribing without `partition` or with a name that is not a partition, and a `hash`
 * returning something that is not a partition, throw `InvalidArgumentError`; subscribing to a
 * partition another subscriber holds throws `PartitionTakenError`. Unlike GenStage, which drops them, the queued events of a cancelled
 * subscriber stay for the next subscriber of its partition.
 *
 * @example Ordered per user, four consumers
 * ```ts
 * const producer = await GenStage.start({
 *   init: (orders: Order[]) =>
 *     GenStage.producer(orders, {
 *       dispatcher: new PartitionDispatcher<Order>({ partitions: 4, key: (order) => order.userId }),
 *     }),
 *   handleDemand: (demand, orders) => GenStage.emit(orders.slice(0, demand), orders.slice(demand)),
 * }, pendingOrders);
 * for (let partition = 0; partition < 4; partition++) {
 *   await GenStage.syncSubscribe(consumers[partition], { to: producer, partition });
 * }
 * ```
 */
export class PartitionDispatcher<T> implements Dispatcher<T> {
  private readonly partitions = new Map<PartitionName, Partition<T>>();
  private readonly ordered: Partition<T>[] = [];
  private readonly bySubscriber = new Map<Subscriber<T>, Partition<T>>();
  private readonly route: (event: T) => Partition<T>;
  /** Events the producer was asked for and has not emitted yet. */
  private waiting = 0;
  /** Demand of cancelled subscriptions still owed by the producer, counted against new asks. */
  private pending = 0;

  /**
   * @param options see {@link partitionDispatcherOptions}
   * @throws InvalidArgumentError for a bad option, or both `key` and `hash`
   */
  constructor(options: PartitionDispatcherOptions<T>) {
    const parsed = partitionDispatcherOptions.parse(options, "partitionDispatcher");
    if (parsed.key !== undefined && parsed.hash !== undefined) {
      invalidArgument("partitionDispatcher.hash", "no `hash` when `key` is given", parsed.hash);
    }
    const names =
      typeof parsed.partitions === "number"
        ? Array.from({ length: parsed.partitions }, (_, i) => i)
        : [...parsed.partitions];
    for (const name of names) {
      const partition: Partition<T> = {
        name,
        subscriber: undefined,
        demand: 0,
        queue: new Queue<T>(),
        batch: [],
        taken: 0,
        markers: [],
      };
      this.partitions.set(name, partition);
      this.ordered.push(partition);
    }
    this.route = this.router(
      parsed.key as ((event: T) => unknown) | undefined,
      parsed.hash as ((event: T) => unknown) | undefined,
    );
  }

  /** The partition names, in order. */
  names(): PartitionName[] {
    return this.ordered.map((p) => p.name);
  }

  subscribe(subscriber: Subscriber<T>, options: DispatcherSubscribeOptions<T>): number {
    const name = options.partition;
    const partition = this.partitions.get(name as PartitionName);
    if (partition === undefined) invalidArgument("partition", this.expectedName(), name);
    if (partition.subscriber !== undefined) {
      throw new PartitionTakenError(partition.name, partition.subscriber.pid);
    }
    partition.subscriber = subscriber;
    this.bySubscriber.set(subscriber, partition);
    return 0;
  }

  cancel(subscriber: Subscriber<T>): number {
    const partition = this.bySubscriber.get(subscriber);
    if (partition === undefined) return 0;
    this.bySubscriber.delete(subscriber);
    partition.subscriber = undefined;
    // The producer still owes what this subscriber asked: the next asks need not ask it again.
    this.pending += partition.demand;
    partition.demand = 0;
    return 0;
  }

  ask(count: number, subscriber: Subscriber<T>): number {
    const partition = this.bySubscriber.get(subscriber);
    if (partition === undefined) return 0;
    const queue = partition.queue;
    if (queue.length === 0) {
      partition.demand += count;
    } else {
      const n = Math.min(count, queue.length);
      const out = new Array<T>(n);
      for (let i = 0; i < n; i++) out[i] = queue.shift() as T;
      subscriber.send(out);
      partition.demand += count - n;
      partition.taken += n;
      if (partition.markers.length > 0) this.release(partition);
    }
    const alreadyAsked = Math.min(this.pending, count);
    this.pending -= alreadyAsked;
    const demand = count - alreadyAsked;
    this.waiting += demand;
    return demand;
  }

  dispatch(events: readonly T[], length: number): readonly T[] {
    const waiting = this.waiting;
    if (waiting === 0) return events;
    const n = Math.min(length, waiting);
    // Every event is routed before any state changes, so a bad hash leaves the dispatcher whole.
    const routes = new Array<Partition<T>>(n);
    for (let i = 0; i < n; i++) routes[i] = this.route(events[i] as T);
    this.waiting = waiting - n;
    for (let i = 0; i < n; i++) (routes[i] as Partition<T>).batch.push(events[i] as T);
    for (const partition of this.ordered) {
      const batch = partition.batch;
      if (batch.length === 0) continue;
      partition.batch = [];
      this.deliver(partition, batch);
    }
    if (n === events.length) return NO_EVENTS;
    return events.slice(n);
  }

  /**
   * Holds `message` until every event queued now, in every partition, went to its subscriber
   * (GenStage's `PartitionDispatcher.info/2`), so that an info sent after events never
   * overtakes them; delivers it at once when nothing is queued.
   */
  info(message: unknown, deliver: (message: unknown) => void): void {
    const info: PendingInfo = { message, deliver, partitions: 0 };
    for (const partition of this.ordered) {
      if (partition.queue.length === 0) continue;
      info.partitions++;
      partition.markers.push({ at: partition.taken + partition.queue.length, info });
    }
    if (info.partitions === 0) deliver(message);
  }

  private release(partition: Partition<T>): void {
    const markers = partition.markers;
    while (markers.length > 0 && (markers[0] as Marker).at <= partition.taken) {
      const { info } = markers.shift() as Marker;
      info.partitions--;
      if (info.partitions === 0) info.deliver(info.message);
    }
  }

  /** Per partition: its subscriber's remaining demand and the events queued for it. */
  state(): Array<{
    partition: PartitionName;
    demand: number;
    queued: number;
    subscribed: boolean;
  }> {
    return this.ordered.map((p) => ({
      partition: p.name,
      demand: p.demand,
      queued: p.queue.length,
      subscribed: p.subscriber !== undefined,
    }));
  }

  /** Sends `batch` (this partition's new events, in order) as far as demand allows; queues the rest. */
  private deliver(partition: Partition<T>, batch: T[]): void {
    const subscriber = partition.subscriber;
    const demand = partition.demand;
    // Events already queued go first: new ones may not overtake them.
    if (subscriber === undefined || demand === 0 || partition.queue.length > 0) {
      for (const event of batch) partition.queue.push(event);
      return;
    }
    if (batch.length <= demand) {
      partition.demand = demand - batch.length;
      subscriber.send(batch);
      return;
    }
    partition.demand = 0;
    subscriber.send(batch.slice(0, demand));
    for (let i = demand; i < batch.length; i++) partition.queue.push(batch[i] as T);
  }

  private router(
    key: ((event: T) => unknown) | undefined,
    hash: ((event: T) => unknown) | undefined,
  ): (event: T) => Partition<T> {
    if (hash !== undefined) {
      return (event) => {
        const name = hash(event);
        const partition = this.partitions.get(name as PartitionName);
        if (partition === undefined) invalidArgument("hash(event)", this.expectedName(), name);
        return partition;
      };
    }
    const ordered = this.ordered;
    const count = ordered.length;
    if (key !== undefined) {
      return (event) => ordered[hashEvent(key(event), "key(event)") % count] as Partition<T>;
    }
    return (event) => ordered[hashEvent(event, "event") % count] as Partition<T>;
  }

  private expectedName(): string {
    const names = this.ordered.map((p) => formatValue(p.name));
    const shown = names.length > 10 ? [...names.slice(0, 10), "…"] : names;
    return `one of the partitions ${shown.join(", ")}`;
  }
}
