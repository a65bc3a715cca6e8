/**
 * The RabbitMQ producer against a fake broker (rabbitmq-fake.test.ts), on the virtual clock:
 * options, demand and the buffer, acks in few frames, failure policies, malformed bodies,
 * drops and reconnection, consumer cancels, the user's own connection, draining, and the
 * adaptive prefetch. The real broker is exercised in test/integration/rabbitmq.test.ts.
 */
import assert from "node:assert/strict";
import diagnostics from "node:diagnostics_channel";
import { describe, test } from "node:test";
import { type CrashReport, isBeamishError, type Self, TIMEOUT } from "beamish";
import {
  type ConnectionEvent,
  InvalidOptionsError,
  type Message,
  Pipeline,
  pipelineChannels,
} from "beamish/pipeline";
import { type VirtualClock, withRuntime } from "beamish/testing";
import type { Delivery } from "../../src/connectors/rabbitmq/client.js";
import type { RabbitmqMetadata } from "../../src/connectors/rabbitmq/index.js";
import { createRabbitmqProducer } from "../../src/connectors/rabbitmq/producer.js";
import { BrokerConnectError } from "../../src/connectors/reconnect.js";
import {
  ChannelError,
  FakeBroker,
  type FakeChannel,
  type FakeConnection,
} from "./rabbitmq-fake.js";

/** Moves virtual time until `condition` holds; fails rather than hangs. */
async function until(clock: VirtualClock, condition: () => boolean, steps = 500): Promise<void> {
  for (let i = 0; i < steps && !condition(); i++) await clock.advance(10);
  assert.ok(condition(), "condition not reached");
}

/** Collects what is published on `beamish:pipeline:connection` while `fn` runs. */
async function watchConnections<T>(fn: (events: ConnectionEvent[]) => Promise<T>): Promise<T> {
  const events: ConnectionEvent[] = [];
  const listener = (event: unknown) => events.push(event as ConnectionEvent);
  diagnostics.subscribe(pipelineChannels.connection, listener);
  try {
    return await fn(events);
  } finally {
    diagnostics.unsubscribe(pipelineChannels.connection, listener);
  }
}

function fill(broker: FakeBroker, queue: string, n: number): number[] {
  broker.declare(queue);
  return Array.from({ length: n }, (_, i) => broker.publish(queue, { n: i }));
}

const sorted = (values: readonly number[]) => [...values].sort((a, b) => a - b);

test("the fake broker: prefetch bounds each consumer, acks settle, an unknown tag closes the channel", async () => {
  const broker = new FakeBroker();
  broker.declare("q");
  for (let i = 0; i < 5; i++) broker.publish("q", i);
  const connection = (await broker.connect("amqp://h:1", "test")) as FakeConnection;
  const channel = (await connection.openChannel()) as FakeChannel;
  await channel.prefetch(2);
  const got: Delivery[] = [];
  await channel.consume(
    "q",
    (d) => got.push(d),
    () => {},
  );
  await Promise.resolve();
  await Promise.resolve();
  assert.equal(got.length, 2);
  channel.ack(2, true);
  await Promise.resolve();
  assert.equal(got.length, 4);
  assert.deepEqual(broker.acked, [1, 2]);
  let closed: unknown;
  channel.onClose((error) => {
    closed = error;
  });
  channel.ack(2, false);
  assert.ok(closed instanceof ChannelError && closed.replyCode === 406);
  assert.equal(broker.pending("q"), 3, "the unacked ones went back to the queue");
});

