import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { ChildDemand } from "../../src/stage/child-demand.js";

test("asks maxDemand, then gives demand back once minDemand children exited", () => {
  const d = new ChildDemand(10, 5);
  assert.equal(d.initial(), 10);
  d.started(10);
  assert.deepEqual([d.exited(), d.exited(), d.exited(), d.exited()], [0, 0, 0, 0]);
  assert.equal(d.exited(), 5);
  assert.equal(d.alive, 5);
  assert.equal(d.exited(), 0);
});

test("with minDemand 0 every exit asks for one more", () => {
  const d = new ChildDemand(1, 0);
  assert.equal(d.initial(), 1);
  d.started(1);
  assert.equal(d.exited(), 1);
  d.started(1);
  assert.equal(d.exited(), 1);
});

test("children received beyond the demand give no demand back", () => {
  const d = new ChildDemand(2, 1);
  d.started(3);
  assert.equal(d.excess, 1);
  assert.equal(d.exited(), 0);
  assert.equal(d.exited(), 1);
  assert.equal(d.exited(), 1);
  assert.equal(d.exited(), 0);
});

test("property: an honest producer never gets the children alive above maxDemand", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 20 }).chain((max) =>
        fc.tuple(
          fc.constant(max),
          fc.integer({ min: 0, max }),
          fc.array(fc.oneof(fc.constant("exit" as const), fc.integer({ min: 1, max: 25 })), {
            maxLength: 100,
          }),
        ),
      ),
      ([max, min, script]) => {
        const d = new ChildDemand(max, min);
        let outstanding = d.initial();
        let alive = 0;
        let asked = outstanding;
        let started = 0;
        for (const step of script) {
          if (step === "exit") {
            if (alive === 0) continue;
            alive--;
            const more = d.exited();
            outstanding += more;
            asked += more;
          } else {
            // The producer sends at most what is outstanding.
            const n = Math.min(step, outstanding);
            if (n === 0) continue;
            outstanding -= n;
            alive += n;
            started += n;
            d.started(n);
          }
          assert.ok(alive <= max, `${alive} alive with maxDemand ${max}`);
          assert.equal(d.alive, alive);
          assert.equal(d.excess, 0);
          // Demand is never lost: what is alive, freed and outstanding always adds up to max.
          assert.equal(alive + d.freed + outstanding, max);
          assert.ok(started <= asked);
        }
      },
    ),
  );
});
