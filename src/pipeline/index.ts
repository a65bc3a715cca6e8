/**
 * Pipelines: Broadway's message processing for TypeScript. A producer feeds messages on demand
 * to a group of processors (`handleMessage`), which route them to batchers (`handleBatch`);
 * every message is acknowledged exactly once, as success or failure; a handler's throw fails
 * its messages, never a stage; `stop()` drains what is in flight.
 *
 * @example
 * ```ts
 * import { Pipeline } from "beamish/pipeline";
 *
 * const source = Pipeline.fromIterable(["a", "b", "c", "d"]);
 * const pipeline = await Pipeline.start({
 *   producer: { module: source },
 *   processors: { default: { concurrency: 2 } },
 *   batchers: { default: { batchSize: 2, batchTimeout: 100 } },
 *   handleMessage: (_processor, message) => message.update((s) => s.toUpperCase()),
 *   handleBatch: (_batcher, messages) => {
 *     console.log(messages.map((m) => m.data));
 *     return messages;
 *   },
 * });
 * await source.done;
 * await pipeline.stop();
 * ```
 */
export { type Acknowledger, noopAcknowledger } from "./acknowledger.js";
export type {
  BatchInfo,
  BatchTrigger,
  PipelineDefinition,
  ProducerContext,
  ProducerDefinition,
  ProducerResult,
  ThreadedHandler,
  ThreadedResult,
} from "./definition.js";
export {
  AckError,
  InvalidOptionsError,
  PipelineStoppingError,
  ProducerOverflowError,
  UnknownBatcherError,
} from "./errors.js";
export { type BatchMode, Message, type MessageStatus } from "./message.js";
export { parseOptions, pipelineSchema } from "./options.js";
export { Pipeline, type StageInfo, type Topology } from "./pipeline.js";
export type { IterableProducer, IterableProducerOptions } from "./producers/iterable.js";
export type { MemoryProducer, MemoryProducerOptions } from "./producers/memory.js";
export { MalformedLineError, type NdjsonProducerOptions } from "./producers/ndjson.js";
export type { AckSummary, OnAck } from "./producers/settlement.js";
export type {
  BatcherStats,
  PipelineStats,
  ProcessorStats,
  ProducerStats,
} from "./stats.js";
export { type ConnectionEvent, pipelineChannels, publishConnection } from "./telemetry.js";
export type { TestMessageOptions, TestResult } from "./testing.js";
