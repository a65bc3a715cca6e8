import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { RestartIntensity } from "../../src/supervisor/intensity.js";

test("the (maxRestarts + 1)-th restart within the window is refused", () => {
  const intensity = new RestartIntensity(3, 5);
  assert.equal(intensity.add(0), true);
  assert.equal(intensity.add(1), true);
  assert.equal(intensity.add(2), true);
  assert.equal(intensity.add(3), false);
});

test("the window is closed: a restart exactly maxSeconds ago still counts, one ms more does not", () => {
  const atBoundary = new RestartIntensity(3, 5);
  for (const t of [0, 1000, 2000]) assert.equal(atBoundary.add(t), true);
  assert.equal(atBoundary.add(5000), false);

  const past = new RestartIntensity(3, 5);
  for (const t of [0, 1000, 2000]) assert.equal(past.add(t), true);
  assert.equal(past.add(5001), true);
  assert.equal(past.count(5001), 3);
});

test("maxRestarts 0 refuses the first restart", () => {
  assert.equal(new RestartIntensity(0, 5).add(0), false);
});

test("restarts spread out over time never exceed the intensity", () => {
  const intensity = new RestartIntensity(1, 1);
  for (let t = 0; t < 10_000; t += 1001) assert.equal(intensity.add(t), true);
});

test("property: add agrees with counting the restarts in the closed window", () => {
  fc.assert(
    fc.property(
      fc.nat(5),
      fc.integer({ min: 1, max: 5 }),
      fc.array(fc.nat(3000), { maxLength: 30 }),
      (maxRestarts, maxSeconds, gaps) => {
        const intensity = new RestartIntensity(maxRestarts, maxSeconds);
        const times: number[] = [];
        let now = 0;
        for (const gap of gaps) {
          now += gap;
          times.push(now);
          const inWindow = times.filter((t) => now - t <= maxSeconds * 1000).length;
          const allowed = intensity.add(now);
          assert.equal(allowed, inWindow <= maxRestarts);
          // A supervisor gives up at the first refusal: nothing after it matters.
          if (!allowed) return;
        }
      },
    ),
  );
});
