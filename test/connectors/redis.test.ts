/**
 * The Redis Streams producer's logic, driven through real pipelines with an in-memory fake of
 * one stream and its consumer groups (XREADGROUP, XPENDING, XCLAIM, XAUTOCLAIM, XACK, dead-letter
 * MULTI) on a virtual clock: demand-sized reads, batched acknowledgements, the failure policies,
 * claims of idle entries, recovery after a lost reply, and failures of the connection.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { currentRuntime, Emit, isBeamishError, TIMEOUT } from "beamish";
import { type Message, Pipeline } from "beamish/pipeline";
import { type RuntimeTest, type VirtualClock, withRuntime } from "beamish/testing";
import { MalformedEntryError, redisProducer } from "../../src/connectors/redis/index.js";
import { createRedisProducer, type ProducerConfig } from "../../src/connectors/redis/producer.js";
import type {
  AutoClaimed,
  DeadLetter,
  PendingEntry,
  StreamClient,
  StreamEntry,
  StreamReader,
} from "../../src/connectors/redis/stream-client.js";

interface Pending {
  consumer: string;
  deliveryCount: number;
  deliveredAt: number;
}

interface Group {
  /** Index in `entries` of the next entry never delivered. */
  next: number;
  readonly pending: Map<string, Pending>;
  readonly consumers: Set<string>;
}

/** What the fake was asked, command by command. */
interface Call {
  readonly command: string;
  readonly args: readonly unknown[];
}

/** An error the fake throws when told to fail a command. */
const dropped = () => new Error("Socket closed unexpectedly");

/** One Redis stream with consumer groups, in memory, on the runtime's clock. */
class FakeRedis implements StreamClient {
  readonly entries: StreamEntry[] = [];
  readonly groups = new Map<string, Group>();
  readonly deadLetters = new Map<string, StreamEntry[]>();
  readonly calls: Call[] = [];
  /** Commands to fail, by name, and how many times. */
  readonly failures = new Map<string, number>();
  /** The next read delivers its entries (they become pending) and then loses its reply. */
  loseNextReply = false;
  readonly readers: FakeReader[] = [];
  closed = false;
  private sequence = 0;
  private readonly waiting = new Set<() => void>();

  constructor(private readonly stream = "s") {}

  now(): number {
    return currentRuntime().clock.now();
  }

  add(fields: Record<string, string>): string {
    const id = `${++this.sequence}-0`;
    this.entries.push({ id, message: fields });
    for (const wake of [...this.waiting]) wake();
    return id;
  }

  addMany(n: number, fields: (i: number) => Record<string, string> = (i) => ({ n: String(i) })) {
    return Array.from({ length: n }, (_, i) => this.add(fields(i)));
  }

  group(name: string): Group {
    const group = this.groups.get(name);
    if (group === undefined) throw new Error(`NOGROUP No such key '${this.stream}' or group`);
    return group;
  }

  pendingIds(group = "g"): string[] {
    return [...this.group(group).pending.keys()];
  }

  count(command: string): number {
    return this.calls.filter((c) => c.command === command).length;
  }

  private call(command: string, ...args: unknown[]): void {
    this.calls.push({ command, args });
    const left = this.failures.get(command) ?? 0;
    if (left > 0) {
      this.failures.set(command, left - 1);
      throw dropped();
    }
  }

  private deliver(group: Group, consumer: string, entry: StreamEntry): void {
    const pending = group.pending.get(entry.id);
    group.consumers.add(consumer);
    group.pending.set(entry.id, {
      consumer,
      deliveryCount: (pending?.deliveryCount ?? 0) + 1,
      deliveredAt: this.now(),
    });
  }

  async createGroup(_stream: string, group: string, startId: string): Promise<void> {
    this.call("createGroup", group, startId);
    if (this.groups.has(group)) return;
    const next = startId === "$" ? this.entries.length : 0;
    this.groups.set(group, { next, pending: new Map(), consumers: new Set() });
  }

  async openReader(name: string): Promise<StreamReader> {
    this.call("openReader", name);
    const reader = new FakeReader(this, name);
    this.readers.push(reader);
    return reader;
  }

