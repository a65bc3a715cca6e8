/**
 * The RabbitMQ producer against the real broker on 127.0.0.1:5672 (guest/guest; `.ci/run`
 * starts it): unique ids through processors and a batcher under random failures, connections
 * dropped mid-stream (by a proxy, and by the broker itself), two instances in two processes
 * with one SIGKILLed, a graceful stop mid-stream, bad addresses and credentials, malformed
 * bodies, a deleted queue, quorum queue delivery counts and dead-lettering. Every queue has a
 * random name and is deleted in `after`.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import diagnostics from "node:diagnostics_channel";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import amqp, { type ChannelModel, type ConfirmChannel } from "amqplib";
import { isBeamishError } from "beamish";
import { type RabbitmqMetadata, rabbitmqProducer } from "beamish/connectors/rabbitmq";
import { type ConnectionEvent, type Message, Pipeline, pipelineChannels } from "beamish/pipeline";
import { withRuntime } from "beamish/testing";
import { Ledger, startRandomlyFailing, until } from "./helpers.js";
import { startProxy } from "./proxy.js";

const URL = "amqp://guest:guest@127.0.0.1:5672";
const root = join(import.meta.dirname, "..", "..");

let admin: ChannelModel;
let channel: ConfirmChannel;
const queues: string[] = [];

before(async () => {
  admin = await amqp.connect(URL);
  admin.on("error", () => {});
  channel = await admin.createConfirmChannel();
  channel.on("error", () => {});
});

after(async () => {
  const cleanup = await admin.createChannel();
  for (const queue of queues) await cleanup.deleteQueue(queue).catch(() => {});
  await admin.close();
});

/** A fresh queue name, deleted after the tests. */
function queueName(label: string): string {
  const name = `beamish-test-${label}-${randomUUID().slice(0, 8)}`;
  queues.push(name);
  return name;
}

/** Declares `queue` (if options are given) and publishes ids 0..n-1, confirmed by the broker. */
async function publishIds(
  queue: string,
  n: number,
  declare: amqp.Options.AssertQueue | false = {},
): Promise<number[]> {
  if (declare !== false) await channel.assertQueue(queue, declare);
  const ids = Array.from({ length: n }, (_, i) => i);
  for (const id of ids) channel.sendToQueue(queue, Buffer.from(JSON.stringify({ id })));
  await channel.waitForConfirms();
  return ids;
}

/** Ready messages in `queue` (unacked ones count once their channel is closed). */
async function ready(queue: string): Promise<number> {
  return (await channel.checkQueue(queue)).messageCount;
}

/** A pipeline over `queue` whose handlers fail at random (`failure` of messages, each time). */
function randomlyFailing(
  queue: string,
  ledger: Ledger,
  options: { url?: string; failure?: number; prefetch?: number } = {},
) {
  const failure = options.failure ?? 0.1;
  const producer = rabbitmqProducer<{ id: number }>({
    url: options.url ?? URL,
    queue,
    ...(options.prefetch === undefined ? {} : { prefetch: options.prefetch }),
    connect: { backoff: { min: 20, max: 200 } },
  });
  const start = () => startRandomlyFailing(producer, ledger, failure);
  return { producer, start };
}

