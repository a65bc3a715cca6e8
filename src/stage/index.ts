/**
 * GenStage: demand-driven stages with back-pressure. A consumer asks its producer for what it
 * can handle (`maxDemand`, asking again at `minDemand`), and a producer never sends more events
 * than were asked; events travel between stages as arrays.
 *
 * @example
 * ```ts
 * import { GenStage } from "beamish";
 *
 * const numbers = await GenStage.start({
 *   init: (n: number) => GenStage.producer(n),
 *   handleDemand: (demand, n) =>
 *     GenStage.emit(Array.from({ length: demand }, (_, i) => n + i), n + demand),
 * }, 0);
 * const printer = await GenStage.start({
 *   init: () => GenStage.consumer(undefined, { subscribeTo: [{ to: numbers, maxDemand: 10 }] }),
 *   handleEvents: (events) => { console.log(events); },
 * }, undefined);
 * ```
 */
export { BroadcastDispatcher } from "./broadcast-dispatcher.js";
export {
  type ConsumerChildInfo,
  type ConsumerChildSpec,
  ConsumerSupervisor,
  type ConsumerSupervisorOptions,
  consumerSupervisorOptions,
} from "./consumer-supervisor.js";
export {
  type Definition as StageDefinition,
  Emit,
  type StageInit,
  type StageKind,
  type StageResult,
} from "./definition.js";
export {
  DemandDispatcher,
  type Dispatcher,
  type DispatcherSubscribeOptions,
  NO_EVENTS,
  type Subscriber,
} from "./dispatcher.js";
export { AlreadySubscribedError, PartitionTakenError } from "./dispatcher-errors.js";
export { NotAConsumerError, NotAProducerError, StageKindError } from "./errors.js";
export * as GenStage from "./namespace.js";
export {
  type ConsumerOptions,
  consumerOptions,
  type ProducerConsumerOptions,
  type ProducerOptions,
  producerConsumerOptions,
  producerOptions,
  type SubscriptionOptions,
  subscriptionOptions,
} from "./options.js";
export {
  PartitionDispatcher,
  type PartitionDispatcherOptions,
  type PartitionName,
  partitionDispatcherOptions,
} from "./partition-dispatcher.js";
export type { CancelInfo, StageFrom } from "./subscription.js";
export { stageChannels } from "./telemetry.js";