  /** XREADGROUP `>`: waits up to `block` for entries, on the runtime's clock. */
  async read(
    reader: FakeReader,
    groupName: string,
    consumer: string,
    count: number,
    block: number,
  ): Promise<StreamEntry[]> {
    this.call("read", groupName, consumer, count);
    const take = (): StreamEntry[] | undefined => {
      const group = this.group(groupName);
      if (group.next >= this.entries.length) return undefined;
      const out = this.entries.slice(group.next, group.next + count);
      group.next += out.length;
      for (const entry of out) this.deliver(group, consumer, entry);
      return out;
    };
    let out = take();
    if (out === undefined) {
      out = await new Promise<StreamEntry[]>((resolve, reject) => {
        const clock = currentRuntime().clock;
        const finish = (value: StreamEntry[] | Error) => {
          this.waiting.delete(wake);
          reader.aborts.delete(abort);
          clock.clearTimer(timer);
          if (value instanceof Error) reject(value);
          else resolve(value);
        };
        const wake = () => {
          try {
            const got = take();
            if (got !== undefined) finish(got);
          } catch (error) {
            finish(error as Error);
          }
        };
        const timer = clock.setTimer(block, () => finish([]));
        const abort = () => finish(dropped());
        this.waiting.add(wake);
        reader.aborts.add(abort);
      });
    }
    if (this.loseNextReply && out.length > 0) {
      this.loseNextReply = false;
      throw dropped();
    }
    return out;
  }

  async pending(
    _stream: string,
    groupName: string,
    count: number,
    consumer?: string,
  ): Promise<PendingEntry[]> {
    this.call("pending", groupName, count, consumer);
    const now = this.now();
    return [...this.group(groupName).pending.entries()]
      .filter(([, p]) => consumer === undefined || p.consumer === consumer)
      .slice(0, count)
      .map(([id, p]) => ({
        id,
        consumer: p.consumer,
        idle: now - p.deliveredAt,
        deliveryCount: p.deliveryCount,
      }));
  }

  async pendingEntry(_stream: string, groupName: string, id: string) {
    this.call("pendingEntry", id);
    const p = this.group(groupName).pending.get(id);
    if (p === undefined) return undefined;
    return {
      id,
      consumer: p.consumer,
      idle: this.now() - p.deliveredAt,
      deliveryCount: p.deliveryCount,
    };
  }

  async claim(
    _stream: string,
    groupName: string,
    consumer: string,
    minIdle: number,
    ids: readonly string[],
  ): Promise<StreamEntry[]> {
    this.call("claim", consumer, minIdle, ids);
    const group = this.group(groupName);
    const out: StreamEntry[] = [];
    for (const id of ids) {
      const p = group.pending.get(id);
      const entry = this.entries.find((e) => e.id === id);
      if (p === undefined || entry === undefined || this.now() - p.deliveredAt < minIdle) continue;
      this.deliver(group, consumer, entry);
      out.push(entry);
    }
    return out;
  }

  async autoClaim(
    _stream: string,
    groupName: string,
    consumer: string,
    minIdle: number,
    cursor: string,
    count: number,
  ): Promise<AutoClaimed> {
    this.call("autoClaim", consumer, minIdle, cursor, count);
    const group = this.group(groupName);
    const start = Number(cursor.split("-")[0]);
    const candidates = [...group.pending.entries()]
      .filter(([id]) => Number(id.split("-")[0]) >= start)
      .sort(([a], [b]) => Number(a.split("-")[0]) - Number(b.split("-")[0]));
    const out: StreamEntry[] = [];
    let next = "0-0";
    for (const [id, p] of candidates) {
      if (out.length === count) {
        next = id;
        break;
      }
      if (this.now() - p.deliveredAt < minIdle) continue;
      const entry = this.entries.find((e) => e.id === id) as StreamEntry;
      this.deliver(group, consumer, entry);
      out.push(entry);
    }
    return { cursor: next, entries: out, deleted: 0 };
  }

  async ack(_stream: string, groupName: string, ids: readonly string[]): Promise<number> {
    this.call("ack", ids);
    const group = this.group(groupName);
    let n = 0;
    for (const id of ids) if (group.pending.delete(id)) n++;
    return n;
  }

  async deadLetter(
    _stream: string,
    groupName: string,
    target: string,
    entries: readonly DeadLetter[],
  ): Promise<void> {
    this.call(
      "deadLetter",
      target,
      entries.map((e) => e.id),
    );
    const list = this.deadLetters.get(target) ?? [];
    this.deadLetters.set(target, list);
    for (const e of entries) list.push({ id: `${list.length + 1}-0`, message: e.fields });
    const group = this.group(groupName);
    for (const e of entries) group.pending.delete(e.id);
  }

  async removeConsumerIfIdle(_stream: string, groupName: string, consumer: string) {
    this.call("removeConsumerIfIdle", consumer);
    const group = this.group(groupName);
    if ([...group.pending.values()].some((p) => p.consumer === consumer)) return false;
    return group.consumers.delete(consumer);
  }

  async close(): Promise<void> {
    this.call("close");
    this.closed = true;
  }
}

class FakeReader implements StreamReader {
  /** One per read blocked on this connection. */
  readonly aborts = new Set<() => void>();
  closed = false;

  constructor(
    private readonly redis: FakeRedis,
    readonly name: string,
  ) {}

  read(_stream: string, group: string, consumer: string, count: number, block: number) {
    if (this.closed) return Promise.reject(new Error("The client is closed"));
    return this.redis.read(this, group, consumer, count, block);
  }