describe("rabbitmqProducer against RabbitMQ", () => {
  test(
    "N unique ids, random failures: every id reaches handleBatch, nothing left in the queue, no duplicates",
    withRuntime(
      async ({ crashes }) => {
        const queue = queueName("ids");
        const ids = await publishIds(queue, 3000);
        const ledger = new Ledger();
        const { producer, start } = randomlyFailing(queue, ledger);
        const pipeline = await start();
        await until(() => ledger.unique === ids.length, 20_000, "every id handled");
        await pipeline.stop();
        assert.equal(await ready(queue), 0, "nothing pending");
        assert.equal(ledger.duplicates, 0, "no fault, no duplicate");
        const stats = producer.stats();
        assert.equal(stats.acked, ids.length);
        assert.ok(stats.requeued > 0, "failures were requeued and retried");
        assert.equal(stats.delivered, stats.acked + stats.requeued);
        assert.equal(stats.lost, 0);
        assert.deepEqual(crashes, []);
      },
      { clock: "real" },
    ),
  );

  test(
    "the connection dropped three times mid-stream: reconnects, nothing lost, duplicates within what was in flight",
    withRuntime(
      async ({ crashes }) => {
        const proxy = await startProxy(5672);
        try {
          const queue = queueName("drops");
          const ids = await publishIds(queue, 3000);
          const ledger = new Ledger();
          const prefetch = 100;
          const { producer, start } = randomlyFailing(queue, ledger, {
            url: `amqp://guest:guest@127.0.0.1:${proxy.port}`,
            failure: 0.05,
            prefetch,
          });
          const events: ConnectionEvent[] = [];
          const listener = (event: unknown) => events.push(event as ConnectionEvent);
          diagnostics.subscribe(pipelineChannels.connection, listener);
          const pipeline = await start();
          for (const at of [500, 1200, 2000]) {
            await until(() => ledger.unique >= at, 20_000, `${at} handled`);
            proxy.cut();
          }
          await until(() => ledger.unique === ids.length, 20_000, "every id handled");
          await pipeline.stop();
          diagnostics.unsubscribe(pipelineChannels.connection, listener);
          assert.equal(await ready(queue), 0, "nothing pending");
          const stats = producer.stats();
          assert.equal(stats.drops, 3);
          assert.equal(stats.reconnections, 3);
          // A delivery handled twice was in flight at a drop: at most a prefetch per drop.
          assert.ok(ledger.duplicates <= 3 * prefetch, `${ledger.duplicates} duplicates`);
          assert.equal(events.filter((e) => e.state === "down").length, 3);
          assert.equal(events.filter((e) => e.state === "up").length, 4);
          assert.ok(events.every((e) => !String(e.address).includes("guest")));
          assert.deepEqual(crashes, []);
        } finally {
          await proxy.close();
        }
      },
      { clock: "real" },
    ),
  );

  test(
    "the broker closes the connection (rabbitmqctl close_connection): the producer reconnects",
    { skip: !hasRabbitmqctl() && "rabbitmqctl is not available" },
    withRuntime(
      async ({ crashes }) => {
        const queue = queueName("server-close");
        const ids = await publishIds(queue, 2000);
        const ledger = new Ledger();
        const { producer, start } = randomlyFailing(queue, ledger, { failure: 0 });
        const pipeline = await start();
        await until(() => ledger.unique >= 300, 20_000, "300 handled");
        const ours = connectionPids(`beamish ${pipeline.name} producer 0`);
        assert.equal(ours.length, 1, "the producer's connection, by its name");
        rabbitmqctl("close_connection", ours[0] as string, "beamish test: closed by the broker");
        await until(() => ledger.unique === ids.length, 20_000, "every id handled");
        await pipeline.stop();
        assert.equal(await ready(queue), 0);
        assert.equal(producer.stats().reconnections, 1);
        assert.deepEqual(crashes, []);
      },
      { clock: "real" },
    ),
  );

  test("two instances in two processes share the queue; one SIGKILLed, the other finishes, nothing lost", async () => {
    const queue = queueName("two-processes");
    const ids = await publishIds(queue, 3000);
    const prefetch = 50;
    const a = startWorker(queue, prefetch);
    const b = startWorker(queue, prefetch);
    try {
      await Promise.all([a.ready, b.ready]);
      await until(() => a.ids.length >= 200 && b.ids.length >= 200, 20_000, "both at work");
      a.process.kill("SIGKILL");
      await a.exited;
      const seen = () => new Set([...a.ids, ...b.ids]).size;
      await until(() => seen() === ids.length, 30_000, "every id handled");
      b.process.kill("SIGTERM");
      assert.equal(await b.exited, 0);
      assert.equal(await ready(queue), 0, "nothing pending");
      const counts = new Map<number, number>();
      for (const id of [...a.ids, ...b.ids]) counts.set(id, (counts.get(id) ?? 0) + 1);
      const duplicates = [...counts.values()].reduce((sum, n) => sum + n - 1, 0);
      // Only what the killed instance handled and had not acked comes again: within its prefetch.
      assert.ok(duplicates <= prefetch, `${duplicates} duplicates`);
      assert.ok(b.ids.length > 200, "the survivor took over");
    } finally {
      a.process.kill("SIGKILL");
      b.process.kill("SIGKILL");
    }
  });

  test(
    "a graceful stop mid-stream acks what finished and leaves the rest for redelivery",
    withRuntime(
      async ({ crashes }) => {
        const queue = queueName("graceful");
        const ids = await publishIds(queue, 1000);
        const first = new Ledger();
        const slow = (ledger: Ledger) =>
          Pipeline.start({
            producer: {
              module: rabbitmqProducer<{ id: number }>({ url: URL, queue, prefetch: 40 }),
            },
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
        const pipeline = await slow(first);
        await until(() => first.unique >= 200, 20_000, "200 handled");
        await pipeline.stop();
        assert.equal(await ready(queue), ids.length - first.unique, "exactly the rest remains");
        const second = new Ledger();
        const again = await slow(second);
        await until(() => first.unique + second.unique === ids.length, 20_000, "the rest handled");
        await again.stop();
        for (const id of second.counts.keys()) assert.ok(!first.counts.has(id), `${id} twice`);
        assert.equal(await ready(queue), 0);
        assert.deepEqual(crashes, []);
      },
      { clock: "real" },
    ),
  );

  test(
    "an unreachable broker and wrong credentials fail the start clearly, without the password",
    withRuntime(
      async () => {
        const proxy = await startProxy(5672);
        proxy.refuse(true);
        try {
          const unreachable = `amqp://guest:hunter2@127.0.0.1:${proxy.port}`;
          const down = await startFails({
            url: unreachable,
            queue: "any",
            connect: { attempts: 2, backoff: { min: 10, max: 20 } },
          });
          assert.ok(isBeamishError(down, "ERR_BROKER_CONNECT"), String(down));
          assert.equal(down.attempts, 2);
          assert.equal(down.address, `amqp://127.0.0.1:${proxy.port}`);
          assert.match(
            down.message,
            new RegExp(
              `could not connect to rabbitmq at amqp://127\\.0\\.0\\.1:${proxy.port} after 2 attempts`,
            ),
          );
          assert.doesNotMatch(down.message, /hunter2/);
        } finally {
          await proxy.close();
        }
        const refused = await startFails({
          url: "amqp://guest:not-the-password@127.0.0.1:5672",
          queue: "any",
          connect: { attempts: 5 },
        });
        assert.ok(isBeamishError(refused, "ERR_BROKER_CONNECT"), String(refused));
        assert.equal(refused.attempts, 1, "credentials are not retried");
        assert.match(refused.message, /ACCESS.REFUSED/);
        assert.doesNotMatch(refused.message, /not-the-password/);
      },
      { clock: "real" },
    ),
  );

  test(
    "a malformed body fails its message (rejected), not the pipeline",
    withRuntime(
      async ({ crashes }) => {
        const queue = queueName("malformed");
        await channel.assertQueue(queue);
        channel.sendToQueue(queue, Buffer.from("{not json"));
        channel.sendToQueue(queue, Buffer.from('{"id":1}'));
        await channel.waitForConfirms();
        const failed: Message[] = [];
        const handled: unknown[] = [];
        const pipeline = await Pipeline.start({
          producer: { module: rabbitmqProducer({ url: URL, queue }) },
          processors: { default: { concurrency: 1 } },
          handleMessage: (_processor, message) => {
            handled.push(message.data);
            return message;
          },
          handleFailed: (messages) => {
            failed.push(...messages);
            return messages;
          },
        });
        await until(() => handled.length === 1 && failed.length === 1);
        await pipeline.stop();
        assert.deepEqual(handled, [{ id: 1 }]);
        const status = failed[0]?.status;
        assert.ok(
          status?.kind === "failed" && isBeamishError(status.reason, "ERR_MALFORMED_MESSAGE"),
        );
        assert.equal(await ready(queue), 0, "rejected, not requeued");
        assert.deepEqual(crashes, []);
      },
      { clock: "real" },
    ),
  );

  test(
    "the queue is deleted while consuming: reported, declared again and consumed",
    withRuntime(
      async ({ crashes }) => {
        const queue = queueName("deleted");
        await publishIds(queue, 10);
        const events: ConnectionEvent[] = [];
        const listener = (event: unknown) => events.push(event as ConnectionEvent);
        diagnostics.subscribe(pipelineChannels.connection, listener);
        const handled: number[] = [];
        const producer = rabbitmqProducer<{ id: number }>({
          url: URL,
          queue,
          declare: true,
          connect: { backoff: { min: 20, max: 50 } },
        });
        const pipeline = await Pipeline.start({
          producer: { module: producer },
          processors: { default: { concurrency: 1 } },
          handleMessage: (_processor, message) => {
            handled.push(message.data.id);
            return message;
          },
        });
        await until(() => handled.length === 10);
        await channel.deleteQueue(queue);
        await until(() => producer.stats().consumerCancels === 1, 5000, "cancel seen");
        // Declared again by the producer: publish once it is there.
        await until(() => events.filter((e) => e.state === "up").length >= 2, 5000, "up again");
        await publishIds(queue, 3, false);
        await until(() => handled.length === 13, 5000, "the new messages handled");
        await pipeline.stop();
        diagnostics.unsubscribe(pipelineChannels.connection, listener);
        const down = events.find((e) => e.state === "down");
        assert.ok(isBeamishError(down?.error, "ERR_CONSUMER_CANCELLED"));
        assert.deepEqual(crashes, []);
      },
      { clock: "real" },
    ),
  );

  test(
    "a quorum queue counts deliveries; onFailure reject dead-letters; a given connection stays open",
    withRuntime(
      async ({ crashes }) => {
        const queue = queueName("quorum");
        const dead = queueName("dead");
        await channel.assertQueue(dead);
        await publishIds(queue, 2, {
          durable: true,
          arguments: {
            "x-queue-type": "quorum",
            "x-dead-letter-exchange": "",
            "x-dead-letter-routing-key": dead,
          },
        });
        const connection = await amqp.connect(URL);
        const counts: number[] = [];
        const pipeline = await Pipeline.start({
          producer: { module: rabbitmqProducer<{ id: number }>({ connection, queue }) },
          processors: { default: { concurrency: 1 } },
          handleMessage: (_processor, message) => {
            if (message.data.id === 1)
              return message.configureAck({ onFailure: "reject" }).fail("no");
            const { deliveryCount } = message.metadata as RabbitmqMetadata;
            counts.push(deliveryCount);
            return deliveryCount < 3 ? message.fail("again") : message;
          },
        });
        await until(() => counts.length === 3);
        await until(async () => (await ready(dead)) === 1);
        await pipeline.stop();
        assert.deepEqual(counts, [1, 2, 3]);
        assert.equal(await ready(queue), 0);
        const channelOnIt = await connection.createChannel();
        await channelOnIt.close();
        await connection.close();
        assert.deepEqual(crashes, []);
      },
      { clock: "real" },
    ),
  );
});

async function startFails(options: Parameters<typeof rabbitmqProducer>[0]): Promise<unknown> {
  return Pipeline.start({
    producer: { module: rabbitmqProducer(options) },
    processors: { default: { concurrency: 1 } },
    handleMessage: (_processor, message) => message,
  }).then(
    async (pipeline) => {
      await pipeline.stop();
      assert.fail("started");
    },
    (error: unknown) => rootCause(error),
  );
}

/** The error under the start failure (the producer's init rejected). */
function rootCause(error: unknown): unknown {
  for (let e = error, i = 0; i < 10; i++) {
    if (isBeamishError(e, "ERR_BROKER_CONNECT")) return e;
    const next =
      (e as { cause?: unknown; reason?: unknown }).cause ?? (e as { reason?: unknown }).reason;
    if (next === undefined) return e;
    e = next;
  }
  return error;
}

interface Worker {
  readonly process: ChildProcess;
  readonly ids: number[];
  readonly ready: Promise<void>;
  readonly exited: Promise<number | null>;
}

function startWorker(queue: string, prefetch: number): Worker {
  const child = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      "--conditions=beamish-source",
      join("test", "integration", "fixtures", "rabbitmq-worker.ts"),
      URL,
      queue,
      String(prefetch),
    ],
    { cwd: root, stdio: ["ignore", "pipe", "inherit"] },
  );
  const ids: number[] = [];
  let markReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => {
    markReady = resolve;
  });
  let partial = "";
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
    const lines = (partial + chunk).split("\n");
    partial = lines.pop() ?? "";
    for (const line of lines) {
      if (line === "ready") markReady();
      else if (line.startsWith("ids ")) ids.push(...(JSON.parse(line.slice(4)) as number[]));
    }
  });
  const exited = new Promise<number | null>((resolve) =>
    child.once("exit", (code) => resolve(code)),
  );
  return { process: child, ids, ready, exited };
}

function hasRabbitmqctl(): boolean {
  return spawnSync("rabbitmqctl", ["--help"], { stdio: "ignore" }).error === undefined;
}

function rabbitmqctl(...args: string[]): string {
  const run = spawnSync("rabbitmqctl", ["-q", ...args], { encoding: "utf8", timeout: 20_000 });
  if (run.status !== 0) throw new Error(`rabbitmqctl ${args.join(" ")}: ${run.stderr}`);
  return run.stdout;
}

/** The pids of the broker's connections named `name` (the producer names its connections). */
function connectionPids(name: string): string[] {
  return rabbitmqctl("list_connections", "--no-table-headers", "pid", "client_properties")
    .split("\n")
    .filter((line) => line.includes(`{"connection_name","${name}"}`))
    .map((line) => line.trim().split(/\s+/)[0] as string);
}
