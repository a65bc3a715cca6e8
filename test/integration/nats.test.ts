/**
 * The NATS JetStream producer against the real server on 127.0.0.1:4222 (`.ci/run` starts it
 * with JetStream): unique ids through processors and a batcher under random failures, the
 * connection dropped mid-stream by a proxy (the shared server is never restarted), two
 * instances in two processes with one SIGKILLed, a graceful stop mid-stream, in-progress
 * signals against a short ack_wait, bad addresses and credentials (a private server with a
 * password, started and stopped here), malformed payloads, a missing stream, and binding to an
 * existing consumer. Every stream has a random name and is deleted in `after`.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import diagnostics from "node:diagnostics_channel";
import { createServer } from "node:net";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import {
  AckPolicy,
  type ConsumerInfo,
  type JetStreamClient,
  type JetStreamManager,
  jetstream,
  jetstreamManager,
} from "@nats-io/jetstream";
import { connect, type NatsConnection, nanos } from "@nats-io/transport-node";
import { isBeamishError } from "beamish";
import { type NatsMetadata, natsProducer } from "beamish/connectors/nats";
import { type ConnectionEvent, type Message, Pipeline, pipelineChannels } from "beamish/pipeline";
import { withRuntime } from "beamish/testing";
import { Ledger, startRandomlyFailing, until } from "./helpers.js";
import { startProxy } from "./proxy.js";

const PORT = 4222;
const root = join(import.meta.dirname, "..", "..");

let nc: NatsConnection;
let js: JetStreamClient;
let jsm: JetStreamManager;
const streams: string[] = [];

before(async () => {
  nc = await connect({ servers: `127.0.0.1:${PORT}` });
  js = jetstream(nc);
  jsm = await jetstreamManager(nc);
});

after(async () => {
  for (const stream of streams) await jsm.streams.delete(stream).catch(() => {});
  await nc.close();
});

/** A fresh stream name (its subjects are `<name>.>`), deleted after the tests. */
function streamName(label: string): string {
  const name = `beamish_test_${label}_${randomUUID().slice(0, 8)}`;
  streams.push(name);
  return name;
}

/** Creates `stream` in memory and publishes ids 0..n-1, each acknowledged by the server. */
async function publishIds(stream: string, n: number, create = true): Promise<number[]> {
  if (create) await jsm.streams.add({ name: stream, subjects: [`${stream}.>`], storage: "memory" });
  const ids = Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < n; i += 500) {
    const chunk = ids.slice(i, i + 500);
    await Promise.all(chunk.map((id) => js.publish(`${stream}.ids`, JSON.stringify({ id }))));
  }
  return ids;
}

/** The consumer as the server sees it. */
const consumerInfo = (stream: string, consumer: string): Promise<ConsumerInfo> =>
  jsm.consumers.info(stream, consumer);

/** Nothing left for the consumer: nothing undelivered, nothing delivered and unacked. */
async function settled(stream: string, consumer: string): Promise<boolean> {
  const info = await consumerInfo(stream, consumer);
  return info.num_pending === 0 && info.num_ack_pending === 0;
}

/** A pipeline over `stream` whose handlers fail at random (`failure` of messages, each time). */
function randomlyFailing(
  stream: string,
  ledger: Ledger,
  options: { port?: number; failure?: number; maxAckPending?: number; ackWait?: number } = {},
) {
  const failure = options.failure ?? 0.1;
  const producer = natsProducer<{ id: number }>({
    servers: `127.0.0.1:${options.port ?? PORT}`,
    stream,
    consumer: "worker",
    consumerConfig: { ack_wait: nanos(options.ackWait ?? 30_000) },
    maxAckPending: options.maxAckPending ?? 200,
    maxBatch: 50,
    connect: { backoff: { min: 20, max: 200 } },
  });
  const start = () => startRandomlyFailing(producer, ledger, failure);
  return { producer, start };
}