  /** Drops the connection: the reads in flight reject. */
  drop(): void {
    for (const abort of [...this.aborts]) abort();
  }

  close(): void {
    this.closed = true;
    this.drop();
  }
}

function config<T>(overrides: Partial<ProducerConfig<T>> = {}): ProducerConfig<T> {
  return {
    stream: "s",
    group: "g",
    consumer: "c1",
    startId: "0",
    block: 1000,
    minIdle: 1000,
    claimInterval: 500,
    claimBatch: 100,
    onFailure: "retry",
    decode: undefined,
    backoff: { min: 10, max: 100 },
    readerName: (index) => `reader-${index}`,
    ...overrides,
  };
}

/** Moves virtual time by steps of 10 ms until `done()`, failing rather than hanging. */
async function until(clock: VirtualClock, done: () => boolean, what: string, steps = 2000) {
  for (let i = 0; i < steps && !done(); i++) await clock.advance(10);
  assert.ok(done(), `timed out waiting for: ${what}`);
}

type Fields = Record<string, string>;

/**
 * Feeds a stage driven by hand the messages it sends itself (read results, claims) through
 * `handleInfo`, advancing the virtual clock when none is there, until `done` holds of what it
 * emitted (at most 20 steps); returns what it emitted.
 */
async function pumpStage<S>(
  t: RuntimeTest,
  producer: { handleInfo?: (message: unknown, state: S, self: RuntimeTest["self"]) => unknown },
  state: S,
  done: (emitted: Message[]) => boolean,
): Promise<Message[]> {
  const emitted: Message[] = [];
  for (let i = 0; i < 20 && !done(emitted); i++) {
    const message = await t.self.receive({ timeout: 0 });
    if (message === TIMEOUT) {
      await t.clock.advance(10);
      continue;
    }
    const result = await producer.handleInfo?.(message, state, t.self);
    if (result instanceof Emit) emitted.push(...(result.events as Message[]));
  }
  return emitted;
}

/** Starts a pipeline over `redis` with one processor group; records what it handled. */
async function start(
  redis: FakeRedis,
  options: {
    config?: Partial<ProducerConfig<Fields>>;
    concurrency?: number;
    maxDemand?: number;
    producers?: number;
    handle?: (message: Message<Fields>) => Message<Fields>;
    batched?: boolean;
  } = {},
) {
  const handled: Message<Fields>[] = [];
  const failed: Message[] = [];
  const producer = createRedisProducer<Fields>(config(options.config), async () => redis);
  const pipeline = await Pipeline.start({
    producer: { module: producer, concurrency: options.producers ?? 1 },
    processors: {
      default: { concurrency: options.concurrency ?? 2, maxDemand: options.maxDemand ?? 10 },
    },
    ...(options.batched ? { batchers: { default: { batchSize: 7, batchTimeout: 50 } } } : {}),
    handleMessage: (_processor, message) => {
      handled.push(message);
      return options.handle ? options.handle(message) : message;
    },
    handleBatch: (_batcher, messages) => messages,
    handleFailed: (messages) => {
      failed.push(...messages);
      return messages;
    },
  });
  return { producer, pipeline, handled, failed };
}

const ids = (messages: readonly Message[]) => messages.map((m) => m.metadata.id as string);

function assertNoCrash(t: RuntimeTest<VirtualClock>): void {
  assert.deepEqual(
    t.crashes.map((c) => String(c.error)),
    [],
  );
}

