/** `beamish demo`'s options, declared once: the parser, the defaults and the help come from here. */

import { InvalidArgumentError } from "../../kernel/errors.js";
import { integerOption, type OptionSpec, optionsHelp, parseArgs, UsageError } from "../args.js";
import { type BrokerName, brokerNames, defaultBrokerUrls } from "./brokers.js";
import type { DemoOptions } from "./run.js";

/** Events generated when `--events` is not given. */
export const defaultEvents = 1_000_000;
/**
 * Messages per second when `--rate` is not given: below what the pipeline does unlimited on a
 * 2-core machine, so that the limit is what sets the pace (about 20 s for the default events).
 */
export const defaultRate = 50_000;
const maxEvents = 100_000_000;
const maxRate = 100_000_000;

export const demoOptionSpecs = {
  events: {
    kind: "value",
    placeholder: "N",
    help: `events to generate (default ${defaultEvents}; up to ${maxEvents})`,
  },
  rate: {
    kind: "value",
    placeholder: "N",
    help: `messages per second the producer may emit, 0 for no limit (default ${defaultRate})`,
  },
  input: {
    kind: "value",
    placeholder: "PATH",
    help: "read this NDJSON file instead of generating one",
  },
  broker: {
    kind: "value",
    placeholder: "NAME",
    help: `publish the events to a fresh ${brokerNames.join(", ")} queue or stream and consume it with the connector`,
  },
  url: {
    kind: "value",
    placeholder: "URL",
    help: `with --broker, where it is (default ${Object.values(defaultBrokerUrls).join(", ")})`,
  },
  quiet: { kind: "flag", help: "no story and no live progress: only the summary" },
  keep: { kind: "flag", help: "keep the generated input and the output files, and say where" },
  help: { kind: "flag", short: "h", help: "show this help" },
} as const satisfies Record<string, OptionSpec>;

export const demoHelp = `Usage: beamish demo [options]

Runs a pipeline over a stream of web-shop events (views, carts, orders) read from an NDJSON file
it generates first: the producer is Pipeline.fromNdjson under a rate limit; processors
partitioned by customer validate each event and enrich it from a cached customer lookup; orders
and the rest go to two batchers, batched per customer; each batch is appended to an NDJSON file.
Live counters on stderr, a summary on stdout, and a check that per-customer order held and every
message was acknowledged exactly once (exit code 1 if not).

With --broker, the events are first published to a new queue (RabbitMQ) or stream (NATS
JetStream, Redis) with a random name, malformed lines as they are; the same pipeline then
consumes it with the broker's producer (rabbitmqProducer, natsProducer, redisProducer) in place
of fromNdjson, and the queue or stream is deleted at the end, Ctrl-C included.

Options:
${optionsHelp(demoOptionSpecs)}
`;

/**
 * Parses `beamish demo`'s arguments; `"help"` when help was asked. Throws `UsageError` or
 * `InvalidArgumentError`.
 *
 * @example
 * ```ts
 * parseDemoOptions(["--events", "20000", "--rate", "0"]); // { events: 20000, rate: 0, ... }
 * ```
 */
export function parseDemoOptions(argv: readonly string[]): DemoOptions | "help" {
  const args = parseArgs(argv, demoOptionSpecs);
  if (args.flags.has("help")) return "help";
  if (args.values.has("input") && args.values.has("events")) {
    throw new UsageError("`--events` and `--input` exclude each other: an input file has its own");
  }
  const broker = args.values.get("broker");
  if (broker !== undefined && !isBroker(broker)) {
    const expected = `one of ${brokerNames.join(", ")}`;
    throw new InvalidArgumentError({ path: "--broker", expected, got: broker });
  }
  if (args.values.has("url") && broker === undefined) {
    throw new UsageError("`--url` is the address of a `--broker`: give `--broker` too");
  }
  return {
    events: integerOption(args, "events", { min: 1, max: maxEvents, fallback: defaultEvents }),
    rate: integerOption(args, "rate", { min: 0, max: maxRate, fallback: defaultRate }),
    input: args.values.get("input"),
    quiet: args.flags.has("quiet"),
    keep: args.flags.has("keep"),
    ...(broker !== undefined && { broker, url: args.values.get("url") }),
  };
}

const isBroker = (name: string): name is BrokerName =>
  (brokerNames as readonly string[]).includes(name);