interface Worker {
  readonly process: ChildProcess;
  readonly ids: number[];
  readonly ready: Promise<void>;
  readonly exited: Promise<number | null>;
}

/** An instance of the pipeline in a Node process of its own (fixtures/nats-worker.ts). */
function startWorker(stream: string, consumer: string): Worker {
  const child = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      "--conditions=beamish-source",
      join(root, "test", "integration", "fixtures", "nats-worker.ts"),
      String(PORT),
      stream,
      consumer,
    ],
    { cwd: root, stdio: ["ignore", "pipe", "inherit"] },
  );
  const ids: number[] = [];
  let signalReady!: () => void;
  const ready = new Promise<void>((resolve) => {
    signalReady = resolve;
  });
  let rest = "";
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
    const lines = (rest + chunk).split("\n");
    rest = lines.pop() ?? "";
    for (const line of lines) {
      if (line === "ready") signalReady();
      else if (line.startsWith("ok ")) ids.push(...line.slice(3).split(",").map(Number));
    }
  });
  const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
  return { process: child, ids, ready, exited };
}

/** `Pipeline.start`'s rejection for a producer with `options`. */
async function startFails(options: Parameters<typeof natsProducer>[0]): Promise<unknown> {
  try {
    const pipeline = await Pipeline.start({
      producer: { module: natsProducer(options) },
      processors: { default: {} },
      handleMessage: (_processor, message) => message,
    });
    await pipeline.stop();
  } catch (error) {
    return error;
  }
  assert.fail("the start did not fail");
}