describe("redisProducer: reading and acknowledging", () => {
  test(
    "reads sized by demand, each entry handled once, acknowledged in groups, nothing left pending",
    withRuntime(async (t) => {
      const redis = new FakeRedis();
      const added = redis.addMany(95);
      const { producer, pipeline, handled } = await start(redis, { maxDemand: 10, batched: true });
      await until(
        t.clock,
        () => redis.pendingIds().length === 0 && handled.length >= 95,
        "all acked",
      );
      assert.deepEqual(ids(handled).sort(), [...added].sort());
      for (const read of redis.calls.filter((c) => c.command === "read")) {
        // Processors demand 20 at most; a read asks for twice that at most.
        assert.ok((read.args[2] as number) <= 40, `COUNT ${read.args[2]} within demand`);
      }
      const acks = redis.calls.filter((c) => c.command === "ack");
      assert.ok(acks.length < 95 / 3, `${acks.length} XACKs for 95 entries`);
      assert.equal(producer.counters.delivered, 95);
      assert.equal(producer.counters.acked, 95);
      const first = handled.find((m) => m.data.n === "0") as Message<Fields>;
      assert.deepEqual(first.metadata, {
        id: first.metadata.id,
        stream: "s",
        deliveryCount: 1,
        redelivered: false,
        fields: { n: "0" },
      });
      assert.deepEqual(first.data, { n: "0" });
      await pipeline.stop();
      assertNoCrash(t);
    }),
  );

  test(
    "never emits more than demanded, and reads ahead at most four times the demand: the rest waits in Redis",
    withRuntime(async (t) => {
      const redis = new FakeRedis();
      redis.addMany(500);
      let release!: () => void;
      const gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      let entered = 0;
      const producer = createRedisProducer<Fields>(config(), async () => redis);
      const pipeline = await Pipeline.start({
        producer: { module: producer },
        processors: { default: { concurrency: 1, maxDemand: 5 } },
        handleMessage: async (_p, message) => {
          entered++;
          await gate;
          return message;
        },
      });
      await t.clock.advance(200);
      // One processor asked for 5: they were emitted, 20 more wait in the producer's buffer.
      assert.equal(entered, 1, "the processor holds its 5, handling the first");
      assert.equal(producer.counters.delivered, 25);
      assert.equal(redis.pendingIds().length, 25);
      assert.deepEqual(
        redis.calls.filter((c) => c.command === "read").map((c) => c.args[2]),
        [10, 10, 5],
        "two reads of twice the most demanded at once in flight, then the rest of the read-ahead",
      );
      release();
      await until(t.clock, () => producer.counters.acked === 500, "all acked");
      // Demand comes back a few at a time, but no read smaller than the 5 demanded goes out
      // while entries are still buffered or on their way.
      const counts = redis.calls.filter((c) => c.command === "read").map((c) => c.args[2]);
      assert.ok(
        counts.every((n) => (n as number) >= 5 && (n as number) <= 10),
        `read counts ${counts.join(", ")}`,
      );
      await pipeline.stop();
      assertNoCrash(t);
    }),
  );

  test(
    "the group is created with the stream's start id, two producer stages read on readers of their own",
    withRuntime(async (t) => {
      const redis = new FakeRedis();
      redis.addMany(10);
      const { producer, pipeline } = await start(redis, {
        producers: 2,
        config: { startId: "$" },
      });
      assert.deepEqual(
        redis.calls.filter((c) => c.command === "createGroup").map((c) => c.args),
        [["g", "$"]],
      );
      assert.deepEqual(redis.readers.map((r) => r.name).sort(), ["reader-0", "reader-1"]);
      redis.add({ late: "1" });
      redis.add({ late: "2" });
      await until(t.clock, () => producer.counters.acked === 2, "the two new entries acked");
      assert.equal(producer.counters.delivered, 2, "entries before the group's creation skipped");
      assert.deepEqual(redis.pendingIds(), []);
      await pipeline.stop();
      assert.ok(redis.closed, "the last stage to terminate closes the client");
      assert.ok(redis.readers.every((r) => r.closed));
      assert.deepEqual(
        [...(redis.groups.get("g")?.consumers ?? [])],
        [],
        "a consumer with nothing pending is removed from the group",
      );
      assertNoCrash(t);
    }),
  );
});

