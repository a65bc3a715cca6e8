import assert from "node:assert/strict";
import { test } from "node:test";
import { GenStage, reply, type StageDefinition, type SubscriptionOptions, send } from "beamish";
import { assertReceive, refuteReceive, withRuntime } from "beamish/testing";
import fc from "fast-check";
import { isBeamishError } from "../../src/kernel/errors.js";
import { Pid, Ref } from "../../src/kernel/pid.js";
import { BroadcastDispatcher } from "../../src/stage/broadcast-dispatcher.js";
import { NO_EVENTS, type Subscriber } from "../../src/stage/dispatcher.js";

interface Probe<T> extends Subscriber<T> {
  readonly received: T[][];
}

let next = 1;
function probe<T>(pid = new Pid(0, next)): Probe<T> {
  const received: T[][] = [];
  const id = next++;
  return {
    pid,
    ref: new Ref(0, id),
    received,
    send(events) {
      received.push([...events]);
    },
  };
}

const flat = <T>(p: Probe<T>): T[] => p.received.flat();

test("subscribe asks nothing; the producer is asked only what every subscriber asked", () => {
  const d = new BroadcastDispatcher<number>();
  const a = probe<number>();
  const b = probe<number>();
  assert.equal(d.subscribe(a, {}), 0);
  assert.equal(d.subscribe(b, {}), 0);
  assert.equal(d.ask(10, a), 0);
  assert.equal(d.ask(4, b), 4);
  assert.equal(d.ask(3, b), 3);
  assert.equal(d.ask(5, b), 3);
  assert.deepEqual(
    d.demands().map((x) => x.demand),
    [10, 12],
  );
});

test("dispatch sends the same events to every subscriber, up to the slowest one's demand", () => {
  const d = new BroadcastDispatcher<number>();
  const a = probe<number>();
  const b = probe<number>();
  d.subscribe(a, {});
  d.subscribe(b, {});
  d.ask(5, a);
  d.ask(2, b);
  const left = d.dispatch([1, 2, 3, 4], 4);
  assert.deepEqual(left, [3, 4]);
  assert.deepEqual(a.received, [[1, 2]]);
  assert.deepEqual(b.received, [[1, 2]]);
  assert.deepEqual(d.dispatch([3, 4], 2), [3, 4]);
  assert.equal(d.ask(2, b), 2);
  assert.equal(d.dispatch([3, 4], 2), NO_EVENTS);
  assert.deepEqual(flat(a), [1, 2, 3, 4]);
  assert.deepEqual(flat(b), [1, 2, 3, 4]);
});

test("without subscribers nothing is sent and every event is returned", () => {
  const d = new BroadcastDispatcher<number>();
  const events = [1, 2];
  assert.equal(d.dispatch(events, 2), events);
  const a = probe<number>();
  d.subscribe(a, {});
  d.ask(1, a);
  d.cancel(a);
  assert.equal(d.dispatch(events, 2), events);
});

test("a late subscriber must first ask for what the others already asked", () => {
  const d = new BroadcastDispatcher<string>();
  const a = probe<string>();
  const late = probe<string>();
  d.subscribe(a, {});
  assert.equal(d.ask(3, a), 3);
  d.subscribe(late, {});
  // The 3 events already asked for go to `a` and to `late` alike: `late` gets them only once it
  // has asked as much.
  assert.deepEqual(
    d.demands().map((x) => x.demand),
    [3, 0],
  );
  assert.equal(d.ask(5, late), 0);
  assert.equal(d.ask(2, a), 2);
  d.dispatch(["x", "y", "z", "w", "v"], 5);
  assert.deepEqual(flat(a), ["x", "y", "z", "w", "v"]);
  assert.deepEqual(flat(late), ["x", "y", "z", "w", "v"]);
});

