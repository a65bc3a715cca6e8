/**
 * RabbitMQ for pipelines: a producer that consumes one queue with amqplib (an optional peer
 * dependency: `npm install amqplib`). Deliveries wait in the producer until the pipeline asks
 * for them; the prefetch bounds how many; every message is acknowledged on the channel it came
 * from, in as few frames as its delivery tags allow, and a dropped connection is reopened with
 * backoff and jitter.
 *
 * @example
 * ```ts
 * import { Pipeline } from "beamish/pipeline";
 * import { rabbitmqProducer } from "beamish/connectors/rabbitmq";
 *
 * const pipeline = await Pipeline.start({
 *   producer: { module: rabbitmqProducer({ url: "amqp://127.0.0.1", queue: "orders", declare: true }) },
 *   processors: { default: { concurrency: 4 } },
 *   batchers: { default: { batchSize: 100, batchTimeout: 200 } },
 *   handleMessage: (_processor, message) => message,
 *   handleBatch: (_batcher, messages) => messages,
 * });
 * ```
 */
import { amqplibDriver } from "./amqplib-client.js";
import type { RabbitmqProducerOptions } from "./options.js";
import { createRabbitmqProducer, type RabbitmqProducer } from "./producer.js";

export type { RabbitmqStats } from "./acknowledger.js";
export type { Delivery } from "./client.js";
export type { RabbitmqMetadata } from "./delivery.js";
export { ConnectionLostError, ConsumerCancelledError, MalformedMessageError } from "./errors.js";
export { type OnFailure, type RabbitmqProducerOptions, rabbitmqSchema } from "./options.js";
export { AUTO_PREFETCH_MAX, type RabbitmqProducer } from "./producer.js";

/**
 * A producer consuming the RabbitMQ queue `options.queue` (see `rabbitmqSchema` for every option
 * and its default). Options are checked here: a bad one throws `InvalidOptionsError`. The
 * connection opens when the pipeline starts (`connect.attempts` tries, then
 * `BrokerConnectError` with the address and no password).
 *
 * Each message's `data` is the decoded body (`decode`, JSON by default; a body that does not
 * decode fails its message with `MalformedMessageError`, rejected without requeue) and its
 * `metadata` is a {@link RabbitmqMetadata}. A successful message is acked; a failed one is
 * requeued or rejected per `onFailure`, or per message with `message.configureAck({ onFailure })`.
 *
 * @example
 * ```ts
 * const orders = rabbitmqProducer<{ id: string }>({
 *   url: "amqp://guest:guest@127.0.0.1:5672",
 *   queue: "orders",
 *   declare: { durable: true },
 *   bindings: [{ exchange: "amq.topic", routingKey: "orders.#" }],
 *   onFailure: "reject",
 * });
 * ```
 */
export function rabbitmqProducer<T = unknown>(
  options: RabbitmqProducerOptions<T>,
): RabbitmqProducer<T> {
  return createRabbitmqProducer<T>(options, amqplibDriver);
}