describe("redisProducer: failures", () => {
  test(
    'onFailure "retry": a failed entry stays pending, is claimed after minIdle and delivered again',
    withRuntime(async (t) => {
      const redis = new FakeRedis();
      const [flaky] = redis.addMany(3);
      let failures = 0;
      const { producer, pipeline, handled } = await start(redis, {
        config: { minIdle: 1000, claimInterval: 200 },
        handle: (message) => {
          if (message.metadata.id === flaky && failures++ === 0) return message.fail("first try");
          return message;
        },
      });
      await until(t.clock, () => producer.counters.acked === 3, "all acked");
      const deliveries = handled.filter((m) => m.metadata.id === flaky);
      assert.deepEqual(
        deliveries.map((m) => [m.metadata.deliveryCount, m.metadata.redelivered]),
        [
          [1, false],
          [2, true],
        ],
      );
      assert.equal(producer.counters.retried, 1);
      assert.equal(producer.counters.claimed, 1);
      assert.deepEqual(redis.pendingIds(), []);
      await pipeline.stop();
      assertNoCrash(t);
    }),
  );

  test(
    "a dead letter after maxDeliveries: moved with its fields and why, in one MULTI, no longer pending",
    withRuntime(async (t) => {
      const redis = new FakeRedis();
      const [poison] = redis.addMany(4);
      const { producer, pipeline, handled } = await start(redis, {
        config: {
          minIdle: 500,
          claimInterval: 100,
          onFailure: { deadLetter: "s:dead", maxDeliveries: 3 },
        },
        handle: (message) =>
          message.metadata.id === poison ? message.fail(new Error("cannot parse")) : message,
      });
      await until(t.clock, () => producer.counters.deadLettered === 1, "dead-lettered");
      assert.equal(handled.filter((m) => m.metadata.id === poison).length, 3);
      assert.deepEqual(
        redis.deadLetters.get("s:dead")?.map((e) => e.message),
        [
          {
            n: "0",
            "dead-letter.stream": "s",
            "dead-letter.group": "g",
            "dead-letter.id": poison,
            "dead-letter.deliveries": "3",
            "dead-letter.reason": "Error: cannot parse",
          },
        ],
      );
      assert.equal(redis.count("deadLetter"), 1);
      assert.deepEqual(redis.pendingIds(), []);
      assert.equal(producer.counters.acked, 3);
      assert.equal(producer.counters.retried, 2);
      await pipeline.stop();
      assertNoCrash(t);
    }),
  );

  test(
    'configureAck overrides the policy per message ("discard" acknowledges the failure); unknown options throw',
    withRuntime(async (t) => {
      const redis = new FakeRedis();
      redis.addMany(6);
      const errors: unknown[] = [];
      const { producer, pipeline } = await start(redis, {
        handle: (message) => {
          try {
            message.configureAck({ requeue: true });
          } catch (error) {
            errors.push(error);
          }
          const n = Number(message.data.n);
          if (n % 2 === 0) return message.configureAck({ onFailure: "discard" }).fail("even");
          return message;
        },
      });
      const settled = () => producer.counters.acked + producer.counters.discarded === 6;
      await until(t.clock, settled, "all settled");
      assert.deepEqual(redis.pendingIds(), []);
      assert.equal(producer.counters.discarded, 3);
      assert.equal(producer.counters.acked, 3);
      assert.equal(producer.counters.retried, 0);
      assert.equal(errors.length, 6);
      assert.ok(isBeamishError(errors[0], "ERR_INVALID_OPTIONS"));
      assert.match(
        (errors[0] as Error).message,
        /invalid value for `requeue`: expected one of the options onFailure, got true/,
      );
      await pipeline.stop();
      assertNoCrash(t);
    }),
  );

  test(
    "a malformed entry fails that message with MalformedEntryError and is dropped, not retried; the others go on",
    withRuntime(async (t) => {
      const redis = new FakeRedis();
      redis.add({ body: '{"ok":1}' });
      const bad = redis.add({ body: "{not json" });
      redis.add({ body: '{"ok":3}' });
      const handledData: unknown[] = [];
      const failed: Message[] = [];
      const producer = createRedisProducer<{ ok: number }>(
        config({ decode: (fields) => JSON.parse(fields.body ?? "") as { ok: number } }),
        async () => redis,
      );
      const pipeline = await Pipeline.start({
        producer: { module: producer },
        processors: { default: { concurrency: 1 } },
        handleMessage: (_p, message) => {
          handledData.push(message.data);
          return message;
        },
        handleFailed: (messages) => {
          failed.push(...messages);
          return messages;
        },
      });
      const settled = () => producer.counters.acked + producer.counters.discarded === 3;
      await until(t.clock, settled, "all settled");
      assert.deepEqual(redis.pendingIds(), []);
      assert.deepEqual(handledData, [{ ok: 1 }, { ok: 3 }]);
      const [message] = failed as [Message];
      assert.deepEqual(message.data, { body: "{not json" });
      const reason = message.status.kind === "failed" ? message.status.reason : undefined;
      assert.ok(reason instanceof MalformedEntryError);
      assert.equal(reason.id, bad);
      assert.match(reason.message, new RegExp(`^s entry ${bad} could not be decoded: SyntaxError`));
      await pipeline.stop();
      assertNoCrash(t);
    }),
  );
  test(
    "a malformed entry goes to the dead-letter stream at its first delivery",
    withRuntime(async (t) => {
      const redis = new FakeRedis();
      redis.add({ body: "1" });
      const bad = redis.add({ body: "{" });
      const producer = createRedisProducer<number>(
        config({
          decode: (fields) => JSON.parse(fields.body ?? "") as number,
          onFailure: { deadLetter: "s:dead", maxDeliveries: 5 },
        }),
        async () => redis,
      );
      const pipeline = await Pipeline.start({
        producer: { module: producer },
        processors: { default: { concurrency: 1 } },
        handleMessage: (_p, message) => message,
      });
      await until(t.clock, () => producer.counters.deadLettered === 1, "dead-lettered");
      const [dead] = redis.deadLetters.get("s:dead") ?? [];
      assert.equal(dead?.message["dead-letter.id"], bad);
      assert.match(String(dead?.message["dead-letter.reason"]), /could not be decoded/);
      assert.equal(producer.counters.retried, 0);
      await pipeline.stop();
      assertNoCrash(t);
    }),
  );
});

