import assert from "node:assert/strict";
import { test } from "node:test";
import { Runtime } from "beamish";
import { VirtualClock } from "beamish/testing";
import fc from "fast-check";
import { type DeadlineList, Deadlines, type Expiring } from "../../src/gen-server/deadlines.js";

class Entry implements Expiring {
  deadline = 0;
  deadlinePrev: Expiring | null = null;
  deadlineNext: Expiring | null = null;
  deadlineList: DeadlineList | null = null;
  expiredAt: number | undefined;
  constructor(private readonly clock: VirtualClock) {}
  expire(): void {
    this.expiredAt = this.clock.now();
  }
}

test("each entry expires at exactly its own deadline, whatever the mix of timeouts", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(
        fc.record({
          at: fc.integer({ min: 0, max: 50 }),
          timeout: fc.constantFrom(0, 5, 10, 30, 100),
          removeAfter: fc.option(fc.integer({ min: 0, max: 120 }), { nil: undefined }),
        }),
        { maxLength: 25 },
      ),
      async (plan) => {
        const clock = new VirtualClock();
        const deadlines = new Deadlines(new Runtime({ clock }));
        const entries = plan.map(() => new Entry(clock));
        plan.forEach((step, i) => {
          clock.setTimer(step.at, () => {
            deadlines.add(entries[i] as Entry, step.timeout);
            if (step.removeAfter !== undefined) {
              clock.setTimer(step.removeAfter, () => deadlines.remove(entries[i] as Entry));
            }
          });
        });
        await clock.runAll();
        plan.forEach((step, i) => {
          const entry = entries[i] as Entry;
          const removedFirst = step.removeAfter !== undefined && step.removeAfter < step.timeout;
          if (removedFirst) assert.equal(entry.expiredAt, undefined);
          else if (step.removeAfter === undefined || step.removeAfter > step.timeout) {
            assert.equal(entry.expiredAt, step.at + step.timeout);
          }
        });
        assert.equal(clock.pendingTimers, 0);
      },
    ),
    { numRuns: 100 },
  );
});

test("a removed entry never expires, and the list stays consistent", async () => {
  const clock = new VirtualClock();
  const deadlines = new Deadlines(new Runtime({ clock }));
  const [a, b, c] = [new Entry(clock), new Entry(clock), new Entry(clock)];
  deadlines.add(a, 10);
  deadlines.add(b, 10);
  deadlines.add(c, 10);
  deadlines.remove(b);
  deadlines.remove(b);
  await clock.advance(10);
  assert.equal(a.expiredAt, 10);
  assert.equal(b.expiredAt, undefined);
  assert.equal(c.expiredAt, 10);
});
