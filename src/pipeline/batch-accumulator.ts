/**
 * Batch accumulation in a batcher: open batches per batch key, closed when full, when a message
 * asks to flush, on timeout or at drain. A pure state machine; the batcher stage owns the clock and its timer.
 */
import { keepShape } from "../kernel/shapes.js";
import type { Message } from "./message.js";

/** One batch being filled. `deadline` is when it times out, set by the batcher as it opens. */
export class OpenBatch {
  readonly messages: Message[] = [];
  deadline = Number.POSITIVE_INFINITY;
  constructor(
    readonly key: unknown,
    readonly partition: number,
  ) {}
}
// One per batch, all dead between bursts: see keepShape.
keepShape(new OpenBatch(undefined, 0));

/**
 * @example
 * ```ts
 * const batches = new BatchAccumulator(2);
 * batches.add(a, 0, (batch) => startTimer(batch)); // undefined: the batch of a's key opened
 * batches.add(b, 0, (batch) => startTimer(batch)); // the full batch [a, b]
 * ```
 */
export class BatchAccumulator {
  /** The open batches of each partition, by batch key; a Map keeps them oldest first. */
  private readonly open: Map<unknown, OpenBatch>[];
  /** Messages in open batches. */
  pending = 0;
  /**
   * The batch the last message went to, while it is open: consecutive messages of one key (the
   * usual run) skip the Map lookup.
   */
  private last: OpenBatch | null = null;

  constructor(
    readonly batchSize: number,
    partitions = 1,
  ) {
    this.open = Array.from({ length: partitions }, () => new Map());
  }

  /**
   * Adds `message` to the open batch of its key in `partition`, opening one (and calling
   * `onOpen(batch, context)`) if needed. Returns the batch if this message closed it: it is
   * full, or the message's batch mode is `"flush"`.
   *
   * `context` is what `onOpen` works on, so that the caller can pass one function made once
   * rather than a closure per batcher: optimized code inlines the callback it saw, and a
   * closure dying with its batcher would discard that code at the next full collection.
   */
  add<C>(
    message: Message,
    partition: number,
    onOpen: (batch: OpenBatch, context: C) => void,
    context?: C,
  ): OpenBatch | undefined {
    const key = message.batchKey;
    let batch = this.last;
    // `===` misses NaN keys, which then take the Map's SameValueZero lookup: still correct.
    if (batch === null || batch.key !== key || batch.partition !== partition) {
      const open = this.open[partition] as Map<unknown, OpenBatch>;
      let found = open.get(key);
      if (found === undefined) {
        found = new OpenBatch(key, partition);
        open.set(key, found);
        onOpen(found, context as C);
      }
      batch = found;
      this.last = found;
    }
    batch.messages.push(message);
    this.pending++;
    if (batch.messages.length >= this.batchSize || message.batchMode === "flush") {
      this.close(batch);
      return batch;
    }
    return undefined;
  }

  /**
   * Closes and returns the open batches whose deadline is at or before `now`, oldest first
   * within a partition.
   */
  closeExpired(now: number): OpenBatch[] {
    const out: OpenBatch[] = [];
    for (const open of this.open) {
      for (const batch of open.values()) if (batch.deadline <= now) out.push(batch);
    }
    for (const batch of out) this.close(batch);
    return out;
  }

  /** The earliest deadline of the open batches; `Infinity` when none is open. */
  nextDeadline(): number {
    let next = Number.POSITIVE_INFINITY;
    for (const open of this.open) {
      for (const batch of open.values()) if (batch.deadline < next) next = batch.deadline;
    }
    return next;
  }

  /** Closes and returns every open batch (oldest first within a partition). */
  closeAll(): OpenBatch[] {
    const all = this.open.flatMap((open) => [...open.values()]);
    for (const open of this.open) open.clear();
    this.last = null;
    this.pending = 0;
    return all;
  }

  private close(batch: OpenBatch): void {
    if (this.last === batch) this.last = null;
    this.open[batch.partition]?.delete(batch.key);
    this.pending -= batch.messages.length;
  }
}