test("cancelling the slowest subscriber frees what the others asked", () => {
  const d = new BroadcastDispatcher<number>();
  const fast = probe<number>();
  const slow = probe<number>();
  d.subscribe(fast, {});
  d.subscribe(slow, {});
  assert.equal(d.ask(10, fast), 0);
  assert.equal(d.ask(1, slow), 1);
  assert.equal(d.cancel(slow), 9);
  assert.equal(d.cancel(slow), 0);
  assert.equal(d.ask(1, slow), 0);
  d.dispatch([1, 2, 3], 3);
  assert.deepEqual(flat(fast), [1, 2, 3]);
  assert.deepEqual(slow.received, []);
});

test("a selector filters a subscriber's events; rejected events give its demand back", () => {
  const d = new BroadcastDispatcher<number>();
  const all = probe<number>();
  const even = probe<number>();
  d.subscribe(all, {});
  d.subscribe(even, { selector: (n) => n % 2 === 0 });
  d.ask(4, all);
  assert.equal(d.ask(4, even), 4);
  assert.equal(d.dispatch([1, 2, 3, 4], 4), NO_EVENTS);
  assert.deepEqual(flat(all), [1, 2, 3, 4]);
  assert.deepEqual(flat(even), [2, 4]);
  // `even` got 2 of the 4 it asked for: it can still take 2, `all` none.
  assert.deepEqual(
    d.demands().map((x) => x.demand),
    [0, 2],
  );
  assert.equal(d.takeDemand(), 0);
  assert.equal(d.ask(5, all), 2);
});

test("takeDemand asks for what a lone selective subscriber's selector rejected", () => {
  const d = new BroadcastDispatcher<number>();
  const even = probe<number>();
  d.subscribe(even, { selector: (n) => n % 2 === 0 });
  assert.equal(d.ask(4, even), 4);
  assert.equal(d.takeDemand(), 0);
  d.dispatch([1, 3, 5, 6], 4);
  assert.deepEqual(flat(even), [6]);
  assert.equal(d.takeDemand(), 3);
  assert.equal(d.takeDemand(), 0);
  // Nothing selected at all: no empty batch is sent.
  d.dispatch([7, 9, 11], 3);
  assert.deepEqual(even.received, [[6]]);
  assert.equal(d.takeDemand(), 3);
});

test("a selector that is not a function, and a second subscription of one process, are refused", () => {
  const d = new BroadcastDispatcher<number>();
  const a = probe<number>();
  assert.throws(
    () => d.subscribe(a, { selector: 3 as never }),
    (e) =>
      isBeamishError(e, "ERR_INVALID_ARGUMENT") &&
      e.message === "invalid value for `selector`: expected a function, got 3",
  );
  d.subscribe(a, {});
  const again = probe<number>(a.pid);
  assert.throws(
    () => d.subscribe(again, {}),
    (e) =>
      isBeamishError(e, "ERR_ALREADY_SUBSCRIBED") &&
      e.pid === a.pid &&
      e.message === `${a.pid} is already subscribed to this broadcast producer`,
  );
  assert.equal(d.demands().length, 1);
});

test("asks and cancels of unknown subscribers change nothing", () => {
  const d = new BroadcastDispatcher<number>();
  const a = probe<number>();
  d.subscribe(a, {});
  assert.equal(d.ask(5, probe<number>()), 0);
  assert.equal(d.cancel(probe<number>()), 0);
  assert.equal(d.ask(5, a), 5);
});

type Op =
  | { kind: "subscribe"; selective: boolean }
  | { kind: "ask"; who: number; count: number }
  | { kind: "cancel"; who: number }
  | { kind: "emit"; count: number }
  | { kind: "take" };

const ops = fc.array(
  fc.oneof(
    fc.record({ kind: fc.constant("subscribe" as const), selective: fc.boolean() }),
    fc.record({
      kind: fc.constant("ask" as const),
      who: fc.nat(5),
      count: fc.integer({ min: 1, max: 20 }),
    }),
    fc.record({ kind: fc.constant("cancel" as const), who: fc.nat(5) }),
    fc.record({ kind: fc.constant("emit" as const), count: fc.integer({ min: 1, max: 30 }) }),
    fc.record({ kind: fc.constant("take" as const) }),
  ),
  { maxLength: 60 },
);

