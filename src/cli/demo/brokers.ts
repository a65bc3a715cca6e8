/**
 * `beamish demo --broker`: the demo's lines published to a fresh RabbitMQ queue, NATS JetStream
 * stream or Redis stream (a random name, deleted at the end), then consumed by the broker's
 * connector in place of `fromNdjson`. Bodies are published as they are, malformed ones too, so
 * that the connector's own decoding fails them (`MalformedMessageError` and its kin): the
 * summary's failures are the broker's, as a real consumer would see them.
 *
 * Each body carries its line number (a header, or a field of the entry), which the producer
 * wrapper here puts in `metadata.line` as `fromNdjson` does, and each acknowledgement is counted
 * on the way to the connector's acknowledger: the ledger's checks stay the same.
 */
import { randomUUID } from "node:crypto";
import { redact } from "../../connectors/reconnect.js";
import type { Acknowledger, Message, ProducerDefinition } from "../../pipeline/index.js";
import { Emit } from "../../stage/index.js";

/** The brokers `--broker` takes. */
export const brokerNames = ["rabbitmq", "nats", "redis"] as const;
export type BrokerName = (typeof brokerNames)[number];

/** Where each broker is looked for when `--url` is not given. */
export const defaultBrokerUrls: Readonly<Record<BrokerName, string>> = {
  rabbitmq: "amqp://guest:guest@127.0.0.1:5672",
  nats: "nats://127.0.0.1:4222",
  redis: "redis://127.0.0.1:6379",
};

/**
 * The most messages the pipeline may hold unacknowledged. Open batches wait up to their
 * `batchTimeout` per customer, so at 50,000 msg/s some 25,000 are in flight: a window much
 * smaller would make the broker, not the rate limit, set the pace.
 */
const window = 65_535;

/** What `acked` is told: the messages one acknowledgement call settled. */
export type OnAck = (successful: readonly Message[], failed: readonly Message[]) => void;

/** A queue or stream of the demo's own, opened for publishing. */
export interface DemoBroker {
  readonly name: BrokerName;
  /** The address without credentials. */
  readonly address: string;
  /** What the lines go to: `queue beamish-demo-1a2b3c4d`. */
  readonly target: string;
  /** The connector's producer function, for the story. */
  readonly producerName: string;
  publish(body: string, line: number): undefined | Promise<void>;
  /** Resolves once the broker took every body published. */
  flush(): Promise<void>;
  /**
   * The connector's producer on the queue or stream, each message's line number in
   * `metadata.line` and each acknowledgement told to `onAck` first.
   */
  producer(onAck: OnAck): Promise<ProducerDefinition<unknown>>;
  /** Deletes the queue or stream and closes the publishing connection; once. */
  remove(): Promise<void>;
}

/**
 * Connects to `name` at `url` (or its default address) and creates a queue or stream with a
 * random name. The connector and its client library load only here, when asked for.
 *
 * @example
 * ```ts
 * const broker = await openBroker("redis", undefined);
 * await broker.publish('{"id":1}', 1);
 * await broker.flush();
 * const producer = await broker.producer((ok, failed) => ledger.acked(ok, failed));
 * // ... run the pipeline, then:
 * await broker.remove();
 * ```
 */