describe("rabbitmqProducer options", () => {
  const make = (options: unknown) => createRabbitmqProducer(options, new FakeBroker());

  test("are checked at once, one line per bad option, in the pipeline's shape", () => {
    assert.throws(
      () => make({ queue: "", prefetch: 0, onFailure: "drop", extra: 1 }),
      (error: unknown) => {
        assert.ok(error instanceof InvalidOptionsError);
        assert.deepEqual(
          error.errors.map((e) => e.message),
          [
            'invalid value for `queue`: expected a queue name, got ""',
            "invalid value for `prefetch`: expected an integer from 1 to 65535, got 0",
            'invalid value for `onFailure`: expected "requeue" or "reject", got "drop"',
            "invalid value for `extra`: expected one of the options queue, url, connection, declare, bindings, prefetch, onFailure, onConsumerCancel, decode, connect, got 1",
          ],
        );
        return true;
      },
    );
  });

  test("a bad URL is printed without its password", () => {
    assert.throws(
      () => make({ queue: "q", url: "http://guest:s3cret@host:5672" }),
      (error: unknown) => {
        assert.ok(error instanceof InvalidOptionsError);
        assert.doesNotMatch(error.message, /s3cret/);
        assert.match(
          error.message,
          /`url`: expected an amqp:\/\/ or amqps:\/\/ URL, got "http:\/\/host:5672"/,
        );
        return true;
      },
    );
  });

  test("url and connection are one or the other; backoff min above max is refused", () => {
    const broker = new FakeBroker();
    assert.throws(
      () =>
        make({
          queue: "q",
          url: "amqp://127.0.0.1",
          connection: { createChannel() {} },
          connect: { backoff: { min: 500, max: 100 } },
        }),
      (error: unknown) => {
        assert.ok(error instanceof InvalidOptionsError);
        assert.deepEqual(
          error.errors.map((e) => e.path),
          ["connection", "connect.backoff.max"],
        );
        return true;
      },
    );
    assert.ok(createRabbitmqProducer({ queue: "q", connection: broker.userConnection() }, broker));
  });
});