describe("redisProducer: claims, recovery and dropped connections", () => {
  test(
    "a dead instance's pending entries are claimed once idle for minIdle, with their delivery counts",
    withRuntime(async (t) => {
      const redis = new FakeRedis();
      await redis.createGroup("s", "g", "0");
      const added = redis.addMany(5);
      // Another consumer read three of them and died.
      await redis.read(new FakeReader(redis, "dead"), "g", "dead", 3, 0);
      const { producer, pipeline, handled } = await start(redis, {
        config: { minIdle: 2000, claimInterval: 300 },
      });
      await until(t.clock, () => producer.counters.delivered === 2, "fresh ones read");
      assert.equal(producer.counters.claimed, 0, "not claimed before minIdle");
      await until(t.clock, () => producer.counters.acked === 5, "all acked");
      assert.equal(producer.counters.claimed, 3);
      const claimed = handled.filter((m) => m.metadata.redelivered);
      assert.deepEqual(ids(claimed).sort(), added.slice(0, 3).sort());
      assert.ok(claimed.every((m) => m.metadata.deliveryCount === 2));
      assert.deepEqual(redis.pendingIds(), []);
      await pipeline.stop();
      assertNoCrash(t);
    }),
  );

  test(
    "a read whose reply the drop lost: retried with backoff, its entries taken back from this consumer's pending ones, each handled once",
    withRuntime(async (t) => {
      const redis = new FakeRedis();
      const added = redis.addMany(30);
      redis.loseNextReply = true;
      const { producer, pipeline, handled } = await start(redis, {
        config: { minIdle: 60_000 },
        maxDemand: 10,
        concurrency: 1,
      });
      await until(t.clock, () => producer.counters.acked === 30, "all acked");
      assert.equal(producer.counters.readFailures, 1);
      assert.ok(producer.counters.recovered > 0, "recovered without waiting for minIdle");
      assert.deepEqual(ids(handled).sort(), [...added].sort(), "each once");
      const recovered = handled.filter((m) => m.metadata.redelivered);
      assert.ok(recovered.every((m) => m.metadata.deliveryCount === 2));
      assert.deepEqual(redis.pendingIds(), []);
      await pipeline.stop();
      assertNoCrash(t);
    }),
  );

  test(
    "a reader dropped mid-stream several times: the producer resumes, nothing lost",
    withRuntime(async (t) => {
      const redis = new FakeRedis();
      const { producer, pipeline, handled } = await start(redis, { config: { minIdle: 60_000 } });
      const added: string[] = [];
      for (let round = 0; round < 5; round++) {
        added.push(...redis.addMany(20));
        await t.clock.advance(30);
        for (const reader of redis.readers) reader.drop();
        redis.failures.set("read", 1);
        await t.clock.advance(30);
      }
      await until(t.clock, () => producer.counters.acked === 100, "all acked");
      assert.deepEqual([...new Set(ids(handled))].sort(), [...added].sort());
      assert.ok(producer.counters.readFailures >= 5);
      assert.deepEqual(redis.pendingIds(), []);
      await pipeline.stop();
      assertNoCrash(t);
    }),
  );

  test(
    "an XACK lost twice is counted in ackFailures, crashes nothing, and the entries stay pending for a claim",
    withRuntime(async (t) => {
      const redis = new FakeRedis();
      redis.addMany(4);
      redis.failures.set("ack", 2);
      const { producer, pipeline } = await start(redis, {
        config: { minIdle: 1000, claimInterval: 200 },
        concurrency: 1,
      });
      await until(t.clock, () => producer.counters.ackFailures > 0, "an ack failure");
      const lost = producer.counters.ackFailures;
      await until(t.clock, () => producer.counters.acked === 4, "claimed again and acked");
      assert.equal(producer.counters.claimed, lost);
      assert.deepEqual(redis.pendingIds(), []);
      await pipeline.stop();
      assertNoCrash(t);
    }),
  );

  test(
    "an XACK lost once is sent again (XACK is idempotent)",
    withRuntime(async (t) => {
      const redis = new FakeRedis();
      redis.addMany(4);
      redis.failures.set("ack", 1);
      const { producer, pipeline } = await start(redis, { concurrency: 1 });
      await until(t.clock, () => producer.counters.acked === 4, "acked");
      assert.equal(producer.counters.ackFailures, 0);
      assert.deepEqual(redis.pendingIds(), []);
      await pipeline.stop();
      assertNoCrash(t);
    }),
  );

  test(
    "the group deleted under the producer (NOGROUP) is created again and reading resumes",
    withRuntime(async (t) => {
      const redis = new FakeRedis();
      redis.addMany(3);
      const { producer, pipeline } = await start(redis);
      await until(t.clock, () => producer.counters.acked === 3, "first ones acked");
      redis.groups.delete("g");
      for (const reader of redis.readers) reader.drop();
      await t.clock.advance(50);
      redis.addMany(2);
      await until(t.clock, () => producer.counters.acked >= 5, "reading again");
      assert.ok(redis.count("createGroup") >= 2);
      await pipeline.stop();
      assertNoCrash(t);
    }),
  );

  test(
    "a failing claim is retried at the next interval",
    withRuntime(async (t) => {
      const redis = new FakeRedis();
      await redis.createGroup("s", "g", "0");
      redis.addMany(2);
      await redis.read(new FakeReader(redis, "dead"), "g", "dead", 2, 0);
      redis.failures.set("autoClaim", 2);
      const { producer, pipeline } = await start(redis, {
        config: { minIdle: 100, claimInterval: 100 },
      });
      await until(t.clock, () => producer.counters.acked === 2, "claimed in the end");
      assert.ok(redis.count("autoClaim") >= 3);
      await pipeline.stop();
      assertNoCrash(t);
    }),
  );
});

