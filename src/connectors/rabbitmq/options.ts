/**
 * The options of `rabbitmqProducer`, declared once: the zod schema gives their types, defaults
 * and validation, and the table below documents them.
 */
import type { ChannelModel } from "amqplib";
import { z } from "zod";
import { InvalidArgumentError } from "../../kernel/errors.js";
import { InvalidOptionsError, parseOptions } from "../../pipeline/index.js";
import { type Backoff, redact } from "../reconnect.js";
import type { Delivery } from "./client.js";

const integer = (expected: string, min: number, max = Number.MAX_SAFE_INTEGER) =>
  z.number({ error: expected }).int({ error: expected }).min(min, { error: expected }).max(max, {
    error: expected,
  });
const positiveInteger = integer("a positive integer", 1);
const table = z.record(z.string(), z.unknown(), { error: "an object (an AMQP table)" });

/** A strict object whose unknown keys are reported with the list of the known ones. */
function options<S extends z.ZodRawShape>(shape: S) {
  const known = Object.keys(shape).join(", ");
  return z.strictObject(shape, {
    error: (issue) =>
      issue.code === "unrecognized_keys" ? `one of the options ${known}` : "an object of options",
  });
}

const declaration = options({
  durable: z.boolean({ error: "a boolean" }).optional(),
  exclusive: z.boolean({ error: "a boolean" }).optional(),
  autoDelete: z.boolean({ error: "a boolean" }).optional(),
  arguments: table.optional(),
});

const binding = options({
  exchange: z.string({ error: "an exchange name" }),
  routingKey: z.string({ error: "a routing key" }).default(""),
  arguments: table.optional(),
});

const backoff = options({
  min: positiveInteger.optional(),
  max: positiveInteger.optional(),
});

const isFunction = (v: unknown) => typeof v === "function";
const isChannelModel = (v: unknown) =>
  typeof v === "object" && v !== null && isFunction((v as ChannelModel).createChannel);

/**
 * The schema of `rabbitmqProducer`'s options.
 *
 * | option | type | default | |
 * |---|---|---|---|
 * | `queue` | string | required | the queue to consume |
 * | `url` | string | `"amqp://127.0.0.1:5672"` | where to connect (credentials in the URL are never printed) |
 * | `connection` | amqplib connection | none | a connection you opened instead of `url`: each producer stage opens its channel on it, and it is never closed by the producer |
 * | `declare` | boolean or `{ durable, exclusive, autoDelete, arguments }` | `false` | declare (assert) the queue with these options; `false` checks that it exists |
 * | `bindings` | `[{ exchange, routingKey?, arguments? }]` | `[]` | bind the queue to these exchanges at start and after each reconnection |
 * | `prefetch` | integer 1 to 65535 | adaptive | unacknowledged deliveries each producer stage holds at most (`basic.qos`); when absent it starts at twice the first demand and doubles, up to 1000, while demand waits on a full window |
 * | `onFailure` | `"requeue"` or `"reject"` | `"requeue"` | what a failed message becomes; per message with `message.configureAck({ onFailure })` |
 * | `onConsumerCancel` | `"reconsume"` or `"stop"` | `"reconsume"` | when the broker cancels the consumer (its queue was deleted): declare and consume again with backoff, or stop taking messages |
 * | `decode` | `"json"`, `"text"`, `"raw"` or `(content: Buffer, delivery) => T` | `"json"` | turns a body into `message.data`; a throw fails that message, which is rejected |
 * | `connect.attempts` | positive integer | `3` | connection attempts at start before `BrokerConnectError` |
 * | `connect.backoff` | `{ min, max }` (ms) | `{ min: 100, max: 5000 }` | the wait between attempts, with full jitter; also between reconnections |
 *
 * @example
 * ```ts
 * rabbitmqSchema.shape.onFailure.parse(undefined); // "requeue"
 * ```
 */
