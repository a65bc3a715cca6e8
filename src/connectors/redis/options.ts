/**
 * The options of `redisProducer`, declared once: the zod schema gives their types, defaults,
 * validation and the table in the manual; `parseRedisOptions` adds the cross-field rules.
 */
import { hostname } from "node:os";
import type { RedisClientType } from "redis";
import { z } from "zod";
import { InvalidArgumentError } from "../../kernel/index.js";
import { InvalidOptionsError, parseOptions } from "../../pipeline/index.js";
import { redact } from "../reconnect.js";

const integer = (expected: string, min: number) =>
  z.number({ error: expected }).int({ error: expected }).min(min, { error: expected });
const positiveInteger = integer("a positive integer", 1);
const name = (what: string) => z.string({ error: what }).min(1, { error: what });

/** A strict object whose unknown keys are reported with the list of the known ones. */
function options<S extends z.ZodRawShape>(shape: S) {
  const known = Object.keys(shape).join(", ");
  return z.strictObject(shape, {
    error: (issue) =>
      issue.code === "unrecognized_keys" ? `one of the options ${known}` : "an object of options",
  });
}

/**
 * What a failed message becomes. `"retry"`: it stays pending and is delivered again once it has
 * been idle for `minIdle` (to this or another instance). `"discard"`: it is acknowledged and
 * dropped. `{ deadLetter, maxDeliveries }`: it stays pending for retry until its
 * `maxDeliveries`-th delivery fails, which moves it to the stream `deadLetter`.
 */
export type FailurePolicy =
  | "retry"
  | "discard"
  | { readonly deadLetter: string; readonly maxDeliveries?: number };

export const failurePolicy = z.union(
  [
    z.literal(["retry", "discard"]),
    options({
      deadLetter: name("a stream name"),
      maxDeliveries: positiveInteger.default(3),
    }),
  ],
  { error: '"retry", "discard" or { deadLetter, maxDeliveries }' },
);

/** The failure policy with its defaults applied. */
export type ParsedFailurePolicy = z.output<typeof failurePolicy>;

/** What `Message.configureAck` takes for a Redis message. */
export const ackOptionsSchema = options({ onFailure: failurePolicy });

/** The shape `decode` gets: an entry's fields and its id. */
export type Decode<T> = (fields: Readonly<Record<string, string>>, id: string) => T;

// Any node-redis client: its modules, scripts and RESP version do not matter here.
// biome-ignore lint/suspicious/noExplicitAny: the client's type parameters are the user's
export type AnyRedisClient = RedisClientType<any, any, any, any, any>;

const isClient = (v: unknown): boolean =>
  typeof v === "object" &&
  v !== null &&
  typeof (v as { duplicate?: unknown }).duplicate === "function";

const backoff = options({
  min: positiveInteger.default(100),
  max: positiveInteger.default(5000),
});

/**
 * The options of `redisProducer`.
 *
 * | option | type | default | |
 * |---|---|---|---|
 * | `stream` | string | required | the stream to consume |
 * | `group` | string | required | the consumer group; created (with the stream) if absent |
 * | `consumer` | string | `<host>-<pid>-<random>` | this instance's consumer name in the group |
 * | `startId` | string | `"0"` | where a group created here starts: `"0"` every entry, `"$"` only new ones |
 * | `block` | positive integer (ms) | `1000` | how long one XREADGROUP waits for entries |
 * | `minIdle` | positive integer (ms) | `60000` | a pending entry idle this long is claimed (XAUTOCLAIM): longer than any entry takes from its read to its acknowledgement |
 * | `claimInterval` | positive integer (ms) | `5000` | how often idle pending entries are looked for |
 * | `claimBatch` | positive integer | `100` | entries claimed at most per XAUTOCLAIM |
 * | `onFailure` | `"retry"` \| `"discard"` \| `{ deadLetter, maxDeliveries? (3) }` | `"retry"` | what a failed message becomes |
 * | `decode` | `(fields, id) => T` | the fields | the message's data; a throw fails that message |
 * | `url` | string | `"redis://127.0.0.1:6379"` | where to connect (not with `client`) |
 * | `client` | a node-redis client | none | a connected client to use instead of `url`; not closed by the producer |
 * | `clientName` | string | `"beamish"` | prefix of the connections' CLIENT SETNAME |
 * | `connect.attempts` | positive integer | `3` | connection attempts at start |
 * | `connect.backoff` | `{ min?, max? }` (ms) | `{ min: 100, max: 5000 }` | backoff with jitter between attempts and reconnections |
 */
export const redisOptionsSchema = options({
  stream: name("a stream name"),
  group: name("a group name"),
  consumer: name("a consumer name").optional(),
  startId: name('an entry id, "0" or "$"').default("0"),
  block: positiveInteger.default(1000),
  minIdle: positiveInteger.default(60_000),
  claimInterval: positiveInteger.default(5000),
  claimBatch: positiveInteger.default(100),
  onFailure: failurePolicy.default("retry"),
  decode: z
    .custom<Decode<unknown>>((v) => typeof v === "function", { error: "a function" })
    .optional(),
  url: name("a redis:// URL").optional(),
  client: z.custom<AnyRedisClient>(isClient, { error: "a node-redis client" }).optional(),
  clientName: z
    .string({ error: "a name without spaces" })
    .regex(/^[^\s]+$/, { error: "a name without spaces" })
    .default("beamish"),
  connect: options({
    attempts: positiveInteger.default(3),
    backoff: backoff.default({ min: 100, max: 5000 }),
  }).default({ attempts: 3, backoff: { min: 100, max: 5000 } }),
});

/** The options as the user writes them. */
export type RedisOptionsInput = z.input<typeof redisOptionsSchema>;
/** The options with defaults applied and a consumer name chosen. */
export type ParsedRedisOptions = z.output<typeof redisOptionsSchema> & {
  readonly consumer: string;
};

export const DEFAULT_URL = "redis://127.0.0.1:6379";

/** Validates `input`, then its cross-field rules; throws `InvalidOptionsError`. */
export function parseRedisOptions(input: unknown): ParsedRedisOptions {
  const parsed = parseOptions("redisProducer", redisOptionsSchema, input);
  const errors: InvalidArgumentError[] = [];
  if (parsed.url !== undefined && parsed.client !== undefined) {
    errors.push(
      new InvalidArgumentError({
        path: "url",
        expected: "no url when a client is given",
        // Never a password in an error.
        got: redact(parsed.url),
      }),
    );
  }
  if (parsed.connect.backoff.min > parsed.connect.backoff.max) {
    errors.push(
      new InvalidArgumentError({
        path: "connect.backoff.min",
        expected: `at most connect.backoff.max (${parsed.connect.backoff.max})`,
        got: parsed.connect.backoff.min,
      }),
    );
  }
  if (errors.length > 0) throw new InvalidOptionsError("redisProducer", errors);
  const consumer =
    parsed.consumer ?? `${hostname()}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  return { ...parsed, consumer };
}