describe("redisProducer: start and stop", () => {
  test(
    "a failing connection fails Pipeline.start with its error",
    withRuntime(async () => {
      const producer = createRedisProducer<Fields>(config(), async () => {
        throw new Error("could not connect to redis at redis://127.0.0.1:1 after 3 attempts");
      });
      await assert.rejects(
        Pipeline.start({
          producer: { module: producer },
          processors: { default: { concurrency: 1 } },
          handleMessage: (_p, m) => m,
        }),
        /could not connect to redis/,
      );
    }),
  );

  test(
    "stop mid-stream: what was handled is acknowledged, the reader is closed at once, the rest stays in Redis",
    withRuntime(async (t) => {
      const redis = new FakeRedis();
      redis.addMany(200);
      let release!: () => void;
      const gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      const handled: Message[] = [];
      const producer = createRedisProducer<Fields>(config(), async () => redis);
      const pipeline = await Pipeline.start({
        producer: { module: producer },
        processors: { default: { concurrency: 1, maxDemand: 10 } },
        handleMessage: async (_p, message) => {
          if (handled.length >= 20) await gate;
          handled.push(message);
          return message;
        },
      });
      await until(t.clock, () => handled.length >= 20, "some handled");
      const stopping = pipeline.stop();
      release();
      await stopping;
      assert.equal(producer.counters.acked, handled.length, "every handled entry acknowledged");
      assert.ok(handled.length < 200, `${handled.length} handled`);
      assert.deepEqual(redis.pendingIds(), [], "nothing handled is left pending");
      assert.ok(redis.readers.every((r) => r.closed));
      assert.ok(redis.closed);
      // What was never read is there for the next consumer.
      const next = await start(redis, { config: { consumer: "c2" } });
      await until(t.clock, () => next.producer.counters.acked === 200 - handled.length, "the rest");
      await next.pipeline.stop();
      assertNoCrash(t);
    }),
  );
});

describe("redisProducer: one stage driven by hand", () => {
  test(
    "a producer's only stage restarted: its pending entries taken back at once, its messages in flight acknowledged through the new connection",
    withRuntime(async (t) => {
      const redis = new FakeRedis();
      redis.addMany(10);
      // Each session its own connection to the one fake, refusing commands once closed.
      const open = async (): Promise<StreamClient> => {
        let closed = false;
        return new Proxy(redis, {
          get(target, key) {
            if (key === "close") {
              return async () => {
                closed = true;
              };
            }
            const value = Reflect.get(target, key);
            if (typeof value !== "function") return value;
            return (...args: unknown[]) =>
              closed
                ? Promise.reject(new Error("The client is closed"))
                : value.apply(target, args);
          },
        });
      };
      const producer = createRedisProducer<Fields>(config({ minIdle: 60_000 }), open);
      const context = { pipeline: "p", index: 0, concurrency: 1 };
      type State = Awaited<ReturnType<typeof producer.init>>;
      const pump = (state: State, done: (emitted: Message[]) => boolean) =>
        pumpStage(t, producer, state, done);
      const first = await producer.init(context, t.self);
      assert.equal(producer.handleDemand(3, first, t.self), first);
      // A recovery at start (nothing pending), then reads of the 3 demanded and the 7 left ahead.
      const emitted = await pump(first, (out) => out.length === 3 && first.buffer.length === 7);
      assert.equal(emitted.length, 3);
      assert.equal(first.buffer.length, 7, "7 read ahead wait in the buffer");
      await producer.terminate?.("crash", first, t.self);
      assert.equal(first.session.held.size, 3, "the emitted ones are still held");

      const second = await producer.init(context, t.self);
      producer.handleDemand(10, second, t.self);
      const recovered = await pump(second, (out) => out.length >= 10);
      // The only stage: its session closed with it, and the new one holds nothing. The 7 it
      // buffered are taken back at once, and so are the 3 it emitted (a crash may have lost
      // them with the processors; if not, they are handled twice: at least once).
      assert.deepEqual(
        recovered.map((m) => m.metadata.deliveryCount),
        Array(10).fill(2),
        "taken back without waiting for minIdle",
      );
      assert.equal(producer.counters.recovered, 10);
      // A message of the closed session is acknowledged through the open one.
      const acknowledger = (emitted[0] as Message).acknowledger;
      acknowledger.ack((emitted[0] as Message).ackRef, emitted, []);
      await t.clock.advance(10);
      assert.equal(redis.count("ack"), 1);
      assert.equal(producer.counters.acked, 3);
      assert.equal(producer.counters.ackFailures, 0);
      await producer.terminate?.("normal", second, t.self);
    }),
  );

  test(
    "the acknowledgements of one run go in one XACK, sent at its end, with the discards; terminate waits for it",
    withRuntime(async (t) => {
      const redis = new FakeRedis();
      redis.addMany(6);
      const producer = createRedisProducer<Fields>(
        config({ onFailure: "discard" }),
        async () => redis,
      );
      const state = await producer.init({ pipeline: "p", index: 0, concurrency: 1 }, t.self);
      producer.handleDemand(6, state, t.self);
      const emitted = await pumpStage(t, producer, state, (out) => out.length >= 6);
      assert.equal(emitted.length, 6);
      const [a, b, c, d, e, f] = emitted as [Message, Message, Message, Message, Message, Message];
      const { acknowledger, ackRef } = a;
      acknowledger.ack(ackRef, [a, b], []);
      acknowledger.ack(ackRef, [c], [d.fail("bad")]);
      assert.equal(redis.count("ack"), 0, "sent at the end of the run, not at each call");
      await Promise.resolve();
      assert.equal(redis.count("ack"), 1);
      assert.deepEqual(
        redis.calls.find((call) => call.command === "ack")?.args[0],
        ids([a, b, c, d]),
      );
      acknowledger.ack(ackRef, [e, f], []);
      // The XACK still to send is waited for.
      await producer.terminate?.("normal", state, t.self);
      assert.equal(redis.count("ack"), 2);
      assert.equal(producer.counters.acked, 5);
      assert.equal(producer.counters.discarded, 1);
      assert.deepEqual(redis.pendingIds(), []);
    }),
  );
});

