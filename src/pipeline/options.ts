/**
 * The options of `Pipeline.start`, declared once with zod: the schema gives the types of the
 * plain options, their defaults and their validation; bad values come back in beamish's one
 * message shape, one line per bad option.
 */
import { availableParallelism } from "node:os";
import { z } from "zod";
import { InvalidArgumentError } from "../kernel/errors.js";
import { InvalidOptionsError } from "./errors.js";

const integer = (expected: string, min: number) =>
  z.number({ error: expected }).int({ error: expected }).min(min, { error: expected });
const positiveInteger = integer("a positive integer", 1);
const nonNegativeInteger = integer("a non-negative integer", 0);
const func = <F>() => z.custom<F>((v) => typeof v === "function", { error: "a function" });

/** A strict object whose unknown keys are reported with the list of the known ones. */
function options<S extends z.ZodRawShape>(shape: S) {
  const known = Object.keys(shape).join(", ");
  return z.strictObject(shape, {
    error: (issue) =>
      issue.code === "unrecognized_keys" ? `one of the options ${known}` : "an object of options",
  });
}

const isProducerModule = (v: unknown): boolean =>
  typeof v === "object" &&
  v !== null &&
  typeof (v as { init?: unknown }).init === "function" &&
  typeof (v as { handleDemand?: unknown }).handleDemand === "function";

const rateLimiting = options({
  allowedMessages: positiveInteger,
  interval: positiveInteger,
});

const producer = options({
  module: z.custom((v) => isProducerModule(v), {
    error: "a producer (an object with init and handleDemand)",
  }),
  concurrency: positiveInteger.default(1),
  rateLimiting: rateLimiting.optional(),
});

const isThreadedHandler = (v: unknown): boolean =>
  typeof v === "object" &&
  v !== null &&
  typeof (v as { run?: unknown }).run === "function" &&
  typeof (v as { start?: unknown }).start === "function" &&
  typeof (v as { stop?: unknown }).stop === "function";

const processor = options({
  concurrency: positiveInteger.default(() => availableParallelism() * 2),
  maxDemand: positiveInteger.default(10),
  minDemand: nonNegativeInteger.optional(),
  partitionBy: func<(message: never) => unknown>().optional(),
  threads: z
    .custom((v) => isThreadedHandler(v), {
      error: "a threaded handler (from threadedHandler() of beamish/threads)",
    })
    .optional(),
});

const batcher = options({
  concurrency: positiveInteger.default(1),
  batchSize: positiveInteger.default(100),
  batchTimeout: positiveInteger.default(1000),
  maxDemand: positiveInteger.optional(),
  minDemand: nonNegativeInteger.optional(),
  partitionBy: func<(message: never) => unknown>().optional(),
});

const groupName = z.string().regex(/^[A-Za-z0-9_.-]+$/, {
  error: "a name of letters, digits, _ . or -",
});

/**
 * The schema of `Pipeline.start`'s definition.
 *
 * | option | type | default | |
 * |---|---|---|---|
 * | `name` | string | `pipeline-N` | names the pipeline's processes (`NAME.producer.0`, ...) |
 * | `producer.module` | ProducerDefinition | required | where messages come from |
 * | `producer.concurrency` | positive integer | `1` | producer stages |
 * | `producer.rateLimiting` | `{ allowedMessages, interval }` | none | at most `allowedMessages` per `interval` ms, over all producer stages |
 * | `processors.NAME.concurrency` | positive integer | cores x 2 | processor stages (one group) |
 * | `processors.NAME.maxDemand` | positive integer | `10` | messages asked at once by each processor |
 * | `processors.NAME.minDemand` | integer below maxDemand | `maxDemand / 2` | ask again when due messages fall to it |
 * | `processors.NAME.partitionBy` | `(message) => key` | the pipeline's | messages of one key go to one processor, in order |
 * | `processors.NAME.threads` | ThreadedHandler | none | runs a module function on each message's data in worker threads first (`threadedHandler` of `beamish/threads`) |
 * | `batchers.NAME.batchSize` | positive integer | `100` | messages per batch |
 * | `batchers.NAME.batchTimeout` | positive integer (ms) | `1000` | a batch goes out this long after its first message |
 * | `batchers.NAME.concurrency` | positive integer | `1` | batch processors running `handleBatch` |
 * | `batchers.NAME.maxDemand` | positive integer | `batchSize` | messages the batcher asks from each processor |
 * | `batchers.NAME.minDemand` | integer below maxDemand | `maxDemand / 2` | ask again when due messages fall to it |
 * | `batchers.NAME.partitionBy` | `(message) => key` | the pipeline's | batches of one key go to one batch processor, in order |
 * | `partitionBy` | `(message) => key` | none | per-key order through processors and batchers |
 * | `shutdownTimeout` | positive integer (ms) | `30000` | how long a graceful stop may drain |
 * | `context` | any | `undefined` | handed to every handler |
 * | `handleMessage` | function | required, unless the processors have `threads` | |
 * | `handleBatch` | function | required with batchers | |
 * | `handleFailed`, `prepareMessages` | function | none | |
 */
