/** The `GenStage` namespace: its functions and the results `init` and callbacks return. */
export { consumer, type Definition, emit, producer, producerConsumer } from "./definition.js";
export { type FromIterableOptions, fromIterable } from "./from-iterable.js";
export {
  ask,
  asyncInfo,
  asyncSubscribe,
  type CallOptions,
  call,
  cancel,
  cast,
  demand,
  reply,
  start,
  startLink,
  stop,
  syncInfo,
  syncSubscribe,
} from "./gen-stage.js";
export { stream } from "./stream.js";
