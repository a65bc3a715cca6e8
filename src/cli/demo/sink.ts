/**
 * The demo's sink: an append-only NDJSON file per batcher, one line per batch. It checks, as it
 * writes, that each customer's events arrive in the order the shop saw them (their `seq` only
 * grows), which is what `partitionBy` promises.
 */
import { once } from "node:events";
import { createWriteStream, type WriteStream } from "node:fs";

const flushAt = 1 << 16;

/** One event as the sink stores it: the event, enriched. */
export interface SinkEvent {
  readonly customer: string;
  readonly seq: number;
}

/** An order the sink saw break: the customer, and the seq that came after a later one. */
export interface OrderBreak {
  readonly file: string;
  readonly customer: string;
  readonly after: number;
  readonly got: number;
}

/**
 * @example
 * ```ts
 * const sink = new NdjsonSink("/tmp/orders.ndjson");
 * await sink.write("c00042", events, "size");
 * await sink.close();
 * ```
 */
export class NdjsonSink {
  private readonly out: WriteStream;
  private readonly last = new Map<string, number>();
  private error: Error | undefined;
  /** Lines not handed to the stream yet: one write per 64 kB rather than one per batch. */
  private pending = "";
  private flushScheduled = false;
  batches = 0;
  events = 0;
  /** The first breaks of per-customer order, if any (at most 10 kept). */
  readonly breaks: OrderBreak[] = [];
  breakCount = 0;

  constructor(readonly path: string) {
    this.out = createWriteStream(path, { flags: "a" });
    this.out.on("error", (error) => {
      this.error = error;
    });
  }

  /**
   * Appends one batch of `customer`'s events. Resolves at once while the file keeps up, after
   * the stream drains when it does not: the batch processor waits, and back-pressure reaches
   * the producer through demand.
   */
  write(
    customer: string,
    events: readonly SinkEvent[],
    trigger: string,
  ): undefined | Promise<void> {
    if (this.error !== undefined) throw this.error;
    let last = this.last.get(customer) ?? 0;
    for (const event of events) {
      if (event.seq <= last) this.orderBroken(customer, last, event.seq);
      last = event.seq;
    }
    this.last.set(customer, last);
    this.batches++;
    this.events += events.length;
    this.pending += `${JSON.stringify({ batch: this.batches, customer, trigger, events })}\n`;
    if (this.pending.length >= flushAt) this.flush();
    else if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
    return this.out.writableNeedDrain ? this.drained() : undefined;
  }

  /** Customers this sink has seen. */
  get customers(): number {
    return this.last.size;
  }

  /** Flushes and closes the file. */
  async close(): Promise<void> {
    if (this.error !== undefined) throw this.error;
    const finished = once(this.out, "finish");
    this.flush();
    this.out.end();
    await finished;
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.pending === "") return;
    this.out.write(this.pending);
    this.pending = "";
  }

  private async drained(): Promise<void> {
    await once(this.out, "drain");
  }

  private orderBroken(customer: string, after: number, got: number): void {
    this.breakCount++;
    if (this.breaks.length < 10) this.breaks.push({ file: this.path, customer, after, got });
  }
}