export const pipelineSchema = options({
  name: z.string().min(1, { error: "a non-empty string" }).optional(),
  producer,
  processors: z
    .record(groupName, processor, { error: "an object of processor groups" })
    .refine((r) => Object.keys(r).length === 1, { error: "exactly one processor group" }),
  batchers: z.record(groupName, batcher, { error: "an object of batchers" }).optional(),
  partitionBy: func<(message: never) => unknown>().optional(),
  shutdownTimeout: positiveInteger.default(30_000),
  context: z.unknown().optional(),
  handleMessage: func<(...args: never[]) => unknown>().optional(),
  handleBatch: func<(...args: never[]) => unknown>().optional(),
  handleFailed: func<(...args: never[]) => unknown>().optional(),
  prepareMessages: func<(...args: never[]) => unknown>().optional(),
});

/** The parsed definition, defaults applied. */
export type ParsedPipeline = z.output<typeof pipelineSchema>;
/** Rate limiting of the producers. */
export type RateLimiting = z.output<typeof rateLimiting>;

/**
 * Validates `input` against a zod `schema`, throwing `InvalidOptionsError` (one
 * ``invalid value for `PATH`: expected ..., got ...`` line per bad option) with `where` naming the
 * call. For connectors and other producers whose options follow the pipeline's conventions; give
 * each check an `error` that says what is expected ("a positive integer").
 *
 * @example
 * ```ts
 * const schema = z.strictObject({ queue: z.string({ error: "a queue name" }) });
 * const { queue } = parseOptions("rabbitmqProducer", schema, options);
 * ```
 */
export function parseOptions<S extends z.ZodType>(
  where: string,
  schema: S,
  input: unknown,
): z.output<S> {
  const result = schema.safeParse(input, { reportInput: true });
  if (!result.success) throw new InvalidOptionsError(where, result.error.issues.flatMap(toErrors));
  return result.data;
}

/** Validates a definition, then its cross-field rules; throws `InvalidOptionsError`. */
export function parsePipeline(input: unknown): ParsedPipeline {
  const parsed = parseOptions("Pipeline.start", pipelineSchema, input);
  const errors: InvalidArgumentError[] = [];
  const demand = (path: string, min: number | undefined, max: number) => {
    if (min !== undefined && min >= max) {
      errors.push(
        new InvalidArgumentError({
          path: `${path}.minDemand`,
          expected: `an integer from 0 to ${max - 1} (below maxDemand)`,
          got: min,
        }),
      );
    }
  };
  for (const [name, p] of Object.entries(parsed.processors)) {
    demand(`processors.${name}`, p.minDemand, p.maxDemand);
  }
  const batchers = Object.entries(parsed.batchers ?? {});
  for (const [name, b] of batchers)
    demand(`batchers.${name}`, b.minDemand, b.maxDemand ?? b.batchSize);
  const threaded = Object.values(parsed.processors).some((p) => p.threads !== undefined);
  if (parsed.handleMessage === undefined && !threaded) {
    errors.push(
      new InvalidArgumentError({
        path: "handleMessage",
        expected: "a function (required unless the processors have threads)",
        got: undefined,
      }),
    );
  }
  if (batchers.length > 0 && parsed.handleBatch === undefined) {
    errors.push(
      new InvalidArgumentError({
        path: "handleBatch",
        expected: "a function (the pipeline has batchers)",
        got: undefined,
      }),
    );
  }
  if (errors.length > 0) throw new InvalidOptionsError("Pipeline.start", errors);
  return parsed;
}

function toErrors(issue: z.core.$ZodIssue): InvalidArgumentError[] {
  const path = issue.path.map(String).join(".");
  if (issue.code === "unrecognized_keys") {
    const input = issue.input as Record<string, unknown> | undefined;
    return issue.keys.map(
      (key) =>
        new InvalidArgumentError({
          path: path === "" ? key : `${path}.${key}`,
          expected: issue.message,
          got: input?.[key],
        }),
    );
  }
  // A bad group name: what a name must be is the key schema's message, not the record's.
  const expected =
    issue.code === "invalid_key" ? (issue.issues[0]?.message ?? issue.message) : issue.message;
  return [
    new InvalidArgumentError({
      path: path === "" ? "definition" : path,
      expected,
      got: issue.input,
    }),
  ];
}