test("property: no subscriber gets more than it asked; all see one sequence modulo selectors", () => {
  fc.assert(
    fc.property(ops, (script: Op[]) => {
      const d = new BroadcastDispatcher<number>();
      interface Sub {
        readonly probe: Probe<number>;
        readonly selector: ((n: number) => boolean) | undefined;
        asked: number;
        /** The emitted events it was subscribed for: `from` (inclusive) to `to` (exclusive). */
        readonly from: number;
        to: number | undefined;
      }
      const subs: Sub[] = [];
      let buffer: number[] = [];
      let sent = 0;
      let producerDemand = 0;
      const check = () => {
        for (const s of subs) {
          const got = flat(s.probe);
          const window = Array.from({ length: (s.to ?? sent) - s.from }, (_, i) => s.from + i);
          // The events sent since it subscribed, in order, filtered by its selector: all of them
          // or, while its demand is spent, the first ones.
          const expected = s.selector === undefined ? window : window.filter(s.selector);
          assert.deepEqual(got, expected.slice(0, got.length));
          assert.ok(got.length <= s.asked, `got ${got.length}, asked ${s.asked}`);
        }
        // Nobody is kept behind while it has demand.
        for (const { demand, behind } of d.demands()) assert.ok(behind === 0 || demand === 0);
      };
      const dispatch = () => {
        const before = buffer.length;
        buffer = [...d.dispatch(buffer, buffer.length)];
        sent += before - buffer.length;
        check();
      };
      for (const op of script) {
        switch (op.kind) {
          case "subscribe": {
            const selector = op.selective ? (n: number) => n % 3 !== 0 : undefined;
            const p = probe<number>();
            producerDemand += d.subscribe(p, selector === undefined ? {} : { selector });
            subs.push({ probe: p, selector, asked: 0, from: sent, to: undefined });
            break;
          }
          case "ask": {
            const s = subs[op.who];
            if (s === undefined || s.to !== undefined) break;
            s.asked += op.count;
            producerDemand += d.ask(op.count, s.probe);
            dispatch();
            break;
          }
          case "cancel": {
            const s = subs[op.who];
            if (s === undefined || s.to !== undefined) break;
            s.to = sent;
            producerDemand += d.cancel(s.probe);
            dispatch();
            break;
          }
          case "emit": {
            // A producer emits what it was asked for, and here sometimes more (kept in its buffer).
            const n = Math.min(op.count, producerDemand + 5);
            producerDemand = Math.max(0, producerDemand - n);
            for (let i = 0; i < n; i++) buffer.push(sent + buffer.length);
            dispatch();
            break;
          }
          case "take":
            producerDemand += d.takeDemand();
            dispatch();
            break;
        }
      }
    }),
  );
});

test("property: the producer is asked exactly what the slowest subscriber asked", () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.nat(3), fc.integer({ min: 1, max: 50 })), { maxLength: 40 }),
      (asks) => {
        const d = new BroadcastDispatcher<number>();
        const subs = [probe<number>(), probe<number>(), probe<number>(), probe<number>()];
        for (const s of subs) d.subscribe(s, {});
        const asked = [0, 0, 0, 0];
        let demand = 0;
        for (const [who, count] of asks) {
          asked[who] = (asked[who] as number) + count;
          demand += d.ask(count, subs[who] as Probe<number>);
          assert.equal(demand, Math.min(...asked));
        }
      },
    ),
  );
});

// ---- with real stages ------------------------------------------------------------------------

/**
 * A producer of 0..limit-1 through a BroadcastDispatcher, then nothing. It holds demand until
 * `GenStage.demand(producer, "forward")`, so that every consumer has subscribed before the first
 * event goes out (a broadcast reaches only the consumers subscribed at the time).
 */
function numbers(limit: number): StageDefinition<never, number, number, undefined> {
  return {
    init: () =>
      GenStage.producer(0, { dispatcher: new BroadcastDispatcher<number>(), demand: "accumulate" }),
    handleDemand: (demand, next) => {
      const count = Math.max(0, Math.min(demand, limit - next));
      return GenStage.emit(
        Array.from({ length: count }, (_, i) => next + i),
        next + count,
      );
    },
  };
}

