import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { Pid, Ref } from "../../src/kernel/pid.js";
import { DemandDispatcher, NO_EVENTS, type Subscriber } from "../../src/stage/dispatcher.js";

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
      received.push([...events]);
    },
  };
}

test("subscribe and cancel ask nothing upstream", () => {
  const d = new DemandDispatcher<number>();
  const a = probe<number>();
  assert.equal(d.subscribe(a, {}), 0);
  assert.equal(d.cancel(a), 0);
  assert.equal(d.cancel(a), 0);
});

test("ask passes the demand on; dispatch sends up to it and returns the rest", () => {
  const d = new DemandDispatcher<number>();
  const a = probe<number>();
  d.subscribe(a, {});
  assert.equal(d.ask(3, a), 3);
  const left = d.dispatch([1, 2, 3, 4, 5], 5);
  assert.deepEqual(a.received, [[1, 2, 3]]);
  assert.deepEqual(left, [4, 5]);
  assert.deepEqual(d.dispatch([6], 1), [6]);
});

test("a batch that fits is handed over by reference", () => {
  const d = new DemandDispatcher<number>();
  let got: readonly number[] | undefined;
  const a: Subscriber<number> = {
    pid: new Pid(0, 900),
    ref: new Ref(0, 900),
    send: (events) => {
      got = events;
    },
  };
  d.subscribe(a, {});
  d.ask(10, a);
  const events = [1, 2, 3];
  assert.equal(d.dispatch(events, 3), NO_EVENTS);
  assert.equal(got, events);
});

test("events go to the subscriber with the most demand; equal demands take turns", () => {
  const d = new DemandDispatcher<number>();
  const a = probe<number>();
  const b = probe<number>();
  d.subscribe(a, {});
  d.subscribe(b, {});
  d.ask(2, a);
  d.ask(5, b);
  d.dispatch([1, 2, 3], 3);
  assert.deepEqual(b.received, [[1, 2, 3]]);
  // b has 2 left, a has 2: a reached 2 first, so a goes first
  d.dispatch([4, 5, 6, 7], 4);
  assert.deepEqual(a.received, [[4, 5]]);
  assert.deepEqual(b.received, [
    [1, 2, 3],
    [6, 7],
  ]);
  assert.deepEqual(d.dispatch([8], 1), [8]);
});

test("two subscribers with equal demand share batches in turn", () => {
  const d = new DemandDispatcher<number>();
  const a = probe<number>();
  const b = probe<number>();
  d.subscribe(a, {});
  d.subscribe(b, {});
  d.ask(4, a);
  d.ask(4, b);
  d.dispatch([1, 2], 2);
  d.dispatch([3, 4], 2);
  assert.deepEqual(a.received, [[1, 2]]);
  assert.deepEqual(b.received, [[3, 4]]);
});

test("a cancelled subscription's unmet demand covers the next asks", () => {
  const d = new DemandDispatcher<number>();
  const a = probe<number>();
  const b = probe<number>();
  d.subscribe(a, {});
  d.subscribe(b, {});
  assert.equal(d.ask(10, a), 10);
  d.dispatch([1, 2, 3], 3);
  assert.equal(d.cancel(a), 0); // 7 asked upstream and never met
  assert.equal(d.ask(5, b), 0);
  assert.equal(d.ask(5, b), 3);
  assert.equal(d.ask(5, b), 5);
});

test("asks and cancels from an unknown subscriber change nothing", () => {
  const d = new DemandDispatcher<number>();
  const a = probe<number>();
  assert.equal(d.ask(5, a), 0);
  assert.deepEqual(d.dispatch([1], 1), [1]);
});

test("property: no subscriber gets more than it asked, nothing is lost or reordered, upstream demand covers what was sent", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 4 }),
      fc.array(
        fc.oneof(
          fc.record({
            op: fc.constant("ask" as const),
            who: fc.nat(3),
            n: fc.integer({ min: 1, max: 20 }),
          }),
          fc.record({ op: fc.constant("dispatch" as const), n: fc.integer({ min: 0, max: 30 }) }),
          fc.record({ op: fc.constant("cancel" as const), who: fc.nat(3) }),
        ),
        { maxLength: 60 },
      ),
      (count, ops) => {
        const d = new DemandDispatcher<number>();
        const subs = Array.from({ length: count }, () => probe<number>());
        const alive = new Set(subs);
        const asked = new Map(subs.map((s) => [s, 0]));
        for (const s of subs) d.subscribe(s, {});
        let upstream = 0;
        let produced = 0;
        let sent = 0;
        const out: number[] = [];
        for (const op of ops) {
          if (op.op === "ask") {
            const s = subs[op.who % count] as Probe<number>;
            if (!alive.has(s)) continue;
            asked.set(s, (asked.get(s) ?? 0) + op.n);
            upstream += d.ask(op.n, s);
          } else if (op.op === "cancel") {
            const s = subs[op.who % count] as Probe<number>;
            if (!alive.has(s)) continue;
            alive.delete(s);
            upstream += d.cancel(s);
          } else {
            const events = Array.from({ length: op.n }, () => produced++);
            const before = subs.reduce((acc, s) => acc + s.received.flat().length, 0);
            const left = d.dispatch(events, events.length);
            const after = subs.reduce((acc, s) => acc + s.received.flat().length, 0);
            sent += after - before;
            assert.equal(after - before + left.length, events.length);
            out.push(...events.slice(0, events.length - left.length));
            assert.deepEqual(left, events.slice(events.length - left.length));
            produced -= left.length; // the model drops the rest and numbers them again
          }
        }
        for (const s of subs) {
          const got = s.received.flat().length;
          assert.ok(got <= (asked.get(s) ?? 0));
          for (const batch of s.received) assert.ok(batch.length > 0);
        }
        // What went out never exceeds the demand passed upstream.
        assert.ok(sent <= upstream);
        assert.deepEqual(
          subs.flatMap((s) => s.received.flat()).sort((a, b) => a - b),
          out.sort((a, b) => a - b),
        );
        // Upstream demand never exceeds what subscribers asked in total.
        assert.ok(upstream <= [...asked.values()].reduce((a, b) => a + b, 0));
      },
    ),
  );
});