describe("rabbitmqProducer in a pipeline", () => {
  test(
    "every message handled once, acked in few multiple frames, with its metadata",
    withRuntime(async ({ clock, crashes }) => {
      const broker = new FakeBroker();
      const ids = fill(broker, "orders", 200);
      broker.publish("orders", { n: 200 }, { source: "test" });
      const producer = createRabbitmqProducer<{ n: number }>({ queue: "orders" }, broker);
      const seen: Message<{ n: number }>[] = [];
      const pipeline = await Pipeline.start({
        name: "shop",
        producer: { module: producer },
        processors: { default: { concurrency: 2, maxDemand: 10 } },
        batchers: { default: { batchSize: 20, batchTimeout: 50 } },
        handleMessage: (_p, message) => message,
        handleBatch: (_b, messages) => {
          seen.push(...messages);
          return messages;
        },
      });
      await until(clock, () => broker.acked.length === 201);
      await pipeline.stop();
      assert.deepEqual(sorted(broker.acked), [...ids, 201]);
      assert.equal(seen.length, 201);
      assert.ok(
        broker.frames.length < 201 / 4,
        `${broker.frames.length} frames for 201 acks: multiple acks used`,
      );
      assert.ok(broker.frames.some((f) => f.multiple));
      const last = seen.find((m) => m.data.n === 200) as Message<{ n: number }>;
      const metadata = last.metadata as RabbitmqMetadata;
      assert.deepEqual(
        { ...metadata, deliveryTag: 0 },
        {
          deliveryTag: 0,
          redelivered: false,
          deliveryCount: 1,
          headers: { source: "test" },
          routingKey: "orders",
          exchange: "",
          messageId: "m-201",
          contentType: "application/json",
        },
      );
      assert.equal(broker.pending("orders"), 0);
      assert.equal(broker.connections[0]?.open, false, "the producer's connection is closed");
      assert.deepEqual(broker.names, ["beamish shop producer 0"], "named in the broker's list");
      const stats = producer.stats();
      assert.equal(stats.acked, 201);
      assert.equal(stats.lost, 0);
      assert.deepEqual(crashes, []);
    }),
  );

  test(
    "never emits more than demanded; the prefetch bounds what waits in the producer",
    withRuntime(async ({ self, settle }) => {
      const broker = new FakeBroker();
      fill(broker, "q", 50);
      const producer = createRabbitmqProducer({ queue: "q", prefetch: 8 }, broker);
      const context = { pipeline: "p", index: 0, concurrency: 1 };
      let state = await producer.init(context, self);
      const emitted: Message[] = [];
      const run = async (result: unknown) => {
        if (result instanceof Object && "events" in result && "state" in result) {
          emitted.push(...(result.events as Message[]));
          state = result.state as typeof state;
        } else state = result as typeof state;
      };
      // Feeds the producer what it sent itself (deliveries ready), as its stage would.
      const drainMailbox = async (me: Self) => {
        await settle();
        for (;;) {
          const message = await me.receive({ timeout: 0 });
          if (message === TIMEOUT) break;
          await run(await producer.handleInfo?.(message, state, me));
          await settle();
        }
      };
      await run(await producer.handleDemand(3, state, self));
      await drainMailbox(self);
      assert.equal(emitted.length, 3, "3 demanded, 3 emitted");
      assert.equal(broker.pending("q"), 50);
      assert.equal(broker.prefetches[0], 8);
      // 8 delivered (the prefetch), 3 emitted: 5 wait in the producer, no more arrive.
      assert.equal(producer.stats().delivered, 8);
      await run(await producer.handleDemand(10, state, self));
      assert.equal(emitted.length, 8, "the 5 buffered go at once");
      await drainMailbox(self);
      assert.equal(emitted.length, 8, "the rest waits for acks to free the window");
      await producer.terminate?.("normal", state, self);
    }),
  );

  test(
    "failed messages are requeued by default, rejected with onFailure or per message",
    withRuntime(async ({ clock, crashes }) => {
      const broker = new FakeBroker();
      broker.declare("jobs", true);
      const requeueOnce = broker.publish("jobs", { kind: "retry" });
      const rejectMe = broker.publish("jobs", { kind: "reject" });
      const ok = broker.publish("jobs", { kind: "ok" });
      const counts: number[] = [];
      const producer = createRabbitmqProducer<{ kind: string }>({ queue: "jobs" }, broker);
      const pipeline = await Pipeline.start({
        producer: { module: producer },
        processors: { default: { concurrency: 1 } },
        handleMessage: (_p, message) => {
          const metadata = message.metadata as RabbitmqMetadata;
          if (message.data.kind === "retry") {
            counts.push(metadata.deliveryCount);
            return metadata.deliveryCount < 3 ? message.fail("not yet") : message;
          }
          if (message.data.kind === "reject") {
            return message.configureAck({ onFailure: "reject" }).fail("bad");
          }
          return message;
        },
      });
      await until(clock, () => broker.acked.length === 2 && broker.rejected.length === 1);
      await pipeline.stop();
      assert.deepEqual(counts, [1, 2, 3], "x-delivery-count of a quorum queue, plus one");
      assert.deepEqual(sorted(broker.acked), [requeueOnce, ok]);
      assert.deepEqual(broker.rejected, [rejectMe]);
      assert.deepEqual(
        { ...producer.stats(), delivered: 0, prefetch: 0 },
        {
          delivered: 0,
          acked: 2,
          requeued: 2,
          rejected: 1,
          lost: 0,
          drops: 0,
          reconnections: 0,
          consumerCancels: 0,
          prefetch: 0,
        },
      );
      assert.deepEqual(crashes, []);
    }),
  );

  test(
    "onFailure: reject drops failures; configureAck refuses unknown options",
    withRuntime(async ({ clock }) => {
      const broker = new FakeBroker();
      const [a, b] = fill(broker, "q", 2);
      const errors: unknown[] = [];
      const producer = createRabbitmqProducer({ queue: "q", onFailure: "reject" }, broker);
      const pipeline = await Pipeline.start({
        producer: { module: producer },
        processors: { default: { concurrency: 1 } },
        handleMessage: (_p, message) => {
          if (message.metadata.deliveryTag === 1) {
            try {
              message.configureAck({ requeue: true });
            } catch (error) {
              errors.push(error);
            }
          }
          return message.fail("no");
        },
      });
      await until(clock, () => broker.rejected.length === 2);
      await pipeline.stop();
      assert.deepEqual(sorted(broker.rejected), [a, b]);
      assert.equal(errors.length, 1);
      assert.match(
        String((errors[0] as Error).message),
        /message\.configureAck: an invalid option\n {2}invalid value for `requeue`: expected one of the options onFailure, got true/,
      );
    }),
  );

  test(
    "a body that does not decode fails its message, which is rejected; the rest goes on",
    withRuntime(async ({ clock, crashes }) => {
      const broker = new FakeBroker();
      broker.declare("q");
      const bad = broker.publish("q", Buffer.from("{not json"));
      const good = broker.publish("q", { fine: true });
      const failed: Message[] = [];
      const pipeline = await Pipeline.start({
        producer: { module: createRabbitmqProducer({ queue: "q" }, broker) },
        processors: { default: { concurrency: 1 } },
        handleMessage: (_p, message) => message,
        handleFailed: (messages) => {
          failed.push(...messages);
          return messages;
        },
      });
      await until(clock, () => broker.acked.length + broker.rejected.length === 2);
      await pipeline.stop();
      assert.deepEqual(broker.rejected, [bad], "rejected although onFailure is requeue");
      assert.deepEqual(broker.acked, [good]);
      const status = failed[0]?.status;
      assert.ok(
        status?.kind === "failed" && isBeamishError(status.reason, "ERR_MALFORMED_MESSAGE"),
      );
      assert.match(String(status.reason.message), /a message of queue q could not be decoded/);
      assert.deepEqual(crashes, []);
    }),
  );

  test(
    "decode: text, raw, or a function of the body",
    withRuntime(async ({ clock }) => {
      const broker = new FakeBroker();
      broker.declare("q");
      const got: unknown[] = [];
      for (const decode of ["text", "raw", (content: Buffer) => content.length] as const) {
        broker.publish("q", Buffer.from("hello"));
        const producer = createRabbitmqProducer({ queue: "q", decode }, broker);
        const pipeline = await Pipeline.start({
          producer: { module: producer },
          processors: { default: { concurrency: 1 } },
          handleMessage: (_p, message) => {
            got.push(message.data);
            return message;
          },
        });
        await until(clock, () => producer.stats().acked === 1);
        await pipeline.stop();
      }
      assert.deepEqual(got, ["hello", Buffer.from("hello"), 5]);
    }),
  );
});

