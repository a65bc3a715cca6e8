/**
 * The options of `natsProducer`, declared once: the zod schema gives their types, defaults and
 * validation, and the table below documents them.
 */
import type { ConsumerConfig, StreamConfig } from "@nats-io/jetstream";
import type { ConnectionOptions, NatsConnection } from "@nats-io/transport-node";
import { z } from "zod";
import { InvalidArgumentError } from "../../kernel/errors.js";
import { InvalidOptionsError, parseOptions } from "../../pipeline/index.js";
import { type Backoff, redact } from "../reconnect.js";
import type { JetStreamDelivery } from "./client.js";

const integer = (expected: string, min: number) =>
  z.number({ error: expected }).int({ error: expected }).min(min, { error: expected });
const positiveInteger = integer("a positive integer", 1);
const name = (what: string) => z.string({ error: what }).min(1, { error: what });
const isFunction = (v: unknown) => typeof v === "function";
const isObject = (v: unknown) => typeof v === "object" && v !== null && !Array.isArray(v);

/** A strict object whose unknown keys are reported with the list of the known ones. */
function options<S extends z.ZodRawShape>(shape: S) {
  const known = Object.keys(shape).join(", ");
  return z.strictObject(shape, {
    error: (issue) =>
      issue.code === "unrecognized_keys" ? `one of the options ${known}` : "an object of options",
  });
}

const backoff = options({
  min: positiveInteger.default(100),
  max: positiveInteger.default(5000),
});

const onFailure = z.enum(["nak", "term"], { error: '"nak" or "term"' });
const nakDelay = integer("a non-negative integer (ms)", 0);

/** Turns a message's payload into `message.data`; a throw fails that message. */
export type Decode<T> = (data: Uint8Array, delivery: JetStreamDelivery) => T;

/**
 * The schema of `natsProducer`'s options.
 *
 * | option | type | default | |
 * |---|---|---|---|
 * | `stream` | string | required | the JetStream stream |
 * | `streamConfig` | `StreamConfig` fields (`subjects`, `storage`, ...) | none | creates the stream with these when it does not exist; without it a missing stream fails the start |
 * | `consumer` | string | required | the durable pull consumer, shared by every instance of the pipeline; created when it does not exist |
 * | `consumerConfig` | `ConsumerConfig` fields (`filter_subject`, `ack_wait`, `max_deliver`, `backoff`, ...) | `{}` | used when the consumer is created here (`durable_name` and `ack_policy: "explicit"` are set by the producer); an existing consumer is bound as it is |
 * | `maxAckPending` | positive integer | `1000` | the consumer's `max_ack_pending` when it is created here; the producer never holds more unsettled messages than the consumer's own limit, so no pull waits on it |
 * | `maxBatch` | positive integer | `256` | the most messages one pull request asks for (each pull asks for what the pipeline demanded, up to this) |
 * | `prefetch` | integer ≥ 0 | `maxBatch` | messages pulled ahead of demand at most, held by each producer stage until demanded, so that the pipeline finds them there rather than waiting a round trip; they count against `max_ack_pending`, their `ack_wait` runs while they wait (the producer signals them in progress before it runs out), and a stop gives them back (delivered again, as a redelivery); `0` pulls only what was demanded |
 * | `expires` | integer ≥ 1000 (ms) | `5000` | how long one pull request waits for messages on an idle stream |
 * | `onFailure` | `"nak"` or `"term"` | `"nak"` | what a failed message becomes: delivered again (after `nakDelay`), or never again; per message with `message.configureAck({ onFailure, nakDelay })` |
 * | `nakDelay` | integer ≥ 0 (ms) | `0` | the delay before a nak'ed message is delivered again |
 * | `inProgressEvery` | positive integer (ms) | none | while a message is in the pipeline, tell the server every this many ms that it is being worked on (`+WPI`), so that a slow message is not delivered again when `ack_wait` runs out; pick at most half the consumer's `ack_wait` |
 * | `inProgressLimit` | positive integer (ms) | `600000` | with `inProgressEvery`, how long a message is kept in progress at most: past it, the producer gives up on it (a processor that crashed lost it) and the server delivers it again |
 * | `decode` | `"json"`, `"text"`, `"raw"` or `(data, delivery) => T` | `"json"` | turns a payload into `message.data`; a throw fails that message with `MalformedNatsMessageError`, and it is terminated (another delivery would fail the same way) |
 * | `servers` | string or string[] | `"nats://127.0.0.1:4222"` | where to connect (credentials in a URL are never printed) |
 * | `connectionOptions` | `ConnectionOptions` of `@nats-io/transport-node` | `{}` | `user`, `pass`, `token`, `name`, `tls`, ...; they override the producer's reconnection settings |
 * | `connection` | a `NatsConnection` | none | a connection you opened instead of `servers`; never closed by the producer |
 * | `connect.attempts` | positive integer | `3` | connection attempts at start before `BrokerConnectError` |
 * | `connect.backoff` | `{ min, max }` (ms) | `{ min: 100, max: 5000 }` | the wait between attempts with full jitter; also between reconnections (the client reconnects forever) |
 */
