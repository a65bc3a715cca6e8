import assert from "node:assert/strict";
import { test } from "node:test";
import { GenStage, isAlive, isBeamishError, send } from "beamish";
import { assertReceive, withRuntime } from "beamish/testing";
import { counter, forwarder } from "./helpers.js";

test(
  "stream consumes a producer as an async iterable and ends when it ends normally",
  withRuntime(async () => {
    const source = await GenStage.fromIterable([1, 2, 3, 4, 5]);
    const got: number[] = [];
    for await (const n of GenStage.stream<number>([{ to: source, maxDemand: 2 }])) got.push(n);
    assert.deepEqual(got, [1, 2, 3, 4, 5]);
    assert.equal(isAlive(source), false);
  }),
);

test(
  "stream throws the reason of a producer that crashes",
  withRuntime(async () => {
    const producer = await GenStage.start(counter([], {}, 3), 0);
    const got: number[] = [];
    await assert.rejects(
      (async () => {
        for await (const n of GenStage.stream<number>([producer])) {
          got.push(n);
          if (n === 2) GenStage.stop(producer, new Error("source broke"));
        }
      })(),
      { message: "source broke" },
    );
    assert.deepEqual(got, [0, 1, 2]);
  }),
);

test(
  "leaving a stream early stops its consumer stage; the producer lives on",
  withRuntime(async ({ settle }) => {
    const producer = await GenStage.start(counter(), 0);
    const got: number[] = [];
    for await (const n of GenStage.stream<number>([{ to: producer, maxDemand: 10 }])) {
      got.push(n);
      if (got.length === 3) break;
    }
    await settle();
    assert.deepEqual(got, [0, 1, 2]);
    assert.equal(isAlive(producer), true);
  }),
);

test(
  "stream rejects bad subscriptions at once",
  withRuntime(() => {
    assert.throws(() => GenStage.stream([{ to: "x", maxDemand: 0 }]), {
      message: "invalid value for `subscriptions[0].maxDemand`: expected a positive integer, got 0",
    });
  }),
);

test(
  "fromIterable serves an async iterable, and permanent consumers stop normally at its end",
  withRuntime(async ({ self }) => {
    async function* letters() {
      yield "a";
      yield "b";
      yield "c";
    }
    const source = await GenStage.fromIterable(letters());
    const seen: string[] = [];
    const consumer = await GenStage.start(
      {
        init: () =>
          GenStage.consumer(undefined, {
            subscribeTo: [{ to: source, maxDemand: 2, minDemand: 0 }],
          }),
        handleEvents: (events: readonly string[]) => {
          seen.push(...events);
          return undefined;
        },
      },
      undefined,
    );
    const ref = self.monitor(consumer);
    const down = await assertReceive(self, (m) => (m as { ref?: unknown }).ref === ref);
    assert.equal((down as { reason: unknown }).reason, "normal");
    assert.deepEqual(seen, ["a", "b", "c"]);
  }),
);

test(
  "fromIterable rejects what is not iterable",
  withRuntime(async () => {
    await assert.rejects(GenStage.fromIterable(42 as never), (e: unknown) => {
      assert.ok(isBeamishError(e, "ERR_INVALID_ARGUMENT"));
      assert.equal(
        e.message,
        "invalid value for `iterable`: expected an iterable or an async iterable, got 42",
      );
      return true;
    });
  }),
);

test(
  "producer -> producer-consumer -> consumer: events transformed in order, demand bounded at each hop",
  withRuntime(async ({ self }) => {
    const demands: number[] = [];
    const producer = await GenStage.start(counter(demands, {}, 50), 0);
    const doubler = await GenStage.start(
      {
        init: () =>
          GenStage.producerConsumer(undefined, { subscribeTo: [{ to: producer, maxDemand: 8 }] }),
        handleEvents: (events: readonly number[], _from, state) =>
          GenStage.emit(
            events.map((n) => n * 2),
            state,
          ),
      },
      undefined,
    );
    const total: number[] = [];
    await GenStage.start(
      {
        init: () => GenStage.consumer(undefined, { subscribeTo: [{ to: doubler, maxDemand: 3 }] }),
        handleEvents: (events: readonly number[]) => {
          assert.ok(events.length <= 3);
          total.push(...events);
          if (total.length === 50) send(self.pid, "done");
          return undefined;
        },
      },
      undefined,
    );
    await assertReceive(self, "done");
    assert.deepEqual(
      total,
      Array.from({ length: 50 }, (_, i) => i * 2),
    );
    for (const d of demands) assert.ok(d <= 8);
  }),
);

test(
  "asyncSubscribe subscribes later; two consumers share one producer's events",
  withRuntime(async ({ self }) => {
    const producer = await GenStage.start(counter([], {}, 40), 0);
    const a = await GenStage.start(forwarder(self.pid), undefined);
    const b = await GenStage.start(forwarder(self.pid), undefined);
    GenStage.asyncSubscribe(a, { to: producer, maxDemand: 5 });
    await GenStage.syncSubscribe(b, { to: producer, maxDemand: 5 });
    const seen: number[] = [];
    while (seen.length < 40) {
      const m = (await assertReceive(self, (x) =>
        Array.isArray((x as { events?: unknown }).events),
      )) as {
        events: number[];
      };
      assert.ok(m.events.length <= 5);
      seen.push(...m.events);
    }
    assert.deepEqual(
      seen.sort((x, y) => x - y),
      Array.from({ length: 40 }, (_, i) => i),
    );
  }),
);