/** A consumer collecting its events, telling `to` `{ tag, done: events }` once it has `expect`. */
function collector(
  to: Pid,
  tag: string,
  expect: number,
  subscription: Omit<SubscriptionOptions<number>, "to">,
  producer: Pid,
): StageDefinition<number, never, number[], undefined> {
  return {
    init: () => GenStage.consumer([], { subscribeTo: [{ to: producer, ...subscription }] }),
    handleCancel: (cancel, _from, seen) => {
      send(to, { tag, cancel });
      return seen;
    },
    handleEvents: (events, _from, seen) => {
      const all = [...seen, ...events];
      if (all.length >= expect) send(to, { tag, done: all });
      return all;
    },
  };
}

test(
  "stages: every consumer gets every event, in order, at the slowest one's pace",
  withRuntime(async ({ self }) => {
    const producer = await GenStage.start(numbers(50), undefined);
    await GenStage.start(collector(self.pid, "fast", 50, { maxDemand: 20 }, producer), undefined);
    await GenStage.start(
      collector(self.pid, "slow", 50, { maxDemand: 3, minDemand: 1 }, producer),
      undefined,
    );
    GenStage.demand(producer, "forward");
    const all = Array.from({ length: 50 }, (_, i) => i);
    const fast = await assertReceive<{ done: number[] }>(self, { tag: "fast" });
    const slow = await assertReceive<{ done: number[] }>(self, { tag: "slow" });
    assert.deepEqual(fast.done, all);
    assert.deepEqual(slow.done, all);
  }),
);

test(
  "stages: a selective consumer gets only the events its selector accepts",
  withRuntime(async ({ self }) => {
    const producer = await GenStage.start(numbers(40), undefined);
    await GenStage.start(collector(self.pid, "all", 40, { maxDemand: 10 }, producer), undefined);
    await GenStage.start(
      collector(self.pid, "tens", 4, { maxDemand: 10, selector: (n) => n % 10 === 0 }, producer),
      undefined,
    );
    GenStage.demand(producer, "forward");
    assert.deepEqual(
      (await assertReceive<{ done: number[] }>(self, { tag: "tens" })).done,
      [0, 10, 20, 30],
    );
    assert.equal((await assertReceive<{ done: number[] }>(self, { tag: "all" })).done.length, 40);
  }),
);

test(
  "stages: a consumer subscribing twice to a broadcast producer is refused",
  withRuntime(async ({ self }) => {
    const producer = await GenStage.start(numbers(10), undefined);
    const consumer = await GenStage.start(
      collector(self.pid, "c", 10, { maxDemand: 5 }, producer),
      undefined,
    );
    await GenStage.syncSubscribe(consumer, { to: producer, cancel: "temporary" });
    const { cancel } = await assertReceive<{ cancel: { reason: unknown } }>(self, { tag: "c" });
    assert.ok(isBeamishError(cancel.reason, "ERR_ALREADY_SUBSCRIBED"));
    assert.ok(cancel.reason.pid.equals(consumer));
    // The first subscription goes on.
    GenStage.demand(producer, "forward");
    assert.equal((await assertReceive<{ done: number[] }>(self, { tag: "c" })).done.length, 10);
  }),
);

test(
  "stages: a lone consumer whose selector rejects most events is not left waiting",
  withRuntime(async ({ self }) => {
    const producer = await GenStage.start(numbers(100), undefined);
    await GenStage.start(
      collector(
        self.pid,
        "sevens",
        3,
        { maxDemand: 4, minDemand: 0, selector: (n) => n % 7 === 0 && n > 0 },
        producer,
      ),
      undefined,
    );
    GenStage.demand(producer, "forward");
    // Sends that meet in the consumer's mailbox may arrive as one batch: [21, 28] after [14].
    const { done } = await assertReceive<{ done: number[] }>(self, { tag: "sevens" });
    assert.deepEqual(done.slice(0, 3), [7, 14, 21], "the first three multiples of 7, in order");
    assert.ok(
      done.every((n, i) => n === 7 * (i + 1)),
      `only multiples of 7, in order: ${done}`,
    );
  }),
);