describe("redisProducer options", () => {
  const invalid = (options: unknown): string => {
    try {
      redisProducer(options as Parameters<typeof redisProducer>[0]);
    } catch (error) {
      assert.ok(isBeamishError(error, "ERR_INVALID_OPTIONS"), String(error));
      return error.message;
    }
    assert.fail("no error");
  };

  test("stream and group are required; unknown options are named with the known ones", () => {
    const message = invalid({ stream: "s", queue: "q" });
    assert.match(message, /invalid value for `group`: expected a group name, got undefined/);
    assert.match(message, /invalid value for `queue`: expected one of the options stream, group/);
  });

  test("numbers, the failure policy and the connection options are checked", () => {
    const message = invalid({
      stream: "s",
      group: "g",
      block: 0,
      minIdle: -1,
      onFailure: "requeue",
      connect: { attempts: 1.5, backoff: { min: 500, max: 100 } },
    });
    assert.match(message, /`block`: expected a positive integer, got 0/);
    assert.match(message, /`minIdle`: expected a positive integer, got -1/);
    assert.match(
      message,
      /`onFailure`: expected "retry", "discard" or \{ deadLetter, maxDeliveries \}, got "requeue"/,
    );
    assert.match(message, /`connect.attempts`: expected a positive integer, got 1.5/);
  });

  test("backoff min above max, and url with client, are cross-field errors; no password printed", () => {
    assert.match(
      invalid({ stream: "s", group: "g", connect: { backoff: { min: 500, max: 100 } } }),
      /`connect.backoff.min`: expected at most connect.backoff.max \(100\), got 500/,
    );
    const message = invalid({
      stream: "s",
      group: "g",
      url: "redis://user:secret@127.0.0.1:6379",
      client: { duplicate() {} },
    });
    assert.match(message, /`url`: expected no url when a client is given/);
    assert.doesNotMatch(message, /secret/);
  });

  test("a consumer name is generated when none is given, and kept when given", () => {
    const generated = redisProducer({ stream: "s", group: "g" });
    assert.match(generated.consumer, /^.+-\d+-[a-z0-9]+$/);
    assert.notEqual(redisProducer({ stream: "s", group: "g" }).consumer, generated.consumer);
    assert.equal(redisProducer({ stream: "s", group: "g", consumer: "w1" }).consumer, "w1");
  });

  test("a dead-letter policy takes maxDeliveries 3 by default and no other key", () => {
    assert.match(
      invalid({ stream: "s", group: "g", onFailure: { deadLetter: "d", max: 2 } }),
      /invalid value for `onFailure.max`: expected one of the options deadLetter, maxDeliveries, got 2/,
    );
    assert.doesNotThrow(() =>
      redisProducer({ stream: "s", group: "g", onFailure: { deadLetter: "d" } }),
    );
  });
});