describe("rabbitmqProducer under faults", () => {
  test(
    "a dropped connection: reconnects with backoff, nothing lost, late acks counted as lost",
    withRuntime(async ({ clock, crashes }) => {
      await watchConnections(async (events) => {
        const broker = new FakeBroker();
        const ids = fill(broker, "q", 300);
        const handled = new Map<number, number>();
        let drops = 0;
        const producer = createRabbitmqProducer<{ n: number }>(
          {
            queue: "q",
            url: "amqp://guest:s3cret@10.0.0.1:5672",
            prefetch: 20,
            connect: { backoff: { min: 10, max: 40 } },
          },
          broker,
        );
        const pipeline = await Pipeline.start({
          producer: { module: producer },
          processors: { default: { concurrency: 2, maxDemand: 4 } },
          batchers: { default: { batchSize: 10, batchTimeout: 20 } },
          handleMessage: (_p, message) => message,
          handleBatch: (_b, messages) => {
            for (const m of messages) handled.set(m.data.n, (handled.get(m.data.n) ?? 0) + 1);
            // The connection drops while this batch is in hand, twice: its acks cannot land.
            if (handled.size > 60 * (drops + 1) && drops < 2) {
              drops++;
              broker.connections.at(-1)?.kill();
              broker.refuse = 1;
            }
            return messages;
          },
        });
        await until(clock, () => new Set(broker.acked).size === 300, 2000);
        await pipeline.stop();
        assert.deepEqual(sorted([...new Set(broker.acked)]), ids);
        assert.equal(broker.pending("q"), 0);
        assert.equal(handled.size, 300, "every message handled");
        const duplicates = [...handled.values()].reduce((sum, n) => sum + n - 1, 0);
        const stats = producer.stats();
        assert.equal(stats.drops, 2);
        assert.equal(stats.reconnections, 2);
        assert.ok(stats.lost >= 10, "the batch in hand at each drop could not be acked");
        // What was handled twice is what was in flight at a drop: within the prefetch.
        assert.ok(duplicates <= 2 * 20, `${duplicates} duplicates`);
        assert.equal(duplicates, stats.lost);
        const states = events.map((e) => e.state);
        assert.deepEqual(states.slice(0, 2), ["up", "down"]);
        assert.ok(states.includes("failed"), "a refused attempt is published");
        assert.equal(states.filter((s) => s === "up").length, 3);
        assert.ok(events.every((e) => e.address === "amqp://10.0.0.1:5672"));
        assert.deepEqual(crashes, []);
      });
    }),
  );

  test("an unreachable broker fails the start after the attempts, with the address, no password", async () => {
    const broker = new FakeBroker();
    broker.declare("q");
    broker.refuse = Number.POSITIVE_INFINITY;
    await withRuntime(
      async () => {
        const producer = createRabbitmqProducer(
          {
            queue: "q",
            url: "amqp://guest:s3cret@10.0.0.1:5672",
            connect: { attempts: 3, backoff: { min: 1, max: 2 } },
          },
          broker,
        );
        const error = await Pipeline.start({
          producer: { module: producer },
          processors: { default: { concurrency: 1 } },
          handleMessage: (_p, m) => m,
        }).then(
          () => assert.fail("started"),
          (e: unknown) => e,
        );
        const cause = findCause(error, BrokerConnectError);
        assert.ok(cause, `a BrokerConnectError in ${String(error)}`);
        assert.equal(cause.attempts, 3);
        assert.equal(cause.address, "amqp://10.0.0.1:5672");
        assert.equal(
          cause.message,
          "could not connect to rabbitmq at amqp://10.0.0.1:5672 after 3 attempts: Error: connect ECONNREFUSED 10.0.0.1:5672",
        );
        assert.doesNotMatch(String(error), /s3cret/);
      },
      { logCrashes: false },
    )();
    assert.equal(broker.connects, 3);
  });

  test("wrong credentials fail at the first attempt", async () => {
    const broker = new FakeBroker();
    broker.credentials = false;
    await withRuntime(async () => {
      const producer = createRabbitmqProducer({ queue: "q", connect: { attempts: 5 } }, broker);
      const error = await Pipeline.start({
        producer: { module: producer },
        processors: { default: { concurrency: 1 } },
        handleMessage: (_p, m) => m,
      }).then(
        () => assert.fail("started"),
        (e: unknown) => e,
      );
      const cause = findCause(error, BrokerConnectError);
      assert.equal(cause?.attempts, 1);
      assert.match(String(cause?.message), /ACCESS-REFUSED/);
    })();
    assert.equal(broker.connects, 1);
  });

  test(
    "a missing queue fails the start unless declared; bindings are made",
    withRuntime(async () => {
      const broker = new FakeBroker();
      const error = await Pipeline.start({
        producer: { module: createRabbitmqProducer({ queue: "missing" }, broker) },
        processors: { default: { concurrency: 1 } },
        handleMessage: (_p, m) => m,
      }).then(
        () => assert.fail("started"),
        (e: unknown) => e,
      );
      assert.match(
        String(findCause(error, Error)?.message ?? error),
        /NOT_FOUND - no queue 'missing'/,
      );
      assert.equal(broker.connections[0]?.open, false, "the connection opened for it is closed");
      const pipeline = await Pipeline.start({
        producer: {
          module: createRabbitmqProducer(
            {
              queue: "made",
              declare: { durable: true },
              bindings: [{ exchange: "amq.topic", routingKey: "orders.#" }],
            },
            broker,
          ),
        },
        processors: { default: { concurrency: 1 } },
        handleMessage: (_p, m) => m,
      });
      assert.deepEqual(broker.queues.get("made")?.bindings, [
        { exchange: "amq.topic", routingKey: "orders.#" },
      ]);
      await pipeline.stop();
    }),
  );

  test(
    "the broker cancels the consumer: reported, then declared and consumed again",
    withRuntime(async ({ clock, crashes }) => {
      await watchConnections(async (events) => {
        const broker = new FakeBroker();
        fill(broker, "q", 5);
        const producer = createRabbitmqProducer(
          { queue: "q", declare: true, connect: { backoff: { min: 10, max: 20 } } },
          broker,
        );
        const pipeline = await Pipeline.start({
          producer: { module: producer },
          processors: { default: { concurrency: 1 } },
          handleMessage: (_p, m) => m,
        });
        await until(clock, () => broker.acked.length === 5);
        broker.deleteQueue("q");
        await until(
          clock,
          () => broker.queues.has("q") && broker.queues.get("q")?.consumers.length === 1,
        );
        broker.publish("q", { after: true });
        await until(clock, () => broker.acked.length === 6);
        await pipeline.stop();
        const down = events.find((e) => e.state === "down");
        assert.ok(isBeamishError(down?.error, "ERR_CONSUMER_CANCELLED"));
        assert.equal(producer.stats().consumerCancels, 1);
        assert.deepEqual(crashes, []);
      });
    }),
  );

  test(
    "onConsumerCancel: stop takes no more messages",
    withRuntime(async ({ clock }) => {
      const broker = new FakeBroker();
      fill(broker, "q", 2);
      const producer = createRabbitmqProducer(
        { queue: "q", declare: true, onConsumerCancel: "stop", connect: { backoff: { min: 10 } } },
        broker,
      );
      const pipeline = await Pipeline.start({
        producer: { module: producer },
        processors: { default: { concurrency: 1 } },
        handleMessage: (_p, m) => m,
      });
      await until(clock, () => broker.acked.length === 2);
      broker.deleteQueue("q");
      broker.declare("q");
      broker.publish("q", 1);
      await clock.advance(1000);
      assert.equal(broker.acked.length, 2);
      assert.equal(broker.queues.get("q")?.consumers.length, 0);
      await pipeline.stop();
    }),
  );

  test(
    "a connection the user gives: channels on it, never closed; its loss stops the stage",
    withRuntime(async ({ clock, crashes }) => {
      const broker = new FakeBroker();
      fill(broker, "q", 3);
      const connection = broker.userConnection();
      const producer = createRabbitmqProducer({ queue: "q", connection }, broker);
      const pipeline = await Pipeline.start({
        producer: { module: producer },
        processors: { default: { concurrency: 1 } },
        handleMessage: (_p, m) => m,
      });
      await until(clock, () => broker.acked.length === 3);
      await pipeline.stop();
      assert.equal(connection.open, true, "still open");
      assert.equal(connection.channels.size, 0, "its channel closed");
      assert.equal(connection.released, true, "no listener left on it");
      assert.deepEqual(crashes, []);

      const second = await Pipeline.start({
        producer: { module: createRabbitmqProducer({ queue: "q", connection }, broker) },
        processors: { default: { concurrency: 1 } },
        handleMessage: (_p, m) => m,
      });
      connection.kill();
      const reports: CrashReport[] = crashes;
      await until(clock, () => reports.length > 0);
      assert.ok(
        reports.some((c) => isBeamishError(c.error, "ERR_CONNECTION_LOST")),
        "the producer stage exits with ConnectionLostError",
      );
      await second.stop().catch(() => {});
    }),
  );

  test(
    "stop mid-stream: acks what finished, cancels the consumer, leaves the rest in the queue",
    withRuntime(async ({ clock, crashes }) => {
      const broker = new FakeBroker();
      fill(broker, "q", 100);
      const handled: number[] = [];
      const producer = createRabbitmqProducer<{ n: number }>({ queue: "q", prefetch: 10 }, broker);
      const pipeline = await Pipeline.start({
        producer: { module: producer },
        processors: { default: { concurrency: 1, maxDemand: 2 } },
        handleMessage: async (_p, message) => {
          await new Promise((resolve) => setImmediate(resolve));
          handled.push(message.data.n);
          return message;
        },
      });
      await until(clock, () => handled.length >= 20);
      await pipeline.stop();
      assert.equal(broker.acked.length, handled.length, "what was handled was acked");
      assert.equal(broker.pending("q"), 100 - handled.length, "the rest is back in the queue");
      assert.equal(broker.queues.get("q")?.consumers.length, 0);
      assert.deepEqual(crashes, []);
    }),
  );

  test(
    "stop while the broker does not answer: the drain is not stuck",
    withRuntime(
      async ({ clock }) => {
        const broker = new FakeBroker();
        fill(broker, "q", 10);
        const pipeline = await Pipeline.start({
          producer: { module: createRabbitmqProducer({ queue: "q" }, broker) },
          processors: { default: { concurrency: 1 } },
          handleMessage: (_p, m) => m,
        });
        await until(clock, () => broker.acked.length === 10);
        broker.hang = true;
        let stopped = false;
        const stopping = pipeline.stop().then(() => {
          stopped = true;
        });
        await until(clock, () => stopped);
        await stopping;
      },
      { clock: "virtual" },
    ),
  );

  test(
    "adaptive prefetch: grows while demand waits on a full window, up to the cap",
    withRuntime(async ({ clock, crashes }) => {
      const broker = new FakeBroker();
      const ids = fill(broker, "q", 600);
      const producer = createRabbitmqProducer({ queue: "q" }, broker);
      const pipeline = await Pipeline.start({
        producer: { module: producer },
        processors: { default: { concurrency: 2, maxDemand: 5 } },
        batchers: { default: { batchSize: 100, batchTimeout: 1000 } },
        handleMessage: (_p, m) => m,
        handleBatch: (_b, messages) => messages,
      });
      await until(clock, () => broker.acked.length === 600, 3000);
      await pipeline.stop();
      assert.deepEqual(sorted(broker.acked), ids);
      const prefetches = broker.prefetches;
      assert.equal(prefetches[0], 10, "twice the first demand (5)");
      assert.ok(prefetches.length > 2, `grew: ${prefetches.join(", ")}`);
      for (let i = 1; i < prefetches.length; i++) {
        assert.equal(prefetches[i], Math.min(1000, (prefetches[i - 1] as number) * 2));
      }
      // A full batch (100) and what the processors hold (2 x 5) fit in the window: no more growth.
      assert.ok((prefetches.at(-1) as number) >= 110, `${prefetches.at(-1)}: room for a batch`);
      assert.ok((prefetches.at(-1) as number) < 1000, "and no more than needed");
      assert.equal(broker.queues.get("q")?.consumers.length, 0);
      assert.deepEqual(crashes, []);
    }),
  );
});

function findCause<E extends Error>(
  error: unknown,
  type: abstract new (...args: never[]) => E,
): E | undefined {
  for (let e = error, depth = 0; e !== undefined && e !== null && depth < 10; depth++) {
    if (e instanceof type) return e;
    if (e instanceof AggregateError) {
      for (const inner of e.errors) {
        const found = findCause(inner, type);
        if (found) return found;
      }
    }
    e = (e as { cause?: unknown; reason?: unknown }).cause ?? (e as { reason?: unknown }).reason;
  }
  return undefined;
}
