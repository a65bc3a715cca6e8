/**
 * The Redis Streams producer against the real Redis on 127.0.0.1:6379 (`.ci/run` starts it):
 * random failures with retries and a dead-letter stream, connections killed mid-stream
 * (CLIENT KILL), two instances in two processes with one SIGKILLed, a graceful stop mid-stream,
 * an unreachable server and wrong credentials, a malformed entry and a user's own client. Each
 * test uses streams and groups of its own, deleted afterwards.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import diagnostics from "node:diagnostics_channel";
import { once } from "node:events";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { isBeamishError } from "beamish";
import { MalformedEntryError, redisProducer } from "beamish/connectors/redis";
import { type ConnectionEvent, type Message, Pipeline, pipelineChannels } from "beamish/pipeline";
import { withRuntime } from "beamish/testing";
import { createClient } from "redis";

const URL = "redis://127.0.0.1:6379";
const admin = createClient({ url: URL });
admin.on("error", () => {});
const keys: string[] = [];
const children: ChildProcess[] = [];

const random = () => Math.random().toString(36).slice(2, 10);

/** A fresh stream name (deleted after the tests) and a client-name prefix for its connections. */
function names(label: string) {
  const id = random();
  const stream = `beamish-test:${label}:${id}`;
  keys.push(stream, `${stream}:dead`, `${stream}:results`);
  return { stream, dead: `${stream}:dead`, results: `${stream}:results`, clients: `bt-${id}` };
}

/** Adds entries `{ id: "0" }` ... `{ id: String(n - 1) }` (with `extra` fields) to `stream`. */
async function publish(stream: string, n: number, from = 0): Promise<string[]> {
  const ids: string[] = [];
  for (let start = from; start < from + n; start += 500) {
    const multi = admin.multi();
    for (let i = start; i < Math.min(from + n, start + 500); i++) {
      multi.xAdd(stream, "*", { id: String(i) });
      ids.push(String(i));
    }
    await multi.exec();
  }
  return ids;
}

async function pendingCount(stream: string, group: string): Promise<number> {
  return Number((await admin.xPending(stream, group)).pending);
}

/** Polls `condition` every 20 ms for at most `ms`, failing with `what` rather than hanging. */
async function waitFor(condition: () => boolean | Promise<boolean>, ms: number, what: string) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await condition()) return;
    await sleep(20);
  }
  assert.fail(`timed out after ${ms} ms waiting for: ${what}`);
}

/** Kills every connection whose CLIENT SETNAME starts with `prefix`; returns how many. */
async function killConnections(prefix: string): Promise<number> {
  const list = String(await admin.sendCommand(["CLIENT", "LIST"]));
  const ids = list
    .split("\n")
    .filter((line) => line.includes(` name=${prefix}:`))
    .map((line) => /^id=(\d+)/.exec(line)?.[1])
    .filter((id): id is string => id !== undefined);
  for (const id of ids) await admin.sendCommand(["CLIENT", "KILL", "ID", id]);
  return ids.length;
}

/** Counts handled ids: the distinct ones and the duplicates. */
function tally(ids: readonly string[]) {
  const unique = new Set(ids);
  return { unique, duplicates: ids.length - unique.size };
}

const idOf = (m: Message) => (m.data as Record<string, string>).id as string;

before(async () => {
  await admin.connect();
});

after(async () => {
  for (const child of children) if (child.exitCode === null) child.kill("SIGKILL");
  if (keys.length > 0) await admin.del(keys);
  await admin.close();
});

