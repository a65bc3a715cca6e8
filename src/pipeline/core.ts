/**
 * @internal What every stage of one pipeline shares: the parsed definition, the stage names,
 * the counters and the rate limiter. Same thread only: stages read it directly.
 */
import type { Process, Self } from "../kernel/process.js";
import { hashEvent } from "../stage/event-hash.js";
import type { ProducerDefinition, ThreadedHandler } from "./definition.js";
import type { Message } from "./message.js";
import type { ParsedPipeline } from "./options.js";
import type { RateLimiter } from "./rate-limiter.js";
import { Counters } from "./stats.js";

type Handler = (...args: never[]) => unknown;

/** A batcher's parsed options with its name. */
export interface BatcherConfig {
  readonly name: string;
  readonly concurrency: number;
  readonly batchSize: number;
  readonly batchTimeout: number;
  readonly maxDemand: number;
  readonly minDemand: number | undefined;
  readonly partitionBy: ((message: Message) => unknown) | undefined;
}

/**
 * `partitionBy` made total: the partition (0 to `partitions - 1`) of a message by a stable hash
 * of its key; a `partitionBy` that throws (or a key that cannot be hashed) fails the message,
 * which then takes partition 0 and the failed path, instead of crashing the stage.
 */
export function partitioner(
  partitionBy: (message: Message) => unknown,
  partitions: number,
): (message: Message) => number {
  return (message) => {
    try {
      return hashEvent(partitionBy(message)) % partitions;
    } catch (error) {
      message.fail(error);
      return 0;
    }
  };
}

const passThrough = (_processor: string, message: Message) => message;

export class Core {
  readonly name: string;
  readonly producer: ProducerDefinition;
  readonly producerConcurrency: number;
  readonly group: string;
  readonly processorConcurrency: number;
  readonly maxDemand: number;
  readonly minDemand: number | undefined;
  readonly partitionBy: ((message: Message) => unknown) | undefined;
  readonly batchers: readonly BatcherConfig[];
  readonly batcherNames: readonly string[];
  readonly shutdownTimeout: number;
  readonly context: unknown;
  readonly handleMessage: (processor: string, message: Message, context: unknown) => unknown;
  /** The processors' threaded handler, run on each chunk before `handleMessage`. */
  readonly threads: ThreadedHandler | undefined;
  readonly handleBatch: Handler | undefined;
  readonly handleFailed: Handler | undefined;
  readonly prepareMessages: Handler | undefined;
  readonly counters: Counters;
  limiter: RateLimiter | undefined;
  /** Set once the pipeline starts stopping: producers accept nothing more. */
  stopping = false;

  constructor(name: string, parsed: ParsedPipeline) {
    this.name = name;
    this.producer = parsed.producer.module as ProducerDefinition;
    this.producerConcurrency = parsed.producer.concurrency;
    const [group, processor] = Object.entries(parsed.processors)[0] as [
      string,
      ParsedPipeline["processors"][string],
    ];
    this.group = group;
    this.processorConcurrency = processor.concurrency;
    this.maxDemand = processor.maxDemand;
    this.minDemand = processor.minDemand;
    const pipelinePartitionBy = parsed.partitionBy as ((m: Message) => unknown) | undefined;
    this.partitionBy =
      (processor.partitionBy as ((m: Message) => unknown) | undefined) ?? pipelinePartitionBy;
    this.batchers = Object.entries(parsed.batchers ?? {}).map(([name, b]) => ({
      name,
      concurrency: b.concurrency,
      batchSize: b.batchSize,
      batchTimeout: b.batchTimeout,
      maxDemand: b.maxDemand ?? b.batchSize,
      minDemand: b.minDemand,
      partitionBy: (b.partitionBy as ((m: Message) => unknown) | undefined) ?? pipelinePartitionBy,
    }));
    this.batcherNames = this.batchers.map((b) => b.name);
    this.shutdownTimeout = parsed.shutdownTimeout;
    this.context = parsed.context;
    this.handleMessage = (parsed.handleMessage ?? passThrough) as Core["handleMessage"];
    this.threads = processor.threads as ThreadedHandler | undefined;
    this.handleBatch = parsed.handleBatch;
    this.handleFailed = parsed.handleFailed;
    this.prepareMessages = parsed.prepareMessages;
    this.counters = new Counters(
      this.producerConcurrency,
      this.processorConcurrency,
      this.batchers.map((b) => [b.name, b.concurrency] as const),
    );
  }

  producerName(index: number): string {
    return `${this.name}.producer.${index}`;
  }

  processorName(index: number): string {
    return `${this.name}.processor.${this.group}.${index}`;
  }

  batcherName(batcher: string): string {
    return `${this.name}.batcher.${batcher}`;
  }

  batchProcessorName(batcher: string, index: number): string {
    return `${this.name}.batchProcessor.${batcher}.${index}`;
  }

  /** Reports a failure no stage should crash for (an acknowledger's, a handler contract's). */
  report(self: Self, error: unknown): void {
    const process = self as Process;
    process.runtime.reportError(process, error);
  }
}
