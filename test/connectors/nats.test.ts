/**
 * The NATS JetStream producer against a fake server (nats-fake.ts), on the virtual clock:
 * options, pulls sized by demand and bounded by max_ack_pending, ack / nak with delay / term
 * (per message with configureAck), malformed payloads, metadata, in-progress signals, a
 * connection that drops and comes back or closes for good, failing pulls, draining, and the
 * shared connection of several producer stages. The real server is exercised in
 * test/integration/nats.test.ts.
 */
import assert from "node:assert/strict";
import diagnostics from "node:diagnostics_channel";
import { describe, test } from "node:test";
import { isBeamishError } from "beamish";
import {
  type ConnectionEvent,
  InvalidOptionsError,
  type Message,
  Pipeline,
  pipelineChannels,
} from "beamish/pipeline";
import { type VirtualClock, withRuntime } from "beamish/testing";
import { JetStreamPullError, NatsConnectionClosedError } from "../../src/connectors/nats/errors.js";
import type { NatsMetadata } from "../../src/connectors/nats/index.js";
import { parseNatsOptions } from "../../src/connectors/nats/options.js";
import { createNatsProducer, MAX_PULL_FAILURES } from "../../src/connectors/nats/producer.js";
import { BrokerConnectError } from "../../src/connectors/reconnect.js";
import { FakeJetStream } from "./nats-fake.js";

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

/** Stops `pipeline` while moving virtual time (a handler that never returns holds it until `shutdownTimeout`). */
async function stopMoving(clock: VirtualClock, pipeline: { stop(): Promise<unknown> }) {
  let done = false;
  const stopping = pipeline.stop().finally(() => {
    done = true;
  });
  stopping.catch(() => {});
  await until(clock, () => done, 1000);
  await stopping.catch(() => {});
}

