/**
 * `beamish demo`: generates (or reads) an NDJSON stream of web-shop events, runs it through the
 * shop pipeline with live counters on stderr, then prints a summary and checks, from outside the
 * pipeline, that per-customer order held and every message was acknowledged exactly once.
 */
import { createReadStream, rmSync } from "node:fs";
import { access, mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { exit, InvalidArgumentError, isAlive } from "../../kernel/index.js";
import { Pipeline, type ProducerDefinition } from "../../pipeline/index.js";
import type { BrokerName, DemoBroker } from "./brokers.js";
import { CustomerDirectory } from "./customers.js";
import { type Generated, generateEvents } from "./events.js";
import { bar, bytes, count, counted, seconds } from "./format.js";
import { Ledger } from "./ledger.js";
import { Failures, processorConcurrency, type ShopContext, shopPipeline } from "./pipeline.js";
import { type ProgressOutput, startProgress } from "./progress.js";
import { publishLines } from "./publish.js";
import { NdjsonSink } from "./sink.js";
import { type Outcome, summarize } from "./summary.js";

/** The demo's options, as `beamish demo` parses them. */
export interface DemoOptions {
  /** Events to generate. */
  readonly events: number;
  /** Messages per second, 0 for no limit. */
  readonly rate: number;
  /** An NDJSON file to read instead of generating one. */
  readonly input: string | undefined;
  readonly quiet: boolean;
  /** Keep the generated input and the sink's files. */
  readonly keep: boolean;
  /** Publish the lines to this broker and consume them from it, rather than from the file. */
  readonly broker?: BrokerName | undefined;
  /** The broker's address, when not its default. */
  readonly url?: string | undefined;
}

/** Where the demo writes: the story and the summary to `out`, live progress to `err`. */
export interface DemoOutput {
  readonly out: { write(text: string): unknown };
  readonly err: ProgressOutput;
}

/** Distinct customers in a generated stream. */
const customers = 2_000;
/** One generated line in this many is malformed. */
const malformedEvery = 1000;
/** What a cache miss of the customer lookup costs. */
const lookupMs = 1;

/**
 * Runs the demo; resolves with the exit code: 0 when every check passed, 1 when one failed.
 * Throws `InvalidArgumentError` when `--input` cannot be read.
 *
 * @example
 * ```ts
 * const code = await runDemo(
 *   { events: 20_000, rate: 0, input: undefined, quiet: true, keep: false },
 *   { out: process.stdout, err: process.stderr },
 * );
 * ```
 */
export async function runDemo(options: DemoOptions, output: DemoOutput): Promise<number> {
  const say = (text: string) => {
    if (!options.quiet) output.out.write(`${text}\n`);
  };
  if (options.input !== undefined) await readable(options.input);
  const dir = await mkdtemp(join(tmpdir(), "beamish-demo-"));
  let broker: DemoBroker | undefined;
  // Ctrl-C ends the demo at once; the hundred-odd MB it wrote go with it, and so does the
  // broker's queue or stream (given a few seconds at most).
  const interrupted = () => {
    if (!options.keep) rmSync(dir, { recursive: true, force: true });
    output.err.write("\ninterrupted\n");
    // The pipeline goes first: a consumer still reading when the stream is deleted would
    // create it again (a connector restores the group it reads from).
    const stopped = running?.then(stopHard, () => {}) ?? Promise.resolve();
    const removed = stopped.then(() => broker?.remove().catch(() => {}));
    const timeout = new Promise((resolve) => setTimeout(resolve, 3000).unref());
    void Promise.race([removed, timeout]).then(() => process.exit(130));
  };
  process.once("SIGINT", interrupted);
  const ledger = new Ledger();
  let running: Promise<Pipeline> | undefined;
  try {
    let generated: Generated | undefined;
    let path: string;
    let total: number;
    if (options.input === undefined) {
      path = join(dir, "events.ndjson");
      say(`generating ${counted(options.events, "web-shop event")} into ${path}`);
      const made = await generate(path, options, output);
      generated = made.generated;
      total = generated.events;
      say(
        `  ${bytes(generated.bytes)} in ${seconds(made.elapsed)}, ${counted(generated.malformed, "malformed line")} among them (not JSON, or a bad field)`,
      );
    } else {
      path = options.input;
      total = await countLines(path);
      say(`reading ${counted(total, "line")} from ${path}`);
    }
    let source: Source;
    if (options.broker === undefined) {
      const ndjson = Pipeline.fromNdjson(path, { onAck: (ok, failed) => ledger.acked(ok, failed) });
      source = { producer: ndjson, name: "fromNdjson", done: ndjson.done };
    } else {
      const { openBroker } = await import("./brokers.js");
      try {
        broker = await openBroker(options.broker, options.url);
      } catch (error) {
        const at = options.url ?? "its default address";
        const cause = error instanceof Error ? error.message : String(error);
        output.err.write(`beamish demo: cannot reach ${options.broker} at ${at}: ${cause}\n`);
        return 1;
      }
      say(
        `publishing ${counted(total, "line")} to ${broker.name} at ${broker.address}, ${broker.target}`,
      );
      const published = await publishLines(path, total, broker, options, output);
      say(`  published in ${seconds(published.elapsed)}, malformed lines as they are`);
      const producer = await broker.producer((ok, failed) => ledger.acked(ok, failed));
      source = {
        producer,
        name: `${broker.producerName} on ${broker.target}`,
        done: allAcknowledged(ledger, published.count),
      };
    }
    const outcome = await runPipeline(source, ledger, total, dir, options, output, (p) => {
      running = p;
    });
    const summary = summarize({ ...outcome, generated, rate: options.rate });
    output.out.write(`${summary.lines.join("\n")}\n`);
    if (options.keep) say(`kept the input and the sink's files in ${dir}`);
    return summary.passed ? 0 : 1;
  } finally {
    process.off("SIGINT", interrupted);
    if (!options.keep) await rm(dir, { recursive: true, force: true });
    await broker?.remove();
  }
}

/**
 * Stops `pipeline` without draining (Ctrl-C): its supervisor is killed, its stages (which trap
 * exits) run their terminate, closing their connections. Resolves once its producers are gone,
 * or after two seconds.
 */
function stopHard(pipeline: Pipeline): Promise<void> {
  const pid = pipeline.pid;
  if (pid === undefined) return Promise.resolve();
  // The producers read from the broker: the stream is safe to delete once they are gone.
  const producers = pipeline.topology().producers.flatMap((stage) => stage.pid ?? []);
  exit(pid, "kill");
  return new Promise((resolve) => {
    const started = Date.now();
    const poll = () => {
      if (!producers.some(isAlive) || Date.now() - started > 2000) resolve();
      else setTimeout(poll, 10);
    };
    poll();
  });
}

/** Where the pipeline's messages come from, and when it has them all. */
interface Source {
  readonly producer: ProducerDefinition<unknown>;
  /** For the story: `fromNdjson`, `rabbitmqProducer on queue ...`. */
  readonly name: string;
  /** Resolves once every message was produced and acknowledged. */
  readonly done: Promise<unknown>;
}

/** Without a broker, no progress in this long means something is stuck: the check will say. */
const stalledAfter = 30_000;

/**
 * A broker's stream has no end: the run is over once every message published was acknowledged
 * (or nothing moved for `stalledAfter`, when the check reports the missing ones).
 */
async function allAcknowledged(ledger: Ledger, published: number): Promise<void> {
  let last = -1;
  let movedAt = performance.now();
  while (ledger.acknowledged < published) {
    await new Promise((resolve) => setTimeout(resolve, 10));
    if (ledger.acknowledged !== last) {
      last = ledger.acknowledged;
      movedAt = performance.now();
    } else if (performance.now() - movedAt > stalledAfter) {
      return;
    }
  }
}

async function readable(path: string): Promise<void> {
  try {
    await access(path);
    if (!(await stat(path)).isFile()) throw new Error("not a file");
  } catch (error) {
    const invalid = { path: "--input", expected: "a readable file", got: path };
    throw new InvalidArgumentError(invalid, { cause: error });
  }
}

async function generate(path: string, options: DemoOptions, output: DemoOutput) {
  const tty = output.err.isTTY === true && !options.quiet;
  const began = performance.now();
  let drawn = 0;
  const generated = await generateEvents(path, {
    events: options.events,
    customers,
    malformedEvery,
    seed: 42,
    onProgress: (written) => {
      const now = performance.now();
      if (!tty || now - drawn < 100) return;
      drawn = now;
      const fraction = written / options.events;
      output.err.write(
        `\r\x1b[2K  generating ${bar(fraction, 30)} ${String(Math.floor(fraction * 100)).padStart(3)}%  ${count(written)} events`,
      );
    },
  });
  if (tty) output.err.write("\r\x1b[2K");
  return { generated, elapsed: performance.now() - began };
}

/** Non-empty lines of a file, as `fromNdjson` will read them. */
async function countLines(path: string): Promise<number> {
  let lines = 0;
  let blank = true;
  for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk[i] as number;
      if (c === 10) {
        if (!blank) lines++;
        blank = true;
      } else if (c !== 13 && c !== 32 && c !== 9) {
        blank = false;
      }
    }
  }
  return blank ? lines : lines + 1;
}