export async function openBroker(name: BrokerName, url: string | undefined): Promise<DemoBroker> {
  const at = url ?? defaultBrokerUrls[name];
  const id = randomUUID().slice(0, 8);
  const common = { name, address: redact(at) };
  if (name === "rabbitmq") {
    const queue = `beamish-demo-${id}`;
    const { openRabbitmqPublisher } = await import("../../connectors/rabbitmq/publisher.js");
    const { rabbitmqProducer } = await import("../../connectors/rabbitmq/index.js");
    const publisher = await openRabbitmqPublisher(at, queue);
    return {
      ...common,
      target: `queue ${queue}`,
      producerName: "rabbitmqProducer",
      publish: publisher.publish,
      flush: publisher.flush,
      remove: once(publisher.remove),
      producer: async (onAck) =>
        tracked(
          rabbitmqProducer({ url: at, queue, prefetch: window, onFailure: "reject" }),
          (m) => Number((m.metadata.headers as Record<string, unknown>).line),
          onAck,
        ),
    };
  }
  if (name === "nats") {
    const stream = `beamish_demo_${id}`;
    const { openNatsPublisher } = await import("../../connectors/nats/publisher.js");
    const { natsProducer } = await import("../../connectors/nats/index.js");
    const publisher = await openNatsPublisher(at, stream);
    return {
      ...common,
      target: `stream ${stream}`,
      producerName: "natsProducer",
      publish: publisher.publish,
      flush: publisher.flush,
      remove: once(publisher.remove),
      producer: async (onAck) =>
        tracked(
          natsProducer({
            servers: at,
            stream,
            consumer: "demo",
            maxAckPending: window,
            onFailure: "term",
          }),
          (m) => Number((m.metadata.headers as Record<string, string>).line),
          onAck,
        ),
    };
  }
  const stream = `beamish-demo:${id}`;
  const { openRedisPublisher } = await import("../../connectors/redis/publisher.js");
  const { redisProducer } = await import("../../connectors/redis/index.js");
  const publisher = await openRedisPublisher(at, stream);
  return {
    ...common,
    target: `stream ${stream}`,
    producerName: "redisProducer",
    publish: publisher.publish,
    flush: publisher.flush,
    remove: once(publisher.remove),
    producer: async (onAck) =>
      tracked(
        redisProducer({
          url: at,
          stream,
          group: "demo",
          onFailure: "discard",
          decode: (fields) => JSON.parse(fields.body ?? "") as unknown,
        }),
        (m) => Number((m.metadata.fields as Record<string, string>).line),
        onAck,
      ),
  };
}

/** `fn` run once; later calls get the first call's promise. */
function once(fn: () => Promise<void>): () => Promise<void> {
  let done: Promise<void> | undefined;
  return () => {
    done ??= fn();
    return done;
  };
}

/**
 * `producer` with `metadata.line` set on each message it emits, and its acknowledger wrapped so
 * that `onAck` sees every acknowledgement first. One wrapper per acknowledger keeps the
 * pipeline's grouping (by acknowledger and ref) as it was.
 */
function tracked<T, S>(
  producer: ProducerDefinition<T, S>,
  lineOf: (message: Message) => number,
  onAck: OnAck,
): ProducerDefinition<T, S> {
  const wrappers = new Map<Acknowledger, Acknowledger>();
  const wrap = (inner: Acknowledger): Acknowledger => {
    let wrapper = wrappers.get(inner);
    if (wrapper === undefined) {
      wrapper = {
        name: inner.name,
        ack(ref, successful, failed) {
          onAck(successful, failed);
          return inner.ack(ref, successful, failed);
        },
        ...(inner.configure && { configure: inner.configure.bind(inner) }),
      };
      wrappers.set(inner, wrapper);
    }
    return wrapper;
  };
  const mark = <R>(result: R): R => {
    if (result instanceof Emit) {
      for (const m of result.events as readonly Message[]) {
        m.metadata = { ...m.metadata, line: lineOf(m) };
        m.acknowledger = wrap(m.acknowledger);
      }
    }
    return result;
  };
  const around =
    <A extends unknown[], R>(fn: (...args: A) => R) =>
    (...args: A): R => {
      const result = fn.apply(producer, args);
      return result instanceof Promise ? (result.then(mark) as R) : mark(result);
    };
  const wrapped: ProducerDefinition<T, S> = { ...producer };
  wrapped.handleDemand = around(producer.handleDemand);
  if (producer.handleInfo) wrapped.handleInfo = around(producer.handleInfo);
  if (producer.prepareForDraining) {
    wrapped.prepareForDraining = around(producer.prepareForDraining);
  }
  return wrapped;
}