/** A promise the test resolves when it wants. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

type Order = { n: number };

function make<T = Order>(server: FakeJetStream, options: Record<string, unknown> = {}) {
  return createNatsProducer<T>(
    parseNatsOptions({ stream: "ORDERS", consumer: "billing", ...options }),
    server.connect,
  );
}

function fill(server: FakeJetStream, n: number): number[] {
  return Array.from({ length: n }, (_, i) => server.publish({ n: i }));
}

const sorted = (values: readonly number[]) => [...values].sort((a, b) => a - b);
const range = (n: number, from = 1) => Array.from({ length: n }, (_, i) => from + i);

describe("natsProducer options", () => {
  test("are checked at once, one line per bad option, in the pipeline's shape", () => {
    assert.throws(
      () =>
        parseNatsOptions({
          stream: "",
          consumer: "c",
          expires: 10,
          onFailure: "requeue",
          prefetch: -1,
          consumerConfig: { ack_policy: "none" },
          extra: 1,
        }),
      (error: unknown) => {
        assert.ok(error instanceof InvalidOptionsError);
        assert.deepEqual(
          error.errors.map((e) => e.message),
          [
            'invalid value for `stream`: expected a stream name, got ""',
            "invalid value for `prefetch`: expected a non-negative integer, got -1",
            "invalid value for `expires`: expected an integer of at least 1000 (ms), got 10",
            'invalid value for `onFailure`: expected "nak" or "term", got "requeue"',
            "invalid value for `extra`: expected one of the options stream, streamConfig, consumer, consumerConfig, maxAckPending, maxBatch, prefetch, expires, onFailure, nakDelay, inProgressEvery, inProgressLimit, decode, servers, connectionOptions, connection, connect, got 1",
          ],
        );
        return true;
      },
    );
  });

  test("cross-field rules: a pull consumer with explicit acks, servers or a connection, backoff", () => {
    assert.throws(
      () =>
        parseNatsOptions({
          stream: "s",
          consumer: "c",
          servers: "nats://127.0.0.1:4222",
          connection: { publish() {} },
          consumerConfig: { ack_policy: "all", deliver_subject: "push.here" },
          connect: { backoff: { min: 500, max: 100 } },
        }),
      (error: unknown) => {
        assert.ok(error instanceof InvalidOptionsError);
        assert.deepEqual(
          error.errors.map((e) => e.path),
          [
            "connection",
            "consumerConfig.ack_policy",
            "consumerConfig.deliver_subject",
            "connect.backoff.min",
          ],
        );
        return true;
      },
    );
  });

  test("servers: one or several, printed without their passwords", () => {
    const one = parseNatsOptions({ stream: "s", consumer: "c", servers: "billing:s3cret@h:4222" });
    assert.deepEqual([one.servers, one.address], [["billing:s3cret@h:4222"], "nats://h:4222"]);
    assert.throws(
      () => parseNatsOptions({ stream: "s", consumer: "c", servers: [] }),
      /`servers`: expected a server address or a non-empty array of them, got an array of length 0/,
    );
    const parsed = parseNatsOptions({
      stream: "s",
      consumer: "c",
      servers: ["nats://billing:s3cret@a:4222", "billing:s3cret@b:4222"],
    });
    assert.equal(parsed.address, "nats://a:4222,nats://b:4222");
  });

  test("defaults", () => {
    const parsed = parseNatsOptions({ stream: "s", consumer: "c" });
    assert.deepEqual(parsed.servers, ["nats://127.0.0.1:4222"]);
    assert.equal(parsed.address, "nats://127.0.0.1:4222");
    assert.equal(parsed.maxAckPending, 1000);
    assert.equal(parsed.maxBatch, 256);
    assert.equal(parsed.prefetch, 256, "prefetch defaults to maxBatch");
    assert.equal(parseNatsOptions({ stream: "s", consumer: "c", maxBatch: 50 }).prefetch, 50);
    assert.equal(parsed.expires, 5000);
    assert.equal(parsed.onFailure, "nak");
    assert.equal(parsed.nakDelay, 0);
    assert.equal(parsed.inProgressEvery, undefined);
    assert.equal(parsed.inProgressLimit, 600_000);
    assert.equal(parsed.decode, "json");
    assert.deepEqual(parsed.connect, { attempts: 3, backoff: { min: 100, max: 5000 } });
  });
});

describe("natsProducer in a pipeline", () => {
  test(
    "prefetch 0: pulls what the pipeline demands, never more; every message handled once and acked",
    withRuntime(async ({ clock, crashes }) => {
      const server = new FakeJetStream();
      const ids = fill(server, 95);
      const producer = make(server, { prefetch: 0 });
      const seen: number[] = [];
      const pipeline = await Pipeline.start({
        producer: { module: producer },
        processors: { default: { concurrency: 2, maxDemand: 10 } },
        batchers: { default: { batchSize: 20, batchTimeout: 50 } },
        handleMessage: (_p, message: Message<Order>) => message,
        handleBatch: (_b, messages) => {
          for (const m of messages) seen.push((m.data as Order).n);
          return messages;
        },
      });
      await until(clock, () => server.acked.length === 95);
      // Each processor's demand comes on its own: a pull for each.
      assert.deepEqual(server.pullSizes.slice(0, 2), [10, 10]);
      assert.ok(server.pullSizes.every((n) => n <= 20));
      await pipeline.stop();
      assert.deepEqual(sorted(server.acked), ids);
      assert.deepEqual(sorted(seen), range(95, 0));
      assert.equal(server.unacked.size, 0);
      const stats = producer.stats();
      assert.deepEqual(
        { delivered: stats.delivered, acked: stats.acked, unsettled: stats.unsettled },
        { delivered: 95, acked: 95, unsettled: 0 },
      );
      assert.equal(server.closes, 1, "the connection is closed at the end");
      // A producer that emits past demand is reported as a crash (ProducerOverflowError).
      assert.deepEqual(crashes, []);
    }),
  );

  test(
    "prefetch: pulled ahead of demand, at most `prefetch`, emitted only as demanded; given back at the drain",
    withRuntime(async ({ clock, crashes }) => {
      const server = new FakeJetStream();
      fill(server, 200);
      const producer = make(server, { prefetch: 30, maxBatch: 50 });
      const slow = gate();
      let handled = 0;
      let peak = 0;
      const pipeline = await Pipeline.start({
        producer: { module: producer },
        processors: { default: { concurrency: 1, maxDemand: 10 } },
        handleMessage: async (_p, message) => {
          peak = Math.max(peak, producer.stats().unsettled + server.waiting);
          handled++;
          if (handled > 100) await slow.promise;
          return message;
        },
      });
      await until(clock, () => handled === 101);
      await clock.advance(100);
      const held = producer.stats().unsettled;
      // The processor holds at most its maxDemand (10); the producer the 30 prefetched.
      assert.ok(held >= 31 && held <= 40, `unsettled while the handler waits: ${held}`);
      assert.ok(peak <= 40, `at most maxDemand + prefetch unsettled or asked for, saw ${peak}`);
      assert.ok(
        server.pullSizes.every((n) => n <= 50),
        `no pull over maxBatch: ${server.pullSizes}`,
      );
      const stopping = pipeline.stop();
      await clock.advance(10);
      slow.open();
      await stopping;
      const stats = producer.stats();
      assert.ok(stats.returned >= 20, `prefetched messages given back: ${stats.returned}`);
      assert.equal(stats.acked + stats.returned, stats.delivered, "each settled once");
      assert.equal(server.acked.length + server.queue.length, 200, "acked or back on the server");
      assert.equal(new Set(server.acked).size, server.acked.length, "no message acked twice");
      assert.equal(server.unacked.size, 0, "nothing left unsettled");
      assert.deepEqual(crashes, [], "never emitted past demand (ProducerOverflowError)");
    }),
  );

  test(
    "prefetched messages still waiting a tick later are signalled in progress before ack_wait",
    withRuntime(async ({ clock }) => {
      const server = new FakeJetStream({ ackWait: 1000 });
      fill(server, 30);
      const producer = make(server, { prefetch: 20 });
      const slow = gate();
      const pipeline = await Pipeline.start({
        producer: { module: producer },
        shutdownTimeout: 1000,
        processors: { default: { concurrency: 1, maxDemand: 1 } },
        handleMessage: async (_p, message) => {
          await slow.promise;
          return message;
        },
      });
      await until(clock, () => producer.stats().delivered >= 21);
      const buffered = () => server.deliveries.slice(1, 21);
      // The first look (half of ack_wait) sees them arrive; the next one signals them.
      await clock.advance(600);
      assert.ok(
        buffered().every((d) => d.signals.length === 0),
        "not signalled at the first look",
      );
      await clock.advance(500);
      assert.ok(
        buffered().every((d) => d.signals.includes("working")),
        "each prefetched one signalled once it waited a whole look",
      );
      assert.equal(server.deliveries[0]?.signals.length, 0, "the one in the pipeline is not");
      slow.open();
      await until(clock, () => server.acked.length === 30);
      await pipeline.stop();
    }),
  );

  test(
    "a pull asks for no more than maxBatch, nor than the room under max_ack_pending",
    withRuntime(async ({ clock, crashes }) => {
      const server = new FakeJetStream({ maxAckPending: 7 });
      fill(server, 60);
      const producer = make(server, { maxBatch: 5 });
      let inFlight = 0;
      let peak = 0;
      const pipeline = await Pipeline.start({
        producer: { module: producer },
        processors: { default: { concurrency: 1, maxDemand: 50 } },
        handleMessage: async (_p, message) => {
          inFlight++;
          peak = Math.max(peak, producer.stats().unsettled + server.waiting);
          await Promise.resolve();
          inFlight--;
          return message;
        },
      });
      await until(clock, () => server.acked.length === 60);
      await pipeline.stop();
      assert.ok(
        server.pullSizes.every((n) => n <= 5),
        `pull sizes ${server.pullSizes}`,
      );
      assert.ok(peak <= 7, `at most 7 unsettled or asked for, saw ${peak}`);
      assert.equal(inFlight, 0);
      assert.deepEqual(crashes, []);
    }),
  );

  test(
    "failed messages are nak'ed after nakDelay or terminated, per message with configureAck",
    withRuntime(async ({ clock, crashes }) => {
      const server = new FakeJetStream();
      fill(server, 6);
      const producer = make(server, { nakDelay: 100 });
      const redelivered: number[] = [];
      const pipeline = await Pipeline.start({
        producer: { module: producer },
        processors: { default: { concurrency: 1 } },
        handleMessage: (_p, message: Message<Order>) => {
          const { n } = message.data;
          const metadata = message.metadata as NatsMetadata;
          if (metadata.redelivered) {
            redelivered.push(n);
            return message;
          }
          if (n === 2) message.configureAck({ onFailure: "term" });
          if (n === 4) message.configureAck({ nakDelay: 500 }).configureAck({});
          return n % 2 === 0 ? message.fail(new Error(`even ${n}`)) : message;
        },
      });
      await until(clock, () => server.delayed.length === 2 && server.termed.length === 1);
      const first = (seq: number) => server.deliveries.find((d) => d.stored.seq === seq);
      assert.equal(first(1)?.settled, "nak 100");
      assert.equal(first(3)?.settled, "term");
      assert.equal(first(5)?.settled, "nak 500", "configureAck({}) keeps what was configured");
      assert.equal(first(2)?.settled, "ack");
      server.releaseDelayed();
      await until(clock, () => redelivered.length === 2);
      await pipeline.stop();
      assert.deepEqual(sorted(redelivered), [0, 4]);
      assert.deepEqual(sorted(server.acked), [1, 2, 4, 5, 6]);
      assert.deepEqual(server.termed, [3]);
      const stats = producer.stats();
      assert.deepEqual([stats.acked, stats.naked, stats.terminated], [5, 2, 1]);
      assert.deepEqual(crashes, []);
    }),
  );

  test(
    "configureAck refuses options it does not know, in the pipeline's error shape",
    withRuntime(async ({ clock }) => {
      const server = new FakeJetStream();
      server.publish({ n: 1 });
      let error: unknown;
      const pipeline = await Pipeline.start({
        producer: { module: make(server, { onFailure: "term" }) },
        processors: { default: {} },
        handleMessage: (_p, message) => {
          try {
            message.configureAck({ requeue: true, nakDelay: -1 });
          } catch (e) {
            error = e;
          }
          return message;
        },
      });
      await until(clock, () => server.acked.length === 1);
      await pipeline.stop();
      assert.ok(error instanceof InvalidOptionsError);
      assert.deepEqual(
        error.errors.map((e) => e.message),
        [
          "invalid value for `nakDelay`: expected a non-negative integer (ms), got -1",
          "invalid value for `requeue`: expected one of the options onFailure, nakDelay, got true",
        ],
      );
    }),
  );

  test(
    "a payload that does not decode fails its message, which is terminated; the rest goes on",
    withRuntime(async ({ clock, crashes }) => {
      const server = new FakeJetStream();
      server.publish(null, { raw: "{not json" });
      server.publish({ n: 2 });
      const handled: unknown[] = [];
      const failed: Message[] = [];
      const pipeline = await Pipeline.start({
        producer: { module: make(server) },
        processors: { default: {} },
        handleMessage: (_p, message) => {
          handled.push(message.data);
          return message;
        },
        handleFailed: (messages) => {
          failed.push(...messages);
          return messages;
        },
      });
      await until(clock, () => server.acked.length + server.termed.length === 2);
      await pipeline.stop();
      assert.deepEqual(handled, [{ n: 2 }], "handleMessage never saw the malformed one");
      assert.equal(failed.length, 1);
      const reason =
        (failed[0] as Message).status.kind === "failed" ? failed[0]?.status : undefined;
      assert.ok(reason !== undefined && reason.kind === "failed");
      assert.ok(isBeamishError(reason.reason, "ERR_MALFORMED_NATS_MESSAGE"));
      assert.equal(reason.reason.streamSequence, 1);
      assert.match(
        reason.reason.message,
        /message 1 of subject orders.created could not be decoded/,
      );
      assert.ok(failed[0]?.data instanceof Uint8Array, "its data is the raw payload");
      assert.deepEqual(server.termed, [1]);
      assert.deepEqual(server.acked, [2]);
      assert.deepEqual(crashes, []);
    }),
  );

  test(
    "decode: text, raw, or a function given the payload and the delivery",
    withRuntime(async ({ clock }) => {
      for (const [decode, expected] of [
        ["text", '{"n":1}'],
        ["raw", new TextEncoder().encode('{"n":1}')],
        [
          (data: Uint8Array, d: { subject: string }) => `${d.subject}:${data.length}`,
          "orders.created:7",
        ],
      ] as const) {
        const server = new FakeJetStream();
        server.publish({ n: 1 });
        const seen: unknown[] = [];
        const pipeline = await Pipeline.start({
          producer: { module: make<unknown>(server, { decode }) },
          processors: { default: {} },
          handleMessage: (_p, message) => {
            seen.push(message.data);
            return message;
          },
        });
        await until(clock, () => server.acked.length === 1);
        await pipeline.stop();
        assert.deepEqual(seen, [expected]);
      }
    }),
  );

  test(
    "metadata: subject, sequences, delivery count, redelivered, headers, timestamp",
    withRuntime(async ({ clock }) => {
      const server = new FakeJetStream();
      server.publish(
        { n: 1 },
        { subject: "orders.paid", headers: { trace: ["a", "b"], k: ["v"] } },
      );
      const seen: NatsMetadata[] = [];
      const pipeline = await Pipeline.start({
        producer: { module: make(server) },
        processors: { default: {} },
        handleMessage: (_p, message) => {
          const metadata = message.metadata as NatsMetadata;
          seen.push(metadata);
          return metadata.deliveryCount === 1 ? message.fail("again") : message;
        },
      });
      await until(clock, () => server.acked.length === 1);
      await pipeline.stop();
      assert.deepEqual(seen[0], {
        subject: "orders.paid",
        stream: "ORDERS",
        consumer: "billing",
        streamSequence: 1,
        deliverySequence: 1,
        deliveryCount: 1,
        redelivered: false,
        pending: 0,
        timestamp: 1_700_000_000_000,
        headers: { trace: "a, b", k: "v" },
      });
      assert.deepEqual(
        [seen[1]?.deliveryCount, seen[1]?.redelivered, seen[1]?.deliverySequence],
        [2, true, 2],
      );
    }),
  );

  test(
    "inProgressEvery: a message that stays in the pipeline is signalled until it is settled",
    withRuntime(async ({ clock, crashes }) => {
      const server = new FakeJetStream();
      server.publish({ n: 1 });
      server.publish({ n: 2 });
      const slow = gate();
      const producer = make(server, { inProgressEvery: 1000 });
      const pipeline = await Pipeline.start({
        producer: { module: producer },
        processors: { default: { concurrency: 2, maxDemand: 1 } },
        handleMessage: async (_p, message: Message<Order>) => {
          if (message.data.n === 1) await slow.promise;
          return message;
        },
      });
      await until(clock, () => server.acked.length === 1);
      const [first, second] = server.deliveries;
      assert.equal(first?.signals.length, 0);
      await clock.advance(1000);
      assert.deepEqual(first?.signals, ["working"]);
      await clock.advance(1000);
      assert.deepEqual(first?.signals, ["working", "working"]);
      assert.deepEqual(second?.signals, ["ack"], "a settled message is not signalled");
      slow.open();
      await until(clock, () => server.acked.length === 2);
      await clock.advance(3000);
      assert.deepEqual(first?.signals, ["working", "working", "ack"]);
      assert.equal(producer.stats().inProgress, 2);
      await pipeline.stop();
      assert.deepEqual(crashes, []);
    }),
  );

  test(
    "a message the pipeline never settles is given up on after ack_wait: no stall under max_ack_pending",
    withRuntime(async ({ clock }) => {
      const server = new FakeJetStream({ maxAckPending: 1, ackWait: 1000 });
      fill(server, 2);
      const producer = make(server);
      const seen: number[] = [];
      const pipeline = await Pipeline.start({
        producer: { module: producer },
        shutdownTimeout: 1000,
        processors: { default: { concurrency: 2, maxDemand: 1 } },
        handleMessage: async (_p, message: Message<Order>) => {
          const { deliveryCount } = message.metadata as NatsMetadata;
          seen.push(message.data.n);
          // Its processor hangs on the first delivery, as one that crashed would lose it.
          if (message.data.n === 0 && deliveryCount === 1) await new Promise(() => {});
          return message;
        },
      });
      await until(clock, () => seen.length === 1);
      await clock.advance(500);
      assert.equal(server.pullSizes.length, 1, "no room under max_ack_pending: no pull");
      await clock.advance(1500);
      assert.equal(producer.stats().released, 1);
      assert.equal(producer.stats().unsettled, 0);
      server.expireAll(); // the server's ack_wait ran out too: it delivers it again
      await until(clock, () => server.acked.length === 2);
      assert.deepEqual(seen, [0, 0, 1]);
      await stopMoving(clock, pipeline);
    }),
  );

  test(
    "inProgressLimit: a message kept in progress that long is given up on, and signalled no more",
    withRuntime(async ({ clock }) => {
      const server = new FakeJetStream();
      server.publish({ n: 1 });
      const producer = make(server, { inProgressEvery: 100, inProgressLimit: 1000 });
      const pipeline = await Pipeline.start({
        producer: { module: producer },
        shutdownTimeout: 1000,
        processors: { default: {} },
        handleMessage: async (_p, message) => {
          await new Promise(() => {});
          return message;
        },
      });
      await until(clock, () => producer.stats().delivered === 1);
      await clock.advance(2000);
      const signals = server.deliveries[0]?.signals ?? [];
      assert.ok(signals.length >= 8 && signals.length <= 10, `${signals.length} signals`);
      assert.equal(producer.stats().released, 1);
      await clock.advance(1000);
      assert.equal(server.deliveries[0]?.signals.length, signals.length, "signalled no more");
      await stopMoving(clock, pipeline);
    }),
  );

  test(
    "the connection drops and comes back: published, and pulling resumes",
    withRuntime(async ({ clock, crashes }) =>
      watchConnections(async (events) => {
        const server = new FakeJetStream();
        fill(server, 10);
        const producer = make(server);
        const pipeline = await Pipeline.start({
          producer: { module: producer },
          processors: { default: { maxDemand: 4 } },
          handleMessage: (_p, message) => message,
        });
        await until(clock, () => server.acked.length === 10);
        server.drop();
        fill(server, 10);
        await clock.advance(500);
        assert.equal(server.acked.length, 10, "nothing comes while the connection is down");
        server.restore();
        await until(clock, () => server.acked.length === 20);
        await pipeline.stop();
        assert.deepEqual(
          events.map((e) => [e.connector, e.state, e.address]),
          [
            ["nats", "down", "nats://127.0.0.1:4222"],
            ["nats", "up", "nats://127.0.0.1:4222"],
          ],
        );
        const stats = producer.stats();
        assert.deepEqual([stats.drops, stats.reconnections, stats.lost], [1, 1, 0]);
        assert.deepEqual(crashes, []);
      }),
    ),
  );

  test(
    "failing pulls are retried with backoff; too many in a row end the stage",
    withRuntime(async ({ clock, crashes }) => {
      const server = new FakeJetStream();
      fill(server, 5);
      server.failPulls = { error: new Error("503 no responders"), times: 3 };
      const producer = make(server, { connect: { backoff: { min: 10, max: 100 } } });
      const pipeline = await Pipeline.start({
        producer: { module: producer },
        processors: { default: {} },
        handleMessage: (_p, message) => message,
      });
      await until(clock, () => server.acked.length === 5);
      assert.equal(producer.stats().pullFailures, 3);
      assert.equal(crashes.length, 0);
      server.failPulls = { error: new Error("consumer deleted"), times: MAX_PULL_FAILURES };
      fill(server, 1);
      await until(clock, () => server.acked.length === 6);
      server.expirePulls();
      await until(clock, () => crashes.length > 0, 2000);
      const reason = crashes[0]?.error;
      assert.ok(reason instanceof JetStreamPullError);
      assert.equal(reason.attempts, MAX_PULL_FAILURES);
      assert.match(reason.message, /10 pull requests on ORDERS\/billing failed in a row/);
      // The supervisor restarts the stage, which connects again and takes the message.
      fill(server, 1);
      await until(clock, () => server.acked.length === 7, 2000);
      await pipeline.stop();
    }),
  );

  test(
    "draining: what was emitted is acked, what arrives later goes back to the server",
    withRuntime(async ({ clock, crashes }) => {
      const server = new FakeJetStream();
      fill(server, 3);
      const slow = gate();
      const producer = make(server);
      const pipeline = await Pipeline.start({
        producer: { module: producer },
        processors: { default: { concurrency: 1, maxDemand: 10 } },
        handleMessage: async (_p, message) => {
          await slow.promise;
          return message;
        },
      });
      await until(clock, () => producer.stats().delivered === 3);
      assert.equal(server.openPulls, 1, "a pull waits for the rest of the demand");
      const stopping = pipeline.stop();
      await clock.advance(10);
      fill(server, 2); // too late: taken by the open pull, but not emitted
      await until(clock, () => producer.stats().delivered === 5);
      slow.open();
      await until(clock, () => server.acked.length === 3);
      await stopping;
      assert.deepEqual(server.acked, [1, 2, 3]);
      assert.equal(server.openPulls, 0);
      assert.equal(server.queue.length, 2, "the late ones were given back");
      assert.equal(producer.stats().returned, 2);
      assert.deepEqual(
        server.deliveries.slice(3).map((d) => d.settled),
        ["nak", "nak"],
        "held while draining, given back once, at the end",
      );
      assert.equal(server.unacked.size, 0);
      assert.equal(server.closes, 1);
      assert.deepEqual(crashes, []);
    }),
  );

  test(
    "the connection closes for good: the stage exits; acks that cannot be sent are counted",
    withRuntime(async ({ clock, crashes }) => {
      const server = new FakeJetStream();
      fill(server, 2);
      const slow = gate();
      const producer = make(server);
      const pipeline = await Pipeline.start({
        producer: { module: producer },
        processors: { default: {} },
        handleMessage: async (_p, message) => {
          await slow.promise;
          return message;
        },
      });
      await until(clock, () => producer.stats().delivered === 2);
      server.closeForGood(new Error("maximum reconnect attempts"));
      await until(clock, () => crashes.length > 0);
      const reason = crashes[0]?.error;
      assert.ok(reason instanceof NatsConnectionClosedError);
      assert.match(reason.message, /connection to nats:\/\/127.0.0.1:4222 closed: Error: maximum/);
      slow.open();
      await clock.advance(100);
      assert.equal(producer.stats().lost, 0, "its processors went down with it");
      await pipeline.stop().catch(() => {});
    }),
  );

  test(
    "acks after the connection closed are counted as lost, not thrown",
    withRuntime(async ({ clock }) => {
      const server = new FakeJetStream();
      fill(server, 2);
      const producer = make(server);
      const held: Message[] = [];
      const pipeline = await Pipeline.start({
        producer: { module: producer },
        processors: { default: {} },
        batchers: { default: { batchSize: 10, batchTimeout: 1000 } },
        handleMessage: (_p, message) => message,
        handleBatch: (_b, messages) => {
          held.push(...messages);
          return messages;
        },
      });
      await until(clock, () => producer.stats().delivered === 2);
      // Closed under the pipeline without telling it (as the client would before its event).
      server.closed = true;
      await until(clock, () => held.length === 2);
      await clock.advance(10);
      assert.equal(producer.stats().lost, 2);
      await pipeline.stop();
    }),
  );

  test(
    "two producer stages share one connection, closed after the last one stops",
    withRuntime(async ({ clock, crashes }) => {
      const server = new FakeJetStream();
      const ids = fill(server, 40);
      const producer = make(server);
      const pipeline = await Pipeline.start({
        producer: { module: producer, concurrency: 2 },
        processors: { default: { concurrency: 2, maxDemand: 5 } },
        handleMessage: (_p, message) => message,
      });
      await until(clock, () => server.acked.length === 40);
      await pipeline.stop();
      assert.deepEqual(sorted(server.acked), ids);
      assert.equal(server.connects, 1);
      assert.equal(server.closes, 1);
      assert.deepEqual(crashes, []);
    }),
  );

  test(
    "a start that cannot connect fails Pipeline.start; the next start connects again",
    withRuntime(async ({ clock }) => {
      const server = new FakeJetStream();
      const refused = new BrokerConnectError(
        "nats",
        "nats://127.0.0.1:4222",
        3,
        new Error("ECONNREFUSED"),
      );
      server.refuse = { error: refused, times: 1 };
      const producer = make(server);
      const definition = {
        producer: { module: producer },
        processors: { default: {} },
        handleMessage: (_p: string, message: Message) => message,
      };
      await assert.rejects(Pipeline.start(definition), (error: unknown) => {
        assert.ok(isBeamishError(error, "ERR_BROKER_CONNECT") || error === refused);
        return true;
      });
      server.publish({ n: 1 });
      const pipeline = await Pipeline.start(definition);
      await until(clock, () => server.acked.length === 1);
      await pipeline.stop();
      assert.equal(server.connects, 2);
    }),
  );
});
