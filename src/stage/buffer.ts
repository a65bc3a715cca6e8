/**
 * The producer's buffer: events emitted beyond demand wait here, in order, until consumers ask,
 * as GenStage's `Buffer`. A pure queue of event chunks (the arrays as they were emitted, never
 * copied event by event) and of infos queued behind them (`syncInfo`).
 */
import { Queue } from "../kernel/queue.js";

/** Which events a full buffer keeps: the oldest (`"first"`) or the newest (`"last"`). */
export type BufferKeep = "first" | "last";

class Chunk<T> {
  constructor(
    readonly events: readonly T[],
    public start: number,
  ) {}
}

/** An info waiting behind the events buffered before it. */
class Info {
  constructor(readonly message: unknown) {}
}

const NONE: readonly never[] = Object.freeze([]);

/**
 * A bounded queue of events. `store` appends and returns how many events it dropped because the
 * buffer was full (`keep: "first"` drops the newcomers, `"last"` the oldest); `take(n)` removes
 * up to `n` events from the front, in order, handing back an emitted array untouched when it is
 * taken whole. Infos keep their place behind the events stored before them and are never dropped.
 *
 * @example
 * ```ts
 * const buffer = new EventBuffer<number>(3, "last");
 * buffer.store([1, 2]); // 0
 * buffer.store([3, 4]); // 1: 1 dropped
 * buffer.take(10); // [2, 3, 4]
 * ```
 */
export class EventBuffer<T> {
  private readonly items = new Queue<Chunk<T> | Info>(8);
  private size = 0;

  constructor(
    /** The most events it holds; `Infinity` for no bound. */
    readonly capacity: number,
    readonly keep: BufferKeep,
  ) {}

  /** Events buffered now (infos not counted). */
  get length(): number {
    return this.size;
  }

  /** True when neither events nor infos wait. */
  get empty(): boolean {
    return this.items.length === 0;
  }

  /** Appends `events`; returns how many events were dropped to stay within the capacity. */
  store(events: readonly T[]): number {
    const n = events.length;
    if (n === 0) return 0;
    const room = this.capacity - this.size;
    if (this.keep === "first") {
      if (room <= 0) return n;
      if (n <= room) {
        this.push(events, 0, n);
        return 0;
      }
      this.push(events.slice(0, room), 0, room);
      return n - room;
    }
    if (n >= this.capacity) {
      const dropped = this.size + n - this.capacity;
      this.dropOldest(this.size);
      if (this.capacity > 0) {
        const start = n - this.capacity;
        this.push(events, start, this.capacity);
      }
      return dropped;
    }
    const excess = n - room;
    if (excess > 0) this.dropOldest(excess);
    this.push(events, 0, n);
    return Math.max(excess, 0);
  }

  /** Queues `message` behind the events buffered now. */
  storeInfo(message: unknown): void {
    this.items.push(new Info(message));
  }

  /**
   * Removes up to `n` events from the front. Each info that reaches the front (every event
   * before it taken) goes to `onInfo`, in order, even when `n` is 0.
   */
  take(n: number, onInfo?: (message: unknown) => void): readonly T[] {
    const items = this.items;
    let out: T[] | null = null;
    let whole: readonly T[] = NONE;
    let wanted = n;
    while (items.length > 0) {
      const head = items.at(0) as Chunk<T> | Info;
      if (head instanceof Info) {
        items.shift();
        onInfo?.(head.message);
        continue;
      }
      if (wanted === 0) break;
      const available = head.events.length - head.start;
      const k = Math.min(available, wanted);
      if (k === available) items.shift();
      if (out === null && whole === NONE && head.start === 0 && k === head.events.length) {
        whole = head.events;
      } else {
        if (out === null) out = whole === NONE ? [] : whole.slice();
        const events = head.events;
        const end = head.start + k;
        for (let i = head.start; i < end; i++) out.push(events[i] as T);
        head.start = end;
      }
      wanted -= k;
    }
    this.size -= n - wanted;
    return out ?? whole;
  }

  private push(events: readonly T[], start: number, count: number): void {
    this.items.push(new Chunk(events, start));
    this.size += count;
  }

  /** Drops the `count` oldest events; infos stay, in their order. */
  private dropOldest(count: number): void {
    const items = this.items;
    let left = count;
    let i = 0;
    while (left > 0 && i < items.length) {
      const item = items.at(i) as Chunk<T> | Info;
      if (item instanceof Info) {
        i++;
        continue;
      }
      const available = item.events.length - item.start;
      if (available <= left) {
        items.removeAt(i);
        left -= available;
      } else {
        item.start += left;
        left = 0;
      }
    }
    this.size -= count - left;
  }
}
