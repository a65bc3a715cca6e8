import assert from "node:assert/strict";
import { test } from "node:test";
import { GenStage, type StageDefinition, send } from "beamish";
import { assertReceive, withRuntime } from "beamish/testing";
import fc from "fast-check";
import { isBeamishError } from "../../src/kernel/errors.js";
import { Pid, Ref } from "../../src/kernel/pid.js";
import { NO_EVENTS, type Subscriber } from "../../src/stage/dispatcher.js";
import { hashEvent } from "../../src/stage/event-hash.js";
import { PartitionDispatcher } from "../../src/stage/partition-dispatcher.js";

interface Probe<T> extends Subscriber<T> {
  readonly received: T[][];
}

let next = 1;
function probe<T>(): Probe<T> {
  const received: T[][] = [];
  const id = next++;
  return {
    pid: new Pid(0, id),
    ref: new Ref(0, id),
    received,
    send(events) {
      assert.ok(events.length > 0, "a batch is never empty");
      received.push([...events]);
    },
  };
}

const flat = <T>(p: Probe<T>): T[] => p.received.flat();

const invalid = (message: string) => (e: unknown) =>
  isBeamishError(e, "ERR_INVALID_ARGUMENT") && e.message === message;

test("each event goes to its partition's subscriber, in order, up to its demand", () => {
  const d = new PartitionDispatcher<number>({
    partitions: ["odd", "even"],
    hash: (n) => (n % 2 ? "odd" : "even"),
  });
  const odd = probe<number>();
  const even = probe<number>();
  assert.equal(d.subscribe(odd, { partition: "odd" }), 0);
  assert.equal(d.subscribe(even, { partition: "even" }), 0);
  assert.equal(d.ask(2, odd), 2);
  assert.equal(d.ask(10, even), 10);
  assert.equal(d.dispatch([1, 2, 3, 4, 5, 6], 6), NO_EVENTS);
  assert.deepEqual(odd.received, [[1, 3]]);
  assert.deepEqual(even.received, [[2, 4, 6]]);
  // 5 waits in the odd partition until `odd` asks again.
  assert.deepEqual(d.state(), [
    { partition: "odd", demand: 0, queued: 1, subscribed: true },
    { partition: "even", demand: 7, queued: 0, subscribed: true },
  ]);
  assert.equal(d.ask(3, odd), 3);
  assert.deepEqual(odd.received, [[1, 3], [5]]);
  d.dispatch([7, 9, 11], 3);
  assert.deepEqual(flat(odd), [1, 3, 5, 7, 9]);
  assert.deepEqual(d.state()[0], { partition: "odd", demand: 0, queued: 1, subscribed: true });
});

test("the producer is asked for the total demand; events beyond it are returned", () => {
  const d = new PartitionDispatcher<number>({ partitions: 2, hash: (n) => n % 2 });
  const a = probe<number>();
  const b = probe<number>();
  d.subscribe(a, { partition: 0 });
  d.subscribe(b, { partition: 1 });
  assert.equal(d.ask(2, a) + d.ask(1, b), 3);
  assert.deepEqual(d.dispatch([0, 2, 4, 6, 1], 5), [6, 1]);
  assert.deepEqual(flat(a), [0, 2]);
  // 4 is queued in partition 0 (it came within the demand), 6 and 1 go back to the producer.
  assert.deepEqual(
    d.state().map((p) => p.queued),
    [1, 0],
  );
  assert.deepEqual(d.dispatch([6, 1], 2), [6, 1]);
});

test("events of a partition without subscriber wait for the one that subscribes", () => {
  const d = new PartitionDispatcher<string>({
    partitions: 2,
    hash: (s) => (s.startsWith("a") ? 0 : 1),
  });
  const b = probe<string>();
  d.subscribe(b, { partition: 1 });
  d.ask(4, b);
  d.dispatch(["a1", "b1", "a2", "b2"], 4);
  assert.deepEqual(flat(b), ["b1", "b2"]);
  const a = probe<string>();
  d.subscribe(a, { partition: 0 });
  assert.deepEqual(a.received, []);
  d.ask(1, a);
  assert.deepEqual(a.received, [["a1"]]);
  d.ask(5, a);
  assert.deepEqual(flat(a), ["a1", "a2"]);
});

