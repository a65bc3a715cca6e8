/**
 * The demo's pipeline: NDJSON lines in; validated and enriched in the processors; orders and
 * the rest routed to two batchers, batched per customer; each batch appended to its sink.
 * `partitionBy` keeps each customer's events on one processor and one batch processor, so
 * they reach the sink in the order they were read.
 */
import type { Message, PipelineDefinition, ProducerDefinition } from "../../pipeline/index.js";
import type { Customer, CustomerDirectory } from "./customers.js";
import { customerOf, type ShopEvent, validateEvent } from "./events.js";
import type { NdjsonSink } from "./sink.js";

/** An event with what the directory knows about its customer. */
export type EnrichedEvent = ShopEvent & Customer;

/** The two batchers: orders go to one, views and carts to the other. */
export type BatcherName = "orders" | "activity";

/** A failed message as the summary shows it. */
export interface FailureSample {
  readonly line: number;
  readonly reason: string;
}

/** What `handleFailed` saw: counts by error name, and the first few failures. */
export class Failures {
  readonly byReason = new Map<string, number>();
  readonly samples: FailureSample[] = [];
  count = 0;

  constructor(private readonly keep: number) {}

  record(messages: readonly Message[]): void {
    for (const m of messages) {
      this.count++;
      const reason = m.status.kind === "failed" ? m.status.reason : undefined;
      const name = reason instanceof Error ? reason.name : "Error";
      this.byReason.set(name, (this.byReason.get(name) ?? 0) + 1);
      if (this.samples.length < this.keep) {
        const text = reason instanceof Error ? reason.message : String(reason);
        this.samples.push({ line: m.metadata.line as number, reason: text });
      }
    }
  }
}

/** What every handler is given. */
export interface ShopContext {
  readonly directory: CustomerDirectory;
  readonly sinks: Readonly<Record<BatcherName, NdjsonSink>>;
  readonly failures: Failures;
}

/** What the shop pipeline is made of: its producer, its rate limit, its handlers' context. */
export interface ShopPipelineOptions {
  readonly producer: ProducerDefinition<unknown>;
  /** Messages per second, 0 for no limit. */
  readonly rate: number;
  readonly context: ShopContext;
}

/**
 * Before `handleMessage` runs on a chunk: one lookup for all the chunk's customers missing from
 * the cache (Broadway's idiom for bulk lookups), rather than one wait per message.
 */
function prepareMessages(
  messages: Message<unknown>[],
  { directory }: ShopContext,
): Message<unknown>[] | Promise<Message<unknown>[]> {
  const missing = new Set<string>();
  for (const message of messages) {
    if (message.failed) continue;
    const customer = customerOf(message.data);
    if (customer !== undefined && !directory.has(customer)) missing.add(customer);
  }
  if (missing.size === 0) return messages;
  return directory.fetchMany(missing).then(() => messages);
}

/** Validates one parsed line, routes it by kind and batches it by customer, enriched. */
function handleMessage(
  _processor: string,
  message: Message<unknown>,
  { directory }: ShopContext,
): Message<EnrichedEvent> {
  let event: ShopEvent;
  try {
    event = validateEvent(message.data);
  } catch (error) {
    return message.fail(error) as Message<never>;
  }
  const customer = directory.get(event.customer);
  if (customer === undefined) {
    return message.fail(new Error(`customer ${event.customer} not found`)) as Message<never>;
  }
  return (
    message
      // The parsed line is this message's own: enriched in place, no copy per message.
      .putData(Object.assign(event, customer))
      .putBatcher(event.kind === "order" ? "orders" : "activity")
      .putBatchKey(event.customer)
  );
}

/**
 * The rate limit as the producer takes it: windows of 100 ms when that is exact, so that the
 * flow is smooth rather than a burst each second.
 */
export function rateLimiting(rate: number): { allowedMessages: number; interval: number } {
  return rate % 10 === 0
    ? { allowedMessages: rate / 10, interval: 100 }
    : { allowedMessages: rate, interval: 1000 };
}

/** Processor stages: lookups wait on a timer, so more stages than cores pays. */
export const processorConcurrency = 8;

/**
 * @example
 * ```ts
 * const pipeline = await Pipeline.start(shopPipeline({ producer, rate: 50_000, context }));
 * ```
 */
export function shopPipeline(
  options: ShopPipelineOptions,
): PipelineDefinition<unknown, ShopContext, EnrichedEvent> {
  return {
    name: "shop",
    producer: {
      module: options.producer,
      ...(options.rate > 0 && { rateLimiting: rateLimiting(options.rate) }),
    },
    processors: { default: { concurrency: processorConcurrency, maxDemand: 50 } },
    batchers: {
      orders: { batchSize: 20, batchTimeout: 500, concurrency: 1 },
      activity: { batchSize: 100, batchTimeout: 500, concurrency: 2 },
    },
    // Lines that are not JSON have no customer: their line number spreads them instead.
    partitionBy: (message) => customerOf(message.data) ?? (message.metadata.line as number),
    context: options.context,
    prepareMessages,
    handleMessage,
    handleBatch(batcher, messages, info, { sinks }) {
      const sink = sinks[batcher as BatcherName];
      const written = sink.write(
        info.batchKey as string,
        messages.map((m) => m.data),
        info.trigger,
      );
      return written === undefined ? messages : written.then(() => messages);
    },
    handleFailed(messages, { failures }) {
      failures.record(messages);
      return messages;
    },
  };
}