test(
  "stages: a producer whose events are all rejected goes on one mailbox turn at a time",
  withRuntime(async ({ self }) => {
    // Endless, and nothing it makes is selected: each round of demand it frees is asked again.
    const producer = await GenStage.start<never, number, number, undefined>(
      {
        init: () => GenStage.producer(0, { dispatcher: new BroadcastDispatcher<number>() }),
        handleDemand: (demand, rounds) => GenStage.emit(Array(demand).fill(1), rounds + 1),
        handleCall: (_request, _arg, _from, rounds) => reply(rounds, rounds),
      },
      undefined,
    );
    const consumer = await GenStage.start(
      collector(self.pid, "none", 1, { maxDemand: 3, selector: () => false }, producer),
      undefined,
    );
    // The producer still answers calls: it is not stuck in one message.
    const first = await GenStage.call<number>(producer, "rounds");
    const later = await GenStage.call<number>(producer, "rounds");
    assert.ok(first >= 1, `rounds: ${first}`);
    assert.ok(later > first, `rounds: ${first}, then ${later}`);
    await GenStage.stop(consumer);
    // With its only subscriber gone nothing is freed any more: the producer comes to rest.
    const rested = await GenStage.call<number>(producer, "rounds");
    assert.equal(await GenStage.call<number>(producer, "rounds"), rested);
    await refuteReceive(self, { tag: "none" });
  }),
);

test(
  "stages: a broadcasting producer-consumer's selective consumer is not left waiting either",
  withRuntime(async ({ self }) => {
    const producer = await GenStage.start(numbers(200), undefined);
    const doubler = await GenStage.start<number, number, undefined, undefined>(
      {
        init: () =>
          GenStage.producerConsumer(undefined, {
            dispatcher: new BroadcastDispatcher<number>(),
            subscribeTo: [{ to: producer, maxDemand: 10 }],
          }),
        handleEvents: (events) =>
          GenStage.emit(
            events.map((n) => n * 2),
            undefined,
          ),
      },
      undefined,
    );
    await GenStage.start(
      collector(
        self.pid,
        "hundreds",
        3,
        { maxDemand: 2, minDemand: 0, selector: (n) => n % 100 === 0 && n > 0 },
        doubler,
      ),
      undefined,
    );
    GenStage.demand(producer, "forward");
    assert.deepEqual(
      (await assertReceive<{ done: number[] }>(self, { tag: "hundreds" })).done,
      [100, 200, 300],
    );
  }),
);

test("a subscriber that comes while events are under way gets them from the backlog as it asks", () => {
  const d = new BroadcastDispatcher<number>();
  const a = probe<number>();
  const late = probe<number>();
  d.subscribe(a, {});
  assert.equal(d.ask(3, a), 3);
  d.subscribe(late, {});
  d.dispatch([1], 1);
  assert.deepEqual(flat(a), [1]);
  assert.deepEqual(late.received, []);
  assert.deepEqual(
    d.demands().map(({ demand, behind }) => [demand, behind]),
    [
      [2, 0],
      [0, 1],
    ],
  );
  assert.equal(d.ask(1, late), 0);
  assert.deepEqual(late.received, [[1]]);
  d.dispatch([2, 3], 2);
  assert.deepEqual(flat(a), [1, 2, 3]);
  assert.deepEqual(flat(late), [1]);
  // `a` has nothing left to ask for; `late` has 2 events waiting for it.
  assert.equal(d.ask(5, a), 0);
  assert.equal(d.ask(2, late), 0);
  assert.deepEqual(flat(late), [1, 2, 3]);
  assert.equal(d.ask(5, late), 5);
  d.dispatch([4, 5, 6, 7, 8], 5);
  assert.deepEqual(flat(a), [1, 2, 3, 4, 5, 6, 7, 8]);
  assert.deepEqual(flat(late), [1, 2, 3, 4, 5, 6, 7, 8]);
});