describe("redisProducer against Redis", () => {
  test(
    "random failures: retried until they succeed, poison entries dead-lettered after 3 deliveries, nothing pending",
    withRuntime(
      async ({ crashes }) => {
        const { stream, dead, clients } = names("failures");
        const n = 2000;
        await publish(stream, n);
        const poison = new Set(["13", "777", "1500"]);
        // About one entry in ten fails on its first delivery, by throwing or by failing.
        const flaky = (id: string) => Number(id) % 10 === 3;
        const batched: string[] = [];
        const producer = redisProducer({
          url: URL,
          stream,
          group: "g",
          clientName: clients,
          block: 100,
          minIdle: 300,
          claimInterval: 100,
          onFailure: { deadLetter: dead, maxDeliveries: 3 },
        });
        const pipeline = await Pipeline.start({
          producer: { module: producer },
          processors: { default: { concurrency: 2, maxDemand: 10 } },
          batchers: { default: { batchSize: 50, batchTimeout: 20 } },
          handleMessage: (_processor, message) => {
            const id = idOf(message);
            if (poison.has(id)) return message.fail(new Error(`poison ${id}`));
            if (flaky(id) && message.metadata.deliveryCount === 1) {
              if (Number(id) % 20 === 3) throw new Error("flaky");
              return message.fail("flaky");
            }
            return message;
          },
          handleBatch: (_batcher, messages) => {
            for (const m of messages) batched.push(idOf(m));
            return messages;
          },
        });
        await waitFor(
          async () =>
            tally(batched).unique.size === n - poison.size &&
            producer.counters.deadLettered === poison.size &&
            (await pendingCount(stream, "g")) === 0,
          20_000,
          "every entry handled or dead-lettered, nothing pending",
        );
        await pipeline.stop();
        const { unique, duplicates } = tally(batched);
        for (let i = 0; i < n; i++) {
          if (!poison.has(String(i))) assert.ok(unique.has(String(i)), `${i} reached handleBatch`);
        }
        // No connection fault here: a duplicate needs an entry idle past minIdle (300 ms) while
        // held here, which only a very loaded machine makes; bounded by what is in flight.
        assert.ok(duplicates <= 2 * 10 + 50, `${duplicates} duplicates`);
        const deadEntries = (await admin.xRange(dead, "-", "+")) ?? [];
        assert.deepEqual(deadEntries.map((e) => e.message.id).sort(), [...poison].sort());
        for (const entry of deadEntries) {
          assert.equal(entry.message["dead-letter.deliveries"], "3");
          assert.equal(entry.message["dead-letter.stream"], stream);
          assert.match(String(entry.message["dead-letter.reason"]), /^Error: poison/);
        }
        // Each flaky entry failed once, unless a claim took it (idle 300 ms on a loaded machine)
        // before its first delivery was handled: it was then first handled as a redelivery.
        const retried = producer.counters.retried;
        assert.ok(retried <= n / 10 + 2 * poison.size && retried >= n / 20, `retried ${retried}`);
        assert.equal(await pendingCount(stream, "g"), 0);
        assert.deepEqual(await admin.xInfoConsumers(stream, "g"), [], "consumer removed at stop");
        assert.deepEqual(crashes, []);
      },
      { clock: "real" },
    ),
  );

  test(
    "connections killed mid-stream four times (CLIENT KILL): reconnected, nothing lost, duplicates bounded",
    withRuntime(
      async ({ crashes }) => {
        const { stream, clients } = names("kill");
        const n = 3000;
        await publish(stream, n);
        const events: ConnectionEvent[] = [];
        const listener = (event: unknown) => events.push(event as ConnectionEvent);
        diagnostics.subscribe(pipelineChannels.connection, listener);
        const batched: string[] = [];
        const producer = redisProducer({
          url: URL,
          stream,
          group: "g",
          clientName: clients,
          block: 100,
          minIdle: 1000,
          claimInterval: 200,
          connect: { backoff: { min: 20, max: 200 } },
        });
        const pipeline = await Pipeline.start({
          producer: { module: producer },
          processors: { default: { concurrency: 2, maxDemand: 10 } },
          batchers: { default: { batchSize: 50, batchTimeout: 20 } },
          handleMessage: (_processor, message) => message,
          handleBatch: async (_batcher, messages) => {
            await sleep(10);
            for (const m of messages) batched.push(idOf(m));
            return messages;
          },
        });
        const kills = 4;
        for (let k = 0; k < kills; k++) {
          await sleep(120);
          assert.ok((await killConnections(clients)) >= 1, "connections to kill");
        }
        assert.ok(tally(batched).unique.size < n, "the kills happened mid-stream");
        await waitFor(
          async () => tally(batched).unique.size === n && (await pendingCount(stream, "g")) === 0,
          25_000,
          "every entry handled, nothing pending",
        );
        await pipeline.stop();
        diagnostics.unsubscribe(pipelineChannels.connection, listener);
        const { duplicates } = tally(batched);
        // At most what was in flight at each kill: processors' demand and a batch in handling.
        assert.ok(duplicates <= kills * (2 * 10 + 50), `${duplicates} duplicates`);
        // Whether a kill fails a read in flight or only an idle connection depends on timing;
        // the down/up states below show the drops happened.
        const states = new Set(events.filter((e) => e.connector === "redis").map((e) => e.state));
        assert.ok(states.has("down") && states.has("up"), `states ${[...states]}`);
        assert.ok(events.every((e) => e.address === "redis://127.0.0.1:6379"));
        assert.deepEqual(crashes, []);
      },
      { clock: "real" },
    ),
  );

  test("two instances in two processes share the work; one SIGKILLed mid-run, the other finishes it", async () => {
    const { stream, results, clients } = names("instances");
    const fixture = join(import.meta.dirname, "fixtures", "redis-worker.ts");
    const start = (consumer: string) => {
      const child = spawn(
        process.execPath,
        [
          "--import",
          "tsx",
          "--conditions=beamish-source",
          fixture,
          stream,
          "g",
          consumer,
          results,
          clients,
        ],
        { stdio: ["ignore", "pipe", "pipe"] },
      );
      children.push(child);
      let stderr = "";
      child.stderr?.on("data", (chunk) => {
        stderr += String(chunk);
      });
      const ready = new Promise<void>((resolve, reject) => {
        child.stdout?.on("data", (chunk) => {
          if (String(chunk).includes("ready")) resolve();
        });
        child.on("exit", (code) => reject(new Error(`${consumer} exited ${code}: ${stderr}`)));
      });
      return { child, ready, stderr: () => stderr };
    };
    const a = start("a");
    const b = start("b");
    await Promise.all([a.ready, b.ready]);
    const n = 3000;
    await publish(stream, n);
    const handled = async () => (await admin.lRange(results, 0, -1)).map((r) => r.split(" "));
    await waitFor(async () => (await handled()).length >= n / 4, 20_000, "a quarter handled");
    a.child.kill("SIGKILL");
    await once(a.child, "exit");
    await waitFor(
      async () =>
        new Set((await handled()).map(([, id]) => id)).size === n &&
        (await pendingCount(stream, "g")) === 0,
      20_000,
      "b finished the work, nothing pending",
    );
    const records = await handled();
    const byA = records.filter(([c]) => c === "a").length;
    const byB = records.filter(([c]) => c === "b").length;
    assert.ok(byA > 0 && byB > 0, `shared: a ${byA}, b ${byB}`);
    assert.ok(byA < n, "a was killed before the end");
    // At most what a held when it died: its demand and a batch being recorded.
    const duplicates = records.length - n;
    assert.ok(duplicates <= 2 * 10 + 20 * 2, `${duplicates} duplicates`);
    b.child.kill("SIGTERM");
    const [code] = await once(b.child, "exit");
    assert.equal(code, 0, b.stderr());
    assert.doesNotMatch(b.stderr(), /crashed/);
    assert.equal(await pendingCount(stream, "g"), 0);
  });

  test(
    "a graceful stop mid-stream acknowledges what it handled and leaves the rest for another consumer",
    withRuntime(
      async ({ crashes }) => {
        const { stream, clients } = names("stop");
        const n = 2000;
        await publish(stream, n);
        const run = async (consumer: string) => {
          const handled: string[] = [];
          const producer = redisProducer({
            url: URL,
            stream,
            group: "g",
            consumer,
            clientName: clients,
            block: 100,
            minIdle: 500,
            claimInterval: 100,
          });
          const pipeline = await Pipeline.start({
            producer: { module: producer },
            processors: { default: { concurrency: 2, maxDemand: 10 } },
            batchers: { default: { batchSize: 20, batchTimeout: 20 } },
            handleMessage: (_processor, message) => message,
            handleBatch: async (_batcher, messages) => {
              await sleep(5);
              for (const m of messages) handled.push(idOf(m));
              return messages;
            },
          });
          return { handled, pipeline, producer };
        };
        const first = await run("first");
        await waitFor(() => first.handled.length >= 300, 10_000, "300 handled");
        await first.pipeline.stop();
        assert.ok(first.handled.length < n, "stopped mid-stream");
        assert.equal(first.producer.counters.acked, first.handled.length, "all it handled acked");
        const pendingOfFirst = await admin.xPendingRange(stream, "g", "-", "+", 1000, {
          consumer: "first",
        });
        const handledByFirst = new Set(first.handled);
        assert.deepEqual(
          pendingOfFirst.filter((p) => handledByFirst.has(String(p.id))),
          [],
          "nothing it handled is pending",
        );
        const second = await run("second");
        await waitFor(
          async () =>
            tally([...first.handled, ...second.handled]).unique.size === n &&
            (await pendingCount(stream, "g")) === 0,
          15_000,
          "the second consumer handled the rest",
        );
        await second.pipeline.stop();
        const { duplicates } = tally([...first.handled, ...second.handled]);
        assert.ok(duplicates <= 2 * 10 + 20, `${duplicates} duplicates`);
        assert.deepEqual(crashes, []);
      },
      { clock: "real" },
    ),
  );

  test(
    "a malformed entry fails that message only (dropped, not retried); a user's client is used and left open",
    withRuntime(
      async ({ crashes }) => {
        const { stream, clients } = names("malformed");
        await admin.xAdd(stream, "*", { body: '{"n":1}' });
        await admin.xAdd(stream, "*", { body: "{broken" });
        await admin.xAdd(stream, "*", { body: '{"n":3}' });
        const client = createClient({ url: URL });
        client.on("error", () => {});
        await client.connect();
        const data: unknown[] = [];
        const failed: Message[] = [];
        const producer = redisProducer<{ n: number }>({
          client,
          stream,
          group: "g",
          clientName: clients,
          block: 100,
          decode: (fields) => JSON.parse(fields.body ?? "") as { n: number },
        });
        const pipeline = await Pipeline.start({
          producer: { module: producer },
          processors: { default: { concurrency: 1 } },
          handleMessage: (_processor, message) => {
            data.push(message.data);
            return message;
          },
          handleFailed: (messages) => {
            failed.push(...messages);
            return messages;
          },
        });
        await waitFor(
          async () =>
            producer.counters.acked + producer.counters.discarded === 3 &&
            (await pendingCount(stream, "g")) === 0,
          10_000,
          "all three settled",
        );
        await pipeline.stop();
        assert.deepEqual(data, [{ n: 1 }, { n: 3 }]);
        assert.equal(failed.length, 1);
        const reason = (failed[0] as Message).status;
        assert.ok(reason.kind === "failed" && reason.reason instanceof MalformedEntryError);
        assert.ok(client.isOpen, "the user's client is not closed");
        assert.equal(await client.ping(), "PONG");
        await client.close();
        assert.deepEqual(crashes, []);
      },
      { clock: "real" },
    ),
  );

  test(
    "a user's client under RESP2 with a keyPrefix: entries read from the prefixed stream, all acknowledged",
    withRuntime(
      async ({ crashes }) => {
        const { stream, clients } = names("resp2");
        const prefix = `${stream}:`;
        const key = `${prefix}orders`;
        keys.push(key);
        await publish(key, 250);
        const client = createClient({ url: URL, RESP: 2, keyPrefix: prefix });
        client.on("error", () => {});
        await client.connect();
        const ids: string[] = [];
        const producer = redisProducer({
          client,
          stream: "orders",
          group: "g",
          clientName: clients,
          block: 100,
        });
        const pipeline = await Pipeline.start({
          producer: { module: producer },
          processors: { default: { concurrency: 2, maxDemand: 20 } },
          batchers: { default: { batchSize: 50, batchTimeout: 20 } },
          handleMessage: (_processor, message) => {
            ids.push(idOf(message));
            return message;
          },
          handleBatch: (_batcher, messages) => messages,
        });
        await waitFor(
          async () => producer.counters.acked === 250 && (await pendingCount(key, "g")) === 0,
          10_000,
          "250 acknowledged",
        );
        await pipeline.stop();
        const { unique, duplicates } = tally(ids);
        assert.equal(unique.size, 250);
        assert.equal(duplicates, 0);
        assert.equal(await admin.exists(`orders`), 0, "nothing read or created without the prefix");
        await client.close();
        assert.deepEqual(crashes, []);
      },
      { clock: "real" },
    ),
  );

  test("a user's client that is not connected fails the start with what to do", async () => {
    const producer = redisProducer({
      client: createClient({ url: URL }),
      stream: "never",
      group: "g",
    });
    await assert.rejects(
      Pipeline.start({
        producer: { module: producer },
        processors: { default: { concurrency: 1 } },
        handleMessage: (_processor, message) => message,
      }),
      /invalid value for `client`: expected a connected node-redis client \(await client.connect\(\) first\)/,
    );
  });

  test("an unreachable server: BrokerConnectError after the attempts, with the address and no password", async () => {
    const producer = redisProducer({
      url: "redis://app:s3cret@127.0.0.1:1",
      stream: "never",
      group: "g",
      connect: { attempts: 2, backoff: { min: 10, max: 20 } },
    });
    const error = await Pipeline.start({
      producer: { module: producer },
      processors: { default: { concurrency: 1 } },
      handleMessage: (_processor, message) => message,
    }).then(
      () => assert.fail("started"),
      (e: unknown) => e,
    );
    assert.ok(isBeamishError(error, "ERR_BROKER_CONNECT"), String(error));
    assert.equal(error.attempts, 2);
    assert.equal(error.address, "redis://127.0.0.1:1");
    assert.match(
      error.message,
      /could not connect to redis at redis:\/\/127\.0\.0\.1:1 after 2 attempts: .*ECONNREFUSED/,
    );
    assert.doesNotMatch(error.message, /s3cret/);
  });

  test("wrong credentials: BrokerConnectError at the first attempt, no password printed", async () => {
    const producer = redisProducer({
      url: "redis://nobody:s3cret@127.0.0.1:6379",
      stream: "never",
      group: "g",
      connect: { attempts: 3, backoff: { min: 10, max: 20 } },
    });
    const error = await Pipeline.start({
      producer: { module: producer },
      processors: { default: { concurrency: 1 } },
      handleMessage: (_processor, message) => message,
    }).then(
      () => assert.fail("started"),
      (e: unknown) => e,
    );
    assert.ok(isBeamishError(error, "ERR_BROKER_CONNECT"), String(error));
    assert.equal(error.attempts, 1, "not retried");
    assert.match(error.message, /at redis:\/\/127\.0\.0\.1:6379 after 1 attempt: .*WRONGPASS/);
    assert.doesNotMatch(error.message, /s3cret/);
  });
});
