import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { Pid, Ref } from "../../src/kernel/pid.js";
import { EventBuffer } from "../../src/stage/buffer.js";
import { SubscriptionDemand } from "../../src/stage/demand.js";
import { DemandDispatcher, type Subscriber } from "../../src/stage/dispatcher.js";

test("a subscription asks maxDemand, then asks back to maxDemand once minDemand is reached", () => {
  const demand = new SubscriptionDemand(10, 5);
  assert.equal(demand.initial(), 10);
  assert.equal(demand.batchSize, 5);
  assert.equal(demand.received(3), 0);
  assert.equal(demand.received(2), 5);
  assert.equal(demand.due, 10);
  assert.equal(demand.received(5), 5);
});

test("minDemand 0 asks only when everything asked has come", () => {
  const demand = new SubscriptionDemand(4, 0);
  demand.initial();
  assert.equal(demand.received(3), 0);
  assert.equal(demand.received(1), 4);
});

test("events beyond what was asked are counted as excess", () => {
  const demand = new SubscriptionDemand(4, 2);
  demand.initial();
  assert.equal(demand.received(2), 2);
  assert.equal(demand.received(2), 2);
  assert.equal(demand.excess, 0);
  const greedy = new SubscriptionDemand(2, 1);
  greedy.initial();
  assert.equal(greedy.received(1), 1);
  assert.equal(greedy.received(1), 1);
  assert.equal(greedy.received(1), 1);
  assert.equal(greedy.excess, 0);
});

interface Consumer extends Subscriber<number> {
  demand: SubscriptionDemand;
  inbox: number[][];
  asked: number;
  received: number;
  handled: number[];
}

/**
 * The producer side and consumers of a stage pipeline, as pure state machines: a producer whose
 * handleDemand returns a random number of events (often more than asked), its dispatcher and an
 * unbounded buffer, and consumers that handle what arrived at random (slow) paces.
 */
test("property: a producer never sends a consumer more than it asked, and loses nothing", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 50 }).chain((max) =>
        fc.record({
          max: fc.constant(max),
          min: fc.integer({ min: 0, max: max - 1 }),
          consumers: fc.integer({ min: 1, max: 3 }),
          batches: fc.array(fc.nat(120), { minLength: 1, maxLength: 30 }),
          paces: fc.array(fc.nat(3), { minLength: 1, maxLength: 60 }),
        }),
      ),
      ({ max, min, consumers, batches, paces }) => {
        const dispatcher = new DemandDispatcher<number>();
        const buffer = new EventBuffer<number>(Infinity, "last");
        let produced = 0;
        let round = 0;
        const subs: Consumer[] = [];
        const handleDemand = (demand: number) => {
          const count = batches[round++ % batches.length] as number;
          const events = Array.from({ length: count }, () => produced++);
          const left = dispatcher.dispatch(events, events.length);
          buffer.store(left);
          return demand;
        };
        const ask = (sub: Consumer, n: number) => {
          sub.asked += n;
          let demand = dispatcher.ask(n, sub);
          while (demand > 0 && buffer.length > 0) {
            const events = buffer.take(demand);
            demand -= events.length;
            assert.equal(dispatcher.dispatch(events, events.length).length, 0);
          }
          if (demand > 0) handleDemand(demand);
        };
        for (let i = 0; i < consumers; i++) {
          const sub: Consumer = {
            pid: new Pid(0, i + 1),
            ref: new Ref(0, i + 1),
            demand: new SubscriptionDemand(max, min),
            inbox: [],
            asked: 0,
            received: 0,
            handled: [],
            send(events) {
              this.received += events.length;
              assert.ok(this.received <= this.asked, "sent more than asked");
              this.inbox.push([...events]);
            },
          };
          subs.push(sub);
          dispatcher.subscribe(sub, {});
        }
        for (const sub of subs) ask(sub, sub.demand.initial());
        for (let step = 0; step < 200; step++) {
          const sub = subs[step % subs.length] as Consumer;
          const pace = paces[step % paces.length] as number;
          for (let k = 0; k < pace && sub.inbox.length > 0; k++) {
            const events = sub.inbox.shift() as number[];
            for (let at = 0; at < events.length; at += sub.demand.batchSize) {
              const batch = events.slice(at, at + sub.demand.batchSize);
              sub.handled.push(...batch);
              const more = sub.demand.received(batch.length);
              if (more > 0) ask(sub, more);
            }
          }
        }
        for (const sub of subs) {
          assert.equal(sub.demand.excess, 0);
          assert.ok(sub.received <= sub.asked);
          // Each consumer sees its events in the order they were produced.
          assert.deepEqual(
            sub.handled,
            [...sub.handled].sort((a, b) => a - b),
          );
        }
        const delivered = subs.reduce((n, s) => n + s.received, 0);
        assert.equal(delivered + buffer.length, produced);
      },
    ),
  );
});