test("a cancelled subscriber's queue stays for the next one; its demand is not asked twice", () => {
  const d = new PartitionDispatcher<number>({ partitions: 1 });
  const first = probe<number>();
  d.subscribe(first, { partition: 0 });
  assert.equal(d.ask(3, first), 3);
  d.dispatch([1, 2], 2);
  assert.equal(d.cancel(first), 0);
  assert.equal(d.cancel(first), 0);
  // The producer still owes 1 event for `first`: the next ask counts it.
  const second = probe<number>();
  d.subscribe(second, { partition: 0 });
  assert.equal(d.ask(2, second), 1);
  d.dispatch([3, 4], 2);
  assert.deepEqual(flat(second), [3, 4]);

  const third = probe<number>();
  d.cancel(second);
  d.subscribe(third, { partition: 0 });
  d.ask(1, third);
  d.dispatch([5], 1);
  d.dispatch([6], 1);
  d.cancel(third);
  const fourth = probe<number>();
  d.subscribe(fourth, { partition: 0 });
  assert.equal(d.ask(5, fourth), 5);
  assert.deepEqual(flat(third), [5]);
  assert.equal(d.dispatch([6, 7], 2), NO_EVENTS);
  assert.deepEqual(flat(fourth), [6, 7]);
});

test("the default routes by a stable hash of the event; `key` by a stable hash of the key", () => {
  const d = new PartitionDispatcher<{ user: string; n: number }>({
    partitions: 3,
    key: (e) => e.user,
  });
  const subs = [
    probe<{ user: string; n: number }>(),
    probe<{ user: string; n: number }>(),
    probe<{ user: string; n: number }>(),
  ];
  subs.forEach((s, partition) => {
    d.subscribe(s, { partition });
    d.ask(100, s);
  });
  const events = ["ann", "bob", "cyd", "dan", "ann", "bob"].map((user, n) => ({ user, n }));
  d.dispatch(events, events.length);
  for (const [partition, s] of subs.entries()) {
    for (const e of flat(s)) assert.equal(hashEvent(e.user) % 3, partition);
  }
  const anns = subs.find((s) => flat(s).some((e) => e.user === "ann")) as Probe<{
    user: string;
    n: number;
  }>;
  assert.deepEqual(
    flat(anns)
      .filter((e) => e.user === "ann")
      .map((e) => e.n),
    [0, 4],
  );

  const byEvent = new PartitionDispatcher<number>({ partitions: 4 });
  const p = probe<number>();
  const target = hashEvent(42) % 4;
  byEvent.subscribe(p, { partition: target });
  byEvent.ask(1, p);
  byEvent.dispatch([42], 1);
  assert.deepEqual(flat(p), [42]);
});

test("hashEvent is structural and stable", () => {
  assert.equal(hashEvent({ a: 1, b: [2, "x"] }), hashEvent({ b: [2, "x"], a: 1 }));
  assert.notEqual(hashEvent("1"), hashEvent(1));
  assert.notEqual(hashEvent([1, 2]), hashEvent([2, 1]));
  assert.equal(hashEvent(-0), hashEvent(0));
  assert.equal(hashEvent("user:42"), 3522428907);
  assert.throws(
    () => hashEvent({ at: new Date(0) }, "key(event)"),
    invalid(
      "invalid value for `key(event).at`: expected a string, number, bigint, boolean, null, undefined, or an array or plain object of these, got a Date instance",
    ),
  );
});