export const natsSchema = options({
  stream: name("a stream name"),
  streamConfig: z
    .custom<Partial<StreamConfig>>(isObject, { error: "an object of StreamConfig fields" })
    .optional(),
  consumer: name("a durable consumer name"),
  consumerConfig: z
    .custom<Partial<ConsumerConfig>>(isObject, { error: "an object of ConsumerConfig fields" })
    .default({}),
  maxAckPending: positiveInteger.default(1000),
  maxBatch: positiveInteger.default(256),
  prefetch: integer("a non-negative integer", 0).optional(),
  expires: integer("an integer of at least 1000 (ms)", 1000).default(5000),
  onFailure: onFailure.default("nak"),
  nakDelay: nakDelay.default(0),
  inProgressEvery: positiveInteger.optional(),
  inProgressLimit: positiveInteger.default(600_000),
  decode: z
    .union([z.enum(["json", "text", "raw"]), z.custom<Decode<unknown>>(isFunction)], {
      error: '"json", "text", "raw" or a function',
    })
    .default("json"),
  servers: z.unknown().optional(),
  connectionOptions: z
    .custom<Omit<ConnectionOptions, "servers" | "port">>(isObject, {
      error: "an object of NATS ConnectionOptions",
    })
    .default({}),
  connection: z
    .custom<NatsConnection>((v) => isObject(v) && isFunction((v as NatsConnection).publish), {
      error: "a NatsConnection (from connect)",
    })
    .optional(),
  connect: options({
    attempts: positiveInteger.default(3),
    backoff: backoff.default({ min: 100, max: 5000 }),
  }).default({ attempts: 3, backoff: { min: 100, max: 5000 } }),
});

/** What a failed message becomes: `"nak"` (delivered again) or `"term"` (never again). */
export type OnFailure = "nak" | "term";

/** `natsProducer`'s options; see {@link natsSchema} for each one and its default. */
export type NatsProducerOptions<T = unknown> = Omit<
  z.input<typeof natsSchema>,
  "decode" | "servers"
> & {
  readonly servers?: string | readonly string[];
  readonly decode?: "json" | "text" | "raw" | Decode<T>;
};

/** @internal The options once parsed: defaults applied, `servers` checked. */
export type ParsedNatsOptions = Omit<z.output<typeof natsSchema>, "servers" | "prefetch"> & {
  readonly servers: readonly string[];
  readonly prefetch: number;
  /** The servers as printed in errors and telemetry: no credentials. */
  readonly address: string;
  readonly backoff: Backoff;
};

export const DEFAULT_SERVER = "nats://127.0.0.1:4222";

/** A server address without credentials; NATS takes `host:port` without a scheme too. */
export function printable(server: string): string {
  return redact(server.includes("://") ? server : `nats://${server}`);
}

/** @internal Validates `natsProducer`'s options; throws `InvalidOptionsError`. */
export function parseNatsOptions(input: unknown): ParsedNatsOptions {
  const parsed = parseOptions("natsProducer", natsSchema, input);
  const errors: InvalidArgumentError[] = [];
  const raw = parsed.servers;
  const list = typeof raw === "string" ? [raw] : raw;
  // Checked here rather than by the schema, so that a bad URL is printed without its password.
  const valid =
    list === undefined ||
    (Array.isArray(list) &&
      list.length > 0 &&
      list.every((s) => typeof s === "string" && s.length > 0));
  if (!valid) {
    errors.push(
      new InvalidArgumentError({
        path: "servers",
        expected: "a server address or a non-empty array of them",
        got: typeof raw === "string" && raw.length > 0 ? printable(raw) : raw,
      }),
    );
  }
  if (raw !== undefined && parsed.connection !== undefined) {
    errors.push(
      new InvalidArgumentError({
        path: "connection",
        expected: "no connection when `servers` is given (one or the other)",
        got: "a NatsConnection",
      }),
    );
  }
  const ackPolicy = parsed.consumerConfig.ack_policy;
  if (ackPolicy !== undefined && ackPolicy !== "explicit") {
    errors.push(
      new InvalidArgumentError({
        path: "consumerConfig.ack_policy",
        expected: '"explicit" (every message is acknowledged on its own)',
        got: ackPolicy,
      }),
    );
  }
  if (parsed.consumerConfig.deliver_subject !== undefined) {
    errors.push(
      new InvalidArgumentError({
        path: "consumerConfig.deliver_subject",
        expected: "none (the producer pulls; a deliver_subject makes a push consumer)",
        got: parsed.consumerConfig.deliver_subject,
      }),
    );
  }
  const { min, max } = parsed.connect.backoff;
  if (min > max) {
    errors.push(
      new InvalidArgumentError({
        path: "connect.backoff.min",
        expected: `at most connect.backoff.max (${max})`,
        got: min,
      }),
    );
  }
  if (errors.length > 0) throw new InvalidOptionsError("natsProducer", errors);
  const servers = (list as readonly string[] | undefined) ?? [DEFAULT_SERVER];
  return {
    ...parsed,
    servers,
    prefetch: parsed.prefetch ?? parsed.maxBatch,
    address: servers.map(printable).join(","),
    backoff: { min, max },
  };
}

/** @internal The schema of `message.configureAck(options)` for a NATS message. */
export const ackOptionsSchema = options({
  onFailure: onFailure.optional(),
  nakDelay: nakDelay.optional(),
});
