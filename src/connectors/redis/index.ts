/**
 * `beamish/connectors/redis`: a pipeline producer over a Redis Stream consumer group, with
 * node-redis (the optional peer dependency `redis`).
 *
 * Several instances of a pipeline (processes, machines) consume one group and share its work.
 * Delivery is at least once: an entry is acknowledged (XACK) once the pipeline is done with it;
 * one that failed follows `onFailure`; one left pending by a dead instance, or one whose
 * failure left it pending for retry, is claimed (XAUTOCLAIM) once idle longer than `minIdle`.
 *
 * @example
 * ```ts
 * import { Pipeline } from "beamish/pipeline";
 * import { redisProducer } from "beamish/connectors/redis";
 *
 * const orders = redisProducer({
 *   stream: "orders",
 *   group: "billing",
 *   decode: (fields) => JSON.parse(fields.body ?? "") as { id: string; total: number },
 *   onFailure: { deadLetter: "orders:dead", maxDeliveries: 3 },
 * });
 * const pipeline = await Pipeline.start({
 *   producer: { module: orders },
 *   processors: { default: { concurrency: 4 } },
 *   batchers: { default: { batchSize: 100, batchTimeout: 200 } },
 *   handleMessage: (_processor, message) => message,
 *   handleBatch: async (_batcher, messages) => messages, // write them somewhere
 * });
 * ```
 */
import { openNodeRedis } from "./node-redis.js";
import { parseRedisOptions, type RedisOptionsInput } from "./options.js";
import { createRedisProducer, type RedisProducer } from "./producer.js";

export type { RedisMetadata } from "./acknowledger.js";
export { MalformedEntryError } from "./errors.js";
export {
  type AnyRedisClient,
  type Decode,
  type FailurePolicy,
  redisOptionsSchema,
} from "./options.js";
export type { RedisProducer } from "./producer.js";
export type { RedisProducerCounters } from "./session.js";

/** The options of {@link redisProducer} (see `redisOptionsSchema` for their defaults). */
export type RedisProducerOptions<T> = Omit<RedisOptionsInput, "decode"> & {
  /** Turns an entry's fields into the message's data; a throw fails that message. */
  readonly decode?: (fields: Readonly<Record<string, string>>, id: string) => T;
};

/** How each connection names itself (CLIENT SETNAME has no spaces). */
const clientName = (prefix: string, consumer: string, role: string) =>
  `${prefix}:${consumer.replace(/\s/g, "_")}:${role}`;

/**
 * A producer over the consumer group `group` of the Redis stream `stream`, created with the
 * stream if absent. Each message's data is the entry's fields (or what `decode` makes of them);
 * its metadata is `{ id, stream, deliveryCount, redelivered }`. Per message,
 * `message.configureAck({ onFailure })` overrides the failure policy.
 *
 * `Pipeline.start` fails with `BrokerConnectError` (code `ERR_BROKER_CONNECT`, the address
 * without credentials) when Redis cannot be reached after `connect.attempts`, at once for wrong
 * credentials. Once connected, a dropped connection is reconnected with backoff and jitter and
 * the producer resumes; its connection state is published on `beamish:pipeline:connection`.
 *
 * Options, defaults and validation: `redisOptionsSchema`. Bad options throw
 * `InvalidOptionsError` here, not at start.
 *
 * @example
 * ```ts
 * const events = redisProducer<{ kind: string }>({
 *   url: "redis://127.0.0.1:6379",
 *   stream: "events",
 *   group: "indexer",
 *   decode: (fields) => ({ kind: fields.kind ?? "unknown" }),
 *   minIdle: 30_000, // longer than any message takes to handle
 * });
 * ```
 */
export function redisProducer<T = Record<string, string>>(
  options: RedisProducerOptions<T>,
): RedisProducer<T> {
  const parsed = parseRedisOptions(options);
  const { consumer } = parsed;
  const backoff = parsed.connect.backoff;
  return createRedisProducer<T>(
    {
      stream: parsed.stream,
      group: parsed.group,
      consumer,
      startId: parsed.startId,
      block: parsed.block,
      minIdle: parsed.minIdle,
      claimInterval: parsed.claimInterval,
      claimBatch: parsed.claimBatch,
      onFailure: parsed.onFailure,
      decode: options.decode,
      backoff,
      readerName: (index) => clientName(parsed.clientName, consumer, `read${index}`),
    },
    () =>
      openNodeRedis({
        url: parsed.url,
        client: parsed.client,
        name: clientName(parsed.clientName, consumer, "main"),
        attempts: parsed.connect.attempts,
        backoff,
        block: parsed.block,
      }),
  );
}
