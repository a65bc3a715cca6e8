/** A producer that produces nothing by itself: tests feed it with `Pipeline.testMessages`. */
import type { ProducerDefinition } from "../definition.js";

/**
 * The producer for testing a pipeline without its source: messages come only from
 * `Pipeline.testMessage`, `testMessages` and `testBatch`.
 *
 * @example
 * ```ts
 * const pipeline = await Pipeline.start({ ...definition, producer: { module: Pipeline.testProducer() } });
 * ```
 */
export function testProducer<T = unknown>(): ProducerDefinition<T, null> {
  return {
    name: "test",
    init: () => null,
    handleDemand: (_demand, state) => state,
  };
}
