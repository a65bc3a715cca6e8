/**
 * NATS JetStream for pipelines: a producer that pulls from a durable consumer with
 * `@nats-io/transport-node` and `@nats-io/jetstream` (optional peer dependencies:
 * `npm install @nats-io/transport-node @nats-io/jetstream`). Each pull asks for what the pipeline
 * demanded and a bounded `prefetch` ahead of it, never more than the consumer's `max_ack_pending`
 * allows; every message is acked,
 * nak'ed (with a delay) or terminated once the pipeline is done with it; a message that stays
 * long in the pipeline can be signalled in progress; the client reconnects by itself and the
 * producer resumes pulling. Several instances of a pipeline on one consumer share its work.
 *
 * @example
 * ```ts
 * import { Pipeline } from "beamish/pipeline";
 * import { natsProducer } from "beamish/connectors/nats";
 *
 * const pipeline = await Pipeline.start({
 *   producer: {
 *     module: natsProducer({
 *       servers: "nats://127.0.0.1:4222",
 *       stream: "ORDERS",
 *       streamConfig: { subjects: ["orders.>"] },
 *       consumer: "billing",
 *     }),
 *   },
 *   processors: { default: { concurrency: 4 } },
 *   batchers: { default: { batchSize: 100, batchTimeout: 200 } },
 *   handleMessage: (_processor, message) => message,
 *   handleBatch: (_batcher, messages) => messages,
 * });
 * ```
 */
import { natsConnect } from "./nats-client.js";
import { type NatsProducerOptions, parseNatsOptions } from "./options.js";
import { createNatsProducer, type NatsProducer } from "./producer.js";

export type { NatsStats } from "./acknowledger.js";
export type { DeliveryHeaders, DeliveryInfo, JetStreamDelivery } from "./client.js";
export type { NatsMetadata } from "./delivery.js";
export {
  JetStreamPullError,
  JetStreamSetupError,
  MalformedNatsMessageError,
  NatsConnectionClosedError,
} from "./errors.js";
export { type Decode, type NatsProducerOptions, natsSchema, type OnFailure } from "./options.js";
export { MAX_PULL_FAILURES, type NatsProducer } from "./producer.js";

/**
 * A producer pulling from the durable consumer `options.consumer` of the JetStream stream
 * `options.stream` (see `natsSchema` for every option and its default). Options are checked
 * here: a bad one throws `InvalidOptionsError`. The connection opens when the pipeline starts
 * (`connect.attempts` tries, then `BrokerConnectError` with the address and no password); a
 * stream or consumer that cannot be used fails the start with `JetStreamSetupError`.
 *
 * Each message's `data` is the decoded payload (`decode`, JSON by default; a payload that does
 * not decode fails its message with `MalformedNatsMessageError`, and it is terminated) and its
 * `metadata` is a {@link NatsMetadata} (`deliveryCount`, `redelivered`, `streamSequence`,
 * `subject`, `headers`, ...). A successful message is acked; a failed one is nak'ed (delivered
 * again after `nakDelay`) or terminated per `onFailure`, or per message with
 * `message.configureAck({ onFailure, nakDelay })`. Connection changes are published on
 * `beamish:pipeline:connection`; `producer.stats()` counts the rest.
 *
 * @example
 * ```ts
 * const orders = natsProducer<{ id: string }>({
 *   servers: ["nats://127.0.0.1:4222"],
 *   connectionOptions: { user: "billing", pass: process.env.NATS_PASSWORD },
 *   stream: "ORDERS",
 *   consumer: "billing",
 *   consumerConfig: { filter_subject: "orders.created", max_deliver: 5 },
 *   onFailure: "nak",
 *   nakDelay: 1000,
 *   inProgressEvery: 10_000,
 * });
 * ```
 */
export function natsProducer<T = unknown>(options: NatsProducerOptions<T>): NatsProducer<T> {
  const parsed = parseNatsOptions(options);
  return createNatsProducer<T>(parsed, natsConnect(parsed));
}
