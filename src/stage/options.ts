/** The options of stages and subscriptions, each declared once. */
import type { Dest } from "../kernel/api.js";
import { invalidArgument } from "../kernel/errors.js";
import { type OptionsInput, type OptionsOutput, option, schema } from "../kernel/options.js";
import { isPid } from "../kernel/pid.js";
import type { Dispatcher } from "./dispatcher.js";

const isDest = (v: unknown): v is Dest =>
  isPid(v) ||
  (typeof v === "string" && v !== "") ||
  (typeof v === "object" && v !== null && "via" in v && "key" in v);

const isDispatcher = (v: unknown): v is Dispatcher<unknown> =>
  typeof v === "object" &&
  v !== null &&
  typeof (v as Dispatcher<unknown>).subscribe === "function" &&
  typeof (v as Dispatcher<unknown>).ask === "function" &&
  typeof (v as Dispatcher<unknown>).cancel === "function" &&
  typeof (v as Dispatcher<unknown>).dispatch === "function";

/**
 * The options of one subscription (`subscribeTo` entries, `syncSubscribe`, `asyncSubscribe`).
 *
 * | option | type | default | |
 * |---|---|---|---|
 * | `to` | pid or name | required | the producer |
 * | `maxDemand` | positive integer | `1000` | events in flight at most |
 * | `minDemand` | integer below maxDemand | `maxDemand / 2` rounded down | ask again when due events fall to it |
 * | `cancel` | `"permanent" \| "transient" \| "temporary"` | `"permanent"` | when the producer ends the subscription, exit always / on an abnormal reason / never |
 * | `demand` | `"automatic" \| "manual"` | `"automatic"` | `"manual"`: the consumer asks itself with `GenStage.ask` |
 * | `partition` | any | none | the partition to take (partition dispatcher) |
 * | `selector` | function | none | events to take (broadcast dispatcher) |
 */
export const subscriptionOptions = schema({
  to: option.custom<Dest>("a pid or a name", isDest).doc("The producer to subscribe to."),
  maxDemand: option.positiveInteger(1000).doc("The most events in flight on the subscription."),
  minDemand: option
    .nonNegativeInteger()
    .optional()
    .doc("When events due fall to it, ask again. Default: half of maxDemand, rounded down."),
  cancel: option
    .oneOf(["permanent", "transient", "temporary"], "permanent")
    .doc("When the producer cancels or exits: exit always, on an abnormal reason, or never."),
  demand: option
    .oneOf(["automatic", "manual"], "automatic")
    .doc('"manual": the consumer asks with GenStage.ask itself.'),
  partition: option
    .custom<unknown>("any value", (_v): _v is unknown => true)
    .optional()
    .doc("The partition to take (partition dispatcher)."),
  selector: option
    .func<(event: never) => boolean>()
    .optional()
    .doc("Only events it accepts come (broadcast dispatcher)."),
});

/** What a consumer passes to subscribe; see {@link subscriptionOptions}. */
export type SubscriptionOptions<T = unknown> = Omit<
  OptionsInput<typeof subscriptionOptions>,
  "selector"
> & { readonly selector?: ((event: T) => boolean) | undefined };

/** @internal Parsed subscription options, minDemand resolved. */
export type ParsedSubscription = OptionsOutput<typeof subscriptionOptions> & {
  readonly minDemand: number;
};

/**
 * @internal Validates one subscription, then the cross-field rule: `minDemand` below
 * `maxDemand`, as GenStage requires. A bare pid or name subscribes with the defaults.
 */
export function parseSubscription(input: unknown, path: string): ParsedSubscription {
  const parsed = subscriptionOptions.parse(isDest(input) ? { to: input } : input, path);
  const max = parsed.maxDemand;
  const min = parsed.minDemand;
  if (min === undefined) return { ...parsed, minDemand: Math.floor(max / 2) };
  if (min >= max) {
    invalidArgument(
      path === "" ? "minDemand" : `${path}.minDemand`,
      `an integer from 0 to ${max - 1} (below maxDemand)`,
      min,
    );
  }
  return parsed as ParsedSubscription;
}

const producerFields = {
  dispatcher: option
    .custom<Dispatcher<unknown>>("a Dispatcher (subscribe, cancel, ask, dispatch)", isDispatcher)
    .optional()
    .doc("How events are shared among subscribers. Default: a new DemandDispatcher."),
  bufferKeep: option
    .oneOf(["first", "last"], "last")
    .doc("When the buffer is full, keep the oldest events or the newest."),
  demand: option
    .oneOf(["forward", "accumulate"], "forward")
    .doc('"accumulate": hold demand until GenStage.demand(stage, "forward").'),
};

const bufferSize = (def: number) =>
  option
    .custom<number>(
      "a non-negative integer or Infinity",
      (v): v is number => v === Infinity || (Number.isInteger(v) && (v as number) >= 0),
      def,
    )
    .doc("The most events buffered while no consumer asks; the rest are dropped.");

/**
 * The options of `GenStage.producer(state, options)`.
 *
 * | option | type | default | |
 * |---|---|---|---|
 * | `dispatcher` | Dispatcher | a new `DemandDispatcher` | how events are shared among subscribers |
 * | `bufferSize` | integer or Infinity | `10000` | events kept while nobody asks |
 * | `bufferKeep` | `"first" \| "last"` | `"last"` | what a full buffer keeps |
 * | `demand` | `"forward" \| "accumulate"` | `"forward"` | `"accumulate"` holds demand until forwarded |
 */
export const producerOptions = schema({ ...producerFields, bufferSize: bufferSize(10_000) });

/**
 * The options of `GenStage.producerConsumer(state, options)`: a producer's (but `bufferSize`
 * defaults to `Infinity`, as in GenStage, and no `demand` mode) and `subscribeTo`.
 */
export const producerConsumerOptions = schema({
  dispatcher: producerFields.dispatcher,
  bufferKeep: producerFields.bufferKeep,
  bufferSize: bufferSize(Infinity),
  subscribeTo: option
    .custom<readonly unknown[]>("an array of subscriptions", (v): v is readonly unknown[] =>
      Array.isArray(v),
    )
    .optional()
    .doc("Producers to subscribe to when the stage starts: pids, names or subscription options."),
});

/** The options of `GenStage.consumer(state, options)`: `subscribeTo`. */
export const consumerOptions = schema({
  subscribeTo: producerConsumerOptions.fields.subscribeTo,
});

/** Options of a producer; see {@link producerOptions}. */
export type ProducerOptions = OptionsInput<typeof producerOptions>;
/** Options of a producer-consumer; see {@link producerConsumerOptions}. */
export type ProducerConsumerOptions = OptionsInput<typeof producerConsumerOptions>;
/** Options of a consumer; see {@link consumerOptions}. */
export type ConsumerOptions = OptionsInput<typeof consumerOptions>;