async function runPipeline(
  source: Source,
  ledger: Ledger,
  total: number,
  dir: string,
  options: DemoOptions,
  output: DemoOutput,
  started: (pipeline: Promise<Pipeline>) => void,
): Promise<Omit<Outcome, "generated" | "rate">> {
  const context: ShopContext = {
    directory: new CustomerDirectory(lookupMs),
    sinks: {
      orders: new NdjsonSink(join(dir, "orders.ndjson")),
      activity: new NdjsonSink(join(dir, "activity.ndjson")),
    },
    failures: new Failures(3),
  };
  const limit = options.rate > 0 ? `at most ${count(options.rate)} msg/s` : "no rate limit";
  if (!options.quiet) {
    output.out.write(
      [
        `pipeline: ${source.name} (${limit})`,
        `  -> ${processorConcurrency} processors, partitioned by customer: validate, enrich (cached customer lookup; ~${lookupMs} ms per round trip for a chunk's misses)`,
        `  -> batchers "orders" and "activity", one batch per customer at a time`,
        `  -> append-only NDJSON files in ${dir}`,
        "",
      ].join("\n"),
    );
  }
  const began = performance.now();
  const starting = Pipeline.start(
    shopPipeline({ producer: ledger.stamp(source.producer), rate: options.rate, context }),
  );
  started(starting);
  const pipeline = await starting;
  const progress = options.quiet
    ? undefined
    : startProgress({
        total,
        output: output.err,
        limit: options.rate,
        sample: () => ({ ...pipeline.stats(), lookups: context.directory.lookups }),
      });
  try {
    // Every message produced and acknowledged: the stop then has nothing left to drain.
    await source.done;
  } finally {
    await pipeline.stop();
    progress?.stop();
  }
  const elapsed = performance.now() - began;
  await Promise.all([context.sinks.orders.close(), context.sinks.activity.close()]);
  return { elapsed, stats: pipeline.stats(), ledger, context };
}