test("bad options are refused with the option's path", () => {
  const make = (options: unknown) => () => new PartitionDispatcher(options as never);
  assert.throws(
    make({}),
    invalid(
      "invalid value for `partitionDispatcher.partitions`: expected a positive integer or a non-empty array of distinct partition names (strings or numbers), got undefined",
    ),
  );
  assert.throws(make({ partitions: 0 }), /partitions`: expected a positive integer/);
  assert.throws(make({ partitions: ["a", "a"] }), /partitions`: expected/);
  assert.throws(make({ partitions: [] }), /partitions`: expected/);
  assert.throws(
    make({ partitions: 2, hash: 1 }),
    invalid("invalid value for `partitionDispatcher.hash`: expected a function, got 1"),
  );
  assert.throws(
    make({ partitions: 2, key: (e: unknown) => e, hash: (e: unknown) => e }),
    invalid(
      "invalid value for `partitionDispatcher.hash`: expected no `hash` when `key` is given, got function hash",
    ),
  );
});

test("a missing, unknown or taken partition in subscribe is refused", () => {
  const d = new PartitionDispatcher<number>({ partitions: 2 });
  const a = probe<number>();
  assert.throws(
    () => d.subscribe(a, {}),
    invalid("invalid value for `partition`: expected one of the partitions 0, 1, got undefined"),
  );
  assert.throws(
    () => d.subscribe(a, { partition: "0" }),
    invalid('invalid value for `partition`: expected one of the partitions 0, 1, got "0"'),
  );
  d.subscribe(a, { partition: 1 });
  const b = probe<number>();
  assert.throws(
    () => d.subscribe(b, { partition: 1 }),
    (e) =>
      isBeamishError(e, "ERR_PARTITION_TAKEN") &&
      e.partition === 1 &&
      e.holder === a.pid &&
      e.message === `partition 1 is already taken by ${a.pid}`,
  );
  d.cancel(a);
  assert.equal(d.subscribe(b, { partition: 1 }), 0);
});

test("a hash returning an unknown partition throws and leaves the dispatcher unchanged", () => {
  const d = new PartitionDispatcher<number>({
    partitions: ["x", "y"],
    hash: (n) => (n < 10 ? "x" : "z"),
  });
  const x = probe<number>();
  d.subscribe(x, { partition: "x" });
  d.ask(5, x);
  assert.throws(
    () => d.dispatch([1, 2, 30], 3),
    invalid('invalid value for `hash(event)`: expected one of the partitions "x", "y", got "z"'),
  );
  assert.deepEqual(x.received, []);
  assert.equal(d.dispatch([1, 2], 2), NO_EVENTS);
  assert.deepEqual(flat(x), [1, 2]);
  const many = new PartitionDispatcher<number>({ partitions: 12, hash: () => 12 });
  const s = probe<number>();
  many.subscribe(s, { partition: 0 });
  many.ask(1, s);
  assert.throws(
    () => many.dispatch([1], 1),
    invalid(
      "invalid value for `hash(event)`: expected one of the partitions 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, …, got 12",
    ),
  );
});

type Op =
  | { kind: "subscribe"; partition: number }
  | { kind: "ask"; partition: number; count: number }
  | { kind: "cancel"; partition: number }
  | { kind: "emit"; keys: number[] };

test("property: every event once, to its partition, in order, never above demand, none lost", () => {
  const PARTITIONS = 3;
  fc.assert(
    fc.property(
      fc.array(
        fc.oneof(
          fc.record({ kind: fc.constant("subscribe" as const), partition: fc.nat(PARTITIONS - 1) }),
          fc.record({
            kind: fc.constant("ask" as const),
            partition: fc.nat(PARTITIONS - 1),
            count: fc.integer({ min: 1, max: 10 }),
          }),
          fc.record({ kind: fc.constant("cancel" as const), partition: fc.nat(PARTITIONS - 1) }),
          fc.record({
            kind: fc.constant("emit" as const),
            keys: fc.array(fc.nat(7), { maxLength: 15 }),
          }),
        ),
        { maxLength: 80 },
      ),
      (script: Op[]) => {
        const d = new PartitionDispatcher<{ key: number; seq: number }>({
          partitions: PARTITIONS,
          hash: (e) => e.key % PARTITIONS,
        });
        interface Sub {
          probe: Probe<{ key: number; seq: number }>;
          asked: number;
        }
        const current: Array<Sub | undefined> = Array.from({ length: PARTITIONS }, () => undefined);
        const all: Array<{ sub: Sub; partition: number }> = [];
        let buffer: Array<{ key: number; seq: number }> = [];
        let seq = 0;
        let producerDemand = 0;
        let totalAsked = 0;
        let emitted = 0;
        const dispatch = () => {
          const before = buffer.length;
          buffer = [...d.dispatch(buffer, buffer.length)];
          emitted += before - buffer.length;
          // The dispatcher takes no more events than were asked for in total.
          assert.ok(emitted <= totalAsked);
          for (const { sub } of all) assert.ok(flat(sub.probe).length <= sub.asked);
        };
        for (const op of script) {
          const sub = op.kind === "emit" ? undefined : current[op.partition];
          switch (op.kind) {
            case "subscribe":
              if (sub !== undefined) break;
              current[op.partition] = { probe: probe(), asked: 0 };
              d.subscribe((current[op.partition] as Sub).probe, { partition: op.partition });
              all.push({ sub: current[op.partition] as Sub, partition: op.partition });
              break;
            case "ask":
              if (sub === undefined) break;
              sub.asked += op.count;
              totalAsked += op.count;
              producerDemand += d.ask(op.count, sub.probe);
              assert.ok(flat(sub.probe).length <= sub.asked);
              dispatch();
              break;
            case "cancel":
              if (sub === undefined) break;
              producerDemand += d.cancel(sub.probe);
              current[op.partition] = undefined;
              break;
            case "emit":
              // Sometimes more than asked: the producer keeps the rest in its buffer.
              for (const key of op.keys) buffer.push({ key, seq: seq++ });
              dispatch();
              break;
          }
        }
        // The producer was asked for no more than the subscribers asked.
        assert.ok(producerDemand <= totalAsked);
        // Drain: a subscriber on every partition asking for everything.
        for (let partition = 0; partition < PARTITIONS; partition++) {
          let sub = current[partition];
          if (sub === undefined) {
            sub = { probe: probe(), asked: 0 };
            d.subscribe(sub.probe, { partition });
            all.push({ sub, partition });
          }
          sub.asked += 1000;
          totalAsked += 1000;
          producerDemand += d.ask(1000, sub.probe);
        }
        dispatch();
        assert.deepEqual(buffer, []);
        assert.ok(producerDemand <= totalAsked);
        const delivered: number[] = [];
        for (const { sub, partition } of all) {
          for (const e of flat(sub.probe)) {
            assert.equal(e.key % PARTITIONS, partition);
            delivered.push(e.seq);
          }
        }
        // Exactly once each.
        assert.deepEqual(
          delivered.toSorted((a, b) => a - b),
          Array.from({ length: seq }, (_, i) => i),
        );
        // In order per partition, across the subscribers that held it in turn.
        for (let partition = 0; partition < PARTITIONS; partition++) {
          const seqs = all
            .filter((s) => s.partition === partition)
            .flatMap((s) => flat(s.sub.probe).map((e) => e.seq));
          assert.deepEqual(
            seqs,
            seqs.toSorted((a, b) => a - b),
          );
        }
      },
    ),
  );
});

// ---- with real stages ------------------------------------------------------------------------

interface Order {
  readonly user: string;
  readonly seq: number;
}

const USERS = ["ann", "bob", "cyd", "dan", "eve"];

/** `limit` orders, users round-robin, through a PartitionDispatcher keyed by user; held until forwarded. */
function orders(
  limit: number,
  partitions: number,
): StageDefinition<never, Order, number, undefined> {
  return {
    init: () =>
      GenStage.producer(0, {
        dispatcher: new PartitionDispatcher<Order>({ partitions, key: (o) => o.user }),
        demand: "accumulate",
      }),
    handleDemand: (demand, next) => {
      const count = Math.max(0, Math.min(demand, limit - next));
      const events = Array.from({ length: count }, (_, i) => ({
        user: USERS[(next + i) % USERS.length] as string,
        seq: next + i,
      }));
      return GenStage.emit(events, next + count);
    },
  };
}

function partitionConsumer(
  to: Pid,
  producer: Pid,
  partition: unknown,
  maxDemand: number,
): StageDefinition<Order, never, undefined, undefined> {
  return {
    init: () =>
      GenStage.consumer(undefined, {
        subscribeTo: [{ to: producer, partition, maxDemand, cancel: "temporary" }],
      }),
    handleEvents: (events) => {
      send(to, { partition, events: [...events] });
      return undefined;
    },
    handleCancel: (cancel) => {
      send(to, { partition, cancel });
      return undefined;
    },
  };
}

test(
  "stages: each consumer gets exactly its partition's events, in order per key",
  withRuntime(async ({ self, settle }) => {
    const producer = await GenStage.start(orders(60, 3), undefined);
    for (const [partition, maxDemand] of [
      [0, 2],
      [1, 5],
      [2, 50],
    ] as const) {
      await GenStage.start(partitionConsumer(self.pid, producer, partition, maxDemand), undefined);
    }
    GenStage.demand(producer, "forward");
    const got = new Map<number, Order[]>([
      [0, []],
      [1, []],
      [2, []],
    ]);
    let total = 0;
    while (total < 60) {
      const m = await assertReceive<{ partition: number; events: Order[] }>(
        self,
        (x) => "events" in (x as object),
      );
      (got.get(m.partition) as Order[]).push(...m.events);
      total += m.events.length;
    }
    await settle();
    const seqs: number[] = [];
    for (const [partition, events] of got) {
      for (const e of events) assert.equal(hashEvent(e.user) % 3, partition);
      for (const user of USERS) {
        const mine = events.filter((e) => e.user === user).map((e) => e.seq);
        assert.deepEqual(
          mine,
          mine.toSorted((a, b) => a - b),
        );
      }
      seqs.push(...events.map((e) => e.seq));
    }
    assert.deepEqual(
      seqs.toSorted((a, b) => a - b),
      Array.from({ length: 60 }, (_, i) => i),
    );
  }),
);

test(
  "stages: a subscription to an unknown or taken partition is cancelled with the error",
  withRuntime(async ({ self }) => {
    const producer = await GenStage.start(orders(10, 2), undefined);
    await GenStage.start(partitionConsumer(self.pid, producer, 7, 5), undefined);
    const unknown = await assertReceive<{ cancel: { reason: unknown } }>(self, { partition: 7 });
    assert.ok(isBeamishError(unknown.cancel.reason, "ERR_INVALID_ARGUMENT"));
    assert.equal(
      unknown.cancel.reason.message,
      "invalid value for `partition`: expected one of the partitions 0, 1, got 7",
    );
    const first = await GenStage.start(partitionConsumer(self.pid, producer, 1, 5), undefined);
    await GenStage.start(partitionConsumer(self.pid, producer, 1, 5), undefined);
    const taken = await assertReceive<{ cancel: { reason: unknown } }>(self, { partition: 1 });
    assert.ok(isBeamishError(taken.cancel.reason, "ERR_PARTITION_TAKEN"));
    assert.ok(taken.cancel.reason.holder.equals(first));
  }),
);

test("info waits until every event queued before it, in every partition, went out", () => {
  const d = new PartitionDispatcher<number>({
    partitions: ["odd", "even"],
    hash: (n) => (n % 2 ? "odd" : "even"),
  });
  const odd = probe<number>();
  const even = probe<number>();
  d.subscribe(odd, { partition: "odd" });
  d.subscribe(even, { partition: "even" });
  const delivered: unknown[] = [];
  const record = (m: unknown) => {
    delivered.push(m);
  };
  d.info("first", record);
  assert.deepEqual(delivered, ["first"], "nothing queued: at once");
  d.ask(1, odd);
  d.ask(3, even);
  d.dispatch([1, 3, 5, 2], 4); // 1 and 2 go out; 3 and 5 wait in "odd"
  d.info("second", record);
  assert.deepEqual(delivered, ["first"]);
  d.ask(1, odd); // 3 goes; 5 is still queued before the info
  assert.deepEqual(delivered, ["first"]);
  d.ask(1, odd); // 5 goes
  assert.deepEqual(delivered, ["first", "second"]);
  assert.deepEqual(flat(odd), [1, 3, 5]);
  assert.deepEqual(flat(even), [2]);
});