export const rabbitmqSchema = options({
  queue: z.string({ error: "a queue name" }).min(1, { error: "a queue name" }),
  url: z.unknown().optional(),
  connection: z
    .custom<ChannelModel>(isChannelModel, { error: "an amqplib connection (from amqp.connect)" })
    .optional(),
  declare: z
    .union([z.boolean(), declaration], { error: "a boolean or queue options" })
    .default(false),
  bindings: z.array(binding, { error: "an array of bindings" }).default([]),
  prefetch: integer("an integer from 1 to 65535", 1, 65535).optional(),
  onFailure: z.enum(["requeue", "reject"], { error: '"requeue" or "reject"' }).default("requeue"),
  onConsumerCancel: z
    .enum(["reconsume", "stop"], { error: '"reconsume" or "stop"' })
    .default("reconsume"),
  decode: z
    .union(
      [
        z.enum(["json", "text", "raw"]),
        z.custom<(content: Buffer, delivery: Delivery) => unknown>(isFunction),
      ],
      { error: '"json", "text", "raw" or a function' },
    )
    .default("json"),
  connect: options({
    attempts: positiveInteger.default(3),
    backoff: backoff.default({}),
  }).default({ attempts: 3, backoff: {} }),
});

/**
 * What a failed message becomes: requeued for another delivery, or rejected (dead-lettered if
 * the queue has a dead-letter exchange). @example `message.configureAck({ onFailure: "reject" })`
 */
export type OnFailure = "requeue" | "reject";

/**
 * `rabbitmqProducer`'s options; see {@link rabbitmqSchema} for each one and its default.
 *
 * @example
 * ```ts
 * const options: RabbitmqProducerOptions = { queue: "orders", declare: { durable: true } };
 * ```
 */
export type RabbitmqProducerOptions<T = unknown> = Omit<
  z.input<typeof rabbitmqSchema>,
  "decode" | "connection" | "url"
> & {
  readonly url?: string;
  readonly connection?: ChannelModel;
  readonly decode?: "json" | "text" | "raw" | ((content: Buffer, delivery: Delivery) => T);
};

/** @internal The options once parsed: defaults applied, `url` checked. */
export type ParsedOptions = Omit<z.output<typeof rabbitmqSchema>, "url"> & {
  readonly url: string;
  readonly backoff: Backoff;
};

export const DEFAULT_URL = "amqp://127.0.0.1:5672";

/** @internal Validates `rabbitmqProducer`'s options; throws `InvalidOptionsError`. */
export function parseRabbitmqOptions(input: unknown): ParsedOptions {
  const parsed = parseOptions("rabbitmqProducer", rabbitmqSchema, input);
  const errors: InvalidArgumentError[] = [];
  const url = parsed.url;
  // Checked here rather than by the schema, so that a bad URL is printed without its password.
  if (url !== undefined && (typeof url !== "string" || !/^amqps?:\/\/[^/]/.test(url))) {
    errors.push(
      new InvalidArgumentError({
        path: "url",
        expected: "an amqp:// or amqps:// URL",
        got: typeof url === "string" ? redact(url) : url,
      }),
    );
  }
  if (url !== undefined && parsed.connection !== undefined) {
    errors.push(
      new InvalidArgumentError({
        path: "connection",
        expected: "no connection when `url` is given (one or the other)",
        got: parsed.connection,
      }),
    );
  }
  const max = parsed.connect.backoff.max;
  const min = parsed.connect.backoff.min;
  if (min !== undefined && max !== undefined && min > max) {
    errors.push(
      new InvalidArgumentError({
        path: "connect.backoff.max",
        expected: `at least connect.backoff.min (${min})`,
        got: max,
      }),
    );
  }
  if (errors.length > 0) throw new InvalidOptionsError("rabbitmqProducer", errors);
  const backoff: Backoff = {
    ...(min === undefined ? {} : { min }),
    ...(max === undefined ? {} : { max }),
  };
  return { ...parsed, url: (url as string | undefined) ?? DEFAULT_URL, backoff };
}

/** @internal The schema of `message.configureAck(options)` for a RabbitMQ message. */
export const ackOptionsSchema = options({
  onFailure: z.enum(["requeue", "reject"], { error: '"requeue" or "reject"' }).optional(),
});