/** A free port on 127.0.0.1. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

describe("natsProducer against NATS JetStream", () => {
  test(
    "N unique ids, random failures: every id reaches handleBatch, nothing pending, no duplicates",
    withRuntime(
      async ({ crashes }) => {
        const stream = streamName("ids");
        const ids = await publishIds(stream, 2000);
        const ledger = new Ledger();
        const { producer, start } = randomlyFailing(stream, ledger);
        const pipeline = await start();
        await until(() => ledger.unique === ids.length, 20_000, "every id handled");
        await pipeline.stop();
        assert.ok(await settled(stream, "worker"), "nothing pending");
        assert.equal(ledger.duplicates, 0, "no fault, no duplicate");
        const stats = producer.stats();
        assert.equal(stats.acked, ids.length);
        assert.ok(stats.naked > 0, "failures were nak'ed and retried");
        assert.equal(stats.delivered, stats.acked + stats.naked);
        assert.deepEqual([stats.lost, stats.unsettled], [0, 0]);
        assert.deepEqual(crashes, []);
      },
      { clock: "real" },
    ),
  );

  test(
    "the connection dropped three times mid-stream: reconnects, nothing lost, duplicates within what was in flight",
    withRuntime(
      async ({ crashes }) => {
        const proxy = await startProxy(PORT);
        const events: ConnectionEvent[] = [];
        const listener = (event: unknown) => events.push(event as ConnectionEvent);
        diagnostics.subscribe(pipelineChannels.connection, listener);
        try {
          const stream = streamName("drops");
          const ids = await publishIds(stream, 2000);
          const ledger = new Ledger();
          const maxAckPending = 100;
          const { producer, start } = randomlyFailing(stream, ledger, {
            port: proxy.port,
            failure: 0.05,
            maxAckPending,
            // What was on its way to a dropped connection comes again once this runs out.
            ackWait: 1000,
          });
          const pipeline = await start();
          for (const at of [300, 800, 1300]) {
            await until(() => ledger.unique >= at, 20_000, `${at} handled`);
            proxy.cut();
          }
          await until(() => ledger.unique === ids.length, 25_000, "every id handled");
          // An ack lost in a cut connection: the server delivers that message again.
          await until(() => settled(stream, "worker"), 10_000, "nothing pending");
          await pipeline.stop();
          assert.ok(await settled(stream, "worker"));
          const stats = producer.stats();
          assert.equal(stats.drops, 3);
          assert.equal(stats.reconnections, 3);
          // An id handled twice was in flight at a drop: at most max_ack_pending per drop.
          assert.ok(ledger.duplicates <= 3 * maxAckPending, `${ledger.duplicates} duplicates`);
          assert.equal(events.filter((e) => e.state === "down").length, 3);
          assert.equal(events.filter((e) => e.state === "up").length, 4, "the start and 3 returns");
          assert.deepEqual(crashes, []);
        } finally {
          diagnostics.unsubscribe(pipelineChannels.connection, listener);
          await proxy.close();
        }
      },
      { clock: "real" },
    ),
  );

  test("two instances in two processes share the consumer; one SIGKILLed, the other finishes, nothing lost", async () => {
    const stream = streamName("two_processes");
    const ids = await publishIds(stream, 1500);
    // Created here with a short ack_wait, so that the killed instance's messages come back soon.
    const maxAckPending = 60;
    await jsm.consumers.add(stream, {
      durable_name: "shared",
      ack_policy: AckPolicy.Explicit,
      ack_wait: nanos(1000),
      max_ack_pending: maxAckPending,
    });
    const a = startWorker(stream, "shared");
    const b = startWorker(stream, "shared");
    try {
      await Promise.all([a.ready, b.ready]);
      await until(() => a.ids.length >= 100 && b.ids.length >= 100, 20_000, "both at work");
      a.process.kill("SIGKILL");
      await a.exited;
      const seen = () => new Set([...a.ids, ...b.ids]).size;
      await until(() => seen() === ids.length, 30_000, "every id handled");
      b.process.kill("SIGTERM");
      assert.equal(await b.exited, 0);
      await until(() => settled(stream, "shared"), 5000, "nothing pending");
      const counts = new Map<number, number>();
      for (const id of [...a.ids, ...b.ids]) counts.set(id, (counts.get(id) ?? 0) + 1);
      const duplicates = [...counts.values()].reduce((sum, n) => sum + n - 1, 0);
      // Only what the killed instance handled and had not acked comes again.
      assert.ok(duplicates <= maxAckPending, `${duplicates} duplicates`);
      assert.ok(b.ids.length > 100, "the survivor took over");
    } finally {
      a.process.kill("SIGKILL");
      b.process.kill("SIGKILL");
    }
  });

  test(
    "a graceful stop mid-stream acks what finished and leaves the rest for redelivery",
    withRuntime(
      async ({ crashes }) => {
        const stream = streamName("graceful");
        const ids = await publishIds(stream, 600);
        const first = new Ledger();
        const slow = (ledger: Ledger) => {
          const producer = natsProducer<{ id: number }>({
            stream,
            consumer: "worker",
            consumerConfig: { ack_wait: nanos(2000) },
          });
          const started = Pipeline.start({
            producer: { module: producer },
            processors: { default: { concurrency: 2, maxDemand: 4 } },
            batchers: { default: { batchSize: 10, batchTimeout: 10 } },
            handleMessage: async (_processor, message) => {
              await new Promise((resolve) => setTimeout(resolve, 1));
              return message;
            },
            handleBatch: (_batcher, messages) => {
              for (const m of messages) ledger.add(m.data.id);
              return messages;
            },
          });
          return { producer, started };
        };
        const one = slow(first);
        const pipeline = await one.started;
        await until(() => first.unique >= 150, 20_000, "150 handled");
        await pipeline.stop();
        const info = await consumerInfo(stream, "worker");
        const stats = one.producer.stats();
        // Prefetched messages were given back (nak'ed: they count as pending until delivered
        // again). What the server sent for a pull that the stop closed, if any, is held until
        // ack_wait: at most the pipeline's demand (2 processors x 4).
        const held = info.num_ack_pending - stats.returned;
        assert.ok(held <= 8, `${held} held by the server, ${stats.returned} given back`);
        assert.equal(stats.acked, first.unique, "every finished message acked");
        assert.deepEqual([stats.unsettled, stats.lost], [0, 0]);
        const second = new Ledger();
        const two = slow(second);
        const again = await two.started;
        await until(() => first.unique + second.unique === ids.length, 20_000, "the rest handled");
        await again.stop();
        for (const id of second.counts.keys()) assert.ok(!first.counts.has(id), `${id} twice`);
        assert.ok(await settled(stream, "worker"));
        assert.deepEqual(crashes, []);
      },
      { clock: "real" },
    ),
  );

  test(
    "inProgressEvery keeps a slow message from being delivered again when ack_wait runs out",
    withRuntime(
      async ({ crashes }) => {
        const stream = streamName("in_progress");
        await publishIds(stream, 3);
        const deliveries: NatsMetadata[] = [];
        const producer = natsProducer<{ id: number }>({
          stream,
          consumer: "worker",
          consumerConfig: { ack_wait: nanos(1000) },
          inProgressEvery: 300,
        });
        const pipeline = await Pipeline.start({
          producer: { module: producer },
          processors: { default: { concurrency: 3, maxDemand: 1 } },
          handleMessage: async (_processor, message) => {
            deliveries.push(message.metadata as NatsMetadata);
            if (message.data.id === 0) await new Promise((resolve) => setTimeout(resolve, 2500));
            return message;
          },
        });
        await until(() => producer.stats().acked === 3, 10_000, "all acked");
        await pipeline.stop();
        assert.deepEqual(
          deliveries.map((m) => m.deliveryCount),
          [1, 1, 1],
          "delivered once each, the slow one too",
        );
        assert.ok(producer.stats().inProgress >= 5, `${producer.stats().inProgress} signals`);
        assert.ok(await settled(stream, "worker"));
        assert.deepEqual(crashes, []);
      },
      { clock: "real" },
    ),
  );

  test(
    "an unreachable server and wrong credentials fail the start clearly, without the password",
    withRuntime(
      async () => {
        const proxy = await startProxy(PORT);
        proxy.refuse(true);
        try {
          const down = await startFails({
            servers: `nats://billing:hunter2@127.0.0.1:${proxy.port}`,
            stream: "any",
            consumer: "any",
            connect: { attempts: 2, backoff: { min: 10, max: 20 } },
          });
          assert.ok(isBeamishError(down, "ERR_BROKER_CONNECT"), String(down));
          assert.equal(down.attempts, 2);
          assert.equal(down.address, `nats://127.0.0.1:${proxy.port}`);
          assert.match(
            down.message,
            new RegExp(`could not connect to nats at nats://127\\.0\\.0\\.1:${proxy.port} after 2`),
          );
          assert.doesNotMatch(down.message, /hunter2/);
        } finally {
          await proxy.close();
        }
        // A private server with a password, on a port of its own: the shared one has none.
        const port = await freePort();
        const server = spawn(
          "nats-server",
          ["-a", "127.0.0.1", "-p", String(port), "--user", "billing", "--pass", "right"],
          { stdio: "ignore" },
        );
        try {
          await until(async () => {
            const c = await connect({ port, user: "billing", pass: "right" }).catch(() => null);
            await c?.close();
            return c !== null;
          }, 10_000);
          const refused = await startFails({
            servers: `127.0.0.1:${port}`,
            connectionOptions: { user: "billing", pass: "not-the-password" },
            stream: "any",
            consumer: "any",
            connect: { attempts: 5 },
          });
          assert.ok(isBeamishError(refused, "ERR_BROKER_CONNECT"), String(refused));
          assert.equal(refused.attempts, 1, "credentials are not retried");
          assert.match(refused.message, /Authorization Violation/);
          assert.doesNotMatch(refused.message, /not-the-password/);
        } finally {
          server.kill("SIGTERM");
        }
      },
      { clock: "real" },
    ),
  );

  test(
    "a malformed payload fails its message (terminated), not the pipeline",
    withRuntime(
      async ({ crashes }) => {
        const stream = streamName("malformed");
        await publishIds(stream, 2);
        await js.publish(`${stream}.ids`, "{not json");
        const failed: Message[] = [];
        const producer = natsProducer({ stream, consumer: "worker" });
        const pipeline = await Pipeline.start({
          producer: { module: producer },
          processors: { default: {} },
          handleMessage: (_processor, message) => message,
          handleFailed: (messages) => {
            failed.push(...messages);
            return messages;
          },
        });
        await until(() => producer.stats().acked + producer.stats().terminated === 3);
        await pipeline.stop();
        assert.equal(failed.length, 1);
        const status = failed[0]?.status;
        assert.ok(status?.kind === "failed");
        assert.ok(isBeamishError(status.reason, "ERR_MALFORMED_NATS_MESSAGE"));
        assert.equal(status.reason.streamSequence, 3);
        assert.ok(await settled(stream, "worker"), "terminated: not delivered again");
        assert.deepEqual(crashes, []);
      },
      { clock: "real" },
    ),
  );

  test(
    "a connection of the user's: used by two producer stages, left open at the end",
    withRuntime(
      async ({ crashes }) => {
        const stream = streamName("own_connection");
        const ids = await publishIds(stream, 300);
        const own = await connect({ servers: `127.0.0.1:${PORT}`, name: "mine" });
        try {
          const ledger = new Ledger();
          const producer = natsProducer<{ id: number }>({
            connection: own,
            stream,
            consumer: "worker",
          });
          const pipeline = await Pipeline.start({
            producer: { module: producer, concurrency: 2 },
            processors: { default: { concurrency: 2 } },
            handleMessage: (_processor, message) => {
              ledger.add(message.data.id);
              return message;
            },
          });
          await until(() => ledger.unique === ids.length, 10_000, "every id handled");
          await pipeline.stop();
          assert.equal(own.isClosed(), false, "the producer never closes the user's connection");
          assert.ok(await settled(stream, "worker"));
          assert.equal(ledger.duplicates, 0);
          assert.equal(producer.stats().acked, ids.length);
          assert.deepEqual(crashes, []);
        } finally {
          await own.close();
        }
      },
      { clock: "real" },
    ),
  );

  test(
    "a missing stream fails the start; an existing consumer is bound as it is",
    withRuntime(
      async ({ crashes }) => {
        const missing = await startFails({
          stream: `nope_${randomUUID().slice(0, 8)}`,
          consumer: "c",
        });
        assert.ok(isBeamishError(missing, "ERR_JETSTREAM_SETUP"), String(missing));
        assert.match(missing.message, /does not exist \(give `streamConfig`/);

        const stream = streamName("bind");
        await publishIds(stream, 20);
        await jsm.consumers.add(stream, {
          durable_name: "existing",
          ack_policy: AckPolicy.Explicit,
          filter_subject: `${stream}.ids`,
          max_ack_pending: 7,
        });
        const producer = natsProducer<{ id: number }>({ stream, consumer: "existing" });
        let peak = 0;
        const pipeline = await Pipeline.start({
          producer: { module: producer },
          processors: { default: { concurrency: 2, maxDemand: 10 } },
          handleMessage: (_processor, message) => {
            peak = Math.max(peak, producer.stats().unsettled);
            return message;
          },
        });
        await until(() => producer.stats().acked === 20);
        await pipeline.stop();
        assert.ok(peak <= 7, `at most the consumer's max_ack_pending held, saw ${peak}`);
        assert.equal((await consumerInfo(stream, "existing")).config.max_ack_pending, 7);

        await jsm.consumers.add(stream, {
          durable_name: "push",
          ack_policy: AckPolicy.Explicit,
          deliver_subject: "somewhere",
        });
        const push = await startFails({ stream, consumer: "push" });
        assert.ok(isBeamishError(push, "ERR_JETSTREAM_SETUP"), String(push));
        assert.match(push.message, /push consumer/);
        assert.deepEqual(crashes, []);
      },
      { clock: "real" },
    ),
  );
});
